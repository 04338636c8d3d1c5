// The lab documents' steps that issue 10 found no config could reproduce: each is now one config,
// and the objects it makes are the seed's YAML field for field (the lab's values spelled out here).
import { expect } from "chai";
import { mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import { runLab } from "../../tools/engine";
import { lab } from "../../tools/lab";
import { ProbeResult } from "../../tools/matrix";
import { named, objects, spec, stackConfig, tempDir } from "../helpers";

const LAB_LABELS = { "app.kubernetes.io/part-of": "istio-lab", "app.kubernetes.io/managed-by": "pulumi" };

describe("lab steps reproduced by config", () => {
    it("routing roundRobin: the lab's first VirtualService (guestbook-gateway.yaml), no subset", async () => {
        const run = await runLab({ ...stackConfig("kubernetes"), "istio-lab:routing": "roundRobin" });
        const vs = named(run.resources, "traffic-virtual-service");
        expect(vs.inputs.metadata).to.deep.equal({ name: "virtual-service-guestbook", namespace: "guestbook", labels: LAB_LABELS });
        expect(spec(vs)).to.deep.equal({
            hosts: ["*"],
            gateways: ["guestbook-gateway"],
            http: [{ route: [{ destination: { host: "guestbook", port: { number: 80 } } }] }],
        });
        // Round robin over the Service: each version's share of the pods (3 and 3).
        expect(run.outputs.trafficSplit).to.deep.equal({ weights: { v1: 50, v2: 50 }, abTest: null });
    });

    it("clientTls ISTIO_MUTUAL: destination-rule-all-mtls.yaml, the lab's rule with tls on", async () => {
        const run = await runLab({ ...stackConfig("kubernetes"), "istio-lab:clientTls": "ISTIO_MUTUAL" });
        expect(spec(named(run.resources, "traffic-destination-rule"))).to.deep.equal({
            host: "guestbook",
            trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
            subsets: [
                { name: "v1", labels: { version: "1.0" } },
                { name: "v2", labels: { version: "2.0" } },
            ],
        });
        // The one rule for the host: still no second DestinationRule for guestbook.
        expect(objects(run.resources).filter((o) => o.startsWith("DestinationRule"))).to.deep.equal([
            "DestinationRule guestbook/destination-rule-guestbook",
        ]);
    });

    it("clientTls with the circuit breaker puts both on the one service-wide traffic policy", async () => {
        const run = await runLab({ ...stackConfig("kubernetes"), "istio-lab:clientTls": "DISABLE", "istio-lab:circuitBreaker": "{}" });
        expect((spec(named(run.resources, "traffic-destination-rule")).trafficPolicy as Record<string, unknown>).tls).to.deep.equal({
            mode: "DISABLE",
        });
        expect(Object.keys(spec(named(run.resources, "traffic-destination-rule")).trafficPolicy as object)).to.deep.equal([
            "connectionPool",
            "outlierDetection",
            "tls",
        ]);
    });

    const mtlsLabPolicy = {
        mode: "STRICT",
        scope: "namespace",
        namespace: "foo",
        name: "default",
        destinationRule: { name: "destinationrule-mtls-istio-mutual", host: "*.svc.cluster.local" },
    };

    it("destinationRule {name, host}: the mutual TLS lab's destinationrule-mtls-istio-mutual in the user's namespace", async () => {
        const run = await runLab({ ...stackConfig("peer-auth"), "istio-lab:peerAuth": JSON.stringify([mtlsLabPolicy]) });
        const dr = named(run.resources, "peer-auth-foo-destinationrule-mtls-istio-mutual-dr");
        expect(dr.inputs.metadata).to.deep.equal({ name: "destinationrule-mtls-istio-mutual", namespace: "foo", labels: LAB_LABELS });
        expect(spec(dr)).to.deep.equal({ host: "*.svc.cluster.local", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } });
        expect(spec(named(run.resources, "peer-auth-foo-default"))).to.deep.equal({ mtls: { mode: "STRICT" } });
    });

    it("with the rule in foo, sleep.bar reaches httpbin.legacy in plain text (a root-namespace rule would make it 503)", async () => {
        const r = await lab(["matrix", "--stack", "peer-auth", "--set", `istio-lab:peerAuth=${JSON.stringify([mtlsLabPolicy])}`, "--json"]);
        const rows = (JSON.parse(r.stdout) as ProbeResult[]).map((x) => [x.from, x.to, x.code, x.mtls]);
        expect(rows).to.deep.equal([
            ["foo", "foo", "200", true],
            ["foo", "bar", "200", true],
            ["foo", "legacy", "503", false],
            ["bar", "foo", "200", true],
            ["bar", "bar", "200", true],
            ["bar", "legacy", "200", false],
            ["legacy", "foo", "000", false],
            ["legacy", "bar", "200", false],
            ["legacy", "legacy", "200", false],
        ]);
    });

    it("destinationRule {name}: step 13's workload-destination-rule-httpbin-foo, which its cleanup deletes by name", async () => {
        const policies = [
            { mode: "STRICT", scope: "namespace", namespace: "foo", name: "namespace-peer-auth-policy-foo" },
            {
                mode: "DISABLE",
                scope: "workload",
                namespace: "foo",
                selector: { app: "httpbin" },
                name: "workload-peer-auth-policy-httpbin-foo",
                destinationRule: { name: "workload-destination-rule-httpbin-foo" },
            },
        ];
        const run = await runLab({ ...stackConfig("peer-auth"), "istio-lab:peerAuth": JSON.stringify(policies) });
        const pa = named(run.resources, "peer-auth-foo-workload-peer-auth-policy-httpbin-foo");
        expect(pa.inputs.metadata).to.deep.equal({ name: "workload-peer-auth-policy-httpbin-foo", namespace: "foo", labels: LAB_LABELS });
        expect(spec(pa)).to.deep.equal({ selector: { matchLabels: { app: "httpbin" } }, mtls: { mode: "DISABLE" } });
        const dr = named(run.resources, "peer-auth-foo-workload-destination-rule-httpbin-foo-dr");
        expect(dr.inputs.metadata).to.deep.equal({ name: "workload-destination-rule-httpbin-foo", namespace: "foo", labels: LAB_LABELS });
        expect(spec(dr)).to.deep.equal({ host: "httpbin.foo.svc.cluster.local", trafficPolicy: { tls: { mode: "DISABLE" } } });
    });

    describe("namespaces that exist on every cluster", () => {
        it("sleep in default (seed 001): default is labelled with a patch, never created or deleted", async () => {
            const run = await runLab({ ...stackConfig("peer-auth"), "istio-lab:mtlsLab": '{"sidecarNamespaces":["default","foo"]}' });
            const patch = named(run.resources, "mtls-lab-default-namespace");
            expect(patch.type).to.equal("kubernetes:core/v1:NamespacePatch");
            expect(patch.inputs.metadata).to.deep.equal({
                name: "default",
                labels: { ...LAB_LABELS, "istio-lab/lab-id": run.outputs.labId, "istio-injection": "enabled" },
            });
            // Created (and deleted by destroy): only the namespaces the lab owns.
            const created = run.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace");
            expect(created.map((r) => (r.inputs.metadata as { name: string }).name)).to.deep.equal(["istio-system", "foo", "legacy"]);
            expect(objects(run.resources).filter((o) => o.includes(" default/"))).to.deep.equal([
                "ServiceAccount default/httpbin",
                "Service default/httpbin",
                "Deployment default/httpbin",
                "ServiceAccount default/sleep",
                "Service default/sleep",
                "Deployment default/sleep",
            ]);
            expect(run.outputs.namespaces).to.deep.equal(["istio-system", "default", "foo", "legacy"]);
        });

        it("every namespace the lab creates carries the lab id, istio-system and the operators' included", async () => {
            const run = await runLab({ ...stackConfig("openshift"), "istio-lab:tracing": "true" });
            const labelled = run.resources
                .filter((r) => r.type === "kubernetes:core/v1:Namespace")
                .map((r) => [
                    (r.inputs.metadata as { name: string }).name,
                    (r.inputs.metadata as { labels: Record<string, string> }).labels["istio-lab/lab-id"],
                ]);
            expect(labelled).to.deep.equal([
                ["openshift-operators-redhat", run.outputs.labId],
                ["istio-system", run.outputs.labId],
                ["guestbook", run.outputs.labId],
            ]);
        });
    });

    describe("controlPlane.values, the one escape hatch", () => {
        it("merges into istiod's Helm values (the tcpdump steps' global.proxy.privileged)", async () => {
            const run = await runLab({
                ...stackConfig("kubernetes"),
                "istio-lab:controlPlane": '{"values":{"global":{"proxy":{"privileged":true}}}}',
            });
            expect(named(run.resources, "control-plane-istiod").inputs.values).to.deep.equal({
                meshConfig: { rootNamespace: "istio-system" },
                global: { hub: "docker.io/istio", proxy: { privileged: true } },
            });
            expect(named(run.resources, "control-plane-istio-ingressgateway").inputs.values).to.deep.equal({
                labels: { istio: "ingressgateway" },
            });
        });

        it("merges into the ServiceMeshControlPlane spec on OpenShift, field by field", async () => {
            const run = await runLab({
                ...stackConfig("openshift"),
                "istio-lab:controlPlane":
                    '{"flavor":"ossm2","values":{"addons":{"grafana":{"enabled":false}},"proxy":{"runtime":{"container":{"imagePullPolicy":"Always"}}}}}',
            });
            const smcp = spec(named(run.resources, "control-plane-smcp"));
            // Without tracing (the default) there is no Jaeger add-on.
            expect(smcp.addons).to.deep.equal({
                prometheus: { enabled: true },
                kiali: { enabled: true },
                grafana: { enabled: false },
            });
            expect(smcp.proxy).to.deep.equal({ runtime: { container: { imagePullPolicy: "Always" } } });
            expect(smcp.version).to.equal("v2.6");
        });
    });

    describe("controlPlane.chartRepo", () => {
        it("takes a local chart directory (clusters without internet access): charts by path, no repository", async () => {
            const dir = tempDir("istio-charts-");
            for (const chart of ["base", "istiod", "gateway"]) {
                mkdirSync(path.join(dir, chart));
                writeFileSync(path.join(dir, chart, "Chart.yaml"), `name: ${chart}\nversion: 1.0.0\n`);
            }
            const run = await runLab({ ...stackConfig("kubernetes"), "istio-lab:controlPlane": JSON.stringify({ chartRepo: dir }) });
            const istiod = named(run.resources, "control-plane-istiod").inputs;
            expect(istiod.chart).to.equal(path.join(dir, "istiod"));
            expect(istiod.repositoryOpts).to.equal(undefined);
            expect(istiod.version).to.equal(undefined);
        });

        it("takes an OCI registry: the chart's full reference, pinned", async () => {
            const run = await runLab({
                ...stackConfig("kubernetes"),
                "istio-lab:controlPlane": '{"chartRepo":"oci://registry.example.com/istio/"}',
            });
            const base = named(run.resources, "control-plane-istio-base").inputs;
            expect([base.chart, base.version, base.repositoryOpts]).to.deep.equal([
                "oci://registry.example.com/istio/base",
                "1.31.3",
                undefined,
            ]);
        });
    });
});
