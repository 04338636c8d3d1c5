import { expect } from "chai";
import { gatewaySpec, httpRouteSpec, httpRouteSplit, httpsRedirectSpec, versionServices } from "../../components/httpRoute";
import { gatewayApiCrdUrl, gatewayApiReleaseFor } from "../../components/versions";
import { parseConfig } from "../../config";
import { diffRenders } from "../../tools/diff";
import { runLab } from "../../tools/engine";
import { render } from "../../tools/render";
import { LAB_AB_TEST } from "../../components/traffic";

const subsets = [
    { name: "v1", version: "1.0" },
    { name: "v2", version: "2.0" },
];
const parents = [{ name: "guestbook-gateway", namespace: "istio-system" }];
const parentRefs = [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "guestbook-gateway", namespace: "istio-system" }];

describe("HTTPRoute (trafficApi: gatewayApi)", () => {
    it("one Service per version, selecting by the version label", () => {
        expect(versionServices(subsets)).to.deep.equal([
            { name: "guestbook-v1", selector: { app: "guestbook", version: "1.0" } },
            { name: "guestbook-v2", selector: { app: "guestbook", version: "2.0" } },
        ]);
    });

    const table: Array<[number, unknown[], Record<string, number>]> = [
        [0, [{ name: "guestbook-v1", port: 80 }], { v1: 100, v2: 0 }],
        [
            20,
            [
                { name: "guestbook-v1", port: 80, weight: 80 },
                { name: "guestbook-v2", port: 80, weight: 20 },
            ],
            { v1: 80, v2: 20 },
        ],
        [100, [{ name: "guestbook-v2", port: 80 }], { v1: 0, v2: 100 }],
    ];
    for (const [weight, backendRefs, split] of table) {
        it(`canary ${weight}: the weighted rule's backends, and the split in percent`, () => {
            const spec = httpRouteSpec({ parents, hosts: ["*"], subsets, canaryWeight: weight, routing: "weighted" });
            expect(spec).to.deep.equal({ parentRefs, rules: [{ backendRefs }] });
            expect(httpRouteSplit(spec, subsets)).to.deep.equal(split);
        });
    }

    it("the A/B rule first, as a RegularExpression header match to the newest version; concrete hosts as hostnames", () => {
        expect(
            httpRouteSpec({
                parents,
                hosts: ["guestbook.example.com"],
                subsets,
                canaryWeight: 0,
                routing: "weighted",
                abTest: LAB_AB_TEST,
            }),
        ).to.deep.equal({
            parentRefs,
            hostnames: ["guestbook.example.com"],
            rules: [
                {
                    matches: [{ headers: [{ type: "RegularExpression", name: LAB_AB_TEST.header, value: LAB_AB_TEST.regex }] }],
                    backendRefs: [{ name: "guestbook-v2", port: 80 }],
                },
                { backendRefs: [{ name: "guestbook-v1", port: 80 }] },
            ],
        });
    });

    it("round robin: one backend, the guestbook Service", () => {
        expect(httpRouteSpec({ parents, hosts: ["*"], subsets, canaryWeight: 0, routing: "roundRobin" }).rules).to.deep.equal([
            { backendRefs: [{ name: "guestbook", port: 80 }] },
        ]);
    });

    it("a classroom attendee's path prefix: matched and rewritten away; the bare prefix redirects with a slash", () => {
        expect(
            httpRouteSpec({ parents, hosts: ["*"], subsets, canaryWeight: 50, routing: "weighted", pathPrefix: "/ann/" }).rules,
        ).to.deep.equal([
            {
                matches: [{ path: { type: "Exact", value: "/ann" } }],
                filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplaceFullPath", replaceFullPath: "/ann/" } } }],
            },
            {
                matches: [{ path: { type: "PathPrefix", value: "/ann/" } }],
                filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }],
                backendRefs: [
                    { name: "guestbook-v1", port: 80, weight: 50 },
                    { name: "guestbook-v2", port: 80, weight: 50 },
                ],
            },
        ]);
    });

    it("reads relative weights as percentages (Gateway API weights need not sum to 100)", () => {
        const spec = {
            rules: [
                {
                    backendRefs: [
                        { name: "guestbook-v1", weight: 3 },
                        { name: "guestbook-v2", weight: 1 },
                    ],
                },
            ],
        };
        expect(httpRouteSplit(spec, subsets)).to.deep.equal({ v1: 75, v2: 25 });
    });
});

describe("Gateway API Gateway (trafficApi: gatewayApi)", () => {
    it("any host, with TLS: an HTTP and an HTTPS listener, routes from every namespace", () => {
        expect(gatewaySpec({ hosts: ["*"], certificateSecret: "guestbook-gateway-credential" })).to.deep.equal({
            gatewayClassName: "istio",
            listeners: [
                { name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } },
                {
                    name: "https",
                    port: 443,
                    protocol: "HTTPS",
                    tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "guestbook-gateway-credential" }] },
                    allowedRoutes: { namespaces: { from: "All" } },
                },
            ],
        });
    });

    it("one listener per hostname (a Gateway API listener takes one), plain HTTP without a certificate", () => {
        expect(gatewaySpec({ hosts: ["a.example.com", "*.lab.example.com"] }).listeners).to.deep.equal([
            { name: "http-0", port: 80, protocol: "HTTP", hostname: "a.example.com", allowedRoutes: { namespaces: { from: "All" } } },
            { name: "http-1", port: 80, protocol: "HTTP", hostname: "*.lab.example.com", allowedRoutes: { namespaces: { from: "All" } } },
        ]);
    });

    it("HTTP redirects to HTTPS with a route on the HTTP listeners", () => {
        expect(httpsRedirectSpec({ name: "guestbook-gateway", namespace: "istio-system" }, ["http"])).to.deep.equal({
            parentRefs: [
                {
                    group: "gateway.networking.k8s.io",
                    kind: "Gateway",
                    name: "guestbook-gateway",
                    namespace: "istio-system",
                    sectionName: "http",
                },
            ],
            rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
        });
    });

    it("installs the Gateway API release the Istio version expects", () => {
        expect([gatewayApiReleaseFor("1.31.3"), gatewayApiReleaseFor("1.30.0"), gatewayApiReleaseFor("1.29.6")]).to.deep.equal([
            "v1.6.3",
            "v1.5.1",
            undefined,
        ]);
        expect(gatewayApiCrdUrl("v1.6.3")).to.equal(
            "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.3/standard-install.yaml",
        );
    });
});

describe("trafficApi: gatewayApi, wired (in progress)", () => {
    const base = { "istio-lab:trafficApi": "gatewayApi", "istio-lab:gateway": '{"serviceType":"NodePort"}' };
    const kinds = (run: { resources: ReadonlyArray<{ type: string; name: string; custom: boolean; read: boolean }> }) =>
        run.resources.filter((r) => r.custom && !r.read).map((r) => `${r.type.split(":")[2]} ${r.name}`);

    it("the lab's ingress is a Gateway API Gateway in the ingress namespace, its routing an HTTPRoute to one Service per version", async () => {
        const run = await runLab(base);
        expect(kinds(run).filter((k) => /Gateway |HTTPRoute|VirtualService|guestbook-v\d-service/.test(k))).to.deep.equal([
            "Service guestbook-guestbook-v1-service",
            "Service guestbook-guestbook-v2-service",
            "Gateway gateway-gateway",
            "HTTPRoute gateway-https-redirect",
            "HTTPRoute traffic-http-route",
        ]);
        const gateway = run.resources.find((r) => r.name === "gateway-gateway")!.inputs as { metadata: Record<string, unknown> };
        expect(gateway.metadata).to.deep.equal({
            name: "guestbook-gateway",
            namespace: "istio-system",
            labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "istio-lab" },
            annotations: { "pulumi.com/waitFor": "condition=Programmed", "networking.istio.io/service-type": "NodePort" },
        });
        const route = run.resources.find((r) => r.name === "traffic-http-route")!.inputs as {
            metadata: { namespace: string };
            spec: unknown;
        };
        expect([route.metadata.namespace, route.spec]).to.deep.equal([
            "guestbook",
            {
                parentRefs: [
                    {
                        group: "gateway.networking.k8s.io",
                        kind: "Gateway",
                        name: "guestbook-gateway",
                        namespace: "istio-system",
                        sectionName: "https",
                    },
                ],
                rules: [{ backendRefs: [{ name: "guestbook-v1", port: 80 }] }],
            },
        ]);
    });

    it("a canary change is one object: the HTTPRoute", async () => {
        const before = render((await runLab(base)).resources);
        const after = render((await runLab({ ...base, "istio-lab:canaryWeight": "50" })).resources);
        expect(diffRenders(before, after).map((c) => `${c.change} ${c.object}`)).to.deep.equal(["changed HTTPRoute guestbook/guestbook"]);
    });

    it("is refused with OSSM 2", () => {
        expect(() =>
            parseConfig({
                "istio-lab:recipe": "openshift",
                "istio-lab:trafficApi": "gatewayApi",
                "istio-lab:controlPlane": '{"flavor":"ossm2"}',
            }),
        ).to.throw(
            'istio-lab:trafficApi: "gatewayApi" is not allowed; expected "istio" with controlPlane.flavor "ossm2" (OpenShift Service Mesh 2 does not run the lab\'s Gateway API ingress; use "ossm3")',
        );
    });
});
