// Reads what istiod sends ztunnel, ambient mode's node proxy: the workloads it knows (by address, with
// whether each is captured into the mesh, `tunnelProtocol: HBONE`) and the L4 authorization policies it
// enforces, PeerAuthentication converted among them (a STRICT policy is
// `<root>/istio_converted_static_strict`, a DENY of any connection without a peer principal). From it,
// what a captured workload's ztunnel accepts on a port: mutual TLS (HBONE, with the caller's identity),
// plain text, or both. The same resources come from istiod's xDS (the e2e harness asks the real one) and
// from ztunnel's own `/config_dump` on a cluster.
import type { Accepts } from "./envoy";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const text = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : fallback);

/** One workload as ztunnel has it. */
export interface AmbientWorkload {
    readonly name: string;
    readonly namespace: string;
    readonly addresses: readonly string[];
    readonly serviceAccount: string;
    /** In the ambient mesh: ztunnel receives for it over HBONE (the CNI agent redirected its traffic). */
    readonly captured: boolean;
    /** The workload-selected authorization policies that apply to it, `namespace/name`. */
    readonly policies: readonly string[];
}

/** One L4 authorization policy (`istio.security.Authorization`), in proto3 JSON. */
export interface Authorization {
    readonly name: string;
    readonly namespace: string;
    readonly scope: "GLOBAL" | "NAMESPACE" | "WORKLOAD_SELECTOR";
    readonly action: "ALLOW" | "DENY";
    readonly groups: readonly Json[];
}

export interface ZtunnelConfig {
    readonly workloads: readonly AmbientWorkload[];
    readonly authorizations: readonly Authorization[];
}

/** An address as the workload API sends it (base64 of 4 or 16 bytes) in its usual text form. */
export function addressText(b64: string): string {
    const bytes = Buffer.from(b64, "base64");
    if (bytes.length === 4) {
        return [...bytes].join(".");
    }
    const groups: string[] = [];
    for (let i = 0; i + 1 < bytes.length; i += 2) {
        groups.push(bytes.readUInt16BE(i).toString(16));
    }
    return groups.join(":");
}

/** istiod's answer to a ztunnel node (xdsdump's `{addresses, authorizations}`). */
export function fromZtunnelXds(answer: unknown): ZtunnelConfig {
    if (!isObject(answer) || !Array.isArray(answer.addresses)) {
        throw new Error("a ztunnel xDS answer is an object of addresses and authorizations");
    }
    const workloads = list(answer.addresses)
        .map((a) => a.workload)
        .filter(isObject)
        .map((w) => ({
            name: text(w.name),
            namespace: text(w.namespace),
            addresses: (Array.isArray(w.addresses) ? w.addresses : []).map((a) => addressText(String(a))),
            serviceAccount: text(w.serviceAccount, "default"),
            captured: w.tunnelProtocol === "HBONE",
            policies: Array.isArray(w.authorizationPolicies) ? w.authorizationPolicies.map(String) : [],
        }));
    const authorizations = list(answer.authorizations).map((a) => ({
        name: text(a.name),
        namespace: text(a.namespace),
        scope: (a.scope ?? "GLOBAL") as Authorization["scope"],
        action: (a.action ?? "ALLOW") as Authorization["action"],
        groups: list(a.groups),
    }));
    return { workloads, authorizations };
}

const DUMP_SCOPES: Readonly<Record<string, Authorization["scope"]>> = {
    Global: "GLOBAL",
    Namespace: "NAMESPACE",
    WorkloadSelector: "WORKLOAD_SELECTOR",
};
const DUMP_ACTIONS: Readonly<Record<string, Authorization["action"]>> = { Allow: "ALLOW", Deny: "DENY" };
const STRING_FIELDS = ["namespaces", "notNamespaces", "principals", "notPrincipals"];

/** A string match as ztunnel's serde writes it (`{"Exact": "x"}`, `{"Presence": []}`) in proto3 JSON's form. */
function dumpStringMatch(m: unknown): Json {
    if (!isObject(m)) {
        throw new Error(`ztunnel config dump: a string match is an object, not ${JSON.stringify(m)}`);
    }
    const [kind, value] = Object.entries(m)[0] ?? [];
    switch (kind) {
        case "Exact":
        case "Prefix":
        case "Suffix":
            return { [kind.toLowerCase()]: value };
        case "Presence":
            return { presence: {} };
        default:
            throw new Error(`ztunnel config dump: a string match this reader does not know: ${JSON.stringify(m)}`);
    }
}

/**
 * ztunnel's own `/config_dump` (its admin port, 15000): the proxy state as ztunnel's serde writes it
 * (`workloads` with `workloadIps` and `protocol`, `policies` with `rules` as groups of clauses of matches,
 * `Allow`/`Deny`, `Global`/`Namespace`/`WorkloadSelector`), read into the same form as istiod's answer.
 * A policy in dry run is not enforced, so it is left out.
 */
export function fromZtunnelConfigDump(dump: unknown): ZtunnelConfig {
    if (!isObject(dump) || !Array.isArray(dump.workloads)) {
        throw new Error("a ztunnel config dump is an object with workloads and policies (ztunnel's /config_dump)");
    }
    const workloads = list(dump.workloads).map((w) => ({
        name: text(w.name),
        namespace: text(w.namespace),
        addresses: (Array.isArray(w.workloadIps) ? w.workloadIps : []).map(String),
        serviceAccount: text(w.serviceAccount, "default"),
        captured: w.protocol === "HBONE",
        policies: Array.isArray(w.authorizationPolicies) ? w.authorizationPolicies.map(String) : [],
    }));
    const authorizations = list(dump.policies)
        .filter((p) => p.dryRun !== true)
        .map((p) => {
            const scope = DUMP_SCOPES[text(p.scope)];
            const action = DUMP_ACTIONS[text(p.action)];
            if (!scope || !action) {
                throw new Error(
                    `ztunnel config dump: policy ${text(p.namespace)}/${text(p.name)} has scope ${JSON.stringify(p.scope)} and action ${JSON.stringify(p.action)}`,
                );
            }
            const groups = (Array.isArray(p.rules) ? (p.rules as unknown[][][]) : []).map((clauses) => ({
                rules: clauses.map((matches) => ({
                    matches: matches
                        .filter(isObject)
                        .map((m) =>
                            Object.fromEntries(
                                Object.entries(m).map(([k, v]) => [
                                    k,
                                    STRING_FIELDS.includes(k) && Array.isArray(v) ? v.map(dumpStringMatch) : v,
                                ]),
                            ),
                        ),
                })),
            }));
            return { name: text(p.name), namespace: text(p.namespace), scope, action, groups };
        });
    return { workloads, authorizations };
}

export function workloadAt(cfg: ZtunnelConfig, address: string): AmbientWorkload | undefined {
    return cfg.workloads.find((w) => w.addresses.includes(address));
}

/** A connection as ztunnel's policy sees it: its destination port and, over HBONE, the caller's identity. */
export interface Connection {
    readonly port: number;
    /** `spiffe://cluster.local/ns/<ns>/sa/<sa>` over mutual TLS; undefined for plain text. */
    readonly principal?: string;
    readonly namespace?: string;
}

function stringMatches(m: Json, value: string | undefined): boolean {
    if (isObject(m.presence)) {
        return value !== undefined;
    }
    if (value === undefined) {
        return false;
    }
    if (typeof m.exact === "string") {
        return value === m.exact;
    }
    if (typeof m.prefix === "string") {
        return value.startsWith(m.prefix);
    }
    if (typeof m.suffix === "string") {
        return value.endsWith(m.suffix);
    }
    throw new Error(`ztunnel policy: a string match this reader does not know: ${JSON.stringify(m)}`);
}

const KNOWN = new Set(["principals", "notPrincipals", "namespaces", "notNamespaces", "destinationPorts", "notDestinationPorts"]);

/** One match: every field it sets holds (each field true when any of its values does; a `not` field when none does). */
function matchHolds(m: Json, c: Connection): boolean {
    for (const key of Object.keys(m)) {
        if (!KNOWN.has(key) && !(Array.isArray(m[key]) && (m[key] as unknown[]).length === 0)) {
            throw new Error(`ztunnel policy: the ${key} condition is not read here (only principals, namespaces and ports)`);
        }
    }
    const any = (field: string, test: (v: unknown) => boolean) => !Array.isArray(m[field]) || m[field].length === 0 || m[field].some(test);
    const none = (field: string, test: (v: unknown) => boolean) => !Array.isArray(m[field]) || !m[field].some(test);
    const principal = (v: unknown) => isObject(v) && stringMatches(v, c.principal);
    const namespace = (v: unknown) => isObject(v) && stringMatches(v, c.namespace);
    const port = (v: unknown) => Number(v) === c.port;
    return (
        any("principals", principal) &&
        none("notPrincipals", principal) &&
        any("namespaces", namespace) &&
        none("notNamespaces", namespace) &&
        any("destinationPorts", port) &&
        none("notDestinationPorts", port)
    );
}

/** A policy matches when any group does; a group when all its rules do; a rule when any of its matches does. */
function policyMatches(p: Authorization, c: Connection): boolean {
    return p.groups.some((g) => list(g.rules).every((r) => list(r.matches).length === 0 || list(r.matches).some((m) => matchHolds(m, c))));
}

/** The policies ztunnel applies to a workload: global ones, its namespace's, and the workload-selected ones it names. */
export function policiesOf(cfg: ZtunnelConfig, w: AmbientWorkload): Authorization[] {
    return cfg.authorizations.filter(
        (p) =>
            p.scope === "GLOBAL" ||
            (p.scope === "NAMESPACE" && p.namespace === w.namespace) ||
            (p.scope === "WORKLOAD_SELECTOR" && w.policies.includes(`${p.namespace}/${p.name}`)),
    );
}

/** Whether ztunnel lets a connection through to a workload: no DENY matches, and an ALLOW matches if there is any. */
export function ztunnelAllows(cfg: ZtunnelConfig, w: AmbientWorkload, c: Connection): boolean {
    const applied = policiesOf(cfg, w);
    if (applied.some((p) => p.action === "DENY" && policyMatches(p, c))) {
        return false;
    }
    const allows = applied.filter((p) => p.action === "ALLOW");
    return allows.length === 0 || allows.some((p) => policyMatches(p, c));
}

/** What a captured workload accepts on a port: mutual TLS from a mesh caller (`principal`), and plain text. */
export function ztunnelAccepts(cfg: ZtunnelConfig, w: AmbientWorkload, port: number, caller: Omit<Connection, "port">): Accepts {
    return { mtls: ztunnelAllows(cfg, w, { port, ...caller }), plaintext: ztunnelAllows(cfg, w, { port }) };
}
