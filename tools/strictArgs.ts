// The one reader of every `lab` command's command line (the offline commands, `reset`, `promote`,
// `attendees --kubeconfig-dir`), read strictly over Node's util.parseArgs: an unknown option is named with the
// ones the command takes, a missing value is named, an option given twice (but a repeatable one) or with an
// empty value is refused, and `--help` wins. The caller's error class carries the message (exit 2).
import { ParseArgsConfig, parseArgs } from "util";
import { argsMessage } from "./commandLine";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** How a command reads its line beyond its options. */
export interface LineRules {
    /** The command's name, for messages ("option --x is not allowed for render"). */
    readonly command?: string;
    /** Positional words are allowed (the offline commands' name); else one is refused. */
    readonly positionals?: boolean;
    /** The options the command takes, when `options` holds more (every offline command's); default all of them. */
    readonly allowed?: readonly string[];
}

/** The parsed line of {@link commandLine}: the options' values and the positional words. */
export type ParsedLine<O extends Options> = {
    values: ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true; tokens: true }>>["values"];
    positionals: string[];
};

/** The command line's values and words, or "help"; throws `fail(message)` naming what is wrong. */
export function commandLine<O extends Options>(
    argv: readonly string[],
    options: O,
    fail: (message: string) => Error,
    rules: LineRules = {},
): ParsedLine<O> | "help" {
    let parsed;
    const allowed = rules.allowed ?? Object.keys(options);
    try {
        parsed = parseArgs({ args: [...argv], options, allowPositionals: rules.positionals ?? false, strict: true, tokens: true });
    } catch (e) {
        throw fail(argsMessage((e as Error).message, rules.command, allowed));
    }
    const names = parsed.tokens.flatMap((t) => (t.kind === "option" ? [t.name] : []));
    const twice = names.find((n, i) => names.indexOf(n) !== i && !(options[n] as { multiple?: boolean }).multiple);
    if (twice !== undefined) {
        throw fail(`--${twice} is given twice; give it once`);
    }
    const values = parsed.values as Record<string, unknown>;
    if (values.help === true) {
        return "help";
    }
    const empty = Object.entries(values).find(([, value]) => typeof value === "string" && value.trim() === "");
    if (empty !== undefined) {
        throw fail(`--${empty[0]} is empty; give it a value`);
    }
    return { values: parsed.values, positionals: parsed.positionals };
}

/** {@link commandLine} for a command that takes options only: its values, or "help". */
export function strictArgs<O extends Options>(
    argv: readonly string[],
    options: O,
    fail: (message: string) => Error,
    command?: string,
): ParsedLine<O>["values"] | "help" {
    const line = commandLine(argv, options, fail, { command });
    return line === "help" ? "help" : line.values;
}
