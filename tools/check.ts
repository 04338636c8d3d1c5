// `lab check --step NAME`: did my step work? The step's expected state comes from the lab program itself
// (the objects `lab render` gives for the step's config, `lab matrix`'s rows and `trafficSplit`), never from a
// second hand-written copy. It is held against the live cluster at two levels, each reported on its own:
// - objects: the lab's routing and policy objects as the API server has them (the fields the step sets:
//   weights, matches, subsets, modes, selectors, TLS), and none of the lab's that the step does not render;
// - mesh: what Istio tells each workload's proxy (tools/meshCells.ts), read from each proxy's config dump
//   on a real cluster or from istiod itself (`--istiod`, the harness).
import type { LabConfig } from "../config";
import { Kube, MeshSource, MeshView, kubectlList, livePods, meshView } from "./live";
import { Cell, Split, meshCells } from "./meshCells";
import { RenderedObject, metaOf } from "./render";
import type { LabStep } from "./steps";
import { linear } from "../components/linear";

/** The kinds whose objects carry a step's state, with the resource name kubectl reads them by. */
export const STEP_KINDS: ReadonlyArray<{ readonly apiVersion: string; readonly kind: string; readonly resource: string }> = [
    { apiVersion: "networking.istio.io/v1", kind: "VirtualService", resource: "virtualservices.networking.istio.io" },
    { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", resource: "destinationrules.networking.istio.io" },
    { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", resource: "peerauthentications.security.istio.io" },
    { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", resource: "httproutes.gateway.networking.k8s.io" },
];

/** The label every object of the lab's carries. */
const PART_OF = "app.kubernetes.io/part-of";

/** One object as the API server has it. */
export interface LiveObject {
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
    readonly spec?: unknown;
}

const isKind = (o: RenderedObject, kind: string) =>
    o.manifest.kind === kind &&
    STEP_KINDS.some((k) => k.kind === kind && String(o.manifest.apiVersion).split("/")[0] === k.apiVersion.split("/")[0]);

const idOf = (kind: string, namespace: string | undefined, name: string) => `${kind} ${namespace ?? ""}/${name}`;

const shown = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));

/**
 * Where `live` differs from `want`: every field `want` sets must be there with the same value (the API
 * server may add defaults, which are not differences); a list must have as many items, each compared so.
 */
export function fieldDifferences(want: unknown, live: unknown, at: string): string[] {
    if (Array.isArray(want)) {
        if (!Array.isArray(live) || live.length !== want.length) {
            return [`${at}: expected ${shown(want)}, live ${shown(live)}`];
        }
        return want.flatMap((w, i) => fieldDifferences(w, live[i], `${at}[${i}]`));
    }
    if (typeof want === "object" && want !== null) {
        if (typeof live !== "object" || live === null || Array.isArray(live)) {
            return [`${at}: expected ${shown(want)}, live ${shown(live)}`];
        }
        return Object.entries(want).flatMap(([k, w]) => fieldDifferences(w, (live as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
    }
    return want === live ? [] : [`${at}: expected ${shown(want)}, live ${shown(live)}`];
}

/** One level's result. */
export interface LevelReport {
    /** How many objects or cells were compared. */
    readonly checked: number;
    /** Each difference, as one line. */
    readonly differences: readonly string[];
    /** What was read, for the report (`from istiod at ...`). */
    readonly source?: string;
}

/** The live objects of the step's kinds, all namespaces; a kind the cluster does not serve reads as none. */
export function liveStepObjects(kube: Kube): LiveObject[] {
    return STEP_KINDS.flatMap((k) => {
        try {
            return kubectlList<LiveObject>(kube, ["get", k.resource, "-A", "-o", "json"]).map((o) => ({
                ...o,
                kind: k.kind,
            }));
        } catch (e) {
            if (/doesn't have a resource type|the server could not find the requested resource/.test((e as Error).message)) {
                return [];
            }
            throw e;
        }
    });
}

/** The objects level: each of the step's routing and policy objects against the live one, and the lab's live ones the step does not have. */
export function objectsLevel(objects: readonly RenderedObject[], live: readonly LiveObject[]): LevelReport {
    const wanted = objects.filter((o) => STEP_KINDS.some((k) => isKind(o, k.kind)));
    const byId = new Map(live.map((o) => [idOf(o.kind, o.metadata.namespace, o.metadata.name), o]));
    const differences: string[] = [];
    for (const o of wanted) {
        const m = metaOf(o);
        const id = idOf(String(o.manifest.kind), m.namespace, m.name);
        const found = byId.get(id);
        if (!found) {
            differences.push(`${id}: missing (the step has it)`);
            continue;
        }
        differences.push(...fieldDifferences(o.manifest.spec ?? {}, found.spec, "spec").map((d) => `${id}: ${d}`));
    }
    const wantedIds = new Set(wanted.map((o) => idOf(String(o.manifest.kind), metaOf(o).namespace, metaOf(o).name)));
    for (const o of live.filter((l) => STEP_KINDS.some((k) => k.kind === l.kind))) {
        const id = idOf(o.kind, o.metadata.namespace, o.metadata.name);
        if (o.metadata.labels?.[PART_OF] === "istio-lab" && !wantedIds.has(id)) {
            differences.push(`${id}: present, but the step does not have it`);
        }
    }
    return { checked: wanted.length, differences };
}

/** The namespace a matrix cell's call goes to (`matrix sleep.foo to httpbin.bar` is `bar`). */
const MATRIX_TARGET = linear(/to (?:[^.\s]+\.)?([^.\s]+)$/);

/** The live objects that decide a mesh cell, named in its difference: the policies and routes it depends on. */
function decidedBy(cell: Cell, live: readonly LiveObject[], root: string): string {
    const policy = (o: LiveObject) => {
        const spec = (o.spec ?? {}) as { mtls?: { mode?: string }; portLevelMtls?: Record<string, { mode?: string }> };
        const ports = Object.entries(spec.portLevelMtls ?? {}).map(([p, m]) => `port ${p} ${m.mode ?? "UNSET"}`);
        return `PeerAuthentication ${o.metadata.namespace}/${o.metadata.name} is ${spec.mtls?.mode ?? "UNSET"}${ports.length ? ` (${ports.join(", ")})` : ""}`;
    };
    if (cell.what.startsWith("matrix ")) {
        const to = MATRIX_TARGET.exec(cell.what)?.[1];
        const pas = live.filter((o) => o.kind === "PeerAuthentication" && (o.metadata.namespace === to || o.metadata.namespace === root));
        return pas.length > 0 ? pas.map(policy).join("; ") : `no PeerAuthentication in ${to} or ${root} (PERMISSIVE)`;
    }
    const kinds = cell.what.startsWith("trafficSplit") ? ["VirtualService", "HTTPRoute"] : ["DestinationRule"];
    const names = live
        .filter((o) => kinds.includes(o.kind) && o.metadata.labels?.[PART_OF] === "istio-lab")
        .map((o) => idOf(o.kind, o.metadata.namespace, o.metadata.name));
    return names.length > 0 ? names.join(", ") : `no ${kinds.join(" or ")} of the lab's`;
}

/** The mesh level: the step's predicted cells against what Istio sends the proxies. */
export function meshLevel(
    objects: readonly RenderedObject[],
    config: LabConfig,
    split: Split,
    view: MeshView,
    live: readonly LiveObject[],
    source: string,
): LevelReport {
    const cells = meshCells(objects, config, split, view);
    const differences = cells
        .filter((c) => c.lab !== c.istio)
        .map((c) => `${c.what}: expected ${c.lab}, got ${c.istio}: ${decidedBy(c, live, config.controlPlane.namespace)}`);
    return { checked: cells.length, differences, source };
}

/** The levels `--level` selects. */
export const LEVELS = ["objects", "mesh"] as const;
export type Level = (typeof LEVELS)[number];

/** The levels a report can hold: `--level`'s, and the probes `--probe` adds on a real cluster. */
export const REPORT_LEVELS = [...LEVELS, "probes"] as const;

/** A step's check: each level's report. */
export interface CheckReport {
    readonly step: string;
    readonly stack: string;
    readonly levels: Partial<Record<(typeof REPORT_LEVELS)[number], LevelReport>>;
}

export const passed = (r: CheckReport) => Object.values(r.levels).every((l) => l.differences.length === 0);

/** What one read of the cluster found: the step kinds' live objects, and (for the mesh level) what Istio sends the proxies. */
export interface ClusterRead {
    readonly live: readonly LiveObject[];
    readonly view?: MeshView;
    readonly source: string;
}

/** Reads the cluster once: the live objects, and with the mesh level the pods of these namespaces (and the gateways) with their proxies' configuration. */
export function readCluster(kube: Kube, source: MeshSource, namespaces: readonly string[], levels: readonly Level[]): ClusterRead {
    const live = liveStepObjects(kube);
    const view = levels.includes("mesh") ? meshView(livePods(kube), source, namespaces) : undefined;
    return { live, view, source: source.name };
}

/** The namespaces a lab's rendered objects create. */
export const namespacesOf = (objects: readonly RenderedObject[]) =>
    objects.filter((o) => o.manifest.kind === "Namespace").map((o) => metaOf(o).name);

/** One step's expected state: its objects, the config they come from and the split the stack reports. */
export interface ExpectedState {
    readonly objects: readonly RenderedObject[];
    readonly config: LabConfig;
    readonly split: Split;
}

/** Checks the selected levels of one step against a read of the cluster. */
export function evaluateStep(step: LabStep, stack: string, want: ExpectedState, read: ClusterRead, levels: readonly Level[]): CheckReport {
    const absent = notDeployed(want, read, stack);
    if (absent !== undefined) {
        return { step: step.name, stack, levels: { objects: { checked: absent.checked, differences: [`the lab is ${absent.why}`] } } };
    }
    const out: CheckReport["levels"] = {};
    if (levels.includes("objects")) {
        out.objects = objectsLevel(want.objects, read.live);
    }
    if (levels.includes("mesh") && read.view) {
        out.mesh = meshLevel(want.objects, want.config, want.split, read.view, read.live, read.source);
    }
    return { step: step.name, stack, levels: out };
}

/**
 * When nothing of the lab is on the cluster (none of the step's objects, no object labelled as the lab's, and
 * with the mesh level no pod in the lab's workload namespaces): how many objects were expected, and why it is
 * "not deployed ...", pointing to `pulumi up` (check says it instead of a difference per object or cell blaming
 * a policy; status instead of every attendee diverged); else undefined.
 */
export function notDeployed(want: ExpectedState, read: ClusterRead, stack: string): { checked: number; why: string } | undefined {
    const wanted = want.objects.filter((o) => STEP_KINDS.some((k) => isKind(o, k.kind)));
    const workloads = namespacesOf(want.objects).filter((n) => n !== want.config.controlPlane.namespace);
    const ids = new Set(wanted.map((o) => idOf(String(o.manifest.kind), metaOf(o).namespace, metaOf(o).name)));
    const anyObject = read.live.some(
        (o) => ids.has(idOf(o.kind, o.metadata.namespace, o.metadata.name)) || o.metadata.labels?.[PART_OF] === "istio-lab",
    );
    const anyPod = read.view?.pods.some((p) => workloads.includes(p.namespace)) ?? false;
    if (anyObject || anyPod || (wanted.length === 0 && read.view === undefined)) {
        return undefined;
    }
    const pods = read.view === undefined ? "" : `, no pod in ${workloads.join(", ") || "its namespaces"}`;
    return {
        checked: wanted.length,
        why: `not deployed on this cluster (none of the ${wanted.length} ${wanted.length === 1 ? "object" : "objects"} expected, no object of the lab${pods}): run pulumi up --stack ${stack} first`,
    };
}

/** Reads the cluster once and checks the selected levels. */
export function checkStep(x: {
    step: LabStep;
    stack: string;
    objects: readonly RenderedObject[];
    config: LabConfig;
    split: Split;
    kube: Kube;
    source: MeshSource;
    levels: readonly Level[];
}): CheckReport {
    const read = readCluster(x.kube, x.source, namespacesOf(x.objects), x.levels);
    return evaluateStep(x.step, x.stack, x, read, x.levels);
}

/**
 * One attendee's part of a class's expected state and of a read: the class's objects and live objects less
 * those in the other attendees' namespaces, the config as that attendee's lab (their namespace and traffic
 * settings), and their split (the stack's `attendees` row, their A/B rule).
 */
export function attendeeScope(
    want: {
        objects: readonly RenderedObject[];
        config: LabConfig;
        rows: ReadonlyArray<{ attendee: string; weights: Record<string, number> | null }> | null;
    },
    read: ClusterRead,
    attendee: string,
): { want: ExpectedState; read: ClusterRead } {
    const all = want.config.attendees ?? [];
    const me = all.find((a) => a.name === attendee);
    if (!me) {
        throw new Error(`no attendee ${attendee} in this class`);
    }
    const others = new Set(all.filter((a) => a.name !== attendee).map((a) => a.namespace));
    const mine = (namespace: string | undefined) => namespace === undefined || !others.has(namespace);
    const objects = want.objects.filter(
        (o) => mine(metaOf(o).namespace) && !(o.manifest.kind === "Namespace" && others.has(metaOf(o).name)),
    );
    const config: LabConfig = {
        ...want.config,
        guestbook: { ...want.config.guestbook, namespace: me.namespace },
        canaryWeight: me.canaryWeight,
        abTest: me.abTest,
        routing: me.routing,
        clientTls: me.clientTls,
        circuitBreaker: me.circuitBreaker,
    };
    const weights = want.rows?.find((r) => r.attendee === attendee)?.weights ?? null;
    const split: Split = weights ? { weights, abTest: me.abTest ?? null } : null;
    const view = read.view && { ...read.view, pods: read.view.pods.filter((p) => !others.has(p.namespace)) };
    return { want: { objects, config, split }, read: { ...read, live: read.live.filter((o) => mine(o.metadata.namespace)), view } };
}

/** The report as a learner reads it; a failing one ends with the `FAIL: <hint>` line Instruqt's checks print. */
export function formatCheck(r: CheckReport, step: LabStep): string {
    const lines = [`step ${r.step} (${step.lab} lab: ${step.title}) on stack ${r.stack}`];
    for (const level of REPORT_LEVELS) {
        const l = r.levels[level];
        if (!l) {
            continue;
        }
        const unit = level === "mesh" ? "cells" : level;
        const counted = `${l.checked} ${l.checked === 1 ? unit.slice(0, -1) : unit}`;
        const from = l.source ? `, from ${l.source}` : "";
        const n = l.differences.length;
        // "N differences (M checked)", never "N of M differ": a live object the step lacks is a difference too.
        lines.push(
            n === 0
                ? `${level}: ok (${counted}${from})`
                : `${level}: ${n} ${n === 1 ? "difference" : "differences"} (${counted} checked${from})`,
        );
        lines.push(...l.differences.map((d) => `  ${d}`));
    }
    const first = REPORT_LEVELS.map((level) => r.levels[level]?.differences[0]).find((d) => d !== undefined);
    if (first !== undefined) {
        lines.push(`FAIL: step ${r.step} is not in place: ${first}`);
    }
    return lines.join("\n");
}
