// Compares two renders object by object, keyed the way Pulumi keys resources (kind and logical name,
// so that an aliased apiVersion change is the same resource): what a config change adds, removes and
// changes, and which changes Pulumi carries out by replacing the object (a new name or namespace, or an
// immutable field).
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

/** What changes between two renders, in the second render's order (removed objects last). */
export function diffRenders(before: readonly RenderedObject[], after: readonly RenderedObject[]): ObjectChange[] {
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
            const replace = fields.some((f) => immutable.some((i) => f === i || f.startsWith(`${i}.`) || f.startsWith(`${i}[`)));
            // A replaced object is named as it will be; `was` says where it was when that moves.
            const was = objectId(prev) !== objectId(o) ? objectId(prev) : undefined;
            changes.push({ object: objectId(o), change: "changed", fields, replace, ...(was ? { was } : {}) });
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
            const head = `${sign[c.change]} ${c.object}${c.replace ? ` (replace${c.was ? ` of ${c.was}` : ""})` : ""}`;
            return [head, ...c.fields.map((f) => `    ${f}`)].join("\n");
        })
        .join("\n");
}
