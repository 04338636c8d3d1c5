// The lab's steps, named after the seed documents: the traffic lab (the OpenShift Service Mesh lab's
// VirtualService states, its circuit breaker and its mutual TLS page) and the peer authentication lab's
// steps 8 to 13. Each step is the config it sets over the stack's own; `lab steps` lists them, `lab check`
// holds the live cluster against a step's expected state, and the e2e judges each step against istiod.
// This table is the one source for all of them and for the docs.
import type { LabConfig } from "../config";

/** One step: its name on the command line, what the seed document calls it, and the config it sets. */
export interface LabStep {
    /** The name `--step` takes. */
    readonly name: string;
    /** The lab it belongs to. */
    readonly lab: "traffic" | "peer-auth";
    /** What the step is, in the seed document's words. */
    readonly title: string;
    /** Where the seed document teaches it. */
    readonly seed: string;
    /** The config keys the step sets, over the stack's own (values as `pulumi config set` takes them). */
    readonly set: Readonly<Record<string, string>>;
    /** Config that depends on the stack (the guestbook's namespace), set over {@link set}. */
    readonly setFor?: (config: LabConfig) => Readonly<Record<string, string>>;
    /** Whether the step runs in ambient mode (the lab refuses DISABLE and `clientTls` there). */
    readonly ambient: boolean;
}

const json = (v: unknown) => JSON.stringify(v);
const pa = (policies: unknown[]) => ({ "istio-lab:peerAuth": json(policies) });

const TRAFFIC = "openshift-service-mesh-lab.md";
const PEER_AUTH = "istio-peer-authentication-lab.md";

/** Every step of both labs, in the order the documents teach them. */
export const STEPS: readonly LabStep[] = [
    {
        name: "all-v1",
        lab: "traffic",
        title: "all-v1",
        seed: `${TRAFFIC}: the VirtualService sending every request to v1`,
        set: { "istio-lab:canaryWeight": "0" },
        ambient: true,
    },
    {
        name: "ab-test",
        lab: "traffic",
        title: "A/B test",
        seed: `${TRAFFIC}: Firefox users to v2 (the user-agent match)`,
        set: { "istio-lab:canaryWeight": "0", "istio-lab:abTest": "{}" },
        ambient: true,
    },
    {
        name: "canary-80-20",
        lab: "traffic",
        title: "canary 80/20",
        seed: `${TRAFFIC}: the canary VirtualService, 80 to v1 and 20 to v2`,
        set: { "istio-lab:canaryWeight": "20" },
        ambient: true,
    },
    {
        name: "all-v2",
        lab: "traffic",
        title: "all-v2",
        seed: `${TRAFFIC}: the canary promoted, every request to v2`,
        set: { "istio-lab:canaryWeight": "100" },
        ambient: true,
    },
    {
        name: "round-robin",
        lab: "traffic",
        title: "round robin",
        seed: `${TRAFFIC}: no VirtualService, the Service's endpoints in turn`,
        set: { "istio-lab:canaryWeight": "0", "istio-lab:routing": "roundRobin" },
        ambient: true,
    },
    {
        name: "circuit-breaker",
        lab: "traffic",
        title: "circuit breaker",
        seed: `${TRAFFIC}: the DestinationRule's connection pool and outlier detection`,
        set: { "istio-lab:canaryWeight": "20", "istio-lab:circuitBreaker": "{}" },
        ambient: true,
    },
    {
        name: "circuit-breaker-v2",
        lab: "traffic",
        title: "circuit breaker on v2",
        seed: `${TRAFFIC}: the breaker on one subset, at 3 connections`,
        set: { "istio-lab:canaryWeight": "20", "istio-lab:circuitBreaker": json({ subset: "v2", maxConnections: 3 }) },
        ambient: true,
    },
    {
        name: "client-tls-istio-mutual",
        lab: "traffic",
        title: "client TLS ISTIO_MUTUAL",
        seed: `${TRAFFIC}: destination-rule-all-mtls.yaml`,
        set: { "istio-lab:canaryWeight": "20", "istio-lab:clientTls": "ISTIO_MUTUAL" },
        ambient: false,
    },
    {
        name: "client-tls-disable",
        lab: "traffic",
        title: "client TLS DISABLE",
        seed: `${TRAFFIC}: the rule's TLS turned off`,
        set: { "istio-lab:canaryWeight": "20", "istio-lab:clientTls": "DISABLE" },
        ambient: false,
    },
    {
        name: "mtls",
        lab: "traffic",
        title: "mutual TLS: STRICT and ISTIO_MUTUAL",
        seed: "openshift-mutual-tls.md: peer-authentication-mtls.yaml (STRICT for the app's namespace) and destinationrule-mtls.yaml",
        set: { "istio-lab:canaryWeight": "20", "istio-lab:clientTls": "ISTIO_MUTUAL" },
        // STRICT for the app's namespace: in a class, each attendee's (the step is the whole class's).
        setFor: (c) =>
            pa(
                (c.attendees?.map((a) => a.namespace) ?? [c.guestbook?.namespace ?? "guestbook"]).map((namespace) => ({
                    mode: "STRICT",
                    scope: "namespace",
                    namespace,
                })),
            ),
        ambient: false,
    },
    {
        name: "step-8",
        lab: "peer-auth",
        title: "step 8: no policy",
        seed: `${PEER_AUTH}: step 8, every sleep calls every httpbin (PERMISSIVE)`,
        set: pa([]),
        ambient: true,
    },
    {
        name: "step-9",
        lab: "peer-auth",
        title: "step 9: mesh STRICT",
        seed: `${PEER_AUTH}: step 9, a mesh-wide STRICT policy in istio-system`,
        set: pa([{ mode: "STRICT", scope: "mesh" }]),
        ambient: true,
    },
    {
        name: "step-10",
        lab: "peer-auth",
        title: "step 10: namespace foo STRICT",
        seed: `${PEER_AUTH}: step 10, STRICT for namespace foo`,
        set: pa([{ mode: "STRICT", scope: "namespace", namespace: "foo" }]),
        ambient: true,
    },
    {
        name: "step-11",
        lab: "peer-auth",
        title: "step 11: workload httpbin.bar STRICT",
        seed: `${PEER_AUTH}: step 11, STRICT for httpbin in bar`,
        set: pa([{ mode: "STRICT", scope: "workload", namespace: "bar", selector: { app: "httpbin" } }]),
        ambient: true,
    },
    {
        name: "step-12",
        lab: "peer-auth",
        title: "step 12: port 80 DISABLE",
        seed: `${PEER_AUTH}: step 12, httpbin.bar STRICT but port 80 DISABLE (httpbin's port: 8080 with istio-lab:images multiarch)`,
        set: {},
        // The document's port 80 is httpbin's container port: go-httpbin (the multi-arch images) listens on 8080.
        setFor: (c) =>
            pa([
                {
                    mode: "STRICT",
                    scope: "port",
                    namespace: "bar",
                    selector: { app: "httpbin" },
                    portLevelMtls: { [String(c.mtlsLab.httpbinPort)]: { mode: "DISABLE" } },
                },
            ]),
        ambient: false,
    },
    {
        name: "step-13",
        lab: "peer-auth",
        title: "step 13: namespace STRICT, workload DISABLE",
        seed: `${PEER_AUTH}: step 13, the workload policy overrides the namespace's`,
        set: pa([
            { mode: "STRICT", scope: "namespace", namespace: "foo", name: "namespace-peer-auth-policy-foo" },
            {
                mode: "DISABLE",
                scope: "workload",
                namespace: "foo",
                selector: { app: "httpbin" },
                name: "workload-peer-auth-policy-httpbin-foo",
            },
        ]),
        ambient: false,
    },
];

/** The labs a stack has: the traffic lab with the guestbook and its routing, the peer authentication lab with its probes. */
export function labsOf(config: LabConfig): Array<LabStep["lab"]> {
    const labs: Array<LabStep["lab"]> = [];
    if (config.stages.includes("guestbook") && config.stages.includes("traffic")) {
        labs.push("traffic");
    }
    if (config.stages.includes("mtlsLab") && config.stages.includes("peerAuth")) {
        labs.push("peer-auth");
    }
    return labs;
}

/** The steps a stack can take: its labs' steps, less those its data plane refuses. */
export function stepsOf(config: LabConfig): LabStep[] {
    const labs = labsOf(config);
    return STEPS.filter((s) => labs.includes(s.lab) && (config.dataplane !== "ambient" || s.ambient));
}

/** A step by its `--step` name, or a message naming the bad name and the ones this stack allows. */
export function findStep(config: LabConfig, name: string): LabStep | string {
    const mine = stepsOf(config);
    const step = mine.find((s) => s.name === name);
    if (step) {
        return step;
    }
    const allowed =
        mine.length > 0
            ? mine.map((s) => s.name).join(", ")
            : "none (this stack has neither the traffic lab nor the peer authentication lab)";
    const other = STEPS.find((s) => s.name === name);
    const why = other
        ? config.dataplane === "ambient" && !other.ambient && labsOf(config).includes(other.lab)
            ? ` is not a step in ambient mode (the lab refuses ${other.lab === "traffic" ? "clientTls" : "DISABLE"} there)`
            : ` belongs to the ${other.lab} lab, which this stack does not have`
        : " is not a step";
    return `--step ${JSON.stringify(name)}${why}; expected one of ${allowed}`;
}

/** What a step sets on this stack. */
export function stepSettings(config: LabConfig, step: LabStep): Record<string, string> {
    return { ...step.set, ...step.setFor?.(config) };
}

/**
 * The keys each lab's steps decide: a step is the whole of its lab's state, so the keys another step of
 * the lab sets go back to their defaults unless this step sets them (all-v1 after the A/B test has no
 * header match). The mutual TLS step's policy stays for the steps after it, as in the document.
 */
export const STEP_KEYS: Readonly<Record<LabStep["lab"], readonly string[]>> = {
    traffic: ["istio-lab:canaryWeight", "istio-lab:abTest", "istio-lab:routing", "istio-lab:circuitBreaker", "istio-lab:clientTls"],
    "peer-auth": ["istio-lab:peerAuth"],
};

/** The stack's config at a step: its lab's keys as the step sets them, everything else as the stack has it. */
export function stepConfig(base: Readonly<Record<string, string>>, config: LabConfig, step: LabStep): Record<string, string> {
    const kept = Object.entries(base).filter(([k]) => !STEP_KEYS[step.lab].includes(k));
    return { ...Object.fromEntries(kept), ...stepSettings(config, step) };
}

/** The `lab steps` table. */
export function formatSteps(config: LabConfig, steps: readonly LabStep[]): string {
    const rows = [
        ["STEP", "LAB", "WHAT", "SETS"],
        ...steps.map((s) => [
            s.name,
            s.lab,
            s.title,
            Object.entries(stepSettings(config, s))
                .map(([k, v]) => `${k.replace(/^istio-lab:/, "")}=${v}`)
                .join(" "),
        ]),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n");
}

/** The traffic settings an attendee's override sets (`attendeeOverrides.<name>.<key>`). */
export const ATTENDEE_OWN = ["canaryWeight", "abTest", "routing", "clientTls", "circuitBreaker"] as const;

/** An attendee's own keys, as the class's `istio-lab:` keys a step sets. */
const ATTENDEE_KEYS: readonly string[] = ATTENDEE_OWN.map((k) => `istio-lab:${k}`);

/**
 * The steps one attendee of a class takes on their own: the traffic lab's steps whose every key is an
 * attendee's own (the mutual TLS step also sets the class's `peerAuth`, and the peer authentication lab is
 * the mesh's, so both are the whole class's).
 */
export function attendeeStepsOf(config: LabConfig): LabStep[] {
    return stepsOf(config).filter(
        (s) => s.lab === "traffic" && Object.keys(stepSettings(config, s)).every((k) => ATTENDEE_KEYS.includes(k)),
    );
}

/** An attendee by name and a step they can take on their own, or a message naming what is allowed. */
export function findAttendeeStep(config: LabConfig, name: string, attendee: string): LabStep | string {
    const names = (config.attendees ?? []).map((a) => a.name);
    if (names.length === 0) {
        return `--attendee ${JSON.stringify(attendee)} is not allowed: this stack has no attendees (istio-lab:attendees is not set)`;
    }
    if (!names.includes(attendee)) {
        const shown = names.length > 5 ? `${names.slice(0, 5).join(", ")}, ...` : names.join(", ");
        return `--attendee ${JSON.stringify(attendee)} is not allowed; expected an attendee of this class (${shown})`;
    }
    const mine = attendeeStepsOf(config);
    const step = mine.find((s) => s.name === name);
    if (step) {
        return step;
    }
    const any = findStep(config, name);
    const why =
        typeof any === "string" ? " is not a step" : " is the whole class's (it sets the mesh's policies, not an attendee's own keys)";
    return `--step ${JSON.stringify(name)}${why}; with --attendee expected one of ${mine.map((s) => s.name).join(", ")}`;
}

/**
 * The class's config with one attendee at a step: their `attendeeOverrides` entry is the step's traffic
 * keys (what the step leaves out comes from the class's own settings, as for any attendee); the other
 * attendees' entries stay as they are.
 */
export function attendeeStepConfig(
    base: Readonly<Record<string, string>>,
    config: LabConfig,
    step: LabStep,
    attendees: readonly string[],
): Record<string, string> {
    const key = "istio-lab:attendeeOverrides";
    const overrides = (base[key] === undefined ? {} : JSON.parse(base[key])) as Record<string, unknown>;
    const own = Object.fromEntries(
        Object.entries(stepSettings(config, step)).map(([k, v]) => [k.replace(/^istio-lab:/, ""), /^[[{0-9]/.test(v) ? JSON.parse(v) : v]),
    );
    return { ...base, [key]: JSON.stringify({ ...overrides, ...Object.fromEntries(attendees.map((a) => [a, own])) }) };
}
