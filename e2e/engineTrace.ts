// Where the seconds of one `pulumi` command go, read from the engine's own OpenTelemetry trace
// (`pulumi ... --otel-traces file://<path>`, one OTLP JSON document a line). The CLI's spans are the clock:
// the command ("pulumi"), the program ("pulumirpc.LanguageRuntime/Run"), each resource registration
// ("pulumirpc.ResourceMonitor/RegisterResource"), each provider call ("pulumirpc.ResourceProvider/<Method>",
// tagged with the resource's type) and each plugin launch ("newPlugin"). The command's wall time is cut into
// parts that add up to it: at each instant the part is the first of these that holds.
import { readFileSync } from "fs";

/** One span of the trace, in milliseconds since the command's start. */
export interface TraceSpan {
    readonly service: string;
    readonly name: string;
    readonly start: number;
    readonly end: number;
    /** The resource type the engine tagged a provider call with ("pulumi-decorator"), if any. */
    readonly type?: string;
}

/** The parts of a command's wall time, in the order {@link breakdown} tries them. */
export const PARTS = [
    "awaits",
    "provider calls",
    "provider start",
    "CLI start",
    "program start",
    "program and engine",
    "after the program",
] as const;
export type Part = (typeof PARTS)[number];

/** What each part is, for the report. */
export const PART_MEANING: Readonly<Record<Part, string>> = {
    awaits: "a provider Create or Update of a kind the provider waits for (Deployment, Service, Job, ..., a Helm release) or any Delete, in flight",
    "provider calls": "any other provider call in flight (Check, Diff, Create, Update, Read, Invoke)",
    "provider start": "a plugin starting, or a provider's CheckConfig/Configure, and no call in flight",
    "CLI start": "before the program starts: the CLI, the backend, the state, the plugins it asks for",
    "program start": "the language host and Node.js starting, TypeScript compiled, the modules loaded, up to the first registration",
    "program and engine": "the program running with nothing at a provider: its registrations, the engine's steps, state writes",
    "after the program": "after the program exits: the last state write, the summary",
};

/** The kinds whose Create and Update the Kubernetes provider waits on (its await logic), by type token. */
const AWAITED = new Set([
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:core/v1:Pod",
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:helm.sh/v3:Release",
]);

interface OtlpValue {
    stringValue?: string;
}
interface OtlpSpan {
    name: string;
    startTimeUnixNano: string;
    endTimeUnixNano: string;
    attributes?: Array<{ key: string; value: OtlpValue }>;
}
interface OtlpLine {
    resourceSpans?: Array<{
        resource?: { attributes?: Array<{ key: string; value: OtlpValue }> };
        scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
    }>;
}

/** The resource type in the URN a span's logged gRPC request names (the provider's own spans log them as "Msg"). */
function typeInMessage(span: OtlpSpan): string | undefined {
    for (const a of span.attributes ?? []) {
        const urn = a.key === "Msg" ? /urn:pulumi:.*?::.*?::(.*?)::/.exec(a.value.stringValue ?? "") : null;
        if (urn) {
            return urn[1].split("$").pop();
        }
    }
    return undefined;
}

/** The spans of a `--otel-traces file://` file, in milliseconds since the earliest span started. */
export function readTrace(file: string): TraceSpan[] {
    const raw: Array<{ service: string; name: string; start: bigint; end: bigint; type?: string }> = [];
    for (const line of readFileSync(file, "utf8").split("\n")) {
        if (line.trim() === "") {
            continue;
        }
        for (const rs of (JSON.parse(line) as OtlpLine).resourceSpans ?? []) {
            const service = rs.resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue ?? "";
            for (const span of (rs.scopeSpans ?? []).flatMap((s) => s.spans ?? [])) {
                const type = span.attributes?.find((a) => a.key === "pulumi-decorator")?.value.stringValue ?? typeInMessage(span);
                raw.push({ service, name: span.name, start: BigInt(span.startTimeUnixNano), end: BigInt(span.endTimeUnixNano), type });
            }
        }
    }
    if (raw.length === 0) {
        throw new Error(`${file}: no spans`);
    }
    const t0 = raw.reduce((min, s) => (s.start < min ? s.start : min), raw[0].start);
    const ms = (t: bigint) => Number(t - t0) / 1e6;
    return raw.map((s) => ({ service: s.service, name: s.name, start: ms(s.start), end: ms(s.end), ...(s.type ? { type: s.type } : {}) }));
}

/** A command's wall time in parts that add up to it, and the provider calls that took longest, by type and method. */
export interface Breakdown {
    readonly totalMs: number;
    readonly parts: ReadonlyArray<{ part: Part; ms: number }>;
    /** Summed duration of provider calls by "<Method> <type>", the longest first (at most 5). */
    readonly slowest: ReadonlyArray<{ call: string; count: number; ms: number }>;
}

const PROVIDER = /^\/?pulumirpc\.ResourceProvider\/(\w+)$/;

function partOfProviderCall(span: TraceSpan): Part | undefined {
    const method = PROVIDER.exec(span.name)?.[1];
    if (method === undefined) {
        return span.name === "newPlugin" ? "provider start" : undefined;
    }
    if (method === "CheckConfig" || method === "Configure" || method === "Handshake" || method === "GetPluginInfo") {
        return "provider start";
    }
    if (method === "Delete" || ((method === "Create" || method === "Update") && AWAITED.has(span.type ?? ""))) {
        return "awaits";
    }
    return "provider calls";
}

/**
 * The CLI's provider calls, each with the resource type of the provider's own span of the same call (the same
 * method, inside the CLI's span): the CLI's spans do not carry it.
 */
function withProviderTypes(cli: readonly TraceSpan[], all: readonly TraceSpan[]): TraceSpan[] {
    const served = all.filter((s) => s.service === "pulumi-resource-provider" && s.type !== undefined);
    const taken = new Set<TraceSpan>();
    return cli.map((s) => {
        const method = PROVIDER.exec(s.name)?.[1];
        if (method === undefined || s.type !== undefined) {
            return s;
        }
        const match = served.find((p) => !taken.has(p) && PROVIDER.exec(p.name)?.[1] === method && p.start >= s.start && p.end <= s.end);
        if (match === undefined) {
            return s;
        }
        taken.add(match);
        return { ...s, type: match.type };
    });
}

/** Cuts the command's wall time (its "pulumi" span) into {@link PARTS}. */
export function breakdown(spans: readonly TraceSpan[]): Breakdown {
    const cli = spans.filter((s) => s.service === "pulumi-cli");
    const root = cli.find((s) => s.name === "pulumi");
    if (!root) {
        throw new Error("the trace has no command span (pulumi)");
    }
    const calls = withProviderTypes(cli, spans).flatMap((s) => {
        const part = partOfProviderCall(s);
        return part ? [{ span: s, part }] : [];
    });
    // `pulumi destroy` runs no program: its steps span the first provider call to the last.
    const run = cli.find((s) => s.name === "pulumirpc.LanguageRuntime/Run") ?? {
        start: Math.min(root.end, ...calls.map((c) => c.span.start)),
        end: Math.max(root.start, ...calls.map((c) => c.span.end)),
    };
    const firstRegistration = Math.min(
        run.end,
        ...cli.filter((s) => s.name === "pulumirpc.ResourceMonitor/RegisterResource").map((s) => s.start),
        ...(cli.some((s) => s.name === "pulumirpc.LanguageRuntime/Run") ? [] : [run.start]),
    );
    // Elementary intervals between every boundary; each gets the first part that holds in it.
    const cuts = [
        ...new Set([root.start, root.end, run.start, run.end, firstRegistration, ...calls.flatMap((c) => [c.span.start, c.span.end])]),
    ]
        .filter((t) => t >= root.start && t <= root.end)
        .sort((a, b) => a - b);
    const totals = new Map<Part, number>(PARTS.map((p) => [p, 0]));
    for (let i = 0; i + 1 < cuts.length; i++) {
        const [a, b] = [cuts[i], cuts[i + 1]];
        const mid = (a + b) / 2;
        const active = new Set(calls.filter((c) => c.span.start <= mid && mid < c.span.end).map((c) => c.part));
        const part =
            (["awaits", "provider calls", "provider start"] as const).find((p) => active.has(p)) ??
            (mid < run.start
                ? "CLI start"
                : mid < firstRegistration
                  ? "program start"
                  : mid < run.end
                    ? "program and engine"
                    : "after the program");
        totals.set(part, (totals.get(part) ?? 0) + (b - a));
    }
    const byCall = new Map<string, { count: number; ms: number }>();
    for (const { span } of calls.filter((c) => PROVIDER.test(c.span.name))) {
        const key = `${PROVIDER.exec(span.name)![1]} ${span.type ?? "(provider)"}`;
        const entry = byCall.get(key) ?? { count: 0, ms: 0 };
        byCall.set(key, { count: entry.count + 1, ms: entry.ms + (span.end - span.start) });
    }
    const slowest = [...byCall.entries()]
        .map(([call, v]) => ({ call, ...v }))
        .sort((x, y) => y.ms - x.ms)
        .slice(0, 5);
    return { totalMs: root.end - root.start, parts: PARTS.map((part) => ({ part, ms: totals.get(part) ?? 0 })), slowest };
}

/** One line: the total and each part as seconds and share, then the slowest provider calls. */
export function formatBreakdown(what: string, b: Breakdown): string {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const parts = b.parts
        .filter((p) => p.ms >= 0.5)
        .map((p) => `${p.part} ${s(p.ms)} (${Math.round((100 * p.ms) / b.totalMs)}%)`)
        .join(", ");
    const slowest = b.slowest.map((c) => `${c.call} x${c.count} ${s(c.ms)}`).join("; ");
    return `${what}: ${s(b.totalMs)}: ${parts}${slowest ? `; longest provider calls (summed): ${slowest}` : ""}`;
}
