import * as pulumi from "@pulumi/pulumi";
import { RE2JS } from "re2js";
import { ParentRef, gatewayApiObject, httpRouteSpec, httpRouteSplit, versionServiceName } from "./httpRoute";
import { INT32_MAX, ISTIO_APIS_V1, IstioApis, LAB_LABELS, istioObject, reject, show } from "./lab";
import { AbTest, CLIENT_TLS_MODES, CircuitBreaker, GuestbookClientTls, ROUTINGS, Routing, Subset } from "./routing";
import { linear } from "./linear";

export { AbTest, CLIENT_TLS_MODES, CircuitBreaker, GuestbookClientTls, LAB_AB_TEST, ROUTINGS, Routing, Subset, subsetsOf } from "./routing";

/** Inputs of {@link TrafficPolicy}. */
export interface TrafficPolicyArgs {
    /** Namespace of the app. */
    readonly namespace: pulumi.Input<string>;
    /** Subsets, oldest version first; the canary goes to the last. */
    readonly subsets: readonly Subset[];
    /** Share of traffic (integer percent) for the newest version; the rest goes to the oldest. @default 0 */
    readonly canaryWeight?: number;
    /** Route requests matching a header to the newest version, ahead of the weighted route. @default none */
    readonly abTest?: AbTest;
    /** Circuit breaker on the DestinationRule. @default none */
    readonly circuitBreaker?: CircuitBreaker;
    /**
     * A classroom without a domain: this attendee's routes take requests under this path prefix
     * (`/user7/`) and pass them on without it; `/user7` redirects to `/user7/`. @default none
     */
    readonly pathPrefix?: string;
    /** Replicas per subset, in subset order (what round robin spreads over). @default [] */
    readonly replicas?: readonly number[];
    /** How the VirtualService routes. @default "weighted" */
    readonly routing?: Routing;
    /** `trafficPolicy.tls.mode` of the DestinationRule (the lab's `destination-rule-all-mtls.yaml`). @default none */
    readonly clientTls?: GuestbookClientTls;
    /** Gateway the VirtualService is bound to. @default "guestbook-gateway" */
    readonly gateway?: string;
    /** Service the routes go to. @default "guestbook" */
    readonly host?: string;
    /** Hosts of the VirtualService. @default ["*"] */
    readonly hosts?: string[];
    /** Istio API versions the control plane serves. @default v1 (`networking.istio.io/v1`) */
    readonly apis?: IstioApis;
    /** Resources that must exist first (the control plane, the Gateway). @default [] */
    readonly requires?: pulumi.Resource[];
    /**
     * Gateway API: route with an HTTPRoute attached to these listeners (weighted backendRefs to one Service
     * per version, which the guestbook then has) instead of a VirtualService. @default none (a VirtualService)
     */
    readonly gatewayApiParents?: readonly ParentRef[];
}

/** Checks the canary weight; `where` names the argument or config key in messages. */
export function checkWeight(weight: number, where: string): void {
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
        reject(where, weight, "an integer from 0 to 100");
    }
}

/** A duration as Envoy's outlier detection takes it (`1s`, `500ms`, `1m30s`). */
const DURATION = linear(/^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$/);
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/** The longest A/B regex the lab takes: a header rule, not a program (Envoy's RE2 also caps program size). */
export const MAX_REGEX_LENGTH = 1024;

/** Checks an A/B rule; `where` names the argument or config key in messages. */
export function checkAbTest(ab: AbTest, where: string): void {
    if (!HEADER_NAME.test(ab.header)) {
        reject(`${where}.header`, ab.header, 'a lower-case HTTP header name, e.g. "user-agent"');
    }
    if (ab.regex.length > MAX_REGEX_LENGTH) {
        reject(
            `${where}.regex`,
            ab.regex,
            `an RE2 regular expression of at most ${MAX_REGEX_LENGTH} characters (this one has ${ab.regex.length})`,
        );
    }
    // Envoy matches headers with RE2: no lookaround or backreferences, but `(?i)` is fine.
    try {
        RE2JS.compile(ab.regex);
    } catch (e) {
        reject(
            `${where}.regex`,
            ab.regex,
            /invalid repeat count|too large/.test((e as Error).message)
                ? "an RE2 regular expression RE2 can compile: this one is too large (a repetition count above 1000, or nested repetitions above 1000 in all)"
                : 'an RE2 regular expression (no lookaround or backreferences), e.g. ".*Firefox.*" or "(?i).*firefox.*"',
        );
    }
}

/** Checks circuit breaker numbers and its subset; `where` names the argument or config key in messages. */
export function checkCircuitBreaker(cb: CircuitBreaker, subsets: readonly Subset[], where: string): void {
    for (const key of ["maxConnections", "http1MaxPendingRequests", "maxRequestsPerConnection", "consecutive5xxErrors"] as const) {
        const value = cb[key];
        if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > INT32_MAX)) {
            reject(`${where}.${key}`, value, `an integer from 1 to ${INT32_MAX}`);
        }
    }
    if (
        cb.maxEjectionPercent !== undefined &&
        (!Number.isInteger(cb.maxEjectionPercent) || cb.maxEjectionPercent < 0 || cb.maxEjectionPercent > 100)
    ) {
        reject(`${where}.maxEjectionPercent`, cb.maxEjectionPercent, "an integer from 0 to 100");
    }
    for (const key of ["interval", "baseEjectionTime"] as const) {
        const value = cb[key];
        if (value !== undefined && !DURATION.test(value)) {
            reject(`${where}.${key}`, value, 'a duration such as "1s", "500ms" or "3m"');
        }
    }
    if (cb.subset !== undefined && !subsets.some((s) => s.name === cb.subset)) {
        reject(`${where}.subset`, cb.subset, `one of the subsets ${subsets.map((s) => show(s.name)).join(", ")}`);
    }
}

/**
 * Checks that the routing settings fit together; `where` names the config key or argument prefix.
 * Round robin names no subset, so a canary weight or an A/B rule cannot apply to it.
 */
export function checkRouting(
    routing: Routing,
    subsets: readonly Subset[],
    canaryWeight: number,
    abTest: AbTest | undefined,
    where: (key: string) => string,
): void {
    if (!ROUTINGS.includes(routing)) {
        reject(where("routing"), routing, `one of ${ROUTINGS.join(", ")}`);
    }
    if (routing === "roundRobin" && canaryWeight !== 0) {
        reject(
            where("canaryWeight"),
            canaryWeight,
            '0 with routing "roundRobin" (its one route names no subset; set routing to "weighted" for a canary)',
        );
    }
    if (routing === "roundRobin" && abTest) {
        reject(
            where("abTest"),
            abTest,
            'nothing with routing "roundRobin" (its one route names no subset; set routing to "weighted" for the A/B rule)',
        );
    }
    if (subsets.length === 1 && canaryWeight !== 0 && canaryWeight !== 100) {
        reject(
            where("canaryWeight"),
            canaryWeight,
            `0 or 100 with one version (${show(subsets[0].name)}): a canary needs a second version to send traffic to`,
        );
    }
}

/** The DestinationRule traffic policy a circuit breaker sets. */
export function circuitBreakerPolicy(cb: CircuitBreaker): Record<string, unknown> {
    return {
        connectionPool: {
            tcp: { maxConnections: cb.maxConnections ?? 1 },
            http: {
                http1MaxPendingRequests: cb.http1MaxPendingRequests ?? 1,
                maxRequestsPerConnection: cb.maxRequestsPerConnection ?? 1,
            },
        },
        outlierDetection: {
            consecutive5xxErrors: cb.consecutive5xxErrors ?? 1,
            interval: cb.interval ?? "1s",
            baseEjectionTime: cb.baseEjectionTime ?? "3m",
            maxEjectionPercent: cb.maxEjectionPercent ?? 100,
        },
    };
}

/** One HTTP route of a VirtualService as the lab writes it. */
export interface HttpRoute {
    /** Request match (the A/B rule). */
    readonly match?: Array<{ headers: Record<string, { regex: string }> }>;
    /** Destinations with their weights. */
    readonly route: Array<{ destination: { host: string; subset: string }; weight?: number }>;
}

/**
 * The VirtualService's `http` routes for a canary weight: 0 gives the lab's all-v1 rule (one
 * destination, no weight), 100 its all-newest rule, anything between a weighted pair; the A/B rule,
 * when set, comes first so that it wins.
 */
export function httpRoutes(host: string, subsets: readonly Subset[], canaryWeight: number, abTest?: AbTest): HttpRoute[] {
    const oldest = subsets[0].name;
    const newest = subsets[subsets.length - 1].name;
    const to = (subset: string) => ({ host, subset });
    const single = canaryWeight === 0 || canaryWeight === 100 || oldest === newest;
    const weighted = single
        ? [{ destination: to(canaryWeight === 100 ? newest : oldest) }]
        : [
              { destination: to(oldest), weight: 100 - canaryWeight },
              { destination: to(newest), weight: canaryWeight },
          ];
    const routes: HttpRoute[] = [];
    if (abTest) {
        routes.push({ match: [{ headers: { [abTest.header]: { regex: abTest.regex } } }], route: [{ destination: to(newest) }] });
    }
    routes.push({ route: weighted });
    return routes;
}

/**
 * Routes moved under a path prefix (a classroom without a domain): each matches the prefix as well,
 * and strips it before the app sees the request; the bare prefix redirects to itself with a slash,
 * so the page's relative links resolve under it.
 */
export function underPrefix(routes: ReadonlyArray<object>, prefix: string | undefined): object[] {
    if (prefix === undefined) {
        return [...routes];
    }
    const uri = { prefix };
    return [
        { match: [{ uri: { exact: prefix.replace(/\/$/, "") } }], redirect: { uri: prefix } },
        ...routes.map((r: { match?: object[] }) => ({
            ...r,
            match: (r.match ?? [{}]).map((m) => ({ ...m, uri })),
            rewrite: { uri: "/" },
        })),
    ];
}

/** The lab's first VirtualService route: the Service itself, no subset (kube-proxy spreads over every pod). */
export function roundRobinRoutes(host: string): Array<{ route: Array<{ destination: { host: string; port: { number: number } } }> }> {
    return [{ route: [{ destination: { host, port: { number: 80 } } }] }];
}

/**
 * The share of traffic each subset gets from the weighted route (the A/B rule aside). Versions
 * between the oldest and the newest get none: the canary moves traffic from the oldest to the
 * newest. With round robin each version gets its share of the pods (`replicas` given per subset).
 */
export function trafficSplit(
    subsets: readonly Subset[],
    canaryWeight: number,
    routing: Routing = "weighted",
    replicas: readonly number[] = [],
): Record<string, number> {
    if (routing === "roundRobin") {
        const total = replicas.reduce((a, b) => a + b, 0);
        return Object.fromEntries(subsets.map((s, i) => [s.name, total === 0 ? 0 : Math.round(((replicas[i] ?? 0) * 100) / total)]));
    }
    const split: Record<string, number> = Object.fromEntries(subsets.map((s) => [s.name, 0]));
    for (const route of httpRoutes("-", subsets, canaryWeight).at(-1)!.route) {
        split[route.destination.subset] = route.weight ?? 100;
    }
    return shownSplit(split, subsets);
}

/** Only the versions that get traffic, plus the ones between (shown with 0) when there are more than two. */
export function shownSplit(split: Record<string, number>, subsets: readonly Subset[]): Record<string, number> {
    return subsets.length > 2 ? split : Object.fromEntries(Object.entries(split).filter(([, w]) => w > 0));
}

/**
 * Stage 5: the lab's routing. The DestinationRule `destination-rule-guestbook` with one subset per
 * version (and, optionally, a circuit breaker); the VirtualService `virtual-service-guestbook` bound
 * to the gateway, with the canary weight and the optional A/B rule. Changing the weight or the A/B
 * rule changes the VirtualService only.
 */
export class TrafficPolicy extends pulumi.ComponentResource {
    /** The share of traffic each subset gets, e.g. `{ v1: 80, v2: 20 }`. */
    public readonly split: pulumi.Output<Record<string, number>>;
    /** The A/B rule in force, or null. */
    public readonly abTest: pulumi.Output<AbTest | null>;

    constructor(name: string, args: TrafficPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-lab:traffic:TrafficPolicy", name, {}, opts);
        if (args.subsets.length === 0) {
            reject("TrafficPolicy args.subsets", args.subsets, "at least one subset");
        }
        const weight = args.canaryWeight ?? 0;
        checkWeight(weight, "TrafficPolicy args.canaryWeight");
        if (args.abTest) {
            checkAbTest(args.abTest, "TrafficPolicy args.abTest");
        }
        if (args.circuitBreaker) {
            checkCircuitBreaker(args.circuitBreaker, args.subsets, "TrafficPolicy args.circuitBreaker");
        }
        const host = args.host ?? "guestbook";
        const requires = args.requires ?? [];
        const cb = args.circuitBreaker;
        const routing = args.routing ?? "weighted";
        checkRouting(routing, args.subsets, weight, args.abTest, (key) => `TrafficPolicy args.${key}`);
        if (args.clientTls !== undefined && !CLIENT_TLS_MODES.includes(args.clientTls)) {
            reject("TrafficPolicy args.clientTls", args.clientTls, `one of ${CLIENT_TLS_MODES.join(", ")}`);
        }
        const serviceTls = args.clientTls ? { tls: { mode: args.clientTls } } : {};
        const servicePolicy =
            cb && cb.subset === undefined ? { ...circuitBreakerPolicy(cb), ...serviceTls } : args.clientTls ? serviceTls : undefined;

        const apis = args.apis ?? ISTIO_APIS_V1;
        const destinationRule = istioObject(
            `${name}-destination-rule`,
            apis.networking,
            "DestinationRule",
            { name: `destination-rule-${host}`, namespace: args.namespace, labels: LAB_LABELS },
            {
                host,
                trafficPolicy: servicePolicy,
                subsets: args.subsets.map((s) => ({
                    name: s.name,
                    labels: { version: s.version },
                    trafficPolicy: cb && cb.subset === s.name ? circuitBreakerPolicy(cb) : undefined,
                })),
            },
            { parent: this, dependsOn: requires },
        );
        const routes = { name, parent: this, args, host, weight, routing, cb, serviceTls, servicePolicy, apis, requires, destinationRule };
        const split = args.gatewayApiParents ? httpRouteOf(routes, args.gatewayApiParents) : virtualServiceOf(routes);

        this.split = pulumi.output(split);
        this.abTest = pulumi.output(args.abTest ?? null);
        this.registerOutputs({ split: this.split, abTest: this.abTest });
    }
}

/** What the route builders share: the component, its settings and the DestinationRule routes go in after. */
interface RouteContext {
    readonly name: string;
    readonly parent: pulumi.ComponentResource;
    readonly args: TrafficPolicyArgs;
    readonly host: string;
    readonly weight: number;
    readonly routing: Routing;
    readonly cb: CircuitBreaker | undefined;
    readonly serviceTls: Record<string, unknown>;
    readonly servicePolicy: Record<string, unknown> | undefined;
    readonly apis: IstioApis;
    readonly requires: pulumi.Resource[];
    readonly destinationRule: pulumi.Resource;
}

/**
 * Gateway API: the same routing as an HTTPRoute; the DestinationRule stays for in-mesh traffic to `host`
 * (the circuit breaker and client TLS have no Gateway API form). Returns the split the route says.
 */
function httpRouteOf(x: RouteContext, parents: readonly ParentRef[]): Record<string, number> {
    const { name, parent, args, host, weight, routing, cb, serviceTls, servicePolicy, apis, requires, destinationRule } = x;
    // Gateway API: the same routing as an HTTPRoute; the DestinationRule stays for in-mesh traffic to
    // `host` (the circuit breaker and client TLS have no Gateway API form).
    const spec = httpRouteSpec({
        parents,
        hosts: args.hosts ?? ["*"],
        subsets: args.subsets,
        canaryWeight: weight,
        routing,
        abTest: args.abTest,
        pathPrefix: args.pathPrefix,
    });
    // Istio applies a DestinationRule by the destination's host, and the weighted backends are the
    // per-version Services, not `host`: each gets the policy its version has (the whole service's, or
    // the breaker of its subset), or the breaker and client TLS would never touch the route's traffic.
    const versionRules =
        routing === "weighted"
            ? args.subsets.flatMap((s) => {
                  const policy = cb && cb.subset === s.name ? { ...circuitBreakerPolicy(cb), ...serviceTls } : servicePolicy;
                  return policy === undefined
                      ? []
                      : [
                            istioObject(
                                `${name}-destination-rule-${s.name}`,
                                apis.networking,
                                "DestinationRule",
                                {
                                    name: `destination-rule-${versionServiceName(s.name)}`,
                                    namespace: args.namespace,
                                    labels: LAB_LABELS,
                                },
                                { host: versionServiceName(s.name), trafficPolicy: policy },
                                { parent, dependsOn: requires },
                            ),
                        ];
              })
            : [];
    gatewayApiObject(`${name}-http-route`, "HTTPRoute", { name: host, namespace: args.namespace, labels: LAB_LABELS }, spec, {
        parent,
        dependsOn: [...requires, destinationRule, ...versionRules],
    });
    // The split as the route says it, its relative weights in percent (round robin: one backend, by pods).
    return routing === "weighted"
        ? shownSplit(httpRouteSplit(spec, args.subsets), args.subsets)
        : trafficSplit(args.subsets, weight, routing, args.replicas ?? []);
}

/** The Istio API: the VirtualService on the lab's Gateway. Returns the split it makes. */
function virtualServiceOf(x: RouteContext): Record<string, number> {
    const { name, parent, args, host, weight, routing, apis, requires, destinationRule } = x;
    istioObject(
        `${name}-virtual-service`,
        apis.networking,
        "VirtualService",
        { name: `virtual-service-${host}`, namespace: args.namespace, labels: LAB_LABELS },
        {
            hosts: args.hosts ?? ["*"],
            gateways: [args.gateway ?? "guestbook-gateway"],
            http: underPrefix(
                routing === "roundRobin" ? roundRobinRoutes(host) : httpRoutes(host, args.subsets, weight, args.abTest),
                args.pathPrefix,
            ),
        },
        // Routes go in after their gateway and destination rule, or they point at nothing.
        { parent, dependsOn: [...requires, destinationRule] },
    );
    return trafficSplit(args.subsets, weight, routing, args.replicas ?? []);
}
