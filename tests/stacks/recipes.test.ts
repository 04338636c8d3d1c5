import { expect } from "chai";
import { LabResource, runLab } from "../../tools/engine";
import { GUESTBOOK_APP, dependsOn, named, objects, spec, stackConfig, withEnv } from "../helpers";

const UPSTREAM_ISTIO = [
    "Namespace istio-system",
    "Release istio-system/istio-base",
    "Release istio-system/istiod",
    "Release istio-system/istio-ingressgateway",
];
const ROUTING = ["DestinationRule guestbook/destination-rule-guestbook", "VirtualService guestbook/virtual-service-guestbook"];

function template(r: LabResource): {
    metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
    spec: { containers: Array<Record<string, unknown>> };
} {
    return (spec(r) as { template: ReturnType<typeof template> }).template;
}

describe("recipes", () => {
    describe("dev (plain Kubernetes at the 80/20 canary)", () => {
        let run: Awaited<ReturnType<typeof runLab>>;
        before(async () => {
            run = await runLab(stackConfig("dev"));
        });

        it("creates exactly the lab's objects, in order", () => {
            expect(objects(run.resources)).to.deep.equal([
                ...UPSTREAM_ISTIO,
                ...GUESTBOOK_APP,
                ...ROUTING,
                "PeerAuthentication istio-system/default",
            ]);
        });

        it("installs upstream Istio from its charts, one pinned version, in order", () => {
            const releases = run.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
            expect(releases.map((r) => [r.inputs.name, r.inputs.chart, r.inputs.version, r.inputs.namespace])).to.deep.equal([
                ["istio-base", "base", "1.31.3", "istio-system"],
                ["istiod", "istiod", "1.31.3", "istio-system"],
                ["istio-ingressgateway", "gateway", "1.31.3", "istio-system"],
            ]);
            expect(
                releases.every((r) => (r.inputs.repositoryOpts as { repo: string }).repo === "https://blob.istio.io/istio-release/charts"),
            ).to.equal(true);
            expect(dependsOn(run.resources, "control-plane-istiod", "control-plane-istio-base")).to.equal(true);
            expect(dependsOn(run.resources, "control-plane-istio-ingressgateway", "control-plane-istiod")).to.equal(true);
        });

        it("injects sidecars the upstream way: the namespace label", () => {
            const ns = named(run.resources, "guestbook-namespace");
            expect((ns.inputs.metadata as { labels: Record<string, string> }).labels).to.deep.equal({
                "app.kubernetes.io/part-of": "istio-lab",
                "app.kubernetes.io/managed-by": "pulumi",
                "istio-lab/lab-id": run.outputs.labId,
                "istio-injection": "enabled",
            });
            expect(template(named(run.resources, "guestbook-guestbook-v1")).metadata.annotations).to.equal(undefined);
        });

        it("deploys guestbook v1 and v2 exactly as the lab does", () => {
            const v1 = named(run.resources, "guestbook-guestbook-v1");
            const v2 = named(run.resources, "guestbook-guestbook-v2");
            expect(spec(v1).replicas).to.equal(3);
            expect(spec(v1).selector).to.deep.equal({ matchLabels: { app: "guestbook", version: "1.0" } });
            expect(template(v1).spec.containers).to.deep.equal([
                { name: "guestbook", image: "ibmcom/guestbook:v1", ports: [{ name: "http", containerPort: 3000 }] },
            ]);
            expect(template(v2).metadata.labels).to.deep.equal({ app: "guestbook", version: "2.0" });
            expect(template(v2).spec.containers).to.deep.equal([
                {
                    name: "guestbook",
                    image: "ibmcom/guestbook:v2",
                    ports: [{ name: "http", containerPort: 3000 }],
                    resources: { requests: { cpu: "100m", memory: "100Mi" } },
                },
            ]);
            expect(spec(named(run.resources, "guestbook-guestbook-service"))).to.deep.equal({
                type: "ClusterIP",
                selector: { app: "guestbook" },
                ports: [{ name: "http", port: 80, targetPort: 3000 }],
            });
            expect(spec(named(run.resources, "guestbook-redis-master-service")).ports).to.deep.equal([
                { name: "tcp-redis", port: 6379, targetPort: "redis-server" },
            ]);
            expect(template(named(run.resources, "guestbook-redis-slave")).spec.containers).to.deep.equal([
                { name: "redis-slave", image: "ibmcom/guestbook-redis-slave:v2", ports: [{ name: "redis-server", containerPort: 6379 }] },
            ]);
            expect(spec(named(run.resources, "guestbook-redis-slave")).replicas).to.equal(2);
        });

        it("exports the split, the policies and the namespaces", () => {
            expect(run.outputs.trafficSplit).to.deep.equal({ weights: { v1: 80, v2: 20 }, abTest: null });
            expect(run.outputs.mtlsPolicies).to.deep.equal([{ policy: "istio-system/default", scope: "mesh", mode: "STRICT" }]);
            expect(run.outputs.namespaces).to.deep.equal(["istio-system", "guestbook"]);
            expect(run.outputs.labUrl).to.equal("https://<pending load balancer address>");
            expect(run.outputs.caCert).to.equal("-----BEGIN CERTIFICATE-----\nmock gateway-ca\n-----END CERTIFICATE-----\n");
            expect(run.outputs.recipe).to.equal("kubernetes");
        });

        it("orders Istio objects after the control plane and routes after their gateway and rule", () => {
            for (const name of [
                "gateway-gateway",
                "traffic-destination-rule",
                "traffic-virtual-service",
                "peer-auth-istio-system-default",
                "guestbook-guestbook-v1",
            ]) {
                expect(dependsOn(run.resources, name, "control-plane-istiod"), name).to.equal(true);
            }
            expect(dependsOn(run.resources, "traffic-virtual-service", "gateway-gateway")).to.equal(true);
            expect(dependsOn(run.resources, "traffic-virtual-service", "traffic-destination-rule")).to.equal(true);
            expect(dependsOn(run.resources, "guestbook-guestbook-v1", "guestbook-namespace")).to.equal(true);
        });

        it("parents every resource to its component", () => {
            const topLevel = run.resources.filter((r) => r.parent === undefined).map((r) => r.key);
            expect(topLevel).to.deep.equal([
                "pulumi:providers:kubernetes::lab-namespaces",
                "random:index/randomString:RandomString::lab-id",
                "istio-lab:mesh:ControlPlane::control-plane",
                "istio-lab:app:Guestbook::guestbook",
                "istio-lab:gateway:Gateway::gateway",
                "istio-lab:traffic:TrafficPolicy::traffic",
                "istio-lab:security:PeerAuth::peer-auth",
            ]);
        });

        it("creates its namespaces with a plain create (AlreadyExists for one that is there), everything else by server-side apply", () => {
            const creator = named(run.resources, "lab-namespaces");
            expect(creator.inputs.enableServerSideApply).to.equal("false");
            const byProvider = (p: string | undefined) =>
                run.resources
                    .filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.provider === p)
                    .map((r) => r.key)
                    .sort();
            expect(byProvider("pulumi:providers:kubernetes::lab-namespaces")).to.deep.equal([
                "kubernetes:core/v1:Namespace::control-plane-namespace",
                "kubernetes:core/v1:Namespace::guestbook-namespace",
            ]);
            expect(byProvider(undefined)).to.not.include.members(byProvider("pulumi:providers:kubernetes::lab-namespaces"));
            expect(byProvider(undefined).length).to.be.greaterThan(10);
        });

        it("leaves $KUBECONFIG to the namespace provider itself (given its path, the provider copies the file into $TMPDIR on every run)", async () => {
            await withEnv("KUBECONFIG", "/home/instructor/.kube/class.yaml", async () => {
                const fromEnv = await runLab(stackConfig("dev"));
                expect(named(fromEnv.resources, "lab-namespaces").inputs.kubeconfig).to.equal("");
                const given = await runLab({ ...stackConfig("dev"), "kubernetes:kubeconfig": "/home/instructor/other.yaml" });
                // The stack's own kubeconfig is passed on, as a secret (the mocks record a secret as "<redacted>").
                expect(named(given.resources, "lab-namespaces").inputs.kubeconfig).to.equal("<redacted>");
            });
        });

        it("reports the load balancer address as the lab URL once it has one", async () => {
            const observed = {
                "kubernetes:core/v1:Service::gateway-ingress": { status: { loadBalancer: { ingress: [{ ip: "192.0.2.7" }] } } },
            };
            const withLb = await runLab(stackConfig("dev"), { observed });
            expect(withLb.outputs.labUrl).to.equal("https://192.0.2.7");
        });
    });

    describe("changing the canary or the A/B rule", () => {
        const changed = async (overrides: Record<string, string>) => {
            const base = await runLab(stackConfig("dev"));
            const next = await runLab({ ...stackConfig("dev"), ...overrides });
            expect(next.resources.map((r) => r.key)).to.deep.equal(base.resources.map((r) => r.key));
            return base.resources
                .filter((r, i) => JSON.stringify(r.inputs) !== JSON.stringify(next.resources[i].inputs))
                .map((r) => r.name);
        };

        it("20 -> 50 changes the VirtualService and nothing else", async () => {
            expect(await changed({ "istio-lab:canaryWeight": "50" })).to.deep.equal(["traffic-virtual-service"]);
        });

        it("adding the A/B rule changes the VirtualService and nothing else", async () => {
            expect(await changed({ "istio-lab:abTest": "{}" })).to.deep.equal(["traffic-virtual-service"]);
        });
    });

    describe("openshift", () => {
        let run: Awaited<ReturnType<typeof runLab>>;
        before(async () => {
            // The lab documents' OSSM 2 system with its tracing operators (off by default today: Jaeger left the catalog).
            run = await runLab({ ...stackConfig("openshift"), "istio-lab:tracing": "true" });
        });

        it("creates exactly the lab's objects, in order", () => {
            expect(objects(run.resources)).to.deep.equal([
                "Namespace openshift-operators-redhat",
                "OperatorGroup openshift-operators-redhat/openshift-operators-redhat",
                "Subscription openshift-operators-redhat/elasticsearch-operator",
                "Subscription openshift-operators/jaeger-product",
                "Subscription openshift-operators/kiali-ossm",
                "Subscription openshift-operators/servicemeshoperator",
                "Namespace istio-system",
                "ServiceMeshControlPlane istio-system/basic",
                "ServiceMeshMemberRoll istio-system/default",
                ...GUESTBOOK_APP,
                "Route istio-system/guestbook",
                ...ROUTING,
                "PeerAuthentication istio-system/default",
                "DestinationRule istio-system/destinationrule-mtls-istio-mutual",
            ]);
            expect(run.outputs.namespaces).to.deep.equal(["openshift-operators-redhat", "istio-system", "guestbook"]);
        });

        it("subscribes to the lab's operators in order, each awaited", () => {
            const subs = run.resources.filter((r) => r.inputs.kind === "Subscription");
            expect(subs.map((s) => spec(s))).to.deep.equal(
                [
                    ["elasticsearch-operator", "stable"],
                    ["jaeger-product", "stable"],
                    ["kiali-ossm", "stable"],
                    ["servicemeshoperator", "stable"],
                ].map(([name, channel]) => ({
                    channel,
                    installPlanApproval: "Automatic",
                    name,
                    source: "redhat-operators",
                    sourceNamespace: "openshift-marketplace",
                })),
            );
            for (const s of subs) {
                expect((s.inputs.metadata as { annotations: Record<string, string> }).annotations).to.deep.equal({
                    "pulumi.com/waitFor": "jsonpath={.status.state}=AtLatestKnown",
                });
            }
            expect(dependsOn(run.resources, "operators-jaeger", "operators-elasticsearch")).to.equal(true);
            expect(dependsOn(run.resources, "operators-kiali", "operators-jaeger")).to.equal(true);
            expect(dependsOn(run.resources, "operators-serviceMesh", "operators-kiali")).to.equal(true);
            expect(dependsOn(run.resources, "operators-elasticsearch", "operators-openshift-operators-redhat-operatorgroup")).to.equal(
                true,
            );
            const ns = named(run.resources, "operators-openshift-operators-redhat").inputs.metadata;
            expect(ns).to.deep.include({
                labels: {
                    "app.kubernetes.io/part-of": "istio-lab",
                    "app.kubernetes.io/managed-by": "pulumi",
                    "istio-lab/lab-id": run.outputs.labId,
                    "openshift.io/cluster-monitoring": "true",
                },
                annotations: { "openshift.io/node-selector": "" },
            });
            expect(spec(named(run.resources, "operators-openshift-operators-redhat-operatorgroup"))).to.deep.equal({});
        });

        it("creates the control plane with the console defaults after the operators, awaited until Ready", () => {
            const smcp = named(run.resources, "control-plane-smcp");
            expect(smcp.type).to.equal("kubernetes:maistra.io/v2:ServiceMeshControlPlane");
            expect(spec(smcp)).to.deep.equal({
                version: "v2.6",
                tracing: { type: "Jaeger", sampling: 10000 },
                policy: { type: "Istiod" },
                telemetry: { type: "Istiod" },
                addons: {
                    jaeger: { install: { storage: { type: "Memory" } } },
                    prometheus: { enabled: true },
                    kiali: { enabled: true },
                    grafana: { enabled: true },
                },
            });
            expect((smcp.inputs.metadata as { annotations: Record<string, string> }).annotations).to.deep.equal({
                "pulumi.com/waitFor": "condition=Ready",
            });
            expect(dependsOn(run.resources, "control-plane-smcp", "operators-serviceMesh")).to.equal(true);
            const smmr = named(run.resources, "control-plane-smmr");
            expect(smmr.inputs.metadata).to.deep.include({ name: "default", namespace: "istio-system" });
            expect(spec(smmr)).to.deep.equal({ members: ["guestbook"] });
        });

        it("injects sidecars the OpenShift way and waits for the member roll before creating pods", () => {
            expect(template(named(run.resources, "guestbook-guestbook-v2")).metadata.annotations).to.deep.equal({
                "sidecar.istio.io/inject": "true",
            });
            expect(template(named(run.resources, "guestbook-redis-master")).metadata.annotations).to.deep.equal({
                "sidecar.istio.io/inject": "true",
            });
            const ns = named(run.resources, "guestbook-namespace").inputs.metadata as {
                labels: Record<string, string>;
                annotations: Record<string, string>;
            };
            expect(ns.labels["istio-injection"]).to.equal(undefined);
            expect(ns.annotations).to.deep.equal({
                "pulumi.com/waitFor": "jsonpath={.metadata.labels['maistra.io/member-of']}=istio-system",
            });
            expect(dependsOn(run.resources, "guestbook-guestbook-v1", "control-plane-smmr")).to.equal(true);
            expect(dependsOn(run.resources, "guestbook-guestbook-v1", "guestbook-namespace")).to.equal(true);
        });

        it("exposes the gateway through an explicit Route and keeps OSSM from adding its own", () => {
            const gw = named(run.resources, "gateway-gateway");
            expect(gw.inputs.metadata).to.deep.include({
                name: "guestbook-gateway",
                namespace: "guestbook",
                annotations: { "maistra.io/manageRoute": "false" },
            });
            expect(spec(gw)).to.deep.equal({
                selector: { istio: "ingressgateway" },
                servers: [
                    { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"], tls: { httpsRedirect: true } },
                    {
                        port: { number: 443, name: "https", protocol: "HTTPS" },
                        hosts: ["*"],
                        tls: { mode: "SIMPLE", credentialName: "guestbook-gateway-credential" },
                    },
                ],
            });
            const route = named(run.resources, "gateway-route");
            expect(route.type).to.equal("kubernetes:route.openshift.io/v1:Route");
            // TLS passes through the Route to the gateway, which holds the key.
            expect(spec(route)).to.deep.equal({
                to: { kind: "Service", name: "istio-ingressgateway", weight: 100 },
                port: { targetPort: "https" },
                tls: { termination: "passthrough" },
            });
            expect(dependsOn(run.resources, "gateway-route", "gateway-gateway")).to.equal(true);
        });

        it("keeps the plain HTTP Route of the lab with gateway.tls false", async () => {
            const plain = await runLab({ ...stackConfig("openshift"), "istio-lab:tracing": "true", "istio-lab:gateway": '{"tls":false}' });
            expect(spec(named(plain.resources, "gateway-route"))).to.deep.equal({
                to: { kind: "Service", name: "istio-ingressgateway", weight: 100 },
                port: { targetPort: "http2" },
            });
            expect(plain.resources.some((r) => r.type.startsWith("tls:") || r.name === "gateway-credential")).to.equal(false);
            expect(plain.outputs.caCert).to.equal(null);
        });
    });

    describe("peer-auth", () => {
        let run: Awaited<ReturnType<typeof runLab>>;
        before(async () => {
            run = await runLab(stackConfig("peer-auth"));
        });

        it("creates httpbin and sleep in foo, bar and legacy", () => {
            const perNamespace = (ns: string) => [
                `Namespace ${ns}`,
                `ServiceAccount ${ns}/httpbin`,
                `Service ${ns}/httpbin`,
                `Deployment ${ns}/httpbin`,
                `ServiceAccount ${ns}/sleep`,
                `Service ${ns}/sleep`,
                `Deployment ${ns}/sleep`,
            ];
            expect(objects(run.resources)).to.deep.equal([
                ...UPSTREAM_ISTIO,
                ...perNamespace("foo"),
                ...perNamespace("bar"),
                ...perNamespace("legacy"),
                "PeerAuthentication istio-system/default",
            ]);
        });

        it("gives foo and bar sidecars and legacy none", () => {
            const injection = (ns: string) =>
                (named(run.resources, `mtls-lab-${ns}-namespace`).inputs.metadata as { labels: Record<string, string> }).labels[
                    "istio-injection"
                ];
            expect([injection("foo"), injection("bar"), injection("legacy")]).to.deep.equal(["enabled", "enabled", "disabled"]);
        });

        it("builds httpbin and sleep as the lab does", () => {
            expect(spec(named(run.resources, "mtls-lab-foo-httpbin-service"))).to.deep.equal({
                selector: { app: "httpbin" },
                ports: [{ name: "http", port: 8000, targetPort: 80 }],
            });
            const httpbin = named(run.resources, "mtls-lab-foo-httpbin");
            expect(template(httpbin).metadata.labels).to.deep.equal({ app: "httpbin", version: "v1" });
            expect(template(httpbin).spec.containers).to.deep.equal([
                { name: "httpbin", image: "docker.io/kennethreitz/httpbin", ports: [{ containerPort: 80 }] },
            ]);
            expect(template(named(run.resources, "mtls-lab-bar-sleep")).spec.containers).to.deep.equal([
                { name: "sleep", image: "curlimages/curl", command: ["/bin/sleep", "infinity"] },
            ]);
        });

        it("keeps legacy out of the member roll on OpenShift", async () => {
            const os = await runLab({
                ...stackConfig("peer-auth"),
                "istio-lab:platform": "openshift",
                "istio-lab:controlPlane": '{"flavor":"ossm2"}',
            });
            expect(spec(named(os.resources, "control-plane-smmr"))).to.deep.equal({ members: ["foo", "bar"] });
            expect(template(named(os.resources, "mtls-lab-legacy-httpbin")).metadata.annotations).to.equal(undefined);
            expect(template(named(os.resources, "mtls-lab-foo-httpbin")).metadata.annotations).to.deep.equal({
                "sidecar.istio.io/inject": "true",
            });
        });

        it("creates policies after the namespaces they live in", async () => {
            const r = await runLab({
                ...stackConfig("peer-auth"),
                "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"namespace","namespace":"foo"}]',
            });
            expect(dependsOn(r.resources, "peer-auth-foo-namespace-wide-policy", "mtls-lab-foo-namespace")).to.equal(true);
        });
    });
});
