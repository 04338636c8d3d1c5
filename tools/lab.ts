// `npm run lab -- <command>`: the lab program run offline under Pulumi's mocks, for reviewers and CI
// with no cluster and no Pulumi CLI. Exit 0 on success, 1 when the command found problems, 2 on bad
// arguments or bad config.
import { mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { stringify } from "yaml";
import { LabInputError } from "../components/lab";
import { diffRenders, formatDiff } from "./diff";
import { runLab } from "./engine";
import { formatMatrix, probeMatrix } from "./matrix";
import { RenderedObject, objectId, render } from "./render";
import { schemaProblems } from "./schemas";
import { formatProblems, meshProblems, orderingProblems } from "./validate";
import { readStackConfig, stackFile } from "./stackConfig";

/** The commands. */
export const COMMANDS = ["render", "validate", "matrix", "diff"] as const;

const USAGE = `usage: npm run --silent lab -- <${COMMANDS.join("|")}> [--stack NAME | --config FILE] [--set key=value ...] [--json] [--out DIR] [--against FILE]`;

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
    const key = assignment.slice(0, eq);
    return [key.includes(":") ? key : `istio-lab:${key}`, assignment.slice(eq + 1)];
}

function toYaml(objects: readonly RenderedObject[]): string {
    return objects
        .map((o) => `# ${o.type} ${o.name}${o.parent ? ` (parent: ${o.parent})` : ""}\n${stringify(o.manifest).trimEnd()}`)
        .join("\n---\n");
}

function readConfigFile(file: string): Record<string, string> {
    try {
        return readStackConfig(file);
    } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
}

/** Runs one command with its arguments; never exits the process itself. */
export async function lab(argv: readonly string[]): Promise<CommandResult> {
    let args;
    try {
        args = parseArgs({
            args: [...argv],
            allowPositionals: true,
            options: {
                stack: { type: "string" },
                config: { type: "string" },
                set: { type: "string", multiple: true },
                json: { type: "boolean" },
                out: { type: "string" },
                against: { type: "string" },
            },
        });
    } catch (e) {
        return { stdout: "", stderr: `${(e as Error).message}\n${USAGE}\n`, code: 2 };
    }
    const [command, ...rest] = args.positionals;
    if (!COMMANDS.includes(command as (typeof COMMANDS)[number]) || rest.length > 0) {
        return {
            stdout: "",
            stderr: `${command === undefined ? "no command" : `unknown command ${JSON.stringify([command, ...rest].join(" "))}`}\n${USAGE}\n`,
            code: 2,
        };
    }
    if (args.values.stack !== undefined && args.values.config !== undefined) {
        return { stdout: "", stderr: `--stack and --config are not allowed together; give one\n${USAGE}\n`, code: 2 };
    }

    try {
        const file = args.values.config ?? stackFile(args.values.stack ?? "dev");
        const base = readConfigFile(file);
        const overrides = Object.fromEntries((args.values.set ?? []).map(parseSet));
        const configured = { ...base, ...overrides };
        const stack = args.values.stack ?? (args.values.config ? path.basename(file).replace(/^Pulumi\.|\.yaml$/g, "") : "dev");

        const run = await runLab(configured, { stack });
        const objects = render(run.resources);
        switch (command) {
            case "render": {
                if (args.values.out) {
                    mkdirSync(args.values.out, { recursive: true });
                    objects.forEach((o, i) => {
                        const fileName = `${String(i + 1).padStart(3, "0")}-${objectId(o).replace(/[ /]/g, "_")}.yaml`;
                        writeFileSync(path.join(args.values.out!, fileName), `${toYaml([o])}\n`);
                    });
                    return { stdout: `wrote ${objects.length} objects to ${args.values.out}\n`, stderr: "", code: 0 };
                }
                const text = args.values.json ? JSON.stringify(objects, null, 2) : toYaml(objects);
                return { stdout: `${text}\n`, stderr: "", code: 0 };
            }
            case "validate": {
                const problems = [...schemaProblems(objects), ...meshProblems(objects), ...orderingProblems(run.resources, objects)];
                const text = args.values.json ? JSON.stringify(problems, null, 2) : formatProblems(problems);
                return { stdout: `${text}\n`, stderr: "", code: problems.length > 0 ? 1 : 0 };
            }
            case "matrix": {
                const results = probeMatrix(objects, run.config.controlPlane.namespace);
                if (results.length === 0) {
                    return { stdout: "", stderr: "this lab has no workloads to probe (add the mtlsLab or guestbook stage)\n", code: 1 };
                }
                return { stdout: `${args.values.json ? JSON.stringify(results, null, 2) : formatMatrix(results)}\n`, stderr: "", code: 0 };
            }
            case "diff": {
                // Against another config file (the base branch's), or against this stack without the overrides.
                const reference = args.values.against === undefined ? base : readConfigFile(args.values.against);
                const before = render((await runLab(reference, { stack })).resources);
                const changes = diffRenders(before, objects);
                return { stdout: `${args.values.json ? JSON.stringify(changes, null, 2) : formatDiff(changes)}\n`, stderr: "", code: 0 };
            }
        }
        return { stdout: "", stderr: USAGE, code: 2 };
    } catch (e) {
        if (e instanceof LabInputError || e instanceof UsageError) {
            return { stdout: "", stderr: `${e.message}\n`, code: 2 };
        }
        throw e;
    }
}

/** Runs the command line, prints the result and sets the exit status. */
export async function main(argv: readonly string[]): Promise<void> {
    try {
        const r = await lab(argv);
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
        process.exitCode = r.code;
    } catch (e) {
        process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
        process.exitCode = 2;
    }
}

if (require.main === module) {
    void main(process.argv.slice(2));
}
