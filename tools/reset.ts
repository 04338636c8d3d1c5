// `lab reset --step NAME [--stack S] [--attendee A] [--preview]`: puts a deployed stack (or one attendee of a
// class, or every attendee) at a step's config and applies it with `pulumi up --refresh` through the
// Automation API, as `lab promote` does: the refresh first reads the live objects, so an object someone edited
// by hand goes back to the step's state too. With `attendeeAccess` the attendee's routing objects are theirs
// (the class's `pulumi up` ignores their spec), so the reset replaces them: created again at the step's state.
// `--preview` shows the plan and leaves the stack's config as it was. After a reset, `lab check` of that step passes.
import { stackNameProblem } from "./stackConfig";
import { strictArgs } from "./strictArgs";
import { existsSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import type { ConfigMap, Stack } from "@pulumi/pulumi/automation";
import { LabInputError } from "../components/lab";
import { LabConfig, parseConfig } from "../config";
import { configValues, localStackConfig, openStack } from "./automation";
import { LabStep, attendeeStepConfig, findAttendeeStep, findStep, stepConfig } from "./steps";

export const RESET_USAGE = `usage: npm run --silent lab -- reset --step NAME [options]

Puts the stack at the step's config (lab steps lists them) and applies it with pulumi up --refresh through
the Automation API (the Pulumi CLI, the stack's backend and secrets): objects edited by hand go back too.

options:
  --step NAME        the step
  --stack NAME       the stack (default: dev)
  --attendee NAME    in a class: only this attendee's override (without it, a traffic step resets every attendee)
  --preview          show the plan (pulumi preview --refresh --diff) and change nothing
  --json             one JSON object: {stack, step, attendees, set, removed, replaced, changes}
  --cwd DIR          the Pulumi project (default: this one)
  -h, --help         print this text

exit 0 reset (or previewed), 1 when its pulumi up fails (the engine's errors printed), 2 on bad arguments, a stack that cannot be read or a step it does not have`;

/** Why a reset cannot start: the message names the argument or the stack. */
export class ResetError extends Error {}

export interface ResetOptions {
    readonly step: string;
    readonly stack: string;
    readonly attendee?: string;
    readonly preview: boolean;
    readonly json: boolean;
    readonly cwd?: string;
}

/** The options `lab reset` takes. */
export const RESET_OPTIONS = {
    step: { type: "string" },
    stack: { type: "string" },
    attendee: { type: "string" },
    preview: { type: "boolean" },
    json: { type: "boolean" },
    cwd: { type: "string" },
    help: { type: "boolean", short: "h" },
} as const;

/** The command line, or "help"; a bad one throws a ResetError naming the option. */
export function parseResetArgs(argv: readonly string[]): ResetOptions | "help" {
    const v = strictArgs(argv, RESET_OPTIONS, (message) => new ResetError(message), "reset");
    if (v === "help") {
        return "help";
    }
    if (v.step === undefined) {
        throw new ResetError("reset needs --step NAME (npm run --silent lab -- steps lists them)");
    }
    // A stack name, as promote checks it, before the stack file is read or the Pulumi CLI looked for.
    const stackProblem = v.stack === undefined ? undefined : stackNameProblem(v.stack);
    if (stackProblem) {
        throw new ResetError(stackProblem);
    }
    return { step: v.step, stack: v.stack ?? "dev", attendee: v.attendee, preview: v.preview ?? false, json: v.json ?? false, cwd: v.cwd };
}

/** What a reset changes in the stack's config, and which attendees' own objects it creates again. */
export interface ResetPlan {
    readonly step: LabStep;
    /** The attendees it resets (every one for a class's traffic step without --attendee; none outside a class). */
    readonly attendees: readonly string[];
    /** Keys set, with their new values (as `pulumi config set` takes them). */
    readonly set: Readonly<Record<string, string>>;
    /** Keys removed. */
    readonly removed: readonly string[];
    /** With attendeeAccess: the namespaces whose routing objects are replaced (their spec is the attendee's). */
    readonly ownedNamespaces: readonly string[];
}

/** The plan of a reset of `raw` (the stack's config as the program reads it) to the step; a bad step or attendee throws a ResetError. */
export function planReset(raw: Readonly<Record<string, string>>, o: Pick<ResetOptions, "step" | "stack" | "attendee">): ResetPlan {
    let config: LabConfig;
    try {
        config = parseConfig(raw);
    } catch (e) {
        throw e instanceof LabInputError ? new ResetError(`stack ${o.stack}: ${e.message}`) : e;
    }
    let step: LabStep;
    let attendees: string[] = [];
    if (o.attendee !== undefined) {
        const mine = findAttendeeStep(config, o.step, o.attendee);
        if (typeof mine === "string") {
            throw new ResetError(mine);
        }
        step = mine;
        attendees = [o.attendee];
    } else {
        const found = findStep(config, o.step);
        if (typeof found === "string") {
            throw new ResetError(found);
        }
        step = found;
        if (config.attendees && step.lab === "traffic") {
            // A class's traffic step is each attendee's: without --attendee, the whole class goes to it.
            const mine = findAttendeeStep(config, o.step, config.attendees[0].name);
            if (typeof mine === "string") {
                throw new ResetError(mine);
            }
            attendees = config.attendees.map((a) => a.name);
        }
    }
    const target = attendees.length > 0 ? attendeeStepConfig(raw, config, step, attendees) : stepConfig(raw, config, step);
    const set = Object.fromEntries(Object.entries(target).filter(([k, v]) => raw[k] !== v));
    const removed = Object.keys(raw).filter((k) => !(k in target));
    const ownedNamespaces =
        config.access !== undefined ? (config.attendees ?? []).filter((a) => attendees.includes(a.name)).map((a) => a.namespace) : [];
    return { step, attendees, set, removed, ownedNamespaces };
}

/** The kinds whose spec an attendee with access owns (components/classroom.ts ignores their spec on the class's up). */
const OWNED_TYPES = [
    "kubernetes:networking.istio.io/v1:VirtualService",
    "kubernetes:networking.istio.io/v1:DestinationRule",
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
];

/** The URNs of the attendees' own routing objects in the stack's state. */
async function ownedUrns(stack: Stack, namespaces: readonly string[]): Promise<string[]> {
    if (namespaces.length === 0) {
        return [];
    }
    const state = (await stack.exportStack()) as {
        deployment?: { resources?: Array<{ urn: string; type: string; outputs?: { metadata?: { namespace?: string } } }> };
    };
    return (state.deployment?.resources ?? [])
        .filter((r) => OWNED_TYPES.includes(r.type) && namespaces.includes(r.outputs?.metadata?.namespace ?? ""))
        .map((r) => r.urn);
}

/** Sets the plan's config on the stack (one `config set` per key, the removed keys removed). */
async function applyConfig(stack: Stack, set: Readonly<Record<string, string>>, removed: readonly string[]): Promise<void> {
    if (Object.keys(set).length > 0) {
        await stack.setAllConfig(Object.fromEntries(Object.entries(set).map(([k, value]) => [k, { value }])));
    }
    if (removed.length > 0) {
        await stack.removeAllConfig([...removed]);
    }
}

const keys = (n: number) => `${n} config ${n === 1 ? "key" : "keys"}`;

/** The reset's options, stack, plan and the stack's config before it, or the exit status of a refusal or --help. */
async function openReset(
    argv: readonly string[],
    out: (line: string) => void,
): Promise<number | { o: ResetOptions; stack: Stack; plan: ResetPlan; before: ConfigMap }> {
    try {
        const parsed = parseResetArgs(argv);
        if (parsed === "help") {
            out(RESET_USAGE);
            return 0;
        }
        const o = parsed;
        const local = localStackConfig(o.stack, o.cwd);
        if (local !== undefined) {
            planReset(local, o);
        }
        const stack = await openStack(
            o.stack,
            o.cwd,
            "lab reset runs pulumi up through the Automation API (install the CLI, or run it where pulumi is)",
            (m) => new ResetError(m),
        );
        const before = await stack.getAllConfig();
        return { o, stack, plan: planReset(configValues(before), o), before };
    } catch (e) {
        if (e instanceof ResetError) {
            process.stderr.write(`${e.message}\n`);
            return 2;
        }
        throw e;
    }
}

/** What the preview and the update of a reset are given. */
export interface OpenReset {
    readonly o: ResetOptions;
    readonly stack: Stack;
    readonly plan: ResetPlan;
    readonly before: ConfigMap;
    readonly replace: string[];
    readonly who: string;
    readonly summary: Record<string, unknown>;
}

/** The engine's own diagnostics of a failed preview or update (its error lines), not the Automation API's stack trace. */
export function engineErrors(e: unknown): string {
    const said = String((e as Error).message)
        .split("\n")
        .filter((l) => /\berror\b/i.test(l) && !/^\s+at /.test(l));
    return [...new Set(said)].slice(0, 12).join("\n");
}

/** `--preview`: the plan (the config set for it), then the stack's config as it was. */
export async function previewReset(
    x: OpenReset,
    file: { path: string; text: string } | undefined,
    out: (line: string) => void,
): Promise<number> {
    const { o, stack, plan, before, replace, who, summary } = x;
    try {
        let p: Awaited<ReturnType<Stack["preview"]>>;
        try {
            p = await stack.preview({ color: "never", diff: true, refresh: true, replace });
        } catch (e) {
            process.stderr.write(
                `lab reset --preview: pulumi preview of stack ${o.stack} failed (nothing was changed; the stack's config is as it was):\n${engineErrors(e)}\n`,
            );
            return 1;
        }
        out(o.json ? JSON.stringify({ ...summary, preview: true, changes: p.changeSummary }) : p.stdout.trimEnd());
        if (!o.json) {
            out(`preview of the reset of stack ${o.stack} to step ${plan.step.name}${who}; nothing was changed`);
        }
    } finally {
        // The stack's config as it was: the stack file's own bytes when it has one (its YAML structures
        // stay structures), else each changed key set back and each added one removed.
        if (file !== undefined) {
            writeFileSync(file.path, file.text);
        } else {
            const back = Object.fromEntries(
                [...Object.keys(plan.set), ...plan.removed].filter((k) => k in before).map((k) => [k, before[k]]),
            );
            if (Object.keys(back).length > 0) {
                await stack.setAllConfig(back);
            }
            const added = Object.keys(plan.set).filter((k) => !(k in before));
            if (added.length > 0) {
                await stack.removeAllConfig(added);
            }
        }
    }
    return 0;
}

/** The update: `pulumi up --refresh` (replacing the attendees' own objects), and what it changed. */
async function applyReset(x: OpenReset, out: (line: string) => void): Promise<number> {
    const { o, stack, plan, replace, who, summary } = x;
    let result: Awaited<ReturnType<Stack["up"]>>;
    try {
        result = await stack.up({ color: "never", refresh: true, replace, message: `lab reset: step ${plan.step.name}${who}` });
    } catch (e) {
        process.stderr.write(
            `lab reset: pulumi up of stack ${o.stack} failed (the config is at step ${plan.step.name}; run lab reset again, or pulumi up, once it is fixed):\n${engineErrors(e)}\n`,
        );
        return 1;
    }
    const changes = Object.fromEntries(Object.entries(result.summary.resourceChanges ?? {}).map(([k, v]) => [k, v ?? 0]));
    if (o.json) {
        out(JSON.stringify({ ...summary, changes }));
    } else {
        const counted = Object.entries(changes)
            .filter(([k]) => k !== "same")
            .map(([k, v]) => `${v} ${k}`);
        out(
            `reset stack ${o.stack} to step ${plan.step.name}${who}: ${keys(Object.keys(plan.set).length + plan.removed.length)} changed, ${counted.join(", ") || "no resource changes"}${replace.length > 0 ? ` (${replace.length} objects of the attendees' own created again)` : ""}`,
        );
        const attendee = plan.attendees.length === 1 ? ` --attendee ${plan.attendees[0]}` : "";
        out(`check it: npm run --silent lab -- check --stack ${o.stack} --step ${plan.step.name}${attendee}`);
    }
    return 0;
}

/** `lab reset`: returns the exit status. */
export async function resetMain(
    argv: readonly string[],
    out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
    const opened = await openReset(argv, out);
    if (typeof opened === "number") {
        return opened;
    }
    const { o, stack, plan } = opened;
    const replace = await ownedUrns(stack, plan.ownedNamespaces);
    const who =
        plan.attendees.length === 0
            ? ""
            : plan.attendees.length === 1
              ? ` (attendee ${plan.attendees[0]})`
              : ` (all ${plan.attendees.length} attendees)`;
    const summary = {
        stack: o.stack,
        step: plan.step.name,
        attendees: plan.attendees,
        set: plan.set,
        removed: plan.removed,
        replaced: replace,
    };
    const stackPath = path.join(stack.workspace.workDir, `Pulumi.${o.stack.split("/").pop()}.yaml`);
    const file = o.preview && existsSync(stackPath) ? { path: stackPath, text: readFileSync(stackPath, "utf8") } : undefined;
    await applyConfig(stack, plan.set, plan.removed);
    const x: OpenReset = { ...opened, replace, who, summary };
    return o.preview ? previewReset(x, file, out) : applyReset(x, out);
}
