// One attendee of a class at a step: which steps are theirs, the config that puts them there, and their
// part of the class's expected state (under mocks).
import { expect } from "chai";
import { execFileSync } from "child_process";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { parseConfig } from "../../config";
import { attendeeScope, objectsLevel } from "../../tools/check";
import { runLab } from "../../tools/engine";
import { lab } from "../../tools/lab";
import { metaOf, render } from "../../tools/render";
import { STEPS, attendeeStepConfig, attendeeStepsOf, findAttendeeStep, findStep, stepConfig } from "../../tools/steps";
import { stackConfig, tempDir, withEnv } from "../helpers";

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
        await withEnv("ISTIO_LAB_KUBECTL", "/nonexistent/kubectl", async () => {
            const run = (...a: string[]) => lab(["check", "--stack", "dev", "--set", "attendees=2", ...a]);
            expect(await run("--step", "all-v1")).to.deep.equal({
                stdout: "",
                stderr: '--step "all-v1" is each attendee\'s in a class; give --attendee NAME (user1, user2)\n',
                code: 2,
            });
            expect((await run("--step", "mtls", "--attendee", "user2")).stderr).to.match(/^--step "mtls" is the whole class's/);
            // Without --attendee the whole class's step is checked: it gets as far as the cluster.
            expect((await run("--step", "mtls")).stderr).to.equal("cannot check step mtls: cannot run /nonexistent/kubectl: ENOENT\n");
            expect((await run("--step", "all-v1", "--attendee", "user3")).stderr).to.equal(
                '--attendee "user3" is not allowed; expected an attendee of this class (user1, user2)\n',
            );
            expect(await run("--step", "all-v1", "--attendee", "user2")).to.deep.equal({
                stdout: "FAIL: step all-v1 could not be checked: cannot run /nonexistent/kubectl: ENOENT\n",
                stderr: "cannot check step all-v1: cannot run /nonexistent/kubectl: ENOENT\n",
                code: 2,
            });
        });
    });
});

describe("lab status of a class", () => {
    const names = ["ann", "bob", "cy"];
    const kinds = ["VirtualService", "DestinationRule", "PeerAuthentication", "HTTPRoute"];
    const resourceOf: Record<string, string> = {
        VirtualService: "virtualservices.networking.istio.io",
        DestinationRule: "destinationrules.networking.istio.io",
        PeerAuthentication: "peerauthentications.security.istio.io",
        HTTPRoute: "httproutes.gateway.networking.k8s.io",
    };
    let dir: string;
    let saved: string | undefined;

    /** The live objects of a class where ann is at canary 80/20, bob at all-v2 and cy's VirtualService was edited to 50/50. */
    async function liveClass(): Promise<Record<string, unknown[]>> {
        const c = parseConfig(klass());
        const at = async (s: string) =>
            render((await runLab(attendeeStepConfig(klass(), c, step(s), names), { stack: "class" })).resources);
        const canary = await at("canary-80-20");
        const v2 = await at("all-v2");
        const ns = (o: { manifest: Record<string, unknown> }) => metaOf(o as never).namespace;
        const pick = (objects: typeof canary, keep: (n: string | undefined) => boolean) =>
            objects.filter((o) => kinds.includes(String(o.manifest.kind)) && keep(ns(o)));
        const live = [...pick(canary, (n) => n !== "guestbook-bob"), ...pick(v2, (n) => n === "guestbook-bob")].map(
            (o) =>
                JSON.parse(JSON.stringify(o.manifest)) as {
                    kind: string;
                    metadata: { namespace?: string };
                    spec: { http: Array<{ route: Array<{ weight: number }> }> };
                },
        );
        const cyVs = live.find((o) => o.kind === "VirtualService" && o.metadata.namespace === "guestbook-cy")!;
        cyVs.spec.http[1].route[0].weight = 50;
        cyVs.spec.http[1].route[1].weight = 50;
        const byResource: Record<string, unknown[]> = {};
        for (const k of kinds) {
            byResource[resourceOf[k]] = live.filter((o) => o.kind === k);
        }
        return byResource;
    }

    before(async () => {
        dir = tempDir("lab-status-");
        writeFileSync(path.join(dir, "live.json"), JSON.stringify(await liveClass()));
        // kubectl get <resource> -A -o json, answered from live.json (the objects level reads nothing else).
        writeFileSync(
            path.join(dir, "kubectl"),
            `#!${process.execPath}\nconst live = require(${JSON.stringify(path.join(dir, "live.json"))});\nconst r = process.argv[3];\nprocess.stdout.write(JSON.stringify({ items: live[r] ?? [] }));\n`,
        );
        chmodSync(path.join(dir, "kubectl"), 0o755);
        saved = process.env.ISTIO_LAB_KUBECTL;
        process.env.ISTIO_LAB_KUBECTL = path.join(dir, "kubectl");
    });

    after(() => {
        if (saved === undefined) {
            delete process.env.ISTIO_LAB_KUBECTL;
        } else {
            process.env.ISTIO_LAB_KUBECTL = saved;
        }
    });

    const status = (...a: string[]) =>
        lab([
            "status",
            "--stack",
            "dev",
            "--set",
            `attendees=${JSON.stringify(names)}`,
            "--set",
            `attendeeOverrides=${JSON.stringify({ bob: { canaryWeight: 100 } })}`,
            "--level",
            "objects",
            ...a,
        ]);

    it("shows each attendee where the live cluster has them: done, here, not yet, diverged with the first difference", async () => {
        const r = await status("--json");
        expect(r.code, r.stderr).to.equal(0);
        const s = JSON.parse(r.stdout) as {
            rows: Array<{ attendee: string; here: string | null; configured: string | null; cells: unknown[] }>;
        };
        const states = (attendee: string) =>
            (s.rows.find((x) => x.attendee === attendee)!.cells as Array<{ step: string; state: string; difference?: string }>).map(
                (c) => `${c.step}=${c.state}${c.difference ? ` (${c.difference})` : ""}`,
            );
        expect(s.rows.map((x) => [x.attendee, x.here, x.configured])).to.deep.equal([
            ["ann", "canary-80-20", "canary-80-20"],
            ["bob", "all-v2", "all-v2"],
            ["cy", null, "canary-80-20"],
        ]);
        expect(states("ann")).to.deep.equal([
            "all-v1=done",
            "ab-test=done",
            "canary-80-20=here",
            "all-v2=not yet",
            "round-robin=not yet",
            "circuit-breaker=not yet",
            "circuit-breaker-v2=not yet",
            "client-tls-istio-mutual=not yet",
            "client-tls-disable=not yet",
        ]);
        expect(states("bob").slice(2, 5)).to.deep.equal(["canary-80-20=done", "all-v2=here", "round-robin=not yet"]);
        expect(states("cy").slice(1, 4)).to.deep.equal([
            "ab-test=done",
            "canary-80-20=diverged (VirtualService guestbook-cy/virtual-service-guestbook: spec.http[1].route[0].weight: expected 80, live 50)",
            "all-v2=not yet",
        ]);
    });

    it("prints the grid, writes the page, and refuses a stack without attendees", async () => {
        const page = path.join(dir, "status.html");
        const r = await status("--html", page);
        expect(r.code, r.stderr).to.equal(0);
        const lines = r.stdout.split("\n");
        expect(lines[0]).to.equal("class dev: 3 attendees, 9 steps each (levels objects)");
        expect(lines[2].split(/\s+/).slice(0, 5)).to.deep.equal(["ann", "done", "done", "HERE", "not"]);
        expect(r.stdout).to.contain(
            "cy diverged at canary-80-20: VirtualService guestbook-cy/virtual-service-guestbook: spec.http[1].route[0].weight: expected 80, live 50",
        );
        expect(r.stdout).to.contain("here: all-v1 0, ab-test 0, canary-80-20 1, all-v2 1,");
        expect(r.stdout).to.match(/diverged 1\nwrote .*status\.html\n$/);
        const html = readFileSync(page, "utf8");
        expect(html.match(/<td class="here">/g)?.length).to.equal(2);
        expect(html.match(/<td class="diverged"/g)?.length).to.equal(1);
        expect(html).to.not.match(/<script|https?:\/\//);
        expect(await lab(["status", "--stack", "dev", "--level", "objects"])).to.deep.equal({
            stdout: "",
            stderr: "status is a class's: stack dev has no attendees (istio-lab:attendees is not set); for one lab use check --step\n",
            code: 2,
        });
    });

    describe("--html FILE", () => {
        it("replaces only a page lab status wrote (atomically); a FIFO, a directory or another file is refused, naming it", async () => {
            const page = path.join(dir, "again.html");
            expect((await status("--html", page)).code).to.equal(0);
            expect((await status("--html", page)).code).to.equal(0);
            expect(readdirSync(dir).filter((f) => f.includes("again.html"))).to.deep.equal(["again.html"]);
            const stackConfig = path.join(dir, "Pulumi.keep.yaml");
            writeFileSync(stackConfig, "config:\n  istio-lab:canaryWeight: 20\n");
            const fifo = path.join(dir, "fifo");
            execFileSync("mkfifo", [fifo]);
            const refused = (file: string, what: string) => ({
                stdout: "",
                stderr: `--html ${file}: ${what}; expected a new file or a page lab status --html wrote before (it is replaced)\n`,
                code: 2,
            });
            expect(await status("--html", stackConfig)).to.deep.equal(refused(stackConfig, "it holds a file this command did not write"));
            expect(readFileSync(stackConfig, "utf8")).to.equal("config:\n  istio-lab:canaryWeight: 20\n");
            expect(await status("--html", fifo)).to.deep.equal(refused(fifo, "it is a FIFO"));
            expect(await status("--html", dir)).to.deep.equal(refused(dir, "it is a directory"));
        });

        it("hides a secret in the page as on the screen: a host built from a secret domain", async () => {
            const file = path.join(dir, "Pulumi.secret.yaml");
            writeFileSync(file, "config:\n  istio-lab:gateway:\n    domain:\n      secure: v1:abc:def\n");
            const page = path.join(dir, "secret.html");
            const r = await lab([
                "status",
                "--config",
                file,
                "--set",
                `attendees=${JSON.stringify(names)}`,
                "--set",
                'gateway={"domain":"class.example.com"}',
                "--level",
                "objects",
                "--html",
                page,
            ]);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.include("[secret]").and.not.include("class.example.com");
            const html = readFileSync(page, "utf8");
            expect(html).to.include("[secret]").and.not.include("class.example.com");
        });
    });
});

describe("lab check --step mtls in a class (the whole class's step)", () => {
    const raw = { ...stackConfig("dev"), "istio-lab:attendees": "2" };
    const resources: Record<string, string> = {
        "virtualservices.networking.istio.io": "VirtualService",
        "destinationrules.networking.istio.io": "DestinationRule",
        "peerauthentications.security.istio.io": "PeerAuthentication",
    };

    it("sets STRICT for each attendee's namespace and ISTIO_MUTUAL, and passes on a cluster holding those objects", async () => {
        const c = parseConfig(raw);
        const mtls = findStep(c, "mtls");
        if (typeof mtls === "string") {
            throw new Error(mtls);
        }
        const objects = render((await runLab(stepConfig(raw, c, mtls), { stack: "dev" })).resources);
        const policies = objects
            .filter((o) => o.manifest.kind === "PeerAuthentication")
            .map((o) => `${metaOf(o).namespace}/${metaOf(o).name} ${JSON.stringify((o.manifest.spec as { mtls?: unknown }).mtls)}`);
        expect(policies).to.deep.equal([
            'guestbook-user1/namespace-wide-policy {"mode":"STRICT"}',
            'guestbook-user2/namespace-wide-policy {"mode":"STRICT"}',
        ]);
        const dir = tempDir("lab-class-mtls-");
        const live: Record<string, unknown[]> = {};
        for (const [resource, kind] of Object.entries(resources)) {
            live[resource] = objects.filter((o) => o.manifest.kind === kind).map((o) => o.manifest);
        }
        writeFileSync(path.join(dir, "live.json"), JSON.stringify(live));
        writeFileSync(
            path.join(dir, "kubectl"),
            `#!${process.execPath}\nconst live = require(${JSON.stringify(path.join(dir, "live.json"))});\nprocess.stdout.write(JSON.stringify({ items: live[process.argv[3]] ?? [] }));\n`,
        );
        chmodSync(path.join(dir, "kubectl"), 0o755);
        const r = await withEnv("ISTIO_LAB_KUBECTL", path.join(dir, "kubectl"), () =>
            lab(["check", "--stack", "dev", "--set", "attendees=2", "--step", "mtls", "--level", "objects"]),
        );
        expect(r).to.deep.equal({
            stdout: "step mtls (traffic lab: mutual TLS: STRICT and ISTIO_MUTUAL) on stack dev\nobjects: ok (6 objects)\n",
            stderr: "",
            code: 0,
        });
    });
});
