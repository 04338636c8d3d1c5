import { expect } from "chai";
import { gatewaySpec, httpRouteSpec, httpRouteSplit, httpsRedirectSpec, versionServices } from "../../components/httpRoute";
import { gatewayApiCrdUrl, gatewayApiReleaseFor } from "../../components/versions";
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
