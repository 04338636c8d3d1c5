// Turns what the mock-run engine recorded into the Kubernetes objects `pulumi up` would apply, in
// apply order (what a resource depends on first).
import { LabResource, REDACTED } from "./engine";

/** One object the program would apply. */
export interface RenderedObject {
    /** Pulumi type token. */
    readonly type: string;
    /** Pulumi logical name. */
    readonly name: string;
    /** Logical name of the parent component, if any. */
    readonly parent: string | null;
    /** The object as it would be sent (a Helm release as its Release: chart, version, values). */
    readonly manifest: Record<string, unknown>;
}

/** Secret values never leave the program: a Secret's data is replaced, key by key. */
function redact(manifest: Record<string, unknown>): Record<string, unknown> {
    if (manifest.kind !== "Secret") {
        return manifest;
    }
    const out = { ...manifest };
    for (const field of ["data", "stringData"]) {
        const data = out[field] as Record<string, unknown> | undefined;
        if (data) {
            out[field] = Object.fromEntries(Object.keys(data).map((k) => [k, REDACTED]));
        }
    }
    return out;
}

/** The Kubernetes provider's YAML component (the Gateway API CRDs): applied by the provider, shown by the file it applies. */
export const CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile";

/** True for what `pulumi up` applies: the provider's custom resources, and its YAML component. */
function isApplied(r: LabResource): boolean {
    return (r.custom || r.type === CONFIG_FILE) && !r.read && r.type.startsWith("kubernetes:");
}

function manifestOf(r: LabResource): Record<string, unknown> {
    if (r.type === CONFIG_FILE) {
        return { apiVersion: "yaml/v2", kind: "ConfigFile", metadata: { name: r.name }, file: r.inputs.file };
    }
    if (r.type === "kubernetes:helm.sh/v3:Release") {
        const { name, chart, version, namespace, repositoryOpts, values } = r.inputs;
        return {
            apiVersion: "helm.sh/v3",
            kind: "Release",
            metadata: { name, namespace },
            chart,
            version,
            repositoryOpts,
            values: values ?? {},
        };
    }
    return redact(r.inputs);
}

/**
 * The applied objects in apply order: a topological order of the dependency graph (a dependency on
 * a component is one on everything under it), registration order breaking ties.
 */
export function applyOrder(resources: readonly LabResource[]): LabResource[] {
    const children = new Map<string, string[]>();
    for (const r of resources) {
        if (r.parent) {
            children.set(r.parent, [...(children.get(r.parent) ?? []), r.key]);
        }
    }
    const descendants = (key: string): string[] => (children.get(key) ?? []).flatMap((c) => [c, ...descendants(c)]);
    const byKey = new Map(resources.map((r) => [r.key, r]));
    const applied = resources.filter(isApplied);
    const appliedKeys = new Set(applied.map((r) => r.key));
    const needs = new Map<string, Set<string>>();
    for (const r of applied) {
        const set = new Set<string>();
        // A resource also waits for whatever its ancestors wait for.
        for (let k: string | undefined = r.key; k; k = byKey.get(k)?.parent) {
            for (const d of byKey.get(k)?.dependsOn ?? []) {
                for (const t of [d, ...descendants(d)]) {
                    if (appliedKeys.has(t) && t !== r.key) {
                        set.add(t);
                    }
                }
            }
        }
        needs.set(r.key, set);
    }
    const done = new Set<string>();
    const order: LabResource[] = [];
    while (order.length < applied.length) {
        const next = applied.find((r) => !done.has(r.key) && [...needs.get(r.key)!].every((d) => done.has(d)));
        if (!next) {
            throw new Error(
                `dependency cycle among ${applied
                    .filter((r) => !done.has(r.key))
                    .map((r) => r.name)
                    .join(", ")}`,
            );
        }
        done.add(next.key);
        order.push(next);
    }
    return order;
}

/** Every object the program would apply, in apply order. */
export function render(resources: readonly LabResource[]): RenderedObject[] {
    const byKey = new Map(resources.map((r) => [r.key, r]));
    return applyOrder(resources).map((r) => ({
        type: r.type,
        name: r.name,
        parent: r.parent ? byKey.get(r.parent)!.name : null,
        manifest: manifestOf(r),
    }));
}

/** `Kind namespace/name` of a rendered object. */
export function objectId(o: RenderedObject): string {
    const meta = metaOf(o);
    return `${o.manifest.kind as string} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name}`;
}

/** A rendered object's metadata. */
export function metaOf(o: RenderedObject): {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
} {
    return (o.manifest.metadata ?? {}) as ReturnType<typeof metaOf>;
}

/** A rendered object's spec. */
export function specOf(o: RenderedObject): Record<string, unknown> {
    return (o.manifest.spec ?? {}) as Record<string, unknown>;
}

/** True when every label of `selector` is in `labels`. */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
    return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
