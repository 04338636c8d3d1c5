// Regular expressions that meet config, arguments, files or cluster answers are matched by RE2 (re2js), in
// time linear in the input: a backtracking engine takes exponential time on a nested quantifier
// (`([._-][a-z0-9]+)*(\.[a-z0-9]+)*` froze `lab validate` on a 70-character registry). The patterns stay
// written as regex literals, so they read as before; tests/shape.test.ts holds every literal with two or
// more unbounded quantifiers to this.
import { RE2JS } from "re2js";

/** A compiled pattern with RegExp's `test` and `exec`, matched in linear time. */
export interface LinearPattern {
    /** True when the pattern matches somewhere in `input` (as `RegExp.prototype.test`). */
    test(input: string): boolean;
    /** The match and its groups (undefined where a group did not take part), or null (as `RegExp.prototype.exec`). */
    exec(input: string): RegExpExecArray | null;
    /** The pattern's source. */
    readonly source: string;
}

/** `re` compiled by RE2: the `i` flag is kept; `g`, `y` and lookaround are not RE2's and are refused here. */
export function linear(re: RegExp | string): LinearPattern {
    const source = typeof re === "string" ? re : re.source;
    const flags = typeof re === "string" ? "" : re.flags;
    if (/[^iu]/.test(flags)) {
        throw new Error(`linear(/${source}/${flags}): only the i and u flags are supported`);
    }
    const compiled = RE2JS.compile(source, flags.includes("i") ? RE2JS.CASE_INSENSITIVE : 0);
    return {
        source,
        test: (input) => compiled.test(input),
        exec: (input) => compiled.exec(input) as RegExpExecArray | null,
    };
}

/** `text` without the run of `char` at its end (what `/c+$/` does in quadratic time on a long run followed by another character). */
export function stripTrailing(text: string, char: string): string {
    let end = text.length;
    while (end > 0 && text[end - 1] === char) {
        end -= 1;
    }
    return text.slice(0, end);
}
