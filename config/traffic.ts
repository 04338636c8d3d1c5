// The traffic lab: the canary weight, the A/B rule, round robin, client TLS and the circuit breaker, for the
// whole lab (a classroom's attendees may override each, see classroom.ts).
import { z } from "zod";
import {
    AbTest,
    CLIENT_TLS_MODES,
    CircuitBreaker,
    GuestbookClientTls,
    LAB_AB_TEST,
    ROUTINGS,
    Routing,
    Subset,
    checkAbTest,
    checkCircuitBreaker,
    checkRouting,
} from "../components/traffic";
import { reject } from "../components/lab";
import { NAMESPACE, int, int32, obj, oneOf, text } from "./schema";
import type { Stage } from "./recipes";

/** The shape of an A/B rule, for the class and for an attendee. */
export const abTestSchema = obj({ header: text(), regex: text() }).partial();
/** The shape of a circuit breaker, for the class and for an attendee. */
export const circuitBreakerSchema = obj({
    maxConnections: int32(1),
    http1MaxPendingRequests: int32(1),
    maxRequestsPerConnection: int32(1),
    consecutive5xxErrors: int32(1),
    interval: text(),
    baseEjectionTime: text(),
    maxEjectionPercent: int(0, 100),
    subset: text(),
}).partial();

/** Which API the lab's ingress and routing use: Istio's (`Gateway`, `VirtualService`) or the Kubernetes Gateway API's. */
export const TRAFFIC_APIS = ["istio", "gatewayApi"] as const;
export type TrafficApi = (typeof TRAFFIC_APIS)[number];

/** The shape of the traffic keys. */
export const trafficSchema = {
    trafficApi: oneOf(TRAFFIC_APIS),
    canaryWeight: int(0, 100),
    routing: oneOf(ROUTINGS),
    clientTls: oneOf(CLIENT_TLS_MODES),
    abTest: abTestSchema,
    circuitBreaker: circuitBreakerSchema,
};

type RawTraffic = Partial<{ [K in keyof typeof trafficSchema]: z.infer<(typeof trafficSchema)[K]> }>;

/** The traffic settings of one lab (the class's, or an attendee's with their overrides). */
export interface TrafficSettings {
    /** Share of traffic to the newest version. */
    readonly canaryWeight: number;
    /** The A/B rule, if any. */
    readonly abTest?: AbTest;
    /** Routing mode. */
    readonly routing: Routing;
    /** Client TLS on the DestinationRule, if any. */
    readonly clientTls?: GuestbookClientTls;
    /** The circuit breaker, if any. */
    readonly circuitBreaker?: CircuitBreaker;
}

/** An A/B rule with the lab's header and regex where not given. */
export function withAbDefaults(ab: z.infer<typeof abTestSchema>): AbTest {
    return { header: ab.header ?? LAB_AB_TEST.header, regex: ab.regex ?? LAB_AB_TEST.regex };
}

/** The lab's traffic settings with their defaults, checked against the guestbook's versions. */
export function resolveTraffic(c: RawTraffic, subsets: readonly Subset[], stages: readonly Stage[]): TrafficSettings {
    const abTest = c.abTest ? withAbDefaults(c.abTest) : undefined;
    if (abTest) {
        checkAbTest(abTest, `${NAMESPACE}:abTest`);
    }
    const circuitBreaker = c.circuitBreaker;
    if (circuitBreaker) {
        checkCircuitBreaker(circuitBreaker, subsets, `${NAMESPACE}:circuitBreaker`);
    }
    const routing = c.routing ?? "weighted";
    const canaryWeight = c.canaryWeight ?? 0;
    if (stages.includes("traffic")) {
        checkRouting(routing, subsets, canaryWeight, abTest, (key) => `${NAMESPACE}:${key}`);
    }
    return { canaryWeight, abTest, routing, clientTls: c.clientTls, circuitBreaker };
}

/** The traffic API; OSSM 2's control plane does not serve the Gateway API the lab uses. */
export function resolveTrafficApi(api: TrafficApi | undefined, flavor: string): TrafficApi {
    if (api === "gatewayApi" && flavor === "ossm2") {
        reject(
            `${NAMESPACE}:trafficApi`,
            api,
            '"istio" with controlPlane.flavor "ossm2" (OpenShift Service Mesh 2 does not run the lab\'s Gateway API ingress; use "ossm3")',
        );
    }
    return api ?? "istio";
}
