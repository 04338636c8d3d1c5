// Istio judges the lab: every step of the traffic lab (on both traffic APIs) and of the peer authentication
// lab, applied with `pulumi up`, then held against what the real istiod (istiod.ts) sends each proxy. For
// each step, cell by cell: `lab matrix`'s rows (each caller to each callee: the code and whether mutual TLS
// was used) against the same call derived from the caller's clusters and endpoints and the callee's inbound
// chains; `trafficSplit` (the weights and the A/B rule) against the ingress's routes; the circuit breaker
// and client TLS the config asks for against the clusters the ingress's traffic really uses.
import { spawnSync } from "child_process";
import { mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import { parseConfig } from "../config";
import { CheckReport, namespacesOf } from "../tools/check";
import { runLab } from "../tools/engine";
import { lab } from "../tools/lab";
import { Kube, LivePod, MeshView, ProxyNode, isGateway, istiodSource, livePods, meshView } from "../tools/live";
import { workloadsOf } from "../tools/matrix";
import { Cell, Split, meshCells } from "../tools/meshCells";
import { RenderedObject, render } from "../tools/render";
import { schemaProblems } from "../tools/schemas";
import { LabStep, STEPS, stepConfig } from "../tools/steps";
import { admissionProblems, meshProblems } from "../tools/validate";
import { PROJECT_ROOT } from "../tools/stackConfig";
import { ISTIOD } from "./istiod";
import type { Cluster } from "./cluster";
import type { Config, Context, Harness, Scenario } from "./scenario";
import type { IstioTools } from "./toolchain";

const json = (v: unknown) => JSON.stringify(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The annotation Istio's CNI agent sets on a pod whose traffic it redirected to ztunnel (istiod then counts it as captured). */
const REDIRECTION = "ambient.istio.io/redirection";

/**
 * Plays Istio's CNI agent, which kwok cannot run: annotates as redirected every pod of a namespace in the
 * ambient mesh (`istio.io/dataplane-mode: ambient`) that has no sidecar and does not opt out with the
 * pod label `istio.io/dataplane-mode: none`, as the agent does once it has set up the pod's redirection.
 * istiod reads the annotation; without it no workload is in the ambient mesh. Returns whether any changed.
 */
function playCniAgent(c: Cluster, pods: readonly LivePod[]): boolean {
    const namespaces = JSON.parse(c.kubectl(["get", "namespaces", "-l", "istio.io/dataplane-mode=ambient", "-o", "json"]).stdout) as {
        items: Array<{ metadata: { name: string } }>;
    };
    const ambient = new Set(namespaces.items.map((n) => n.metadata.name));
    const todo = pods.filter(
        (p) =>
            ambient.has(p.namespace) &&
            !p.containers.includes("istio-proxy") &&
            p.labels["istio.io/dataplane-mode"] !== "none" &&
            p.annotations[REDIRECTION] !== "enabled",
    );
    for (const p of todo) {
        c.kubectl(["annotate", "pod", "-n", p.namespace, p.name, `${REDIRECTION}=enabled`, "--overwrite"]);
    }
    return todo.length > 0;
}

/** The Cluster as tools/live.ts reads it. */
export const kubeOf = (c: Cluster): Kube => ({ kubectl: (args) => c.kubectl([...args]).stdout });

/** The lab's pods with what the real istiod sends each one's proxy and ztunnel, the CNI agent played first. */
function istiodView(c: Cluster, istio: IstioTools, namespaces: readonly string[]): MeshView {
    const kube = kubeOf(c);
    let all = livePods(kube);
    if (playCniAgent(c, all)) {
        all = livePods(kube);
    }
    const source = istiodSource(istio.xdsdump, ISTIOD.xds, istio.release);
    const view = meshView(all, source, namespaces);
    if (process.env.ISTIO_LAB_E2E_RECORD && recording.step) {
        // ISTIO_LAB_E2E_RECORD=DIR keeps istiod's answers of each step (the unit tests' recorded configuration comes from here).
        mkdirSync(process.env.ISTIO_LAB_E2E_RECORD, { recursive: true });
        const file = path.join(process.env.ISTIO_LAB_E2E_RECORD, `${recording.step.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.json`);
        const labelsOf = (n: ProxyNode) => all.find((p) => p.name === n.pod && p.namespace === n.namespace)?.labels;
        writeFileSync(file, json(source.nodes.map((node, i) => ({ node, labels: labelsOf(node), answer: source.last[i] }))));
    }
    return view;
}

/** The step being read, for ISTIO_LAB_E2E_RECORD's file names. */
const recording: { step?: string } = {};

/**
 * Reads the cells until two reads half a second apart agree: istiod debounces a change for 100 ms
 * (PILOT_DEBOUNCE_AFTER) before it rebuilds what it sends, so a first read half a second after the
 * update and a second one about a second later (a read takes about 0.7 s) see a push that has settled.
 */
export async function settledCells(
    x: Context,
    objects: readonly RenderedObject[],
    config: Config,
    split: Split,
): Promise<{ cells: Cell[]; view: MeshView }> {
    await sleep(500);
    let last = "";
    let cells: Cell[] = [];
    let view: MeshView = { pods: [] };
    for (let i = 0; i < 30; i++) {
        view = istiodView(x.cluster, x.istio, namespacesOf(objects));
        cells = meshCells(objects, parseConfig(config), split, view);
        const now = json(cells);
        if (now === last) {
            break;
        }
        last = now;
        await sleep(500);
    }
    return { cells, view };
}

/**
 * `lab check` against the step just judged, in-process (the CLI itself once, on the first step): the step
 * passes at the objects and mesh levels, and the previous step fails with exactly the cells where the
 * two steps' expected states differ, and with object differences. Returns a problem, or undefined.
 */
async function checkWithLab(
    x: Context,
    name: string,
    config: Config,
    step: LabStep,
    previous: LabStep | undefined,
    cells: readonly Cell[],
    view: MeshView,
    cli: boolean,
): Promise<string | undefined> {
    process.env.ISTIO_LAB_XDSDUMP = x.istio.xdsdump;
    process.env.ISTIO_LAB_KUBECTL = x.cluster.kubectlBin;
    const args = (s: LabStep) => [
        "check",
        "--config",
        x.ws.stackFile(name),
        "--step",
        s.name,
        "--istiod",
        ISTIOD.xds,
        "--kubeconfig",
        x.cluster.kubeconfig,
    ];
    const mine = cli ? labCli([...args(step)]) : await lab(args(step));
    if (mine.code !== 0 || !/^objects: ok /m.test(mine.stdout) || !/^mesh: ok /m.test(mine.stdout)) {
        return `lab check --step ${step.name} exited ${mine.code}: ${(mine.stdout + mine.stderr).trim()}`;
    }
    if (!previous) {
        return undefined;
    }
    const theirs = await lab([...args(previous), "--json"]);
    const report = JSON.parse(theirs.stdout || "{}") as CheckReport;
    // The previous step's expected cells, over the same live view: where they differ from this step's.
    const prevConfig = stepConfig(config, parseConfig(config), previous);
    const prevRun = await runLab(prevConfig, { stack: name });
    const prevCells = meshCells(render(prevRun.resources), prevRun.config, (prevRun.outputs.trafficSplit ?? null) as Split, view);
    const now = new Map(cells.map((c) => [c.what, c.lab]));
    const then = new Map(prevCells.map((c) => [c.what, c.lab]));
    const expected = [...new Set([...now.keys(), ...then.keys()])].filter((w) => now.get(w) !== then.get(w)).sort();
    const got = (report.levels?.mesh?.differences ?? []).map((d) => d.slice(0, d.indexOf(": expected"))).sort();
    if (theirs.code !== 1 || json(got) !== json(expected) || (report.levels?.objects?.differences.length ?? 0) === 0) {
        return `lab check --step ${previous.name} at ${step.name}: exit ${theirs.code}, mesh differences ${json(got)}, expected ${json(expected)}, ${report.levels?.objects?.differences.length ?? 0} object differences`;
    }
    return undefined;
}

/** The `lab` command as a user runs it: its own process. */
function labCli(args: readonly string[]): { code: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "tools", "launch.js"), "lab", ...args], {
        encoding: "utf8",
        env: process.env,
    });
    return { code: r.status ?? 2, stdout: r.stdout, stderr: r.stderr };
}

/** One line of the printed table. */
export interface JudgedRow {
    readonly lab: string;
    readonly step: string;
    readonly cells: number;
    readonly disagreements: readonly Cell[];
}

export function formatJudgement(rows: readonly JudgedRow[]): string {
    const lines = ["| lab | step | cells | agreed | disagreed |", "|---|---|---|---|---|"];
    for (const r of rows) {
        lines.push(`| ${r.lab} | ${r.step} | ${r.cells} | ${r.cells - r.disagreements.length} | ${r.disagreements.length} |`);
    }
    const total = rows.reduce((a, r) => a + r.cells, 0);
    const bad = rows.reduce((a, r) => a + r.disagreements.length, 0);
    lines.push(`| all | ${rows.length} steps | ${total} | ${total - bad} | ${bad} |`);
    for (const r of rows) {
        for (const d of r.disagreements) {
            lines.push(`disagreement: ${r.lab}, ${r.step}, ${d.what}: lab ${d.lab}, istiod ${d.istio}`);
        }
    }
    return lines.join("\n");
}

/**
 * The real injector against the lab's model: every meshed workload's pods carry `istio-proxy` (Istio's
 * proxy image, `auto` filled in for gateways), and no pod of a workload the lab keeps out of the mesh does.
 */
function checkInjection(x: Context, objects: readonly RenderedObject[], release: string): string {
    const pods = livePods(kubeOf(x.cluster));
    const problems: string[] = [];
    let meshed = 0;
    let plain = 0;
    for (const w of workloadsOf(objects)) {
        const mine = pods.filter((p) => p.namespace === w.namespace && p.workload === w.name);
        if (mine.length !== w.replicas) {
            problems.push(`${w.name}.${w.namespace}: ${mine.length} running pods, not ${w.replicas}`);
        }
        for (const p of mine) {
            const injected = p.containers.includes("istio-proxy");
            if (injected !== w.sidecar) {
                problems.push(
                    `${p.name}.${p.namespace}: ${injected ? "injected" : "not injected"}, the lab says ${w.sidecar ? "sidecar" : "none"}`,
                );
            }
            if (injected) {
                meshed++;
            } else {
                plain++;
            }
        }
    }
    const gateways = pods.filter(isGatewayLive);
    for (const g of gateways) {
        const image = g.images[g.containers.indexOf("istio-proxy")] ?? g.images[0];
        // The ambient profile's charts ask for the distroless variant of the same image.
        if (image !== `docker.io/istio/proxyv2:${release}` && image !== `docker.io/istio/proxyv2:${release}-distroless`) {
            problems.push(`${g.name}.${g.namespace}: proxy image ${image}, not docker.io/istio/proxyv2:${release}(-distroless)`);
        }
    }
    if (problems.length > 0) {
        throw new Error(`injection: ${problems.join("; ")}`);
    }
    return `${meshed} pods injected with istio-proxy, ${plain} left plain as the lab says; ${gateways.length} gateway pod(s) with image auto filled in`;
}

const isGatewayLive = (p: LivePod) => isGateway(p) && p.containers.includes("istio-proxy");

/** Codes `istioctl analyze` reports here that say nothing about the lab, with why. */
const ANALYZE_IGNORED: Readonly<Record<string, string>> = {
    IST0164: "the harness reaches istiod's webhooks by URL (an IP address), as no istiod Service answers in its network namespace",
};

/**
 * `istioctl analyze` of the live cluster: its findings about the lab's objects and namespaces (the cluster's
 * own, such as `default` not labelled for injection, are not the lab's), less the ones the harness's URL
 * webhooks cause and the injection notes on namespaces the lab keeps out of the mesh on purpose (`legacy`).
 */
export function analyzeLive(x: Context, objects: readonly RenderedObject[]): { findings: string[]; ignored: string[] } {
    const r = spawnSync(x.istio.istioctl, ["analyze", "--kubeconfig", x.cluster.kubeconfig, "--all-namespaces", "-o", "json"], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    let messages: Array<{ code: string; level: string; message: string; origin?: string }>;
    try {
        messages = JSON.parse(r.stdout || "[]") as typeof messages;
    } catch {
        throw new Error(`istioctl analyze exited ${r.status}: ${(r.stdout + r.stderr).trim().slice(0, 800)}`);
    }
    const namespaces = namespacesOf(objects);
    const meshed = new Set(
        workloadsOf(objects)
            .filter((w) => w.sidecar)
            .map((w) => w.namespace),
    );
    const about = (m: { origin?: string }) => {
        const origin = m.origin ?? "";
        const ns = /^Namespace (\S+)$/.exec(origin)?.[1] ?? /^\S+ ([^/\s]+)\//.exec(origin)?.[1];
        return ns === undefined || namespaces.includes(ns) ? (ns ?? "") : null;
    };
    const findings: string[] = [];
    const ignored: string[] = [];
    for (const m of messages) {
        const ns = about(m);
        const text = `${m.code} ${m.level} ${m.origin ?? ""}: ${m.message}`;
        if (ns === null) {
            continue; // not the lab's
        }
        if (ANALYZE_IGNORED[m.code] !== undefined) {
            ignored.push(`${m.code} (${ANALYZE_IGNORED[m.code]})`);
        } else if (
            m.code === "IST0107" &&
            /networking\.istio\.io\/service-type can only be applied to Gateway/.test(m.message) &&
            /-istio\b/.test(m.origin ?? "")
        ) {
            ignored.push(
                "IST0107 on what istiod deploys for a Gateway (it copies the Gateway's service-type annotation, which Istio documents on the Gateway, onto the Deployment, Service and pods)",
            );
        } else if (m.code === "IST0102" && ns !== "" && !meshed.has(ns)) {
            ignored.push(`IST0102 for ${ns} (the lab keeps it out of the mesh: its probes call from outside)`);
        } else {
            findings.push(text);
        }
    }
    return { findings, ignored };
}

const TRAFFIC_STEPS = STEPS.filter((s) => s.lab === "traffic");
const PEER_AUTH_STEPS = STEPS.filter((s) => s.lab === "peer-auth");
const AMBIENT = (steps: readonly LabStep[]) => steps.filter((s) => s.ambient);

/** The labs judged: the traffic lab on both traffic APIs and in ambient mode, and the peer authentication lab with sidecars and in ambient. */
const JUDGED: ReadonlyArray<{
    lab: string;
    stack: string;
    steps: readonly LabStep[];
    gatewayApi: boolean;
    set?: Config;
    /** Scenario 13's checks run in this lab's stand-up (the gateway-api and ambient stacks as shipped). */
    gatewayLab?: boolean;
}> = [
    { lab: "traffic (Istio API)", stack: "kubernetes", steps: TRAFFIC_STEPS, gatewayApi: false },
    { lab: "traffic (Gateway API)", stack: "gateway-api", steps: TRAFFIC_STEPS, gatewayApi: true, gatewayLab: true },
    { lab: "traffic (ambient)", stack: "ambient", steps: AMBIENT(TRAFFIC_STEPS), gatewayApi: true, gatewayLab: true },
    { lab: "peer authentication", stack: "peer-auth", steps: PEER_AUTH_STEPS, gatewayApi: false },
    // Today's multi-arch images: go-httpbin listens on 8080, so step 12's port-level policy is keyed by 8080.
    {
        lab: "peer authentication (multi-arch images)",
        stack: "peer-auth",
        steps: PEER_AUTH_STEPS,
        gatewayApi: false,
        set: { "istio-lab:images": "multiarch" },
    },
    {
        lab: "peer authentication (ambient)",
        stack: "peer-auth",
        steps: AMBIENT(PEER_AUTH_STEPS),
        // Ambient installs the Gateway API CRDs (a waypoint is a Gateway API Gateway).
        gatewayApi: true,
        set: { "istio-lab:dataplane": "ambient" },
    },
];

/** Scenario 14. */
export function judgeScenario(h: Harness): Scenario {
    return {
        name: "14 Istio judges the lab: each step of the traffic lab (both traffic APIs, and ambient) and the peer authentication lab (steps 8 to 13, sidecars and ambient, and on the multi-arch images, httpbin on 8080) applied, then lab matrix, trafficSplit, the breaker and client TLS held cell by cell against what the real istiod sends each proxy and ztunnel; the real injector against the lab's sidecars; istioctl analyze of the live cluster; scenario 13's checks in the gateway-api and ambient stand-ups",
        run: async (x) => {
            const rows: JudgedRow[] = [];
            const notes: string[] = [];
            const gatewayLabNotes: string[] = [];
            const failures: string[] = [];
            let checked = 0;
            let checks = 0;
            // ISTIO_LAB_E2E_JUDGE=TEXT judges only the labs whose name contains it (a developer's shortcut; CI judges all).
            const only = process.env.ISTIO_LAB_E2E_JUDGE;
            for (const l of JUDGED.filter((j) => !only || j.lab.includes(only))) {
                const base = {
                    ...h.config(x.engine, l.stack, l.gatewayApi ? { "istio-lab:gatewayApiCrds": x.gatewayApiCrds } : {}),
                    ...l.set,
                };
                const name = `judge-${l.stack}${l.set?.["istio-lab:dataplane"] === "ambient" ? "-ambient" : ""}`;
                await h.withStack(x.ws, name, base, async () => {
                    const up = await h.up(x, name);
                    if (l.gatewayLab) {
                        gatewayLabNotes.push(await h.gatewayLab.upChecks(x, name, base, up));
                    }
                    const objects = render((await runLab(base, { stack: name })).resources);
                    notes.push(`${l.stack}: ${checkInjection(x, objects, x.istio.release)}`);
                    if (l.stack === "kubernetes") {
                        try {
                            notes.push(checkAdmissionParity(x.cluster));
                        } catch (e) {
                            failures.push((e as Error).message);
                        }
                    }
                    const analysis = analyzeLive(x, objects);
                    if (analysis.findings.length > 0) {
                        failures.push(`${l.stack}: istioctl analyze: ${analysis.findings.join("; ")}`);
                    }
                    notes.push(
                        `${l.stack}: istioctl analyze clean${analysis.ignored.length > 0 ? ` but for ${[...new Set(analysis.ignored)].join(", ")}` : ""}`,
                    );
                    let config = base;
                    for (const step of l.steps) {
                        config = stepConfig(base, parseConfig(base), step);
                        x.ws.configure(name, config);
                        await h.up(x, name);
                        const stepObjects = render((await runLab(config, { stack: name })).resources);
                        const split = JSON.parse(
                            x.ws.pulumi(["stack", "output", "trafficSplit", "--json", "--stack", name]).stdout || "null",
                        ) as Split;
                        recording.step = `${l.stack} ${step.title}`;
                        const { cells, view } = await settledCells(x, stepObjects, config, split);
                        const previous = l.steps[l.steps.indexOf(step) - 1];
                        const problem = await checkWithLab(x, name, config, step, previous, cells, view, checked++ === 0);
                        if (problem) {
                            failures.push(problem);
                        } else {
                            checks += previous ? 2 : 1;
                        }
                        rows.push({
                            lab: l.lab,
                            step: step.title,
                            cells: cells.length,
                            disagreements: cells.filter((c) => c.lab !== c.istio),
                        });
                    }
                    if (l.gatewayLab) {
                        gatewayLabNotes[gatewayLabNotes.length - 1] += `, ${await h.gatewayLab.destroyChecks(x, name, config)}`;
                    }
                });
            }
            const table = formatJudgement(rows);
            if (gatewayLabNotes.length > 0) {
                notes.push(`scenario 13's checks: ${gatewayLabNotes.join("; ")}`);
            }
            console.log(table);
            const total = rows.reduce((a, r) => a + r.cells, 0);
            const bad = rows.reduce((a, r) => a + r.disagreements.length, 0);
            if (failures.length > 0) {
                throw new Error(failures.join("; "));
            }
            if (bad > 0 || total === 0) {
                throw new Error(
                    `${bad} of ${total} cells disagree with istiod:\n${table
                        .split("\n")
                        .filter((l) => l.startsWith("disagreement"))
                        .join("\n")}`,
                );
            }
            return `${total} cells over ${rows.length} steps, 0 disagreements; lab check: ${checks} checks as expected (each step passes, the previous one fails with exactly the cells the two steps differ in); ${notes.join("; ")}`;
        },
    };
}

/** Istio objects Istio's admission refuses (its CRD rules or istiod's validating webhook), each as a user might write it. */
export const REFUSED_OBJECTS: ReadonlyArray<{
    readonly what: string;
    /** What Istio's answer and lab validate's reason must both say. */
    readonly says: string;
    readonly manifest: Record<string, unknown>;
}> = [
    {
        what: "a negative route weight",
        says: "weight -5 < 0",
        manifest: {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "negative-weight", namespace: "guestbook" },
            spec: {
                hosts: ["guestbook"],
                http: [
                    {
                        route: [
                            { destination: { host: "guestbook", subset: "v1" }, weight: -5 },
                            { destination: { host: "guestbook", subset: "v2" }, weight: 105 },
                        ],
                    },
                ],
            },
        },
    },
    {
        what: "a wildcard host on a mesh route",
        says: "wildcard host * is not allowed for virtual services bound to the mesh gateway",
        manifest: {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "mesh-wildcard", namespace: "guestbook" },
            spec: { hosts: ["*"], http: [{ route: [{ destination: { host: "guestbook" } }] }] },
        },
    },
    {
        what: "a gateway port out of range",
        says: "port number 99999 must be in the range 1..65535",
        manifest: {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "bad-port", namespace: "guestbook" },
            spec: {
                selector: { istio: "ingressgateway" },
                servers: [{ port: { number: 99999, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
            },
        },
    },
    {
        what: "a duplicate subset",
        says: "duplicate subset names: v1",
        manifest: {
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: { name: "duplicate-subset", namespace: "guestbook" },
            spec: {
                host: "guestbook",
                subsets: [
                    { name: "v1", labels: { version: "1.0" } },
                    { name: "v1", labels: { version: "2.0" } },
                ],
            },
        },
    },
    {
        what: "a header regex RE2 cannot compile (lookahead)",
        says: "Istio uses RE2 style regex-based match",
        manifest: {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "lookahead", namespace: "guestbook" },
            spec: {
                hosts: ["guestbook"],
                http: [
                    {
                        match: [{ headers: { "user-agent": { regex: "(?!Chrome).*Firefox.*" } } }],
                        route: [{ destination: { host: "guestbook" } }],
                    },
                ],
            },
        },
    },
    {
        what: "all route weights zero",
        says: "total destination weight = 0",
        manifest: {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "zero-weights", namespace: "guestbook" },
            spec: {
                hosts: ["guestbook"],
                http: [
                    {
                        route: [
                            { destination: { host: "guestbook", subset: "v1" }, weight: 0 },
                            { destination: { host: "guestbook", subset: "v2" }, weight: 0 },
                        ],
                    },
                ],
            },
        },
    },
    {
        what: "port-level mTLS without a selector",
        says: "portLevelMtls requires selector",
        manifest: {
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: { name: "port-no-selector", namespace: "guestbook" },
            spec: { mtls: { mode: "STRICT" }, portLevelMtls: { "80": { mode: "DISABLE" } } },
        },
    },
];

/** What Istio's admission says of each refused object (a server-side dry run: nothing is stored). */
export function admissionVerdicts(c: Cluster): Array<{ what: string; refused: boolean; message: string }> {
    return REFUSED_OBJECTS.map((o) => {
        const r = c.kubectl(["apply", "--dry-run=server", "-f", "-"], json(o.manifest), true);
        return { what: o.what, refused: r.status !== 0, message: r.stderr.trim() };
    });
}

/** lab validate's reasons for one object alone (schemas, mesh checks, admission checks). */
export function labValidateReasons(manifest: Record<string, unknown>): string[] {
    const objects = [
        { type: `kubernetes:${String(manifest.apiVersion)}:${String(manifest.kind)}`, name: "x", manifest },
    ] as unknown as RenderedObject[];
    return [...schemaProblems(objects), ...meshProblems(objects), ...admissionProblems(objects)].map((p) => p.reason);
}

/** Istio's admission and lab validate on each refused object: both refuse it, and both say why in the same words. */
export function checkAdmissionParity(c: Cluster): string {
    const problems: string[] = [];
    for (const [i, v] of admissionVerdicts(c).entries()) {
        const o = REFUSED_OBJECTS[i];
        const reasons = labValidateReasons(o.manifest);
        if (!v.refused || !v.message.includes(o.says)) {
            problems.push(`${o.what}: Istio ${v.refused ? `refused it saying ${v.message}` : "accepted it"}, not "${o.says}"`);
        }
        if (!reasons.some((r) => r.includes(o.says))) {
            problems.push(`${o.what}: lab validate says [${reasons.join("; ")}], not "${o.says}"`);
        }
    }
    if (problems.length > 0) {
        throw new Error(`admission: ${problems.join("; ")}`);
    }
    return `${REFUSED_OBJECTS.length} objects Istio refuses, lab validate refuses each in Istio's words`;
}
