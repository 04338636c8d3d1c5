// Scenario 16: `lab reset` and `lab status` against the harness. A class of three (the routed lab, the
// objects level): two attendees reset to steps of their own through the Automation API, the third's
// VirtualService edited by hand; `lab status` shows exactly that, as JSON and as the HTML page (read off a
// screenshot in headless Chromium); a reset of
// the third repairs the hand edit (`pulumi up --refresh`) and `lab check --attendee` passes. The peer
// authentication lab (with the real istiod, objects and mesh): from step 12 `lab reset` to step 9, then
// `lab check --step step-9` passes; a PeerAuthentication edited by hand fails the check, and a second reset
// puts it back.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import { parseConfig } from "../config";
import { lab } from "../tools/lab";
import type { ClassStatus } from "../tools/status";
import { STEPS, stepConfig } from "../tools/steps";
import { seePage } from "./browser";
import { ISTIOD } from "./istiod";
import { Config, Context, Harness, Scenario, labCommand, liveWeights, withRoutedLab } from "./scenario";

const json = (v: unknown) => JSON.stringify(v);

/** `lab reset ...` as a user runs it (its own process, the harness's CLI on PATH); throws unless it exits 0. */
async function reset(x: Context, args: readonly string[]): Promise<string> {
    const r = await labCommand(x, ["reset", ...args]);
    if (r.code !== 0) {
        throw new Error(`lab reset ${args.join(" ")}: exit ${r.code}: ${r.out.trim().split("\n").slice(-5).join(" | ")}`);
    }
    return r.out;
}

/** The in-process `lab` against the harness's cluster (kubectl, its kubeconfig, and with `mesh` the real istiod). */
async function labHere(x: Context, args: readonly string[], mesh: boolean) {
    process.env.ISTIO_LAB_KUBECTL = x.cluster.kubectlBin;
    process.env.ISTIO_LAB_XDSDUMP = x.istio.xdsdump;
    return lab([...args, "--kubeconfig", x.cluster.kubeconfig, ...(mesh ? ["--istiod", ISTIOD.xds] : ["--level", "objects"])]);
}

/** The class's rows as `attendee here/diverged-at: difference`. */
const rowsOf = (s: ClassStatus) =>
    s.rows.map((r) => {
        const d = r.cells.find((c) => c.state === "diverged");
        return d ? `${r.attendee} diverged at ${d.step}: ${d.difference}` : `${r.attendee} here ${r.here}`;
    });

async function classPart(h: Harness, x: Context, config: Config): Promise<string> {
    const name = "steps-class";
    return h.withStack(x.ws, name, config, async () => {
        x.ws.pulumi(["up", "--yes", "--skip-preview", "--stack", name]);
        const file = x.ws.stackFile(name);
        let t = Date.now();
        const bob = await reset(x, ["--stack", name, "--step", "all-v2", "--attendee", "bob"]);
        const resetMs = Date.now() - t;
        await reset(x, ["--stack", name, "--step", "ab-test", "--attendee", "ann"]);
        if (!/^reset stack steps-class to step all-v2 \(attendee bob\): 1 config key changed, (\d+ read, )?1 update$/m.test(bob)) {
            throw new Error(`lab reset --attendee bob said: ${bob.trim()}`);
        }
        // cy's VirtualService edited by hand: 50/50 instead of the class's 80/20.
        x.cluster.kubectl([
            "patch",
            "virtualservices.v1.networking.istio.io",
            "virtual-service-guestbook",
            "-n",
            "guestbook-cy",
            "--type",
            "json",
            "-p",
            json([
                { op: "replace", path: "/spec/http/1/route/0/weight", value: 50 },
                { op: "replace", path: "/spec/http/1/route/1/weight", value: 50 },
            ]),
        ]);
        const dir = mkdtempSync(path.join(tmpdir(), "lab-status-"));
        try {
            const page = path.join(dir, "status.html");
            t = Date.now();
            const r = await labHere(x, ["status", "--config", file, "--json", "--html", page], false);
            const statusMs = Date.now() - t;
            const status = JSON.parse(r.stdout) as ClassStatus;
            const got = rowsOf(status);
            const want = [
                "ann here ab-test",
                "bob here all-v2",
                "cy diverged at canary-80-20: VirtualService guestbook-cy/virtual-service-guestbook: spec.http[1].route[0].weight: expected 80, live 50",
            ];
            if (r.code !== 0 || json(got) !== json(want)) {
                throw new Error(`lab status: exit ${r.code}, rows ${json(got)}, expected ${json(want)}; ${r.stderr.trim()}`);
            }
            const html = readFileSync(page, "utf8");
            const cells = (c: string) => html.split(`<td class="${c}"`).length - 1;
            if (cells("here") !== 2 || cells("diverged") !== 1 || cells("done") !== 1 + 3 + 2) {
                throw new Error(`status page: ${cells("here")} here, ${cells("diverged")} diverged, ${cells("done")} done cells`);
            }
            // The page in headless Chromium: the grid read off the screenshot's colours is the one lab status said.
            t = Date.now();
            const seen = await seePage(page);
            const browserMs = Date.now() - t;
            const said = {
                grid: status.rows.map((row) => ({ attendee: row.attendee, states: row.cells.map((c) => c.state) })),
                differences: status.rows.flatMap((row) => row.cells.flatMap((c) => c.difference ?? [])),
                requests: [pathToFileURL(page).href],
            };
            if (json({ grid: seen.grid, differences: seen.differences, requests: seen.requests }) !== json(said)) {
                const shot = path.join(x.cluster.dir, "status-page.png");
                writeFileSync(shot, seen.screenshot);
                throw new Error(
                    `the status page in Chromium showed ${json({ grid: seen.grid, differences: seen.differences, requests: seen.requests })}, lab status said ${json(said)} (screenshot ${shot})`,
                );
            }
            // cy reset to the step their config already says: the refresh finds the hand edit and puts it back.
            await reset(x, ["--stack", name, "--step", "canary-80-20", "--attendee", "cy"]);
            const weights = liveWeights(x.cluster, "guestbook-cy");
            const check = await labHere(x, ["check", "--config", file, "--step", "canary-80-20", "--attendee", "cy"], false);
            const after = rowsOf(JSON.parse((await labHere(x, ["status", "--config", file, "--json"], false)).stdout) as ClassStatus);
            if (weights !== "v1 80, v2 20" || check.code !== 0 || after[2] !== "cy here canary-80-20") {
                throw new Error(
                    `after cy's reset: live ${weights}, check exit ${check.code} (${check.stdout.trim()}), status ${json(after)}`,
                );
            }
            return `class of 3: reset of one attendee ${(resetMs / 1000).toFixed(1)} s; status (3 x 9 cells, one read) ${(statusMs / 1000).toFixed(1)} s showed ann at ab-test, bob at all-v2, cy diverged with the hand-edited weight; the page 2 here, 1 diverged, and in headless Chromium (${(browserMs / 1000).toFixed(1)} s) its screenshot's 27 cell colours and the difference were exactly that, no request but the file; cy's reset put the hand edit back (${weights}) and check --attendee cy passed`;
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
}

async function peerAuthPart(h: Harness, x: Context): Promise<string> {
    const name = "steps-peer-auth";
    const base = h.config(x.engine, "peer-auth");
    const twelve = stepConfig(base, parseConfig(base), STEPS.find((s) => s.name === "step-12")!);
    return h.withStack(x.ws, name, base, async () => {
        // The lab as shipped first (istiod up and its webhook serving), then the learner's step 12, as scenario 14 does.
        await h.up(x, name);
        x.ws.configure(name, twelve);
        await h.up(x, name);
        const file = x.ws.stackFile(name);
        const check = () => labHere(x, ["check", "--config", file, "--step", "step-9", "--watch", "--timeout", "30"], true);
        // --preview: the plan, and the stack's config as it was.
        const before = x.ws.pulumi(["config", "--json", "--stack", name]).stdout;
        const preview = await reset(x, ["--stack", name, "--step", "step-9", "--preview"]);
        if (x.ws.pulumi(["config", "--json", "--stack", name]).stdout !== before || !/nothing was changed$/m.test(preview)) {
            throw new Error(`lab reset --preview changed the config or said: ${preview.trim().split("\n").slice(-3).join(" | ")}`);
        }
        const t = Date.now();
        await reset(x, ["--stack", name, "--step", "step-9"]);
        const resetMs = Date.now() - t;
        const first = await check();
        if (first.code !== 0) {
            throw new Error(`lab check --step step-9 after the reset: exit ${first.code}: ${first.stdout.trim()}`);
        }
        // A hand edit: the mesh-wide policy PERMISSIVE. The check fails naming it; a second reset puts it back.
        x.cluster.kubectl([
            "patch",
            "peerauthentications.v1.security.istio.io",
            "default",
            "-n",
            "istio-system",
            "--type",
            "merge",
            "-p",
            json({ spec: { mtls: { mode: "PERMISSIVE" } } }),
        ]);
        const broken = await labHere(x, ["check", "--config", file, "--step", "step-9"], false);
        if (
            broken.code !== 1 ||
            !/PeerAuthentication istio-system\/default: spec\.mtls\.mode: expected "STRICT", live "PERMISSIVE"/.test(broken.stdout)
        ) {
            throw new Error(`lab check after the hand edit: exit ${broken.code}: ${(broken.stdout + broken.stderr).trim()}`);
        }
        await reset(x, ["--stack", name, "--step", "step-9"]);
        const again = await check();
        if (again.code !== 0) {
            throw new Error(`lab check --step step-9 after the second reset: exit ${again.code}: ${again.stdout.trim()}`);
        }
        const mesh = /^mesh: ok \((\d+) cells/m.exec(again.stdout)?.[1];
        return `peer-auth: --preview left the config; reset 12 -> 9 ${(resetMs / 1000).toFixed(1)} s, then check step-9 passed (objects and mesh, ${mesh} cells from istiod); a hand-edited PERMISSIVE failed it, a second reset put it back and it passed again`;
    });
}

/** Scenario 16. */
export function stepsScenario(h: Harness, realIstiod: boolean): Scenario {
    return {
        name: "16 lab reset and lab status: a class of 3 with two attendees reset and one hand edit, shown exactly by status (JSON and the page) and repaired by a reset; the peer authentication lab reset from step 12 to step 9, then lab check passes (with the real istiod: objects and mesh)",
        run: async (x) => {
            // The peer-auth lab first: its chart installs Istio's CRDs as Helm's (the routed lab's kubectl apply of them, first, would leave them unowned and Helm would refuse them).
            const pa = realIstiod ? await peerAuthPart(h, x) : "peer-auth part left out (no istiod)";
            const klass = await withRoutedLab(h, x, { "istio-lab:attendees": '["ann","bob","cy"]' }, (config) => classPart(h, x, config));
            return `${klass}; ${pa}`;
        },
    };
}
