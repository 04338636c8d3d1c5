// Unexpected answers from the cluster (issue 41): a kubectl that prints a warning line before its JSON, `{}`,
// `items: null`, an item that is no object, an empty ISTIO_LAB_KUBECTL. lab check and lab status say what was
// expected and what came, and exit 2: never a TypeError, never a stack trace. A workload's name carrying
// terminal escape sequences is printed with them escaped.
import { expect } from "chai";
import { chmodSync, writeFileSync } from "fs";
import * as path from "path";
import { lab } from "../../tools/lab";
import { tempDir, withEnv } from "../helpers";

describe("lab check and status on unexpected cluster answers", () => {
    const dir = tempDir("lab-answers-");
    const kubectl = path.join(dir, "kubectl");
    // kubectl get <resource> -A -o json, answered with $ANSWER whatever the resource.
    writeFileSync(kubectl, `#!${process.execPath}\nprocess.stdout.write(process.env.ANSWER);\n`);
    chmodSync(kubectl, 0o755);
    const check = (answer: string) =>
        withEnv("ISTIO_LAB_KUBECTL", kubectl, () =>
            withEnv("ANSWER", answer, () => lab(["check", "--stack", "peer-auth", "--step", "step-9", "--level", "objects"])),
        );
    const EXPECTED = 'expected a JSON list ({"kind": "List", "items": [...]}, each item an object with metadata)';
    const GET = "kubectl get virtualservices.networking.istio.io -A -o json";

    for (const [answer, came] of [
        ['Warning: v1 ComponentStatus is deprecated\n{"items": []}', '"Warning: v1 ComponentStatus is deprecated"'],
        ["{}", "{} (no items)"],
        ['{"items": null}', "items: null"],
        ["[]", "[] (no items)"],
        ['{"items": [null]}', "item 0: null"],
        ['{"items": [{"kind": "PeerAuthentication"}]}', 'item 0: {"kind":"PeerAuthentication"}'],
        ["", "nothing"],
    ]) {
        it(`${JSON.stringify(answer).slice(0, 40)}: exit 2, naming what came`, async () => {
            const said = `${GET} answered ${came}; ${EXPECTED}`;
            expect(await check(answer)).to.deep.equal({
                stdout: `FAIL: step step-9 could not be checked: ${said}\n`,
                stderr: `cannot check step step-9: ${said}\n`,
                code: 2,
            });
        });
    }

    it("lab status of a class on items: null: exit 2, naming what came", async () => {
        const r = await withEnv("ISTIO_LAB_KUBECTL", kubectl, () =>
            withEnv("ANSWER", '{"items": null}', () => lab(["status", "--stack", "dev", "--set", "attendees=2", "--level", "objects"])),
        );
        expect(r).to.deep.equal({ stdout: "", stderr: `cannot read the class dev: ${GET} answered items: null; ${EXPECTED}\n`, code: 2 });
    });

    it('check --json: exit 2 prints {"error": ...} on stdout too', async () => {
        const r = await withEnv("ISTIO_LAB_KUBECTL", kubectl, () =>
            withEnv("ANSWER", "{}", () => lab(["check", "--stack", "peer-auth", "--step", "step-9", "--json"])),
        );
        const error = `cannot check step step-9: ${GET} answered {} (no items); ${EXPECTED}`;
        expect(r).to.deep.equal({ stdout: `${JSON.stringify({ error })}\n`, stderr: `${error}\n`, code: 2 });
        const bad = await lab(["check", "--stack", "peer-auth", "--step", "step-99", "--json"]);
        expect(bad.code).to.equal(2);
        expect(Object.keys(JSON.parse(bad.stdout) as object)).to.deep.equal(["error"]);
    });

    it("an empty ISTIO_LAB_KUBECTL: exit 2, saying so", async () => {
        const r = await withEnv("ISTIO_LAB_KUBECTL", "", () => lab(["check", "--stack", "peer-auth", "--step", "step-9"]));
        const said = "ISTIO_LAB_KUBECTL is empty; set it to a kubectl's path, or unset it to use the kubectl on PATH";
        expect(r).to.deep.equal({
            stdout: `FAIL: step step-9 could not be checked: ${said}\n`,
            stderr: `cannot check step step-9: ${said}\n`,
            code: 2,
        });
    });

    it("an object whose name carries terminal escapes is printed with them escaped", async () => {
        const evil = {
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: {
                name: "x\u001b]0;pwned\u0007\u001b[2J\u009b31m",
                namespace: "istio-system",
                labels: { "app.kubernetes.io/part-of": "istio-lab" },
            },
            spec: { mtls: { mode: "STRICT" } },
        };
        const r = await check(JSON.stringify({ items: [evil] }));
        expect(r.code).to.equal(1);
        expect(r.stdout + r.stderr).to.not.match(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
        expect(r.stdout).to.include("x\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m");
    });
});

describe("lab check when the lab is not deployed", () => {
    const dir = tempDir("lab-empty-");
    const kubectl = path.join(dir, "kubectl");
    writeFileSync(kubectl, `#!${process.execPath}\nprocess.stdout.write('{"kind": "List", "items": []}');\n`);
    chmodSync(kubectl, 0o755);

    it("says so and points to pulumi up, instead of blaming a PeerAuthentication", async () => {
        const r = await withEnv("ISTIO_LAB_KUBECTL", kubectl, () =>
            lab(["check", "--stack", "peer-auth", "--step", "step-9", "--level", "objects"]),
        );
        const said =
            "the lab is not deployed on this cluster (none of the 1 object expected, no object of the lab): run pulumi up --stack peer-auth first";
        expect(r).to.deep.equal({
            stdout: `step step-9 (peer-auth lab: step 9: mesh STRICT) on stack peer-auth\nobjects: 1 difference (1 object checked)\n  ${said}\nFAIL: step step-9 is not in place: ${said}\n`,
            stderr: "",
            code: 1,
        });
    });

    it("lab status of a class says the class is not deployed, instead of every attendee diverged", async () => {
        const said =
            "class dev is not deployed on this cluster (none of the 7 objects expected, no object of the lab): run pulumi up --stack dev first";
        const status = (...a: string[]) =>
            withEnv("ISTIO_LAB_KUBECTL", kubectl, () =>
                lab(["status", "--stack", "dev", "--set", "attendees=3", "--level", "objects", ...a]),
            );
        expect(await status()).to.deep.equal({ stdout: "", stderr: `${said}\n`, code: 1 });
        expect(await status("--json")).to.deep.equal({ stdout: `${JSON.stringify({ error: said })}\n`, stderr: `${said}\n`, code: 1 });
    });
});

describe("lab check --watch --timeout is an upper bound", () => {
    it("a kubectl that never answers is cut off at the deadline: exit 2 within the timeout, naming the call", async () => {
        const dir = tempDir("lab-slow-");
        const kubectl = path.join(dir, "kubectl");
        writeFileSync(kubectl, `#!${process.execPath}\nsetTimeout(() => process.stdout.write('{"items": []}'), 30000);\n`);
        chmodSync(kubectl, 0o755);
        const t = Date.now();
        const r = await withEnv("ISTIO_LAB_KUBECTL", kubectl, () =>
            lab(["check", "--stack", "peer-auth", "--step", "step-9", "--level", "objects", "--watch", "--timeout", "2"]),
        );
        expect(Date.now() - t).to.be.within(1500, 6000);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(
            new RegExp(
                `^cannot check step step-9: ${kubectl} get virtualservices.networking.istio.io -A: no answer within [12]\\.\\d s\\n$`,
            ),
        );
    }).timeout(20000);
});
