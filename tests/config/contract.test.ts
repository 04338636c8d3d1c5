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
