// lab reset's plan: which config keys it sets and removes, whom it resets, what it creates again; its refusals.
import { expect } from "chai";
import { parseConfig } from "../../config";
import { ResetError, parseResetArgs, planReset, previewReset, resetMain } from "../../tools/reset";
import { stackConfig } from "../helpers";

const peerAuth = () => stackConfig("peer-auth");
const klass = (extra: Record<string, string> = {}) => ({
    ...stackConfig("dev"),
    "istio-lab:attendees": JSON.stringify(["ann", "bob"]),
    ...extra,
});
const refused = (f: () => unknown) => {
    try {
        f();
    } catch (e) {
        expect(e).to.be.instanceOf(ResetError);
        return (e as Error).message;
    }
    throw new Error("not refused");
};

describe("lab reset", () => {
    it("sets the step's keys and removes the ones the step does not have (peer authentication step 12 back to step 9)", () => {
        const at12 = planReset(peerAuth(), { step: "step-12", stack: "peer-auth" });
        const twelve = { ...peerAuth(), ...at12.set };
        const plan = planReset(twelve, { step: "step-9", stack: "peer-auth" });
        expect(plan.step.name).to.equal("step-9");
        expect(plan.attendees).to.deep.equal([]);
        expect(Object.keys(plan.set)).to.deep.equal(["istio-lab:peerAuth"]);
        expect(JSON.parse(plan.set["istio-lab:peerAuth"])).to.deep.equal([{ scope: "mesh", mode: "STRICT" }]);
        expect(plan.removed).to.deep.equal([]);
        expect(plan.ownedNamespaces).to.deep.equal([]);
        // Applied, the plan leaves the config exactly at the step: a second reset changes nothing.
        const again = planReset({ ...twelve, ...plan.set }, { step: "step-9", stack: "peer-auth" });
        expect([again.set, again.removed]).to.deep.equal([{}, []]);
    });

    it("removes a traffic key the step leaves unset (the A/B rule, going back to all-v1)", () => {
        const plan = planReset({ ...stackConfig("dev"), "istio-lab:abTest": "{}" }, { step: "all-v1", stack: "dev" });
        expect(plan.set).to.deep.equal({ "istio-lab:canaryWeight": "0" });
        expect(plan.removed).to.deep.equal(["istio-lab:abTest"]);
    });

    it("in a class: one attendee's override, or every attendee's; with attendeeAccess their own objects are created again", () => {
        const one = planReset(klass(), { step: "all-v2", stack: "class", attendee: "bob" });
        expect(one.attendees).to.deep.equal(["bob"]);
        expect(JSON.parse(one.set["istio-lab:attendeeOverrides"])).to.deep.equal({ bob: { canaryWeight: 100 } });
        expect(one.ownedNamespaces).to.deep.equal([]);
        const all = planReset(klass(), { step: "ab-test", stack: "class" });
        expect(all.attendees).to.deep.equal(["ann", "bob"]);
        expect(JSON.parse(all.set["istio-lab:attendeeOverrides"])).to.deep.equal({
            ann: { canaryWeight: 0, abTest: {} },
            bob: { canaryWeight: 0, abTest: {} },
        });
        const access = klass({ "istio-lab:attendeeAccess": "{}" });
        parseConfig(access); // a valid class with access
        expect(planReset(access, { step: "all-v1", stack: "class", attendee: "ann" }).ownedNamespaces).to.deep.equal(["guestbook-ann"]);
    });

    it("refuses a step the stack does not have, a class step with --attendee and a stranger, naming what is allowed", () => {
        expect(refused(() => planReset(stackConfig("dev"), { step: "step-9", stack: "dev" }))).to.match(/^--step "step-9" /);
        expect(refused(() => planReset(klass(), { step: "mtls", stack: "class", attendee: "ann" }))).to.match(
            /^--step "mtls" is the whole class's/,
        );
        expect(refused(() => planReset(klass(), { step: "all-v1", stack: "class", attendee: "cy" }))).to.equal(
            '--attendee "cy" is not allowed; expected an attendee of this class (ann, bob)',
        );
        expect(
            refused(() => planReset({ ...stackConfig("dev"), "istio-lab:canaryWeight": "150" }, { step: "all-v1", stack: "dev" })),
        ).to.match(/^stack dev: .*canaryWeight/);
    });

    it("parses its options and refuses bad ones before anything runs", async () => {
        expect(parseResetArgs(["--step", "all-v1"])).to.deep.equal({
            step: "all-v1",
            stack: "dev",
            attendee: undefined,
            preview: false,
            json: false,
            cwd: undefined,
        });
        expect(parseResetArgs(["--help"])).to.equal("help");
        expect(refused(() => parseResetArgs([]))).to.equal("reset needs --step NAME (npm run --silent lab -- steps lists them)");
        expect(refused(() => parseResetArgs(["--step", "a", "--step", "b"]))).to.equal("--step is given twice; give it once");
        expect(refused(() => parseResetArgs(["--step", ""]))).to.equal("--step is empty; give it a value");
        expect(refused(() => parseResetArgs(["--step", "a", "--weight", "3"]))).to.match(
            /^option --weight is not allowed for reset; expected one of --step, --stack, --attendee, --preview, --json, --cwd, --help$/,
        );
        // The shipped stack's own file already says the step is wrong: refused before the Pulumi CLI is looked for.
        let err = "";
        const write = (chunk: string | Uint8Array) => ((err += String(chunk)), true);
        const spy = Object.getOwnPropertyDescriptor(process.stderr, "write");
        Object.defineProperty(process.stderr, "write", { value: write, configurable: true, writable: true });
        try {
            expect(await resetMain(["--step", "step-9", "--stack", "dev"], () => undefined)).to.equal(2);
        } finally {
            if (spy) {
                Object.defineProperty(process.stderr, "write", spy);
            } else {
                delete (process.stderr as { write?: unknown }).write;
            }
        }
        expect(err).to.match(/^--step "step-9" /);
    });

    it("--preview when the engine's preview fails: its error lines on stderr, exit 1, and the stack's config put back", async () => {
        const plan = planReset(peerAuth(), { step: "step-12", stack: "peer-auth" });
        const calls: string[] = [];
        const stack = {
            preview: () =>
                Promise.reject(
                    new Error(
                        "code: 255\n stdout: Previewing update (peer-auth)\n stderr: error: could not connect to the cluster: dial tcp 127.0.0.1:6443: connect: connection refused\n    at Stack.preview (automation/stack.js:1:1)",
                    ),
                ),
            setAllConfig: (c: Record<string, unknown>) => Promise.resolve(void calls.push(`set ${Object.keys(c).join(",")}`)),
            removeAllConfig: (k: string[]) => Promise.resolve(void calls.push(`remove ${k.join(",")}`)),
        };
        const written: string[] = [];
        const saved = process.stderr.write.bind(process.stderr);
        process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
        let code: number;
        try {
            code = await previewReset(
                {
                    o: { step: "step-12", stack: "peer-auth", preview: true, json: false },
                    stack: stack as never,
                    plan,
                    before: { "istio-lab:peerAuth": { value: "[]", secret: false } },
                    replace: [],
                    who: "",
                    summary: {},
                },
                undefined,
                () => undefined,
            );
        } finally {
            process.stderr.write = saved;
        }
        expect(code).to.equal(1);
        expect(written.join("")).to.equal(
            "lab reset --preview: pulumi preview of stack peer-auth failed (nothing was changed; the stack's config is as it was):\n stderr: error: could not connect to the cluster: dial tcp 127.0.0.1:6443: connect: connection refused\n",
        );
        expect(calls).to.deep.equal(["set istio-lab:peerAuth"]);
    });

    it("checks --stack as a stack name before anything else, as promote does", () => {
        expect(refused(() => parseResetArgs(["--step", "step-9", "--stack", "../elsewhere"]))).to.equal(
            '--stack "../elsewhere" is not allowed; expected a stack name (letters, digits, "-", "_" and "."), e.g. dev; use --config FILE for a file elsewhere',
        );
    });
});
