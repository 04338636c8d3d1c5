// The command line of a `lab` command that takes options only (`lab reset`, `lab promote`), read strictly:
// an unknown option is named with the ones allowed, an option given twice or with an empty value is refused,
// and `--help` wins. The caller's error class carries the message (exit 2).
import { ParseArgsConfig, parseArgs } from "util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The options' values, or "help"; throws `fail(message)` naming what is wrong. */
export function strictArgs<O extends Options>(
    argv: readonly string[],
    options: O,
    fail: (message: string) => Error,
): ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false; tokens: true }>>["values"] | "help" {
    let parsed;
    try {
        parsed = parseArgs({ args: [...argv], options, allowPositionals: false, strict: true, tokens: true });
    } catch (e) {
        const unknown = /^Unknown option '([^']+)'/.exec((e as Error).message);
        throw fail(
            unknown
                ? `option ${unknown[1]} is not allowed; expected one of ${Object.keys(options)
                      .map((o) => `--${o}`)
                      .join(", ")}`
                : (e as Error).message.split(". ")[0],
        );
    }
    const names = parsed.tokens.flatMap((t) => (t.kind === "option" ? [t.name] : []));
    const twice = names.find((n, i) => names.indexOf(n) !== i);
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
    return parsed.values;
}
