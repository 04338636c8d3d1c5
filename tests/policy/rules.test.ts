import { expect } from "chai";
import {
    PolicyInput,
    awaitedCustomResources,
    imagesArePinned,
    mtlsIsStrictEnough,
    noBypassLoadBalancer,
    routesAreWhole,
} from "../../policy/rules";
import { runLab } from "../../tools/engine";
import { stackConfig } from "../helpers";

/** The harness: the resources a stack registers under mocks, as the policy pack sees them. */
async function stack(name: string, overrides: Record<string, string> = {}): Promise<PolicyInput[]> {
    const run = await runLab({ ...stackConfig(name), ...overrides });
    return run.resources.filter((r) => r.custom).map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
}

describe("policy pack rules", () => {
    it("every recipe's routes, mTLS, gateway and waits pass", async () => {
        const labs: Array<[string, Record<string, string>]> = [
            ...["dev", "kubernetes", "openshift", "openshift3", "peer-auth"].map((n): [string, Record<string, string>] => [n, {}]),
            ["kubernetes", { "istio-lab:controlPlane": '{"flavor":"sail"}' }],
            ["openshift", { "istio-lab:attendees": "51" }],
            ["gateway-api", {}],
            ["ambient", {}],
            // The stack's mesh-wide rule asks for its DestinationRule, which ambient mode refuses: the policy alone.
            [
                "openshift3",
                {
                    "istio-lab:trafficApi": "gatewayApi",
                    "istio-lab:dataplane": "ambient",
                    "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"mesh"}]',
                },
            ],
            ["kubernetes", { "istio-lab:controlPlane": '{"flavor":"sail"}', "istio-lab:dataplane": "ambient" }],
        ];
        for (const [name, overrides] of labs) {
            const resources = await stack(name, overrides);
            expect(routesAreWhole(resources), name).to.deep.equal([]);
            expect(mtlsIsStrictEnough(resources), name).to.deep.equal([]);
            expect(noBypassLoadBalancer(resources), name).to.deep.equal([]);
            expect(awaitedCustomResources(resources), name).to.deep.equal([]);
        }
    });

    it("routes: weights must be integers summing to 100 and subsets must exist", () => {
        const vs = (http: unknown): PolicyInput => ({
            type: "kubernetes:networking.istio.io/v1beta1:VirtualService",
            name: "vs",
            props: { kind: "VirtualService", metadata: { name: "vs", namespace: "g" }, spec: { http } },
        });
        const dr: PolicyInput = {
            type: "kubernetes:networking.istio.io/v1beta1:DestinationRule",
            name: "dr",
            props: {
                kind: "DestinationRule",
                metadata: { namespace: "g" },
                spec: { host: "web", subsets: [{ name: "v1" }, { name: "v2" }] },
            },
        };
        const d = (subset: string, weight?: number) => ({ destination: { host: "web", subset }, weight });
        expect(routesAreWhole([dr, vs([{ route: [d("v1", 80), d("v2", 30)] }])])).to.deep.equal([
            { name: "vs", message: "http[0]: route weights sum to 110; they must sum to 100" },
        ]);
        expect(routesAreWhole([dr, vs([{ route: [d("v1", 79.5), d("v2", 20.5)] }])])).to.deep.equal([
            { name: "vs", message: "http[0]: route weights must be integers, got [79.5,20.5]" },
        ]);
        expect(routesAreWhole([dr, vs([{ route: [d("v3")] }])])).to.deep.equal([
            { name: "vs", message: 'http[0]: subset "v3" of host "web" is in no DestinationRule' },
        ]);
    });

    it("routes: HTTPRoute weights are relative (80 and 30 pass), whole, and not all zero", () => {
        const route = (weights: unknown[]): PolicyInput => ({
            type: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
            name: "route",
            props: {
                kind: "HTTPRoute",
                metadata: { name: "guestbook", namespace: "g" },
                spec: { rules: [{ backendRefs: weights.map((weight, i) => ({ name: `guestbook-v${i + 1}`, port: 80, weight })) }] },
            },
        });
        expect(routesAreWhole([route([80, 30])])).to.deep.equal([]);
        expect(routesAreWhole([route([0, 0])])).to.deep.equal([
            {
                name: "route",
                message:
                    "rules[0]: every backend weighs 0, so the rule answers 500; Gateway API weights are relative, give one backend more than 0",
            },
        ]);
        expect(routesAreWhole([route([79.5, -1])])).to.deep.equal([
            { name: "route", message: "rules[0]: backend weights must be integers from 0 to 1000000, got [79.5,-1]" },
        ]);
    });

    it("gateway and waits, Gateway API: a LoadBalancer behind an HTTPRoute, a ZTunnel or a Gateway API Gateway without a wait", async () => {
        const resources = await stack("gateway-api", { "istio-lab:guestbook": '{"serviceType":"LoadBalancer"}' });
        expect(noBypassLoadBalancer(resources)).to.deep.equal([
            {
                name: "guestbook-guestbook-service",
                message: 'Service of type LoadBalancer in "guestbook" bypasses the gateway; use ClusterIP',
            },
        ]);
        const ztunnel: PolicyInput = { type: "t", name: "zt", props: { kind: "ZTunnel", metadata: { name: "default" }, spec: {} } };
        const waypoint: PolicyInput = {
            type: "t",
            name: "wp",
            props: { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "waypoint" }, spec: {} },
        };
        const istioGateway: PolicyInput = {
            type: "t",
            name: "gw",
            props: { apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: { name: "guestbook-gateway" }, spec: {} },
        };
        expect(awaitedCustomResources([ztunnel, waypoint, istioGateway])).to.deep.equal([
            { name: "zt", message: "ZTunnel has no pulumi.com/waitFor annotation; later stages would not wait for it" },
            { name: "wp", message: "Gateway has no pulumi.com/waitFor annotation; later stages would not wait for it" },
        ]);
    });

    it("mTLS: no mesh-wide DISABLE; production stacks need STRICT everywhere", async () => {
        const disabled = await stack("dev", { "istio-lab:peerAuth": '[{"mode":"DISABLE","scope":"mesh"}]' });
        expect(mtlsIsStrictEnough(disabled)).to.deep.equal([
            { name: "peer-auth-istio-system-default", message: "mesh-wide peer authentication must not DISABLE mutual TLS" },
        ]);
        const port = await stack("peer-auth", {
            "istio-lab:peerAuth":
                '[{"mode":"STRICT","scope":"mesh"},{"mode":"STRICT","scope":"port","namespace":"bar","selector":{"app":"httpbin"},"portLevelMtls":{"80":{"mode":"DISABLE"}}}]',
        });
        expect(mtlsIsStrictEnough(port)).to.deep.equal([]);
        expect(mtlsIsStrictEnough(port, { production: true })).to.deep.equal([
            {
                name: "peer-auth-bar-port-workload-httpbin-policy",
                message: "production stacks allow only STRICT mutual TLS, not port 80 DISABLE",
            },
        ]);
    });

    it("images: the lab's unpinned images and containers without requests are reported", async () => {
        expect(imagesArePinned(await stack("dev"))).to.deep.equal([
            { name: "guestbook-redis-master", message: "container redis-master: no resource requests" },
            { name: "guestbook-redis-slave", message: "container redis-slave: no resource requests" },
            { name: "guestbook-guestbook-v1", message: "container guestbook: no resource requests" },
        ]);
        const peer = imagesArePinned(await stack("peer-auth"));
        expect(peer.filter((v) => v.name === "mtls-lab-foo-httpbin")).to.deep.equal([
            {
                name: "mtls-lab-foo-httpbin",
                message: 'container httpbin: image "docker.io/kennethreitz/httpbin" is not pinned; give it a version tag or a digest',
            },
            { name: "mtls-lab-foo-httpbin", message: "container httpbin: no resource requests" },
        ]);
    });

    it("gateway: a LoadBalancer Service behind the Gateway is reported", async () => {
        const resources = await stack("dev", { "istio-lab:guestbook": '{"serviceType":"LoadBalancer"}' });
        expect(noBypassLoadBalancer(resources)).to.deep.equal([
            {
                name: "guestbook-guestbook-service",
                message: 'Service of type LoadBalancer in "guestbook" bypasses the gateway; use ClusterIP',
            },
        ]);
    });

    it("waits: an Istio or a ServiceMeshMember without pulumi.com/waitFor is reported", () => {
        const istio: PolicyInput = { type: "t", name: "istio", props: { kind: "Istio", metadata: { name: "default" }, spec: {} } };
        const member: PolicyInput = {
            type: "t",
            name: "smm",
            props: { kind: "ServiceMeshMember", metadata: { name: "default" }, spec: {} },
        };
        expect(awaitedCustomResources([istio, member])).to.deep.equal([
            { name: "istio", message: "Istio has no pulumi.com/waitFor annotation; later stages would not wait for it" },
            { name: "smm", message: "ServiceMeshMember has no pulumi.com/waitFor annotation; later stages would not wait for it" },
        ]);
    });

    it("waits: a Subscription without pulumi.com/waitFor is reported", () => {
        const sub: PolicyInput = { type: "t", name: "sub", props: { kind: "Subscription", metadata: { name: "x" }, spec: {} } };
        expect(awaitedCustomResources([sub])).to.deep.equal([
            { name: "sub", message: "Subscription has no pulumi.com/waitFor annotation; later stages would not wait for it" },
        ]);
    });
});
