// Issue 16: the same lab on today's mesh. Each combination of trafficApi and dataplane on each flavour
// that allows it, the objects they make, the refusals, the canary's blast radius, and the ambient matrix.
import { expect } from "chai";
import { writeFileSync } from "fs";
import * as path from "path";
import { parseConfig } from "../../config";
import { runLab } from "../../tools/engine";
import { diffRenders } from "../../tools/diff";
import { lab } from "../../tools/lab";
import { ProbeResult } from "../../tools/matrix";
import { objectId, render } from "../../tools/render";
import { dependsOn, GUESTBOOK_APP, itRefuses, named, peerAuthMatrix, ProbeRow, probeTable, spec, stackConfig, tempDir } from "../helpers";

const LAB_LABELS = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "istio-lab" };
const CRDS = "ConfigFile gateway-api-crds-standard";

/** What every combination has: the app, the gateway's certificate, the routing's DestinationRule and the mesh-wide policy. */
const COMMON = [
    "Namespace istio-system",
    ...GUESTBOOK_APP.filter((o) => o !== "Gateway guestbook/guestbook-gateway"),
    "DestinationRule guestbook/destination-rule-guestbook",
    "PeerAuthentication istio-system/default",
];
const ISTIO_ROUTING = ["Gateway guestbook/guestbook-gateway", "VirtualService guestbook/virtual-service-guestbook"];
const GATEWAY_API_ROUTING = [
    "Service guestbook/guestbook-v1",
    "Service guestbook/guestbook-v2",
    "Gateway istio-system/guestbook-gateway",
    "HTTPRoute istio-system/guestbook-gateway-https-redirect",
    "HTTPRoute guestbook/guestbook",
];
const INJECTED_INGRESS = [
    "ServiceAccount istio-system/istio-ingressgateway",
    "Deployment istio-system/istio-ingressgateway",
    "Service istio-system/istio-ingressgateway",
    "Role istio-system/istio-ingressgateway-sds",
    "RoleBinding istio-system/istio-ingressgateway-sds",
];
const HELM = ["Release istio-system/istio-base", "Release istio-system/istiod"];
const HELM_AMBIENT = ["Release istio-system/istio-cni", "Release istio-system/ztunnel"];
const SAIL = ["Namespace istio-cni", "Namespace sail-operator", "Release sail-operator/sail-operator", "Istio default", "IstioCNI default"];
const OSSM3 = [
    "Subscription openshift-operators/kiali-ossm",
    "Subscription openshift-operators/servicemeshoperator3",
    "Namespace istio-cni",
    "Istio default",
    "IstioCNI default",
];
const ZTUNNEL = ["Namespace ztunnel", "ZTunnel default"];
/** OSSM 3 with the Gateway API: the Kiali, the Gateway and its redirect, the Route to the Service Istio deploys, the HTTPRoute. */
const OSSM3_GATEWAY_API_ROUTING = [
    "Kiali istio-system/kiali",
    ...GATEWAY_API_ROUTING.slice(0, 4),
    "Route istio-system/guestbook",
    "HTTPRoute guestbook/guestbook",
];
const OSSM3_ISTIO_ROUTING = [
    "Kiali istio-system/kiali",
    "Gateway guestbook/guestbook-gateway",
    "Route istio-system/guestbook",
    "VirtualService guestbook/virtual-service-guestbook",
];

/** The objects besides {@link COMMON}, in apply order, per platform/flavour, trafficApi and dataplane. */
const COMBINATIONS: ReadonlyArray<readonly [string, string, string, string, readonly string[]]> = [
    ["kubernetes", "helm", "istio", "sidecar", [...HELM, "Release istio-system/istio-ingressgateway", ...ISTIO_ROUTING]],
    [
        "kubernetes",
        "helm",
        "istio",
        "ambient",
        [CRDS, ...HELM, ...HELM_AMBIENT, "Release istio-system/istio-ingressgateway", ...ISTIO_ROUTING],
    ],
    ["kubernetes", "helm", "gatewayApi", "sidecar", [CRDS, ...HELM, ...GATEWAY_API_ROUTING]],
    ["kubernetes", "helm", "gatewayApi", "ambient", [CRDS, ...HELM, ...HELM_AMBIENT, ...GATEWAY_API_ROUTING]],
    ["kubernetes", "sail", "istio", "sidecar", [...SAIL, ...INJECTED_INGRESS, ...ISTIO_ROUTING]],
    ["kubernetes", "sail", "istio", "ambient", [CRDS, ...SAIL, ...ZTUNNEL, ...INJECTED_INGRESS, ...ISTIO_ROUTING]],
    ["kubernetes", "sail", "gatewayApi", "sidecar", [CRDS, ...SAIL, ...GATEWAY_API_ROUTING]],
    ["kubernetes", "sail", "gatewayApi", "ambient", [CRDS, ...SAIL, ...ZTUNNEL, ...GATEWAY_API_ROUTING]],
    ["openshift", "ossm3", "istio", "sidecar", [...OSSM3, ...INJECTED_INGRESS, ...OSSM3_ISTIO_ROUTING]],
    ["openshift", "ossm3", "istio", "ambient", [...OSSM3, ...ZTUNNEL, ...INJECTED_INGRESS, ...OSSM3_ISTIO_ROUTING]],
    ["openshift", "ossm3", "gatewayApi", "sidecar", [...OSSM3, ...OSSM3_GATEWAY_API_ROUTING]],
    ["openshift", "ossm3", "gatewayApi", "ambient", [...OSSM3, ...ZTUNNEL, ...OSSM3_GATEWAY_API_ROUTING]],
];

const configOf = (platform: string, flavor: string, api: string, dataplane: string) => ({
    "istio-lab:recipe": platform,
    "istio-lab:controlPlane": JSON.stringify({ flavor }),
    "istio-lab:trafficApi": api,
    "istio-lab:dataplane": dataplane,
});

describe("trafficApi and dataplane (issue 16)", () => {
    describe("what each combination creates", () => {
        for (const [platform, flavor, api, dataplane, own] of COMBINATIONS) {
            it(`${platform} ${flavor}, trafficApi ${api}, dataplane ${dataplane}`, async () => {
                const ids = render((await runLab(configOf(platform, flavor, api, dataplane))).resources).map(objectId);
                expect(ids.filter((id) => COMMON.includes(id))).to.deep.equal(COMMON);
                expect(ids.filter((id) => !COMMON.includes(id))).to.deep.equal(own);
            });
        }
    });

    describe("exact objects", () => {
        it("helm ambient: istiod with the ambient profile, the CNI agent in ambient mode and ztunnel, after istiod; the namespace joins by label", async () => {
            const run = await runLab(configOf("kubernetes", "helm", "gatewayApi", "ambient"));
            const release = (name: string) => {
                const i = named(run.resources, name).inputs;
                return { name: i.name, chart: i.chart, namespace: i.namespace, values: i.values };
            };
            expect(release("control-plane-istiod").values).to.deep.equal({
                profile: "ambient",
                global: { hub: "docker.io/istio" },
                meshConfig: { rootNamespace: "istio-system" },
            });
            expect(release("control-plane-istio-cni")).to.deep.equal({
                name: "istio-cni",
                chart: "cni",
                namespace: "istio-system",
                values: { profile: "ambient", global: { hub: "docker.io/istio" } },
            });
            expect(release("control-plane-ztunnel")).to.deep.equal({
                name: "ztunnel",
                chart: "ztunnel",
                namespace: "istio-system",
                values: { hub: "docker.io/istio" },
            });
            const ns = named(run.resources, "guestbook-namespace").inputs.metadata as { labels: Record<string, string> };
            expect(ns.labels).to.deep.equal({ ...LAB_LABELS, "istio-lab/lab-id": run.outputs.labId, "istio.io/dataplane-mode": "ambient" });
            // No pod asks for a sidecar.
            const pods = run.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment");
            expect(pods.map((p) => JSON.stringify(p.inputs)).filter((j) => j.includes("sidecar.istio.io/inject"))).to.deep.equal([]);
        });

        it("sail ambient: the Istio and IstioCNI with the ambient profile, the ZTunnel in its own namespace, all awaited Ready", async () => {
            const run = await runLab(configOf("kubernetes", "sail", "istio", "ambient"));
            const cr = (name: string) => ({ metadata: named(run.resources, name).inputs.metadata, spec: spec(named(run.resources, name)) });
            const meta = { name: "default", labels: LAB_LABELS, annotations: { "pulumi.com/waitFor": "condition=Ready" } };
            expect(cr("control-plane-istio")).to.deep.equal({
                metadata: meta,
                spec: {
                    version: "v1.31.3",
                    namespace: "istio-system",
                    profile: "ambient",
                    updateStrategy: { type: "InPlace" },
                    values: { global: { hub: "docker.io/istio" } },
                },
            });
            expect(cr("control-plane-istio-cni")).to.deep.equal({
                metadata: meta,
                spec: { version: "v1.31.3", namespace: "istio-cni", profile: "ambient", values: { global: { hub: "docker.io/istio" } } },
            });
            expect(cr("control-plane-ztunnel")).to.deep.equal({
                metadata: meta,
                spec: { version: "v1.31.3", namespace: "ztunnel", values: { global: { hub: "docker.io/istio" } } },
            });
        });

        it("the circuit breaker in ambient: a waypoint for the namespace, bound by label, awaited Programmed", async () => {
            const run = await runLab(stackConfig("ambient"));
            const waypoint = named(run.resources, "guestbook-waypoint");
            expect(waypoint.inputs).to.deep.equal({
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "Gateway",
                metadata: {
                    name: "waypoint",
                    namespace: "guestbook",
                    labels: { ...LAB_LABELS, "istio.io/waypoint-for": "service" },
                    annotations: { "pulumi.com/waitFor": "condition=Programmed" },
                },
                spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] },
            });
            const ns = named(run.resources, "guestbook-namespace").inputs.metadata as { labels: Record<string, string> };
            expect(ns.labels["istio.io/use-waypoint"]).to.equal("waypoint");
            // Without a circuit breaker, no waypoint: ztunnel alone does the lab's mTLS.
            const plain = await runLab({ ...stackConfig("ambient"), "istio-lab:circuitBreaker": "null" }).catch((e: Error) => e);
            expect(plain).to.be.instanceOf(Error);
            const without = await runLab(configOf("kubernetes", "helm", "gatewayApi", "ambient"));
            expect(without.resources.filter((r) => r.name.endsWith("-waypoint"))).to.deep.equal([]);
        });

        it("the mTLS lab in ambient: foo and bar join the ambient mesh, legacy stays out with no label", async () => {
            const run = await runLab({ ...stackConfig("peer-auth"), "istio-lab:dataplane": "ambient" });
            const labels = (ns: string) => {
                const l = (named(run.resources, `mtls-lab-${ns}-namespace`).inputs.metadata as { labels: Record<string, string> }).labels;
                return Object.fromEntries(Object.entries(l).filter(([k]) => k.startsWith("istio")));
            };
            expect([labels("foo"), labels("bar"), labels("legacy")]).to.deep.equal([
                { "istio-lab/lab-id": run.outputs.labId, "istio.io/dataplane-mode": "ambient" },
                { "istio-lab/lab-id": run.outputs.labId, "istio.io/dataplane-mode": "ambient" },
                { "istio-lab/lab-id": run.outputs.labId },
            ]);
        });

        it("OpenShift with the Gateway API: the Route passes TLS through to the Service Istio deploys, by port number", async () => {
            const run = await runLab(configOf("openshift", "ossm3", "gatewayApi", "sidecar"));
            expect(spec(named(run.resources, "gateway-route"))).to.deep.equal({
                to: { kind: "Service", name: "guestbook-gateway-istio", weight: 100 },
                port: { targetPort: 443 },
                tls: { termination: "passthrough" },
            });
            // Istio would give the Gateway's Service a load balancer: on OpenShift it stays inside the cluster.
            expect(
                (named(run.resources, "gateway-gateway").inputs.metadata as { annotations: Record<string, string> }).annotations,
            ).to.deep.equal({
                "pulumi.com/waitFor": "condition=Programmed",
                "networking.istio.io/service-type": "ClusterIP",
            });
            // OpenShift ships the CRDs: the lab leaves them alone.
            expect(run.config.gatewayApiCrds).to.deep.equal({ kind: "present" });
        });

        it("the CRDs: the release the control plane's Istio expects, or a local file of that release", async () => {
            const latest = await runLab(configOf("kubernetes", "helm", "gatewayApi", "sidecar"));
            expect(named(latest.resources, "gateway-api-crds-standard").inputs).to.deep.equal({
                file: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.3/standard-install.yaml",
            });
            const older = await runLab({
                ...configOf("kubernetes", "helm", "gatewayApi", "sidecar"),
                "istio-lab:controlPlane": '{"istioVersion":"1.30.7"}',
            });
            expect(older.config.gatewayApiCrds).to.deep.equal({
                kind: "install",
                release: "v1.5.1",
                file: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml",
            });
            const file = crdFile("v1.6.3");
            const local = await runLab({ ...configOf("kubernetes", "helm", "gatewayApi", "sidecar"), "istio-lab:gatewayApiCrds": file });
            expect(local.config.gatewayApiCrds).to.deep.equal({ kind: "install", release: "v1.6.3", file });
            // The CRDs go in before istiod.
            const ids = render(local.resources).map(objectId);
            expect(ids.indexOf(CRDS)).to.be.lessThan(ids.indexOf("Release istio-system/istiod"));
        });
    });

    it("reports the new keys where they do nothing: no stage they act on, or CRDs for a lab without the Gateway API", () => {
        const notices = (raw: Record<string, string>) => parseConfig(raw).ignored.map((n) => n.message);
        expect(
            notices({
                "istio-lab:recipe": "peer-auth",
                "istio-lab:stages": '["peerAuth"]',
                "istio-lab:dataplane": "ambient",
                "istio-lab:trafficApi": "gatewayApi",
            }),
        ).to.deep.equal([
            'istio-lab:dataplane has no effect: this lab has no "controlPlane" or "guestbook" or "mtlsLab" stage; add it to istio-lab:stages or remove the setting',
            'istio-lab:trafficApi has no effect: this lab has no "gateway" or "controlPlane" stage; add it to istio-lab:stages or remove the setting',
        ]);
        expect(notices({ "istio-lab:gatewayApiCrds": "present" })).to.deep.equal([
            'istio-lab:gatewayApiCrds has no effect: this lab uses no Gateway API (trafficApi "istio", dataplane "sidecar"); set istio-lab:trafficApi to "gatewayApi" or remove the setting',
        ]);
    });

    describe("refusals", () => {
        const ambientWhy =
            'in ambient mode (Istio\'s PeerAuthentication reference: "In ambient mode ... DISABLE mode is not supported"; OpenShift Service Mesh 3.2: a policy setting DISABLE is ignored, ztunnel and HBONE always use mTLS); use PERMISSIVE to let plaintext from outside the mesh in, or set istio-lab:dataplane to "sidecar" for the lab\'s DISABLE steps';
        const crdsAllowed =
            '"install" (the standard CRDs of the release the control plane\'s Istio expects, from the Gateway API\'s GitHub release), "present" (the cluster has them: OpenShift 4.19 and later) or the path of a local standard-install.yaml';
        itRefuses([
            [
                { "istio-lab:recipe": "openshift", "istio-lab:dataplane": "ambient", "istio-lab:controlPlane": '{"flavor":"ossm2"}' },
                'istio-lab:dataplane: "ambient" is not allowed; expected "sidecar" with controlPlane.flavor "ossm2" (OpenShift Service Mesh 2 has no ambient mode; OSSM 3.2 and later have it: use "ossm3")',
            ],
            [
                { "istio-lab:dataplane": "ambient", "istio-lab:peerAuth": '[{"mode":"DISABLE","scope":"mesh"}]' },
                `istio-lab:peerAuth[0].mode: "DISABLE" is not allowed; expected STRICT, PERMISSIVE or UNSET ${ambientWhy}`,
            ],
            [
                {
                    "istio-lab:recipe": "peer-auth",
                    "istio-lab:dataplane": "ambient",
                    "istio-lab:peerAuth":
                        '[{"mode":"STRICT","scope":"port","namespace":"bar","selector":{"app":"httpbin"},"portLevelMtls":{"80":{"mode":"DISABLE"}}}]',
                },
                `istio-lab:peerAuth[0].portLevelMtls.80.mode: "DISABLE" is not allowed; expected STRICT, PERMISSIVE or UNSET ${ambientWhy}`,
            ],
            [
                { "istio-lab:dataplane": "ambient", "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"mesh","destinationRule":true}]' },
                "istio-lab:peerAuth[0].destinationRule: true is not allowed; expected false or nothing in ambient mode: DestinationRule TLS modes do not apply between ztunnels, which always use mutual TLS",
            ],
            [
                { "istio-lab:dataplane": "ambient", "istio-lab:clientTls": "ISTIO_MUTUAL" },
                'istio-lab:clientTls: "ISTIO_MUTUAL" is not allowed; expected nothing in ambient mode: DestinationRule TLS modes do not apply between ztunnels (traffic between ambient workloads is always mutual TLS); set istio-lab:dataplane to "sidecar" for the lab\'s client TLS step',
            ],
            [
                {
                    "istio-lab:dataplane": "ambient",
                    "istio-lab:attendees": "2",
                    "istio-lab:attendeeOverrides": '{"user2":{"clientTls":"ISTIO_MUTUAL"}}',
                },
                'istio-lab:attendeeOverrides.user2.clientTls: "ISTIO_MUTUAL" is not allowed; expected nothing in ambient mode: DestinationRule TLS modes do not apply between ztunnels (traffic between ambient workloads is always mutual TLS); set istio-lab:dataplane to "sidecar" for the lab\'s client TLS step',
            ],
            [
                { "istio-lab:recipe": "openshift", "istio-lab:trafficApi": "gatewayApi", "istio-lab:gatewayApiCrds": "install" },
                'istio-lab:gatewayApiCrds: "install" is not allowed; expected "present" on OpenShift: OpenShift 4.19 and later ship the Gateway API CRDs, and its Cluster Ingress Operator owns them (do not install or replace them there)',
            ],
            [
                { "istio-lab:trafficApi": "gatewayApi", "istio-lab:gatewayApiCrds": "https://example.com/standard-install.yaml" },
                `istio-lab:gatewayApiCrds: "https://example.com/standard-install.yaml" is not allowed; expected ${crdsAllowed}; "install" already takes the release's own URL`,
            ],
            [
                { "istio-lab:trafficApi": "gatewayApi", "istio-lab:gatewayApiCrds": "/dev/zero" },
                `istio-lab:gatewayApiCrds: "/dev/zero" is not allowed; expected ${crdsAllowed} (a regular file of at most 16 MiB)`,
            ],
            [
                {
                    "istio-lab:dataplane": "ambient",
                    "istio-lab:attendees": "2",
                    "istio-lab:attendeeAccess": "true",
                    "istio-lab:attendeeBudget": '{"pods":9,"cpu":"450m"}',
                },
                'istio-lab:attendeeBudget.cpu: "450m" is not allowed; expected at least 600m, what each attendee\'s lab requests (9 pods: redis-master 1, redis-slave 2, guestbook-v1 3, guestbook-v2 3; a container without requests gets 50m and 64Mi, no sidecars in ambient mode)',
            ],
            [
                {
                    "istio-lab:dataplane": "ambient",
                    "istio-lab:attendees": "2",
                    "istio-lab:attendeeAccess": "true",
                    "istio-lab:circuitBreaker": "{}",
                    "istio-lab:attendeeBudget": '{"pods":9}',
                },
                "istio-lab:attendeeBudget.pods: 9 is not allowed; expected at least 10, what each attendee's lab requests (10 pods: redis-master 1, redis-slave 2, guestbook-v1 3, guestbook-v2 3, waypoint 1; a container without requests gets 50m and 64Mi, no sidecars in ambient mode, the waypoint's proxy 100m and 128Mi)",
            ],
            [{ "istio-lab:dataplane": "sidecars" }, 'istio-lab:dataplane: "sidecars" is not allowed; expected one of sidecar, ambient'],
            [
                { "istio-lab:dataplane": "ambient", "istio-lab:controlPlane": '{"values":{"profile":"default"}}' },
                'istio-lab:controlPlane.values.profile: "default" is not allowed; expected nothing or "ambient": istio-lab:dataplane is "ambient", which sets istiod\'s profile',
            ],
            [
                { "istio-lab:controlPlane": '{"values":{"profile":"ambient"}}' },
                'istio-lab:controlPlane.values.profile: "ambient" is not allowed; expected nothing or a sidecar profile: set istio-lab:dataplane to "ambient" for ambient mode (it also installs the CNI agent and ztunnel, and labels the namespaces)',
            ],
        ]);

        it("refuses Gateway API CRDs that would break the chosen Istio (a v1.5 file for Istio 1.31; a v1.6 file for Istio 1.30)", async () => {
            const v15 = crdFile("v1.5.1");
            const v16 = crdFile("v1.6.3");
            const gatewayApi = configOf("kubernetes", "helm", "gatewayApi", "sidecar");
            const refused = async (raw: Record<string, string>) => (await runLab(raw).catch((e: Error) => e)) as Error;
            expect((await refused({ ...gatewayApi, "istio-lab:gatewayApiCrds": v15 })).message).to.equal(
                `istio-lab:gatewayApiCrds: ${JSON.stringify(v15)} is not allowed; expected the Gateway API v1.6 CRDs (v1.6.3) that Istio 1.31.3 is built against, not v1.5.1: Istio 1.30 needs v1.5, and Istio 1.29 and older crash with v1.5 CRDs installed (istio/istio #59443)`,
            );
            const istio130 = { ...gatewayApi, "istio-lab:controlPlane": '{"flavor":"helm","istioVersion":"1.30.7"}' };
            expect((await refused({ ...istio130, "istio-lab:gatewayApiCrds": v16 })).message).to.equal(
                `istio-lab:gatewayApiCrds: ${JSON.stringify(v16)} is not allowed; expected the Gateway API v1.5 CRDs (v1.5.1) that Istio 1.30.7 is built against, not v1.6.3: Istio 1.30 needs v1.5, and Istio 1.29 and older crash with v1.5 CRDs installed (istio/istio #59443)`,
            );
            const notCrds = path.join(tempDir("istio-lab-crds-"), "standard-install.yaml");
            writeFileSync(notCrds, "kind: ConfigMap\nmetadata:\n  name: x\n");
            expect((await refused({ ...gatewayApi, "istio-lab:gatewayApiCrds": notCrds })).message).to.equal(
                `istio-lab:gatewayApiCrds: ${JSON.stringify(notCrds)} is not allowed; expected a Gateway API standard-install.yaml: CustomResourceDefinitions that all carry the gateway.networking.k8s.io/bundle-version annotation (found no CRD)`,
            );
        });
    });

    describe("the canary's blast radius: one object, for either API, in a classroom too", () => {
        const delta = async (before: Record<string, string>, after: Record<string, string>) =>
            diffRenders(render((await runLab(before)).resources), render((await runLab(after)).resources)).map(
                (c) => `${c.change} ${c.object}`,
            );

        for (const [api, object] of [
            ["istio", "changed VirtualService guestbook/virtual-service-guestbook"],
            ["gatewayApi", "changed HTTPRoute guestbook/guestbook"],
        ]) {
            for (const dataplane of ["sidecar", "ambient"]) {
                it(`${api}, ${dataplane}: canaryWeight 20 to 50 changes ${object.split(" ")[1]} alone`, async () => {
                    const base = configOf("kubernetes", "helm", api, dataplane);
                    expect(
                        await delta({ ...base, "istio-lab:canaryWeight": "20" }, { ...base, "istio-lab:canaryWeight": "50" }),
                    ).to.deep.equal([object]);
                });
            }
        }

        it("a classroom on the Gateway API: one attendee's canary is their HTTPRoute; a new attendee adds only their own objects", async () => {
            const base = { "istio-lab:trafficApi": "gatewayApi", "istio-lab:attendees": "2" };
            expect(await delta(base, { ...base, "istio-lab:attendeeOverrides": '{"user2":{"canaryWeight":50}}' })).to.deep.equal([
                "changed HTTPRoute guestbook-user2/guestbook",
            ]);
            const added = await delta(base, { ...base, "istio-lab:attendees": "3" });
            expect(added.every((c) => c.startsWith("added ") && c.includes(" guestbook-user3"))).to.equal(true);
            expect(added.filter((c) => /Gateway|HTTPRoute/.test(c))).to.deep.equal(["added HTTPRoute guestbook-user3/guestbook"]);
        });

        it("a classroom on OpenShift with a domain: each attendee's Route passes TLS to the Gateway's Service, their HTTPRoute takes their host", async () => {
            const run = await runLab({
                "istio-lab:recipe": "openshift",
                "istio-lab:trafficApi": "gatewayApi",
                "istio-lab:attendees": '["ann"]',
                "istio-lab:gateway": '{"domain":"lab.example.com"}',
            });
            expect(spec(named(run.resources, "attendee-ann-route"))).to.deep.equal({
                host: "ann.lab.example.com",
                to: { kind: "Service", name: "guestbook-gateway-istio", weight: 100 },
                port: { targetPort: 443 },
                tls: { termination: "passthrough" },
            });
            expect(spec(named(run.resources, "attendee-ann-traffic-http-route"))).to.deep.equal({
                hostnames: ["ann.lab.example.com"],
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
            });
            const listeners = (spec(named(run.resources, "gateway-gateway")).listeners as Array<{ name: string; hostname: string }>).map(
                (l) => `${l.name} ${l.hostname}`,
            );
            expect(listeners).to.deep.equal(["http *.lab.example.com", "https *.lab.example.com"]);
        });

        it("an attendee with access owns their HTTPRoute: its spec is theirs after creation, their Role may change it", async () => {
            const run = await runLab({
                "istio-lab:trafficApi": "gatewayApi",
                "istio-lab:attendees": '["ann"]',
                "istio-lab:attendeeAccess": "true",
            });
            expect(named(run.resources, "attendee-ann-traffic-http-route").ignoreChanges).to.deep.equal(["spec"]);
            expect((run.outputs.attendees as Array<{ access: { owns: string[] } }>)[0].access.owns).to.deep.equal([
                "HTTPRoute guestbook",
                "DestinationRule destination-rule-guestbook",
                "the guestbook Deployments' replicas",
            ]);
            const role = named(run.resources, "attendee-ann-access-role").inputs as {
                rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
            };
            expect(role.rules.find((r) => r.apiGroups.includes("gateway.networking.k8s.io"))).to.deep.equal({
                apiGroups: ["gateway.networking.k8s.io"],
                resources: ["httproutes"],
                verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
            });
        });

        it("the breaker and client TLS under the Gateway API sit on the hosts the HTTPRoute sends to (one DestinationRule per version Service)", async () => {
            const base = configOf("kubernetes", "helm", "gatewayApi", "sidecar");
            const whole = await runLab({
                ...base,
                "istio-lab:canaryWeight": "20",
                "istio-lab:circuitBreaker": "{}",
                "istio-lab:clientTls": "ISTIO_MUTUAL",
            });
            const policy = {
                connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
                outlierDetection: { consecutive5xxErrors: 1, interval: "1s", baseEjectionTime: "3m", maxEjectionPercent: 100 },
                tls: { mode: "ISTIO_MUTUAL" },
            };
            for (const v of ["v1", "v2"]) {
                expect(named(whole.resources, `traffic-destination-rule-${v}`).inputs).to.deep.equal({
                    apiVersion: "networking.istio.io/v1",
                    kind: "DestinationRule",
                    metadata: { name: `destination-rule-guestbook-${v}`, namespace: "guestbook", labels: LAB_LABELS },
                    spec: { host: `guestbook-${v}`, trafficPolicy: policy },
                });
            }
            // The route waits for them, so no request reaches a version before its policy does.
            for (const v of ["v1", "v2"]) {
                expect(dependsOn(whole.resources, "traffic-http-route", `traffic-destination-rule-${v}`)).to.equal(true);
            }
            // A breaker on one version lands on that version's Service alone.
            const one = await runLab({
                ...base,
                "istio-lab:canaryWeight": "20",
                "istio-lab:circuitBreaker": '{"subset":"v2","maxConnections":3}',
            });
            expect(one.resources.filter((r) => r.name.startsWith("traffic-destination-rule-")).map((r) => r.name)).to.deep.equal([
                "traffic-destination-rule-v2",
            ]);
            expect(spec(named(one.resources, "traffic-destination-rule-v2"))).to.deep.equal({
                host: "guestbook-v2",
                trafficPolicy: {
                    connectionPool: { ...policy.connectionPool, tcp: { maxConnections: 3 } },
                    outlierDetection: policy.outlierDetection,
                },
            });
            // Round robin sends to guestbook itself, where destination-rule-guestbook's policy already is; no policy, no extra rule.
            const rr = await runLab({ ...base, "istio-lab:routing": "roundRobin", "istio-lab:circuitBreaker": "{}" });
            const plain = await runLab({ ...base, "istio-lab:canaryWeight": "20" });
            for (const run of [rr, plain]) {
                expect(run.resources.filter((r) => r.name.startsWith("traffic-destination-rule-"))).to.deep.equal([]);
            }
        });

        it("trafficSplit in percent for the Gateway API (its weights are relative)", async () => {
            const run = await runLab({ ...configOf("kubernetes", "helm", "gatewayApi", "sidecar"), "istio-lab:canaryWeight": "20" });
            expect(run.outputs.trafficSplit).to.deep.equal({ weights: { v1: 80, v2: 20 }, abTest: null });
            expect(spec(named(run.resources, "traffic-http-route")).rules).to.deep.equal([
                {
                    backendRefs: [
                        { name: "guestbook-v1", port: 80, weight: 80 },
                        { name: "guestbook-v2", port: 80, weight: 20 },
                    ],
                },
            ]);
        });
    });
});

/**
 * The peer authentication lab's steps 8 to 13 in ambient mode, cell by cell. Sources (Istio's documentation):
 * - PeerAuthentication reference (istio.io/latest/docs/reference/config/security/peer_authentication): "In ambient
 *   mode, security is transparently enabled for a pod by the ztunnel node agent. (Traffic between proxies uses the
 *   HBONE protocol, which includes encryption with mTLS.) Because of this, DISABLE mode is not supported. STRICT
 *   mode is useful to ensure that connections that bypass the mesh are not possible."
 * - ztunnel guide (istio.io/latest/docs/ambient/usage/ztunnel): ztunnel carries the L4 traffic of ambient
 *   workloads over mutual TLS (HBONE); STRICT and PERMISSIVE are enforced at mesh, namespace, workload and port
 *   scope without a waypoint.
 * So: between ambient workloads (foo, bar) always 200 over mutual TLS, whatever the policy; from legacy (out of
 * the mesh) to an ambient workload 200 in plain text under PERMISSIVE (or no policy) and 000 (connection reset,
 * curl exit 56) under STRICT; to legacy always 200 in plain text. No Istio page tabulates the foo/bar/legacy
 * matrix for ambient mode: each cell follows from those statements. Steps 12 and 13 turn a port and a workload
 * to DISABLE, which ambient mode does not support (refused above); their PERMISSIVE forms are checked instead.
 */
describe("lab matrix in ambient mode: the peer authentication lab's steps 8 to 13", () => {
    const table = (rows: ProbeRow[]) => probeTable(rows, "ambient");
    const matrix = (peerAuth: unknown[]) => peerAuthMatrix(peerAuth, ["istio-lab:dataplane=ambient"]);
    const inMesh: ProbeRow[] = [
        ["foo", "foo", "200", true],
        ["foo", "bar", "200", true],
        ["foo", "legacy", "200", false],
        ["bar", "foo", "200", true],
        ["bar", "bar", "200", true],
        ["bar", "legacy", "200", false],
    ];

    it("step 8, no policy: every call succeeds; ambient to ambient over mutual TLS", async () => {
        expect(await matrix([])).to.deep.equal(
            table([...inMesh, ["legacy", "foo", "200", false], ["legacy", "bar", "200", false], ["legacy", "legacy", "200", false]]),
        );
    });

    it("step 9, mesh-wide STRICT: legacy is refused by both ambient namespaces", async () => {
        expect(await matrix([{ mode: "STRICT", scope: "mesh" }])).to.deep.equal(
            table([...inMesh, ["legacy", "foo", "000", false], ["legacy", "bar", "000", false], ["legacy", "legacy", "200", false]]),
        );
    });

    it("step 10, namespace foo STRICT: legacy is refused by foo only", async () => {
        expect(await matrix([{ mode: "STRICT", scope: "namespace", namespace: "foo" }])).to.deep.equal(
            table([...inMesh, ["legacy", "foo", "000", false], ["legacy", "bar", "200", false], ["legacy", "legacy", "200", false]]),
        );
    });

    it("step 11, workload httpbin.bar STRICT (no DestinationRule in ambient): legacy is refused by bar only", async () => {
        expect(await matrix([{ mode: "STRICT", scope: "workload", namespace: "bar", selector: { app: "httpbin" } }])).to.deep.equal(
            table([...inMesh, ["legacy", "foo", "200", false], ["legacy", "bar", "000", false], ["legacy", "legacy", "200", false]]),
        );
    });

    it("step 12, port 80 of httpbin.bar PERMISSIVE under STRICT: legacy gets in on that port; foo and bar still use mutual TLS", async () => {
        const policy = {
            mode: "STRICT",
            scope: "port",
            namespace: "bar",
            selector: { app: "httpbin" },
            portLevelMtls: { "80": { mode: "PERMISSIVE" } },
        };
        expect(await matrix([policy])).to.deep.equal(
            table([...inMesh, ["legacy", "foo", "200", false], ["legacy", "bar", "200", false], ["legacy", "legacy", "200", false]]),
        );
    });

    it("step 13, workload httpbin.foo PERMISSIVE wins over namespace foo STRICT", async () => {
        const rows = await matrix([
            { mode: "STRICT", scope: "namespace", namespace: "foo" },
            { mode: "PERMISSIVE", scope: "workload", namespace: "foo", selector: { app: "httpbin" } },
        ]);
        expect(rows).to.deep.equal(
            table([...inMesh, ["legacy", "foo", "200", false], ["legacy", "bar", "200", false], ["legacy", "legacy", "200", false]]),
        );
    });

    it("the guestbook on the Gateway API in ambient: the Gateway's own proxy to each version, and guestbook to redis, over mutual TLS; the text says the data plane", async () => {
        const r = await lab(["matrix", "--stack", "ambient"]);
        expect(r.stdout).to.equal(
            [
                "# predicted for the ambient data plane (ztunnel: mutual TLS between ambient workloads whatever the policy; httpbin sees no X-Forwarded-Client-Cert)",
                "-----",
                "mutual TLS (HBONE, ztunnel)",
                "# traffic policy: connectionPool, outlierDetection (DestinationRule guestbook/destination-rule-guestbook-v1)",
                "TEST: guestbook-gateway-istio.istio-system to guestbook-v1.guestbook: 200",
                "-----",
                "mutual TLS (HBONE, ztunnel)",
                "# traffic policy: connectionPool, outlierDetection (DestinationRule guestbook/destination-rule-guestbook-v2)",
                "TEST: guestbook-gateway-istio.istio-system to guestbook-v2.guestbook: 200",
                "-----",
                "mutual TLS (HBONE, ztunnel)",
                "TEST: guestbook.guestbook to redis-master.guestbook: 200",
                "-----",
                "mutual TLS (HBONE, ztunnel)",
                "TEST: guestbook.guestbook to redis-slave.guestbook: 200",
                "-----",
                "",
            ].join("\n"),
        );
        // At 0 the HTTPRoute sends nothing to v2: the matrix shows only v1 behind the Gateway.
        const zero = await lab(["matrix", "--stack", "gateway-api", "--set", "canaryWeight=0", "--json"]);
        expect((JSON.parse(zero.stdout) as ProbeResult[]).map((x) => [x.from, x.to, x.code, x.mtls, x.dataplane])).to.deep.equal([
            ["guestbook-gateway-istio.istio-system", "guestbook-v1.guestbook", "200", true, "sidecar"],
            ["guestbook.guestbook", "redis-master.guestbook", "200", true, "sidecar"],
            ["guestbook.guestbook", "redis-slave.guestbook", "200", true, "sidecar"],
        ]);
    });
});

/** A standard-install.yaml stand-in: one CRD carrying the release's bundle-version annotation. */
function crdFile(release: string): string {
    const file = path.join(tempDir("istio-lab-crds-"), "standard-install.yaml");
    writeFileSync(
        file,
        [
            "apiVersion: apiextensions.k8s.io/v1",
            "kind: CustomResourceDefinition",
            "metadata:",
            "  name: gateways.gateway.networking.k8s.io",
            "  annotations:",
            `    gateway.networking.k8s.io/bundle-version: ${release}`,
            "",
        ].join("\n"),
    );
    return file;
}
