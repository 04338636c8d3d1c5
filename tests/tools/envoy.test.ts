// The Envoy parser (tools/envoy.ts) and the verdict on it (tools/verdict.ts) on configuration the real
// istiod sent the lab's proxies in the e2e harness (`ISTIO_LAB_E2E_RECORD=DIR npm run e2e`, Istio 1.31.0),
// kept in tests/fixtures/istiod/ with only the resources these facts read: the callees' inbound listener,
// the callers' clusters and endpoints for the probes, the ingress gateway's routes, clusters and endpoints.
import { expect } from "chai";
import { readFileSync } from "fs";
import * as path from "path";
import {
    ProxyConfig,
    clusterTls,
    endpointsOf,
    fromXds,
    inboundAccepts,
    labDuration,
    parseClusterName,
    routeEntries,
} from "../../tools/envoy";
import { MeshPod, callVerdict, clusterPolicy, routedClusters, splitOf } from "../../tools/verdict";
import { PROJECT_ROOT } from "../../tools/stackConfig";

interface Recorded {
    readonly node: { readonly type: string; readonly ip: string; readonly pod: string; readonly namespace: string };
    readonly labels: Record<string, string>;
    readonly answer: unknown;
}

function recorded(step: string): Recorded[] {
    return JSON.parse(readFileSync(path.join(PROJECT_ROOT, "tests", "fixtures", "istiod", `${step}.json`), "utf8")) as Recorded[];
}

const meshPod = (r: Recorded): MeshPod => ({
    namespace: r.node.namespace,
    name: r.labels.app,
    ip: r.node.ip,
    labels: r.labels,
    proxy: fromXds(r.answer),
});

/** The probe lab's pods of one step: httpbin and sleep in foo and bar (sidecars), and legacy's httpbin and sleep (none). */
function probePods(step: string): MeshPod[] {
    const pods = recorded(`peer-auth-${step}`).map(meshPod);
    const sleep = pods.find((p) => p.name === "sleep")!;
    const legacyIp = endpointsOf(sleep.proxy!, "outbound|8000||httpbin.legacy.svc.cluster.local")[0].address;
    return [
        ...pods,
        { namespace: "legacy", name: "httpbin", ip: legacyIp, labels: { app: "httpbin" }, proxy: null },
        { namespace: "legacy", name: "sleep", ip: "10.244.255.1", labels: { app: "sleep" }, proxy: null },
    ];
}

/** Every sleep to every httpbin on port 8000 (container port 80), as `lab matrix` prints them: `foo to bar: 200 mTLS`. */
function probeMatrix(step: string): string[] {
    const pods = probePods(step);
    return pods
        .filter((p) => p.name === "sleep")
        .flatMap((c) =>
            pods
                .filter((s) => s.name === "httpbin")
                .map((s) => {
                    const v = callVerdict(c, s, `httpbin.${s.namespace}.svc.cluster.local`, 8000, 80);
                    return `${c.namespace} to ${s.namespace}: ${v.code}${v.mtls ? " mTLS" : ""}`;
                }),
        )
        .sort();
}

const gatewayOf = (step: string): ProxyConfig => fromXds(recorded(step)[0].answer);
const guestbookRoutes = (cfg: ProxyConfig) => routeEntries(cfg).filter((r) => r.clusters.some((c) => c.cluster.includes("guestbook")));
const versionOf = (cluster: string) => {
    const c = parseClusterName(cluster)!;
    return c.subset || c.host.split(".")[0].replace(/^guestbook-/, "");
};

describe("tools/envoy on istiod's own configuration (Istio 1.31.0)", () => {
    describe("the peer authentication lab's probe matrix", () => {
        it("step 9 (mesh STRICT): sidecars accept mutual TLS only, legacy's plain calls to them are reset", () => {
            expect(probeMatrix("step-9-mesh-strict")).to.deep.equal([
                "bar to bar: 200 mTLS",
                "bar to foo: 200 mTLS",
                "bar to legacy: 200",
                "foo to bar: 200 mTLS",
                "foo to foo: 200 mTLS",
                "foo to legacy: 200",
                "legacy to bar: 000",
                "legacy to foo: 000",
                "legacy to legacy: 200",
            ]);
        });

        it("step 12 (httpbin.bar STRICT, port 80 DISABLE): bar's port 80 takes plain text only, and callers send it plain text", () => {
            const bar = probePods("step-12-port-80-disable").find((p) => p.name === "httpbin" && p.namespace === "bar")!;
            expect(inboundAccepts(bar.proxy!, 80)).to.deep.equal({ mtls: false, plaintext: true });
            expect(probeMatrix("step-12-port-80-disable")).to.deep.equal([
                "bar to bar: 200",
                "bar to foo: 200 mTLS",
                "bar to legacy: 200",
                "foo to bar: 200",
                "foo to foo: 200 mTLS",
                "foo to legacy: 200",
                "legacy to bar: 200",
                "legacy to foo: 200",
                "legacy to legacy: 200",
            ]);
        });

        it("step 13 (foo STRICT, httpbin.foo DISABLE): the workload policy wins over the namespace's", () => {
            const pods = probePods("step-13-namespace-strict-workload-disable");
            const accepts = (ns: string) => inboundAccepts(pods.find((p) => p.name === "httpbin" && p.namespace === ns)!.proxy!, 80);
            expect(accepts("foo")).to.deep.equal({ mtls: false, plaintext: true });
            expect(accepts("bar")).to.deep.equal({ mtls: true, plaintext: true });
            expect(probeMatrix("step-13-namespace-strict-workload-disable")).to.deep.equal([
                "bar to bar: 200 mTLS",
                "bar to foo: 200",
                "bar to legacy: 200",
                "foo to bar: 200 mTLS",
                "foo to foo: 200",
                "foo to legacy: 200",
                "legacy to bar: 200",
                "legacy to foo: 200",
                "legacy to legacy: 200",
            ]);
        });

        it("a port with no inbound chain of its own falls back to the catch-all chains, and a pod without a listener accepts nothing known", () => {
            const httpbin = probePods("step-9-mesh-strict").find((p) => p.name === "httpbin")!;
            expect(inboundAccepts(httpbin.proxy!, 9999)).to.deep.equal({ mtls: true, plaintext: false });
            expect(inboundAccepts({ clusters: [], listeners: [], routes: [], endpoints: [] }, 80)).to.equal(undefined);
        });
    });

    describe("the ingress gateway's routes and clusters", () => {
        it("canary 80/20 on the Istio API: both listeners' routes split 80/20 over the v1 and v2 subsets", () => {
            const routes = guestbookRoutes(gatewayOf("kubernetes-canary-80-20"));
            expect(routes.map((r) => `${r.routeConfig} ${JSON.stringify(splitOf(r, versionOf))}`).sort()).to.deep.equal([
                'http.80 {"v1":80,"v2":20}',
                'https.443.https.guestbook-gateway.guestbook {"v1":80,"v2":20}',
            ]);
            expect(routedClusters(routes)).to.deep.equal([
                "outbound|80|v1|guestbook.guestbook.svc.cluster.local",
                "outbound|80|v2|guestbook.guestbook.svc.cluster.local",
            ]);
        });

        it("canary 80/20 on the Gateway API: the route splits over the per-version Services", () => {
            const routes = guestbookRoutes(gatewayOf("gateway-api-canary-80-20"));
            expect(routes.map((r) => splitOf(r, versionOf))).to.deep.equal([{ v1: 80, v2: 20 }]);
            expect(routedClusters(routes)).to.deep.equal([
                "outbound|80||guestbook-v1.guestbook.svc.cluster.local",
                "outbound|80||guestbook-v2.guestbook.svc.cluster.local",
            ]);
        });

        for (const api of ["kubernetes", "gateway-api"]) {
            it(`A/B test (${api}): Firefox's user agent goes to v2 first, everyone else to v1`, () => {
                const routes = guestbookRoutes(gatewayOf(`${api}-a-b-test`));
                const first = routes.filter((r) => r.routeConfig === routes[0].routeConfig);
                expect(first.map((r) => ({ headers: r.headers, to: r.clusters.map((c) => versionOf(c.cluster)) }))).to.deep.equal([
                    { headers: [{ header: "user-agent", regex: ".*Firefox.*" }], to: ["v2"] },
                    { headers: [], to: ["v1"] },
                ]);
            });

            it(`a breaker on v2 only (${api}): the v2 cluster carries it, v1 keeps Istio's unlimited defaults`, () => {
                const cfg = gatewayOf(`${api}-circuit-breaker-on-v2`);
                const [v1, v2] = routedClusters(guestbookRoutes(cfg));
                expect(clusterPolicy(cfg, v2).breaker).to.deep.equal({
                    maxConnections: 3,
                    http1MaxPendingRequests: 1,
                    maxRequestsPerConnection: 1,
                    consecutive5xxErrors: 1,
                    interval: "1s",
                    baseEjectionTime: "3m",
                    maxEjectionPercent: 100,
                });
                expect(JSON.parse(JSON.stringify(clusterPolicy(cfg, v1).breaker))).to.deep.equal({
                    maxConnections: 2 ** 32 - 1,
                    http1MaxPendingRequests: 2 ** 32 - 1,
                });
                expect(clusterTls(cfg, v2)).to.equal("auto");
            });

            it(`client TLS DISABLE (${api}): every routed cluster sends plain text`, () => {
                const cfg = gatewayOf(`${api}-client-tls-disable`);
                const clusters = routedClusters(guestbookRoutes(cfg));
                expect(clusters.map((c) => clusterTls(cfg, c))).to.deep.equal(["DISABLE", "DISABLE"]);
                expect(clusterTls(cfg, "outbound|80|v9|guestbook.guestbook.svc.cluster.local")).to.equal(undefined);
            });
        }

        it("each routed cluster's endpoints are the version's 3 pods, marked for auto mTLS", () => {
            const cfg = gatewayOf("kubernetes-canary-80-20");
            for (const c of routedClusters(guestbookRoutes(cfg))) {
                const endpoints = endpointsOf(cfg, c);
                expect(endpoints.map((e) => [e.port, e.tlsMode])).to.deep.equal([
                    [3000, "istio"],
                    [3000, "istio"],
                    [3000, "istio"],
                ]);
            }
        });
    });

    it("labDuration reads Envoy's durations in the lab's words", () => {
        expect(["1s", "180s", "0.5s", "3600s"].map(labDuration)).to.deep.equal(["1s", "3m", "500ms", "1h"]);
    });
});
