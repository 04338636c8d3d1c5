// One attendee of a class at a step: which steps are theirs, the config that puts them there, and their
// part of the class's expected state (under mocks).
import { expect } from "chai";
import { parseConfig } from "../../config";
import { attendeeScope, objectsLevel } from "../../tools/check";
import { runLab } from "../../tools/engine";
import { lab } from "../../tools/lab";
import { metaOf, render } from "../../tools/render";
import { STEPS, attendeeStepConfig, attendeeStepsOf, findAttendeeStep } from "../../tools/steps";
import { stackConfig } from "../helpers";

const step = (name: string) => STEPS.find((s) => s.name === name)!;
const klass = () => ({ ...stackConfig("dev"), "istio-lab:attendees": JSON.stringify(["ann", "bob", "cy"]) });

describe("an attendee at a step", () => {
    it("takes the traffic lab's steps whose keys are all their own; the mutual TLS step is the class's", () => {
        expect(attendeeStepsOf(parseConfig(klass())).map((s) => s.name)).to.deep.equal([
            "all-v1",
            "ab-test",
            "canary-80-20",
            "all-v2",
            "round-robin",
            "circuit-breaker",
            "circuit-breaker-v2",
            "client-tls-istio-mutual",
            "client-tls-disable",
        ]);
    });

    it("refuses an attendee the class does not have, a class step, and a stack without attendees, naming what is allowed", () => {
        const c = parseConfig(klass());
        expect(findAttendeeStep(c, "all-v1", "dan")).to.equal(
            '--attendee "dan" is not allowed; expected an attendee of this class (ann, bob, cy)',
        );
        expect(findAttendeeStep(c, "mtls", "ann")).to.match(
            /^--step "mtls" is the whole class's \(it sets the mesh's policies, not an attendee's own keys\); with --attendee expected one of all-v1, ab-test, /,
        );
        expect(findAttendeeStep(parseConfig(stackConfig("dev")), "all-v1", "ann")).to.equal(
            '--attendee "ann" is not allowed: this stack has no attendees (istio-lab:attendees is not set)',
        );
        expect(findAttendeeStep(c, "ab-test", "bob")).to.equal(step("ab-test"));
    });

    it("is their attendeeOverrides entry set to the step's keys; the others' entries stay", () => {
        const base = {
            ...klass(),
            "istio-lab:attendeeOverrides": JSON.stringify({ ann: { canaryWeight: 50 }, cy: { routing: "weighted" } }),
        };
        const c = parseConfig(base);
        const out = attendeeStepConfig(base, c, step("ab-test"), ["ann"]);
        expect(JSON.parse(out["istio-lab:attendeeOverrides"])).to.deep.equal({
            ann: { canaryWeight: 0, abTest: {} },
            cy: { routing: "weighted" },
        });
        const at = parseConfig(out).attendees!;
        expect(at.map((a) => [a.name, a.canaryWeight, a.abTest ?? null])).to.deep.equal([
            ["ann", 0, { header: "user-agent", regex: ".*Firefox.*" }],
            ["bob", 20, null],
            ["cy", 20, null],
        ]);
        const breaker = attendeeStepConfig(base, c, step("circuit-breaker-v2"), ["bob", "cy"]);
        expect((JSON.parse(breaker["istio-lab:attendeeOverrides"]) as Record<string, unknown>).cy).to.deep.equal({
            canaryWeight: 20,
            circuitBreaker: { subset: "v2", maxConnections: 3 },
        });
    });

    it("scopes the class's objects, live objects and split to that attendee", async () => {
        const base = attendeeStepConfig(klass(), parseConfig(klass()), step("all-v2"), ["bob"]);
        const run = await runLab(base, { stack: "class" });
        const objects = render(run.resources);
        const rows = run.outputs.attendees as Array<{ attendee: string; weights: Record<string, number> | null }>;
        const live = objects
            .filter((o) => ["VirtualService", "DestinationRule", "PeerAuthentication"].includes(String(o.manifest.kind)))
            .map((o) => ({
                kind: String(o.manifest.kind),
                metadata: { name: metaOf(o).name, namespace: metaOf(o).namespace, labels: { "app.kubernetes.io/part-of": "istio-lab" } },
                spec: o.manifest.spec,
            }));
        const scoped = attendeeScope({ objects, config: run.config, rows }, { live, source: "test" }, "bob");
        const namespaces = new Set(scoped.want.objects.map((o) => metaOf(o).namespace).filter((n) => n?.startsWith("guestbook")));
        expect([...namespaces]).to.deep.equal(["guestbook-bob"]);
        expect(scoped.want.config.guestbook.namespace).to.equal("guestbook-bob");
        expect(scoped.want.config.canaryWeight).to.equal(100);
        expect(scoped.want.split).to.deep.equal({ weights: { v2: 100 }, abTest: null });
        expect(scoped.read.live.every((o) => !["guestbook-ann", "guestbook-cy"].includes(o.metadata.namespace!))).to.equal(true);
        expect(objectsLevel(scoped.want.objects, scoped.read.live).differences).to.deep.equal([]);
        // ann's objects (at the class's canary 80/20) are not bob's: bob's expected state does not see them as extra.
        const ann = attendeeScope({ objects, config: run.config, rows }, { live, source: "test" }, "ann");
        expect(ann.want.split).to.deep.equal({ weights: { v1: 80, v2: 20 }, abTest: null });
    });

    it("lab check --attendee: a class's traffic step needs it, a class step refuses it, and a good one gets as far as the cluster", async () => {
        const saved = process.env.ISTIO_LAB_KUBECTL;
        process.env.ISTIO_LAB_KUBECTL = "/nonexistent/kubectl";
        try {
            const run = (...a: string[]) => lab(["check", "--stack", "dev", "--set", "attendees=2", ...a]);
            expect(await run("--step", "all-v1")).to.deep.equal({
                stdout: "",
                stderr: '--step "all-v1" is each attendee\'s in a class; give --attendee NAME (user1, user2)\n',
                code: 2,
            });
            expect((await run("--step", "mtls", "--attendee", "user2")).stderr).to.match(/^--step "mtls" is the whole class's/);
            expect((await run("--step", "all-v1", "--attendee", "user3")).stderr).to.equal(
                '--attendee "user3" is not allowed; expected an attendee of this class (user1, user2)\n',
            );
            expect(await run("--step", "all-v1", "--attendee", "user2")).to.deep.equal({
                stdout: "",
                stderr: "cannot check step all-v1: cannot run /nonexistent/kubectl: ENOENT\n",
                code: 2,
            });
        } finally {
            if (saved === undefined) {
                delete process.env.ISTIO_LAB_KUBECTL;
            } else {
                process.env.ISTIO_LAB_KUBECTL = saved;
            }
        }
    });
});
