// The lab's guardrails as plain functions over the resources a stack registers, so that the policy
// pack (index.ts) and the offline tests run the same code.

/** A resource as a policy sees it. */
export interface PolicyInput {
    /** Pulumi type token. */
    readonly type: string;
    /** Logical name. */
    readonly name: string;
    /** Input properties. */
    readonly props: Record<string, unknown>;
}

/** One violation: the resource's logical name and what is wrong. */
export interface Violation {
    /** Logical name of the resource. */
    readonly name: string;
    /** What is wrong, and what to do instead. */
    readonly message: string;
}

/** Per-stack settings of the policies. */
export interface PolicySettings {
    /** The mesh's root namespace. @default "istio-system" */
    readonly rootNamespace?: string;
    /** A production stack: nothing weaker than STRICT at any scope. @default false */
    readonly production?: boolean;
}

type Obj = Record<string, unknown>;
const kind = (r: PolicyInput) => r.props.kind as string | undefined;
const meta = (r: PolicyInput) => (r.props.metadata ?? {}) as { name?: string; namespace?: string; annotations?: Record<string, string> };
const spec = (r: PolicyInput) => (r.props.spec ?? {}) as Obj;

/** A Kubernetes object as its manifest: what `lab validate` renders and what a policy sees as props. */
export type Manifest = Record<string, unknown>;

/** What is wrong with one VirtualService's routes. */
export type RouteFinding =
    | { readonly kind: "weights-not-integer"; readonly http: number; readonly weights: readonly unknown[] }
    | { readonly kind: "weights-sum"; readonly http: number; readonly sum: number }
    | { readonly kind: "missing-subset"; readonly http: number; readonly route: number; readonly host: string; readonly subset: string };

/**
 * Checks a VirtualService's HTTP routes against the DestinationRules beside it: weights are integers
 * that sum to 100 (where a route has several destinations or any weight), and every routed subset
 * exists in the rule for its host in the same namespace. Shared by the policy pack and `lab validate`.
 */
export function routeFindings(vs: Manifest, destinationRules: readonly Manifest[]): RouteFinding[] {
    const metaOf = (m: Manifest) => (m.metadata ?? {}) as { namespace?: string };
    const specOf = (m: Manifest) => (m.spec ?? {}) as Obj;
    const ns = metaOf(vs).namespace;
    const http = (specOf(vs).http ?? []) as Array<{ route?: Array<{ destination: { host: string; subset?: string }; weight?: unknown }> }>;
    const out: RouteFinding[] = [];
    http.forEach((h, i) => {
        const route = h.route ?? [];
        const weights = route.map((d) => d.weight);
        if (weights.some((w) => w !== undefined && !Number.isInteger(w))) {
            out.push({ kind: "weights-not-integer", http: i, weights });
        } else if (route.length > 1 || weights.some((w) => w !== undefined)) {
            const sum = weights.reduce<number>((a, w) => a + ((w as number | undefined) ?? 0), 0);
            if (sum !== 100) {
                out.push({ kind: "weights-sum", http: i, sum });
            }
        }
        route.forEach((d, j) => {
            const subset = d.destination.subset;
            if (subset === undefined) {
                return;
            }
            const rule = destinationRules.find((r) => metaOf(r).namespace === ns && specOf(r).host === d.destination.host);
            const subsets = ((rule ? specOf(rule).subsets : []) ?? []) as Array<{ name: string }>;
            if (!subsets.some((s) => s.name === subset)) {
                out.push({ kind: "missing-subset", http: i, route: j, host: d.destination.host, subset });
            }
        });
    });
    return out;
}

/** True for an object of the Kubernetes Gateway API (`Gateway` there is not Istio's `Gateway`). */
export function isGatewayApiObject(m: Manifest): boolean {
    return typeof m.apiVersion === "string" && m.apiVersion.startsWith("gateway.networking.k8s.io/");
}

/** What is wrong with one HTTPRoute rule's backend weights. */
export type HttpRouteWeightFinding =
    | { readonly kind: "weights-not-whole"; readonly rule: number; readonly weights: readonly unknown[] }
    | { readonly kind: "all-zero"; readonly rule: number };

/**
 * Checks an HTTPRoute's backend weights: Gateway API weights are relative (a backend without one weighs 1),
 * so they need not sum to 100, but each is an integer from 0 to 1,000,000 and a rule's backends do not all
 * weigh 0 (that rule answers 500). Shared by the policy pack and `lab validate`, as {@link routeFindings} is.
 */
export function httpRouteWeightFindings(route: Manifest): HttpRouteWeightFinding[] {
    const rules = (((route.spec ?? {}) as Obj).rules ?? []) as Array<{ backendRefs?: Array<{ weight?: unknown }> }>;
    const out: HttpRouteWeightFinding[] = [];
    rules.forEach((rule, i) => {
        const weights = (rule.backendRefs ?? []).map((b) => b.weight);
        if (weights.some((w) => w !== undefined && (!Number.isInteger(w) || (w as number) < 0 || (w as number) > 1_000_000))) {
            out.push({ kind: "weights-not-whole", rule: i, weights });
        } else if (weights.length > 0 && weights.every((w) => w === 0)) {
            out.push({ kind: "all-zero", rule: i });
        }
    });
    return out;
}

/**
 * Weights of every VirtualService route are integers that sum to 100, and every routed subset exists; every
 * HTTPRoute's backend weights are whole (relative, so not summed to 100) and not all zero.
 */
export function routesAreWhole(resources: readonly PolicyInput[]): Violation[] {
    const rules = resources.filter((r) => kind(r) === "DestinationRule").map((r) => r.props);
    const httpRoutes = resources
        .filter((r) => kind(r) === "HTTPRoute")
        .flatMap((r) =>
            httpRouteWeightFindings(r.props).map(
                (f): Violation => ({
                    name: r.name,
                    message:
                        f.kind === "weights-not-whole"
                            ? `rules[${f.rule}]: backend weights must be integers from 0 to 1000000, got ${JSON.stringify(f.weights)}`
                            : `rules[${f.rule}]: every backend weighs 0, so the rule answers 500; Gateway API weights are relative, give one backend more than 0`,
                }),
            ),
        );
    return [
        ...resources
            .filter((r) => kind(r) === "VirtualService")
            .flatMap((vs) =>
                routeFindings(vs.props, rules).map((f): Violation => {
                    switch (f.kind) {
                        case "weights-not-integer":
                            return {
                                name: vs.name,
                                message: `http[${f.http}]: route weights must be integers, got ${JSON.stringify(f.weights)}`,
                            };
                        case "weights-sum":
                            return { name: vs.name, message: `http[${f.http}]: route weights sum to ${f.sum}; they must sum to 100` };
                        case "missing-subset":
                            return {
                                name: vs.name,
                                message: `http[${f.http}]: subset "${f.subset}" of host "${f.host}" is in no DestinationRule`,
                            };
                    }
                }),
            ),
        ...httpRoutes,
    ];
}

/** No DISABLE at mesh scope; on a production stack nothing weaker than STRICT at any scope. */
export function mtlsIsStrictEnough(resources: readonly PolicyInput[], settings: PolicySettings = {}): Violation[] {
    const root = settings.rootNamespace ?? "istio-system";
    const out: Violation[] = [];
    for (const pa of resources.filter((r) => kind(r) === "PeerAuthentication")) {
        const s = spec(pa);
        const mode = ((s.mtls ?? {}) as { mode?: string }).mode ?? "UNSET";
        const meshWide = meta(pa).namespace === root && s.selector === undefined;
        if (meshWide && mode === "DISABLE") {
            out.push({ name: pa.name, message: "mesh-wide peer authentication must not DISABLE mutual TLS" });
        }
        if (settings.production) {
            const ports = Object.entries((s.portLevelMtls ?? {}) as Record<string, { mode?: string }>);
            const weak = [
                ...(mode === "STRICT" ? [] : [`mode ${mode}`]),
                ...ports.filter(([, p]) => p.mode !== "STRICT").map(([port, p]) => `port ${port} ${p.mode ?? "UNSET"}`),
            ];
            if (weak.length > 0) {
                out.push({ name: pa.name, message: `production stacks allow only STRICT mutual TLS, not ${weak.join(", ")}` });
            }
        }
    }
    return out;
}

/** Images are pinned (a tag other than latest, or a digest) and containers have resource requests. */
export function imagesArePinned(resources: readonly PolicyInput[]): Violation[] {
    const out: Violation[] = [];
    for (const d of resources.filter((r) => kind(r) === "Deployment")) {
        const containers = ((spec(d).template as { spec?: { containers?: Obj[] } } | undefined)?.spec?.containers ?? []) as Array<{
            name: string;
            image?: string;
            resources?: { requests?: Obj };
        }>;
        for (const c of containers) {
            const image = c.image ?? "";
            const lastPart = image.split("/").pop() ?? "";
            const tag = image.includes("@") ? "digest" : lastPart.includes(":") ? lastPart.split(":").pop() : undefined;
            if (tag === undefined || tag === "latest") {
                out.push({
                    name: d.name,
                    message: `container ${c.name}: image "${image}" is not pinned; give it a version tag or a digest`,
                });
            }
            if (!c.resources?.requests || Object.keys(c.resources.requests).length === 0) {
                out.push({ name: d.name, message: `container ${c.name}: no resource requests` });
            }
        }
    }
    return out;
}

/** No Service of type LoadBalancer in a namespace that sits behind the lab's Gateway. */
export function noBypassLoadBalancer(resources: readonly PolicyInput[]): Violation[] {
    const behindGateway = new Set(
        resources
            .filter(
                (r) =>
                    (kind(r) === "VirtualService" && ((spec(r).gateways ?? []) as string[]).some((g) => g !== "mesh")) ||
                    (kind(r) === "HTTPRoute" &&
                        ((spec(r).parentRefs ?? []) as Array<{ kind?: string }>).some((p) => (p.kind ?? "Gateway") === "Gateway")),
            )
            .map((r) => meta(r).namespace),
    );
    return resources
        .filter((r) => kind(r) === "Service" && spec(r).type === "LoadBalancer" && behindGateway.has(meta(r).namespace))
        .map((r) => ({
            name: r.name,
            message: `Service of type LoadBalancer in "${meta(r).namespace}" bypasses the gateway; use ClusterIP`,
        }));
}

/** Custom resources that later stages wait on carry `pulumi.com/waitFor`. */
export function awaitedCustomResources(resources: readonly PolicyInput[]): Violation[] {
    // What operators reconcile and later stages build on: OLM, OSSM 2's control plane and members, Sail/OSSM 3's control plane.
    // Ambient adds the ZTunnel, and the Gateway API Gateways Istio deploys (the ingress, waypoints), awaited Programmed.
    const awaited = ["Subscription", "ServiceMeshControlPlane", "ServiceMeshMember", "Istio", "IstioCNI", "ZTunnel"];
    return resources
        .filter(
            (r) =>
                (awaited.includes(kind(r) ?? "") || (kind(r) === "Gateway" && isGatewayApiObject(r.props))) &&
                !meta(r).annotations?.["pulumi.com/waitFor"],
        )
        .map((r) => ({ name: r.name, message: `${kind(r)} has no pulumi.com/waitFor annotation; later stages would not wait for it` }));
}

/** One of the pack's policies: what the pack registers and what `lab validate` runs offline. */
export interface LabPolicy {
    readonly name: string;
    readonly description: string;
    readonly enforcementLevel: "advisory" | "mandatory";
    readonly check: (resources: readonly PolicyInput[], settings: PolicySettings) => Violation[];
}

/** The pack's policies, with their default enforcement levels. */
export const POLICIES: readonly LabPolicy[] = [
    {
        name: "routes-are-whole",
        description:
            "VirtualService weights are integers summing to 100 and every subset exists; HTTPRoute weights (relative) are whole and not all zero.",
        enforcementLevel: "mandatory",
        check: routesAreWhole,
    },
    {
        name: "mtls-strict-enough",
        description: "No mesh-wide DISABLE; production stacks STRICT everywhere.",
        enforcementLevel: "mandatory",
        check: mtlsIsStrictEnough,
    },
    {
        name: "images-pinned",
        description: "Images carry a version tag or digest; containers request resources.",
        enforcementLevel: "advisory",
        check: imagesArePinned,
    },
    {
        name: "no-bypass-load-balancer",
        description: "No LoadBalancer Service behind the lab's Gateway.",
        enforcementLevel: "mandatory",
        check: noBypassLoadBalancer,
    },
    {
        name: "awaited-custom-resources",
        description:
            "Subscriptions, control planes (ServiceMeshControlPlane, Istio, IstioCNI, ZTunnel), ServiceMeshMembers and Gateway API Gateways carry pulumi.com/waitFor.",
        enforcementLevel: "mandatory",
        check: awaitedCustomResources,
    },
];
