// Every validator that meets config, arguments, files or cluster answers ends in time linear in its input
// (issue 41: a 70-character guestbookRegistry froze `lab validate`, and with it preview, up and the pull-request
// check). Each is fed long adversarial strings, built from the pieces its pattern repeats, with a suffix that
// makes it fail at the very end, the input a backtracking engine takes exponential or quadratic time on.
import { expect } from "chai";
import { isDns1123Label, isGatewayHost, isImageReference, isLabelValue, isQuantity, isRepositoryName } from "../../components/lab";
import { quantityValue } from "../../components/access";
import { lowerSchemeAndHost } from "../../components/controlPlane";
import { linear, stripTrailing } from "../../components/linear";
import { parseValue } from "../../config/input";
import { labDuration, parseClusterName } from "../../tools/envoy";
import { lab } from "../../tools/lab";
import { runLab } from "../../tools/engine";

/** The pieces the lab's patterns repeat, and endings that make a match fail last. */
const PIECES = ["a", "a.", "a-", "a_", "a__", "a.a-", "1", "1.", "1.1s", "-", ".", "/", "a/", ":1", "[", "guestbook-v1-a-", "to a.", "|"];
const ENDINGS = ["!", "", "-", ".", "/", ":", ":99999", "@", " "];

/** Adversarial inputs of about `length` characters. */
function attacks(length: number): string[] {
    return PIECES.flatMap((p) => ENDINGS.map((e) => p.repeat(Math.ceil(length / p.length)) + e));
}

/** The slowest of `check` over every attack of each length, in milliseconds. */
function slowest(check: (s: string) => unknown): { ms: number; input: string } {
    let worst = { ms: 0, input: "" };
    for (const length of [70, 255, 4096, 65536]) {
        for (const input of attacks(length)) {
            const t = process.hrtime.bigint();
            check(input);
            const ms = Number(process.hrtime.bigint() - t) / 1e6;
            if (ms > worst.ms) {
                worst = { ms, input: `${JSON.stringify(input.slice(0, 12))}... (${input.length} characters)` };
            }
        }
    }
    return worst;
}

describe("patterns on hostile input (linear time)", () => {
    // 64 KiB inputs matched linearly take a few milliseconds; an exponential one never ends, a quadratic one
    // takes seconds: 500 ms is far from both.
    const VALIDATORS: Record<string, (s: string) => unknown> = {
        isImageReference,
        isRepositoryName,
        isGatewayHost,
        isLabelValue,
        isQuantity,
        isDns1123Label,
        quantityValue,
        lowerSchemeAndHost,
        parseValue,
        parseClusterName,
        labDuration,
        stripTrailing: (s) => stripTrailing(s, "/"),
    };
    for (const [name, check] of Object.entries(VALIDATORS)) {
        it(`${name} ends within 500 ms on every attack up to 64 KiB`, () => {
            const worst = slowest(check);
            expect(worst.ms, `${name} took ${worst.ms.toFixed(0)} ms on ${worst.input}`).to.be.lessThan(500);
        });
    }

    it("the pattern that froze lab validate ends on 64 KiB under RE2 (it took exponential time under V8's engine)", () => {
        const before = /^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9]+([._-][a-z0-9]+)*)*(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
        const t = process.hrtime.bigint();
        expect(linear(before).test("a.".repeat(32768) + "a!")).to.equal(false);
        expect(linear(before).test("ghcr.io/you/istio-lab")).to.equal(true);
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        expect(ms, `RE2 took ${ms} ms`).to.be.lessThan(500);
    });

    it("lab validate refuses a 70-character guestbookRegistry at once, naming key, value and what is allowed", async () => {
        const registry = "a.".repeat(34) + "a!";
        const t = Date.now();
        const r = await lab(["validate", "--set", `guestbookRegistry=${registry}`]);
        expect(Date.now() - t).to.be.lessThan(10000);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.equal(
            `istio-lab:guestbookRegistry: "${registry}" is not allowed; expected a registry and path to push images under, without a tag (a lower-case path, a port from 1 to 65535, at most 200 characters), e.g. "ghcr.io/you/istio-lab" or "registry.example.com:5000/lab"\n`,
        );
    });

    describe("image references follow the distribution grammar", () => {
        const accepted = [
            "ibmcom/guestbook:v1",
            "docker.io/kennethreitz/httpbin",
            "registry.example.com:5000/team/app@sha256:" + "a".repeat(64),
            "localhost:5000/lab/guestbook:v2",
            "Registry.Example.com/lab/app:V1",
            "[::1]:5000/lab/app",
            "a__b/c--d/e.f_g:1.0-rc_1",
            "redis",
        ];
        const refused = [
            "registry.example.com:65536/lab/app", // a port above 65535
            "registry.example.com:0/lab/app", // port 0
            "registry.example.com:/lab/app", // an empty port
            "ibmcom/Guestbook:v1", // an upper-case repository
            "IBMcom/Guestbook:v1",
            "a___b/c", // three underscores are no separator
            "lab/app:", // an empty tag
            "lab/app:" + "t".repeat(129), // a tag over 128 characters
            "lab/app@sha256:abc", // a short digest
            "-lab/app",
            "lab//app",
            "lab/app/",
            "x".repeat(256),
        ];
        for (const image of accepted) {
            it(`accepts ${image.slice(0, 50)}`, () => expect(isImageReference(image)).to.equal(true));
        }
        for (const image of refused) {
            it(`refuses ${image.slice(0, 50)}`, () => expect(isImageReference(image)).to.equal(false));
        }
        it("guestbookRegistry: a port above 65535 or an upper-case path is refused, naming key and value", async () => {
            for (const registry of ["registry.example.com:70000/lab", "ghcr.io/You/lab"]) {
                let error: Error | undefined;
                await runLab({ "istio-lab:guestbookRegistry": registry }).catch((e: Error) => (error = e));
                expect(error?.message).to.equal(
                    `istio-lab:guestbookRegistry: "${registry}" is not allowed; expected a registry and path to push images under, without a tag (a lower-case path, a port from 1 to 65535, at most 200 characters), e.g. "ghcr.io/you/istio-lab" or "registry.example.com:5000/lab"`,
                );
            }
        });
    });
});
