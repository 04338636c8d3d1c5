// Control plane flavours (issue 8): what each installs, which Istio API versions its objects use, the
// waits and their order, the refusals, and that a canary shift still touches only the VirtualService.
import { expect } from "chai";
import { parseConfig } from "../../config";
import { LabResource, runLab } from "../../tools/engine";
import { GUESTBOOK_APP, dependsOn, itRefuses, named, objects, spec, stackConfig } from "../helpers";

const SAIL = { ...stackConfig("kubernetes"), "istio-lab:controlPlane": '{"flavor":"sail"}' };
const LAB_LABELS = { "app.kubernetes.io/part-of": "istio-lab", "app.kubernetes.io/managed-by": "pulumi" };

/** `[type, aliasTypes]` of every Istio object the lab routes and secures with. */
const istioTypes = (resources: readonly LabResource[]) =>
    resources.filter((r) => /^kubernetes:(networking|security)\.istio\.io\//.test(r.type)).map((r) => [r.name, r.type, r.aliasTypes]);

const INJECTED_GATEWAY = [
    "ServiceAccount istio-system/istio-ingressgateway",
    "Deployment istio-system/istio-ingressgateway",
    "Service istio-system/istio-ingressgateway",
    "Role istio-system/istio-ingressgateway-sds",
    "RoleBinding istio-system/istio-ingressgateway-sds",
];
describe("control plane flavours", () => {
    describe("sail (Kubernetes): the Sail operator's chart, then Istio and IstioCNI, then the injected gateway", () => {
        let run: Awaited<ReturnType<typeof runLab>>;
        before(async () => {
            run = await runLab(SAIL);
        });

        it("creates exactly these objects, in order", () => {
            expect(objects(run.resources)).to.deep.equal([
                "Namespace istio-system",
                "Namespace istio-cni",
                "Namespace sail-operator",
                "Release sail-operator/sail-operator",
                "Istio default",
                "IstioCNI default",
                ...INJECTED_GATEWAY,
                ...GUESTBOOK_APP,
                "DestinationRule guestbook/destination-rule-guestbook",
                "VirtualService guestbook/virtual-service-guestbook",
                "PeerAuthentication istio-system/default",
            ]);
        });

        it("installs the Sail operator's chart, pinned", () => {
            const release = named(run.resources, "control-plane-sail-operator").inputs;
            expect([release.name, release.chart, release.version, release.repositoryOpts]).to.deep.equal([
                "sail-operator",
                "sail-operator",
                "1.31.2",
                { repo: "https://istio-ecosystem.github.io/sail-operator" },
            ]);
        });

        it("asks for Istio v1.31.3 (the newest Sail 1.31.2 installs) and its CNI agent, both named default, with images from Docker Hub, waited on until Ready, after the operator", () => {
            const istio = named(run.resources, "control-plane-istio");
            expect(istio.inputs.metadata).to.deep.equal({
                name: "default",
                labels: LAB_LABELS,
                annotations: { "pulumi.com/waitFor": "condition=Ready" },
            });
            expect(spec(istio)).to.deep.equal({
                version: "v1.31.3",
                namespace: "istio-system",
                updateStrategy: { type: "InPlace" },
                values: { global: { hub: "docker.io/istio" } },
            });
            const cni = named(run.resources, "control-plane-istio-cni");
            expect(cni.type).to.equal("kubernetes:sailoperator.io/v1:IstioCNI");
            expect(spec(cni)).to.deep.equal({ version: "v1.31.3", namespace: "istio-cni", values: { global: { hub: "docker.io/istio" } } });
            expect(dependsOn(run.resources, "control-plane-istio", "control-plane-sail-operator")).to.equal(true);
            expect(dependsOn(run.resources, "control-plane-istio-cni", "control-plane-cni-namespace")).to.equal(true);
        });

        it("injects the ingress gateway after the Istio is Ready, labelled for the lab's Gateway, allowed to read its TLS secret", () => {
            const deployment = named(run.resources, "control-plane-gateway");
            expect(spec(deployment)).to.deep.equal({
                selector: { matchLabels: { istio: "ingressgateway" } },
                template: {
                    metadata: {
                        annotations: { "inject.istio.io/templates": "gateway" },
                        labels: { istio: "ingressgateway", app: "istio-ingressgateway", "sidecar.istio.io/inject": "true" },
                    },
                    spec: { serviceAccountName: "istio-ingressgateway", containers: [{ name: "istio-proxy", image: "auto" }] },
                },
            });
            expect(dependsOn(run.resources, "control-plane-gateway", "control-plane-istio")).to.equal(true);
            expect(spec(named(run.resources, "control-plane-gateway-service"))).to.deep.equal({
                type: "LoadBalancer",
                selector: { istio: "ingressgateway" },
                ports: [
                    { name: "http2", port: 80, targetPort: 8080 },
                    { name: "https", port: 443, targetPort: 8443 },
                ],
            });
            expect(named(run.resources, "control-plane-gateway-role").inputs.rules).to.deep.equal([
                { apiGroups: [""], resources: ["secrets"], verbs: ["get", "watch", "list"] },
            ]);
            expect(named(run.resources, "control-plane-gateway-rolebinding").inputs.subjects).to.deep.equal([
                { kind: "ServiceAccount", name: "istio-ingressgateway" },
            ]);
        });

        it("joins the guestbook's namespace by label, and uses Istio's v1 APIs with an alias for the old v1beta1 type", () => {
            expect(
                (named(run.resources, "guestbook-namespace").inputs.metadata as { labels: Record<string, string> }).labels[
                    "istio-injection"
                ],
            ).to.equal("enabled");
            expect(istioTypes(run.resources)).to.deep.equal([
                ["gateway-gateway", "kubernetes:networking.istio.io/v1:Gateway", ["kubernetes:networking.istio.io/v1beta1:Gateway"]],
                [
                    "traffic-destination-rule",
                    "kubernetes:networking.istio.io/v1:DestinationRule",
                    ["kubernetes:networking.istio.io/v1beta1:DestinationRule"],
                ],
                [
                    "traffic-virtual-service",
                    "kubernetes:networking.istio.io/v1:VirtualService",
                    ["kubernetes:networking.istio.io/v1beta1:VirtualService"],
                ],
                [
                    "peer-auth-istio-system-default",
                    "kubernetes:security.istio.io/v1:PeerAuthentication",
                    ["kubernetes:security.istio.io/v1beta1:PeerAuthentication"],
                ],
            ]);
        });
    });

    describe("ossm3 (OpenShift 4.20+, Pulumi.openshift3.yaml)", () => {
        let run: Awaited<ReturnType<typeof runLab>>;
        before(async () => {
            run = await runLab(stackConfig("openshift3"));
        });

        it("creates exactly these objects, in order: no member roll, no tracing, Kiali", () => {
            expect(objects(run.resources)).to.deep.equal([
                "Subscription openshift-operators/kiali-ossm",
                "Subscription openshift-operators/servicemeshoperator3",
                "Namespace istio-system",
                "Namespace istio-cni",
                "Istio default",
                "IstioCNI default",
                ...INJECTED_GATEWAY,
                "Kiali istio-system/kiali",
                ...GUESTBOOK_APP,
                "Route istio-system/guestbook",
                "DestinationRule guestbook/destination-rule-guestbook",
                "VirtualService guestbook/virtual-service-guestbook",
                "PeerAuthentication istio-system/default",
                "DestinationRule istio-system/destinationrule-mtls-istio-mutual",
            ]);
        });

        it("subscribes to servicemeshoperator3 after Kiali, awaited, and waits for both before the Istio", () => {
            const sub = named(run.resources, "operators-serviceMesh3");
            expect(spec(sub)).to.deep.equal({
                channel: "stable",
                installPlanApproval: "Automatic",
                name: "servicemeshoperator3",
                source: "redhat-operators",
                sourceNamespace: "openshift-marketplace",
            });
            expect((sub.inputs.metadata as { annotations: Record<string, string> }).annotations).to.deep.equal({
                "pulumi.com/waitFor": "jsonpath={.status.state}=AtLatestKnown",
            });
            expect(dependsOn(run.resources, "operators-serviceMesh3", "operators-kiali")).to.equal(true);
            expect(dependsOn(run.resources, "control-plane-istio", "operators-serviceMesh3")).to.equal(true);
            expect(dependsOn(run.resources, "control-plane-kiali", "control-plane-istio")).to.equal(true);
            expect(spec(named(run.resources, "control-plane-kiali"))).to.deep.equal({ istio_namespace: "istio-system" });
        });

        it("keeps the gateway Service inside the cluster behind the explicit Route", () => {
            expect(spec(named(run.resources, "control-plane-gateway-service")).type).to.equal("ClusterIP");
            expect(spec(named(run.resources, "gateway-route")).to).to.deep.equal({
                kind: "Service",
                name: "istio-ingressgateway",
                weight: 100,
            });
        });

        it("joins namespaces by label, without pod annotations", () => {
            const ns = named(run.resources, "guestbook-namespace").inputs.metadata as {
                labels: Record<string, string>;
                annotations?: unknown;
            };
            expect(ns.labels["istio-injection"]).to.equal("enabled");
            expect(ns.annotations).to.equal(undefined);
            const template = (spec(named(run.resources, "guestbook-guestbook-v1")) as { template: { metadata: { annotations?: unknown } } })
                .template;
            expect(template.metadata.annotations).to.equal(undefined);
        });

        it("with tracing, subscribes to Tempo and OpenTelemetry first", async () => {
            const traced = await runLab({ ...stackConfig("openshift3"), "istio-lab:tracing": "true" });
            expect(objects(traced.resources).filter((o) => o.startsWith("Subscription"))).to.deep.equal([
                "Subscription openshift-operators/tempo-product",
                "Subscription openshift-operators/opentelemetry-product",
                "Subscription openshift-operators/kiali-ossm",
                "Subscription openshift-operators/servicemeshoperator3",
            ]);
        });

        it("is the OpenShift default", () => {
            expect(parseConfig({ "istio-lab:platform": "openshift" }).controlPlane.flavor).to.equal("ossm3");
            expect(parseConfig({}).controlPlane.flavor).to.equal("helm");
        });
    });

    describe("ossm2 (the lab documents' system, Pulumi.openshift.yaml)", () => {
        it("without tracing: two Subscriptions, no Jaeger in the SMCP, v1beta1 objects without aliases", async () => {
            const run = await runLab(stackConfig("openshift"));
            expect(objects(run.resources).filter((o) => o.startsWith("Subscription"))).to.deep.equal([
                "Subscription openshift-operators/kiali-ossm",
                "Subscription openshift-operators/servicemeshoperator",
            ]);
            expect(spec(named(run.resources, "control-plane-smcp"))).to.deep.equal({
                version: "v2.6",
                tracing: { type: "None" },
                policy: { type: "Istiod" },
                telemetry: { type: "Istiod" },
                addons: { prometheus: { enabled: true }, kiali: { enabled: true }, grafana: { enabled: true } },
            });
            expect(istioTypes(run.resources).map(([, type, aliases]) => [type, aliases])).to.deep.equal([
                ["kubernetes:networking.istio.io/v1beta1:Gateway", []],
                ["kubernetes:networking.istio.io/v1beta1:DestinationRule", []],
                ["kubernetes:networking.istio.io/v1beta1:VirtualService", []],
                ["kubernetes:security.istio.io/v1beta1:PeerAuthentication", []],
                ["kubernetes:networking.istio.io/v1beta1:DestinationRule", []],
            ]);
        });
    });

    describe("helm (upstream charts, the Kubernetes default)", () => {
        it("installs Istio 1.31.3 from blob.istio.io with images from Docker Hub, and exposes the gateway as asked, without waiting on a load balancer", async () => {
            const run = await runLab({ ...stackConfig("kubernetes"), "istio-lab:gateway": '{"serviceType":"NodePort"}' });
            const istiod = named(run.resources, "control-plane-istiod").inputs;
            expect([istiod.chart, istiod.version, istiod.repositoryOpts]).to.deep.equal([
                "istiod",
                "1.31.3",
                { repo: "https://blob.istio.io/istio-release/charts" },
            ]);
            expect(istiod.values).to.deep.equal({ global: { hub: "docker.io/istio" }, meshConfig: { rootNamespace: "istio-system" } });
            expect(named(run.resources, "control-plane-istio-ingressgateway").inputs.values).to.deep.equal({
                labels: { istio: "ingressgateway" },
                service: { type: "NodePort" },
            });
        });
    });

    describe("labUrl without a load balancer", () => {
        const observed = (ports: Array<{ port: number; nodePort?: number }>) => ({
            "kubernetes:core/v1:Service::gateway-ingress": { spec: { ports }, status: {} },
        });

        it("NodePort: the node port of the HTTPS port", async () => {
            const run = await runLab(
                { ...stackConfig("kubernetes"), "istio-lab:gateway": '{"serviceType":"NodePort"}' },
                {
                    observed: observed([
                        { port: 80, nodePort: 30080 },
                        { port: 443, nodePort: 30443 },
                    ]),
                },
            );
            expect(run.outputs.labUrl).to.equal("https://<any node's address>:30443");
        });

        it("ClusterIP: a port-forward, never an address that does not exist", async () => {
            const run = await runLab(
                { ...stackConfig("kubernetes"), "istio-lab:gateway": '{"serviceType":"ClusterIP","tls":false}' },
                { observed: observed([]) },
            );
            expect(run.outputs.labUrl).to.equal(
                "http://localhost:8080 (after: kubectl -n istio-system port-forward svc/istio-ingressgateway 8080:80)",
            );
        });
    });

    describe("refusals", () => {
        const refused: Array<[Record<string, string>, string]> = [
            [
                { "istio-lab:controlPlane": '{"flavor":"ossm3"}' },
                'istio-lab:controlPlane.flavor: "ossm3" is not allowed; expected helm or sail on platform "kubernetes"',
            ],
            [
                { "istio-lab:platform": "openshift", "istio-lab:controlPlane": '{"flavor":"sail"}' },
                'istio-lab:controlPlane.flavor: "sail" is not allowed; expected ossm3 or ossm2 on platform "openshift"',
            ],
            [
                { "istio-lab:controlPlane": '{"flavor":"istioctl"}' },
                'istio-lab:controlPlane.flavor: "istioctl" is not allowed; expected one of helm, sail, ossm3, ossm2',
            ],
            [
                { "istio-lab:platform": "openshift", "istio-lab:controlPlane": '{"flavor":"ossm2","version":"v2.7"}' },
                'istio-lab:controlPlane.version: "v2.7" is not allowed; expected a ServiceMeshControlPlane version OSSM 2.6 reconciles: v2.0, v2.1, v2.2, v2.3, v2.4, v2.5, v2.6',
            ],
            [
                { "istio-lab:platform": "openshift", "istio-lab:controlPlane": '{"flavor":"ossm2","version":"v2.06"}' },
                'istio-lab:controlPlane.version: "v2.06" is not allowed; expected a ServiceMeshControlPlane version OSSM 2.6 reconciles: v2.0, v2.1, v2.2, v2.3, v2.4, v2.5, v2.6',
            ],
            [
                { "istio-lab:platform": "openshift", "istio-lab:controlPlane": '{"istioVersion":"1.31.0"}' },
                'istio-lab:controlPlane.istioVersion: "1.31.0" is not allowed; expected the Istio release OSSM 3.4 (channel "stable") ships: 1.30.3',
            ],
            [
                { "istio-lab:platform": "openshift", "istio-lab:controlPlane": '{"istioVersion":"1.30.99"}' },
                'istio-lab:controlPlane.istioVersion: "1.30.99" is not allowed; expected the Istio release OSSM 3.4 (channel "stable") ships: 1.30.3',
            ],
            [
                { "istio-lab:platform": "openshift", "istio-lab:operators": '{"serviceMesh3":{"channel":"stable-3.2"}}' },
                'istio-lab:operators.serviceMesh3.channel: "stable-3.2" is not allowed; expected a servicemeshoperator3 channel whose Istio the lab can run: stable, stable-3.4',
            ],
            [
                { "istio-lab:controlPlane": '{"istioVersion":"1.99.0"}' },
                'istio-lab:controlPlane.istioVersion: "1.99.0" is not allowed; expected a released Istio of a supported minor (checked 2026-11-29): 1.31.3, 1.31.2, 1.31.1, 1.31.0, 1.30.7, 1.30.6, 1.30.5, 1.30.4, 1.30.3, 1.30.2, 1.30.1, 1.30.0',
            ],
            [
                { "istio-lab:controlPlane": '{"istioVersion":"01.030.0003"}' },
                'istio-lab:controlPlane.istioVersion: "01.030.0003" is not allowed; expected a released Istio of a supported minor (checked 2026-11-29): 1.31.3, 1.31.2, 1.31.1, 1.31.0, 1.30.7, 1.30.6, 1.30.5, 1.30.4, 1.30.3, 1.30.2, 1.30.1, 1.30.0',
            ],
            [
                { "istio-lab:controlPlane": '{"istioVersion":"1.29.6"}' },
                'istio-lab:controlPlane.istioVersion: "1.29.6" is not allowed; expected a released Istio of a supported minor (checked 2026-11-29): 1.31.3, 1.31.2, 1.31.1, 1.31.0, 1.30.7, 1.30.6, 1.30.5, 1.30.4, 1.30.3, 1.30.2, 1.30.1, 1.30.0',
            ],
            [
                { "istio-lab:controlPlane": '{"flavor":"sail","sailVersion":"1.99.0"}' },
                'istio-lab:controlPlane.sailVersion: "1.99.0" is not allowed; expected a Sail operator release that installs a supported Istio (checked 2026-11-29): 1.31.2, 1.30.3, 1.30.0',
            ],
            [
                { "istio-lab:controlPlane": '{"flavor":"sail","sailVersion":"1.30.3","istioVersion":"1.30.7"}' },
                'istio-lab:controlPlane.istioVersion: "1.30.7" is not allowed; expected an Istio release Sail operator 1.30.3 installs and upstream still supports: 1.30.3, 1.30.2, 1.30.1, 1.30.0',
            ],
            [
                { "istio-lab:controlPlane": '{"flavor":"sail","istioVersion":"1.29.10"}' },
                'istio-lab:controlPlane.istioVersion: "1.29.10" is not allowed; expected an Istio release Sail operator 1.31.2 installs and upstream still supports: 1.31.3, 1.31.2, 1.31.1, 1.31.0, 1.30.7, 1.30.6, 1.30.5, 1.30.4, 1.30.3, 1.30.2, 1.30.1, 1.30.0',
            ],
            [
                {
                    "istio-lab:controlPlane": '{"chartRepo":"https://istio-release.storage.googleapis.com/charts","istioVersion":"1.31.1"}',
                },
                'istio-lab:controlPlane.chartRepo: "https://istio-release.storage.googleapis.com/charts" is not allowed; expected a chart source that has Istio 1.31.1: Istio 1.31 and later were never published to this retired location; use "https://blob.istio.io/istio-release/charts"',
            ],
            [
                { "istio-lab:gateway": '{"serviceType":"ExternalName"}' },
                'istio-lab:gateway.serviceType: "ExternalName" is not allowed; expected one of LoadBalancer, NodePort, ClusterIP',
            ],
        ];
        itRefuses(refused);
    });

    describe("a canary shift touches only the VirtualService on every flavour", () => {
        const flavours: Array<[string, Record<string, string>]> = [
            ["helm", stackConfig("kubernetes")],
            ["sail", SAIL],
            ["ossm3", stackConfig("openshift3")],
            ["ossm2", stackConfig("openshift")],
        ];
        for (const [flavour, config] of flavours) {
            it(flavour, async () => {
                const before = await runLab(config);
                const after = await runLab({ ...config, "istio-lab:canaryWeight": "50" });
                const inputs = new Map(before.resources.map((r) => [r.key, JSON.stringify(r.inputs)]));
                const changed = after.resources.filter((r) => inputs.get(r.key) !== JSON.stringify(r.inputs)).map((r) => r.name);
                expect(changed).to.deep.equal(["traffic-virtual-service"]);
                expect(after.resources.map((r) => r.key)).to.deep.equal(before.resources.map((r) => r.key));
            });
        }
    });
});

describe("waitTimeoutSeconds", () => {
    it("puts pulumi.com/timeoutSeconds beside every pulumi.com/waitFor, and nowhere else", async () => {
        const run = await runLab({ ...stackConfig("openshift"), "istio-lab:tracing": "true", "istio-lab:waitTimeoutSeconds": "45" });
        const annotated = run.resources
            .filter((r) => r.custom && !r.read)
            .map((r) => ((r.inputs.metadata ?? {}) as { annotations?: Record<string, string> }).annotations ?? {});
        const waits = annotated.filter((a) => "pulumi.com/waitFor" in a);
        expect(waits.length).to.equal(6);
        expect(waits.map((a) => a["pulumi.com/timeoutSeconds"])).to.deep.equal(Array(6).fill("45"));
        expect(annotated.filter((a) => !("pulumi.com/waitFor" in a) && "pulumi.com/timeoutSeconds" in a)).to.deep.equal([]);
        const without = await runLab(stackConfig("openshift"));
        expect(
            without.resources
                .filter((r) => JSON.stringify(r.inputs.metadata ?? {}).includes("pulumi.com/timeoutSeconds"))
                .map((r) => r.name),
        ).to.deep.equal([]);
    });

    itRefuses([
        [{ "istio-lab:waitTimeoutSeconds": "0" }, "istio-lab:waitTimeoutSeconds: 0 is not allowed; expected an integer from 1 to 86400"],
    ]);
});

describe("which Services the provider waits for (pulumi.com/skipAwait)", () => {
    /** `namespace/name: skipAwait` of every Service the lab creates. */
    async function services(config: Record<string, string>): Promise<string[]> {
        const run = await runLab(config);
        return run.resources
            .filter((r) => r.type === "kubernetes:core/v1:Service" && !r.read)
            .map((r) => {
                const meta = r.inputs.metadata as { name: string; namespace: string; annotations?: Record<string, string> };
                return `${meta.namespace}/${meta.name}: ${meta.annotations?.["pulumi.com/skipAwait"] ?? "waits"}`;
            });
    }

    it("the workloads' Services skip it (their Deployments are awaited), in the guestbook and the peer authentication lab", async () => {
        expect(await services(stackConfig("dev"))).to.deep.equal([
            "guestbook/redis-master: true",
            "guestbook/redis-slave: true",
            "guestbook/guestbook: true",
        ]);
        const peerAuth = await services(stackConfig("peer-auth"));
        expect(peerAuth.length).to.be.greaterThan(0);
        expect(peerAuth.filter((s) => !s.endsWith(": true"))).to.deep.equal([]);
        expect(peerAuth.filter((s) => /\/(httpbin|sleep): true$/.test(s)).length).to.equal(peerAuth.length);
    });

    it("the injected gateway's Service skips it unless it is a load balancer's, whose address labUrl reports", async () => {
        const gateway = async (serviceType: string) =>
            (await services({ ...SAIL, "istio-lab:gateway": JSON.stringify({ serviceType }) })).filter((s) =>
                s.startsWith("istio-system/"),
            );
        expect(await gateway("NodePort")).to.deep.equal(["istio-system/istio-ingressgateway: true"]);
        expect(await gateway("ClusterIP")).to.deep.equal(["istio-system/istio-ingressgateway: true"]);
        expect(await gateway("LoadBalancer")).to.deep.equal(["istio-system/istio-ingressgateway: waits"]);
    });
});

describe("what a namespace's deletion takes with it (deletedWith)", () => {
    /** `kind namespace/name -> the namespace resource's name` of every namespaced workload object, or "deleted alone". */
    async function deletedWith(config: Record<string, string>, kinds: readonly string[]): Promise<string[]> {
        const run = await runLab(config);
        const byKey = new Map(run.resources.map((r) => [r.key, r]));
        return run.resources
            .filter((r) => !r.read && kinds.includes(r.type))
            .map((r) => {
                const meta = r.inputs.metadata as { name: string; namespace: string };
                const ns = r.deletedWith ? byKey.get(r.deletedWith) : undefined;
                return `${r.type.split(":")[2]} ${meta.namespace}/${meta.name} -> ${ns ? `${ns.type.split(":")[2]} ${ns.name}` : "deleted alone"}`;
            });
    }
    const WORKLOADS = ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service"];

    it("a single lab deletes each of its guestbook's objects, then the namespace", async () => {
        expect(await deletedWith(stackConfig("dev"), WORKLOADS)).to.deep.equal([
            "Deployment guestbook/redis-master -> deleted alone",
            "Service guestbook/redis-master -> deleted alone",
            "Deployment guestbook/redis-slave -> deleted alone",
            "Service guestbook/redis-slave -> deleted alone",
            "Deployment guestbook/guestbook-v1 -> deleted alone",
            "Deployment guestbook/guestbook-v2 -> deleted alone",
            "Service guestbook/guestbook -> deleted alone",
        ]);
    });

    it("the peer authentication lab deletes each of its objects, then the namespaces it made", async () => {
        const got = await deletedWith(stackConfig("peer-auth"), [...WORKLOADS, "kubernetes:core/v1:ServiceAccount"]);
        expect(got.length).to.equal(18);
        expect(got.filter((s) => !s.endsWith("-> deleted alone"))).to.deep.equal([]);
    });

    it("a class: each attendee's Deployments and Services go with the attendee's namespace", async () => {
        const got = await deletedWith({ ...stackConfig("dev"), "istio-lab:attendees": "2" }, WORKLOADS);
        expect(got.length).to.equal(14);
        expect(got.filter((s) => !/^\w+ guestbook-(user\d)\/[\w-]+ -> Namespace [\w-]*\1[\w-]*namespace$/.test(s))).to.deep.equal([]);
    });
});
