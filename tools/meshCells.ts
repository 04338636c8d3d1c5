// The mesh level of a step's state: what the lab's model predicts (`lab matrix`'s rows, `trafficSplit`, the
// circuit breaker and client TLS the config asks for) held, cell by cell, against what Istio sends each proxy
// (tools/verdict.ts reads the same facts from the proxies' configuration). The e2e's judge and `lab check`
// both compare with this: a cell the two disagree on is the mesh not doing what the lab says.
import type { LabConfig } from "../config";
import { CircuitBreaker, circuitBreakerPolicy } from "../components/traffic";
import { ClusterBreaker, ProxyConfig, RouteEntry, parseClusterName, routeEntries } from "./envoy";
import { isGateway, MeshView } from "./live";
import { ProbeResult, probeMatrix } from "./matrix";
import { RenderedObject, metaOf, specOf } from "./render";
import { MeshPod, callVerdict, clusterPolicy, podsOfCluster, routedClusters, splitOf } from "./verdict";
import type { ZtunnelConfig } from "./ztunnel";
import { RE2JS } from "re2js";
import { linear } from "../components/linear";

/** One compared cell: what the lab's model says and what Istio's configuration says. */
export interface Cell {
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
    host !== undefined && linear(`^guestbook(-[^.]+)?\\.${RE2JS.quote(namespace)}\\.svc\\.cluster\\.local$`).test(host);

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

export type Split = { weights: Record<string, number>; abTest: { header: string; regex: string } | null } | null;

const sortedText = (w: Record<string, number>) =>
    Object.entries(w)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");

/** What Istio's configuration says of the lab, and what the lab says of itself, for one step. */
export function meshCells(objects: readonly RenderedObject[], c: LabConfig, split: Split, view: MeshView): Cell[] {
    const { pods, ztunnel: ambient } = view;
    const cells: Cell[] = [];
    const lab = probeMatrix(objects, c.controlPlane.namespace);
    const isProbeLab = pods.some((p) => p.labels.app === "sleep");
    const gateway = pods.find((p) => p.proxy && isGateway(p));
    const ns = c.guestbook.namespace;
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
    const newest = c.guestbook.versions.at(-1)?.name ?? "v2";
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
