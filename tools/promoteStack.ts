// `lab promote` against a real stack: the Pulumi Automation API on the project directory (the user's own
// CLI, backend and secrets), the program's own config contract to refuse what cannot take a weight, and
// the gates' network and process calls. The decisions are in promote.ts.
import { spawn } from "child_process";
import * as http from "http";
import * as https from "https";
import { Stack } from "@pulumi/pulumi/automation";
import { LabInputError } from "../components/lab";
import { LabConfig, NAMESPACE, parseConfig } from "../config";
import {
    BAD_ARGUMENTS,
    CanaryTarget,
    GateOptions,
    GateResult,
    INTERRUPTED,
    PROMOTE_USAGE,
    PromoteError,
    PromoteEvent,
    PromoteOptions,
    formatEvent,
    httpVerdict,
    parsePromoteArgs,
    prometheusQueries,
    prometheusVerdict,
    rateWindow,
    runPromotion,
    scheduleFrom,
    vectorValue,
} from "./promote";
import { localStackConfig, openStack, plainOutputs, stackConfigValues } from "./automation";

/** What a promotion of this stack changes: the key, and where the applied weight shows in the outputs. */
export interface Subject {
    readonly key: string;
    readonly path: boolean;
    readonly version: string;
    readonly target: CanaryTarget;
    readonly configured: number;
    /** The weight in the stack's last update's outputs. */
    readonly applied: (outputs: Record<string, unknown>) => number | undefined;
    readonly labUrl: (outputs: Record<string, unknown>) => string | undefined;
}

type Rows = Array<{ attendee: string; url: string; weights: Record<string, number> | null }>;

/** The config with the promoted weight set, as `pulumi config set [--path]` would leave it. */
function withWeight(raw: Readonly<Record<string, string>>, attendee: string | undefined, weight: number): Record<string, string> {
    if (attendee === undefined) {
        return { ...raw, [`${NAMESPACE}:canaryWeight`]: String(weight) };
    }
    const key = `${NAMESPACE}:attendeeOverrides`;
    const overrides = (raw[key] === undefined ? {} : JSON.parse(raw[key])) as Record<string, Record<string, unknown>>;
    return { ...raw, [key]: JSON.stringify({ ...overrides, [attendee]: { ...overrides[attendee], canaryWeight: weight } }) };
}

/** What the promotion changes, or why this stack cannot take a weight (the config contract's message). */
export function subjectOf(config: LabConfig, raw: Readonly<Record<string, string>>, o: PromoteOptions): Subject {
    if (!config.stages.includes("traffic")) {
        throw new PromoteError(
            `stack ${o.stack}: recipe ${JSON.stringify(config.recipe)} has no traffic stage (stages: ${config.stages.join(", ")}); a promotion moves the traffic stage's canaryWeight`,
        );
    }
    const versions = config.guestbook.versions;
    const version = versions[versions.length - 1].name;
    if (versions.length < 2) {
        throw new PromoteError(
            `stack ${o.stack}: ${NAMESPACE}:guestbook.versions has one version (${JSON.stringify(version)}); a canary needs a second version to send traffic to`,
        );
    }
    if (o.attendee !== undefined && config.access !== undefined) {
        throw new PromoteError(
            `--attendee ${JSON.stringify(o.attendee)} is not allowed: stack ${o.stack} gives attendees their own access (${NAMESPACE}:attendeeAccess), so ${o.attendee} owns their VirtualService and the class's pulumi up leaves it as they set it; turn attendeeAccess off to promote from the class`,
        );
    }
    const attendee = config.attendees?.find((a) => a.name === o.attendee);
    if (o.attendee !== undefined && (!config.attendees || !attendee)) {
        throw new PromoteError(
            config.attendees
                ? `--attendee ${JSON.stringify(o.attendee)} is not allowed; expected an attendee of stack ${o.stack} (${config.attendees
                      .slice(0, 5)
                      .map((a) => a.name)
                      .join(", ")}${config.attendees.length > 5 ? ", ..." : ""})`
                : `--attendee ${JSON.stringify(o.attendee)} is not allowed: stack ${o.stack} has no attendees (${NAMESPACE}:attendees is not set)`,
        );
    }
    // The program's own checks, at a weight between the ends: roundRobin and the like refuse it.
    try {
        parseConfig(withWeight(raw, o.attendee, 50));
    } catch (e) {
        if (e instanceof LabInputError) {
            throw new PromoteError(`stack ${o.stack} cannot take a canary weight: ${e.message}`);
        }
        throw e;
    }
    // The split leaves out a version at 0 (with two versions): present without it means 0.
    const weightOf = (w: Record<string, number> | null | undefined) => (w ? (w[version] ?? 0) : undefined);
    if (o.attendee === undefined) {
        return {
            key: `${NAMESPACE}:canaryWeight`,
            path: false,
            version,
            target: { namespace: config.guestbook.namespace, workload: `guestbook-${version}` },
            configured: config.canaryWeight,
            applied: (out) => weightOf((out.trafficSplit as { weights?: Record<string, number> } | null | undefined)?.weights),
            labUrl: (out) => (typeof out.labUrl === "string" ? out.labUrl : undefined),
        };
    }
    const row = (out: Record<string, unknown>) => (out.attendees as Rows | null | undefined)?.find((r) => r.attendee === o.attendee);
    return {
        key: `${NAMESPACE}:attendeeOverrides.${o.attendee}.canaryWeight`,
        path: true,
        version,
        target: { namespace: attendee!.namespace, workload: `guestbook-${version}` },
        configured: attendee!.canaryWeight,
        applied: (out) => weightOf(row(out)?.weights),
        labUrl: (out) => row(out)?.url,
    };
}

/** One GET; the status code, or 0 when nothing answered within 5 s. */
function probe(target: string, ca: string | undefined): Promise<number> {
    return new Promise((resolve) => {
        const u = new URL(target);
        const request = u.protocol === "https:" ? https.request : http.request;
        const req = request(u, { method: "GET", timeout: 5000, ...(ca ? { ca } : {}) }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("timeout", () => req.destroy());
        req.on("error", () => resolve(0));
        req.end();
    });
}

/** A Prometheus instant query's one number, or why there is none. */
async function query(base: string, promql: string): Promise<number | string> {
    const u = new URL("api/v1/query", base.endsWith("/") ? base : `${base}/`);
    u.searchParams.set("query", promql);
    try {
        const res = await fetch(u, { signal: AbortSignal.timeout(10_000) });
        return vectorValue(await res.json());
    } catch (e) {
        return `no answer (${(e as Error).message})`;
    }
}

/** Runs the command gate; exit 0 passes. */
function runCommand(command: string, env: Record<string, string>): Promise<GateResult> {
    return new Promise((resolve) => {
        const child = spawn("sh", ["-c", command], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...env } });
        const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
        const done = (figure: string, passed: boolean) => {
            clearTimeout(timer);
            resolve({ gate: "command", passed, figure, bound: "exit 0" });
        };
        child.on("error", (e) => done(`could not run (${e.message})`, false));
        child.on("close", (code, signal) => done(signal ? `killed by ${signal}` : `exit ${code}`, code === 0));
    });
}

/** The gates, asked at one weight. */
function gatesOf(
    g: GateOptions,
    target: CanaryTarget,
    intervalMs: number,
    stackName: string,
    lab: { url?: string; ca?: string },
): (weight: number) => Promise<GateResult[]> {
    return async (weight) => {
        const results: GateResult[] = [];
        if (g.prometheus) {
            const q = prometheusQueries(target, rateWindow(intervalMs));
            const rate = await query(g.prometheus.url, q.successRate);
            const p99 = g.prometheus.maxP99Ms === undefined ? undefined : await query(g.prometheus.url, q.p99);
            results.push(prometheusVerdict(rate, p99, g.prometheus));
        }
        if (g.http) {
            const url = g.http.url === "labUrl" ? lab.url! : g.http.url;
            const statuses: number[] = [];
            for (let i = 0; i < g.http.probes; i++) {
                statuses.push(await probe(url, g.http.url === "labUrl" ? lab.ca : undefined));
            }
            results.push(httpVerdict(statuses, g.http.minSuccessRate));
        }
        if (g.command !== undefined) {
            results.push(await runCommand(g.command, { ISTIO_LAB_STACK: stackName, ISTIO_LAB_WEIGHT: String(weight) }));
        }
        return results;
    };
}

/** Sets the weight and runs `pulumi up`; checks the outputs show it applied. */
async function applyWeight(stack: Stack, s: Subject, weight: number): Promise<Record<string, number>> {
    await stack.setConfig(s.key, { value: String(weight) }, s.path);
    const result = await stack.up({ color: "never", message: `lab promote: guestbook ${s.version} at ${weight}%` });
    const applied = s.applied(plainOutputs(result.outputs));
    if (applied !== weight) {
        throw new Error(`pulumi up at ${weight}% left the outputs at ${String(applied)}%`);
    }
    return Object.fromEntries(Object.entries(result.summary.resourceChanges ?? {}).map(([k, v]) => [k, v ?? 0]));
}

/** The first step's `pulumi preview`, with the stack's config put back as it was afterwards. */
async function previewFirst(stack: Stack, s: Subject, weight: number, attendee: string | undefined): Promise<string> {
    const key = attendee === undefined ? s.key : `${NAMESPACE}:attendeeOverrides`;
    const before = (await stack.getAllConfig())[key];
    await stack.setConfig(s.key, { value: String(weight) }, s.path);
    try {
        return (await stack.preview({ color: "never", diff: true })).stdout;
    } finally {
        if (before === undefined) {
            await stack.removeConfig(key);
        } else {
            await stack.setConfig(key, before);
        }
    }
}

/** The stack's config as the program checks it; a bad value is the stack's problem, named. */
function labConfigOf(o: PromoteOptions, raw: Readonly<Record<string, string>>): LabConfig {
    try {
        return parseConfig(raw);
    } catch (e) {
        throw e instanceof LabInputError ? new PromoteError(`stack ${o.stack}: ${e.message}`) : e;
    }
}

/** A promotion's options, stack and subject, where it starts, or the exit status of a refusal or --help. */
interface OpenPromotion {
    readonly o: PromoteOptions;
    readonly stack: Stack;
    readonly subject: Subject;
    readonly start: number;
    readonly resumed: number | undefined;
    readonly lab: { url?: string; ca?: string };
}

async function openPromotion(argv: readonly string[], out: (line: string) => void): Promise<number | OpenPromotion> {
    try {
        const parsed = parsePromoteArgs(argv);
        if (parsed === "help") {
            out(PROMOTE_USAGE);
            return 0;
        }
        const o = parsed;
        // A stack whose own file already says it cannot take a weight is told so without the CLI.
        const local = localStackConfig(o.stack, o.cwd);
        if (local !== undefined) {
            subjectOf(labConfigOf(o, local), local, o);
        }
        const stack = await openStack(
            o.stack,
            o.cwd,
            "lab promote runs pulumi up through the Automation API (install the CLI, or run it where pulumi is)",
            (m) => new PromoteError(m),
        );
        const raw = await stackConfigValues(stack);
        const subject = subjectOf(labConfigOf(o, raw), raw, o);
        const outputs = plainOutputs(await stack.outputs());
        const applied = subject.applied(outputs);
        if (applied === undefined) {
            throw new PromoteError(
                `stack ${o.stack} shows no applied weight for ${subject.version}${o.attendee ? ` of ${o.attendee}` : ""} in its outputs; run pulumi up first`,
            );
        }
        const start = applied;
        const resumed = subject.configured !== applied ? subject.configured : undefined;
        const lab = { url: subject.labUrl(outputs), ca: typeof outputs.caCert === "string" ? outputs.caCert : undefined };
        if (o.gates.http?.url === "labUrl" && !lab.url) {
            throw new PromoteError(`--gate-http labUrl: stack ${o.stack} has no labUrl output (no gateway stage); give the URL to probe`);
        }
        return { o, stack, subject, start, resumed, lab };
    } catch (e) {
        if (e instanceof PromoteError) {
            process.stderr.write(`${e.message}\n`);
            return BAD_ARGUMENTS;
        }
        throw e;
    }
}

/** `lab promote`: returns the exit status. */
export async function promoteMain(
    argv: readonly string[],
    out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
    const opened = await openPromotion(argv, out);
    if (typeof opened === "number") {
        return opened;
    }
    const { o, stack, subject, start, resumed } = opened;
    const emit = (e: PromoteEvent) => out(o.json ? JSON.stringify(e) : formatEvent(e));
    const steps = scheduleFrom(start, o.schedule);
    emit({
        event: "plan",
        stack: o.stack,
        attendee: o.attendee,
        version: subject.version,
        from: start,
        steps,
        intervalMs: o.intervalMs,
        threshold: o.threshold,
        resumed,
    });
    if (steps.length === 0 && resumed !== undefined && !o.preview) {
        // Already at 100 live, the config says otherwise (a crash after it was set): put the config back, so
        // that a later pulumi up changes nothing.
        await stack.setConfig(subject.key, { value: String(start) }, subject.path);
    }
    if (o.preview) {
        if (steps.length > 0) {
            const text = await previewFirst(stack, subject, steps[0], o.attendee);
            emit({ event: "preview", weight: steps[0], stdout: text });
        }
        return 0;
    }
    return promote(opened, steps, emit);
}

/** The promotion itself: one step after another with the gates after each; Ctrl-C or SIGTERM finishes what runs, then goes back to a checked weight (twice: stops now). */
async function promote(x: OpenPromotion, steps: number[], emit: (e: PromoteEvent) => void): Promise<number> {
    const { o, stack, subject, start, lab } = x;
    let interrupted = false;
    let wake: (() => void) | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
        if (interrupted) {
            process.stderr.write(
                `${signal} again: stopping now; the stack's config may hold an unchecked weight (run promote again to resume)\n`,
            );
            process.exit(INTERRUPTED);
        }
        interrupted = true;
        process.stderr.write(`${signal}: finishing the running step, then back to the last checked weight (again to stop now)\n`);
        wake?.();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
        return await runPromotion(
            { apply: (w) => applyWeight(stack, subject, w) },
            { start, steps, intervalMs: o.intervalMs, threshold: o.threshold },
            {
                check: gatesOf(o.gates, subject.target, o.intervalMs, o.stack, lab),
                emit,
                sleep: (ms) =>
                    new Promise((resolve, reject) => {
                        if (interrupted) {
                            reject(new Error("interrupted"));
                            return;
                        }
                        const timer = setTimeout(resolve, ms);
                        wake = () => {
                            clearTimeout(timer);
                            reject(new Error("interrupted"));
                        };
                    }),
                interrupted: () => interrupted,
                now: Date.now,
            },
        );
    } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
    }
}
