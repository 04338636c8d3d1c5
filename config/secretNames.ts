// A value that becomes an object's name (a namespace, a Gateway, a Secret the gateway reads) cannot stay
// secret in Kubernetes: names show in every listing, event and URL, and in the lab's own output. So a
// stack may not mark a key secret (a `secure:` value anywhere in it, which Pulumi makes the whole key
// secret) while that key sets a name; it is refused, naming the field, rather than printed and called secret.
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

/** Refuses a secret key that sets a field which becomes an object's name. */
export function checkSecretNames(raw: Readonly<Record<string, unknown>>, secretKeys: readonly string[]): void {
    for (const full of secretKeys) {
        const key = full.startsWith(`${NAMESPACE}:`) ? full.slice(NAMESPACE.length + 1) : undefined;
        const fields = key === undefined ? undefined : NAME_FIELDS[key];
        if (fields === undefined || !(key! in raw)) {
            continue;
        }
        const named = fields.flatMap((f) => matches(raw[key!], f === "" ? [] : f.split(".")));
        if (named.length > 0) {
            const field = `${NAMESPACE}:${key}${named[0].startsWith("[") ? "" : "."}${named[0]}`;
            reject(
                `${NAMESPACE}:${key}`,
                "[secret]",
                `a value in plain text: ${field} becomes an object's name, which Kubernetes cannot keep secret (names show in listings, events and the lab's output); keep secure: values out of ${NAMESPACE}:${key} while it sets names`,
            );
        }
    }
}
