// The mesh's own verdict on the lab, read from what Istio sends each proxy (tools/envoy.ts): for each
// caller and callee the lab's probe names, what the caller's proxy sends (mutual TLS or plain text, per
// endpoint as auto mTLS decides) and what the callee's proxy accepts on the container port; for the ingress,
// how its routes split traffic over the versions and what each routed cluster carries (breaker, TLS).
// `lab matrix` and `trafficSplit` predict the same things from the rendered objects; this reads them from
// Istio, so the two can be held against each other cell by cell.
import {
    Accepts,
    ClusterBreaker,
    ProxyConfig,
    RouteEntry,
    clusterBreaker,
    clusterTls,
    endpointsOf,
    inboundAccepts,
    outboundCluster,
    parseClusterName,
    routeEntries,
    sendsMtls,
} from "./envoy";
import type { ProbeResult } from "./matrix";
import { ZtunnelConfig, workloadAt, ztunnelAccepts } from "./ztunnel";

/** A pod as the verdict sees it: where it is, and the configuration its proxy gets (none without one). */
export interface MeshPod {
    readonly namespace: string;
    readonly name: string;
    readonly ip: string;
    readonly labels: Readonly<Record<string, string>>;
    /** Its proxy's configuration, or null for a pod without a sidecar. */
    readonly proxy: ProxyConfig | null;
    /** Its service account (its identity over mutual TLS), `default` when unset. */
    readonly serviceAccount?: string;
}

/** A pod's identity as the mesh's certificates name it (the trust domain `cluster.local`). */
export const principalOf = (p: MeshPod) => `spiffe://cluster.local/ns/${p.namespace}/sa/${p.serviceAccount ?? "default"}`;

/** What a pod without a sidecar accepts: plain text only (it enforces nothing). */
const PLAIN: Accepts = { mtls: false, plaintext: true };

/**
 * One call from `client` to `server` through `service:port` (to the server's container port): sent is
 * what the caller's proxy sends that endpoint (plain text without a proxy), accepted what the server's
 * inbound chains take. A refused call is `503` from a caller with a sidecar (upstream connect error) and
 * `000` from one without (reset).
 *
 * With `ambient`, what istiod sends ztunnel: a pod without a proxy that ztunnel captured sends through
 * ztunnel, over HBONE (mutual TLS) to a captured workload and in plain text to any other; a captured
 * server accepts what ztunnel's policies (PeerAuthentication converted among them) let through.
 */
export function callVerdict(
    client: MeshPod,
    server: MeshPod,
    serviceHost: string,
    servicePort: number,
    containerPort: number,
    clusterName = outboundCluster(serviceHost, servicePort),
    ambient?: ZtunnelConfig,
): { code: ProbeResult["code"]; mtls: boolean; sent: "mtls" | "plaintext"; accepts: Accepts } {
    const captured = (p: MeshPod) => (ambient && !p.proxy ? workloadAt(ambient, p.ip) : undefined);
    const serverZ = captured(server);
    const clientZ = captured(client);
    let sent: boolean | undefined = false;
    if (client.proxy) {
        sent = sendsMtls(client.proxy, clusterName, server.ip);
    } else if (clientZ?.captured) {
        sent = serverZ?.captured === true;
    }
    let accepts = PLAIN;
    if (server.proxy) {
        accepts = inboundAccepts(server.proxy, containerPort) ?? PLAIN;
    } else if (ambient && serverZ?.captured) {
        accepts = ztunnelAccepts(ambient, serverZ, containerPort, { principal: principalOf(client), namespace: client.namespace });
    }
    const refused = { code: (client.proxy ? "503" : "000") as ProbeResult["code"], mtls: false };
    const how = sent ? "mtls" : "plaintext";
    if (sent === undefined) {
        // The caller's proxy has no cluster for the service: nothing to send it to.
        return { ...refused, sent: "plaintext", accepts };
    }
    const ok = sent ? accepts.mtls : accepts.plaintext;
    return ok ? { code: "200", mtls: sent, sent: how, accepts } : { ...refused, sent: how, accepts };
}

/** The routes of a proxy that send to a host (any port, any subset), in order. */
export function routesTo(cfg: ProxyConfig, host: string): RouteEntry[] {
    return routeEntries(cfg).filter((r) => r.clusters.some((c) => parseClusterName(c.cluster)?.host === host));
}

/** Every cluster a proxy's routes send traffic to (weight above 0), in order, once each. */
export function routedClusters(routes: readonly RouteEntry[]): string[] {
    return [...new Set(routes.flatMap((r) => r.clusters.filter((c) => c.weight > 0).map((c) => c.cluster)))];
}

/** The split of one route in percent of its weights, by the name `name` gives each cluster. */
export function splitOf(route: RouteEntry, name: (cluster: string) => string): Record<string, number> {
    const total = route.clusters.reduce((a, c) => a + c.weight, 0);
    const out: Record<string, number> = {};
    for (const c of route.clusters) {
        if (c.weight > 0) {
            out[name(c.cluster)] = (out[name(c.cluster)] ?? 0) + Math.round((c.weight * 100) / total);
        }
    }
    return out;
}

/** What one routed cluster carries: its client TLS and its breaker. */
export interface ClusterPolicy {
    readonly cluster: string;
    readonly tls: ReturnType<typeof clusterTls>;
    readonly breaker: ClusterBreaker | undefined;
}

export function clusterPolicy(cfg: ProxyConfig, name: string): ClusterPolicy {
    return { cluster: name, tls: clusterTls(cfg, name), breaker: clusterBreaker(cfg, name) };
}

/** The pods a cluster's endpoints are, by address. */
export function podsOfCluster(cfg: ProxyConfig, clusterName: string, pods: readonly MeshPod[]): MeshPod[] {
    const addresses = new Set(endpointsOf(cfg, clusterName).map((e) => e.address));
    return pods.filter((p) => addresses.has(p.ip));
}
