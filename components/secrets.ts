// Values the stack marks secret (`pulumi config set --secret`, `secure:` in the stack file, at any depth of
// a structured key) stay secret wherever they flow: every resource property and stack output that carries
// one is wrapped in `pulumi.secret` (so the engine encrypts it in state and masks it in diffs), and a
// config error names the key, never the value.
import * as pulumi from "@pulumi/pulumi";
import { WrittenNumber } from "./lab";

/** A secret's leaves: the strings and numbers in it (a boolean cannot be hidden by what carries it). */
export function secretLeaves(value: unknown, out: Array<string | number> = []): Array<string | number> {
    if (typeof value === "string" && value !== "") {
        out.push(value);
    } else if (typeof value === "number" && Number.isFinite(value)) {
        out.push(value);
    } else if (value instanceof WrittenNumber) {
        out.push(value.text);
    } else if (value !== null && typeof value === "object") {
        Object.values(value).forEach((v) => secretLeaves(v, out));
    }
    return out;
}

/** True when a leaf value carries one of the secrets (a string containing one, a number equal to one). */
export function carriesSecret(value: unknown, secrets: ReadonlyArray<string | number>): boolean {
    if (typeof value === "string") {
        return secrets.some((s) => (typeof s === "string" ? value.includes(s) : String(s).length >= 2 && value.includes(String(s))));
    }
    if (typeof value === "number") {
        return secrets.some((s) => s === value);
    }
    return false;
}

/** `value` with every leaf that carries a secret wrapped in `pulumi.secret`, Outputs included. */
export function markSecrets(value: unknown, secrets: ReadonlyArray<string | number>): unknown {
    if (pulumi.Output.isInstance(value)) {
        return value.apply((v) => markSecrets(v, secrets));
    }
    if (pulumi.Resource.isInstance(value) || value instanceof Promise) {
        return value;
    }
    if (Array.isArray(value)) {
        return value.map((v) => markSecrets(v, secrets));
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markSecrets(v, secrets)]));
    }
    return carriesSecret(value, secrets) ? pulumi.secret(value) : value;
}

/** A character that continues a word or a name (so a short secret inside one is not the secret). */
const WORDLIKE = /[A-Za-z0-9_.-]/;

/** `text` with each occurrence of a short `secret` that stands alone (not inside a word or a name) replaced by `[secret]`. */
function replaceStandalone(text: string, secret: string): string {
    let out = "";
    let from = 0;
    for (let at = text.indexOf(secret); at >= 0; at = text.indexOf(secret, at + 1)) {
        const before = at === 0 ? "" : text[at - 1];
        const after = text[at + secret.length] ?? "";
        if (at >= from && !WORDLIKE.test(before) && !WORDLIKE.test(after)) {
            out += `${text.slice(from, at)}[secret]`;
            from = at + secret.length;
        }
    }
    return out + text.slice(from);
}

/** The shortest secret a command can hide: a single character would stand for itself in almost every line. */
export const MIN_SECRET_LENGTH = 2;

/**
 * A message with every secret replaced by `[secret]`: quoted as the message shows a value; bare where it
 * appears (four characters or more), or where it stands alone (shorter ones, and numbers).
 */
export function redact(message: string, secrets: ReadonlyArray<string | number>): string {
    let out = message;
    for (const s of [...secrets].sort((a, b) => String(b).length - String(a).length)) {
        const text = String(s);
        // Quoted, as a message shows a string value (a number is bare: only where it stands alone, below).
        if (typeof s === "string") {
            out = out.split(JSON.stringify(s)).join("[secret]");
        }
        if (typeof s === "number") {
            out = out.replace(new RegExp(`(?<![\\w.])${text.replace(/[.+-]/g, "\\$&")}(?![\\w.])`, "g"), "[secret]");
        } else if (text.length >= 4) {
            out = out.split(text).join("[secret]");
        } else {
            out = replaceStandalone(out, text);
        }
    }
    return out;
}

/** Registers the stack transformation that marks every resource property carrying one of `secrets` secret. */
export function keepSecrets(secrets: ReadonlyArray<string | number>): void {
    if (secrets.length === 0) {
        return;
    }
    pulumi.runtime.registerStackTransformation((args) => ({
        props: markSecrets(args.props, secrets) as pulumi.Inputs,
        opts: args.opts,
    }));
}
