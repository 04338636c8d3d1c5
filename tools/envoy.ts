// Reads Envoy's configuration as Istio sends it to a proxy: the clusters, listeners, routes and endpoints
// one sidecar or gateway gets. One parser for both places that configuration comes from: istiod's own
// answer to a proxy's xDS request (the e2e harness asks the real istiod) and a running proxy's config dump
// (`/config_dump?include_eds`, what `istioctl proxy-config` reads on a cluster). From it, the facts the lab
// teaches: what each inbound port accepts (mutual TLS, plain text or both), what a caller sends each
// destination, how a route splits traffic, and the circuit breaker on a cluster.

import type { CircuitBreaker } from "../components/traffic";
import { linear } from "../components/linear";

/** Envoy's JSON for a message (proto3 JSON, camelCase; `@type` on typed configs). */
type Json = Record<string, unknown>;

/** One proxy's configuration, by kind, each item Envoy's own JSON. */
export interface ProxyConfig {
    readonly clusters: readonly Json[];
    readonly listeners: readonly Json[];
    readonly routes: readonly Json[];
    /** ClusterLoadAssignments (EDS). */
    readonly endpoints: readonly Json[];
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** istiod's answer to one proxy (xdsdump's output for a node): `{clusters, listeners, routes, endpoints}`. */
export function fromXds(answer: unknown): ProxyConfig {
    if (!isObject(answer)) {
        throw new Error("an xDS answer is an object of clusters, listeners, routes and endpoints");
    }
    return {
        clusters: list(answer.clusters),
        listeners: list(answer.listeners),
        routes: list(answer.routes),
        endpoints: list(answer.endpoints),
    };
}

const DUMP = "type.googleapis.com/envoy.admin.v3.";

/** A proxy's `/config_dump?include_eds` (Envoy's admin format): its active, dynamic and static configuration. */
export function fromConfigDump(dump: unknown): ProxyConfig {
    if (!isObject(dump) || !Array.isArray(dump.configs)) {
        throw new Error("an Envoy config dump is an object with a configs list");
    }
    const of = (type: string) => list(dump.configs).find((c) => c["@type"] === `${DUMP}${type}`) ?? {};
    const clusters = of("ClustersConfigDump");
    const listeners = of("ListenersConfigDump");
    const routes = of("RoutesConfigDump");
    const endpoints = of("EndpointsConfigDump");
    return {
        clusters: [...list(clusters.staticClusters), ...list(clusters.dynamicActiveClusters)].map((c) => c.cluster).filter(isObject),
        listeners: [
            ...list(listeners.staticListeners).map((l) => l.listener),
            ...list(listeners.dynamicListeners).map((l) => (isObject(l.activeState) ? l.activeState.listener : undefined)),
        ].filter(isObject),
        routes: [...list(routes.staticRouteConfigs), ...list(routes.dynamicRouteConfigs)].map((r) => r.routeConfig).filter(isObject),
        endpoints: [...list(endpoints.staticEndpointConfigs), ...list(endpoints.dynamicEndpointConfigs)]
            .map((e) => e.endpointConfig)
            .filter(isObject),
    };
}

/** An Istio cluster name, `outbound|<port>|<subset>|<host>` (or `inbound|<port>||`). */
export interface ClusterName {
    readonly direction: "outbound" | "inbound";
    readonly port: number;
    readonly subset: string;
    readonly host: string;
}

const CLUSTER_NAME = linear(/^(outbound|inbound)\|(\d+)\|([^|]*)\|(.*)$/);
const HOST_PORT = linear(/^(.*):(\d+)$/);
const ENVOY_SECONDS = linear(/^\d+(\.\d+)?s$/);

/** Parses an Istio cluster name; undefined for Envoy's own (`PassthroughCluster`, `BlackHoleCluster`, ...). */
export function parseClusterName(name: string): ClusterName | undefined {
    const m = CLUSTER_NAME.exec(name);
    return m ? { direction: m[1] as ClusterName["direction"], port: Number(m[2]), subset: m[3], host: m[4] } : undefined;
}

/** The cluster Istio names for a destination. */
export function outboundCluster(host: string, port: number, subset = ""): string {
    return `outbound|${port}|${subset}|${host}`;
}

export function cluster(cfg: ProxyConfig, name: string): Json | undefined {
    return cfg.clusters.find((c) => c.name === name);
}

const typeOf = (socket: unknown): string => (isObject(socket) && isObject(socket.typedConfig) ? String(socket.typedConfig["@type"]) : "");
const isTls = (socket: unknown): boolean =>
    typeOf(socket).endsWith("UpstreamTlsContext") || typeOf(socket).endsWith("DownstreamTlsContext");

/**
 * How a cluster's client side is set for TLS: `ISTIO_MUTUAL` (a TLS transport socket for every endpoint: a
 * DestinationRule's mode), `auto` (auto mTLS: TLS only to endpoints marked `tlsMode: istio`), or `DISABLE`
 * (plain text to every endpoint); undefined when there is no such cluster.
 */
export function clusterTls(cfg: ProxyConfig, name: string): "ISTIO_MUTUAL" | "auto" | "DISABLE" | undefined {
    const c = cluster(cfg, name);
    if (!c) {
        return undefined;
    }
    if (isTls(c.transportSocket)) {
        return "ISTIO_MUTUAL";
    }
    const matches = list(c.transportSocketMatches);
    if (matches.some((m) => isObject(m.match) && m.match.tlsMode === "istio" && isTls(m.transportSocket))) {
        return "auto";
    }
    return "DISABLE";
}

/** One endpoint of a cluster (EDS): its address and whether istiod marks it as a mesh endpoint (`tlsMode: istio`). */
export interface Endpoint {
    readonly address: string;
    readonly port: number;
    readonly tlsMode: string | undefined;
    /** Reached through the proxy's HBONE tunnel (`connect_originate`): an ambient workload ztunnel receives for, over mutual TLS. */
    readonly tunnel: boolean;
}

/** A cluster's endpoints, as EDS gives them (an HBONE endpoint's address is its `endpointId`, `ip:port`). */
export function endpointsOf(cfg: ProxyConfig, clusterName: string): Endpoint[] {
    const cla = cfg.endpoints.find((e) => e.clusterName === clusterName);
    return list(cla?.endpoints).flatMap((locality) =>
        list(locality.lbEndpoints).map((lb) => {
            const address = isObject(lb.endpoint) && isObject(lb.endpoint.address) ? lb.endpoint.address : {};
            const socket = address.socketAddress;
            const internal = address.envoyInternalAddress;
            const filter = isObject(lb.metadata) && isObject(lb.metadata.filterMetadata) ? lb.metadata.filterMetadata : {};
            const match = filter["envoy.transport_socket_match"];
            const tunnel = isObject(internal) && internal.serverListenerName === "connect_originate";
            const id = tunnel ? HOST_PORT.exec(String(internal.endpointId)) : null;
            return {
                address: isObject(socket) ? String(socket.address) : (id?.[1] ?? ""),
                port: isObject(socket) ? Number(socket.portValue) : Number(id?.[2] ?? 0),
                tlsMode: isObject(match) && typeof match.tlsMode === "string" ? match.tlsMode : undefined,
                tunnel: tunnel && isObject(match) && match.tunnel === "http",
            };
        }),
    );
}

/**
 * Whether this proxy, calling `clusterName`, sends mutual TLS to the endpoint at `address`: always through
 * HBONE (ambient's tunnel is mutual TLS); otherwise as the cluster's TLS says (auto mTLS decides per endpoint).
 */
export function sendsMtls(cfg: ProxyConfig, clusterName: string, address: string): boolean | undefined {
    const mode = clusterTls(cfg, clusterName);
    if (mode === undefined) {
        return undefined;
    }
    const endpoint = endpointsOf(cfg, clusterName).find((e) => e.address === address);
    if (
        endpoint?.tunnel &&
        list(cluster(cfg, clusterName)?.transportSocketMatches).some((m) => isObject(m.match) && m.match.tunnel === "http")
    ) {
        return true;
    }
    if (mode !== "auto") {
        return mode === "ISTIO_MUTUAL";
    }
    return endpoint?.tlsMode === "istio";
}

/** What an inbound port accepts. */
export interface Accepts {
    readonly mtls: boolean;
    readonly plaintext: boolean;
}

/**
 * What a sidecar accepts on a container port: the `virtualInbound` listener's filter chains for that
 * port (or, for a port no Service declares, its catch-all chains): a TLS chain that requires a client
 * certificate accepts mutual TLS, a `raw_buffer` chain plain text. PERMISSIVE has both, STRICT the TLS
 * chain only, DISABLE the plain one only. Undefined when the proxy has no inbound listener.
 */
export function inboundAccepts(cfg: ProxyConfig, containerPort: number): Accepts | undefined {
    const inbound = cfg.listeners.find((l) => l.name === "virtualInbound");
    if (!inbound) {
        return undefined;
    }
    const chains = list(inbound.filterChains).filter((fc) => isObject(fc.filterChainMatch));
    const forPort = chains.filter((fc) => (fc.filterChainMatch as Json).destinationPort === containerPort);
    const relevant = forPort.length > 0 ? forPort : chains.filter((fc) => (fc.filterChainMatch as Json).destinationPort === undefined);
    let mtls = false;
    let plaintext = false;
    for (const fc of relevant) {
        const match = fc.filterChainMatch as Json;
        if (match.transportProtocol === "tls") {
            const ctx = isObject(fc.transportSocket) && isObject(fc.transportSocket.typedConfig) ? fc.transportSocket.typedConfig : {};
            // A TLS chain without a transport socket passes TLS through (the application's own); Istio's mTLS chain terminates it.
            if (ctx.requireClientCertificate === true) {
                mtls = true;
            }
        } else if (match.transportProtocol === "raw_buffer") {
            plaintext = true;
        } else if (match.transportProtocol === undefined && !isTls(fc.transportSocket)) {
            plaintext = true;
        }
    }
    return { mtls, plaintext };
}

/** A header match on a route (the A/B rule). */
export interface HeaderMatch {
    readonly header: string;
    readonly regex?: string;
    readonly exact?: string;
    readonly prefix?: string;
}

/** One route of a virtual host: its header matches and where it sends traffic (cluster and weight). */
export interface RouteEntry {
    readonly routeConfig: string;
    readonly virtualHost: string;
    readonly domains: readonly string[];
    readonly prefix?: string;
    readonly path?: string;
    readonly headers: readonly HeaderMatch[];
    /** Each destination cluster and its weight (one cluster without weights is weight 1). */
    readonly clusters: ReadonlyArray<{ readonly cluster: string; readonly weight: number }>;
    /** A redirect instead of a destination. */
    readonly redirect: boolean;
}

function headerMatch(h: Json): HeaderMatch {
    const header = String(h.name);
    const sm = isObject(h.stringMatch) ? h.stringMatch : {};
    const safe = isObject(sm.safeRegex) ? sm.safeRegex : isObject(h.safeRegexMatch) ? h.safeRegexMatch : undefined;
    if (safe) {
        return { header, regex: String(safe.regex) };
    }
    if (typeof sm.exact === "string" || typeof h.exactMatch === "string") {
        return { header, exact: String(sm.exact ?? h.exactMatch) };
    }
    if (typeof sm.prefix === "string" || typeof h.prefixMatch === "string") {
        return { header, prefix: String(sm.prefix ?? h.prefixMatch) };
    }
    return { header };
}

/** Every route of every route configuration, in Envoy's order (first match wins within a virtual host). */
export function routeEntries(cfg: ProxyConfig): RouteEntry[] {
    return cfg.routes.flatMap((rc) =>
        list(rc.virtualHosts).flatMap((vh) =>
            list(vh.routes).map((r): RouteEntry => {
                const match = isObject(r.match) ? r.match : {};
                const route = isObject(r.route) ? r.route : {};
                const weighted = isObject(route.weightedClusters) ? list(route.weightedClusters.clusters) : [];
                const clusters =
                    weighted.length > 0
                        ? weighted.map((c) => ({ cluster: String(c.name), weight: Number(c.weight ?? 0) }))
                        : typeof route.cluster === "string"
                          ? [{ cluster: route.cluster, weight: 1 }]
                          : [];
                return {
                    routeConfig: String(rc.name),
                    virtualHost: String(vh.name),
                    domains: Array.isArray(vh.domains) ? vh.domains.map(String) : [],
                    prefix: typeof match.prefix === "string" ? match.prefix : undefined,
                    path: typeof match.path === "string" ? match.path : undefined,
                    headers: list(match.headers).map(headerMatch),
                    clusters,
                    redirect: isObject(r.redirect),
                };
            }),
        ),
    );
}

/** The circuit breaker and outlier detection on a cluster, in the lab's terms (Istio's unlimited defaults read as they are). */
export type ClusterBreaker = Omit<CircuitBreaker, "subset">;

/** A duration as Envoy writes it (`"180s"`, `"0.500s"`) in the lab's words (`"3m"`, `"500ms"`). */
export function labDuration(d: unknown): string | undefined {
    if (typeof d !== "string" || !ENVOY_SECONDS.test(d)) {
        return undefined;
    }
    const ms = Math.round(Number(d.slice(0, -1)) * 1000);
    if (ms % 3_600_000 === 0) {
        return `${ms / 3_600_000}h`;
    }
    if (ms % 60_000 === 0) {
        return `${ms / 60_000}m`;
    }
    return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

const num = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : Number(v));

/** The breaker on a cluster; undefined when there is no such cluster. */
export function clusterBreaker(cfg: ProxyConfig, name: string): ClusterBreaker | undefined {
    const c = cluster(cfg, name);
    if (!c) {
        return undefined;
    }
    const thresholds = isObject(c.circuitBreakers) ? list(c.circuitBreakers.thresholds) : [];
    const t = thresholds.find((x) => x.priority === undefined || x.priority === "DEFAULT") ?? {};
    const options = isObject(c.typedExtensionProtocolOptions) ? c.typedExtensionProtocolOptions : {};
    const http = options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
    const common = isObject(http) && isObject(http.commonHttpProtocolOptions) ? http.commonHttpProtocolOptions : {};
    const outlier = isObject(c.outlierDetection) ? c.outlierDetection : undefined;
    return {
        maxConnections: num(t.maxConnections),
        http1MaxPendingRequests: num(t.maxPendingRequests),
        maxRequestsPerConnection: num(common.maxRequestsPerConnection),
        consecutive5xxErrors: outlier ? num(outlier.consecutive5xx) : undefined,
        interval: outlier ? labDuration(outlier.interval) : undefined,
        baseEjectionTime: outlier ? labDuration(outlier.baseEjectionTime) : undefined,
        maxEjectionPercent: outlier ? num(outlier.maxEjectionPercent) : undefined,
    };
}
