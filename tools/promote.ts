// `lab promote`: a progressive canary driven from the stack's config. Each step sets `canaryWeight` (or one
// attendee's override) and runs an ordinary `pulumi up` through the Automation API, waits, asks the gates,
// and goes on, re-checks, or rolls back to the starting weight, the way Flagger's analysis loop does, with
// no controller in the cluster. The schedule, the argument checks and the gate formulas are pure and
// tested under mocha; the stack is reached through a `PromotionStack`, the real one in promoteStack.ts.
import { strictArgs } from "./strictArgs";
import { stackNameProblem } from "./stackConfig";
import { show } from "../components/lab";
import { linear } from "../components/linear";
import { isHttpUrl } from "./address";
import { normalizeArgv, stringOptions } from "./commandLine";

/** Exit statuses: promoted (or nothing to do), rolled back, bad arguments, interrupted. */
export const PROMOTED = 0;
export const ROLLED_BACK = 1;
export const BAD_ARGUMENTS = 2;
export const INTERRUPTED = 130;

/** Flagger's Istio tutorial's analysis, our defaults: step 10 up to 50 (then 100), every minute, 5 failed checks. */
export const DEFAULTS = { stepWeight: 10, maxWeight: 50, interval: "60s", threshold: 5, minSuccessRate: 99, probes: 20 } as const;

/** The usage text `lab promote --help` prints. */
export const PROMOTE_USAGE = `usage: npm run --silent lab -- promote [options]

Moves the guestbook's canary to 100% in steps, one \`pulumi up\` per step (Automation API, your own CLI,
backend and stack), checking the gates after each; rolls back to the starting weight after --threshold
failed checks. Starts from the stack's applied weight, so running it again resumes.

schedule (from the current weight; default --step-weight ${DEFAULTS.stepWeight} --max-weight ${DEFAULTS.maxWeight}):
  --steps 10,25,50,100       the weights to apply, increasing, ending at 100
  --step-weight N            add N at each step ...
  --max-weight M             ... up to M, then 100
  --interval D               wait between applying a step and checking it: 500ms, 30s, 2m (default ${DEFAULTS.interval})
  --threshold N              failed checks before rollback (default ${DEFAULTS.threshold})
  --attendee NAME            promote one attendee of a classroom (istio-lab:attendeeOverrides.NAME.canaryWeight)

gates (one or more; every one must pass):
  --gate-prometheus URL      Prometheus at URL: the newest version's request success rate (Flagger's formula)
  --min-success-rate P       least success rate in percent, for the Prometheus and HTTP gates (default ${DEFAULTS.minSuccessRate})
  --max-p99-ms MS            Prometheus: greatest P99 request duration in milliseconds (optional)
  --gate-http URL            GET URL --probes times; the share answering 2xx must reach --min-success-rate
                             (URL "labUrl": the stack's labUrl output, trusting its caCert output)
  --probes N                 HTTP gate: requests per check (default ${DEFAULTS.probes})
  --gate-command CMD         run CMD with sh -c (ISTIO_LAB_STACK, ISTIO_LAB_WEIGHT set); exit 0 passes

other:
  --stack NAME               the stack (default: dev)
  --cwd DIR                  the Pulumi project directory (default: this project)
  --preview                  print the plan and \`pulumi preview\` the first step; change nothing
  --json                     one JSON event per line instead of text
  -h, --help                 print this text

exit: 0 promoted (or already at 100), 1 rolled back, 2 bad arguments or stack, 130 interrupted`;

/** A bad argument or a stack that cannot be promoted: exit 2 with this message. */
export class PromoteError extends Error {}

/** The gates a promotion checks at each step. */
export interface GateOptions {
    readonly prometheus?: { readonly url: string; readonly minSuccessRate: number; readonly maxP99Ms?: number };
    readonly http?: { readonly url: string; readonly probes: number; readonly minSuccessRate: number };
    readonly command?: string;
}

/** A promotion's arguments, checked. */
export interface PromoteOptions {
    readonly stack: string;
    readonly cwd?: string;
    /** Explicit weights, or a step and a ceiling. */
    readonly schedule: { readonly steps: readonly number[] } | { readonly stepWeight: number; readonly maxWeight: number };
    readonly intervalMs: number;
    readonly threshold: number;
    readonly attendee?: string;
    readonly gates: GateOptions;
    readonly preview: boolean;
    readonly json: boolean;
}

export const PROMOTE_OPTIONS = {
    stack: { type: "string" },
    cwd: { type: "string" },
    steps: { type: "string" },
    "step-weight": { type: "string" },
    "max-weight": { type: "string" },
    interval: { type: "string" },
    threshold: { type: "string" },
    attendee: { type: "string" },
    "gate-prometheus": { type: "string" },
    "min-success-rate": { type: "string" },
    "max-p99-ms": { type: "string" },
    "gate-http": { type: "string" },
    probes: { type: "string" },
    "gate-command": { type: "string" },
    preview: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
} as const;

function bad(option: string, value: string, allowed: string): never {
    throw new PromoteError(`--${option} ${show(value)} is not allowed; expected ${allowed}`);
}

function integer(option: string, value: string, min: number, max: number): number {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
        bad(option, value, `a whole number from ${min} to ${max}`);
    }
    return Number(value);
}

const PERCENT = linear(/^\d+(\.\d+)?$/);

function percent(option: string, value: string): number {
    if (!PERCENT.test(value) || Number(value) > 100) {
        bad(option, value, "a percentage from 0 to 100, e.g. 99 or 99.5");
    }
    return Number(value);
}

/** `500ms`, `30s`, `2m` in milliseconds (at most an hour). */
export function parseInterval(value: string): number {
    const m = /^(\d+)(ms|s|m)$/.exec(value);
    const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as "ms" | "s" | "m"] : NaN;
    if (!m || ms > 3_600_000) {
        bad("interval", value, "a duration such as 500ms, 30s or 2m, at most 60m");
    }
    return ms;
}

function url(option: string, value: string, keyword?: string): string {
    if (keyword !== undefined && value === keyword) {
        return value;
    }
    if (!isHttpUrl(value)) {
        bad(option, value, `an http:// or https:// URL${keyword ? ` or ${JSON.stringify(keyword)}` : ""} (a host, a port from 1 to 65535)`);
    }
    return value;
}

const STRING_OPTIONS = stringOptions(PROMOTE_OPTIONS);

/** Parses `lab promote`'s arguments; throws a PromoteError naming the option, the value and what is allowed. */
export function parsePromoteArgs(argv: readonly string[]): PromoteOptions | "help" {
    // `--threshold -5` reaches the option's own check (commandLine.ts), not the parser's riddle.
    const v = strictArgs(normalizeArgv(argv, [], STRING_OPTIONS), PROMOTE_OPTIONS, (message) => new PromoteError(message), "promote");
    if (v === "help") {
        return "help";
    }

    const schedule = scheduleOf(v);
    const gates = gatesOf(v);
    if (v.attendee !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v.attendee)) {
        bad("attendee", v.attendee, "an attendee's name, a DNS-1123 label such as user7");
    }
    const stackProblem = v.stack === undefined ? undefined : stackNameProblem(v.stack);
    if (stackProblem) {
        throw new PromoteError(stackProblem);
    }
    return {
        stack: v.stack ?? "dev",
        cwd: v.cwd,
        schedule,
        intervalMs: v.interval === undefined ? parseInterval(DEFAULTS.interval) : parseInterval(v.interval),
        threshold: v.threshold === undefined ? DEFAULTS.threshold : integer("threshold", v.threshold, 1, 100),
        attendee: v.attendee,
        gates,
        preview: v.preview ?? false,
        json: v.json ?? false,
    };
}

/** The command line's values (see PROMOTE_OPTIONS). */
type PromoteValues = Exclude<ReturnType<typeof strictArgs<typeof PROMOTE_OPTIONS>>, "help">;

/** The schedule: --steps, or --step-weight up to --max-weight. */
function scheduleOf(v: PromoteValues): PromoteOptions["schedule"] {
    if (v.steps !== undefined && (v["step-weight"] !== undefined || v["max-weight"] !== undefined)) {
        throw new PromoteError("--steps and --step-weight/--max-weight are not allowed together; give one schedule");
    }
    if (v.steps !== undefined) {
        const steps = v.steps.split(",").map((s) => s.trim());
        if (steps.some((s) => !/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 100)) {
            bad("steps", v.steps, "weights from 1 to 100 separated by commas, e.g. 10,25,50,100");
        }
        const weights = steps.map(Number);
        if (weights.some((w, i) => i > 0 && w <= weights[i - 1])) {
            bad("steps", v.steps, "increasing weights, e.g. 10,25,50,100");
        }
        if (weights[weights.length - 1] !== 100) {
            bad("steps", v.steps, "weights ending at 100 (a promotion ends with all traffic on the new version)");
        }
        return { steps: weights };
    } else {
        const stepWeight = v["step-weight"] === undefined ? DEFAULTS.stepWeight : integer("step-weight", v["step-weight"], 1, 100);
        const maxWeight = v["max-weight"] === undefined ? DEFAULTS.maxWeight : integer("max-weight", v["max-weight"], 1, 100);
        if (stepWeight > maxWeight) {
            bad(
                "step-weight",
                String(stepWeight),
                `a whole number from 1 to ${maxWeight}: the ceiling (--max-weight${v["max-weight"] === undefined ? "'s default" : ""} ${maxWeight}) caps every step`,
            );
        }
        return { stepWeight, maxWeight };
    }
}

/** The gates checked after each step: at least one, and the options each needs with it. */
function gatesOf(v: PromoteValues): GateOptions {
    const minSuccessRate =
        v["min-success-rate"] === undefined ? DEFAULTS.minSuccessRate : percent("min-success-rate", v["min-success-rate"]);
    const gates: GateOptions = {
        prometheus:
            v["gate-prometheus"] === undefined
                ? undefined
                : {
                      url: url("gate-prometheus", v["gate-prometheus"]),
                      minSuccessRate,
                      maxP99Ms: v["max-p99-ms"] === undefined ? undefined : integer("max-p99-ms", v["max-p99-ms"], 1, 3_600_000),
                  },
        http:
            v["gate-http"] === undefined
                ? undefined
                : {
                      url: url("gate-http", v["gate-http"], "labUrl"),
                      probes: v.probes === undefined ? DEFAULTS.probes : integer("probes", v.probes, 1, 1000),
                      minSuccessRate,
                  },
        command: v["gate-command"],
    };
    if (!gates.prometheus && !gates.http && gates.command === undefined) {
        throw new PromoteError(
            "no gate given; expected one or more of --gate-prometheus URL, --gate-http URL, --gate-command CMD (a promotion checks each step)",
        );
    }
    if (v["max-p99-ms"] !== undefined && !gates.prometheus) {
        throw new PromoteError("--max-p99-ms needs --gate-prometheus (the P99 comes from Prometheus)");
    }
    if (v["min-success-rate"] !== undefined && !gates.prometheus && !gates.http) {
        throw new PromoteError("--min-success-rate needs --gate-prometheus or --gate-http (the gates that measure a success rate)");
    }
    if (v.probes !== undefined && !gates.http) {
        throw new PromoteError("--probes needs --gate-http (the gate that sends the probes)");
    }
    return gates;
}

/**
 * The weights to apply, from the current weight: the given steps above it, or `current + stepWeight`,
 * `+ 2 * stepWeight`, ... up to `maxWeight` (the last step capped at it), then 100. Empty at 100.
 */
export function scheduleFrom(current: number, schedule: PromoteOptions["schedule"]): number[] {
    if ("steps" in schedule) {
        return schedule.steps.filter((w) => w > current);
    }
    const weights: number[] = [];
    for (let w = current; w < schedule.maxWeight; ) {
        w = Math.min(w + schedule.stepWeight, schedule.maxWeight);
        weights.push(w);
    }
    if (current < 100) {
        weights.push(100);
    }
    return [...new Set(weights)];
}

/** Where the newest version's metrics are: its namespace and Deployment (Istio's `destination_workload`). */
export interface CanaryTarget {
    readonly namespace: string;
    readonly workload: string;
}

/** A Prometheus range for `rate()`: the interval, but at least a minute (two of Istio's 15 s scrapes and then some). */
export function rateWindow(intervalMs: number): string {
    return `${Math.max(60, Math.ceil(intervalMs / 1000))}s`;
}

/**
 * Flagger's Istio metrics, for the newest version's workload: `request-success-rate`, the share of
 * requests the destination answered with anything but 5xx, in percent; `request-duration`, the P99 in ms.
 */
export function prometheusQueries(t: CanaryTarget, window: string): { successRate: string; p99: string } {
    const selector = `reporter="destination",destination_workload_namespace="${t.namespace}",destination_workload=~"${t.workload}"`;
    return {
        successRate:
            `sum(rate(istio_requests_total{${selector},response_code!~"5.*"}[${window}]))` +
            ` / sum(rate(istio_requests_total{${selector}}[${window}])) * 100`,
        p99: `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${selector}}[${window}])) by (le))`,
    };
}

/** The one number a Prometheus instant query answered, or why there is none. */
export function vectorValue(body: unknown): number | string {
    const b = body as { status?: string; error?: string; data?: { resultType?: string; result?: Array<{ value?: [number, string] }> } };
    if (b?.status !== "success") {
        return `query failed: ${b?.error ?? "no status"}`;
    }
    const result = b.data?.result ?? [];
    if (b.data?.resultType === "scalar") {
        const value = Number((b.data as unknown as { result: [number, string] }).result[1]);
        return Number.isFinite(value) ? value : "no data";
    }
    if (result.length === 0) {
        return "no data";
    }
    const value = Number(result[0].value?.[1]);
    // NaN is 0/0: no requests reached the new version in the window.
    return Number.isFinite(value) ? value : "no data";
}

/** One gate's answer at one check. */
export interface GateResult {
    readonly gate: "prometheus" | "http" | "command";
    readonly passed: boolean;
    /** What was measured, e.g. "success rate 99.8%". */
    readonly figure: string;
    /** The bound it is held to, e.g. ">= 99%". */
    readonly bound: string;
}

/** The HTTP gate's verdict over its probes' status codes (0: no answer). */
export function httpVerdict(statuses: readonly number[], minSuccessRate: number): GateResult {
    const ok = statuses.filter((s) => s >= 200 && s < 300).length;
    const rate = (ok / statuses.length) * 100;
    return {
        gate: "http",
        passed: rate >= minSuccessRate,
        figure: `${ok}/${statuses.length} answered 2xx (${round(rate)}%)`,
        bound: `>= ${minSuccessRate}%`,
    };
}

/** The Prometheus gate's verdict from its two answers. */
export function prometheusVerdict(
    successRate: number | string,
    p99: number | string | undefined,
    g: NonNullable<GateOptions["prometheus"]>,
): GateResult {
    const rateOk = typeof successRate === "number" && successRate >= g.minSuccessRate;
    const p99Ok = g.maxP99Ms === undefined || (typeof p99 === "number" && p99 <= g.maxP99Ms);
    const figures = [typeof successRate === "number" ? `success rate ${round(successRate)}%` : `success rate: ${successRate}`];
    const bounds = [`>= ${g.minSuccessRate}%`];
    if (g.maxP99Ms !== undefined) {
        figures.push(typeof p99 === "number" ? `P99 ${round(p99)} ms` : `P99: ${p99}`);
        bounds.push(`<= ${g.maxP99Ms} ms`);
    }
    return { gate: "prometheus", passed: rateOk && p99Ok, figure: figures.join(", "), bound: bounds.join(", ") };
}

function round(n: number): string {
    return String(Math.round(n * 10) / 10);
}

/** What a promotion reports as it goes: one event per line with --json, else the text formatEvent makes. */
export type PromoteEvent =
    | {
          event: "plan";
          stack: string;
          attendee?: string;
          version: string;
          from: number;
          steps: number[];
          intervalMs: number;
          threshold: number;
          resumed?: number;
      }
    | { event: "applied"; step: number; of: number; weight: number; changes: Record<string, number>; ms: number; checkInMs: number }
    | {
          event: "check";
          weight: number;
          results: GateResult[];
          passed: boolean;
          failedChecks: number;
          threshold: number;
          nextInMs: number | null;
      }
    | { event: "rollback"; from: number; to: number; reason: string }
    | { event: "preview"; weight: number; stdout: string }
    | { event: "done"; result: "promoted" | "rolled back" | "interrupted" | "nothing to do"; weight: number };

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`);

/** One line a person can follow. */
export function formatEvent(e: PromoteEvent): string {
    switch (e.event) {
        case "plan":
            return (
                `promote ${e.stack}${e.attendee ? ` (attendee ${e.attendee})` : ""}: guestbook ${e.version} from ${e.from}%` +
                (e.resumed !== undefined ? ` (the applied weight; the config says ${e.resumed}%: resuming)` : "") +
                `, ${e.steps.length} step${e.steps.length === 1 ? "" : "s"}: ${e.steps.join(", ")}; check ${seconds(e.intervalMs)} after each, roll back after ${e.threshold} failed check${e.threshold === 1 ? "" : "s"}`
            );
        case "applied": {
            const changes = Object.entries(e.changes)
                .filter(([op]) => op !== "same" && op !== "read")
                .map(([op, n]) => `${n} ${op === "update" ? "updated" : op}`)
                .join(", ");
            return `step ${e.step}/${e.of}: ${e.weight}% applied (${changes || "no change"}, ${seconds(e.ms)}); check in ${seconds(e.checkInMs)}`;
        }
        case "check": {
            const gates = e.results.map((r) => `${r.gate} ${r.figure} (${r.bound}) ${r.passed ? "pass" : "FAIL"}`).join("; ");
            const next = e.passed
                ? e.nextInMs === null
                    ? ""
                    : "; next step now"
                : `; failed checks ${e.failedChecks}/${e.threshold}${e.nextInMs === null ? "" : `, check again in ${seconds(e.nextInMs)}`}`;
            return `check at ${e.weight}%: ${gates}${next}`;
        }
        case "preview":
            return `pulumi preview of step 1 (${e.weight}%):\n${e.stdout.trimEnd()}`;
        case "rollback":
            return `rollback from ${e.from}% to ${e.to}%: ${e.reason}`;
        case "done":
            return `${e.result}: guestbook's newest version at ${e.weight}%`;
    }
}

/** The stack a promotion drives. */
export interface PromotionStack {
    /** Sets the weight in the stack's config and runs `pulumi up`; the resource changes it made. */
    apply(weight: number): Promise<Record<string, number>>;
}

/** What a promotion needs besides the stack: its gates, a clock and a way to report. */
export interface PromotionIo {
    readonly check: (weight: number) => Promise<GateResult[]>;
    readonly emit: (e: PromoteEvent) => void;
    /** Waits `ms`, or rejects when interrupted. */
    readonly sleep: (ms: number) => Promise<void>;
    /** True once the user asked to stop (Ctrl-C, SIGTERM). */
    readonly interrupted: () => boolean;
    readonly now: () => number;
}

/** The plan a promotion runs. */
export interface Promotion {
    readonly start: number;
    readonly steps: readonly number[];
    readonly intervalMs: number;
    readonly threshold: number;
}

/**
 * Runs the promotion: apply each step, wait, check; a failed check counts and is re-checked after the
 * interval; at the threshold the starting weight is applied again. Interrupted, the stack is put back at
 * the last weight that was applied and checked (or the starting one) before it returns. Failed checks
 * count over the whole promotion, as Flagger's do.
 */
export async function runPromotion(stack: PromotionStack, p: Promotion, io: PromotionIo): Promise<number> {
    let checked = p.start;
    let failed = 0;
    const restore = async (reason: string, to: number, from: number, result: "rolled back" | "interrupted") => {
        io.emit({ event: "rollback", from, to, reason });
        await stack.apply(to);
        io.emit({ event: "done", result, weight: to });
        return result === "rolled back" ? ROLLED_BACK : INTERRUPTED;
    };
    for (let i = 0; i < p.steps.length; i++) {
        const weight = p.steps[i];
        if (io.interrupted()) {
            // The last weight applied has passed its check: the stack stays there.
            io.emit({ event: "done", result: "interrupted", weight: checked });
            return INTERRUPTED;
        }
        const t = io.now();
        let changes: Record<string, number>;
        try {
            changes = await stack.apply(weight);
        } catch (e) {
            if (io.interrupted()) {
                return restore("interrupted while applying", checked, weight, "interrupted");
            }
            throw e;
        }
        io.emit({ event: "applied", step: i + 1, of: p.steps.length, weight, changes, ms: io.now() - t, checkInMs: p.intervalMs });
        for (;;) {
            try {
                await io.sleep(p.intervalMs);
            } catch {
                return restore(`interrupted before ${weight}% was checked`, checked, weight, "interrupted");
            }
            const results = await io.check(weight);
            const passed = results.every((r) => r.passed);
            failed += passed ? 0 : 1;
            const last = i === p.steps.length - 1;
            const givingUp = !passed && failed >= p.threshold;
            io.emit({
                event: "check",
                weight,
                results,
                passed,
                failedChecks: failed,
                threshold: p.threshold,
                nextInMs: (passed && last) || givingUp ? null : passed ? 0 : p.intervalMs,
            });
            if (passed) {
                checked = weight;
                break;
            }
            if (givingUp) {
                return restore(
                    `${failed} failed check${failed === 1 ? "" : "s"} (threshold ${p.threshold})`,
                    p.start,
                    weight,
                    "rolled back",
                );
            }
            if (io.interrupted()) {
                return restore(`interrupted before ${weight}% passed a check`, checked, weight, "interrupted");
            }
        }
    }
    io.emit({ event: "done", result: p.steps.length === 0 ? "nothing to do" : "promoted", weight: checked });
    return PROMOTED;
}
