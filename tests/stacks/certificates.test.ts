// gateway.tls's three certificate choices (a generated lab CA, an existing Secret, a cert-manager
// issuer) on Kubernetes and OpenShift and in a classroom, and where Istio's charts and images come from.
import { expect } from "chai";
import { parseConfig } from "../../config";
import { runLab } from "../../tools/engine";
import { lab } from "../../tools/lab";
import { GUESTBOOK_APP, itRefuses, lessImageNotes, named, objects, spec, stackConfig } from "../helpers";

const HTTPS_SERVERS = (hosts: string[], credentialName: string) => [
    { port: { number: 80, name: "http", protocol: "HTTP" }, hosts, tls: { httpsRedirect: true } },
    { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts, tls: { mode: "SIMPLE", credentialName } },
];

const ISSUER = JSON.stringify({ hosts: ["guestbook.lab.example.com"], tls: { issuer: { name: "letsencrypt", kind: "ClusterIssuer" } } });

describe("certificates at the gateway (gateway.tls)", () => {
    describe("{credentialName}: the instructor's own Secret", () => {
        it("creates no certificate, no CA and no Secret; the Gateway names the Secret and waits for nothing of its own; caCert is null", async () => {
            const run = await runLab({
                ...stackConfig("dev"),
                "istio-lab:gateway": '{"tls":{"credentialName":"wildcard-lab-example-com"}}',
            });
            expect(run.resources.filter((r) => r.type.startsWith("tls:") || r.type.includes("Certificate"))).to.deep.equal([]);
            expect(objects(run.resources).filter((o) => o.startsWith("Secret") || o.startsWith("Certificate"))).to.deep.equal([]);
            const gateway = named(run.resources, "gateway-gateway");
            expect(spec(gateway).servers).to.deep.equal(HTTPS_SERVERS(["*"], "wildcard-lab-example-com"));
            // Only what every Istio object waits for: the control plane's releases and its own namespace.
            expect(gateway.dependsOn.filter((d) => !d.includes("control-plane"))).to.deep.equal([
                "kubernetes:core/v1:Namespace::guestbook-namespace",
            ]);
            expect(run.outputs.caCert).to.equal(null);
            expect(run.outputs.labUrl).to.equal("https://<pending load balancer address>");
        });

        it("on OpenShift the Route passes the TLS stream through to the gateway", async () => {
            const run = await runLab({
                ...stackConfig("openshift3"),
                "istio-lab:gateway": '{"routeHost":"guestbook.apps.example.com","tls":{"credentialName":"apps-wildcard"}}',
            });
            expect(spec(named(run.resources, "gateway-route"))).to.deep.equal({
                host: "guestbook.apps.example.com",
                to: { kind: "Service", name: "istio-ingressgateway", weight: 100 },
                port: { targetPort: "https" },
                tls: { termination: "passthrough" },
            });
            expect(spec(named(run.resources, "gateway-gateway")).servers).to.deep.equal(HTTPS_SERVERS(["*"], "apps-wildcard"));
            expect(run.outputs.caCert).to.equal(null);
        });

        it("lab validate says the Secret must exist on the cluster, and finds no problem", async () => {
            const r = await lab([
                "validate",
                "--stack",
                "dev",
                "--set",
                'istio-lab:gateway={"tls":{"credentialName":"wildcard-lab-example-com"}}',
            ]);
            expect([r.code, r.stdout]).to.deep.equal([0, "no problems\n"]);
            expect(lessImageNotes(r).stderr).to.equal(
                "note: Secret istio-system/wildcard-lab-example-com (istio-lab:gateway.tls.credentialName) must exist on the cluster: a kubernetes.io/tls Secret in the ingress gateway's namespace\n",
            );
        });
    });

    describe("{issuer}: a cert-manager Certificate", () => {
        it("asks the issuer for the gateway's hosts, writes the Secret the Gateway names, and the Gateway waits for it to be Ready", async () => {
            const run = await runLab({ ...stackConfig("dev"), "istio-lab:gateway": ISSUER });
            expect(run.resources.filter((r) => r.type.startsWith("tls:"))).to.deep.equal([]);
            const certificate = named(run.resources, "gateway-certificate");
            expect(certificate.type).to.equal("kubernetes:cert-manager.io/v1:Certificate");
            expect(certificate.inputs.metadata).to.deep.equal({
                name: "guestbook-gateway-certificate",
                namespace: "istio-system",
                labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "istio-lab" },
                annotations: { "pulumi.com/waitFor": "condition=Ready" },
            });
            expect(spec(certificate)).to.deep.equal({
                secretName: "guestbook-gateway-credential",
                commonName: "guestbook.lab.example.com",
                dnsNames: ["guestbook.lab.example.com"],
                issuerRef: { name: "letsencrypt", kind: "ClusterIssuer", group: "cert-manager.io" },
            });
            const gateway = named(run.resources, "gateway-gateway");
            expect(spec(gateway).servers).to.deep.equal(HTTPS_SERVERS(["guestbook.lab.example.com"], "guestbook-gateway-credential"));
            expect(gateway.dependsOn).to.include("kubernetes:cert-manager.io/v1:Certificate::gateway-certificate");
            expect(objects(run.resources)).to.include.members(["Certificate istio-system/guestbook-gateway-certificate"]);
            expect(objects(run.resources)).to.not.include("Secret istio-system/guestbook-gateway-credential");
            expect(run.outputs.caCert).to.equal(null);
        });

        it("on OpenShift: the Certificate for the Route's host, and the Route passes TLS through", async () => {
            const run = await runLab({
                ...stackConfig("openshift3"),
                "istio-lab:gateway":
                    '{"routeHost":"guestbook.apps.example.com","tls":{"issuer":{"name":"letsencrypt","kind":"ClusterIssuer"}}}',
            });
            expect(spec(named(run.resources, "gateway-certificate"))).to.deep.equal({
                secretName: "guestbook-gateway-credential",
                commonName: "guestbook.apps.example.com",
                dnsNames: ["guestbook.apps.example.com"],
                issuerRef: { name: "letsencrypt", kind: "ClusterIssuer", group: "cert-manager.io" },
            });
            expect(spec(named(run.resources, "gateway-route"))).to.deep.equal({
                host: "guestbook.apps.example.com",
                to: { kind: "Service", name: "istio-ingressgateway", weight: 100 },
                port: { targetPort: "https" },
                tls: { termination: "passthrough" },
            });
            expect(named(run.resources, "gateway-gateway").dependsOn).to.include(
                "kubernetes:cert-manager.io/v1:Certificate::gateway-certificate",
            );
        });

        it("a classroom with a domain gets one wildcard certificate for every attendee's host", async () => {
            const run = await runLab({
                ...stackConfig("dev"),
                "istio-lab:attendees": "2",
                "istio-lab:gateway": '{"domain":"lab.example.com","tls":{"issuer":{"name":"lab-ca","kind":"Issuer"}}}',
            });
            expect(spec(named(run.resources, "gateway-certificate"))).to.deep.equal({
                secretName: "guestbook-gateway-credential",
                commonName: "*.lab.example.com",
                dnsNames: ["*.lab.example.com"],
                issuerRef: { name: "lab-ca", kind: "Issuer", group: "cert-manager.io" },
            });
            expect(spec(named(run.resources, "gateway-gateway")).servers).to.deep.equal(
                HTTPS_SERVERS(["*.lab.example.com"], "guestbook-gateway-credential"),
            );
            expect((run.outputs.attendees as Array<{ url: string }>).map((a) => a.url)).to.deep.equal([
                "https://user1.lab.example.com/",
                "https://user2.lab.example.com/",
            ]);
        });

        it("lab validate checks the Certificate against cert-manager's schema", async () => {
            const r = lessImageNotes(await lab(["validate", "--stack", "dev", "--set", `istio-lab:gateway=${ISSUER}`]));
            expect([r.code, r.stdout, r.stderr]).to.deep.equal([0, "no problems\n", ""]);
        });
    });

    describe("true: the generated lab CA, as before", () => {
        it("keeps its objects and the caCert output", async () => {
            const run = await runLab(stackConfig("dev"));
            expect(objects(run.resources)).to.include.members(GUESTBOOK_APP as string[]);
            expect(run.resources.filter((r) => r.type.startsWith("tls:")).map((r) => r.name)).to.deep.equal([
                "gateway-ca-key",
                "gateway-ca",
                "gateway-server-key",
                "gateway-server-csr",
                "gateway-server-cert",
            ]);
        });
    });

    describe("refusals", () => {
        itRefuses([
            [
                { "istio-lab:gateway": '{"tls":{"credentialName":"wild","issuer":{"name":"le","kind":"ClusterIssuer"}}}' },
                'istio-lab:gateway.tls: {"credentialName":"wild","issuer":{"name":"le","kind":"ClusterIssuer"}} is not allowed; expected either credentialName or issuer, not both (the issuer\'s Certificate writes the Secret itself)',
            ],
            [
                { "istio-lab:gateway": '{"tls":{"credentialName":"Wildcard_Cert"}}' },
                'istio-lab:gateway.tls.credentialName: "Wildcard_Cert" is not allowed; expected the name of a Secret: a Kubernetes object name: at most 253 characters of lowercase letters, digits, "-" and ".", each "."-separated part starting and ending with a letter or digit',
            ],
            [
                { "istio-lab:gateway": '{"hosts":["a.example.com"],"tls":{"issuer":{"name":"le","kind":"ACMEIssuer"}}}' },
                'istio-lab:gateway.tls.issuer.kind: "ACMEIssuer" is not allowed; expected one of ClusterIssuer, Issuer',
            ],
            [
                { "istio-lab:gateway": '{"tls":{"issuer":{"name":"le","kind":"ClusterIssuer"}}}' },
                'istio-lab:gateway.tls.issuer: {"name":"le","kind":"ClusterIssuer"} is not allowed; expected an issuer together with a concrete host to certify: set istio-lab:gateway.hosts to names other than "*", gateway.routeHost, or gateway.domain for a classroom (a public CA does not sign the placeholder guestbook.istio-lab.local)',
            ],
            [
                { "istio-lab:gateway": '{"tls":{"secret":"x"}}' },
                'istio-lab:gateway.tls: {"secret":"x"} is not allowed; expected true (a generated lab CA), false, {"credentialName": "<existing kubernetes.io/tls Secret>"} or {"issuer": {"name": "<cert-manager issuer>", "kind": "ClusterIssuer" or "Issuer"}}',
            ],
            [
                { "istio-lab:gateway": '{"tls":"yes"}' },
                'istio-lab:gateway.tls: "yes" is not allowed; expected true (a generated lab CA), false, {"credentialName": "<existing kubernetes.io/tls Secret>"} or {"issuer": {"name": "<cert-manager issuer>", "kind": "ClusterIssuer" or "Issuer"}}',
            ],
            [
                { "istio-lab:gateway": '{"port":443,"tls":{"credentialName":"wild"}}' },
                "istio-lab:gateway.port: 443 is not allowed; expected a port other than 443 while gateway.tls is on (its HTTPS server takes 443); or set gateway.tls to false",
            ],
        ]);
    });
});

describe("where Istio's charts and images come from", () => {
    it("defaults to blob.istio.io, the location every Istio version is published at", async () => {
        const run = await runLab(stackConfig("kubernetes"));
        const releases = run.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
        expect(releases.map((r) => r.inputs.repositoryOpts)).to.deep.equal([
            { repo: "https://blob.istio.io/istio-release/charts" },
            { repo: "https://blob.istio.io/istio-release/charts" },
            { repo: "https://blob.istio.io/istio-release/charts" },
        ]);
    });

    it("takes Istio's OCI registry as the chart's full reference", async () => {
        const run = await runLab({
            ...stackConfig("kubernetes"),
            "istio-lab:controlPlane": '{"chartRepo":"oci://ghcr.io/istio/release/charts"}',
        });
        const istiod = named(run.resources, "control-plane-istiod").inputs;
        expect([istiod.chart, istiod.version]).to.deep.equal(["oci://ghcr.io/istio/release/charts/istiod", "1.31.3"]);
    });

    it("lab validate flags the retired location with an Istio 1.30 that is still there, naming the replacement; pulumi up warns the same", async () => {
        const set = 'istio-lab:controlPlane={"chartRepo":"https://istio-release.storage.googleapis.com/charts","istioVersion":"1.30.4"}';
        const r = await lab(["validate", "--stack", "kubernetes", "--set", set]);
        expect(r.code).to.equal(1);
        expect(r.stdout).to.equal(
            '- config istio-lab:controlPlane.chartRepo: istio-lab:controlPlane.chartRepo: "https://istio-release.storage.googleapis.com/charts" is a retired chart location (Istio 1.31 and later were never published there, and it is switched off for good after the last scream test, 2026-12-08 15:00 UTC to 2026-12-09 15:00 UTC); every Istio version\'s charts are at "https://blob.istio.io/istio-release/charts"\n',
        );
        const warnings = parseConfig({
            ...stackConfig("kubernetes"),
            "istio-lab:controlPlane": '{"chartRepo":"oci://gcr.io/istio-release/charts","istioVersion":"1.30.4"}',
        }).warnings.map((w) => w.message);
        expect(warnings).to.deep.equal([
            'istio-lab:controlPlane.chartRepo: "oci://gcr.io/istio-release/charts" is a retired chart location (Istio 1.31 and later were never published there, and it is switched off for good after the last scream test, 2026-12-08 15:00 UTC to 2026-12-09 15:00 UTC); every Istio version\'s charts are at "oci://ghcr.io/istio/release/charts"',
        ]);
    });
});
