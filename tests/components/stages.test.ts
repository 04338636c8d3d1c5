// Direct tests of the stage components' own arguments (recipes.test.ts covers them inside whole labs).
import { expect } from "chai";
import { ControlPlane } from "../../components/controlPlane";
import { Gateway } from "../../components/gateway";
import { Guestbook } from "../../components/guestbook";
import { MtlsLab } from "../../components/mtlsLab";
import { OperatorStack } from "../../components/operators";
import { record } from "../../tools/engine";
import { named, objects, rejects, spec } from "../helpers";

describe("OperatorStack", () => {
    it("takes per-operator overrides and a manual approval", async () => {
        const { resources } = await record(
            () => new OperatorStack("ops", { overrides: { elasticsearch: { channel: "stable-5.2" } }, installPlanApproval: "Manual" }),
        );
        expect(spec(named(resources, "ops-elasticsearch"))).to.deep.include({
            channel: "stable-5.2",
            installPlanApproval: "Manual",
            name: "elasticsearch-operator",
        });
        expect(resources.filter((r) => r.type === "istio-lab:operators:OperatorStack").length).to.equal(1);
    });

    it("creates a namespace and OperatorGroup for every namespace but openshift-operators", async () => {
        const { resources } = await record(() => new OperatorStack("ops", { overrides: { kiali: { namespace: "kiali-ops" } } }));
        expect(objects(resources).filter((o) => !o.startsWith("Subscription"))).to.deep.equal([
            "Namespace openshift-operators-redhat",
            "OperatorGroup openshift-operators-redhat/openshift-operators-redhat",
            "Namespace kiali-ops",
            "OperatorGroup kiali-ops/kiali-ops",
        ]);
    });

    it("rejects an unknown approval", () =>
        rejects(
            () => new OperatorStack("ops", { installPlanApproval: "Sometimes" as "Manual" }),
            'OperatorStack args.installPlanApproval: "Sometimes" is not allowed; expected Automatic or Manual',
        ));
});

describe("ControlPlane", () => {
    it("lists the given members in the member roll", async () => {
        const { resources } = await record(
            () => new ControlPlane("cp", { platform: "openshift", flavor: "ossm2", members: ["a", "b"], version: "v2.5" }),
        );
        expect(spec(named(resources, "cp-smmr"))).to.deep.equal({ members: ["a", "b"] });
        expect(spec(named(resources, "cp-smcp")).version).to.equal("v2.5");
    });

    it("pins every chart to the given Istio version", async () => {
        const { resources } = await record(() => new ControlPlane("cp", { platform: "kubernetes", istioVersion: "1.26.0" }));
        expect(resources.filter((r) => r.type.endsWith("Release")).map((r) => r.inputs.version)).to.deep.equal([
            "1.26.0",
            "1.26.0",
            "1.26.0",
        ]);
    });

    it("rejects a namespace that is not DNS-1123", () =>
        rejects(
            () => new ControlPlane("cp", { platform: "kubernetes", namespace: "Istio" }),
            "ControlPlane args.namespace: \"Istio\" is not allowed; expected a DNS-1123 label (at most 63 characters: lower-case letters, digits and '-', starting and ending with a letter or digit)",
        ));
});

describe("Guestbook", () => {
    it("deploys the configured versions", async () => {
        const { resources } = await record(
            () =>
                new Guestbook("gb", {
                    platform: "kubernetes",
                    versions: [{ name: "blue", image: "example/guestbook:1", replicas: 1, version: "b" }],
                    serviceType: "LoadBalancer",
                }),
        );
        expect(objects(resources).filter((o) => o.startsWith("Deployment"))).to.deep.equal([
            "Deployment guestbook/redis-master",
            "Deployment guestbook/redis-slave",
            "Deployment guestbook/guestbook-blue",
        ]);
        expect(spec(named(resources, "gb-guestbook-service")).type).to.equal("LoadBalancer");
    });

    it("rejects two versions with one name", () =>
        rejects(
            () =>
                new Guestbook("gb", {
                    platform: "kubernetes",
                    versions: [
                        { name: "v1", image: "a", replicas: 1, version: "1" },
                        { name: "v1", image: "b", replicas: 1, version: "2" },
                    ],
                }),
            'Guestbook args.versions[1].name: "v1" is not allowed; expected a name no other version has',
        ));
});

describe("Gateway", () => {
    it("serves the configured port and hosts", async () => {
        const { resources } = await record(
            () =>
                new Gateway("gw", {
                    platform: "kubernetes",
                    namespace: "guestbook",
                    port: 8080,
                    hosts: ["guestbook.example.com"],
                    tls: false,
                }),
        );
        expect(spec(named(resources, "gw-gateway"))).to.deep.equal({
            selector: { istio: "ingressgateway" },
            servers: [{ port: { number: 8080, name: "http", protocol: "HTTP" }, hosts: ["guestbook.example.com"] }],
        });
    });

    it("serves HTTPS with a lab CA's certificate and redirects HTTP to it", async () => {
        const { resources, outputs } = await record(() => {
            const gw = new Gateway("gw", { platform: "kubernetes", namespace: "guestbook", hosts: ["guestbook.example.com"] });
            return { ca: gw.caCertificate, url: gw.url };
        });
        expect(resources.filter((r) => r.type.startsWith("tls:")).map((r) => [r.type, r.name])).to.deep.equal([
            ["tls:index/privateKey:PrivateKey", "gw-ca-key"],
            ["tls:index/selfSignedCert:SelfSignedCert", "gw-ca"],
            ["tls:index/privateKey:PrivateKey", "gw-server-key"],
            ["tls:index/certRequest:CertRequest", "gw-server-csr"],
            ["tls:index/locallySignedCert:LocallySignedCert", "gw-server-cert"],
        ]);
        expect(named(resources, "gw-ca").inputs).to.deep.include({ isCaCertificate: true });
        expect(named(resources, "gw-server-csr").inputs).to.deep.include({ dnsNames: ["guestbook.example.com"] });
        const secret = named(resources, "gw-credential");
        expect(secret.inputs).to.deep.include({
            metadata: {
                name: "guestbook-gateway-credential",
                namespace: "istio-system",
                labels: { "app.kubernetes.io/part-of": "istio-lab", "app.kubernetes.io/managed-by": "pulumi" },
            },
            type: "kubernetes.io/tls",
        });
        expect(secret.inputs.stringData).to.deep.equal({ "tls.crt": "<redacted>", "tls.key": "<redacted>" });
        expect(spec(named(resources, "gw-gateway")).servers).to.deep.equal([
            { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["guestbook.example.com"], tls: { httpsRedirect: true } },
            {
                port: { number: 443, name: "https", protocol: "HTTPS" },
                hosts: ["guestbook.example.com"],
                tls: { mode: "SIMPLE", credentialName: "guestbook-gateway-credential" },
            },
        ]);
        expect(named(resources, "gw-gateway").dependsOn).to.deep.equal(["kubernetes:core/v1:Secret::gw-credential"]);
        expect(outputs.ca).to.equal("-----BEGIN CERTIFICATE-----\nmock gw-ca\n-----END CERTIFICATE-----\n");
        expect(outputs.url).to.equal("https://<pending load balancer address>");
    });

    it("names guestbook.istio-lab.local in the certificate when the hosts are only *", async () => {
        const { resources } = await record(() => new Gateway("gw", { platform: "kubernetes", namespace: "guestbook" }));
        expect(named(resources, "gw-server-csr").inputs).to.deep.include({ dnsNames: ["guestbook.istio-lab.local"] });
    });

    it("rejects port 0", () =>
        rejects(
            () => new Gateway("gw", { platform: "kubernetes", namespace: "g", port: 0 }),
            "Gateway args.port: 0 is not allowed; expected an integer from 1 to 65535",
        ));
});

describe("MtlsLab", () => {
    it("creates the workloads in the given namespaces", async () => {
        const { resources } = await record(
            () => new MtlsLab("m", { platform: "kubernetes", sidecarNamespaces: ["a"], plainNamespaces: [] }),
        );
        expect(objects(resources)).to.deep.equal([
            "Namespace a",
            "ServiceAccount a/httpbin",
            "Service a/httpbin",
            "Deployment a/httpbin",
            "ServiceAccount a/sleep",
            "Service a/sleep",
            "Deployment a/sleep",
        ]);
    });

    it("rejects a namespace listed twice", () =>
        rejects(
            () => new MtlsLab("m", { platform: "kubernetes", sidecarNamespaces: ["foo"], plainNamespaces: ["foo"] }),
            'MtlsLab args.plainNamespaces[0]: "foo" is not allowed; expected a namespace not listed before ("foo" is)',
        ));
});
