// The config contract, round two (issue 15): each class of bad input is refused in config, with the key
// the user set, before any resource is registered.
import { expect } from "chai";
import { parseConfig } from "../../config";
import { runLab } from "../../tools/engine";

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
        [
            "a secret value echoed inside a longer message",
            {
                "istio-lab:guestbook": '{"namespace":"topsecret-team"}',
                "istio-lab:attendees": '["a-very-long-attendee-name-that-makes-the-namespace-too-long"]',
            },
            ["istio-lab:guestbook"],
            'istio-lab:attendees: "a-very-long-attendee-name-that-makes-the-namespace-too-long" is not allowed; expected a name short enough for its namespace "[secret]-a-very-long-attendee-name-that-makes-the-namespace-too-long" to be a DNS-1123 label (at most 63 characters: lower-case letters, digits and \'-\', starting and ending with a letter or digit)',
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
