// Scenario 17: the sandbox as a newcomer uses it, each command its own process (`npm run sandbox -- ...`),
// outside the scenarios' network namespace (the sandbox makes one of its own): up of dev, status, kubectl and
// `lab check` inside it (objects and mesh from its istiod), a canary change by `pulumi config set` and
// `pulumi up` inside it that the check then names and that leaves the work tree's stack file alone, an up of
// another stack refused, and down leaving no process in its namespace and no file.
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../tools/stackConfig";
import { ISTIOD } from "./istiod";
import { processesIn } from "./sandbox";

export const SANDBOX_SCENARIO =
    "17 the sandbox: up of dev, status, kubectl and lab check inside it (objects and mesh from its istiod), a canary change inside it named by the check and leaving the work tree's file alone, another stack refused, down leaving no process and no file";

/** `npm run sandbox -- args` as a user runs it, with the sandbox in `dir`. */
function sandbox(dir: string, args: readonly string[]): { out: string; code: number; ms: number } {
    const t = Date.now();
    const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "e2e", "sandbox.js"), ...args], {
        env: { ...process.env, ISTIO_LAB_SANDBOX: dir },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    return { out: `${r.stdout ?? ""}${r.stderr ?? ""}`, code: r.status ?? 1, ms: Date.now() - t };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Scenario 17; returns its line of detail or throws. */
export function sandboxScenario(): string {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "istio-lab-sandbox-")), "sandbox");
    const expect = (what: string, r: { out: string; code: number }, code: number, pattern: RegExp) => {
        if (r.code !== code || !pattern.test(r.out)) {
            throw new Error(`${what}: exit ${r.code} (expected ${code}), output: ${r.out.trim().split("\n").slice(-8).join(" | ")}`);
        }
    };
    const devFile = readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8");
    let netns: string | undefined;
    try {
        const up = sandbox(dir, ["up", "--stack", "dev"]);
        expect("sandbox up", up, 0, /^sandbox: stack dev is up\.$/m);
        netns = (JSON.parse(readFileSync(path.join(dir, "state.json"), "utf8")) as { netns: string }).netns;
        expect("sandbox status", sandbox(dir, ["status"]), 0, /^control plane: ready .*\nistiod: ready in istio-system .*\nstack: dev$/m);
        const deployments = sandbox(dir, ["run", "--", "kubectl", "get", "deployments", "-n", "guestbook", "-o", "name"]);
        expect(
            "kubectl inside",
            deployments,
            0,
            /^deployment.apps\/guestbook-v1\ndeployment.apps\/guestbook-v2\ndeployment.apps\/redis-master\ndeployment.apps\/redis-slave\n$/,
        );
        const check = (step: string) =>
            sandbox(dir, [
                "run",
                "--",
                "npm",
                "run",
                "--silent",
                "lab",
                "--",
                "check",
                "--stack",
                "dev",
                "--step",
                step,
                "--istiod",
                ISTIOD.xds,
            ]);
        const passed = check("canary-80-20");
        expect("lab check inside", passed, 0, /^objects: ok \(3 objects\)\nmesh: ok \(10 cells, from istiod at 127\.0\.0\.1:15010\)$/m);
        expect(
            "pulumi config set inside",
            sandbox(dir, ["run", "pulumi", "config", "set", "istio-lab:canaryWeight", "50", "--stack", "dev"]),
            0,
            /^$/,
        );
        const shift = sandbox(dir, ["run", "--", "pulumi", "up", "--yes", "--skip-preview", "--stack", "dev"]);
        expect("pulumi up inside", shift, 0, /~ 1 updated/);
        expect(
            "lab check after the shift",
            check("canary-80-20"),
            1,
            /VirtualService guestbook\/virtual-service-guestbook: spec\.http\[0\]\.route\[0\]\.weight: expected 80, live 50/,
        );
        if (readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8") !== devFile) {
            throw new Error("pulumi config set inside the sandbox changed the work tree's Pulumi.dev.yaml");
        }
        expect("up of another stack", sandbox(dir, ["up", "--stack", "peer-auth"]), 2, /it runs stack dev; npm run sandbox -- down first/);
        const down = sandbox(dir, ["down"]);
        expect("sandbox down", down, 0, /^sandbox: stopped; no process is left in its network namespace/m);
        const left = processesIn(netns);
        if (left.length > 0 || existsSync(dir)) {
            throw new Error(
                `after down: ${left.length} processes in ${netns} (${left.join("; ")}), ${dir} ${existsSync(dir) ? "left" : "gone"}`,
            );
        }
        expect("status after down", sandbox(dir, ["status"]), 1, /^sandbox: not running/m);
        return `up ${secs(up.ms)}, lab check inside passed (objects and mesh, 10 cells from its istiod), a canary shift inside ${secs(shift.ms)} named by the check, down ${secs(down.ms)}: no process left in ${netns}, no file`;
    } finally {
        // Whatever failed, nothing keeps running.
        if (existsSync(path.join(dir, "state.json"))) {
            sandbox(dir, ["down"]);
        }
        rmSync(path.dirname(dir), { recursive: true, force: true });
    }
}
