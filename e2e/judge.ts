// Istio judges the lab: every step of the traffic lab (on both traffic APIs) and of the peer authentication
// lab, applied with `pulumi up`, then held against what the real istiod (istiod.ts) sends each proxy. For
// each step, cell by cell: `lab matrix`'s rows (each caller to each callee: the code and whether mutual TLS
// was used) against the same call derived from the caller's clusters and endpoints and the callee's inbound
// chains; `trafficSplit` (the weights and the A/B rule) against the ingress's routes; the circuit breaker
// and client TLS the config asks for against the clusters the ingress's traffic really uses.
import { spawnSync } from "child_process";
import { mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import { parseConfig } from "../config";
import { CircuitBreaker, circuitBreakerPolicy } from "../components/traffic";
import { ClusterBreaker, ProxyConfig, RouteEntry, fromXds, parseClusterName, routeEntries } from "../tools/envoy";
import { ProbeResult, probeMatrix, workloadsOf } from "../tools/matrix";
import { runLab } from "../tools/engine";
import { RenderedObject, metaOf, render, specOf } from "../tools/render";
import { schemaProblems } from "../tools/schemas";
import { admissionProblems, meshProblems } from "../tools/validate";
import { MeshPod, callVerdict, clusterPolicy, podsOfCluster, routedClusters, splitOf } from "../tools/verdict";
import { ZtunnelConfig, fromZtunnelXds } from "../tools/ztunnel";
import { ProxyNode, askIstiod } from "./istiod";
import type { Cluster } from "./cluster";
import type { Config, Context, Harness, Scenario } from "./scenario";
import type { IstioTools } from "./toolchain";

const json = (v: unknown) => JSON.stringify(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pod as the API server has it. */
interface LivePod {
    readonly namespace: string;
    readonly name: string;
    /** The Deployment it belongs to (its name without the ReplicaSet's and the pod's suffixes). */
    readonly workload: string;
    readonly ip: string;
    readonly labels: Record<string, string>;
    readonly containers: string[];
    readonly images: string[];
    readonly serviceAccount: string;
    readonly annotations: Record<string, string>;
}

export function livePods(c: Cluster): LivePod[] {
    const items = (
        JSON.parse(c.kubectl(["get", "pods", "-A", "-o", "json"]).stdout) as {
            items: Array<{
                metadata: {
                    name: string;
                    namespace: string;
                    labels?: Record<string, string>;
                    annotations?: Record<string, string>;
                    deletionTimestamp?: string;
                };
                spec: { containers: Array<{ name: string; image: string }>; serviceAccountName?: string };
                status: { podIP?: string; phase?: string };
            }>;
        }
    ).items;
    return items
        .filter((p) => p.status.podIP && p.status.phase === "Running" && !p.metadata.deletionTimestamp)
        .map((p) => ({
            namespace: p.metadata.namespace,
            name: p.metadata.name,
            workload: p.metadata.name.replace(/-[a-z0-9]+-[a-z0-9]+$/, ""),
            ip: p.status.podIP!,
            labels: p.metadata.labels ?? {},
            containers: p.spec.containers.map((x) => x.name),
            images: p.spec.containers.map((x) => x.image),
            serviceAccount: p.spec.serviceAccountName ?? "default",
            annotations: p.metadata.annotations ?? {},
        }));
}

type Labelled = { readonly labels: Readonly<Record<string, string>> };

/** Whether a pod is an ambient waypoint's proxy (istiod deploys it for a Gateway of class `istio-waypoint`). */
const isWaypoint = (p: Labelled) => p.labels["gateway.networking.k8s.io/gateway-class-name"] === "istio-waypoint";

/** Whether a pod is an ingress gateway's proxy (a `router` node to istiod) rather than a sidecar, by its labels. */
const isGateway = (p: Labelled) =>
    p.labels.istio === "ingressgateway" || (p.labels["gateway.networking.k8s.io/gateway-name"] !== undefined && !isWaypoint(p));

/** The annotation Istio's CNI agent sets on a pod whose traffic it redirected to ztunnel (istiod then counts it as captured). */
const REDIRECTION = "ambient.istio.io/redirection";

/**
 * Plays Istio's CNI agent, which kwok cannot run: annotates as redirected every pod of a namespace in the
 * ambient mesh (`istio.io/dataplane-mode: ambient`) that has no sidecar and does not opt out with the
 * pod label `istio.io/dataplane-mode: none`, as the agent does once it has set up the pod's redirection.
 * istiod reads the annotation; without it no workload is in the ambient mesh. Returns whether any changed.
 */
function playCniAgent(c: Cluster, pods: readonly LivePod[]): boolean {
    const namespaces = JSON.parse(c.kubectl(["get", "namespaces", "-l", "istio.io/dataplane-mode=ambient", "-o", "json"]).stdout) as {
        items: Array<{ metadata: { name: string } }>;
    };
    const ambient = new Set(namespaces.items.map((n) => n.metadata.name));
    const todo = pods.filter(
        (p) =>
            ambient.has(p.namespace) &&
            !p.containers.includes("istio-proxy") &&
            p.labels["istio.io/dataplane-mode"] !== "none" &&
            p.annotations[REDIRECTION] !== "enabled",
    );
    for (const p of todo) {
        c.kubectl(["annotate", "pod", "-n", p.namespace, p.name, `${REDIRECTION}=enabled`, "--overwrite"]);
    }
    return todo.length > 0;
}

/** What istiod sends: each of the lab's pods with its proxy's configuration, and ztunnel's (none without a ztunnel). */
interface MeshView {
    readonly pods: MeshPod[];
    readonly ztunnel?: ZtunnelConfig;
}

/** The lab's pods with what istiod sends each one's proxy (the control plane's own pods left out), and what it sends ztunnel. */
function meshView(c: Cluster, istio: IstioTools, namespaces: readonly string[]): MeshView {
    let all = livePods(c);
    if (playCniAgent(c, all)) {
        all = livePods(c);
    }
    // A waypoint is left out: no call of the lab's is addressed to it (the ingress sends to the pods directly,
    // and ztunnel's policies judge a call through it by the caller's identity).
    const pods = all.filter((p) => (namespaces.includes(p.namespace) || isGateway(p)) && !isWaypoint(p));
    const proxied = pods.filter((p) => p.containers.includes("istio-proxy"));
    const nodes: ProxyNode[] = proxied.map((p) => ({
        type: isGateway(p) ? "router" : "sidecar",
        ip: p.ip,
        pod: p.name,
        namespace: p.namespace,
    }));
    // ztunnel's node: the ztunnel DaemonSet's pod (istiod sends every node's ztunnel the whole mesh's workloads).
    const zt = all.find((p) => p.labels.app === "ztunnel");
    if (zt) {
        nodes.push({ type: "ztunnel", ip: zt.ip, pod: zt.name, namespace: zt.namespace });
    }
    const answers = nodes.length > 0 ? askIstiod(istio, nodes) : [];
    if (process.env.ISTIO_LAB_E2E_RECORD && recording.step) {
        // ISTIO_LAB_E2E_RECORD=DIR keeps istiod's answers of each step (the unit tests' recorded configuration comes from here).
        mkdirSync(process.env.ISTIO_LAB_E2E_RECORD, { recursive: true });
        const file = path.join(process.env.ISTIO_LAB_E2E_RECORD, `${recording.step.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.json`);
        const labelled = [...proxied, ...(zt ? [zt] : [])];
        writeFileSync(file, json(nodes.map((n, i) => ({ node: n, labels: labelled[i].labels, answer: answers[i] }))));
    }
    const configs = new Map(proxied.map((p, i) => [p.name, fromXds(answers[i])]));
    return {
        pods: pods.map((p) => ({
            namespace: p.namespace,
            name: p.workload,
            ip: p.ip,
            labels: p.labels,
            serviceAccount: p.serviceAccount,
            proxy: configs.get(p.name) ?? null,
        })),
        ztunnel: zt ? fromZtunnelXds(answers[nodes.length - 1]) : undefined,
    };
}

/** The step being read, for ISTIO_LAB_E2E_RECORD's file names. */
const recording: { step?: string } = {};

/** One compared cell: what the lab's model says and what istiod's configuration says. */
interface Cell {
    readonly what: string;
    readonly lab: string;
    readonly istio: string;
}

const probeText = (r: { code: string; mtls: boolean }) => `${r.code}${r.mtls ? " mTLS" : ""}`;

/** A cluster's version: a VirtualService subset's name, or the per-version Service's (`guestbook-v2` is `v2`). */
function versionOfCluster(clusterName: string): string {
    const c = parseClusterName(clusterName);
    if (!c) {
        return clusterName;
    }
    return c.subset || (/^guestbook-([^.]+)\./.exec(c.host)?.[1] ?? c.host.split(".")[0]);
}

const isGuestbookHost = (host: string | undefined, namespace: string) =>
    host !== undefined && new RegExp(`^guestbook(-[^.]+)?\\.${namespace}\\.svc\\.cluster\\.local$`).test(host);

/** The ingress's routes to the guestbook's Services, of the first route configuration and virtual host that has any. */
function guestbookRoutes(cfg: ProxyConfig, namespace: string): RouteEntry[] {
    const all = routeEntries(cfg).filter(
        (r) => !r.redirect && r.clusters.some((c) => isGuestbookHost(parseClusterName(c.cluster)?.host, namespace)),
    );
    const first = all[0];
    return first ? all.filter((r) => r.routeConfig === first.routeConfig && r.virtualHost === first.virtualHost) : [];
}

const uniqueWorkloads = (pods: readonly MeshPod[]) => [...new Map(pods.map((p) => [p.name, p])).values()];

/** The lab matrix's guestbook rows as istiod configures them: the ingress to each version it routes to, the app to redis. */
function ingressRows(pods: readonly MeshPod[], namespace: string, gateway: MeshPod | undefined, ambient?: ZtunnelConfig): Row[] {
    const rows: Row[] = [];
    const versions = uniqueWorkloads(pods.filter((p) => p.namespace === namespace && p.labels.app === "guestbook"));
    if (gateway?.proxy) {
        const from = `${gateway.name}.${gateway.namespace}`;
        const clusters = routedClusters(guestbookRoutes(gateway.proxy, namespace));
        for (const version of versions) {
            if (clusters.length === 0) {
                rows.push({ from, to: `${version.name}.${namespace}`, code: "404", mtls: false });
                continue;
            }
            // The first routed cluster one of this version's pods is an endpoint of, and that pod.
            for (const cl of clusters) {
                const server = podsOfCluster(gateway.proxy, cl, pods).find((p) => p.name === version.name);
                if (server) {
                    const c = parseClusterName(cl)!;
                    const v = callVerdict(gateway, server, c.host, c.port, 3000, cl, ambient);
                    rows.push({ from, to: `${version.name}.${namespace}`, code: v.code, mtls: v.mtls });
                    break;
                }
            }
        }
    }
    const front = pods.find((p) => p.name === versions[0]?.name);
    for (const redis of uniqueWorkloads(pods.filter((p) => p.namespace === namespace && p.labels.app === "redis"))) {
        if (front) {
            const host = `${redis.name}.${namespace}.svc.cluster.local`;
            const v = callVerdict(front, redis, host, 6379, 6379, undefined, ambient);
            rows.push({ from: `guestbook.${namespace}`, to: `${redis.name}.${namespace}`, code: v.code, mtls: v.mtls });
        }
    }
    return rows;
}

/** The peer authentication lab's probe as istiod configures it: every sleep to every httpbin on port 8000 (container port 80). */
function probeRows(pods: readonly MeshPod[], containerPort: (namespace: string) => number, ambient?: ZtunnelConfig): Row[] {
    const sleeps = pods.filter((p) => p.labels.app === "sleep");
    const httpbins = pods.filter((p) => p.labels.app === "httpbin");
    return sleeps.flatMap((client) =>
        httpbins.map((server) => {
            const host = `httpbin.${server.namespace}.svc.cluster.local`;
            const v = callVerdict(client, server, host, 8000, containerPort(server.namespace), undefined, ambient);
            return { from: client.namespace, to: server.namespace, code: v.code, mtls: v.mtls };
        }),
    );
}

type Row = Omit<ProbeResult, "dataplane">;

/** Istio's unlimited defaults (or no cluster policy at all) read as no breaker. */
function breakerText(b: ClusterBreaker | undefined): string {
    if (!b || ((b.maxConnections === undefined || b.maxConnections >= 2 ** 31) && b.consecutive5xxErrors === undefined)) {
        return "none";
    }
    return BREAKER_FIELDS.map((k) => `${k} ${b[k] ?? "-"}`).join(", ");
}

const BREAKER_FIELDS = [
    "maxConnections",
    "http1MaxPendingRequests",
    "maxRequestsPerConnection",
    "consecutive5xxErrors",
    "interval",
    "baseEjectionTime",
    "maxEjectionPercent",
] as const;

/** The breaker a lab's config asks for, in the same terms (its defaults filled in as the DestinationRule has them). */
function wantedBreaker(cb: CircuitBreaker): ClusterBreaker {
    const p = circuitBreakerPolicy(cb) as {
        connectionPool: { tcp: { maxConnections: number }; http: { http1MaxPendingRequests: number; maxRequestsPerConnection: number } };
        outlierDetection: { consecutive5xxErrors: number; interval: string; baseEjectionTime: string; maxEjectionPercent: number };
    };
    return {
        maxConnections: p.connectionPool.tcp.maxConnections,
        http1MaxPendingRequests: p.connectionPool.http.http1MaxPendingRequests,
        maxRequestsPerConnection: p.connectionPool.http.maxRequestsPerConnection,
        ...p.outlierDetection,
    };
}

type Split = { weights: Record<string, number>; abTest: { header: string; regex: string } | null } | null;

const sortedText = (w: Record<string, number>) =>
    Object.entries(w)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");

/** What istiod's configuration says of the lab, and what the lab says of itself, for one step. */
function compare(objects: readonly RenderedObject[], config: Config, split: Split, view: MeshView): Cell[] {
    const { pods, ztunnel: ambient } = view;
    const cells: Cell[] = [];
    const lab = probeMatrix(objects, "istio-system");
    const isProbeLab = pods.some((p) => p.labels.app === "sleep");
    const gateway = pods.find((p) => p.proxy && isGateway(p));
    const c = parseConfig(config);
    const ns = c.guestbook?.namespace ?? "guestbook";
    const istio = isProbeLab ? probeRows(pods, (n) => targetPortOf(objects, n), ambient) : ingressRows(pods, ns, gateway, ambient);
    const key = (r: Row) => `${r.from} to ${r.to}`;
    const mine = new Map(istio.map((r) => [key(r), probeText(r)]));
    const theirs = new Map(lab.map((r) => [key(r), probeText(r)]));
    for (const k of [...new Set([...theirs.keys(), ...mine.keys()])]) {
        cells.push({ what: `matrix ${k}`, lab: theirs.get(k) ?? "(no row)", istio: mine.get(k) ?? "(no row)" });
    }
    if (isProbeLab || !gateway?.proxy) {
        return cells;
    }
    const routes = guestbookRoutes(gateway.proxy, ns);
    const header = routes.find((r) => r.headers.length > 0);
    const last = routes.filter((r) => r.headers.length === 0).at(-1);
    // The split: the default route's weights in percent, or for round robin (one cluster, no subset) its endpoints' pods by version.
    let weights: Record<string, number> = {};
    if (last && last.clusters.length === 1 && !parseClusterName(last.clusters[0].cluster)?.subset && c.routing === "roundRobin") {
        const serving = podsOfCluster(gateway.proxy, last.clusters[0].cluster, pods);
        for (const p of serving) {
            const v = p.name.replace(/^guestbook-/, "");
            weights[v] = (weights[v] ?? 0) + 1;
        }
        weights = Object.fromEntries(Object.entries(weights).map(([k, n]) => [k, Math.round((n * 100) / serving.length)]));
    } else if (last) {
        weights = splitOf(last, versionOfCluster);
    }
    cells.push({ what: "trafficSplit weights", lab: split ? sortedText(split.weights) : "(none)", istio: sortedText(weights) });
    const ab = header
        ? `${header.headers.map((h) => `${h.header} ~ ${h.regex ?? h.exact ?? h.prefix}`).join(" & ")} to ${header.clusters.map((x) => versionOfCluster(x.cluster)).join(", ")}`
        : "none";
    const newest = (c.guestbook?.versions ?? []).at(-1)?.name ?? "v2";
    cells.push({
        what: "trafficSplit abTest",
        lab: split?.abTest ? `${split.abTest.header} ~ ${split.abTest.regex} to ${newest}` : "none",
        istio: ab,
    });
    // Breaker and client TLS on every cluster the ingress's routes send to.
    for (const cl of routedClusters(routes)) {
        const version = versionOfCluster(cl);
        const policy = clusterPolicy(gateway.proxy, cl);
        const cb = c.circuitBreaker;
        const wanted = cb && (cb.subset === undefined || cb.subset === version) ? wantedBreaker(cb) : undefined;
        cells.push({ what: `breaker on ${cl}`, lab: breakerText(wanted), istio: breakerText(policy.breaker) });
        cells.push({ what: `client TLS on ${cl}`, lab: c.clientTls ?? "auto", istio: policy.tls ?? "(no cluster)" });
    }
    return cells;
}

function targetPortOf(objects: readonly RenderedObject[], namespace: string): number {
    const svc = objects.find((o) => o.manifest.kind === "Service" && metaOf(o).name === "httpbin" && metaOf(o).namespace === namespace);
    const port = ((specOf(svc!).ports as Array<{ port: number; targetPort?: number }>) ?? [])[0];
    return port.targetPort ?? port.port;
}

/** One step of a lab: its name (after the seed documents) and the config it sets over the stack's. */
export interface JudgedStep {
    readonly name: string;
    readonly set: Config;
}

/** The traffic lab's steps (the seed's VirtualService states, then its circuit breaker and mutual TLS pages). */
export const TRAFFIC_STEPS: readonly JudgedStep[] = [
    { name: "all-v1", set: { "istio-lab:canaryWeight": "0" } },
    { name: "A/B test", set: { "istio-lab:canaryWeight": "0", "istio-lab:abTest": "{}" } },
    { name: "canary 80/20", set: { "istio-lab:canaryWeight": "20" } },
    { name: "all-v2", set: { "istio-lab:canaryWeight": "100" } },
    { name: "round robin", set: { "istio-lab:canaryWeight": "0", "istio-lab:routing": "roundRobin" } },
    { name: "circuit breaker", set: { "istio-lab:canaryWeight": "20", "istio-lab:circuitBreaker": "{}" } },
    {
        name: "circuit breaker on v2",
        set: { "istio-lab:canaryWeight": "20", "istio-lab:circuitBreaker": json({ subset: "v2", maxConnections: 3 }) },
    },
    { name: "client TLS ISTIO_MUTUAL", set: { "istio-lab:canaryWeight": "20", "istio-lab:clientTls": "ISTIO_MUTUAL" } },
    { name: "client TLS DISABLE", set: { "istio-lab:canaryWeight": "20", "istio-lab:clientTls": "DISABLE" } },
];

const pa = (policies: unknown[]) => ({ "istio-lab:peerAuth": json(policies) });

/** The peer authentication lab's steps 8 to 13 (README's config for each). */
export const PEER_AUTH_STEPS: readonly JudgedStep[] = [
    { name: "step 8: no policy", set: pa([]) },
    { name: "step 9: mesh STRICT", set: pa([{ mode: "STRICT", scope: "mesh" }]) },
    { name: "step 10: namespace foo STRICT", set: pa([{ mode: "STRICT", scope: "namespace", namespace: "foo" }]) },
    {
        name: "step 11: workload httpbin.bar STRICT",
        set: pa([{ mode: "STRICT", scope: "workload", namespace: "bar", selector: { app: "httpbin" } }]),
    },
    {
        name: "step 12: port 80 DISABLE",
        set: pa([
            { mode: "STRICT", scope: "port", namespace: "bar", selector: { app: "httpbin" }, portLevelMtls: { "80": { mode: "DISABLE" } } },
        ]),
    },
    {
        name: "step 13: namespace STRICT, workload DISABLE",
        set: pa([
            { mode: "STRICT", scope: "namespace", namespace: "foo", name: "namespace-peer-auth-policy-foo" },
            {
                mode: "DISABLE",
                scope: "workload",
                namespace: "foo",
                selector: { app: "httpbin" },
                name: "workload-peer-auth-policy-httpbin-foo",
            },
        ]),
    },
];

/** The namespaces whose pods the lab's cells are about. */
function labNamespacesOf(objects: readonly RenderedObject[]): string[] {
    return objects.filter((o) => o.manifest.kind === "Namespace").map((o) => metaOf(o).name);
}

/**
 * Reads the cells until two reads half a second apart agree: istiod debounces a change for 100 ms
 * (PILOT_DEBOUNCE_AFTER) before it rebuilds what it sends, so a first read half a second after the
 * update and a second one about a second later (a read takes about 0.7 s) see a push that has settled.
 */
export async function settledCells(x: Context, objects: readonly RenderedObject[], config: Config, split: Split): Promise<Cell[]> {
    await sleep(500);
    let last = "";
    let cells: Cell[] = [];
    for (let i = 0; i < 30; i++) {
        cells = compare(objects, config, split, meshView(x.cluster, x.istio, labNamespacesOf(objects)));
        const now = json(cells);
        if (now === last) {
            return cells;
        }
        last = now;
        await sleep(500);
    }
    return cells;
}

/** One line of the printed table. */
export interface JudgedRow {
    readonly lab: string;
    readonly step: string;
    readonly cells: number;
    readonly disagreements: readonly Cell[];
}

export function formatJudgement(rows: readonly JudgedRow[]): string {
    const lines = ["| lab | step | cells | agreed | disagreed |", "|---|---|---|---|---|"];
    for (const r of rows) {
        lines.push(`| ${r.lab} | ${r.step} | ${r.cells} | ${r.cells - r.disagreements.length} | ${r.disagreements.length} |`);
    }
    const total = rows.reduce((a, r) => a + r.cells, 0);
    const bad = rows.reduce((a, r) => a + r.disagreements.length, 0);
    lines.push(`| all | ${rows.length} steps | ${total} | ${total - bad} | ${bad} |`);
    for (const r of rows) {
        for (const d of r.disagreements) {
            lines.push(`disagreement: ${r.lab}, ${r.step}, ${d.what}: lab ${d.lab}, istiod ${d.istio}`);
        }
    }
    return lines.join("\n");
}

/**
 * The real injector against the lab's model: every meshed workload's pods carry `istio-proxy` (Istio's
 * proxy image, `auto` filled in for gateways), and no pod of a workload the lab keeps out of the mesh does.
 */
function checkInjection(x: Context, objects: readonly RenderedObject[], release: string): string {
    const pods = livePods(x.cluster);
    const problems: string[] = [];
    let meshed = 0;
    let plain = 0;
    for (const w of workloadsOf(objects)) {
        const mine = pods.filter((p) => p.namespace === w.namespace && p.workload === w.name);
        if (mine.length !== w.replicas) {
            problems.push(`${w.name}.${w.namespace}: ${mine.length} running pods, not ${w.replicas}`);
        }
        for (const p of mine) {
            const injected = p.containers.includes("istio-proxy");
            if (injected !== w.sidecar) {
                problems.push(
                    `${p.name}.${p.namespace}: ${injected ? "injected" : "not injected"}, the lab says ${w.sidecar ? "sidecar" : "none"}`,
                );
            }
            if (injected) {
                meshed++;
            } else {
                plain++;
            }
        }
    }
    const gateways = pods.filter(isGatewayLive);
    for (const g of gateways) {
        const image = g.images[g.containers.indexOf("istio-proxy")] ?? g.images[0];
        // The ambient profile's charts ask for the distroless variant of the same image.
        if (image !== `docker.io/istio/proxyv2:${release}` && image !== `docker.io/istio/proxyv2:${release}-distroless`) {
            problems.push(`${g.name}.${g.namespace}: proxy image ${image}, not docker.io/istio/proxyv2:${release}(-distroless)`);
        }
    }
    if (problems.length > 0) {
        throw new Error(`injection: ${problems.join("; ")}`);
    }
    return `${meshed} pods injected with istio-proxy, ${plain} left plain as the lab says; ${gateways.length} gateway pod(s) with image auto filled in`;
}

const isGatewayLive = (p: LivePod) => isGateway(p) && p.containers.includes("istio-proxy");

/** Codes `istioctl analyze` reports here that say nothing about the lab, with why. */
const ANALYZE_IGNORED: Readonly<Record<string, string>> = {
    IST0164: "the harness reaches istiod's webhooks by URL (an IP address), as no istiod Service answers in its network namespace",
};

/**
 * `istioctl analyze` of the live cluster: its findings about the lab's objects and namespaces (the cluster's
 * own, such as `default` not labelled for injection, are not the lab's), less the ones the harness's URL
 * webhooks cause and the injection notes on namespaces the lab keeps out of the mesh on purpose (`legacy`).
 */
export function analyzeLive(x: Context, objects: readonly RenderedObject[]): { findings: string[]; ignored: string[] } {
    const r = spawnSync(x.istio.istioctl, ["analyze", "--kubeconfig", x.cluster.kubeconfig, "--all-namespaces", "-o", "json"], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    let messages: Array<{ code: string; level: string; message: string; origin?: string }>;
    try {
        messages = JSON.parse(r.stdout || "[]") as typeof messages;
    } catch {
        throw new Error(`istioctl analyze exited ${r.status}: ${(r.stdout + r.stderr).trim().slice(0, 800)}`);
    }
    const namespaces = labNamespacesOf(objects);
    const meshed = new Set(
        workloadsOf(objects)
            .filter((w) => w.sidecar)
            .map((w) => w.namespace),
    );
    const about = (m: { origin?: string }) => {
        const origin = m.origin ?? "";
        const ns = /^Namespace (\S+)$/.exec(origin)?.[1] ?? /^\S+ ([^/\s]+)\//.exec(origin)?.[1];
        return ns === undefined || namespaces.includes(ns) ? (ns ?? "") : null;
    };
    const findings: string[] = [];
    const ignored: string[] = [];
    for (const m of messages) {
        const ns = about(m);
        const text = `${m.code} ${m.level} ${m.origin ?? ""}: ${m.message}`;
        if (ns === null) {
            continue; // not the lab's
        }
        if (ANALYZE_IGNORED[m.code] !== undefined) {
            ignored.push(`${m.code} (${ANALYZE_IGNORED[m.code]})`);
        } else if (
            m.code === "IST0107" &&
            /networking\.istio\.io\/service-type can only be applied to Gateway/.test(m.message) &&
            /-istio\b/.test(m.origin ?? "")
        ) {
            ignored.push(
                "IST0107 on what istiod deploys for a Gateway (it copies the Gateway's service-type annotation, which Istio documents on the Gateway, onto the Deployment, Service and pods)",
            );
        } else if (m.code === "IST0102" && ns !== "" && !meshed.has(ns)) {
            ignored.push(`IST0102 for ${ns} (the lab keeps it out of the mesh: its probes call from outside)`);
        } else {
            findings.push(text);
        }
    }
    return { findings, ignored };
}

/** The traffic lab's steps in ambient mode: all but client TLS, which the lab refuses there (ztunnel's HBONE is always mutual TLS). */
const AMBIENT_TRAFFIC_STEPS = TRAFFIC_STEPS.filter((s) => s.set["istio-lab:clientTls"] === undefined);

/** The peer authentication lab's steps in ambient mode: 8 to 11 (the lab refuses DISABLE there, which steps 12 and 13 set). */
const AMBIENT_PEER_AUTH_STEPS = PEER_AUTH_STEPS.filter((s) => !s.set["istio-lab:peerAuth"].includes("DISABLE"));

/** The labs judged: the traffic lab on both traffic APIs and in ambient mode, and the peer authentication lab with sidecars and in ambient. */
const JUDGED: ReadonlyArray<{
    lab: string;
    stack: string;
    steps: readonly JudgedStep[];
    gatewayApi: boolean;
    set?: Config;
    /** Scenario 13's checks run in this lab's stand-up (the gateway-api and ambient stacks as shipped). */
    gatewayLab?: boolean;
}> = [
    { lab: "traffic (Istio API)", stack: "kubernetes", steps: TRAFFIC_STEPS, gatewayApi: false },
    { lab: "traffic (Gateway API)", stack: "gateway-api", steps: TRAFFIC_STEPS, gatewayApi: true, gatewayLab: true },
    { lab: "traffic (ambient)", stack: "ambient", steps: AMBIENT_TRAFFIC_STEPS, gatewayApi: true, gatewayLab: true },
    { lab: "peer authentication", stack: "peer-auth", steps: PEER_AUTH_STEPS, gatewayApi: false },
    {
        lab: "peer authentication (ambient)",
        stack: "peer-auth",
        steps: AMBIENT_PEER_AUTH_STEPS,
        // Ambient installs the Gateway API CRDs (a waypoint is a Gateway API Gateway).
        gatewayApi: true,
        set: { "istio-lab:dataplane": "ambient" },
    },
];

/** Scenario 14. */
export function judgeScenario(h: Harness): Scenario {
    return {
        name: "14 Istio judges the lab: each step of the traffic lab (both traffic APIs, and ambient) and the peer authentication lab (steps 8 to 13, sidecars and ambient) applied, then lab matrix, trafficSplit, the breaker and client TLS held cell by cell against what the real istiod sends each proxy and ztunnel; the real injector against the lab's sidecars; istioctl analyze of the live cluster; scenario 13's checks in the gateway-api and ambient stand-ups",
        run: async (x) => {
            const rows: JudgedRow[] = [];
            const notes: string[] = [];
            const gatewayLabNotes: string[] = [];
            const failures: string[] = [];
            // ISTIO_LAB_E2E_JUDGE=TEXT judges only the labs whose name contains it (a developer's shortcut; CI judges all).
            const only = process.env.ISTIO_LAB_E2E_JUDGE;
            for (const l of JUDGED.filter((j) => !only || j.lab.includes(only))) {
                const base = {
                    ...h.config(x.engine, l.stack, l.gatewayApi ? { "istio-lab:gatewayApiCrds": x.gatewayApiCrds } : {}),
                    ...l.set,
                };
                const name = `judge-${l.stack}${l.set?.["istio-lab:dataplane"] === "ambient" ? "-ambient" : ""}`;
                await h.withStack(x.ws, name, base, async () => {
                    const up = await h.up(x, name);
                    if (l.gatewayLab) {
                        gatewayLabNotes.push(await h.gatewayLab.upChecks(x, name, base, up));
                    }
                    const objects = render((await runLab(base, { stack: name })).resources);
                    notes.push(`${l.stack}: ${checkInjection(x, objects, x.istio.release)}`);
                    if (l.stack === "kubernetes") {
                        try {
                            notes.push(checkAdmissionParity(x.cluster));
                        } catch (e) {
                            failures.push((e as Error).message);
                        }
                    }
                    const analysis = analyzeLive(x, objects);
                    if (analysis.findings.length > 0) {
                        failures.push(`${l.stack}: istioctl analyze: ${analysis.findings.join("; ")}`);
                    }
                    notes.push(
                        `${l.stack}: istioctl analyze clean${analysis.ignored.length > 0 ? ` but for ${[...new Set(analysis.ignored)].join(", ")}` : ""}`,
                    );
                    let config = base;
                    for (const step of l.steps) {
                        config = { ...base, ...step.set };
                        x.ws.configure(name, config);
                        await h.up(x, name);
                        const stepObjects = render((await runLab(config, { stack: name })).resources);
                        const split = JSON.parse(
                            x.ws.pulumi(["stack", "output", "trafficSplit", "--json", "--stack", name]).stdout || "null",
                        ) as Split;
                        recording.step = `${l.stack} ${step.name}`;
                        const cells = await settledCells(x, stepObjects, config, split);
                        rows.push({
                            lab: l.lab,
                            step: step.name,
                            cells: cells.length,
                            disagreements: cells.filter((c) => c.lab !== c.istio),
                        });
                    }
                    if (l.gatewayLab) {
                        gatewayLabNotes[gatewayLabNotes.length - 1] += `, ${await h.gatewayLab.destroyChecks(x, name, config)}`;
                    }
                });
            }
            const table = formatJudgement(rows);
            if (gatewayLabNotes.length > 0) {
                notes.push(`scenario 13's checks: ${gatewayLabNotes.join("; ")}`);
            }
            console.log(table);
            const total = rows.reduce((a, r) => a + r.cells, 0);
            const bad = rows.reduce((a, r) => a + r.disagreements.length, 0);
            if (failures.length > 0) {
                throw new Error(failures.join("; "));
            }
            if (bad > 0 || total === 0) {
                throw new Error(
                    `${bad} of ${total} cells disagree with istiod:\n${table
                        .split("\n")
                        .filter((l) => l.startsWith("disagreement"))
                        .join("\n")}`,
                );
            }
            return `${total} cells over ${rows.length} steps, 0 disagreements; ${notes.join("; ")}`;
        },
    };
}

/** Istio objects Istio's admission refuses (its CRD rules or istiod's validating webhook), each as a user might write it. */
export const REFUSED_OBJECTS: ReadonlyArray<{
    readonly what: string;
    /** What Istio's answer and lab validate's reason must both say. */
    readonly says: string;
    readonly manifest: Record<string, unknown>;
}> = [
    {
        what: "a negative route weight",
        says: "weight -5 < 0",
        manifest: {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "negative-weight", namespace: "guestbook" },
            spec: {
                hosts: ["guestbook"],
                http: [
                    {
                        route: [
                            { destination: { host: "guestbook", subset: "v1" }, weight: -5 },
                            { destination: { host: "guestbook", subset: "v2" }, weight: 105 },
                        ],
                    },
                ],
            },
        },
    },
    {
        what: "a wildcard host on a mesh route",
        says: "wildcard host * is not allowed for virtual services bound to the mesh gateway",
        manifest: {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "mesh-wildcard", namespace: "guestbook" },
            spec: { hosts: ["*"], http: [{ route: [{ destination: { host: "guestbook" } }] }] },
        },
    },
    {
        what: "a gateway port out of range",
        says: "port number 99999 must be in the range 1..65535",
        manifest: {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "bad-port", namespace: "guestbook" },
            spec: {
                selector: { istio: "ingressgateway" },
                servers: [{ port: { number: 99999, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
            },
        },
    },
    {
        what: "a duplicate subset",
        says: "duplicate subset names: v1",
        manifest: {
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: { name: "duplicate-subset", namespace: "guestbook" },
            spec: {
                host: "guestbook",
                subsets: [
                    { name: "v1", labels: { version: "1.0" } },
                    { name: "v1", labels: { version: "2.0" } },
                ],
            },
        },
    },
    {
        what: "a header regex RE2 cannot compile (lookahead)",
        says: "Istio uses RE2 style regex-based match",
        manifest: {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "lookahead", namespace: "guestbook" },
            spec: {
                hosts: ["guestbook"],
                http: [
                    {
                        match: [{ headers: { "user-agent": { regex: "(?!Chrome).*Firefox.*" } } }],
                        route: [{ destination: { host: "guestbook" } }],
                    },
                ],
            },
        },
    },
    {
        what: "all route weights zero",
        says: "total destination weight = 0",
        manifest: {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "zero-weights", namespace: "guestbook" },
            spec: {
                hosts: ["guestbook"],
                http: [
                    {
                        route: [
                            { destination: { host: "guestbook", subset: "v1" }, weight: 0 },
                            { destination: { host: "guestbook", subset: "v2" }, weight: 0 },
                        ],
                    },
                ],
            },
        },
    },
    {
        what: "port-level mTLS without a selector",
        says: "portLevelMtls requires selector",
        manifest: {
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: { name: "port-no-selector", namespace: "guestbook" },
            spec: { mtls: { mode: "STRICT" }, portLevelMtls: { "80": { mode: "DISABLE" } } },
        },
    },
];

/** What Istio's admission says of each refused object (a server-side dry run: nothing is stored). */
export function admissionVerdicts(c: Cluster): Array<{ what: string; refused: boolean; message: string }> {
    return REFUSED_OBJECTS.map((o) => {
        const r = c.kubectl(["apply", "--dry-run=server", "-f", "-"], json(o.manifest), true);
        return { what: o.what, refused: r.status !== 0, message: r.stderr.trim() };
    });
}

/** lab validate's reasons for one object alone (schemas, mesh checks, admission checks). */
export function labValidateReasons(manifest: Record<string, unknown>): string[] {
    const objects = [
        { type: `kubernetes:${String(manifest.apiVersion)}:${String(manifest.kind)}`, name: "x", manifest },
    ] as unknown as RenderedObject[];
    return [...schemaProblems(objects), ...meshProblems(objects), ...admissionProblems(objects)].map((p) => p.reason);
}

/** Istio's admission and lab validate on each refused object: both refuse it, and both say why in the same words. */
export function checkAdmissionParity(c: Cluster): string {
    const problems: string[] = [];
    for (const [i, v] of admissionVerdicts(c).entries()) {
        const o = REFUSED_OBJECTS[i];
        const reasons = labValidateReasons(o.manifest);
        if (!v.refused || !v.message.includes(o.says)) {
            problems.push(`${o.what}: Istio ${v.refused ? `refused it saying ${v.message}` : "accepted it"}, not "${o.says}"`);
        }
        if (!reasons.some((r) => r.includes(o.says))) {
            problems.push(`${o.what}: lab validate says [${reasons.join("; ")}], not "${o.says}"`);
        }
    }
    if (problems.length > 0) {
        throw new Error(`admission: ${problems.join("; ")}`);
    }
    return `${REFUSED_OBJECTS.length} objects Istio refuses, lab validate refuses each in Istio's words`;
}
