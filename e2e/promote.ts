// `lab promote` through the real engine: the command runs as a user would run it (its own process, the
// Automation API driving the harness's pulumi CLI), against stand-ins on loopback for what a cluster
// would have: Prometheus's query API answering scripted series, and an HTTP target. The live
// VirtualService weights are read by the command gate itself, so each check records what was live then.
import { readFileSync, writeFileSync } from "fs";
import { Server, createServer } from "http";
import * as path from "path";
import { PromoteEvent, prometheusQueries } from "../tools/promote";
import type { Workspace } from "./pulumi";
import { Config, Context, Harness, Scenario, labProcess, liveWeights, withRoutedLab } from "./scenario";
import type { EngineTools } from "./toolchain";

const json = (v: unknown) => JSON.stringify(v);

/** A stand-in Prometheus: answers `/api/v1/query` with the next scripted success rate, P99 100 ms; records the queries. */
interface StandIn {
    readonly url: string;
    readonly queries: string[];
    close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
    return new Promise((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)),
    );
}

async function standInPrometheus(successRates: (check: number) => number): Promise<StandIn> {
    const queries: string[] = [];
    let checks = 0;
    const server = createServer((req, res) => {
        const q = new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "";
        queries.push(q);
        const value = q.startsWith("histogram_quantile") ? 100 : successRates(checks++);
        res.setHeader("content-type", "application/json");
        res.end(
            json({
                status: "success",
                data: { resultType: "vector", result: [{ metric: {}, value: [Date.now() / 1000, String(value)] }] },
            }),
        );
    });
    const url = await listen(server);
    return { url, queries, close: () => new Promise((r) => server.close(() => r())) };
}

async function standInTarget(): Promise<StandIn> {
    const queries: string[] = [];
    const server = createServer((req, res) => {
        queries.push(req.url ?? "");
        res.end("guestbook\n");
    });
    const url = await listen(server);
    return { url, queries, close: () => new Promise((r) => server.close(() => r())) };
}

interface Run {
    readonly code: number | null;
    readonly events: PromoteEvent[];
    /** stdout's lines (the text a person reads, without --json). */
    readonly lines: string[];
    readonly stderr: string;
}

/** Runs `lab promote` in its own process; `onEvent` may act on each event as it comes (e.g. send a signal). */
function promote(
    ws: Workspace,
    engine: EngineTools,
    args: readonly string[],
    onEvent?: (e: PromoteEvent, kill: (s: NodeJS.Signals) => void) => void,
    human = false,
): Promise<Run> {
    return new Promise((resolve) => {
        const child = labProcess(ws, engine, ["promote", ...(human ? [] : ["--json"]), ...args]);
        const events: PromoteEvent[] = [];
        const lines: string[] = [];
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => {
            stdout += d.toString();
            let nl: number;
            while ((nl = stdout.indexOf("\n")) >= 0) {
                const line = stdout.slice(0, nl);
                stdout = stdout.slice(nl + 1);
                lines.push(line);
                if (human) {
                    continue;
                }
                const e = JSON.parse(line) as PromoteEvent;
                events.push(e);
                onEvent?.(e, (s) => child.kill(s));
            }
        });
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code, events, lines, stderr }));
    });
}

function fail(what: string, run: Run): never {
    throw new Error(
        `${what}: exit ${run.code}, events ${json(run.events.map((e) => e.event))}, stderr ${run.stderr.trim().split("\n").slice(-5).join(" | ")}`,
    );
}

const applied = (r: Run) => r.events.filter((e): e is Extract<PromoteEvent, { event: "applied" }> => e.event === "applied");

/** The promote scenario, given the harness's helpers. */
export function promoteScenario(h: Harness): Scenario {
    return {
        name: "11 lab promote through the Automation API: a healthy gate promotes 0 to 100 one update a step; a failing gate rolls back after the threshold; SIGTERM between steps leaves a checked weight and a rerun resumes; --attendee moves one attendee",
        run: (x) =>
            withRoutedLab(h, x, { "istio-lab:guestbook": '{"namespace":"promote"}', "istio-lab:canaryWeight": "0" }, (config) =>
                promotions(h, x, config),
            ),
    };
}

/** Scenario 11's promotions, on the routed lab of `config`. */
async function promotions(h: Harness, { cluster, ws, engine, times }: Context, config: Config): Promise<string> {
    const out: string[] = [];
    const record = path.join(ws.dir, "live-weights");
    const gate = `echo "$ISTIO_LAB_WEIGHT: $(${cluster.kubectlBin} --kubeconfig ${cluster.kubeconfig} get virtualservices.v1.networking.istio.io virtual-service-guestbook -n promote -o jsonpath='{range .spec.http[-1].route[*]}{.destination.subset}={.weight} {end}')" >> ${record}`;
    await h.withStack(ws, "promote", config, async () => {
        ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "promote"]);
        const prometheus = await standInPrometheus(() => 100);
        const target = await standInTarget();
        try {
            // --preview: the plan and the first step's pulumi preview (one update); the config as it was.
            const pv = await promote(ws, engine, ["--stack", "promote", "--steps", "25,50,100", "--gate-command", "true", "--preview"]);
            const previewed = pv.events.find((e): e is Extract<PromoteEvent, { event: "preview" }> => e.event === "preview");
            const still = ws.pulumi(["config", "get", "istio-lab:canaryWeight", "--stack", "promote"]).stdout.trim();
            if (pv.code !== 0 || previewed?.weight !== 25 || !/~ 1 to update/.test(previewed.stdout) || still !== "0") {
                fail(`--preview: ${previewed?.stdout ?? "no preview"}; canaryWeight after it ${still}`, pv);
            }
            // (1) healthy: 0 -> 25 -> 50 -> 100, one update each, the live weights following.
            writeFileSync(record, "");
            const t = Date.now();
            const healthy = await promote(ws, engine, [
                "--stack",
                "promote",
                "--steps",
                "25,50,100",
                "--interval",
                "200ms",
                "--gate-prometheus",
                prometheus.url,
                "--max-p99-ms",
                "500",
                "--gate-http",
                target.url,
                "--probes",
                "5",
                "--gate-command",
                gate,
            ]);
            times.push(["lab promote, 3 steps (3 pulumi up, interval 200 ms)", `${((Date.now() - t) / 1000).toFixed(1)} s`]);
            if (healthy.code !== 0) fail("healthy promotion", healthy);
            const steps = applied(healthy).map(
                (e) =>
                    `${e.weight}:${json(Object.fromEntries(Object.entries(e.changes).filter(([op]) => op !== "same" && op !== "read")))}`,
            );
            if (json(steps) !== json(['25:{"update":1}', '50:{"update":1}', '100:{"update":1}'])) {
                throw new Error(`healthy promotion applied ${json(steps)}`);
            }
            const live = readFileSync(record, "utf8")
                .trim()
                .split("\n")
                .map((l) => l.trim());
            if (json(live) !== json(["25: v1=75 v2=25", "50: v1=50 v2=50", "100: v2="])) {
                throw new Error(`live weights at each check ${json(live)}`);
            }
            const want = prometheusQueries({ namespace: "promote", workload: "guestbook-v2" }, "60s");
            if (json([...new Set(prometheus.queries)].sort()) !== json([want.successRate, want.p99].sort())) {
                throw new Error(`Prometheus was asked ${json([...new Set(prometheus.queries)])}`);
            }
            if (target.queries.length !== 15) {
                throw new Error(`the HTTP target had ${target.queries.length} probes; want 15 (5 per check, 3 checks)`);
            }
            out.push(`healthy: ${steps.length} updates, live ${live.map((l) => l.split(":")[0]).join(" ")}`);
        } finally {
            await prometheus.close();
            await target.close();
        }

        // (2) failing at the third step: back to 0 and applied.
        ws.pulumi(["config", "set", "istio-lab:canaryWeight", "0", "--stack", "promote"]);
        ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "promote"]);
        const failing = await standInPrometheus((check) => (check < 2 ? 99.9 : 90));
        try {
            const r = await promote(ws, engine, [
                "--stack",
                "promote",
                "--steps",
                "20,40,60,100",
                "--interval",
                "100ms",
                "--threshold",
                "2",
                "--gate-prometheus",
                failing.url,
            ]);
            const checks = r.events
                .filter((e): e is Extract<PromoteEvent, { event: "check" }> => e.event === "check")
                .map((e) => `${e.weight}:${e.passed ? "pass" : "fail"}`);
            const rollback = r.events.find((e) => e.event === "rollback");
            if (
                r.code !== 1 ||
                json(checks) !== json(["20:pass", "40:pass", "60:fail", "60:fail"]) ||
                json(rollback) !== json({ event: "rollback", from: 60, to: 0, reason: "2 failed checks (threshold 2)" })
            ) {
                fail(`failing gate: checks ${json(checks)}, rollback ${json(rollback)}`, r);
            }
            const weights = liveWeights(cluster, "promote");
            const configured = ws.pulumi(["config", "get", "istio-lab:canaryWeight", "--stack", "promote"]).stdout.trim();
            if (weights !== "v1 100" || configured !== "0") {
                throw new Error(`after rollback: live ${weights}, config canaryWeight ${configured}`);
            }
            out.push(`failing: checks ${checks.join(" ")}, rolled back to 0 (live ${weights})`);
        } finally {
            await failing.close();
        }

        // (3) SIGTERM while 100 waits for its check: back at 50 (checked); a rerun resumes from 50.
        const slow = await standInPrometheus(() => 100);
        try {
            const args = ["--stack", "promote", "--steps", "50,100", "--interval", "3s", "--gate-prometheus", slow.url];
            const r = await promote(ws, engine, args, (e, kill) => {
                if (e.event === "applied" && e.weight === 100) kill("SIGTERM");
            });
            const last = r.events[r.events.length - 1];
            const weights = liveWeights(cluster, "promote");
            if (r.code !== 130 || json(last) !== json({ event: "done", result: "interrupted", weight: 50 }) || weights !== "v1 50, v2 50") {
                fail(`interrupted: last event ${json(last)}, live ${weights}`, r);
            }
            const again = await promote(
                ws,
                engine,
                args.map((a) => (a === "3s" ? "100ms" : a)),
            );
            const plan = again.events[0] as Extract<PromoteEvent, { event: "plan" }>;
            if (again.code !== 0 || plan.from !== 50 || json(plan.steps) !== json([100]) || liveWeights(cluster, "promote") !== "v2 100") {
                fail(`resumed: plan ${json(plan)}, live ${liveWeights(cluster, "promote")}`, again);
            }
            // A crash after the config was set and before its up: the config is ahead of what is applied.
            ws.pulumi(["config", "set", "istio-lab:canaryWeight", "60", "--stack", "promote"]);
            const crashed = await promote(ws, engine, ["--stack", "promote", "--steps", "100", "--gate-command", "true"]);
            const configured = ws.pulumi(["config", "get", "istio-lab:canaryWeight", "--stack", "promote"]).stdout.trim();
            const first = crashed.events[0] as Extract<PromoteEvent, { event: "plan" }>;
            if (crashed.code !== 0 || first.from !== 100 || first.resumed !== 60 || configured !== "100") {
                fail(`config ahead of the applied weight: plan ${json(first)}, config after ${configured}`, crashed);
            }
            out.push(
                `interrupted at 100 unchecked: back at 50; rerun from 50 promoted; a config left at 60 by a crash is set back to the applied 100`,
            );
        } finally {
            await slow.close();
        }
    });

    // (4) one attendee of a class of 2: only user2's VirtualService changes.
    const classConfig = { ...config, "istio-lab:attendees": "2", "istio-lab:canaryWeight": "0" };
    await h.withStack(ws, "promote-class", classConfig, async () => {
        ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "promote-class"]);
        const r = await promote(
            ws,
            engine,
            ["--stack", "promote-class", "--attendee", "user2", "--steps", "50,100", "--interval", "100ms", "--gate-command", "true"],
            undefined,
            true,
        );
        // The text a person follows: the plan, then per step what was applied and the check.
        const pattern = [
            /^promote promote-class \(attendee user2\): guestbook v2 from 0%, 2 steps: 50, 100; check 0\.1s after each, roll back after 5 failed checks$/,
            /^step 1\/2: 50% applied \(1 updated, \d+\.\ds\); check in 0\.1s$/,
            /^check at 50%: command exit 0 \(exit 0\) pass; next step now$/,
            /^step 2\/2: 100% applied \(1 updated, \d+\.\ds\); check in 0\.1s$/,
            /^check at 100%: command exit 0 \(exit 0\) pass$/,
            /^promoted: guestbook's newest version at 100%$/,
        ];
        if (r.lines.length !== pattern.length || pattern.some((p, i) => !p.test(r.lines[i]))) {
            fail(`--attendee user2 printed ${json(r.lines)}`, r);
        }
        const user1 = liveWeights(cluster, "promote-user1");
        const user2 = liveWeights(cluster, "promote-user2");
        if (r.code !== 0 || user1 !== "v1 100" || user2 !== "v2 100") {
            fail(`--attendee user2: printed ${json(r.lines)}, live user1 ${user1}, user2 ${user2}`, r);
        }
        const override = ws.pulumi(["config", "get", "istio-lab:attendeeOverrides", "--stack", "promote-class"]).stdout.trim();
        if (json(JSON.parse(override)) !== json({ user2: { canaryWeight: 100 } })) {
            throw new Error(`attendeeOverrides after promotion: ${override}`);
        }
        out.push(`--attendee user2: user1 untouched; printed:\n        ${r.lines.join("\n        ")}`);
    });
    return out.join("; ");
}
