// Compares two renders object by object: what a config change adds, removes and changes, and which
// changes Kubernetes or Pulumi would carry out by replacing the object.
import { RenderedObject, objectId } from "./render";

/** One object's change. */
export interface ObjectChange {
    /** `Kind namespace/name`. */
    readonly object: string;
    /** What happens to it. */
    readonly change: "added" | "removed" | "changed";
    /** Changed fields, as dotted paths (`spec.http[0].route[0].weight`). */
    readonly fields: readonly string[];
    /** True when the change replaces the object (an immutable field changed). */
    readonly replace: boolean;
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

/** What changes between two renders, in the second render's order (removed objects last). */
export function diffRenders(before: readonly RenderedObject[], after: readonly RenderedObject[]): ObjectChange[] {
    const old = new Map(before.map((o) => [objectId(o), o]));
    const seen = new Set<string>();
    const changes: ObjectChange[] = [];
    for (const o of after) {
        const id = objectId(o);
        seen.add(id);
        const prev = old.get(id);
        if (!prev) {
            changes.push({ object: id, change: "added", fields: [], replace: false });
            continue;
        }
        const fields: string[] = [];
        changedPaths(prev.manifest, o.manifest, "", fields);
        if (fields.length > 0) {
            const immutable = IMMUTABLE[o.manifest.kind as string] ?? [];
            const replace = fields.some((f) => immutable.some((i) => f === i || f.startsWith(`${i}.`) || f.startsWith(`${i}[`)));
            changes.push({ object: id, change: "changed", fields, replace });
        }
    }
    for (const [id] of old) {
        if (!seen.has(id)) {
            changes.push({ object: id, change: "removed", fields: [], replace: false });
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
            const head = `${sign[c.change]} ${c.object}${c.replace ? " (replace)" : ""}`;
            return [head, ...c.fields.map((f) => `    ${f}`)].join("\n");
        })
        .join("\n");
}
