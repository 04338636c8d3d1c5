import { expect } from "chai";
import { readFileSync } from "fs";
import * as path from "path";
import { CONFIG_KEYS, parseConfig } from "../config";
import { LAB_GUESTBOOK_VERSIONS } from "../components/guestbook";
import { runLab } from "../tools/engine";
import { pulumiYamlConfigDocs, readmeConfigTable } from "../tools/docs";
import { PROJECT_ROOT } from "../tools/stackConfig";

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
            'istio-lab: key "canaryWieght" is not allowed; expected one of recipe, platform, stages, canaryWeight, routing, clientTls, abTest, circuitBreaker, peerAuth, guestbook, gateway, controlPlane, operators, mtlsLab',
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

    describe("documentation", () => {
        const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), "utf8");

        it("README.md's configuration table lists every key with its type and default", () => {
            expect(read("README.md")).to.contain(readmeConfigTable());
        });

        it("Pulumi.yaml documents every key, and declares none (declared keys would become required)", () => {
            const yaml = read("Pulumi.yaml");
            expect(yaml).to.contain(pulumiYamlConfigDocs());
            expect(yaml).not.to.match(/^config:/m);
            expect(CONFIG_KEYS.map((k) => k.key)).to.deep.equal([
                "recipe",
                "platform",
                "stages",
                "canaryWeight",
                "abTest",
                "circuitBreaker",
                "routing",
                "clientTls",
                "peerAuth",
                "guestbook",
                "gateway",
                "controlPlane",
                "operators",
                "mtlsLab",
            ]);
        });
    });
});
