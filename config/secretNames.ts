// A value that becomes an object's name (a namespace, a Gateway, a Secret the gateway reads) cannot stay
// secret in Kubernetes: names show in every listing, event and URL, and in the lab's own output. Pulumi marks a
// whole key secret when any path in it is `secure:`, so the program leaves the name fields of a secret key out
// of its secrets (`namePaths`); `lab`, which sees the stack file's secure paths, refuses a secure value at a
// name field, naming it (`checkSecretNames`). Nothing is both printed and called secret.
import { reject } from "../components/lab";
import { NAMESPACE } from "./schema";

/** The fields of each key whose values become object names, as paths (`*`: any list index or map key). */
const NAME_FIELDS: Readonly<Record<string, readonly string[]>> = {
    attendees: ["*"],
    peerAuth: ["*.namespace", "*.name", "*.destinationRule.name", "*.destinationRule.namespace"],
    guestbook: ["namespace", "versions.*.name"],
    mtlsLab: ["sidecarNamespaces.*", "plainNamespaces.*"],
    controlPlane: ["namespace"],
    operators: ["*.namespace"],
    gateway: ["name", "tls.credentialName"],
};

/** Every path in `value` that `pattern` matches and that holds a string or number, written `a.b[0]`. */
function matches(value: unknown, pattern: readonly string[], at = ""): string[] {
    if (pattern.length === 0) {
        return typeof value === "string" || typeof value === "number" ? [at] : [];
    }
    if (value === null || typeof value !== "object") {
        return [];
    }
    const [head, ...rest] = pattern;
    const entries = Object.entries(value as Record<string, unknown>).filter(([k]) => head === "*" || k === head);
    return entries.flatMap(([k, v]) => matches(v, rest, Array.isArray(value) ? `${at}[${k}]` : at === "" ? k : `${at}.${k}`));
}

/** The paths (`istio-lab:guestbook.namespace`, `istio-lab:attendees[0]`) in a key's value whose values become object names. */
export function namePaths(fullKey: string, value: unknown): string[] {
    const key = fullKey.startsWith(`${NAMESPACE}:`) ? fullKey.slice(NAMESPACE.length + 1) : undefined;
    const fields = key === undefined ? undefined : NAME_FIELDS[key];
    return (fields ?? []).flatMap((f) => matches(value, f.split("."))).map((p) => `${fullKey}${p.startsWith("[") ? "" : "."}${p}`);
}

/**
 * Refuses a `secure:` value (at `path`, inside config key `key`, whose value `value` is the one given) that is
 * or holds a field which becomes an object's name. The program itself, told only which keys are secret,
 * keeps such fields out of what it hides (see {@link namePaths}); this, where the secure paths are known, says so.
 */
export function checkSecretNames(secure: ReadonlyArray<{ key: string; path: string }>, values: Readonly<Record<string, unknown>>): void {
    for (const { key, path } of secure) {
        const named = namePaths(key, values[key]).find((p) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`));
        if (named !== undefined) {
            reject(
                path,
                "[secret]",
                `a value in plain text: ${named} becomes an object's name, which Kubernetes cannot keep secret (names show in listings, events and the lab's output); set it without --secret`,
            );
        }
    }
}
