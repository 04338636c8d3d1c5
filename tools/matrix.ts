// Predicts the peer authentication lab's probe (`curl http://httpbin.<to>:8000/headers` from
// `sleep.<from>`) from the rendered objects, with the mesh semantics of sidecar mode and auto mTLS on
// (Istio 1.12 and later): which policy a server enforces, what a client sends, and whether it is accepted;
// and of ambient mode, where ztunnel carries traffic between ambient workloads over mutual TLS (HBONE)
// whatever the policy, and enforces STRICT against callers outside the mesh.
import { DATAPLANE_MODE_LABEL, Dataplane } from "../components/lab";
import { RenderedObject, metaOf as meta, selects as matches, specOf } from "./render";

type Mode = "STRICT" | "PERMISSIVE" | "DISABLE" | "UNSET";
type Labels = Record<string, string>;

/** One probe's predicted result. */
export interface ProbeResult {
    /** Namespace of the calling `sleep`. */
    readonly from: string;
    /** Namespace of the called `httpbin`. */
    readonly to: string;
    /**
     * HTTP status curl prints: `200`, `000` (connection reset), `503` (upstream connect error, or a
     * route to a subset with no pods) or `404` (the gateway has no route for the service).
     */
    readonly code: "200" | "000" | "503" | "404";
    /** Whether mutual TLS was used (sidecars: `X-Forwarded-Client-Cert` came back; ambient: ztunnel's HBONE, no such header). */
    readonly mtls: boolean;
    /** The data plane the prediction is for: `sidecar`, or `ambient` when the lab's namespaces join the ambient mesh. */
    readonly dataplane: Dataplane;
    /**
     * Ingress rows: the DestinationRule traffic policy the call meets on the host (and subset) the route sends
     * it to, e.g. `connectionPool, outlierDetection (DestinationRule guestbook/destination-rule-guestbook-v2)`;
     * absent when none applies.
     */
    readonly policy?: string;
}

/** A workload (a Deployment's pods) as the mesh sees it. */
export interface Workload {
    readonly namespace: string;
    readonly name: string;
    readonly labels: Labels;
    readonly sidecar: boolean;
    /** Its namespace is in the ambient mesh (`istio.io/dataplane-mode: ambient`) and it has no sidecar. */
    readonly ambient: boolean;
    /** How many pods it runs (a Deployment's `replicas`, 1 when unset). */
    readonly replicas: number;
}
interface Service {
    readonly namespace: string;
    readonly name: string;
    readonly selector: Labels;
    readonly ports: Array<{ port: number; targetPort: number | string }>;
}
interface Policy {
    readonly namespace: string;
    readonly selector?: Labels;
    readonly mode: Mode;
    readonly ports: Record<string, Mode>;
}
interface Rule {
    readonly namespace: string;
    readonly host: string;
    readonly mode?: string;
    readonly ports: Record<number, string>;
}

/** What the matrix reads from rendered objects. */
export interface Mesh {
    readonly root: string;
    readonly workloads: Workload[];
    readonly services: Service[];
    readonly policies: Policy[];
    readonly rules: Rule[];
}

/**
 * The Deployments' pods: labels, and whether they get a sidecar (the pod annotation where there is
 * one, as on OpenShift, else the namespace's `istio-injection` label).
 */
export function workloadsOf(objects: readonly RenderedObject[]): Workload[] {
    const nsLabels = new Map<string, Labels>();
    for (const o of objects) {
        if (o.manifest.kind === "Namespace") {
            nsLabels.set(meta(o).name, meta(o).labels ?? {});
        }
    }
    return objects
        .filter((o) => o.manifest.kind === "Deployment")
        .map((o) => {
            const ns = meta(o).namespace ?? "";
            const template = specOf(o).template as { metadata?: { labels?: Labels; annotations?: Labels } };
            const annotation = template.metadata?.annotations?.["sidecar.istio.io/inject"];
            const sidecar = annotation !== undefined ? annotation === "true" : nsLabels.get(ns)?.["istio-injection"] === "enabled";
            const ambient = !sidecar && nsLabels.get(ns)?.[DATAPLANE_MODE_LABEL] === "ambient";
            const replicas = typeof specOf(o).replicas === "number" ? (specOf(o).replicas as number) : 1;
            return { namespace: ns, name: meta(o).name, labels: template.metadata?.labels ?? {}, sidecar, ambient, replicas };
        });
}

/** Reads the mesh's workloads, services and policies from rendered objects. */
export function meshOf(objects: readonly RenderedObject[], root: string): Mesh {
    const workloads = workloadsOf(objects);
    const services: Service[] = [];
    const policies: Policy[] = [];
    const rules: Rule[] = [];
    for (const o of objects) {
        const m = meta(o);
        const s = specOf(o);
        const ns = m.namespace ?? "";
        switch (o.manifest.kind) {
            case "Service":
                services.push({
                    namespace: ns,
                    name: m.name,
                    selector: (s.selector as Labels) ?? {},
                    ports: ((s.ports as Array<{ port: number; targetPort?: number | string }>) ?? []).map((p) => ({
                        port: p.port,
                        targetPort: p.targetPort ?? p.port,
                    })),
                });
                break;
            case "PeerAuthentication": {
                const portLevel = (s.portLevelMtls ?? {}) as Record<string, { mode?: Mode }>;
                policies.push({
                    namespace: ns,
                    selector: (s.selector as { matchLabels?: Labels } | undefined)?.matchLabels,
                    mode: (s.mtls as { mode?: Mode } | undefined)?.mode ?? "UNSET",
                    ports: Object.fromEntries(Object.entries(portLevel).map(([p, v]) => [p, v.mode ?? "UNSET"])),
                });
                break;
            }
            case "DestinationRule": {
                const tp = (s.trafficPolicy ?? {}) as {
                    tls?: { mode?: string };
                    portLevelSettings?: Array<{ port: { number: number }; tls?: { mode?: string } }>;
                };
                rules.push({
                    namespace: ns,
                    host: s.host as string,
                    mode: tp.tls?.mode,
                    ports: Object.fromEntries(
                        (tp.portLevelSettings ?? []).filter((p) => p.tls?.mode).map((p) => [p.port.number, p.tls!.mode!]),
                    ),
                });
                break;
            }
        }
    }
    return { root, workloads, services, policies, rules };
}

/** The policy without a selector in a namespace (namespace-wide, or mesh-wide in the root namespace). */
function widePolicy(mesh: Mesh, namespace: string): Policy | undefined {
    return mesh.policies.find((p) => p.namespace === namespace && !p.selector);
}

/** Rule 1: the mode a sidecar enforces on a container port; `UNSET` inherits the next wider scope. */
export function serverMode(mesh: Mesh, w: Workload, containerPort: number): Mode {
    const meshMode = widePolicy(mesh, mesh.root)?.mode ?? "UNSET";
    const nsPolicy = mesh.root === w.namespace ? undefined : widePolicy(mesh, w.namespace);
    const nsMode = nsPolicy && nsPolicy.mode !== "UNSET" ? nsPolicy.mode : meshMode;
    const workload = mesh.policies.find((p) => p.namespace === w.namespace && p.selector && matches(p.selector, w.labels));
    const workloadMode = workload && workload.mode !== "UNSET" ? workload.mode : nsMode;
    const portMode = workload?.ports[String(containerPort)];
    const mode = portMode && portMode !== "UNSET" ? portMode : workloadMode;
    return mode === "UNSET" ? "PERMISSIVE" : mode;
}

/** Rule 3: the DestinationRule TLS mode for a host and service port, if any rule decides one. */
function ruleMode(mesh: Mesh, client: string, service: Service, port: number): string | undefined {
    const fqdn = `${service.name}.${service.namespace}.svc.cluster.local`;
    const specificity = (r: Rule): number => {
        const host = r.host.includes(".") ? r.host : `${r.host}.${r.namespace}.svc.cluster.local`;
        if (host === fqdn) {
            return 1000;
        }
        if (host.startsWith("*") && fqdn.endsWith(host.slice(1))) {
            return host.length;
        }
        return host === "*" ? 1 : -1;
    };
    const visible = (r: Rule) => r.namespace === client || r.namespace === service.namespace || r.namespace === mesh.root;
    const nsRank = (r: Rule) => (r.namespace === client ? 0 : r.namespace === service.namespace ? 1 : 2);
    const candidates = mesh.rules
        .filter((r) => visible(r) && specificity(r) >= 0)
        .sort((a, b) => specificity(b) - specificity(a) || nsRank(a) - nsRank(b));
    const rule = candidates[0];
    return rule ? (rule.ports[port] ?? rule.mode) : undefined;
}

/** Calls `service:port` from `client` and predicts the outcome (rules 2 to 4). */
export function call(
    mesh: Mesh,
    client: Workload,
    service: Service,
    port: number,
    server = mesh.workloads.find((w) => w.namespace === service.namespace && matches(service.selector, w.labels)),
): { code: ProbeResult["code"]; mtls: boolean } {
    const servicePort = service.ports.find((p) => p.port === port);
    if (!servicePort || !server) {
        return { code: client.sidecar ? "503" : "000", mtls: false };
    }
    const containerPort = typeof servicePort.targetPort === "number" ? servicePort.targetPort : port;
    if (server.ambient) {
        // Ambient: from the mesh (an ambient workload, or a gateway's or sidecar's proxy) always HBONE, mutual TLS,
        // whatever the policy (DISABLE is not supported); from outside it, plain text, which STRICT refuses at ztunnel.
        if (client.ambient || client.sidecar) {
            return { code: "200", mtls: true };
        }
        return serverMode(mesh, server, containerPort) === "STRICT" ? { code: "000", mtls: false } : { code: "200", mtls: false };
    }
    if (client.ambient) {
        // ztunnel sends to a workload outside the ambient mesh in plain text, as the application wrote it.
        const mode = server.sidecar ? serverMode(mesh, server, containerPort) : "DISABLE";
        return mode === "STRICT" ? { code: "000", mtls: false } : { code: "200", mtls: false };
    }
    let sendsMtls = false;
    if (client.sidecar) {
        const decided = ruleMode(mesh, client.namespace, service, port);
        if (decided === "ISTIO_MUTUAL" || decided === "MUTUAL") {
            sendsMtls = true;
        } else if (decided === "DISABLE" || decided === "SIMPLE") {
            sendsMtls = false;
        } else {
            const nsPolicy = widePolicy(mesh, service.namespace) ?? widePolicy(mesh, mesh.root);
            sendsMtls = nsPolicy?.mode !== "DISABLE" && server.sidecar && serverMode(mesh, server, containerPort) !== "DISABLE";
        }
    }
    const mode = server.sidecar ? serverMode(mesh, server, containerPort) : "DISABLE";
    const accepted = mode === "PERMISSIVE" || (mode === "STRICT" ? sendsMtls : !sendsMtls);
    if (!accepted) {
        return { code: client.sidecar ? "503" : "000", mtls: false };
    }
    return { code: "200", mtls: sendsMtls };
}

/** One route destination of a route bound to the ingress gateway, with its host made whole. */
interface GatewayDestination {
    readonly fqdn: string;
    /** A VirtualService's subset, resolved through the DestinationRules. */
    readonly subset?: string;
    /** An HTTPRoute's backend Service: the pods its selector picks. */
    readonly selector?: Labels;
    /** The host the route names, where it is not `fqdn` (an HTTPRoute's per-version Service): its DestinationRules apply. */
    readonly host?: string;
}

/** A host as a Service's full name, read in `namespace` (Istio's short-name rule). */
export const fqdnOf = (host: string, namespace: string): string =>
    host.endsWith(".svc.cluster.local")
        ? host
        : host.includes(".")
          ? `${host}.svc.cluster.local`
          : `${host}.${namespace}.svc.cluster.local`;

/**
 * What the ingress gateway routes to: the destinations (with weight, or none given) of every
 * VirtualService bound to a Gateway that selects the ingress gateway's pods.
 */
function gatewayDestinations(objects: readonly RenderedObject[], ingressLabels: Labels): GatewayDestination[] {
    const gateways = new Set(
        objects
            .filter((o) => o.manifest.kind === "Gateway" && matches((specOf(o).selector as Labels) ?? {}, ingressLabels))
            .map((o) => `${meta(o).namespace}/${meta(o).name}`),
    );
    const out: GatewayDestination[] = [];
    for (const o of objects.filter((x) => x.manifest.kind === "VirtualService")) {
        const ns = meta(o).namespace ?? "";
        const s = specOf(o);
        const bound = ((s.gateways as string[]) ?? []).some((g) => gateways.has(g.includes("/") ? g : `${ns}/${g}`));
        if (!bound) {
            continue;
        }
        for (const http of (s.http as Array<{ route?: Array<{ destination: { host: string; subset?: string }; weight?: number }> }>) ??
            []) {
            for (const r of http.route ?? []) {
                if (r.weight === undefined || r.weight > 0) {
                    out.push({ fqdn: fqdnOf(r.destination.host, ns), subset: r.destination.subset });
                }
            }
        }
    }
    return out;
}

/** A Gateway API Gateway Istio deploys (class `istio`): its pods are `<name>-istio`, labelled with the Gateway's name. */
function istioClassGateway(objects: readonly RenderedObject[]): RenderedObject | undefined {
    return objects.find((o) => o.manifest.kind === "Gateway" && specOf(o).gatewayClassName === "istio");
}

/**
 * What a Gateway API ingress routes to: the backends (weight above 0, or none given) of every HTTPRoute attached
 * to the Gateway, each as the front Service whose pods its backend Service selects (`guestbook-v2` is
 * `guestbook`'s version-2 pods); a backend no Service of the lab answers for is kept with its own name.
 */
function httpRouteDestinations(
    objects: readonly RenderedObject[],
    gateway: RenderedObject,
    services: readonly Service[],
): GatewayDestination[] {
    const gw = { name: meta(gateway).name, namespace: meta(gateway).namespace ?? "" };
    const out: GatewayDestination[] = [];
    for (const o of objects.filter((x) => x.manifest.kind === "HTTPRoute")) {
        const ns = meta(o).namespace ?? "";
        const s = specOf(o);
        const parents = (s.parentRefs as Array<{ name: string; namespace?: string; kind?: string }>) ?? [];
        if (!parents.some((p) => (p.kind ?? "Gateway") === "Gateway" && p.name === gw.name && (p.namespace ?? ns) === gw.namespace)) {
            continue;
        }
        for (const rule of (s.rules as Array<{ backendRefs?: Array<{ name: string; namespace?: string; weight?: number }> }>) ?? []) {
            for (const b of rule.backendRefs ?? []) {
                if (b.weight !== undefined && b.weight <= 0) {
                    continue;
                }
                const backendNs = b.namespace ?? ns;
                const backend = services.find((x) => x.namespace === backendNs && x.name === b.name);
                const front =
                    backend &&
                    services.find((x) => x.namespace === backendNs && x.name !== b.name && matches(x.selector, backend.selector));
                out.push({
                    fqdn: `${(front ?? backend)?.name ?? b.name}.${backendNs}.svc.cluster.local`,
                    selector: backend?.selector ?? { "istio-lab/no-such-service": b.name },
                    host: `${b.name}.${backendNs}.svc.cluster.local`,
                });
            }
        }
    }
    return out;
}

/** The pod labels a DestinationRule subset selects, or undefined when no rule defines the subset. */
function subsetLabels(objects: readonly RenderedObject[], fqdn: string, subset: string): Labels | undefined {
    for (const o of objects.filter((x) => x.manifest.kind === "DestinationRule")) {
        const s = specOf(o);
        if (fqdnOf(s.host as string, meta(o).namespace ?? "") === fqdn) {
            const found = ((s.subsets as Array<{ name: string; labels?: Labels }>) ?? []).find((x) => x.name === subset);
            if (found) {
                return found.labels ?? {};
            }
        }
    }
    return undefined;
}

/**
 * The peer authentication lab's probe matrix: every `sleep.<from>` to every `httpbin.<to>:8000`.
 * A lab without those workloads gets the paths its users' traffic takes instead: the ingress
 * gateway to each guestbook version its routes send traffic to (`404` for every version when no
 * route bound to the gateway names the service; `503` for a route to a version scaled to no pods
 * or a subset no DestinationRule defines), and guestbook to redis. Every row says the data plane:
 * ambient when any of the lab's workloads is in the ambient mesh.
 */
export function probeMatrix(objects: readonly RenderedObject[], root: string): ProbeResult[] {
    const mesh = meshOf(objects, root);
    const dataplane: Dataplane = mesh.workloads.some((w) => w.ambient) ? "ambient" : "sidecar";
    return probes(objects, mesh).map((r) => ({ ...r, dataplane }));
}

function probes(objects: readonly RenderedObject[], mesh: Mesh): Array<Omit<ProbeResult, "dataplane">> {
    const sleeps = mesh.workloads.filter((w) => w.labels.app === "sleep");
    const httpbins = mesh.services.filter((s) => s.name === "httpbin");
    if (sleeps.length > 0 && httpbins.length > 0) {
        return sleeps.flatMap((client) =>
            httpbins.map((svc) => ({ from: client.namespace, to: svc.namespace, ...call(mesh, client, svc, 8000) })),
        );
    }
    const results: Array<Omit<ProbeResult, "dataplane">> = [];
    // The ingress gateway is an Envoy proxy: the control plane's in the root namespace, or the one Istio deploys for a Gateway API Gateway.
    const gatewayApi = istioClassGateway(objects);
    const gateway: Workload = {
        ...(gatewayApi
            ? {
                  namespace: meta(gatewayApi).namespace ?? mesh.root,
                  name: `${meta(gatewayApi).name}-istio`,
                  labels: { "gateway.networking.k8s.io/gateway-name": meta(gatewayApi).name },
              }
            : { namespace: mesh.root, name: "istio-ingressgateway", labels: { istio: "ingressgateway" } }),
        sidecar: true,
        ambient: false,
        replicas: 1,
    };
    const from = `${gateway.name}.${gateway.namespace}`;
    const routed = gatewayApi ? httpRouteDestinations(objects, gatewayApi, mesh.services) : gatewayDestinations(objects, gateway.labels);
    for (const svc of mesh.services.filter((s) => s.name === "guestbook")) {
        const fqdn = `${svc.name}.${svc.namespace}.svc.cluster.local`;
        const versions = mesh.workloads.filter((w) => w.namespace === svc.namespace && matches(svc.selector, w.labels));
        const destinations = routed.filter((d) => d.fqdn === fqdn);
        const labelsOf = (d: GatewayDestination) => d.selector ?? (d.subset === undefined ? {} : subsetLabels(objects, fqdn, d.subset));
        for (const version of versions) {
            if (destinations.length === 0) {
                results.push({ from, to: `${version.name}.${svc.namespace}`, code: "404", mtls: false });
                continue;
            }
            // The first route destination whose pods include this version's.
            const via = destinations.find((d) => {
                const labels = labelsOf(d);
                return labels !== undefined && matches(labels, version.labels);
            });
            if (via) {
                const outcome = version.replicas === 0 ? { code: "503" as const, mtls: false } : call(mesh, gateway, svc, 80, version);
                const policy = routePolicy(objects, via, version.labels);
                results.push({ from, to: `${version.name}.${svc.namespace}`, ...outcome, ...(policy ? { policy } : {}) });
            }
        }
        for (const subset of new Set(destinations.map((d) => d.subset).filter((x): x is string => x !== undefined))) {
            const labels = subsetLabels(objects, fqdn, subset);
            if (labels === undefined || !versions.some((v) => matches(labels, v.labels))) {
                results.push({ from, to: `${svc.name}-${subset}.${svc.namespace}`, code: "503", mtls: false });
            }
        }
        const front = versions[0];
        for (const redis of mesh.services.filter((s) => s.namespace === svc.namespace && s.name.startsWith("redis-"))) {
            if (front) {
                results.push({
                    from: `guestbook.${svc.namespace}`,
                    to: `${redis.name}.${svc.namespace}`,
                    ...call(mesh, front, redis, redis.ports[0].port),
                });
            }
        }
    }
    return results;
}

/** A DestinationRule's host as a Service's full name. */
export function ruleHost(o: RenderedObject): string {
    const host = specOf(o).host;
    return fqdnOf(typeof host === "string" ? host : "", meta(o).namespace ?? "default");
}

/**
 * The traffic policy a routed call meets: the DestinationRules for the host the route names (a VirtualService's
 * `guestbook`, an HTTPRoute's per-version Service), their host-level policy and the policy of the subset the
 * call goes to, by field, with the rules that set them.
 */
function routePolicy(objects: readonly RenderedObject[], via: GatewayDestination, labels: Labels): string | undefined {
    const rules = objects.filter((o) => o.manifest.kind === "DestinationRule" && ruleHost(o) === (via.host ?? via.fqdn));
    const found: string[] = [];
    for (const r of rules) {
        const spec = specOf(r);
        const fields = new Set(Object.keys((spec.trafficPolicy as Record<string, unknown>) ?? {}));
        for (const sub of (spec.subsets as Array<{ name: string; labels?: Labels; trafficPolicy?: Record<string, unknown> }>) ?? []) {
            if ((via.subset === undefined ? matches(sub.labels ?? {}, labels) : sub.name === via.subset) && sub.trafficPolicy) {
                Object.keys(sub.trafficPolicy).forEach((f) => fields.add(f));
            }
        }
        if (fields.size > 0) {
            found.push(`${[...fields].sort().join(", ")} (DestinationRule ${meta(r).namespace}/${meta(r).name})`);
        }
    }
    return found.length > 0 ? found.join("; ") : undefined;
}

/** The lab script's own output format (`scripts/sleep-to-httpbin-test.sh`). */
export function formatMatrix(results: readonly ProbeResult[]): string {
    const dataplane = results[0]?.dataplane ?? "sidecar";
    const lines = [
        dataplane === "ambient"
            ? "# predicted for the ambient data plane (ztunnel: mutual TLS between ambient workloads whatever the policy; httpbin sees no X-Forwarded-Client-Cert)"
            : "# predicted for the sidecar data plane",
        "-----",
    ];
    for (const r of results) {
        if (r.mtls) {
            lines.push(r.dataplane === "ambient" ? "mutual TLS (HBONE, ztunnel)" : "X-Forwarded-Client-Cert");
        }
        const name = (who: string, app: string) => (who.includes(".") ? who : `${app}.${who}`);
        if (r.policy) {
            lines.push(`# traffic policy: ${r.policy}`);
        }
        lines.push(`TEST: ${name(r.from, "sleep")} to ${name(r.to, "httpbin")}: ${r.code}`);
        if (r.code === "000") {
            lines.push("command terminated with exit code 56");
        }
        lines.push("-----");
    }
    return lines.join("\n");
}
