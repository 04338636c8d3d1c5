// The config contract, round two (issue 15): each class of bad input is refused in config, with the key
// the user set, before any resource is registered.
import { expect } from "chai";
import { parseConfig } from "../../config";
import { redact } from "../../components/secrets";
import { runLab } from "../../tools/engine";
import { itRefuses } from "../helpers";

type Raw = Record<string, string>;

/** Refuses `raw` with exactly `message`, under parseConfig and through the program (no resource registered). */
function refuses(cases: Array<[string, Raw, string]>): void {
    for (const [what, raw, message] of cases) {
        it(`refuses ${what}`, async () => {
            expect(() => parseConfig(raw)).to.throw(message);
            let error: Error | undefined;
            const run = await runLab(raw).catch((e: Error) => {
                error = e;
                return undefined;
            });
            expect(run).to.equal(undefined);
            expect(error?.message).to.equal(message);
            expect(error?.name).to.equal("LabInputError");
        });
    }
}

const CREATABLE = 'a namespace the lab can create and delete (not "default", "kube-*" or "openshift-*": pulumi destroy would delete it)';

describe("config contract: the lab never owns a namespace it did not make", () => {
    refuses([
        [
            "the control plane in kube-system",
            { "istio-lab:controlPlane": '{"namespace":"kube-system"}' },
            `istio-lab:controlPlane.namespace: "kube-system" is not allowed; expected ${CREATABLE}`,
        ],
        [
            "the control plane in default",
            { "istio-lab:controlPlane": '{"namespace":"default"}' },
            `istio-lab:controlPlane.namespace: "default" is not allowed; expected ${CREATABLE}`,
        ],
        [
            "the OSSM control plane in openshift-monitoring",
            { "istio-lab:recipe": "openshift", "istio-lab:controlPlane": '{"namespace":"openshift-monitoring"}' },
            `istio-lab:controlPlane.namespace: "openshift-monitoring" is not allowed; expected ${CREATABLE}`,
        ],
        [
            "an operator in openshift-monitoring",
            { "istio-lab:recipe": "openshift", "istio-lab:operators": '{"kiali":{"namespace":"openshift-monitoring"}}' },
            `istio-lab:operators.kiali.namespace: "openshift-monitoring" is not allowed; expected ${CREATABLE}`,
        ],
        [
            "an operator in kube-public",
            {
                "istio-lab:recipe": "openshift",
                "istio-lab:tracing": "true",
                "istio-lab:controlPlane": '{"flavor":"ossm2"}',
                "istio-lab:operators": '{"elasticsearch":{"namespace":"kube-public"}}',
            },
            `istio-lab:operators.elasticsearch.namespace: "kube-public" is not allowed; expected ${CREATABLE}`,
        ],
        [
            "an attendee whose composed namespace is kube-system",
            { "istio-lab:guestbook": '{"namespace":"kube"}', "istio-lab:attendees": '["system"]' },
            'istio-lab:attendees: "system" is not allowed; expected a name whose namespace (istio-lab:guestbook.namespace "kube" + "-" + the name = "kube-system") is a namespace the lab can create and delete (not "default", "kube-*", "openshift-*" or the control plane\'s "istio-system")',
        ],
        [
            "an attendee whose composed namespace is the control plane's",
            { "istio-lab:guestbook": '{"namespace":"istio"}', "istio-lab:attendees": '["ann","system"]' },
            'istio-lab:attendees: "system" is not allowed; expected a name whose namespace (istio-lab:guestbook.namespace "istio" + "-" + the name = "istio-system") is a namespace the lab can create and delete (not "default", "kube-*", "openshift-*" or the control plane\'s "istio-system")',
        ],
    ]);

    it("still creates an operator's documented namespace (Elasticsearch's openshift-operators-redhat) and patches the mTLS lab's reserved ones", () => {
        const ossm2 = parseConfig({
            "istio-lab:recipe": "openshift",
            "istio-lab:tracing": "true",
            "istio-lab:controlPlane": '{"flavor":"ossm2"}',
        });
        expect(ossm2.operators.overrides).to.deep.equal({});
        const peer = parseConfig({ "istio-lab:recipe": "peer-auth", "istio-lab:mtlsLab": '{"plainNamespaces":["default"]}' });
        expect(peer.mtlsLab.plainNamespaces).to.deep.equal(["default"]);
    });
});

describe("config contract: a value the stack marks secret stays secret", () => {
    const image = "registry.example.com/private/redis:3.2.9";
    const containersOf = (inputs: Record<string, unknown>) =>
        (inputs as { spec: { template: { spec: { containers: Array<{ image: string }> } } } }).spec.template.spec.containers;

    it("wraps what flows from a secret key (at any depth) in pulumi.secret: the recorded inputs show it redacted", async () => {
        const raw = { "istio-lab:recipe": "kubernetes", "istio-lab:guestbook": JSON.stringify({ redisMasterImage: image }) };
        const run = await runLab(raw, { secretKeys: ["istio-lab:guestbook"] });
        const byName = (name: string) => run.resources.find((r) => r.name === name)!;
        expect(containersOf(byName("guestbook-redis-master").inputs)[0].image).to.equal("<redacted>");
        // Only what carries the secret: the other guestbook objects are as before.
        expect(containersOf(byName("guestbook-redis-slave").inputs)[0].image).to.equal("ibmcom/guestbook-redis-slave:v2");
        expect(run.config.secrets).to.deep.equal([image]);
        const plain = await runLab(raw);
        expect(containersOf(plain.resources.find((r) => r.name === "guestbook-redis-master")!.inputs)[0].image).to.equal(image);
    });

    it("reads which keys are secret from the runtime (loadConfig)", async () => {
        const pulumi = await import("@pulumi/pulumi");
        const { loadConfig } = await import("../../config");
        pulumi.runtime.setAllConfig({ "istio-lab:canaryWeight": "20", "istio-lab:gateway": '{"domain":"lab.example.com"}' }, [
            "istio-lab:gateway",
        ]);
        expect(loadConfig().secrets).to.deep.equal(["lab.example.com"]);
        pulumi.runtime.setAllConfig({});
    });

    const messages: Array<[string, Raw, string[], string]> = [
        [
            "a bad image in a secret structured key",
            { "istio-lab:guestbook": '{"redisMasterImage":"Registry.Example.com/Private:Bad"}' },
            ["istio-lab:guestbook"],
            'istio-lab:guestbook.redisMasterImage: [secret] is not allowed; expected an image reference such as "ibmcom/guestbook:v1" or "registry.example.com:5000/team/app@sha256:<digest>"',
        ],
        [
            "a secret number out of range",
            { "istio-lab:canaryWeight": "150" },
            ["istio-lab:canaryWeight"],
            "istio-lab:canaryWeight: [secret] is not allowed; expected an integer from 0 to 100",
        ],
    ];
    for (const [what, raw, secretKeys, message] of messages) {
        it(`names the key, never the value: ${what}`, async () => {
            expect(() => parseConfig(raw, secretKeys)).to.throw(message);
            const error = await runLab(raw, { secretKeys }).catch((e: Error) => e);
            expect((error as Error).message).to.equal(message);
        });
    }
});

describe("config contract: every input ends in a clear line", () => {
    refuses([
        [
            "a regex too large for RE2, fast",
            { "istio-lab:abTest": '{"regex":"(a{1000}){1000}"}' },
            'istio-lab:abTest.regex: "(a{1000}){1000}" is not allowed; expected an RE2 regular expression RE2 can compile: this one is too large (a repetition count above 1000, or nested repetitions above 1000 in all)',
        ],
        [
            "a regex longer than a header rule needs, cut in the message",
            { "istio-lab:abTest": JSON.stringify({ regex: "x".repeat(5000) }) },
            `istio-lab:abTest.regex: "${"x".repeat(79)}... (5002 characters) is not allowed; expected an RE2 regular expression of at most 1024 characters (this one has 5000)`,
        ],
        [
            "a long bad value, cut to a readable length",
            { "istio-lab:guestbook": JSON.stringify({ namespace: "N".repeat(300) }) },
            `istio-lab:guestbook.namespace: "${"N".repeat(79)}... (302 characters) is not allowed; expected a DNS-1123 label (at most 63 characters: lower-case letters, digits and '-', starting and ending with a letter or digit)`,
        ],
    ]);
});

describe("config contract: controlPlane.values cannot undo what the lab relies on", () => {
    const ossm2 = { "istio-lab:recipe": "openshift", "istio-lab:controlPlane": "" };
    const with2 = (values: unknown) => ({ ...ossm2, "istio-lab:controlPlane": JSON.stringify({ flavor: "ossm2", values }) });
    const withHelm = (values: unknown, flavor = "helm") => ({ "istio-lab:controlPlane": JSON.stringify({ flavor, values }) });
    const withOssm3 = (values: unknown) => ({
        "istio-lab:recipe": "openshift",
        "istio-lab:controlPlane": JSON.stringify({ flavor: "ossm3", values }),
    });
    const ROOT = '"istio-system", the control plane\'s namespace, or nothing (set istio-lab:controlPlane.namespace to move it)';
    refuses([
        [
            "istiod's Helm values moving the mesh's root namespace",
            withHelm({ meshConfig: { rootNamespace: "mesh-root" } }),
            `istio-lab:controlPlane.values.meshConfig.rootNamespace: "mesh-root" is not allowed; expected ${ROOT}`,
        ],
        [
            "istiod's Helm values naming another istiod namespace",
            withHelm({ global: { istioNamespace: "istio-other" } }),
            `istio-lab:controlPlane.values.global.istioNamespace: "istio-other" is not allowed; expected ${ROOT}`,
        ],
        [
            "a revision the injection label does not answer",
            withHelm({ revision: "canary" }),
            'istio-lab:controlPlane.values.revision: "canary" is not allowed; expected nothing or "default": the lab\'s namespaces join with istio-injection=enabled, which only the default revision answers',
        ],
        [
            "the Sail Istio resource's values, checked the same way",
            withHelm({ meshConfig: { rootNamespace: "elsewhere" } }, "sail"),
            `istio-lab:controlPlane.values.meshConfig.rootNamespace: "elsewhere" is not allowed; expected ${ROOT}`,
        ],
        [
            "the OSSM 3 Istio resource's values, checked the same way",
            withOssm3({ global: { istioNamespace: "elsewhere" } }),
            `istio-lab:controlPlane.values.global.istioNamespace: "elsewhere" is not allowed; expected ${ROOT}`,
        ],
        [
            "an SMCP version that would bypass the version check",
            with2({ version: "v2.9" }),
            'istio-lab:controlPlane.values.version: "v2.9" is not allowed; expected nothing: set istio-lab:controlPlane.version instead (it is checked against the versions OSSM 2.6 reconciles)',
        ],
        [
            "SMCP tracing the operators do not install",
            with2({ tracing: { type: "Jaeger" } }),
            'istio-lab:controlPlane.values.tracing.type: "Jaeger" is not allowed; expected "None", or set istio-lab:tracing to true (it installs the Elasticsearch and Jaeger operators the SMCP\'s tracing needs)',
        ],
        [
            "the SMCP's Jaeger add-on without its operator",
            with2({ addons: { jaeger: { install: {} } } }),
            'istio-lab:controlPlane.values.addons.jaeger: {"install":{}} is not allowed; expected nothing, or set istio-lab:tracing to true (it installs the Jaeger operator the add-on needs)',
        ],
        [
            "the SMCP without its ingress gateway",
            with2({ gateways: { ingress: { enabled: false } } }),
            "istio-lab:controlPlane.values.gateways.ingress.enabled: false is not allowed; expected true or nothing: the lab's Gateway and Route go through the ingress gateway",
        ],
    ]);

    it("takes values that leave those alone, and tracing with its operators", () => {
        expect(
            parseConfig(withHelm({ meshConfig: { rootNamespace: "istio-system", accessLogFile: "/dev/stdout" } })).controlPlane.values,
        ).to.deep.equal({
            meshConfig: { rootNamespace: "istio-system", accessLogFile: "/dev/stdout" },
        });
        expect(parseConfig({ ...with2({ tracing: { type: "Jaeger" } }), "istio-lab:tracing": "true" }).tracing).to.equal(true);
    });
});

describe("config contract: classroom hosts, Routes and catalogs", () => {
    const long = `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.example.com`;
    refuses([
        [
            "an IP address as the class's domain",
            { "istio-lab:attendees": "3", "istio-lab:gateway": '{"domain":"192.168.1.10"}' },
            'istio-lab:gateway.domain: "192.168.1.10" is not allowed; expected a DNS domain such as "lab.example.com", not an IP address (each attendee gets the host <attendee>.<domain>)',
        ],
        [
            "a domain that makes an attendee's host longer than a DNS name",
            {
                "istio-lab:attendees": '["a-rather-long-attendee-name-for-this-class-of-one-thousand"]',
                "istio-lab:gateway": JSON.stringify({ domain: `${long}.${"d".repeat(10)}` }),
            },
            `istio-lab:gateway.domain: "${`${long}.${"d".repeat(10)}`.slice(0, 79)}... (207 characters) is not allowed; expected a domain short enough for every attendee's host (istio-lab:attendees): "a-rather-long-attendee-name-for-this-class-of-one-thousand.${long.slice(0, 20)}... (266 characters) has 264 characters, a DNS name at most 253`,
        ],
        [
            "a certificate common name longer than X.509 allows",
            { "istio-lab:attendees": "3", "istio-lab:gateway": JSON.stringify({ domain: `${"x".repeat(63)}.example.com` }) },
            `istio-lab:gateway.domain: "${"x".repeat(63)}.example.com" is not allowed; expected a name whose certificate common name ("*.${"x".repeat(63)}.example.com", 77 characters) fits X.509's 64; or gateway.tls {credentialName} with a certificate of your own`,
        ],
        [
            "an OpenShift Route host with a wildcard",
            { "istio-lab:recipe": "openshift", "istio-lab:gateway": '{"routeHost":"*.apps.example.com"}' },
            'istio-lab:gateway.routeHost: "*.apps.example.com" is not allowed; expected a DNS name without a wildcard (the OpenShift Route\'s host; a wildcard Route needs a wildcard policy the lab does not set)',
        ],
        [
            "a blank CatalogSource name",
            { "istio-lab:recipe": "openshift", "istio-lab:operators": '{"source":"  "}' },
            'istio-lab:operators.source: "  " is not allowed; expected a CatalogSource name such as "redhat-operators" (a DNS-1123 subdomain, not blank)',
        ],
        [
            "a blank operator channel",
            { "istio-lab:recipe": "openshift", "istio-lab:operators": '{"kiali":{"channel":" "}}' },
            'istio-lab:operators.kiali.channel: " " is not allowed; expected an OLM channel name (not blank)',
        ],
    ]);

    it("reports a domain without attendees like a setting for an absent stage", () => {
        expect(parseConfig({ "istio-lab:gateway": '{"domain":"lab.example.com"}' }).ignored).to.deep.equal([
            {
                key: "istio-lab:gateway.domain",
                message:
                    "istio-lab:gateway.domain has no effect: this lab has no attendees (it gives each attendee a host); set istio-lab:attendees or remove the setting",
            },
        ]);
    });

    it("takes a certificate of the user's own for a long domain", () => {
        const c = parseConfig({
            "istio-lab:attendees": "3",
            "istio-lab:gateway": JSON.stringify({ domain: `${"x".repeat(63)}.example.com`, tls: { credentialName: "wildcard" } }),
        });
        expect(c.gateway.domain).to.equal(`${"x".repeat(63)}.example.com`);
    });
});

describe("config contract: a message names the key the user set", () => {
    refuses([
        [
            "an attendee's round robin against the class's canary weight: the attendee's override is named",
            {
                "istio-lab:canaryWeight": "50",
                "istio-lab:attendees": "3",
                "istio-lab:attendeeOverrides": '{"user2":{"routing":"roundRobin"}}',
            },
            'istio-lab:attendeeOverrides.user2.routing: "roundRobin" is not allowed; expected "weighted" while the class\'s istio-lab:canaryWeight is 50 (round robin takes no weight); or also set istio-lab:attendeeOverrides.user2.canaryWeight to 0',
        ],
        [
            "an attendee's round robin against the class's A/B rule",
            { "istio-lab:abTest": "{}", "istio-lab:attendees": "3", "istio-lab:attendeeOverrides": '{"user2":{"routing":"roundRobin"}}' },
            'istio-lab:attendeeOverrides.user2.routing: "roundRobin" is not allowed; expected "weighted" while the class\'s istio-lab:abTest is set (round robin takes no A/B rule); or drop the class\'s abTest',
        ],
        [
            "the flavour's namespace, said as the flavour's, not as the flavour",
            { "istio-lab:guestbook": '{"namespace":"istio-cni"}', "istio-lab:controlPlane": '{"flavor":"sail"}' },
            'istio-lab:guestbook.namespace: "istio-cni" is not allowed; expected a namespace no other stage creates (the "sail" flavour (istio-lab:controlPlane.flavor) creates it for IstioCNI)',
        ],
    ]);

    it("an attendee's own weight with its own round robin is the attendee's key", () => {
        expect(() =>
            parseConfig({
                "istio-lab:attendees": "3",
                "istio-lab:attendeeOverrides": '{"user2":{"routing":"roundRobin","canaryWeight":30}}',
            }),
        ).to.throw('istio-lab:attendeeOverrides.user2.canaryWeight: 30 is not allowed; expected 0 with routing "roundRobin"');
    });
});

describe("config contract: a policy waits only on what it needs", () => {
    it("a namespace policy of a class waits for its attendee's namespace only; the mesh-wide one for every namespace", async () => {
        const policies = [
            { mode: "STRICT", scope: "mesh" },
            ...[1, 2, 3].map((i) => ({ mode: "PERMISSIVE", scope: "namespace", namespace: `guestbook-user${i}` })),
        ];
        const run = await runLab({ "istio-lab:attendees": "3", "istio-lab:peerAuth": JSON.stringify(policies) });
        const attendeesOf = (name: string) =>
            run.resources
                .find((r) => r.name === name)!
                .dependsOn.filter((d) => d.startsWith("istio-lab:classroom:Attendee::"))
                .map((d) => d.split("::")[1]);
        expect([
            attendeesOf("peer-auth-istio-system-default"),
            attendeesOf("peer-auth-guestbook-user2-namespace-wide-policy"),
            attendeesOf("peer-auth-guestbook-user3-namespace-wide-policy"),
        ]).to.deep.equal([["attendee-user1", "attendee-user2", "attendee-user3"], ["attendee-user2"], ["attendee-user3"]]);
    });
});

describe("config contract: limits in a message agree", () => {
    refuses([
        [
            "a list of attendees longer than a count may be",
            { "istio-lab:attendees": JSON.stringify(Array.from({ length: 501 }, (_, i) => `a${i}`)) },
            `istio-lab:attendees: ["a0","a1","a2","a3","a4","a5","a6","a7","a8","a9","a10","a11","a12","a13","a14"... (3398 characters) is not allowed; expected a count from 1 to 500 (attendees user1 to userN) or a list of 1 to 500 distinct names (DNS-1123 labels)`,
        ],
    ]);
});

describe("config contract: one problem, one line", () => {
    itRefuses([
        [
            { "istio-lab:guestbook": '{"redisMasterImage":""}' },
            'istio-lab:guestbook.redisMasterImage: "" is not allowed; expected an image reference such as "ibmcom/guestbook:v1" or "registry.example.com:5000/team/app@sha256:<digest>"',
        ],
        [{ "istio-lab:canaryWeight": "150.5" }, "istio-lab:canaryWeight: 150.5 is not allowed; expected an integer from 0 to 100"],
    ]);
});

describe("config contract: a name cannot stay secret", () => {
    it("the program counts no name among a secret key's secrets (Pulumi marks the whole key secret for one secure path)", () => {
        const c = parseConfig(
            { "istio-lab:guestbook": '{"namespace":"team-lab","redisMasterImage":"registry.example.com/private/redis:3.2.9"}' },
            ["istio-lab:guestbook"],
        );
        expect(c.secrets).to.deep.equal(["registry.example.com/private/redis:3.2.9"]);
        expect(parseConfig({ "istio-lab:attendees": '["ann","bob"]' }, ["istio-lab:attendees"]).secrets).to.deep.equal([]);
    });
});

describe("config contract: short secrets", () => {
    it("a short secret is hidden where it stands alone, not inside a word or a name", () => {
        expect(redact("user ab in ab-team, lab: ab", ["ab"])).to.equal("user [secret] in ab-team, lab: [secret]");
        expect(redact('weight "7x" and 7x of 17x', ["7x"])).to.equal("weight [secret] and [secret] of 17x");
    });

    it("a secret of one character is refused, naming the key, never the value", () => {
        for (const [key, value] of [
            ["istio-lab:canaryWeight", "5"],
            ["istio-lab:guestbook", '{"redisMasterImage":"r"}'],
        ]) {
            expect(() => parseConfig({ [key]: value }, [key])).to.throw(
                `${key}: a secret value of one character cannot be hidden in what the lab prints (it would stand for itself in almost every line); give it a longer value, or set it without --secret`,
            );
        }
    });
});

describe("config contract: what is derived from a secret is secret", () => {
    it("the other version's share of a secret canaryWeight", () => {
        expect(parseConfig({ "istio-lab:canaryWeight": "30" }, ["istio-lab:canaryWeight"]).secrets).to.deep.equal([30, 70]);
        expect(redact("v1 70, v2 30 (port 8070)", [30, 70])).to.equal("v1 [secret], v2 [secret] (port 8070)");
    });

    it("each attendee's user from a secret userPattern; a pattern that is the name alone is refused", () => {
        const raw = {
            "istio-lab:recipe": "openshift",
            "istio-lab:attendees": '["ann","bob"]',
            "istio-lab:attendeeAccess": '{"userPattern":"lab-<attendee>"}',
        };
        expect(parseConfig(raw, ["istio-lab:attendeeAccess"]).secrets).to.deep.equal(["lab-<attendee>", "lab-ann", "lab-bob"]);
        expect(() =>
            parseConfig({ ...raw, "istio-lab:attendeeAccess": '{"userPattern":"<attendee>"}' }, ["istio-lab:attendeeAccess"]),
        ).to.throw(
            "istio-lab:attendeeAccess.userPattern: a secret pattern that is the attendee's name alone cannot be hidden (each user would be an attendee's name, which the lab shows); add to it, or set it without --secret",
        );
    });
});
