// Reads stack config files (`Pulumi.<stack>.yaml`) the way the Pulumi CLI hands them to a program:
// every value a string, structured values as JSON. Refuses what the CLI would not read as meant: a
// file that is not a stack config, keys of no namespace or an unknown one.
import { Stats, closeSync, existsSync, openSync, readSync, realpathSync, statSync } from "fs";
import * as path from "path";
import { parseDocument, visit } from "yaml";
import { show } from "../components/lab";
import { asWritten } from "../config";

/** The project root (where `Pulumi.yaml` is), from the compiled `bin/tools` or the sources. */
export const PROJECT_ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}bin${path.sep}`) ? "../.." : "..");

/**
 * The Pulumi project the `lab` commands act on: the current directory when it is a copy of this project
 * (its Pulumi.yaml beside a package.json that is this one's, as in the sandbox's project, where `npm run`
 * starts in), else this project. `pulumi` itself acts on the current directory's project the same way.
 */
export function projectDir(): string {
    const cwd = process.cwd();
    const same = (f: string) =>
        existsSync(path.join(cwd, f)) && realpathSync(path.join(cwd, f)) === realpathSync(path.join(PROJECT_ROOT, f));
    return cwd !== PROJECT_ROOT && existsSync(path.join(cwd, "Pulumi.yaml")) && same("package.json") ? cwd : PROJECT_ROOT;
}

/** The config namespaces a lab stack uses: the program's own and its providers'. */
export const CONFIG_NAMESPACES: readonly string[] = ["istio-lab", "kubernetes", "pulumi", "random", "tls"];

/** Top-level keys a stack file may have besides `config` (the secrets provider's and ESC's). */
const STACK_FILE_KEYS: readonly string[] = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"];

/** A problem with a config file or a `--set`; its message names the key, the value and what is allowed. */
export class ConfigFileError extends Error {}

/** The path of a stack's config file. */
export function stackFile(stack: string): string {
    const problem = stackNameProblem(stack);
    if (problem) {
        throw new ConfigFileError(problem);
    }
    return path.join(projectDir(), `Pulumi.${stack}.yaml`);
}

/** Why `--stack NAME` is not a stack name (Pulumi's: letters, digits, `-`, `_`, `.`), or undefined. A name is never a path. */
export function stackNameProblem(stack: string): string | undefined {
    return /^[A-Za-z0-9_.-]+$/.test(stack) && !/^\.+$/.test(stack)
        ? undefined
        : `--stack ${show(stack)} is not allowed; expected a stack name (letters, digits, "-", "_" and "."), e.g. dev; use --config FILE for a file elsewhere`;
}

/** Converts one config value to the string form Pulumi gives programs. */
export function configString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/** Checks a config key's namespace; returns why it is refused, or undefined. */
export function configKeyProblem(key: string): string | undefined {
    const colon = key.indexOf(":");
    if (colon < 0) {
        return `key ${JSON.stringify(key)} is not allowed; expected a namespaced key such as "istio-lab:${key}"`;
    }
    const namespace = key.slice(0, colon);
    if (!CONFIG_NAMESPACES.includes(namespace) || key.length === colon + 1) {
        return `key ${JSON.stringify(key)} is not allowed; expected a key of namespace istio-lab (or ${CONFIG_NAMESPACES.slice(1).join(", ")} for their providers), e.g. "istio-lab:canaryWeight"`;
    }
    return undefined;
}

/** What a stack file holds: config values as the CLI hands them over, and the keys whose values are encrypted. */
export interface StackFile {
    /** `{"istio-lab:key": "value"}`; secrets are absent. */
    readonly config: Record<string, string>;
    /** Values that are `secure:` ciphertext, which only the Pulumi CLI can decrypt: the key, and the path inside it. */
    readonly secure: ReadonlyArray<{ readonly key: string; readonly path: string }>;
}

const isSecure = (value: unknown): boolean =>
    value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).join() === "secure";

/** The paths of the `secure:` values in `value` (`pulumi config set --path --secret` nests them), in order. */
function securePaths(value: unknown, at: string): string[] {
    if (isSecure(value)) {
        return [at];
    }
    if (value !== null && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => securePaths(v, Array.isArray(value) ? `${at}[${k}]` : `${at}.${k}`));
    }
    return [];
}

/** The largest stack config file read: a lab's is a few kilobytes; a class of 500 with overrides, well under this. */
export const MAX_STACK_FILE_BYTES = 1024 * 1024;

const NOT_A_STACK_FILE = "not a stack config file";

/** What a path is, when it is not a regular file. */
export function kindOf(st: Stats): string {
    return st.isDirectory()
        ? "a directory"
        : st.isFIFO()
          ? "a FIFO"
          : st.isCharacterDevice() || st.isBlockDevice()
            ? "a device"
            : st.isSocket()
              ? "a socket"
              : "not a regular file";
}

/** A stack config file's text: a regular file of at most MAX_STACK_FILE_BYTES of UTF-8 text (never blocks on a FIFO). */
function readText(file: string): string {
    const st = statSync(file);
    if (!st.isFile()) {
        throw new ConfigFileError(`${NOT_A_STACK_FILE}: it is ${kindOf(st)}; expected a regular file such as Pulumi.dev.yaml`);
    }
    const fd = openSync(file, "r");
    try {
        const buffer = Buffer.alloc(MAX_STACK_FILE_BYTES + 1);
        const length = readSync(fd, buffer, 0, buffer.length, 0);
        if (length > MAX_STACK_FILE_BYTES) {
            throw new ConfigFileError(
                `${NOT_A_STACK_FILE}: it is larger than ${MAX_STACK_FILE_BYTES} bytes (1 MiB); a stack config file is a few kilobytes`,
            );
        }
        const bytes = buffer.subarray(0, length);
        if (bytes.includes(0)) {
            throw new ConfigFileError(`${NOT_A_STACK_FILE}: it holds binary data (NUL bytes); expected YAML text`);
        }
        try {
            return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
        } catch {
            throw new ConfigFileError(`${NOT_A_STACK_FILE}: it is not UTF-8 text; expected YAML text`);
        }
    } finally {
        closeSync(fd);
    }
}

/** The YAML document, or "not a stack config file" with where the YAML is broken. */
function parseYaml(text: string): unknown {
    try {
        // Merge keys (`<<: *base`) merge, as the Pulumi CLI's YAML reader merges them.
        const doc = parseDocument(text, { merge: true });
        if (doc.errors.length > 0) {
            throw doc.errors[0];
        }
        // What a config string cannot carry (.inf, .nan, !!binary) stays as written, for messages to show.
        visit(doc, {
            Scalar(_key, node) {
                if ((typeof node.value === "number" && !Number.isFinite(node.value)) || node.value instanceof Uint8Array) {
                    const source = (node.source ?? String(node.value)).trim();
                    node.value = asWritten(node.tag === "tag:yaml.org,2002:binary" ? `!!binary ${source}` : source);
                }
            },
        });
        return doc.toJS() as unknown;
    } catch (e) {
        const pos = (e as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
        const reason = String((e as Error).message)
            .split("\n")[0]
            .split(" at line")[0];
        throw new ConfigFileError(
            `${NOT_A_STACK_FILE}: its YAML does not parse${pos ? ` at line ${pos.line}, column ${pos.col}` : ""} (${reason.length > 80 ? `${reason.slice(0, 77)}...` : reason})`,
        );
    }
}

/** Reads a stack config file, refusing anything that is not one. */
export function readStackFile(file: string): StackFile {
    const doc = parseYaml(readText(file));
    if (doc === null || doc === undefined) {
        return { config: {}, secure: [] };
    }
    if (typeof doc !== "object" || Array.isArray(doc)) {
        throw new ConfigFileError(`${NOT_A_STACK_FILE}: the file is not a map; expected a top-level "config:" map`);
    }
    for (const key of Object.keys(doc)) {
        if (!STACK_FILE_KEYS.includes(key)) {
            throw new ConfigFileError(
                `top-level key ${JSON.stringify(key)} is not allowed; expected config (or ${STACK_FILE_KEYS.slice(1).join(", ")})`,
            );
        }
    }
    const config = (doc as { config?: unknown }).config;
    if (config === null || config === undefined) {
        return { config: {}, secure: [] };
    }
    if (typeof config !== "object" || Array.isArray(config)) {
        throw new ConfigFileError(`config: ${JSON.stringify(config)} is not allowed; expected a map of "istio-lab:key: value"`);
    }
    const out: Record<string, string> = {};
    const secure: Array<{ key: string; path: string }> = [];
    for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
        const problem = configKeyProblem(key);
        if (problem) {
            throw new ConfigFileError(problem);
        }
        // `pulumi config set --secret` writes {secure: <ciphertext>}: never read, never shown.
        const secret = securePaths(value, key);
        if (secret.length > 0) {
            secret.forEach((p) => secure.push({ key, path: p }));
            continue;
        }
        out[key] = configString(value);
    }
    return { config: out, secure };
}

/** Reads a stack config file into `{"istio-lab:key": "value"}` form; a file with secrets is refused. */
export function readStackConfig(file: string): Record<string, string> {
    const { config, secure } = readStackFile(file);
    if (secure.length > 0) {
        throw new ConfigFileError(secretMessage(secure[0].key, secure[0].path));
    }
    return config;
}

/** What to say about a secret value the offline tools cannot read. */
export function secretMessage(key: string, path: string): string {
    const how =
        path === key ? `--set ${key}=VALUE` : `--set ${key}=JSON (the whole value, with ${path.slice(key.length + 1)} in plain text)`;
    return `${path} is a secret (secure:) value, which only the Pulumi CLI can decrypt; pass it with ${how} to use it offline`;
}
