// Compares two renders object by object, keyed the way Pulumi keys resources (kind and logical name,
// so that an aliased apiVersion change is the same resource): what a config change adds, removes and
// changes, and which changes Pulumi carries out by replacing the object (a new name or namespace, or an
// immutable field).
import type { LabResource } from "./engine";
import { RenderedObject, objectId } from "./render";

/** One object's change. */
export interface ObjectChange {
    /** `Kind namespace/name`. */
    readonly object: string;
    /** What happens to it. */
    readonly change: "added" | "removed" | "changed";
    /** Changed fields, as dotted paths (`spec.http[0].route[0].weight`). */
    readonly fields: readonly string[];
    /** True when the change replaces the object (its name or namespace, or an immutable field, changed). */
    readonly replace: boolean;
    /** `Kind namespace/name` it had before, when a replace moves it. */
    readonly was?: string;
    /**
     * Changed fields `pulumi up` leaves as they are (`ignoreChanges`: what an attendee with access owns); when
     * every changed field is one, pulumi up changes nothing in the object.
     */
    readonly leftAlone?: readonly string[];
}

/** Fields Kubernetes does not let an update change, by kind. */
const IMMUTABLE: Readonly<Record<string, readonly string[]>> = {
    Deployment: ["spec.selector"],
    StatefulSet: ["spec.selector", "spec.serviceName", "spec.volumeClaimTemplates"],
    DaemonSet: ["spec.selector"],
    Service: ["spec.clusterIP", "spec.clusterIPs"],
    Job: ["spec.selector", "spec.template"],
    Release: ["metadata.name", "metadata.namespace"],
};

function changedPaths(a: unknown, b: unknown, path: string, out: string[]): void {
    if (JSON.stringify(a) === JSON.stringify(b)) {
        return;
    }
    const isObj = (v: unknown) => v !== null && typeof v === "object";
    if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        for (const k of [...keys].sort()) {
            const next = Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
            changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], next, out);
        }
        return;
    }
    out.push(path);
}

/** Fields whose change makes Pulumi create a new object and delete the old one, for every kind. */
const IDENTITY = ["metadata.name", "metadata.namespace"];

/** Pulumi's identity of a rendered object: its kind (the type token without its version, which aliases bridge) and logical name. */
function pulumiKey(o: RenderedObject): string {
    return `${String(o.manifest.kind)}::${o.name}`;
}

/** Whether field path `f` is `p` or inside it (`spec.selector.matchLabels` is under `spec.selector`). */
const under = (f: string, p: string) => f === p || f.startsWith(`${p}.`) || f.startsWith(`${p}[`);

/** What changes between two renders, in the second render's order (removed objects last). */
export function diffRenders(
    before: readonly RenderedObject[],
    after: readonly RenderedObject[],
    ignored: (o: RenderedObject) => readonly string[] = () => [],
): ObjectChange[] {
    const old = new Map(before.map((o) => [pulumiKey(o), o]));
    const seen = new Set<string>();
    const changes: ObjectChange[] = [];
    for (const o of after) {
        const key = pulumiKey(o);
        seen.add(key);
        const prev = old.get(key);
        if (!prev) {
            changes.push({ object: objectId(o), change: "added", fields: [], replace: false });
            continue;
        }
        const fields: string[] = [];
        changedPaths(prev.manifest, o.manifest, "", fields);
        if (fields.length > 0) {
            const immutable = [...IDENTITY, ...(IMMUTABLE[o.manifest.kind as string] ?? [])];
            const replace = fields.some((f) => immutable.some((i) => under(f, i)));
            // A replaced object is named as it will be; `was` says where it was when that moves.
            const was = objectId(prev) !== objectId(o) ? objectId(prev) : undefined;
            const leftAlone = replace ? [] : fields.filter((f) => ignored(o).some((p) => under(f, p)));
            changes.push({
                object: objectId(o),
                change: "changed",
                fields,
                replace,
                ...(was ? { was } : {}),
                ...(leftAlone.length > 0 ? { leftAlone } : {}),
            });
        }
    }
    for (const [key, o] of old) {
        if (!seen.has(key)) {
            changes.push({ object: objectId(o), change: "removed", fields: [], replace: false });
        }
    }
    return changes;
}

/** A human-readable diff. */
export function formatDiff(changes: readonly ObjectChange[]): string {
    if (changes.length === 0) {
        return "no changes";
    }
    const sign = { added: "+", removed: "-", changed: "~" } as const;
    return changes
        .map((c) => {
            const all = c.leftAlone !== undefined && c.leftAlone.length === c.fields.length;
            const note = all
                ? " (left as it is: pulumi up applies it only at creation; after that its owner, the attendee, sets it)"
                : c.replace
                  ? ` (replace${c.was ? ` of ${c.was}` : ""})`
                  : "";
            const left = new Set(c.leftAlone ?? []);
            const field = (f: string) => `    ${f}${!all && left.has(f) ? " (left as it is: the attendee's)" : ""}`;
            return [`${all ? "=" : sign[c.change]} ${c.object}${note}`, ...c.fields.map(field)].join("\n");
        })
        .join("\n");
}

/**
 * The Secrets that get a new certificate: the TLS provider's resources whose inputs change (a certificate's
 * hosts) make a new certificate, and every Secret built from one (directly or through the chain of keys and
 * requests) changes with it, though its rendered data reads the same (`<redacted>`).
 */
export function reissuedSecrets(before: readonly LabResource[], after: readonly LabResource[]): Set<string> {
    const old = new Map(before.map((r) => [r.key, JSON.stringify(r.inputs)]));
    const changed = new Set(
        after.filter((r) => r.type.startsWith("tls:") && old.get(r.key) !== JSON.stringify(r.inputs)).map((r) => r.key),
    );
    for (let grew = true; grew; ) {
        grew = false;
        for (const r of after) {
            if (r.type.startsWith("tls:") && !changed.has(r.key) && r.dependsOn.some((d) => changed.has(d))) {
                changed.add(r.key);
                grew = true;
            }
        }
    }
    return new Set(
        after.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.dependsOn.some((d) => changed.has(d))).map((r) => r.key),
    );
}

/** `changes` with each re-issued Secret among them (its certificate; the key stays), named after the rendered object. */
export function withReissued(changes: readonly ObjectChange[], reissued: Set<string>, after: readonly RenderedObject[]): ObjectChange[] {
    const out = [...changes];
    for (const o of after.filter((x) => reissued.has(`${x.type}::${x.name}`))) {
        const id = objectId(o);
        const fields = ["stringData.tls.crt (a new certificate for the new hosts)"];
        const i = out.findIndex((c) => c.object === id);
        if (i >= 0) {
            out[i] = { ...out[i], fields: [...new Set([...out[i].fields, ...fields])] };
        } else {
            out.push({ object: id, change: "changed", fields, replace: false });
        }
    }
    return out;
}
