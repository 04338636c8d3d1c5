// `npm run lab -- <command>`: the lab program run offline under Pulumi's mocks, for reviewers and CI
// with no cluster and no Pulumi CLI. Exit 0 on success, 1 when the command found problems, 2 on bad
// arguments or bad config.
import { existsSync, readdirSync, rmSync, statSync } from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { LabInputError } from "../components/lab";
import { redact } from "../components/secrets";
import { hostPortProblem, isHttpUrl } from "./address";
import { quietOnClosedPipe } from "./closedPipe";
import { commandUsage, normalizeArgv, stringOptions } from "./commandLine";
import { commandLine } from "./strictArgs";
import { printable } from "./printable";
import { OutputFileError, OwnFile, outputDirectory, writeOutputFile } from "./outputFile";
import { parseValue } from "../config/input";
import { checkSecretNames } from "../config/secretNames";
import { diffRenders, formatDiff, reissuedSecrets, withReissued } from "./diff";
import { KUBECONFIGS_OPTIONS, kubeconfigsMain } from "./kubeconfigs";
import { PROMOTE_OPTIONS } from "./promote";
import { promoteMain } from "./promoteStack";
import { RESET_OPTIONS, resetMain } from "./reset";
import type { AttendeeRow } from "../stacks/lab";
import { runLab } from "./engine";
import { formatMatrix, probeMatrix } from "./matrix";
import { RenderedObject, objectId, render } from "./render";
import { probesLevel, sleepNamespaces } from "./probe";
import { ProbeSplit, TrafficProbe, trafficProbeLevel, versionDeployments } from "./trafficProbe";
import { schemaProblems } from "./schemas";
import {
    admissionProblems,
    clusterNotes,
    configProblems,
    formatProblems,
    meshProblems,
    orderingProblems,
    policyProblems,
    containerImages,
} from "./validate";
import { imageNotes } from "../config/images";
import {
    CheckReport,
    ClusterRead,
    LEVELS,
    Level,
    LevelReport,
    attendeeScope,
    checkStep,
    evaluateStep,
    formatCheck,
    namespacesOf,
    notDeployed,
    passed,
    readCluster,
} from "./check";
import { ClusterError, Kube, MeshSource, configDumpSource, istiodSource, kubectlOf } from "./live";
import type { Split } from "./meshCells";
import { ClassStatus, ClassStep, STATUS_PAGE_GENERATOR, classStatus, formatStatus, statusHtml } from "./status";
import {
    ATTENDEE_OWN,
    LabStep,
    attendeeStepConfig,
    attendeeStepsOf,
    findAttendeeStep,
    findStep,
    formatSteps,
    stepConfig,
    stepSettings,
    stepsOf,
} from "./steps";
import { LabConfig, parseConfig } from "../config";
import { ConfigFileError, StackFile, configKeyProblem, kindOf, readStackFile, secretMessage, stackFile } from "./stackConfig";

/** The commands. */
export const COMMANDS = ["render", "validate", "matrix", "diff", "attendees", "steps", "check", "status"] as const;
type Command = (typeof COMMANDS)[number];

/** The options each command takes, besides `--help`. */
const OPTIONS_OF: Readonly<Record<Command, readonly string[]>> = {
    render: ["stack", "config", "set", "json", "out"],
    validate: ["stack", "config", "set", "json"],
    matrix: ["stack", "config", "set", "json"],
    diff: ["stack", "config", "set", "json", "against"],
    attendees: ["stack", "config", "set", "json"],
    steps: ["stack", "config", "set", "json"],
    check: [
        "stack",
        "config",
        "set",
        "json",
        "step",
        "attendee",
        "kubeconfig",
        "istiod",
        "level",
        "watch",
        "timeout",
        "probe",
        "url",
        "requests",
    ],
    status: ["stack", "config", "set", "json", "html", "kubeconfig", "istiod", "level"],
};

/** The usage text `--help` prints. */
export const USAGE = `usage: npm run --silent lab -- <command> [options]

commands:
  render     every Kubernetes object the program would apply, in apply order (--out DIR: one file each)
  validate   schema, mesh, ordering and config checks of the rendered objects (exit 1 on problems)
  matrix     the predicted probe results (sleep -> httpbin, or ingress gateway -> guestbook)
  diff       what a config change adds, removes and changes (--against FILE: compare with that config)
  attendees  a classroom's attendees: namespace, URL and traffic split, one row each
             (--kubeconfig-dir DIR: after pulumi up with attendeeAccess, one kubeconfig per attendee; needs the Pulumi CLI)
  steps      the lab's steps (traffic lab, peer authentication steps 8 to 13) and the config each sets
  check      did the step work? --step NAME: the live cluster's objects and what Istio sends each proxy
             against the step's expected state (exit 1 with the differences; --watch retries)
  status     a class at a glance: each attendee against each of their traffic steps (done, here,
             not yet, diverged with the first difference), from one read of the live cluster
  promote    move the canary to 100% in steps through pulumi up, checking gates, rolling back on failure
             (needs the Pulumi CLI and the stack; \`lab promote --help\` for its options)
  reset      put the stack (or an attendee) at a step's config and apply it with pulumi up --refresh
             (needs the Pulumi CLI and the stack; \`lab reset --help\` for its options)

options:
  --stack NAME       read Pulumi.NAME.yaml (default: dev)
  --config FILE      read any stack config file instead
  --set key=value    override one setting (repeatable; "istio-lab:" may be left out; JSON for structured values)
  --json             machine-readable output
  --out DIR          render: write one file per object into DIR
  --against FILE     diff: compare with this config file
  --step NAME        check: the step (lab steps lists them)
  --attendee NAME    check: one attendee of a class, at a traffic step of their own (their attendeeOverrides)
  --kubeconfig FILE  check, status: the cluster to read (default: kubectl's own, KUBECONFIG or ~/.kube/config)
  --istiod ADDR      check, status: read what istiod sends each proxy over xDS at ADDR instead of each proxy's
                     config dump (the harness and the sandbox; needs ISTIO_LAB_XDSDUMP, the harness's client)
  --level LIST       check, status: objects, mesh or objects,mesh (default)
  --html FILE        status: also write the grid as a self-contained page to FILE
  --probe            check: also call each httpbin from each sleep with the seed's curl (kubectl exec; a real
                     cluster's pods) and hold the code and X-Forwarded-Client-Cert against lab matrix; with
                     --url, the traffic lab's: requests to the guestbook's /env counted by version against
                     the step's split (each share within 3 standard deviations), the A/B rule's header too
  --url URL          check --probe: the traffic lab's address (pulumi stack output labUrl, or your route)
  --requests N       check --probe --url: requests per batch (default 100; 10 to 10000)
  --watch            check: retry every 2 s until the step holds or --timeout SECONDS pass (default 120)
  --timeout SECONDS  check --watch: how long to retry, and the bound of the whole check (1 to 3600; default 120)
  -h, --help         print this text`;

/** A command's result: what to print and the exit status. */
export interface CommandResult {
    /** Standard output. */
    readonly stdout: string;
    /** Standard error. */
    readonly stderr: string;
    /** Exit status. */
    readonly code: 0 | 1 | 2;
}

class UsageError extends Error {}

function parseSet(assignment: string): [string, string] {
    const eq = assignment.indexOf("=");
    if (eq <= 0) {
        throw new UsageError(`--set ${JSON.stringify(assignment)} is not allowed; expected key=value, e.g. istio-lab:canaryWeight=50`);
    }
    const given = assignment.slice(0, eq);
    const key = given.includes(":") ? given : `istio-lab:${given}`;
    const problem = configKeyProblem(key);
    if (problem) {
        throw new UsageError(`--set ${JSON.stringify(assignment)}: ${problem}`);
    }
    return [key, assignment.slice(eq + 1)];
}

/** The `--set` overrides by key; a key set twice (with or without "istio-lab:") is refused, naming both. */
function overridesOf(assignments: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {};
    const given: Record<string, string> = {};
    for (const assignment of assignments) {
        const [key, value] = parseSet(assignment);
        if (key in given) {
            throw new UsageError(
                `--set ${JSON.stringify(assignment)}: ${key} is already set by --set ${JSON.stringify(given[key])}; set each key once`,
            );
        }
        given[key] = assignment;
        out[key] = value;
    }
    return out;
}

function toYaml(objects: readonly RenderedObject[]): string {
    return objects
        .map((o) => `# ${o.type} ${o.name}${o.parent ? ` (parent: ${o.parent})` : ""}\n${stringify(o.manifest).trimEnd()}`)
        .join("\n---\n");
}

function readConfigFile(file: string): StackFile {
    try {
        return readStackFile(file);
    } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
}

/** A stack file's values with the `--set` overrides on top; a secret nobody overrode cannot be read offline. */
function configure(file: string, stackFile: StackFile, overrides: Readonly<Record<string, string>>): Record<string, string> {
    const unread = stackFile.secure.find((s) => !(s.key in overrides));
    if (unread !== undefined) {
        throw new ConfigFileError(`${file}: ${secretMessage(unread.key, unread.path)}`);
    }
    const values = { ...stackFile.config, ...overrides };
    // A secure: value at a field that becomes an object's name cannot stay secret: refused, naming the field.
    checkSecretNames(stackFile.secure, Object.fromEntries(Object.entries(values).map(([k, v]) => [k, parseValue(v)])));
    return values;
}

/** The files `render --out` writes: `NNN-<object>.yaml`. */
const RENDERED_FILE = /^\d{3}-.+\.yaml$/;
/** A file of `render --out`: written into a directory emptied of an earlier render's files. */
const RENDERED: OwnFile = { expected: "a new file in a directory lab render writes", ours: () => true };
/** The page `status --html` writes: a new file, or a page an earlier `lab status --html` wrote (its generator line). */
const STATUS_PAGE: OwnFile = {
    expected: "a new file or a page lab status --html wrote before (it is replaced)",
    ours: (start) => start.includes(STATUS_PAGE_GENERATOR),
};

/**
 * Empties `dir` of an earlier render's files, so that `kubectl apply -f DIR` applies this render alone; a
 * directory holding anything else is refused, naming it, and nothing is removed.
 */
function clearEarlierRender(dir: string): void {
    const entries = readdirSync(dir);
    const foreign = entries.filter((e) => !RENDERED_FILE.test(e) || !statSync(path.join(dir, e)).isFile());
    if (foreign.length > 0) {
        const shown = foreign.slice(0, 3).join(", ") + (foreign.length > 3 ? `, ... (${foreign.length} in all)` : "");
        throw new UsageError(
            `--out ${dir}: holds files lab render did not write (${shown}); expected a new or empty directory, or one an earlier lab render wrote (its files are replaced)`,
        );
    }
    for (const e of entries) {
        rmSync(path.join(dir, e));
    }
}

/** The `attendees` stack output of a run (the program's {@link AttendeeRow}s; null without a class). */
function attendeeRows(outputs: Readonly<Record<string, unknown>>): AttendeeRow[] | null {
    return (outputs.attendees ?? null) as AttendeeRow[] | null;
}

/** The attendees as a table to print and hand out. */
export function formatAttendees(rows: readonly AttendeeRow[]): string {
    const weights = (w: AttendeeRow["weights"]) =>
        w === null
            ? "-"
            : Object.entries(w)
                  .map(([version, weight]) => `${version} ${weight}`)
                  .join(", ");
    const access = rows.find((r) => r.access !== undefined)?.access;
    const table = [
        ["ATTENDEE", "NAMESPACE", "URL", "WEIGHTS", ...(access ? ["ACCESS"] : [])],
        ...rows.map((r) => [r.attendee, r.namespace, r.url, weights(r.weights), ...(access ? [r.access?.subject ?? "-"] : [])]),
    ];
    const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    const text = table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")).join("\n");
    return access
        ? `${text}\n\neach attendee owns (the class's pulumi up leaves them as the attendee sets them): ${access.owns.join(", ")}; everything else in their namespace is the instructor's`
        : text;
}

/** For a run of another file's config: its bad values are reported as being in that file. */
function inFile(file: string | undefined): (e: unknown) => never {
    return (e: unknown) => {
        if (file !== undefined && e instanceof LabInputError) {
            throw new UsageError(`in ${file}: ${e.message}`);
        }
        throw e;
    };
}

/** Runs one command with its arguments; never exits the process itself. What it prints has its control characters escaped. */
export async function lab(given: readonly string[]): Promise<CommandResult> {
    const argv = normalizeArgv(given, ALL_COMMANDS, STRING_OPTIONS);
    const parsed = parseLabArgs(argv);
    const r = "code" in parsed ? parsed : await runCommand(parsed.command, parsed.values);
    // --json prints JSON on every exit: a refusal is {"error": ...} on stdout too.
    const json = argv.includes("--json") && r.code === 2 && r.stdout === "";
    const stdout = json ? `${JSON.stringify({ error: r.stderr.trim().split("\n")[0] })}\n` : r.stdout;
    return { ...r, stdout: printable(stdout), stderr: printable(r.stderr) };
}

/** Every option of the offline commands (each command takes those OPTIONS_OF names). */
const LAB_OPTIONS = {
    stack: { type: "string" },
    config: { type: "string" },
    set: { type: "string", multiple: true },
    json: { type: "boolean" },
    out: { type: "string" },
    against: { type: "string" },
    step: { type: "string" },
    attendee: { type: "string" },
    kubeconfig: { type: "string" },
    istiod: { type: "string" },
    level: { type: "string" },
    watch: { type: "boolean" },
    timeout: { type: "string" },
    html: { type: "string" },
    probe: { type: "boolean" },
    url: { type: "string" },
    requests: { type: "string" },
    help: { type: "boolean", short: "h" },
} as const;

/** Every command, the offline ones and those that run the engine. */
const ALL_COMMANDS: readonly string[] = [...COMMANDS, "promote", "reset"];

/** Every option that takes a value, of any command (so that a value is never taken for the command). */
const STRING_OPTIONS = stringOptions(LAB_OPTIONS, PROMOTE_OPTIONS, RESET_OPTIONS, KUBECONFIGS_OPTIONS);

/** The command line's options, as parseArgs gives them. */
type LabValues = Exclude<ReturnType<typeof parseOptions>, "help">["values"];

/** The line of an offline command, read by the one reader every command uses (tools/strictArgs.ts). */
function parseOptions(argv: readonly string[], command: Command | undefined) {
    return commandLine(argv, LAB_OPTIONS, (m) => new UsageError(m), {
        command,
        positionals: true,
        allowed: command === undefined ? Object.keys(LAB_OPTIONS) : [...OPTIONS_OF[command], "help"],
    });
}

/** The command and its options, or what to print instead (the usage, or a refusal naming the option). */
function parseLabArgs(argv: readonly string[]): CommandResult | { command: Command; values: LabValues } {
    const named = COMMANDS.find((c) => c === argv[0]);
    let args: Exclude<ReturnType<typeof parseOptions>, "help">;
    try {
        const line = parseOptions(argv, named);
        if (line === "help") {
            return { stdout: `${named === undefined ? USAGE : commandUsage(USAGE, named, OPTIONS_OF[named])}\n`, stderr: "", code: 0 };
        }
        args = line;
    } catch (e) {
        if (e instanceof UsageError) {
            return { stdout: "", stderr: `${e.message}\n`, code: 2 };
        }
        throw e;
    }
    if (args.values.json && args.values.out !== undefined) {
        return {
            stdout: "",
            stderr: "--json and --out are not allowed together; --out writes one YAML file per object, --json prints them all as JSON\n",
            code: 2,
        };
    }
    const [command, ...rest] = args.positionals;
    if (command === undefined) {
        return { stdout: `${USAGE}\n`, stderr: "", code: 0 };
    }
    if (COMMANDS.includes(command as Command) && rest.length > 0) {
        return {
            stdout: "",
            stderr: `unexpected argument ${JSON.stringify(rest[0])}; ${command} takes options only (npm run --silent lab -- ${command} --help)\n`,
            code: 2,
        };
    }
    if (!COMMANDS.includes(command as Command)) {
        return {
            stdout: "",
            stderr: `unknown command ${JSON.stringify([command, ...rest].join(" "))}\n${USAGE}\n`,
            code: 2,
        };
    }
    const allowed = OPTIONS_OF[command as Command];
    const misplaced = Object.keys(args.values).find((o) => o !== "help" && !allowed.includes(o));
    if (misplaced !== undefined) {
        return {
            stdout: "",
            stderr: `option --${misplaced} is not allowed for ${command}; expected one of ${allowed.map((o) => `--${o}`).join(", ")}\n`,
            code: 2,
        };
    }
    if (args.values.stack !== undefined && args.values.config !== undefined) {
        return { stdout: "", stderr: `--stack and --config are not allowed together; give one\n${USAGE}\n`, code: 2 };
    }
    return { command: command as Command, values: args.values };
}

/** Runs a parsed command: the stack's config (a check's at its step), the program under mocks, then the command. */
async function runCommand(command: Command, values: LabValues): Promise<CommandResult> {
    try {
        const file = values.config ?? stackFile(values.stack ?? "dev");
        const base = readConfigFile(file);
        const overrides = overridesOf(values.set ?? []);
        let configured = configure(file, base, overrides);
        // check: the step's config over the stack's (its expected state is what the program makes of it).
        let step: LabStep | undefined;
        if (command === "check") {
            const attendee = values.attendee;
            step = stepOf(configured, values.step, attendee);
            configured =
                attendee === undefined
                    ? stepConfig(configured, parseConfig(configured), step)
                    : attendeeStepConfig(configured, parseConfig(configured), step, [attendee]);
        }
        const stack = values.stack ?? (values.config ? path.basename(file).replace(/^Pulumi\.|\.yaml$/g, "") : "dev");

        // A secure value given with --set is still the stack's secret: rendered redacted, named in messages.
        // The checks (validate, matrix, diff) read it as the program would, decrypted; what they print hides it.
        const secretKeys = [...new Set(base.secure.map((x) => x.key))];
        const reveal = command !== "render";
        const run = await runLab(configured, { stack, secretKeys, reveal });
        const objects = render(run.resources);
        const result =
            command === "check"
                ? await checkResult(values, { stack, run, objects, step: step! })
                : command === "status"
                  ? await statusResult(values, { stack, configured, run, objects, secretKeys })
                  : await commandResult(command, values, {
                        file,
                        base,
                        overrides,
                        stack,
                        run,
                        objects,
                    });
        return { ...result, stdout: redact(result.stdout, run.config.secrets), stderr: redact(result.stderr, run.config.secrets) };
    } catch (e) {
        if (e instanceof LabInputError || e instanceof UsageError || e instanceof ConfigFileError || e instanceof OutputFileError) {
            return { stdout: "", stderr: `${e.message}\n`, code: 2 };
        }
        throw e;
    }
}

/** What a command works on: the stack's config file and overrides, and the run of the program on them. */
interface CommandInputs {
    readonly file: string;
    readonly base: StackFile;
    readonly overrides: Record<string, string>;
    readonly stack: string;
    readonly run: Awaited<ReturnType<typeof runLab>>;
    readonly objects: RenderedObject[];
}

/** What one command found, from the run of the stack's config. */
async function commandResult(
    command: Exclude<Command, "check" | "status">,
    values: { json?: boolean; out?: string; against?: string },
    x: CommandInputs,
): Promise<CommandResult> {
    const { run, objects } = x;
    switch (command) {
        case "render":
            return renderResult(values, objects, (text) => redact(text, run.config.secrets));
        case "validate": {
            const problems = [
                ...configProblems(run.config),
                ...schemaProblems(objects),
                ...meshProblems(objects),
                ...admissionProblems(objects),
                ...orderingProblems(run.resources, objects),
                ...policyProblems(objects, run.config),
            ];
            const text = values.json ? JSON.stringify(problems, null, 2) : formatProblems(problems);
            const notes = [...clusterNotes(run.config), ...imageNotes(containerImages(objects))].map((n) => `note: ${n}\n`).join("");
            return { stdout: `${text}\n`, stderr: notes, code: problems.length > 0 ? 1 : 0 };
        }
        case "matrix": {
            const results = probeMatrix(objects, run.config.controlPlane.namespace);
            if (results.length === 0) {
                return { stdout: "", stderr: "this lab has no workloads to probe (add the mtlsLab or guestbook stage)\n", code: 1 };
            }
            return { stdout: `${values.json ? JSON.stringify(results, null, 2) : formatMatrix(results)}\n`, stderr: "", code: 0 };
        }
        case "attendees": {
            const rows = attendeeRows(run.outputs);
            if (!rows) {
                return {
                    stdout: "",
                    stderr: "this lab has no attendees (set istio-lab:attendees to a count or a list of names)\n",
                    code: 1,
                };
            }
            return { stdout: `${values.json ? JSON.stringify(rows, null, 2) : formatAttendees(rows)}\n`, stderr: "", code: 0 };
        }
        case "steps": {
            const steps = stepsOf(run.config);
            if (steps.length === 0) {
                return {
                    stdout: "",
                    stderr: "this lab has no steps (the traffic lab needs the guestbook and traffic stages, the peer authentication lab mtlsLab and peerAuth)\n",
                    code: 1,
                };
            }
            const rows = steps.map((s) => ({ name: s.name, lab: s.lab, title: s.title, seed: s.seed, set: stepSettings(run.config, s) }));
            return { stdout: `${values.json ? JSON.stringify(rows, null, 2) : formatSteps(run.config, steps)}\n`, stderr: "", code: 0 };
        }
        case "diff":
            return diffResult(values, x);
    }
    return { stdout: "", stderr: USAGE, code: 2 };
}

/** `lab render`: every object as YAML (or JSON), or one file per object with --out. */
function renderResult(values: { json?: boolean; out?: string }, objects: RenderedObject[], hide: (text: string) => string): CommandResult {
    if (values.out) {
        outputDirectory("--out", values.out);
        clearEarlierRender(values.out);
        objects.forEach((o, i) => {
            const fileName = `${String(i + 1).padStart(3, "0")}-${objectId(o).replace(/[ /]/g, "_")}.yaml`;
            writeOutputFile("--out", path.join(values.out!, fileName), hide(`${toYaml([o])}\n`), RENDERED);
        });
        return { stdout: `wrote ${objects.length} objects to ${values.out}\n`, stderr: "", code: 0 };
    }
    const text = values.json ? JSON.stringify(objects, null, 2) : toYaml(objects);
    return { stdout: `${text}\n`, stderr: "", code: 0 };
}

/**
 * `lab diff`: against another config file (the base branch's), or against this stack without the
 * overrides; a secure value given with --set is the stack's value on both sides.
 */
async function diffResult(values: { json?: boolean; against?: string }, x: CommandInputs): Promise<CommandResult> {
    const { file, base, overrides, stack, run, objects } = x;
    const against = values.against;
    const secureOf = (f: StackFile) => Object.fromEntries(Object.entries(overrides).filter(([k]) => f.secure.some((s) => s.key === k)));
    const againstFile = against === undefined ? base : readConfigFile(against);
    const reference = configure(against ?? file, againstFile, secureOf(againstFile));
    const referenceKeys = [...new Set(againstFile.secure.map((s) => s.key))];
    const beforeRun = await runLab(reference, { stack, secretKeys: referenceKeys, reveal: true }).catch(inFile(against));
    const before = render(beforeRun.resources);
    const ignoredOf = new Map(run.resources.map((r) => [r.key, r.ignoreChanges]));
    const changes = withReissued(
        diffRenders(before, objects, (o) => ignoredOf.get(`${o.type}::${o.name}`) ?? []),
        reissuedSecrets(beforeRun.resources, run.resources),
        objects,
    );
    return { stdout: `${values.json ? JSON.stringify(changes, null, 2) : formatDiff(changes)}\n`, stderr: "", code: 0 };
}

/** The `--step` of `check`, or a usage error naming what the stack allows. */
function stepOf(configured: Readonly<Record<string, string>>, name: string | undefined, attendee?: string): LabStep {
    const config = parseConfig(configured);
    if (attendee !== undefined && name !== undefined) {
        const mine = findAttendeeStep(config, name, attendee);
        if (typeof mine === "string") {
            throw new UsageError(mine);
        }
        return mine;
    }
    if (name === undefined) {
        throw new UsageError(
            `check needs --step NAME; expected one of ${
                stepsOf(config)
                    .map((s) => s.name)
                    .join(", ") || "none (this stack has no lab steps)"
            }`,
        );
    }
    const step = findStep(config, name);
    if (typeof step === "string") {
        throw new UsageError(step);
    }
    if (config.attendees && attendeeStepsOf(config).some((s) => s.name === step.name)) {
        throw new UsageError(
            `--step ${JSON.stringify(name)} is each attendee's in a class; give --attendee NAME (${config.attendees
                .slice(0, 5)
                .map((a) => a.name)
                .join(", ")}${config.attendees.length > 5 ? ", ..." : ""})`,
        );
    }
    return step;
}

/** `--level`'s list, or a usage error naming the bad one. */
function levelsOf(value: string | undefined): Level[] {
    if (value === undefined) {
        return [...LEVELS];
    }
    const levels = value.split(",").map((l) => l.trim());
    const bad = levels.find((l) => !LEVELS.includes(l as Level));
    if (bad !== undefined || levels.length === 0) {
        throw new UsageError(
            `--level ${JSON.stringify(value)}: ${JSON.stringify(bad)} is not a level; expected objects, mesh or objects,mesh`,
        );
    }
    return levels as Level[];
}

/** `--timeout`'s seconds, or a usage error. */
function timeoutOf(value: string | undefined, watch: boolean | undefined): number {
    if (value === undefined) {
        return 120;
    }
    if (!watch) {
        throw new UsageError("--timeout is for --watch; give --watch too, or leave --timeout out");
    }
    if (!/^[0-9]+$/.test(value) || Number(value) < 1 || Number(value) > 3600) {
        throw new UsageError(`--timeout ${JSON.stringify(value)} is not allowed; expected whole seconds from 1 to 3600`);
    }
    return Number(value);
}

/** Where the mesh level reads what Istio sends: istiod over xDS with --istiod, else each proxy's config dump. */
function sourceOf(kube: Kube, istiod: string | undefined): MeshSource {
    if (istiod === undefined) {
        return configDumpSource(kube);
    }
    const problem = hostPortProblem(istiod);
    if (problem !== undefined) {
        throw new UsageError(
            `--istiod ${JSON.stringify(istiod)} is not allowed (${problem}); expected HOST:PORT of istiod's plaintext xDS port (a DNS name or an IP address, IPv6 in brackets, and a port from 1 to 65535), e.g. 127.0.0.1:15010`,
        );
    }
    const xdsdump = process.env.ISTIO_LAB_XDSDUMP;
    if (!xdsdump) {
        throw new UsageError(
            "--istiod needs ISTIO_LAB_XDSDUMP: the path of the harness's xDS client (npm run e2e:tools builds it; the sandbox prints it)",
        );
    }
    return istiodSource(xdsdump, istiod);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `--kubeconfig FILE` (check, status): a kube config file; a directory (attendees' kubeconfigs) or a FIFO is refused, naming it. */
function kubeconfigFile(file: string | undefined): string | undefined {
    if (file === undefined) {
        return undefined;
    }
    if (!existsSync(file)) {
        throw new UsageError(`--kubeconfig ${file}: no such file; expected the kube config file of the cluster to read`);
    }
    const st = statSync(file);
    if (!st.isFile()) {
        throw new UsageError(
            `--kubeconfig ${file}: it is ${kindOf(st)}; expected a kube config file (attendees' kubeconfigs are written with attendees --kubeconfig-dir DIR)`,
        );
    }
    return file;
}

/** `--url`: an http or https URL of a host and, if given, a port from 1 to 65535. */
function checkUrl(value: string): void {
    if (!isHttpUrl(value)) {
        throw new UsageError(
            `--url ${JSON.stringify(value)} is not allowed; expected an http:// or https:// URL of a host and a port from 1 to 65535, e.g. the stack's labUrl (pulumi stack output labUrl)`,
        );
    }
}

/**
 * The traffic lab's probe `--probe --url` asks for (the step's split, for one attendee with --attendee), or
 * undefined; refuses --url and --requests without what they need, and --probe with nothing to probe.
 */
function trafficProbeOf(
    values: { probe?: boolean; url?: string; requests?: string; attendee?: string },
    x: { run: Awaited<ReturnType<typeof runLab>>; objects: RenderedObject[] },
): TrafficProbe | undefined {
    const sleeps = sleepNamespaces(x.objects).size > 0;
    const config = x.run.config;
    const hasTraffic = config.stages.includes("guestbook") && config.stages.includes("traffic");
    // An address is checked as one before anything else is said of it.
    if (values.url !== undefined) {
        checkUrl(values.url);
    }
    if (values.url === undefined) {
        if (values.requests !== undefined) {
            throw new UsageError("--requests is for --probe --url; give --url too, or leave --requests out");
        }
        if (values.probe && !sleeps) {
            throw new UsageError(
                hasTraffic
                    ? "--probe on the traffic lab needs --url URL: the guestbook's address (pulumi stack output labUrl, or your route)"
                    : "--probe calls each httpbin from each sleep (the mtlsLab stage) or the guestbook through --url (the guestbook and traffic stages); this lab has neither",
            );
        }
        return undefined;
    }
    if (!values.probe) {
        throw new UsageError("--url is for --probe; give --probe too, or leave --url out");
    }
    if (!hasTraffic) {
        throw new UsageError(
            "--url counts the guestbook's versions against the traffic split; this lab has no guestbook and traffic stages",
        );
    }
    const requests = values.requests ?? "100";
    if (!/^[0-9]+$/.test(requests) || Number(requests) < 10 || Number(requests) > 10000) {
        throw new UsageError(`--requests ${JSON.stringify(requests)} is not allowed; expected a whole number from 10 to 10000`);
    }
    const me = values.attendee === undefined ? undefined : config.attendees?.find((a) => a.name === values.attendee);
    const namespace = me?.namespace ?? config.guestbook.namespace;
    const rows = attendeeRows(x.run.outputs);
    const classSplit = (x.run.outputs.trafficSplit ?? null) as ProbeSplit | null;
    const weights = me ? rows?.find((r) => r.attendee === me.name)?.weights : classSplit?.weights;
    if (!weights) {
        throw new UsageError("--url needs the step's traffic split; this lab's routing names no weights");
    }
    const split: ProbeSplit = { weights, abTest: me ? (me.abTest ?? null) : (classSplit?.abTest ?? null) };
    return {
        url: values.url,
        requests: Number(requests),
        namespace,
        split,
        rows: probeMatrix(x.objects, config.controlPlane.namespace),
        versions: config.guestbook.versions.map((v) => v.name),
        deployments: versionDeployments(
            x.objects,
            namespace,
            config.guestbook.versions.map((v) => v.name),
        ),
    };
}

/** `lab check`: reads the cluster (again every 2 s with --watch) until the step holds or the time is up. */
async function checkResult(
    values: {
        json?: boolean;
        attendee?: string;
        kubeconfig?: string;
        istiod?: string;
        level?: string;
        watch?: boolean;
        timeout?: string;
        probe?: boolean;
        url?: string;
        requests?: string;
    },
    x: { stack: string; run: Awaited<ReturnType<typeof runLab>>; objects: RenderedObject[]; step: LabStep },
): Promise<CommandResult> {
    const levels = levelsOf(values.level);
    const timeout = timeoutOf(values.timeout, values.watch);
    const traffic = trafficProbeOf(values, x);
    const deadline = Date.now() + timeout * 1000;
    const kube = kubectlOf({ kubeconfig: kubeconfigFile(values.kubeconfig), deadline });
    const source = sourceOf(kube, values.istiod);
    const split = (x.run.outputs.trafficSplit ?? null) as Split;
    let report: CheckReport;
    try {
        for (;;) {
            if (values.attendee === undefined) {
                report = checkStep({ step: x.step, stack: x.stack, objects: x.objects, config: x.run.config, split, kube, source, levels });
            } else {
                const read = readCluster(kube, source, namespacesOf(x.objects), levels);
                const scoped = attendeeScope(
                    { objects: x.objects, config: x.run.config, rows: attendeeRows(x.run.outputs) },
                    read,
                    values.attendee,
                );
                report = evaluateStep(x.step, `${x.stack} (attendee ${values.attendee})`, scoped.want, scoped.read, levels);
            }
            if (values.probe) {
                const levels: LevelReport[] = [];
                if (sleepNamespaces(x.objects).size > 0) {
                    levels.push(probesLevel(x.objects, x.run.config.controlPlane.namespace, kube));
                }
                if (traffic) {
                    levels.push(await trafficProbeLevel(traffic, deadline));
                }
                const probes: LevelReport = {
                    checked: levels.reduce((n, l) => n + l.checked, 0),
                    differences: levels.flatMap((l) => l.differences),
                    source: levels.map((l) => l.source).join("; "),
                };
                report = { ...report, levels: { ...report.levels, probes } };
            }
            if (passed(report) || !values.watch || Date.now() + 2000 > deadline) {
                break;
            }
            await sleep(2000);
        }
    } catch (e) {
        if (e instanceof ClusterError) {
            // The FAIL: line workshop adapters look for is there whenever the step is not known to hold (--json: {"error"}).
            const fail = values.json ? "" : `FAIL: step ${x.step.name} could not be checked: ${e.message}\n`;
            return { stdout: fail, stderr: `cannot check step ${x.step.name}: ${e.message}\n`, code: 2 };
        }
        throw e;
    }
    const text = values.json ? JSON.stringify({ ...report, passed: passed(report) }, null, 2) : formatCheck(report, x.step);
    return { stdout: `${text}\n`, stderr: "", code: passed(report) ? 0 : 1 };
}

/** `lab status`: every attendee of the class against each of their steps, from one read of the cluster. */
async function statusResult(
    values: { json?: boolean; html?: string; kubeconfig?: string; istiod?: string; level?: string },
    x: {
        stack: string;
        configured: Record<string, string>;
        run: Awaited<ReturnType<typeof runLab>>;
        objects: readonly RenderedObject[];
        secretKeys: string[];
    },
): Promise<CommandResult> {
    const config = x.run.config;
    if (!config.attendees) {
        throw new UsageError(
            `status is a class's: stack ${x.stack} has no attendees (istio-lab:attendees is not set); for one lab use check --step`,
        );
    }
    const steps = attendeeStepsOf(config);
    if (steps.length === 0) {
        throw new UsageError(`stack ${x.stack} has no steps an attendee takes (the traffic lab needs the guestbook and traffic stages)`);
    }
    const levels = levelsOf(values.level);
    const kube = kubectlOf({ kubeconfig: kubeconfigFile(values.kubeconfig) });
    const source = sourceOf(kube, values.istiod);
    // The cluster first (one read; the class's namespaces are the same at every step), so an unreachable one fails at once.
    let read: ClusterRead;
    try {
        read = readCluster(kube, source, namespacesOf(x.objects), levels);
    } catch (e) {
        if (e instanceof ClusterError) {
            return { stdout: "", stderr: `cannot read the class ${x.stack}: ${e.message}\n`, code: 2 };
        }
        throw e;
    }
    // Nothing of the class on the cluster: say so, instead of every attendee diverged at every step.
    const absent = notDeployed({ objects: x.objects, config, split: null }, read, x.stack);
    if (absent !== undefined) {
        const error = `class ${x.stack} is ${absent.why}`;
        return { stdout: values.json ? `${JSON.stringify({ error })}\n` : "", stderr: `${error}\n`, code: 1 };
    }
    const names = config.attendees.map((a) => a.name);
    // Each step's expected state for the whole class at once (every attendee at it), from the program itself.
    const classSteps: ClassStep[] = [];
    for (const step of steps) {
        const run = await runLab(attendeeStepConfig(x.configured, config, step, names), {
            stack: x.stack,
            secretKeys: x.secretKeys,
            reveal: true,
        });
        classSteps.push({ step, objects: render(run.resources), config: run.config, rows: attendeeRows(run.outputs) });
    }
    // The step an attendee's settings equal, if any: each step's run has every attendee at that step.
    const own = (c: LabConfig, name: string) => {
        const a = c.attendees?.find((t) => t.name === name);
        return JSON.stringify(ATTENDEE_OWN.map((k) => a?.[k] ?? null));
    };
    const configured = (name: string) => classSteps.find((s) => own(s.config, name) === own(config, name))?.step.name ?? null;
    const status: ClassStatus = classStatus({ stack: x.stack, attendees: config.attendees, steps: classSteps, read, levels, configured });
    if (values.html !== undefined) {
        writeOutputFile("--html", values.html, redact(statusHtml(status, new Date().toISOString()), x.run.config.secrets), STATUS_PAGE);
    }
    const text = values.json ? JSON.stringify(status, null, 2) : formatStatus(status);
    return { stdout: `${text}\n${values.html !== undefined && !values.json ? `wrote ${values.html}\n` : ""}`, stderr: "", code: 0 };
}

/** Runs the command line, prints the result and sets the exit status. */
export async function main(given: readonly string[]): Promise<void> {
    quietOnClosedPipe();
    // The command first wherever it was given (lab --stack dev reset ...), as every command reads it.
    const argv = normalizeArgv(given, ALL_COMMANDS, STRING_OPTIONS);
    const line = (l: string) => process.stdout.write(`${printable(l)}\n`);
    try {
        // promote runs the real engine and reports as it goes, so it prints its own lines.
        if (argv[0] === "promote") {
            process.exitCode = await promoteMain(argv.slice(1), line);
            return;
        }
        if (argv[0] === "reset") {
            process.exitCode = await resetMain(argv.slice(1), line);
            return;
        }
        // attendees --kubeconfig reads the deployed stack's outputs (its tokens) through the Pulumi CLI.
        if (argv[0] === "attendees" && argv.some((a) => /^--kubeconfig(-dir)?(=|$)/.test(a))) {
            process.exitCode = await kubeconfigsMain(argv.slice(1), line);
            return;
        }
        const r = await lab(argv);
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
        process.exitCode = r.code;
    } catch (e) {
        // Never a stack trace: one line, and where it came from only when asked for.
        const where = process.env.ISTIO_LAB_DEBUG ? `\n${(e as Error).stack ?? ""}` : " (ISTIO_LAB_DEBUG=1 prints where)";
        process.stderr.write(`lab: unexpected error: ${printable((e as Error).message ?? String(e))}${where}\n`);
        process.exitCode = 2;
    }
}

if (require.main === module) {
    void main(process.argv.slice(2));
}
