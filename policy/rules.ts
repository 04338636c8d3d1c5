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

/** Weights of every VirtualService route are integers that sum to 100, and every routed subset exists. */
export function routesAreWhole(resources: readonly PolicyInput[]): Violation[] {
    const out: Violation[] = [];
    const rules = resources.filter((r) => kind(r) === "DestinationRule");
    for (const vs of resources.filter((r) => kind(r) === "VirtualService")) {
        const ns = meta(vs).namespace;
        const http = (spec(vs).http ?? []) as Array<{
            route?: Array<{ destination: { host: string; subset?: string }; weight?: unknown }>;
        }>;
        http.forEach((h, i) => {
            const route = h.route ?? [];
            const weights = route.map((d) => d.weight);
            if (weights.some((w) => w !== undefined && !Number.isInteger(w))) {
                out.push({ name: vs.name, message: `http[${i}]: route weights must be integers, got ${JSON.stringify(weights)}` });
            } else if (route.length > 1 || weights.some((w) => w !== undefined)) {
                const sum = weights.reduce<number>((a, w) => a + ((w as number | undefined) ?? 0), 0);
                if (sum !== 100) {
                    out.push({ name: vs.name, message: `http[${i}]: route weights sum to ${sum}; they must sum to 100` });
                }
            }
            for (const d of route) {
                if (d.destination.subset === undefined) {
                    continue;
                }
                const rule = rules.find((r) => meta(r).namespace === ns && spec(r).host === d.destination.host);
                const subsets = ((rule ? spec(rule).subsets : []) ?? []) as Array<{ name: string }>;
                if (!subsets.some((s) => s.name === d.destination.subset)) {
                    out.push({
                        name: vs.name,
                        message: `http[${i}]: subset "${d.destination.subset}" of host "${d.destination.host}" is in no DestinationRule`,
                    });
                }
            }
        });
    }
    return out;
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
            .filter((r) => kind(r) === "VirtualService" && ((spec(r).gateways ?? []) as string[]).some((g) => g !== "mesh"))
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
    const awaited = ["Subscription", "ServiceMeshControlPlane"];
    return resources
        .filter((r) => awaited.includes(kind(r) ?? "") && !meta(r).annotations?.["pulumi.com/waitFor"])
        .map((r) => ({ name: r.name, message: `${kind(r)} has no pulumi.com/waitFor annotation; later stages would not wait for it` }));
}
