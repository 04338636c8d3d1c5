// The lab's routing vocabulary: subsets, the A/B rule, the routing modes, client TLS and the circuit
// breaker. Both ingress APIs' routes (traffic.ts for Istio's VirtualService and DestinationRule,
// httpRoute.ts for the Gateway API's HTTPRoute) speak it.

/** A routing subset: its name and the `version` label of the pods it selects. */
export interface Subset {
    /** Subset name, e.g. `v1`. */
    readonly name: string;
    /** Value of the pods' `version` label, e.g. `"1.0"`. */
    readonly version: string;
}

/** The routing subsets of a list of versions: each version's name and its `version` label, in order. */
export function subsetsOf(versions: ReadonlyArray<{ readonly name: string; readonly version: string }>): Subset[] {
    return versions.map((v) => ({ name: v.name, version: v.version }));
}

/** The lab's A/B rule: requests whose header matches the regex go to the newest version. */
export interface AbTest {
    /** Request header to match, e.g. `user-agent`. */
    readonly header: string;
    /** RE2 regular expression the header must match, e.g. `.*Firefox.*`. */
    readonly regex: string;
}

/** The lab's Firefox rule. */
export const LAB_AB_TEST: AbTest = { header: "user-agent", regex: ".*Firefox.*" };

/**
 * How the lab's VirtualService routes: `weighted` names a subset per route (the canary and A/B
 * states); `roundRobin` is the lab's first VirtualService (`guestbook-gateway.yaml`), one route to the
 * `guestbook` Service with no subset, spread over every version's pods.
 */
export type Routing = "weighted" | "roundRobin";
/** Every routing mode. */
export const ROUTINGS: readonly Routing[] = ["weighted", "roundRobin"];

/** Client-side TLS modes the lab sets on `destination-rule-guestbook` (`destination-rule-all-mtls.yaml`). */
export type GuestbookClientTls = "ISTIO_MUTUAL" | "DISABLE";
/** Every client TLS mode the lab offers. */
export const CLIENT_TLS_MODES: readonly GuestbookClientTls[] = ["ISTIO_MUTUAL", "DISABLE"];

/** Circuit breaker settings (connection pool and outlier detection). */
export interface CircuitBreaker {
    /** `connectionPool.tcp.maxConnections`. @default 1 */
    readonly maxConnections?: number;
    /** `connectionPool.http.http1MaxPendingRequests`. @default 1 */
    readonly http1MaxPendingRequests?: number;
    /** `connectionPool.http.maxRequestsPerConnection`. @default 1 */
    readonly maxRequestsPerConnection?: number;
    /** `outlierDetection.consecutive5xxErrors`. @default 1 */
    readonly consecutive5xxErrors?: number;
    /** `outlierDetection.interval`. @default "1s" */
    readonly interval?: string;
    /** `outlierDetection.baseEjectionTime`. @default "3m" */
    readonly baseEjectionTime?: string;
    /** `outlierDetection.maxEjectionPercent`. @default 100 */
    readonly maxEjectionPercent?: number;
    /** Put the breaker on this subset's traffic policy (one version) instead of the whole service. @default the whole service */
    readonly subset?: string;
}
