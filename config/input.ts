// Config input: the strings the Pulumi CLI hands the program (or a stack file gives the offline tools),
// turned into values without losing what the user wrote (a number JSON cannot hold, YAML's `.inf`), with no
// key that could reach a prototype, and zod's findings turned into the project's one message shape.
import { z } from "zod";
import { LabInputError, WrittenNumber, show } from "../components/lab";
import { NAMESPACE } from "./schema";

export function keyOf(path: ReadonlyArray<string | number>): string {
    return path.reduce<string>(
        (acc, seg, i) => (typeof seg === "number" ? `${acc}[${seg}]` : i === 0 ? `${NAMESPACE}:${seg}` : `${acc}.${seg}`),
        "",
    );
}

function valueAt(raw: unknown, path: ReadonlyArray<string | number>): unknown {
    return path.reduce<unknown>(
        (v, seg) => (v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[seg] : undefined),
        raw,
    );
}

/** Turns a zod issue into the project's one error shape. */
function describe(issue: z.ZodIssue, raw: unknown, schema: z.ZodTypeAny): string {
    if (issue.code === "unrecognized_keys") {
        const where = issue.path.length > 0 ? keyOf(issue.path) : NAMESPACE;
        return `${where}: key ${show(issue.keys[0])} is not allowed; expected one of ${describeKeys(issue.path, schema)}`;
    }
    return `${keyOf(issue.path)}: ${show(valueAt(raw, issue.path))} is not allowed; expected ${issue.message}`;
}

function describeKeys(path: ReadonlyArray<string | number>, schema: z.ZodTypeAny): string {
    let node: z.ZodTypeAny = schema;
    for (const seg of path) {
        node = unwrap(node);
        if (node instanceof z.ZodObject) {
            node = (node.shape as Record<string, z.ZodTypeAny>)[seg as string];
        } else if (node instanceof z.ZodArray) {
            node = node.element as z.ZodTypeAny;
        } else if (node instanceof z.ZodRecord) {
            node = node.valueSchema as z.ZodTypeAny;
        }
    }
    node = unwrap(node);
    return node instanceof z.ZodObject ? Object.keys(node.shape as object).join(", ") : "none";
}

function unwrap(node: z.ZodTypeAny): z.ZodTypeAny {
    while (node instanceof z.ZodOptional || node instanceof z.ZodEffects) {
        node = (node instanceof z.ZodOptional ? node.unwrap() : node.innerType()) as z.ZodTypeAny;
    }
    return node;
}

/** Keys that would reach an object's prototype, refused at any depth. */
const FORBIDDEN_KEYS: readonly string[] = ["__proto__", "constructor", "prototype"];

const WRITTEN = "\u0000written-number:";

/**
 * A value as the user wrote it, for what a config string cannot carry (YAML's `.inf`, `.nan`,
 * `!!binary`): the config reads it as a {@link WrittenNumber}, which no check accepts and messages show as written.
 */
export function asWritten(text: string): string {
    return WRITTEN + text;
}

/** Where the JSON number starting at `i` ends (`-?digits(.digits)?([eE][+-]?digits)?`); `i` when none starts there. */
function numberEnd(text: string, i: number): number {
    const digits = (j: number) => {
        let k = j;
        while (k < text.length && text[k] >= "0" && text[k] <= "9") {
            k += 1;
        }
        return k;
    };
    const start = text[i] === "-" ? i + 1 : i;
    let end = digits(start);
    if (end === start) {
        return i;
    }
    if (text[end] === "." && digits(end + 1) > end + 1) {
        end = digits(end + 1);
    }
    if (text[end] === "e" || text[end] === "E") {
        const sign = text[end + 1] === "+" || text[end + 1] === "-" ? end + 2 : end + 1;
        if (digits(sign) > sign) {
            end = digits(sign);
        }
    }
    return end;
}

/** Marks number tokens outside strings that JSON would not keep as written (`1e999` is Infinity). */
function markUnwritableNumbers(json: string): string {
    let out = "";
    let i = 0;
    while (i < json.length) {
        const ch = json[i];
        if (ch === '"') {
            let j = i + 1;
            while (j < json.length && json[j] !== '"') {
                j += json[j] === "\\" ? 2 : 1;
            }
            out += json.slice(i, j + 1);
            i = j + 1;
            continue;
        }
        const end = numberEnd(json, i);
        if (end > i && (i === 0 || !/[A-Za-z0-9_.]/.test(json[i - 1]))) {
            const token = json.slice(i, end);
            out += Number.isFinite(Number(token)) ? token : JSON.stringify(WRITTEN + token);
            i += token.length;
            continue;
        }
        out += ch;
        i += 1;
    }
    return out;
}

/**
 * Parses one raw config string the way the Pulumi CLI stores values: JSON when it is JSON, else the
 * string. Objects come out without a prototype, so no key can reach one; numbers JSON cannot hold
 * come out as {@link WrittenNumber}.
 */
export function parseValue(value: string): unknown {
    if (value.startsWith(WRITTEN)) {
        return new WrittenNumber(value.slice(WRITTEN.length));
    }
    try {
        return JSON.parse(markUnwritableNumbers(value), (_key, v: unknown) => {
            if (typeof v === "string" && v.startsWith(WRITTEN)) {
                return new WrittenNumber(v.slice(WRITTEN.length));
            }
            if (v !== null && typeof v === "object" && !Array.isArray(v)) {
                return Object.assign(Object.create(null) as Record<string, unknown>, v);
            }
            return v;
        }) as unknown;
    } catch {
        return value;
    }
}

/** The first key at any depth that would reach a prototype, with its path. */
function forbiddenKey(value: unknown, at: Array<string | number>): { path: Array<string | number>; key: string } | undefined {
    if (value === null || typeof value !== "object" || value instanceof WrittenNumber) {
        return undefined;
    }
    for (const key of Object.keys(value)) {
        if (FORBIDDEN_KEYS.includes(key)) {
            return { path: at, key };
        }
        const found = forbiddenKey((value as Record<string, unknown>)[key], [...at, Array.isArray(value) ? Number(key) : key]);
        if (found) {
            return found;
        }
    }
    return undefined;
}

/**
 * The `istio-lab:` values of raw config, parsed, shape-checked against `schema` and returned typed;
 * throws a LabInputError naming every shape problem, one line each.
 */
export function readInput<S extends z.ZodTypeAny>(
    all: Readonly<Record<string, string>>,
    schema: S,
): { values: z.infer<S>; raw: Record<string, unknown> } {
    const raw = Object.create(null) as Record<string, unknown>;
    for (const [fullKey, value] of Object.entries(all)) {
        if (fullKey.startsWith(`${NAMESPACE}:`)) {
            raw[fullKey.slice(NAMESPACE.length + 1)] = parseValue(value);
        }
    }
    const bad = forbiddenKey(raw, []);
    if (bad) {
        const where = bad.path.length > 0 ? keyOf(bad.path) : NAMESPACE;
        throw new LabInputError(
            `${where}: key ${show(bad.key)} is not allowed; expected a key other than ${FORBIDDEN_KEYS.join(", ")} (they would reach an object's prototype)`,
        );
    }
    const result = schema.safeParse(raw);
    if (!result.success) {
        // zod may report one value twice (not an integer, and out of range; empty, and not an image): one line per key, its first problem.
        const first = new Map<string, string>();
        for (const i of result.error.issues) {
            const key = JSON.stringify(i.path);
            if (!first.has(key)) {
                first.set(key, describe(i, raw, schema));
            }
        }
        throw new LabInputError([...new Set(first.values())].join("\n"));
    }
    return { values: result.data as z.infer<S>, raw };
}
