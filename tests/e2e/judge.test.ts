// The objects the e2e shows Istio's admission refusing: lab validate refuses each too, in Istio's words.
import { expect } from "chai";
import { REFUSED_OBJECTS, labValidateReasons } from "../../e2e/judge";

describe("lab validate refuses what Istio's admission refuses (the e2e's objects, refused there by the real istiod)", () => {
    for (const o of REFUSED_OBJECTS) {
        it(o.what, () => {
            expect(labValidateReasons(o.manifest).filter((r) => r.includes(o.says))).to.have.length(1);
        });
    }

    it("each says exactly Istio's message", () => {
        expect(REFUSED_OBJECTS.map((o) => labValidateReasons(o.manifest).find((r) => r.includes(o.says)))).to.deep.equal([
            "Istio's admission refuses it: weight -5 < 0",
            "Istio's admission refuses it: wildcard host * is not allowed for virtual services bound to the mesh gateway",
            "Istio's admission refuses it: port number 99999 must be in the range 1..65535",
            "Istio's admission refuses it: duplicate subset names: v1",
            'Istio\'s admission refuses it: "headers": "(?!Chrome).*Firefox.*" is not an RE2 regular expression; Istio uses RE2 style regex-based match',
            "Istio's admission refuses it: total destination weight = 0",
            "Istio's admission refuses it: portLevelMtls requires selector (its CRD rule; a namespace- or mesh-wide policy cannot have port-level modes)",
        ]);
    });
});
