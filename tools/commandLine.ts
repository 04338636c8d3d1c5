// One set of rules for every `lab` command's command line, before any command's own parser reads it: the
// command may come after options (`lab --stack dev reset ...`), a string option's value may start with a dash
// (`--timeout -5` reaches the option's own range check, not Node's "argument is ambiguous"), an unknown option
// is named with the options the command takes, and `NAME --help` prints that command's usage.
import { RE2JS } from "re2js";
import { linear } from "../components/linear";

/**
 * `argv` with the command first wherever it was given, and `--name value` written `--name=value` for each
 * string option (`stringOptions`) whose value starts with a single dash. A token that is a string option's
 * value is never taken for the command.
 */
export function normalizeArgv(argv: readonly string[], commands: readonly string[], stringOptions: ReadonlySet<string>): string[] {
    const out: string[] = [];
    let command: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--") {
            out.push(...argv.slice(i));
            break;
        }
        const name = /^--([^=]+)$/.exec(a)?.[1];
        const next = argv[i + 1];
        if (name !== undefined && stringOptions.has(name) && next !== undefined && !next.startsWith("--")) {
            out.push(next.startsWith("-") ? `${a}=${next}` : a, ...(next.startsWith("-") ? [] : [next]));
            i++;
        } else if (command === undefined && commands.includes(a)) {
            command = a;
        } else {
            out.push(a);
        }
    }
    return command === undefined ? out : [command, ...out];
}

/** The names of the options that take a value, in any of `optionSets` (parseArgs' option tables). */
export function stringOptions(...optionSets: ReadonlyArray<Readonly<Record<string, { readonly type: string }>>>): ReadonlySet<string> {
    return new Set(optionSets.flatMap((o) => Object.entries(o).flatMap(([name, option]) => (option.type === "string" ? [name] : []))));
}

/** Node's parseArgs messages in the words of the command line: the option named with what the command takes. */
export function argsMessage(message: string, command: string | undefined, allowed: readonly string[]): string {
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    const options = allowed.map((o) => `--${o}`).join(", ");
    if (unknown !== undefined) {
        return `option ${unknown} is not allowed${command ? ` for ${command}` : ""}; expected one of ${options}`;
    }
    const option = /^Option '(?:-\w, )?(--[\w-]+)/.exec(message)?.[1];
    if (option !== undefined && message.includes("argument is ambiguous")) {
        return `${option} needs a value before the next option; give ${option} VALUE`;
    }
    if (option !== undefined && message.includes("argument missing")) {
        return `${option} needs a value; give ${option} VALUE`;
    }
    return message.split(". ")[0];
}

/**
 * One command's usage, cut from the whole usage text: its line of the command list, and each option it takes
 * with every line of that option's description.
 */
export function commandUsage(usage: string, command: string, options: readonly string[]): string {
    const lines = usage.split("\n");
    const summary: string[] = [];
    const start = lines.findIndex((l) => l.startsWith(`  ${command} `));
    if (start >= 0) {
        summary.push(lines[start].trim().slice(command.length).trim());
        for (let i = start + 1; i < lines.length && /^ {5,}\S/.test(lines[i]); i++) {
            summary.push(lines[i].trim());
        }
    }
    const blocks: string[] = [];
    for (const option of [...options, "help"]) {
        const heading = linear(`^  (-h, )?--${RE2JS.quote(option)}( |$)`);
        const at = lines.findIndex((l) => heading.test(l));
        if (at < 0) {
            continue;
        }
        blocks.push(lines[at]);
        for (let i = at + 1; i < lines.length && /^ {5,}\S/.test(lines[i]); i++) {
            blocks.push(lines[i]);
        }
    }
    return `usage: npm run --silent lab -- ${command} [options]\n\n${summary.join(" ")}\n\noptions:\n${blocks.join("\n")}`;
}
