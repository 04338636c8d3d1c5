import { expect } from "chai";
import { readFileSync, readdirSync } from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, loadConfig, parseConfig } from "../../config";
import { LAB_GUESTBOOK_VERSIONS } from "../../components/guestbook";
import { runLab } from "../../tools/engine";
import { pulumiYamlConfigDocs, readmeConfigTable, stepsDocTable } from "../../tools/docs";
import { PROJECT_ROOT } from "../../tools/stackConfig";

describe("config", () => {
    it("defaults to the plain-Kubernetes guestbook lab", () => {
        const c = parseConfig({});
        expect(c.recipe).to.equal("kubernetes");
        expect(c.platform).to.equal("kubernetes");
        expect(c.stages).to.deep.equal(["controlPlane", "guestbook", "gateway", "traffic", "peerAuth"]);
        expect(c.canaryWeight).to.equal(0);
        expect(c.abTest).to.equal(undefined);
        expect(c.circuitBreaker).to.equal(undefined);
        expect(c.peerAuth).to.deep.equal([{ mode: "STRICT", scope: "mesh" }]);
        expect(c.guestbook.versions).to.deep.equal(LAB_GUESTBOOK_VERSIONS);
        expect(c.gateway).to.deep.equal({
            name: "guestbook-gateway",
            selector: { istio: "ingressgateway" },
            port: 80,
            hosts: ["*"],
            routeHost: undefined,
            tls: true,
            serviceType: "LoadBalancer",
            domain: undefined,
        });
        expect(c.controlPlane.namespace).to.equal("istio-system");
    });

    it("on openshift the stages are all but mtlsLab", () => {
        const c = parseConfig({ "istio-lab:platform": "openshift" });
        expect(c.recipe).to.equal("openshift");
        expect(c.stages).to.deep.equal(["operators", "controlPlane", "guestbook", "gateway", "traffic", "peerAuth"]);
    });

    it("reads structured values as the CLI passes them (JSON strings) and ignores other namespaces", () => {
        const c = parseConfig({
            "kubernetes:context": "kind-lab",
            "istio-lab:canaryWeight": "50",
            "istio-lab:abTest": "{}",
            "istio-lab:stages": '["controlPlane","guestbook"]',
        });
        expect(c.canaryWeight).to.equal(50);
        expect(c.abTest).to.deep.equal({ header: "user-agent", regex: ".*Firefox.*" });
        expect(c.stages).to.deep.equal(["controlPlane", "guestbook"]);
    });

    const bad: Array<[Record<string, string>, string]> = [
        [{ "istio-lab:canaryWeight": "150" }, "istio-lab:canaryWeight: 150 is not allowed; expected an integer from 0 to 100"],
        [{ "istio-lab:canaryWeight": "20.5" }, "istio-lab:canaryWeight: 20.5 is not allowed; expected an integer from 0 to 100"],
        [
            { "istio-lab:peerAuth": '[{"mode":"STRICTT","scope":"mesh"}]' },
            'istio-lab:peerAuth[0].mode: "STRICTT" is not allowed; expected one of STRICT, PERMISSIVE, DISABLE, UNSET',
        ],
        [
            { "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"workload","namespace":"guestbook"}]' },
            'istio-lab:peerAuth[0].selector: nothing is not allowed; expected workload labels, e.g. {"app": "httpbin"}, for scope "workload"',
        ],
        [
            { "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"port","namespace":"guestbook","selector":{"app":"guestbook"}}]' },
            'istio-lab:peerAuth[0].portLevelMtls: nothing is not allowed; expected container ports with their modes, e.g. {"80": {"mode": "DISABLE"}}, for scope "port"',
        ],
        [
            { "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"cluster"}]' },
            'istio-lab:peerAuth[0].scope: "cluster" is not allowed; expected one of mesh, namespace, workload, port',
        ],
        [
            { "istio-lab:stages": '["guestbook","bogus"]' },
            'istio-lab:stages[1]: "bogus" is not allowed; expected one of operators, controlPlane, guestbook, gateway, traffic, peerAuth, mtlsLab',
        ],
        [{ "istio-lab:platform": "aws" }, 'istio-lab:platform: "aws" is not allowed; expected one of kubernetes, openshift'],
        [
            { "istio-lab:stages": '["operators","controlPlane"]' },
            'istio-lab:stages: "operators" is not allowed; expected no "operators" on platform "kubernetes" (OperatorHub is OpenShift\'s); remove it or set istio-lab:platform to "openshift"',
        ],
        [
            { "istio-lab:stages": '["controlPlane","traffic"]' },
            'istio-lab:stages: "traffic" is not allowed; expected "traffic" together with "guestbook", which it builds on; add "guestbook" or remove "traffic"',
        ],
        [
            { "istio-lab:guestbook": '{"namespace":"Guest_Book"}' },
            "istio-lab:guestbook.namespace: \"Guest_Book\" is not allowed; expected a DNS-1123 label (at most 63 characters: lower-case letters, digits and '-', starting and ending with a letter or digit)",
        ],
        [
            { "istio-lab:mtlsLab": '{"plainNamespaces":["legacy.ns"]}' },
            "istio-lab:mtlsLab.plainNamespaces[0]: \"legacy.ns\" is not allowed; expected a DNS-1123 label (at most 63 characters: lower-case letters, digits and '-', starting and ending with a letter or digit)",
        ],
        [
            { "istio-lab:canaryWieght": "20" },
            'istio-lab: key "canaryWieght" is not allowed; expected one of recipe, platform, stages, canaryWeight, trafficApi, dataplane, gatewayApiCrds, routing, clientTls, tracing, waitTimeoutSeconds, abTest, circuitBreaker, attendees, attendeeOverrides, attendeeAccess, attendeeBudget, peerAuth, guestbook, gateway, controlPlane, operators, mtlsLab, images, guestbookRegistry',
        ],
        [
            { "istio-lab:recipe": "openshift", "istio-lab:platform": "kubernetes" },
            'istio-lab:platform: "kubernetes" is not allowed; expected openshift for recipe "openshift"',
        ],
        [{ "istio-lab:recipe": "istio" }, 'istio-lab:recipe: "istio" is not allowed; expected one of kubernetes, openshift, peer-auth'],
        [
            { "istio-lab:circuitBreaker": '{"subset":"v3"}' },
            'istio-lab:circuitBreaker.subset: "v3" is not allowed; expected one of the subsets "v1", "v2"',
        ],
        [
            { "istio-lab:recipe": "peer-auth", "istio-lab:mtlsLab": '{"sidecarNamespaces":["foo","istio-system"]}' },
            'istio-lab:mtlsLab.sidecarNamespaces[1]: "istio-system" is not allowed; expected a namespace no other stage creates (istio-lab:controlPlane.namespace is "istio-system")',
        ],
        [
            {
                "istio-lab:recipe": "peer-auth",
                "istio-lab:peerAuth":
                    '[{"mode":"STRICT","scope":"port","namespace":"bar","selector":{"app":"httpbin"},"portLevelMtls":{"81":{"mode":"DISABLE"}}}]',
            },
            'istio-lab:peerAuth[0].portLevelMtls: "81" is not allowed; expected a container port that a Service of the lab forwards to in "bar" (Istio ignores ports no Service is bound to), or destinationRule: false',
        ],
    ];
    for (const [raw, message] of bad) {
        it(`rejects ${JSON.stringify(raw)} and registers no resource`, async () => {
            expect(() => parseConfig(raw)).to.throw(message);
            let error: Error | undefined;
            await runLab(raw).catch((e: Error) => (error = e));
            expect(error?.message).to.equal(message);
            expect(error?.name).to.equal("LabInputError");
        });
    }

    // Issue 10's audit: values Kubernetes, Istio or the lab would refuse later, refused here with one line each.
    const refused: Array<[Record<string, string>, string]> = [
        [
            { "istio-lab:__proto__": '{"canaryWeight": 5}' },
            'istio-lab: key "__proto__" is not allowed; expected a key other than __proto__, constructor, prototype (they would reach an object\'s prototype)',
        ],
        [
            { "istio-lab:guestbook": '{"__proto__": {"namespace": "x"}}' },
            'istio-lab:guestbook: key "__proto__" is not allowed; expected a key other than __proto__, constructor, prototype (they would reach an object\'s prototype)',
        ],
        [
            { "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"mesh","constructor":{}}]' },
            'istio-lab:peerAuth[0]: key "constructor" is not allowed; expected a key other than __proto__, constructor, prototype (they would reach an object\'s prototype)',
        ],
        [
            { "istio-lab:controlPlane": '{"values": {"global": {"prototype": 1}}}' },
            'istio-lab:controlPlane.values.global: key "prototype" is not allowed; expected a key other than __proto__, constructor, prototype (they would reach an object\'s prototype)',
        ],
        [{ "istio-lab:canaryWeight": "1e999" }, "istio-lab:canaryWeight: 1e999 is not allowed; expected an integer from 0 to 100"],
        [
            { "istio-lab:guestbook": '{"redisSlaveReplicas": 1e999}' },
            "istio-lab:guestbook.redisSlaveReplicas: 1e999 is not allowed; expected an integer from 0 to 2147483647",
        ],
        [{ "istio-lab:canaryWeight": "-1.5" }, "istio-lab:canaryWeight: -1.5 is not allowed; expected an integer from 0 to 100"],
        [
            { "istio-lab:abTest": '{"regex": "(?<=Firefox).*"}' },
            'istio-lab:abTest.regex: "(?<=Firefox).*" is not allowed; expected an RE2 regular expression (no lookaround or backreferences), e.g. ".*Firefox.*" or "(?i).*firefox.*"',
        ],
        [
            { "istio-lab:guestbook": '{"versions":[{"name":"v1","image":"ibmcom/guestbook:v1","replicas":3,"version":"1.0/beta"}]}' },
            "istio-lab:guestbook.versions[0].version: \"1.0/beta\" is not allowed; expected a Kubernetes label value (at most 63 characters: letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
        ],
        [
            { "istio-lab:guestbook": '{"versions":[{"name":"v1","image":"IBMcom/Guestbook:v1","replicas":3,"version":"1.0"}]}' },
            'istio-lab:guestbook.versions[0].image: "IBMcom/Guestbook:v1" is not allowed; expected an image reference such as "ibmcom/guestbook:v1" or "registry.example.com:5000/team/app@sha256:<digest>"',
        ],
        [
            { "istio-lab:guestbook": '{"versions":[{"name":"v1","image":"ibmcom/guestbook:v1","replicas":3000000000,"version":"1.0"}]}' },
            "istio-lab:guestbook.versions[0].replicas: 3000000000 is not allowed; expected an integer from 0 to 2147483647",
        ],
        [
            {
                "istio-lab:guestbook":
                    '{"versions":[{"name":"v1","image":"ibmcom/guestbook:v1","replicas":3,"version":"1.0","requests":{"cpu":"lots"}}]}',
            },
            'istio-lab:guestbook.versions[0].requests.cpu: "lots" is not allowed; expected a Kubernetes quantity such as "100m", "0.5", "100Mi" or "1Gi"',
        ],
        [
            { "istio-lab:guestbook": '{"namespace":"default"}' },
            'istio-lab:guestbook.namespace: "default" is not allowed; expected a namespace the lab can create and delete (not "default", "kube-*", "openshift-*" or the control plane\'s "istio-system")',
        ],
        [
            { "istio-lab:guestbook": '{"namespace":"kube-system"}' },
            'istio-lab:guestbook.namespace: "kube-system" is not allowed; expected a namespace the lab can create and delete (not "default", "kube-*", "openshift-*" or the control plane\'s "istio-system")',
        ],
        [
            { "istio-lab:guestbook": '{"namespace":"istio-system"}' },
            'istio-lab:guestbook.namespace: "istio-system" is not allowed; expected a namespace the lab can create and delete (not "default", "kube-*", "openshift-*" or the control plane\'s "istio-system")',
        ],
        [
            { "istio-lab:gateway": '{"hosts":["guestbook.example.com","bad_host"]}' },
            'istio-lab:gateway.hosts[1]: "bad_host" is not allowed; expected a DNS name ("guestbook.example.com", each label at most 63 characters), a wildcard name ("*.example.com") or "*"',
        ],
        [
            { "istio-lab:gateway": '{"hosts":[]}' },
            'istio-lab:gateway.hosts: [] is not allowed; expected a list of at least one host, e.g. ["*"]',
        ],
        [
            { "istio-lab:gateway": '{"selector":{}}' },
            'istio-lab:gateway.selector: {} is not allowed; expected at least one label of the ingress gateway pods, e.g. {"istio": "ingressgateway"}',
        ],
        [
            { "istio-lab:gateway": '{"port":443}' },
            "istio-lab:gateway.port: 443 is not allowed; expected a port other than 443 while gateway.tls is on (its HTTPS server takes 443); or set gateway.tls to false",
        ],
        [
            { "istio-lab:circuitBreaker": '{"maxConnections": 2147483648}' },
            "istio-lab:circuitBreaker.maxConnections: 2147483648 is not allowed; expected an integer from 1 to 2147483647",
        ],
        [
            {
                "istio-lab:canaryWeight": "20",
                "istio-lab:guestbook": '{"versions":[{"name":"v1","image":"ibmcom/guestbook:v1","replicas":3,"version":"1.0"}]}',
            },
            'istio-lab:canaryWeight: 20 is not allowed; expected 0 or 100 with one version ("v1"): a canary needs a second version to send traffic to',
        ],
        [
            {
                "istio-lab:guestbook":
                    '{"versions":[{"name":"v1","image":"ibmcom/guestbook:v1","replicas":3,"version":"1.0"},{"name":"v2","image":"ibmcom/guestbook:v2","replicas":3,"version":"1.0"}]}',
            },
            'istio-lab:guestbook.versions[1].version: "1.0" is not allowed; expected a version label no other version has ("v1" has it)',
        ],
        [
            { "istio-lab:controlPlane": '{"chartRepo":"ftp://charts"}' },
            'istio-lab:controlPlane.chartRepo: "ftp://charts" is not allowed; expected a Helm repository URL (https://...), an OCI registry (oci://...) or an existing local directory holding the base, istiod and gateway charts',
        ],
        [
            { "istio-lab:controlPlane": '{"chartRepo":"/nonexistent/charts"}' },
            'istio-lab:controlPlane.chartRepo: "/nonexistent/charts" is not allowed; expected a Helm repository URL (https://...), an OCI registry (oci://...) or an existing local directory holding the base, istiod and gateway charts',
        ],
        [
            { "istio-lab:controlPlane": '{"values":[1]}' },
            "istio-lab:controlPlane.values: [1] is not allowed; expected an object of Helm values (Kubernetes, OSSM 3) or ServiceMeshControlPlane spec fields (OSSM 2)",
        ],
        [
            {
                "istio-lab:platform": "openshift",
                "istio-lab:controlPlane": '{"flavor":"ossm2","values":{"global":{"proxy":{"privileged":true}}}}',
            },
            'istio-lab:controlPlane.values.global: {"proxy":{"privileged":true}} is not allowed; expected a ServiceMeshControlPlane spec field: one of version, mode, cluster, general, profiles, tracing, policy, telemetry, proxy, security, gateways, runtime, addons, techPreview, meshConfig',
        ],
        [
            { "istio-lab:routing": "roundRobin", "istio-lab:canaryWeight": "20" },
            'istio-lab:canaryWeight: 20 is not allowed; expected 0 with routing "roundRobin" (its one route names no subset; set routing to "weighted" for a canary)',
        ],
        [
            { "istio-lab:routing": "roundRobin", "istio-lab:abTest": "{}" },
            'istio-lab:abTest: {"header":"user-agent","regex":".*Firefox.*"} is not allowed; expected nothing with routing "roundRobin" (its one route names no subset; set routing to "weighted" for the A/B rule)',
        ],
        [{ "istio-lab:routing": "random" }, 'istio-lab:routing: "random" is not allowed; expected one of weighted, roundRobin'],
        [{ "istio-lab:clientTls": "SIMPLE" }, 'istio-lab:clientTls: "SIMPLE" is not allowed; expected one of ISTIO_MUTUAL, DISABLE'],
        [
            { "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"mesh","destinationRule":{"name":"Bad_Name"}}]' },
            "istio-lab:peerAuth[0].destinationRule.name: \"Bad_Name\" is not allowed; expected a DNS-1123 label (at most 63 characters: lower-case letters, digits and '-', starting and ending with a letter or digit)",
        ],
        [
            { "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"mesh","destinationRule":"yes"}]' },
            'istio-lab:peerAuth[0].destinationRule: "yes" is not allowed; expected true, false or {name, namespace, host}',
        ],
        [
            { "istio-lab:recipe": "peer-auth", "istio-lab:mtlsLab": '{"sidecarNamespaces":["foo","istio-system"]}' },
            'istio-lab:mtlsLab.sidecarNamespaces[1]: "istio-system" is not allowed; expected a namespace no other stage creates (istio-lab:controlPlane.namespace is "istio-system")',
        ],
        [
            {
                "istio-lab:recipe": "peer-auth",
                "istio-lab:stages": '["mtlsLab","peerAuth"]',
                "istio-lab:mtlsLab": '{"sidecarNamespaces":["foo","istio-system"]}',
            },
            'istio-lab:mtlsLab.sidecarNamespaces[1]: "istio-system" is not allowed; expected a namespace other than the control plane\'s "istio-system"',
        ],
        [
            { "istio-lab:mtlsLab": '{"httpbinImage":"http://x"}' },
            'istio-lab:mtlsLab.httpbinImage: "http://x" is not allowed; expected an image reference such as "ibmcom/guestbook:v1" or "registry.example.com:5000/team/app@sha256:<digest>"',
        ],
        [
            { "istio-lab:gateway": '{"routeHost":"*"}' },
            'istio-lab:gateway.routeHost: "*" is not allowed; expected a DNS name without a wildcard (the OpenShift Route\'s host; a wildcard Route needs a wildcard policy the lab does not set)',
        ],
    ];
    for (const [raw, message] of refused) {
        it(`refuses ${JSON.stringify(raw)} before registering anything`, async () => {
            expect(() => parseConfig(raw)).to.throw(message);
            let error: Error | undefined;
            await runLab(raw).catch((e: Error) => (error = e));
            expect(error?.message).to.equal(message);
        });
    }

    it("parses objects without a prototype, so a smuggled key reaches no prototype", () => {
        const attempts: Array<Record<string, string>> = [
            { "istio-lab:__proto__": '{"polluted": "yes"}' },
            { "istio-lab:guestbook": '{"__proto__": {"polluted": "yes"}}' },
            { "istio-lab:controlPlane": '{"values": {"constructor": {"prototype": {"polluted": "yes"}}}}' },
        ];
        for (const raw of attempts) {
            expect(() => parseConfig(raw)).to.throw(/is not allowed; expected a key other than __proto__, constructor, prototype/);
        }
        expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
        expect(parseConfig({ "istio-lab:guestbook": '{"namespace":"gb"}' }).guestbook.namespace).to.equal("gb");
    });

    it("reports several problems one line each, and one problem once", () => {
        expect(() => parseConfig({ "istio-lab:canaryWeight": "-1.5" })).to.throw(
            /^istio-lab:canaryWeight: -1\.5 is not allowed; expected an integer from 0 to 100$/,
        );
        let message = "";
        try {
            parseConfig({ "istio-lab:canaryWeight": "150", "istio-lab:routing": "random" });
        } catch (e) {
            message = (e as Error).message;
        }
        expect(message.split("\n")).to.deep.equal([
            "istio-lab:canaryWeight: 150 is not allowed; expected an integer from 0 to 100",
            'istio-lab:routing: "random" is not allowed; expected one of weighted, roundRobin',
        ]);
    });

    it("accepts RE2's (?i) in a header regex", () => {
        expect(parseConfig({ "istio-lab:abTest": '{"regex":"(?i).*firefox.*"}' }).abTest).to.deep.equal({
            header: "user-agent",
            regex: "(?i).*firefox.*",
        });
    });

    it("warns through Pulumi, at pulumi up, about each setting for a stage the lab does not have", async () => {
        await pulumi.runtime.setMocks(
            {
                newResource: (r) => ({ id: `${r.name}-id`, state: r.inputs as Record<string, unknown> }),
                call: (c) => c.inputs as Record<string, unknown>,
            },
            "istio-lab",
            "t",
        );
        pulumi.runtime.setAllConfig({ "istio-lab:recipe": "peer-auth", "istio-lab:canaryWeight": "20", "istio-lab:operators": "{}" });
        const warned: string[] = [];
        const original = console.warn;
        console.warn = (message: string) => warned.push(message);
        try {
            loadConfig();
        } finally {
            console.warn = original;
        }
        expect(warned).to.deep.equal([
            'warning: [runtime] istio-lab:canaryWeight has no effect: this lab has no "traffic" stage; add it to istio-lab:stages or remove the setting',
            'warning: [runtime] istio-lab:operators has no effect: this lab has no "operators" stage; add it to istio-lab:stages or remove the setting',
        ]);
    });

    it("names the settings made for a stage the lab does not have", () => {
        const ignored = (raw: Record<string, string>) => parseConfig(raw).ignored;
        expect(ignored({ "istio-lab:recipe": "peer-auth", "istio-lab:canaryWeight": "20" })).to.deep.equal([
            {
                key: "istio-lab:canaryWeight",
                message:
                    'istio-lab:canaryWeight has no effect: this lab has no "traffic" stage; add it to istio-lab:stages or remove the setting',
            },
        ]);
        expect(ignored({ "istio-lab:operators": "{}" }).map((i) => i.key)).to.deep.equal(["istio-lab:operators"]);
        // The control plane's ingress gateway Service reads gateway.serviceType, gateway stage or not.
        expect(ignored({ "istio-lab:recipe": "peer-auth", "istio-lab:gateway": '{"serviceType":"NodePort"}' })).to.deep.equal([]);
        expect(
            ignored({ "istio-lab:recipe": "peer-auth", "istio-lab:gateway": '{"serviceType":"NodePort","port":8080}' }).map((i) => i.key),
        ).to.deep.equal(["istio-lab:gateway.port"]);
        expect(ignored({ "istio-lab:mtlsLab": "{}" }).map((i) => i.key)).to.deep.equal(["istio-lab:mtlsLab"]);
        expect(
            ignored({
                "istio-lab:stages": '["mtlsLab","peerAuth"]',
                "istio-lab:controlPlane": '{"namespace":"mesh","istioVersion":"1.30.3"}',
            }),
        ).to.deep.equal([
            {
                key: "istio-lab:controlPlane.istioVersion",
                message:
                    'istio-lab:controlPlane.istioVersion has no effect: this lab has no "controlPlane" stage; add it to istio-lab:stages or remove the setting',
            },
        ]);
        expect(ignored({})).to.deep.equal([]);
    });

    describe("documentation", () => {
        const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), "utf8");

        it("docs/config.md lists every key with its type and default", () => {
            expect(read("docs/config.md")).to.contain(readmeConfigTable());
        });

        it("the lab pages list every step as tools/steps.ts has it", () => {
            expect(read("docs/traffic-lab.md")).to.contain(stepsDocTable("traffic"));
            expect(read("docs/mtls-lab.md")).to.contain(stepsDocTable("peer-auth"));
        });

        it("README.md stays a short front page (at most 15 KB) and links every docs page", () => {
            const readme = read("README.md");
            expect(readme.length).to.be.at.most(15 * 1024);
            for (const page of readdirSync(path.join(PROJECT_ROOT, "docs")).filter((f) => f.endsWith(".md"))) {
                expect(readme, page).to.contain(`(docs/${page})`);
            }
        });

        it("Pulumi.yaml documents every key, and declares none (declared keys would become required)", () => {
            const yaml = read("Pulumi.yaml");
            expect(yaml).to.contain(pulumiYamlConfigDocs());
            expect(yaml).not.to.match(/^config:/m);
            expect(CONFIG_KEYS.map((k) => k.key)).to.deep.equal([
                "recipe",
                "platform",
                "stages",
                "trafficApi",
                "dataplane",
                "gatewayApiCrds",
                "canaryWeight",
                "abTest",
                "circuitBreaker",
                "routing",
                "clientTls",
                "tracing",
                "waitTimeoutSeconds",
                "attendees",
                "attendeeOverrides",
                "attendeeAccess",
                "attendeeBudget",
                "peerAuth",
                "guestbook",
                "gateway",
                "controlPlane",
                "operators",
                "mtlsLab",
                "images",
                "guestbookRegistry",
            ]);
        });
    });
});
