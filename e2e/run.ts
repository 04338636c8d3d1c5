// `npm run e2e`: the lab through the real Pulumi engine (CLI, Node.js language host, Kubernetes
// provider, built from Go modules by toolchain.ts) against a real Kubernetes API server on 127.0.0.1
// (cluster.ts). The engine is the referee: every scenario is a `pulumi` command, asserted exactly
// against what `lab render` and `lab diff` say. Everything after the tools are built runs inside a
// network namespace with only loopback, so a dial to a Service address (istiod's webhooks) fails at once
// and nothing leaves the machine.
import { spawnSync } from "child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { WAIT_FOR } from "../components/lab";
import { LAB_ID_LABEL } from "../stacks/lab";
import { ObjectChange, diffRenders } from "../tools/diff";
import { runLab } from "../tools/engine";
import { CONFIG_FILE, RenderedObject, metaOf, objectId, render } from "../tools/render";
import { PROJECT_ROOT } from "../tools/stackConfig";
import { Cluster, serviceRangeUnreachable, startCluster } from "./cluster";
import { minimalCrds } from "./crds";
import { accessScenario } from "./access";
import { promoteScenario } from "./promote";
import { Config, Context, Harness, Scenario } from "./scenario";
import { Workspace, createWorkspace } from "./pulumi";
import { upPlayingOperators } from "./operators";
import { ensureAll, ensureEngine, ensureIstio, ensureTools } from "./toolchain";
import { ISTIOD, Istiod, superviseIstiod } from "./istiod";
import { REAL_ISTIOD, harnessConfig } from "./harnessConfig";
import { dataLossScenario } from "./dataLoss";
import { judgeScenario } from "./judge";
import { stepsScenario } from "./steps";
import { SANDBOX_SCENARIO, sandboxScenario } from "./sandboxCheck";

type Manifest = Record<string, unknown>;

const json = (v: unknown) => JSON.stringify(v);

/** What `lab render` says the stack applies. */
async function rendered(config: Config, stack: string): Promise<RenderedObject[]> {
    return render((await runLab(config, { stack })).resources);
}

interface Step {
    readonly op: string;
    readonly object: string;
    /** An object the Gateway API CRD file holds (a child of the provider's ConfigFile), which `lab render` shows as the file. */
    readonly fromFile: boolean;
}

/** `Kind namespace/name` of a Kubernetes resource's inputs (a Helm release by its name and namespace; the ConfigFile by its URN's name). */
function objectOfInputs(type: string, inputs: Manifest | undefined, urn: string): string {
    if (type === CONFIG_FILE) {
        return `ConfigFile ${urn.split("::").pop() ?? ""}`;
    }
    const i = inputs ?? {};
    const meta = (i.metadata ?? {}) as { name?: string; namespace?: string };
    const kind = (i.kind as string | undefined) ?? (type === "kubernetes:helm.sh/v3:Release" ? "Release" : type.split(":")[2]);
    const name = meta.name ?? (i.name as string | undefined) ?? "";
    const ns = meta.namespace ?? (i.namespace as string | undefined);
    return `${kind} ${ns ? `${ns}/` : ""}${name}`;
}

/** The Kubernetes objects a `pulumi preview --json` plans to touch, with what it does to each. */
function planSteps(previewJson: string): Step[] {
    const plan = JSON.parse(previewJson) as {
        steps?: Array<{
            op: string;
            urn: string;
            newState?: { type: string; inputs?: Manifest };
            oldState?: { type: string; inputs?: Manifest };
        }>;
    };
    return (plan.steps ?? []).flatMap((s) => {
        const state = s.newState ?? s.oldState;
        return state && state.type.startsWith("kubernetes:") && s.op !== "read"
            ? [{ op: s.op, object: objectOfInputs(state.type, state.inputs, s.urn), fromFile: s.urn.includes(`$${CONFIG_FILE}$`) }]
            : [];
    });
}

/** The engine's steps in lab diff's words: `added X`, `changed X`, `changed X (replace)`, `removed X`. */
function engineChanges(steps: readonly Step[]): string[] {
    const out: string[] = [];
    for (const s of steps) {
        switch (s.op) {
            case "create":
                out.push(`added ${s.object}`);
                break;
            case "delete":
                out.push(`removed ${s.object}`);
                break;
            case "update":
                out.push(`changed ${s.object}`);
                break;
            case "replace":
            case "create-replacement":
                out.push(`changed ${s.object} (replace)`);
                break;
            case "same":
            case "delete-replaced":
                break;
            default:
                out.push(`${s.op} ${s.object}`);
        }
    }
    return [...new Set(out)].sort();
}

function labDiffChanges(changes: readonly ObjectChange[]): string[] {
    return changes.map((c) => `${c.change} ${c.object}${c.replace ? " (replace)" : ""}`).sort();
}

/** The live objects, in the order given (null where one does not exist). */
function live(c: Cluster, objects: readonly RenderedObject[]): Array<Manifest | null> {
    return objects.map((o) => {
        const m = metaOf(o);
        // Read at the version the program declared (kubectl would pick the server's preferred one).
        const [group, version] = String(o.manifest.apiVersion).includes("/") ? String(o.manifest.apiVersion).split("/") : ["", ""];
        const resource = group ? `${String(o.manifest.kind)}.${version}.${group}` : String(o.manifest.kind);
        const r = c.kubectl(
            ["get", resource, m.name, ...(m.namespace ? ["-n", m.namespace] : []), "-o", "json", "--ignore-not-found"],
            undefined,
        );
        return r.stdout.trim() === "" ? null : (JSON.parse(r.stdout) as Manifest);
    });
}

/** A copy of `m` without `keys`. */
function omit(m: Manifest, keys: readonly string[]): Manifest {
    return Object.fromEntries(Object.entries(m).filter(([k]) => !keys.includes(k)));
}

/** Paths where `want` (what the program set) is not what the server holds. */
function mismatches(want: unknown, got: unknown, at: string, out: string[]): string[] {
    if (want === undefined || want === null) {
        return out;
    }
    if (Array.isArray(want)) {
        if (!Array.isArray(got)) {
            out.push(`${at}: missing`);
        } else {
            want.forEach((w, i) => mismatches(w, got[i], `${at}[${i}]`, out));
        }
    } else if (typeof want === "object") {
        if (got === null || typeof got !== "object") {
            out.push(`${at}: missing`);
        } else {
            for (const [k, v] of Object.entries(want as Manifest)) {
                mismatches(v, (got as Manifest)[k], at ? `${at}.${k}` : k, out);
            }
        }
    } else if (String(want as string | number | boolean) !== String(got as string | number | boolean)) {
        out.push(`${at}: set ${JSON.stringify(want)}, server has ${JSON.stringify(got)}`);
    }
    return out;
}

/** Every rendered object exists with what the program set (Secret values are redacted in renders, so not compared). */
function assertLive(c: Cluster, objects: readonly RenderedObject[]): void {
    const problems = live(c, objects).flatMap((got, i) => {
        const want = omit(objects[i].manifest, ["stringData"]);
        return got === null
            ? [`${objectId(objects[i])}: not found`]
            : mismatches(want, got, "", []).map((p) => `${objectId(objects[i])} ${p}`);
    });
    if (problems.length > 0) {
        throw new Error(problems.slice(0, 10).join("; "));
    }
}

/** The stack's generated lab id (the mock engine that renders draws its own). */
function labIdOf(ws: Workspace, stack: string): string {
    return ws.pulumi(["stack", "output", "labId", "--stack", stack]).stdout.trim();
}

/**
 * Live objects as the program set them, field by field, with the stack's own lab id in the label
 * that carries it (Helm releases are the provider's Helm's to check; their objects are checked apart).
 */
function assertLiveApplied(c: Cluster, objects: readonly RenderedObject[], labId: string): void {
    const withId = objects
        .filter((o) => o.manifest.kind !== "Release")
        .map((o) => {
            const meta = metaOf(o);
            if (meta.labels?.[LAB_ID_LABEL] === undefined) {
                return o;
            }
            return { ...o, manifest: { ...o.manifest, metadata: { ...meta, labels: { ...meta.labels, [LAB_ID_LABEL]: labId } } } };
        });
    assertLive(c, withId);
}

/** Runs `fn` on a new stack, and destroys and removes the stack afterwards whatever happened. */
async function withStack<T>(ws: Workspace, name: string, config: Config, fn: () => Promise<T>): Promise<T> {
    ws.stack(name, config);
    try {
        return await fn();
    } finally {
        ws.pulumi(["destroy", "--yes", "--skip-preview", "--stack", name], { allowFailure: true });
        ws.pulumi(["stack", "rm", "--yes", "--force", name], { allowFailure: true });
    }
}

/** Istio's CRDs, for a scenario that runs without the istiod chart's base (or alone, by ISTIO_LAB_E2E_ONLY). */
function applyCrds(c: Cluster, crds: string): void {
    c.kubectl(["apply", "--server-side", "--force-conflicts", "-f", crds]);
}

/** Every object gone (a namespace's deletion finishes asynchronously: wait for it). */
function assertGone(c: Cluster, objects: readonly RenderedObject[]): void {
    for (const ns of objects.filter((o) => o.manifest.kind === "Namespace")) {
        c.kubectl(["wait", "--for=delete", `namespace/${metaOf(ns).name}`, "--timeout=120s"], undefined, true);
    }
    const applied = objects.filter((o) => o.manifest.kind !== "Release");
    const left = live(c, applied).flatMap((m, i) => (m === null ? [] : [objectId(applied[i])]));
    if (left.length > 0) {
        throw new Error(`left after pulumi destroy: ${left.join(", ")}`);
    }
}

/** Two trafficSplit outputs alike, whatever the order of their keys. */
function sameSplit(
    a: { weights: Record<string, number>; abTest: unknown },
    b: { weights: Record<string, number>; abTest: unknown },
): boolean {
    const sorted = (w: Record<string, number>) => json(Object.entries(w).sort(([x], [y]) => x.localeCompare(y)));
    return sorted(a.weights) === sorted(b.weights) && json(a.abTest) === json(b.abTest);
}

/** Scenario 13's name: the gateway-api and ambient stacks up and down. */
const GATEWAY_LABS_SCENARIO =
    "13 the gateway-api and ambient stacks up and down: the Gateway API CRDs from sigs.k8s.io/gateway-api as a local standard-install.yaml, istiod (with cni and ztunnel in ambient), the Gateway (and waypoint) Programmed once the harness plays Istio; live as rendered; a canary change is one HTTPRoute update, trafficSplit in percent; destroy leaves the CRDs";

/** Scenario 13's checks of a Gateway API stack (gateway-api, ambient): once it is up, and its destroy. */
const gatewayLab: Harness["gatewayLab"] = {
    upChecks: async (x, name, config, { ms, played }) => {
        const { cluster, ws, times } = x;
        const release = (doc: string) => /bundle-version: (v\S+)/.exec(doc)?.[1];
        const applied = (await rendered(config, name)).filter((o) => o.manifest.kind !== "ConfigFile");
        times.push([`pulumi up, ${name}`, secs(ms)]);
        assertLiveApplied(cluster, applied, labIdOf(ws, name));
        // labUrl: the node port of the Service Istio deployed for the Gateway (played here), read after it is Programmed.
        const svc = JSON.parse(
            cluster.kubectl(["get", "service", "guestbook-gateway-istio", "-n", "istio-system", "-o", "json"]).stdout,
        ) as {
            spec: { ports: Array<{ port: number; nodePort?: number }> };
        };
        const nodePort = svc.spec.ports.find((p) => p.port === 443)?.nodePort;
        const labUrl = ws.pulumi(["stack", "output", "labUrl", "--stack", name]).stdout.trim();
        if (labUrl !== `https://<any node's address>:${nodePort}`) {
            throw new Error(`${name}: labUrl ${labUrl}, not the node port ${nodePort} of guestbook-gateway-istio`);
        }
        const crd = cluster.kubectl(["get", "crd", "httproutes.gateway.networking.k8s.io", "-o", "yaml"]).stdout;
        if (release(crd) !== "v1.6.3") {
            throw new Error(`${name}: the HTTPRoute CRD's release is ${release(crd)}, not v1.6.3`);
        }
        if (name === "ambient") {
            const daemons = cluster
                .kubectl(["get", "daemonsets", "-n", "istio-system", "-o", "jsonpath={.items[*].metadata.name}"])
                .stdout.trim();
            if (daemons !== "istio-cni-node ztunnel") {
                throw new Error(`ambient: the DaemonSets in istio-system are [${daemons}], not istio-cni-node and ztunnel`);
            }
        }
        ws.configure(name, { ...config, "istio-lab:canaryWeight": "50" });
        const engineSaid = engineChanges(preview(ws, name));
        if (json(engineSaid) !== json(["changed HTTPRoute guestbook/guestbook"])) {
            throw new Error(`${name}: canary 20 to 50, the engine plans [${engineSaid.join("; ")}]`);
        }
        ws.pulumi(["up", "--yes", "--skip-preview", "--stack", name]);
        const route = JSON.parse(
            cluster.kubectl(["get", "httproutes.v1.gateway.networking.k8s.io", "guestbook", "-n", "guestbook", "-o", "json"]).stdout,
        ) as { spec: { rules: Array<{ backendRefs: Array<{ name: string; weight: number }> }> } };
        const weights = route.spec.rules
            .at(-1)!
            .backendRefs.map((b) => `${b.name} ${b.weight}`)
            .join(", ");
        const split = ws.pulumi(["stack", "output", "trafficSplit", "--json", "--stack", name]).stdout;
        if (
            weights !== "guestbook-v1 50, guestbook-v2 50" ||
            !sameSplit(JSON.parse(split) as Parameters<typeof sameSplit>[0], { weights: { v1: 50, v2: 50 }, abTest: null })
        ) {
            throw new Error(`${name}: live backends [${weights}], trafficSplit ${split}`);
        }
        ws.configure(name, config);
        return `${name}: ${applied.length} objects up in ${secs(ms)} (${played} status reports played), labUrl ${labUrl}, canary one HTTPRoute update`;
    },
    destroyChecks: async (x, name, config) => {
        const { cluster, ws } = x;
        const applied = (await rendered(config, name)).filter((o) => o.manifest.kind !== "ConfigFile");
        const destroy = ws.pulumi(["destroy", "--yes", "--skip-preview", "--stack", name]);
        assertGone(cluster, applied);
        const kept = cluster
            .kubectl(["get", "crd", "-o", "name"])
            .stdout.split("\n")
            .filter((l) => l.includes("gateway.networking.k8s.io")).length;
        if (kept !== 10) {
            throw new Error(`${name}: ${kept} Gateway API CRDs left after destroy, not the 10 of the standard install`);
        }
        return `destroy ${secs(destroy.ms)}, the 10 CRDs kept`;
    },
};

/** The helpers the scenarios in files of their own are given. */
const HARNESS: Harness = {
    config: harnessConfig,
    withStack,
    applyCrds,
    up: (x, stack) => upPlayingOperators(x.cluster, x.ws, stack, x.istiod),
    gatewayLab,
};

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The `pulumi preview --json` of a stack's current config. */
function preview(ws: Workspace, stack: string, extra: string[] = []): Step[] {
    return planSteps(ws.pulumi(["preview", "--json", "--stack", stack, ...extra]).stdout);
}

const CHANGES: Array<[string, Config]> = [
    ["canary 20 to 50", { "istio-lab:canaryWeight": "50" }],
    ["A/B rule on", { "istio-lab:abTest": "{}" }],
    ["circuit breaker on", { "istio-lab:circuitBreaker": "{}" }],
    ["mesh STRICT to namespace STRICT", { "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"namespace","namespace":"guestbook"}]' }],
    ["TLS at the gateway off", { "istio-lab:gateway": '{"serviceType":"NodePort","tls":false}' }],
    ["guestbook namespace renamed", { "istio-lab:guestbook": '{"namespace":"guestbook-renamed"}' }],
    [
        "a version's selector label changed (immutable)",
        {
            "istio-lab:canaryWeight": "0",
            "istio-lab:guestbook": json({ versions: [{ name: "v1", image: "ibmcom/guestbook:v1", replicas: 3, version: "1.1" }] }),
        },
    ],
];

/** The classroom scenario's size: 20, or ISTIO_LAB_E2E_CLASS (e.g. 100, to measure a large class through the engine). */
const CLASS_SIZE = Number(process.env.ISTIO_LAB_E2E_CLASS ?? "20");

const SCENARIOS: Scenario[] = [
    {
        name: "1 pulumi preview of every shipped stack that runs here: the plan's objects are lab render's (kind, namespace, name)",
        run: async ({ ws, engine, gatewayApiCrds }) => {
            const out: string[] = [];
            const stacks: Array<[string, Config]> = [
                ["dev", harnessConfig(engine, "dev")],
                ["kubernetes", harnessConfig(engine, "kubernetes")],
                ["peer-auth", harnessConfig(engine, "peer-auth")],
                [
                    "sail",
                    harnessConfig(engine, "kubernetes", {
                        "istio-lab:controlPlane": json({ flavor: "sail", sailChartRepo: standInSailChart(ws) }),
                    }),
                ],
                ["openshift", harnessConfig(engine, "openshift")],
                ["openshift3", harnessConfig(engine, "openshift3")],
                ["gateway-api", harnessConfig(engine, "gateway-api", { "istio-lab:gatewayApiCrds": gatewayApiCrds })],
                ["ambient", harnessConfig(engine, "ambient", { "istio-lab:gatewayApiCrds": gatewayApiCrds })],
            ];
            for (const [name, config] of stacks) {
                ws.stack(`preview-${name}`, config);
                const steps = preview(ws, `preview-${name}`);
                // What the CRD file holds is planned as the file's children; lab render shows the file.
                const fromFile = steps.filter((s) => s.fromFile && s.op === "create").length;
                const planned = steps
                    .filter((s) => s.op === "create" && !s.fromFile)
                    .map((s) => s.object)
                    .sort();
                const want = (await rendered(config, `preview-${name}`)).map(objectId).sort();
                if (json(planned) !== json(want)) {
                    const missing = want.filter((w) => !planned.includes(w));
                    const extra = planned.filter((p) => !want.includes(p));
                    throw new Error(`${name}: the plan lacks [${missing.join(", ")}] and adds [${extra.join(", ")}]`);
                }
                if (config["istio-lab:gatewayApiCrds"] !== undefined && fromFile !== 12) {
                    throw new Error(
                        `${name}: the CRD file's objects planned: ${fromFile}, not the 10 CRDs and the upgrade policy and its binding`,
                    );
                }
                out.push(`${name} ${planned.length}${fromFile > 0 ? ` (+${fromFile} from the CRD file)` : ""}`);
                ws.pulumi(["stack", "rm", "--yes", "--force", `preview-${name}`]);
            }
            return `objects planned = rendered: ${out.join(", ")}`;
        },
    },
    {
        name: "2 pulumi up of dev: live objects as rendered, labUrl the node port the API server assigned, no private key or Secret value in the state, then up --expect-no-changes",
        run: async ({ cluster, ws, engine, times }) => {
            const config = harnessConfig(engine, "dev");
            ws.stack("dev", config);
            const up = ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
            times.push(["pulumi up, dev (29 resources, 3 Helm releases, TLS with the stand-ins)", secs(up.ms)]);
            const objects = await rendered(config, "dev");
            assertLiveApplied(cluster, objects, labIdOf(ws, "dev"));
            for (const [kind, ns, name] of [
                ["deployment", "istio-system", "istiod"],
                ["deployment", "istio-system", "istio-ingressgateway"],
            ]) {
                cluster.kubectl(["get", kind, name, "-n", ns]);
            }
            const svc = JSON.parse(
                cluster.kubectl(["get", "service", "istio-ingressgateway", "-n", "istio-system", "-o", "json"]).stdout,
            ) as {
                spec: { ports: Array<{ port: number; nodePort: number }> };
            };
            const nodePort = svc.spec.ports.find((p) => p.port === 443)?.nodePort;
            const labUrl = ws.pulumi(["stack", "output", "labUrl", "--stack", "dev"]).stdout.trim();
            if (!nodePort || labUrl !== `https://<any node's address>:${nodePort}`) {
                throw new Error(`labUrl ${labUrl}, the Service's node port for 443 is ${nodePort}`);
            }
            // Secrets: the exported state holds neither the private keys nor the Secret's values in plain text.
            const state = ws.exportState("dev");
            const secret = JSON.parse(
                cluster.kubectl(["get", "secret", "guestbook-gateway-credential", "-n", "istio-system", "-o", "json"]).stdout,
            ) as {
                data: Record<string, string>;
            };
            const key = Buffer.from(secret.data["tls.key"], "base64").toString();
            // The stand-in tls plugin's certificate is real X.509: it verifies against the caCert output.
            const caCert = ws.pulumi(["stack", "output", "caCert", "--stack", "dev"]).stdout.trim();
            const verified = verifyCertificate(caCert, Buffer.from(secret.data["tls.crt"], "base64").toString());
            if (verified !== "OK guestbook.istio-lab.local") {
                throw new Error(`the gateway certificate against caCert: ${verified}`);
            }
            const leaks = [
                state.includes("PRIVATE KEY") ? "a PEM private key" : "",
                state.includes(key.trim().split("\n")[1] ?? "<none>") ? "the Secret's tls.key" : "",
                state.includes(secret.data["tls.key"]) ? "the Secret's tls.key (base64)" : "",
            ].filter(Boolean);
            if (leaks.length > 0 || !state.includes("4dabf18193072939515e22adb298388d")) {
                throw new Error(`the exported state holds ${leaks.join(", ") || "no secret at all"} in plain text`);
            }
            const again = ws.pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes", "--stack", "dev"]);
            times.push(["pulumi up, dev, nothing changed", secs(again.ms)]);
            return `${objects.length} objects live as rendered; labUrl ${labUrl}; certificate verifies against caCert (stand-in tls); state encrypted; second up ${secs(again.ms)} with no changes`;
        },
    },
    {
        name: "3 canary 20 to 50: pulumi preview --diff has exactly one update (the VirtualService), as lab diff says; up; live weights 50/50",
        run: async ({ cluster, ws, engine, times }) => {
            const base = harnessConfig(engine, "dev");
            const after = { ...base, "istio-lab:canaryWeight": "50" };
            ws.configure("dev", after);
            const diff = ws.pulumi(["preview", "--diff", "--json", "--stack", "dev"]);
            const engineSaid = engineChanges(planSteps(diff.stdout));
            const labSaid = labDiffChanges(diffRenders(await rendered(base, "dev"), await rendered(after, "dev")));
            const want = ["changed VirtualService guestbook/virtual-service-guestbook"];
            if (json(engineSaid) !== json(want) || json(labSaid) !== json(want)) {
                throw new Error(`engine [${engineSaid.join("; ")}], lab diff [${labSaid.join("; ")}], want [${want.join("; ")}]`);
            }
            const up = ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
            times.push(["pulumi up, canary 20 to 50 (1 update)", secs(up.ms)]);
            const vs = JSON.parse(
                cluster.kubectl([
                    "get",
                    "virtualservices.v1.networking.istio.io",
                    "virtual-service-guestbook",
                    "-n",
                    "guestbook",
                    "-o",
                    "json",
                ]).stdout,
            ) as {
                spec: { http: Array<{ route: Array<{ weight: number }> }> };
            };
            const weights = vs.spec.http[0].route.map((r) => r.weight);
            if (json(weights) !== json([50, 50])) {
                throw new Error(`live weights ${json(weights)}`);
            }
            ws.configure("dev", base);
            ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
            return `preview ${secs(diff.ms)}, up ${secs(up.ms)}, live weights 50/50, back to 80/20`;
        },
    },
    {
        name: "4 config changes: the engine's steps (update, replace, create, delete) are lab diff's prediction, both ways, then live as rendered",
        run: async ({ cluster, ws, engine }) => {
            const base = harnessConfig(engine, "dev");
            const baseObjects = await rendered(base, "dev");
            const lines: string[] = [];
            for (const [what, set] of CHANGES.slice(1)) {
                const after = { ...base, ...set };
                const afterObjects = await rendered(after, "dev");
                for (const [from, to, fromObjects, toObjects, label] of [
                    [base, after, baseObjects, afterObjects, what],
                    [after, base, afterObjects, baseObjects, `${what}, undone`],
                ] as const) {
                    void from;
                    ws.configure("dev", to);
                    const engineSaid = engineChanges(preview(ws, "dev"));
                    const labSaid = labDiffChanges(diffRenders(fromObjects, toObjects));
                    if (json(engineSaid) !== json(labSaid)) {
                        throw new Error(
                            `${label}: lab diff predicted [${labSaid.join("; ")}], the engine plans [${engineSaid.join("; ")}]`,
                        );
                    }
                    ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
                    assertLiveApplied(cluster, toObjects, labIdOf(ws, "dev"));
                    if (label === what) {
                        lines.push(`${what}: ${engineSaid.length}`);
                    }
                }
            }
            return lines.join(", ");
        },
    },
    {
        name: "6 the policy pack run by the engine: preview passes on dev; a mesh-wide DISABLE makes pulumi up fail with the policy's name and change nothing",
        run: ({ cluster, ws, engine }) => {
            const pack = legacyPolicyPack(ws);
            const base = harnessConfig(engine, "dev");
            const ok = ws.pulumi(["preview", "--stack", "dev", "--policy-pack", pack]);
            if (!/Policies:[\s\S]*istio-lab@v0\.1\.0[\s\S]*\[advisory\]\s+images-pinned/.test(ok.stdout)) {
                throw new Error(`the preview did not run the pack:\n${ok.stdout.slice(-1500)}`);
            }
            ws.configure("dev", { ...base, "istio-lab:peerAuth": '[{"mode":"DISABLE","scope":"mesh"}]' });
            // Without --skip-preview: the preview runs the pack first, and a mandatory violation stops the update before it starts
            // (stack policies in an update itself only see the result, after it was applied).
            const refused = ws.pulumi(["up", "--yes", "--stack", "dev", "--policy-pack", pack], { allowFailure: true });
            ws.configure("dev", base);
            const mode = JSON.parse(
                cluster.kubectl(["get", "peerauthentications.v1.security.istio.io", "default", "-n", "istio-system", "-o", "json"]).stdout,
            ) as {
                spec: { mtls: { mode: string } };
            };
            if (refused.status === 0 || !/mtls-strict-enough/.test(refused.stdout + refused.stderr) || mode.spec.mtls.mode !== "STRICT") {
                throw new Error(
                    `pulumi up exited ${refused.status}, live mode ${mode.spec.mtls.mode}:\n${(refused.stdout + refused.stderr).slice(-1500)}`,
                );
            }
            return Promise.resolve(
                "advisory findings reported; the mandatory mtls-strict-enough stopped the update; the live policy is still STRICT",
            );
        },
    },
    {
        name: "8 pulumi destroy of dev leaves none of the lab's objects (Istio's CRDs stay: helm.sh/resource-policy keep)",
        run: async ({ cluster, ws, engine, times }) => {
            const objects = await rendered(harnessConfig(engine, "dev"), "dev");
            const destroy = ws.pulumi(["destroy", "--yes", "--skip-preview", "--stack", "dev"]);
            times.push(["pulumi destroy, dev", secs(destroy.ms)]);
            assertGone(cluster, objects);
            return `${objects.length} objects gone in ${secs(destroy.ms)}`;
        },
    },
    {
        name: "5 OSSM 2 and OSSM 3 up and down: every pulumi.com/waitFor resolved by the provider's own await once the harness plays the operator; one nobody plays fails within its timeout",
        run: async (x) => {
            const { cluster, ws, engine, crds } = x;
            applyCrds(cluster, crds);
            cluster.kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
            cluster.kubectl(["create", "namespace", "openshift-operators"], undefined, true);
            const out: string[] = [];
            for (const name of ["openshift", "openshift3"]) {
                const config = harnessConfig(engine, name, { "istio-lab:tracing": "true" });
                const objects = await rendered(config, name);
                await withStack(ws, name, config, async () => {
                    const { ms, played } = await HARNESS.up(x, name);
                    assertLiveApplied(cluster, objects, labIdOf(ws, name));
                    const waits = objects.filter((o) => metaOf(o).annotations?.[WAIT_FOR] !== undefined).length;
                    const destroy = ws.pulumi(["destroy", "--yes", "--skip-preview", "--stack", name]);
                    assertGone(
                        cluster,
                        objects.filter((o) => !(o.manifest.kind === "Namespace" && metaOf(o).name === "openshift-operators")),
                    );
                    out.push(
                        `${name}: up ${secs(ms)}, ${waits} waits resolved (${played} status reports played), destroy ${secs(destroy.ms)}`,
                    );
                });
            }
            // A wait that cannot resolve (nobody plays the operator) fails the update within its timeout.
            const stuck = harnessConfig(engine, "openshift", { "istio-lab:waitTimeoutSeconds": "20" });
            await withStack(ws, "openshift-stuck", stuck, () => {
                const r = ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "openshift-stuck"], { allowFailure: true });
                const text = r.stdout + r.stderr;
                if (r.status === 0 || r.ms > 90_000 || !/Subscription/.test(text) || !/time(d)? ?out/i.test(text)) {
                    throw new Error(`an unresolvable wait: pulumi up exited ${r.status} after ${secs(r.ms)}:\n${text.slice(-1500)}`);
                }
                out.push(`an unresolvable wait (waitTimeoutSeconds 20) failed pulumi up after ${secs(r.ms)}`);
                return Promise.resolve();
            });
            return out.join("; ");
        },
    },
    {
        name: `7 a classroom of ${CLASS_SIZE} up (the instructor's own certificate: gateway.tls {credentialName}); one attendee's override is one update; destroy`,
        run: async ({ cluster, ws, engine, times }) => {
            const base = harnessConfig(engine, "dev", {
                "istio-lab:attendees": String(CLASS_SIZE),
                "istio-lab:gateway":
                    '{"serviceType":"NodePort","domain":"lab.example.com","tls":{"credentialName":"wildcard-lab-example-com"}}',
            });
            return withStack(ws, "classroom", base, async () => {
                const up = ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "classroom"]);
                times.push([`pulumi up, a class of ${CLASS_SIZE}`, secs(up.ms)]);
                const objects = await rendered(base, "classroom");
                assertLiveApplied(cluster, objects, labIdOf(ws, "classroom"));
                const after = { ...base, "istio-lab:attendeeOverrides": '{"user7":{"canaryWeight":50}}' };
                ws.configure("classroom", after);
                const engineSaid = engineChanges(preview(ws, "classroom"));
                const want = ["changed VirtualService guestbook-user7/virtual-service-guestbook"];
                if (json(engineSaid) !== json(want)) {
                    throw new Error(`user7's override: the engine plans [${engineSaid.join("; ")}]`);
                }
                const one = ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "classroom"]);
                const destroy = ws.pulumi(["destroy", "--yes", "--skip-preview", "--stack", "classroom"]);
                times.push([`pulumi destroy, a class of ${CLASS_SIZE}`, secs(destroy.ms)]);
                assertGone(cluster, objects);
                return `${objects.length} objects up in ${secs(up.ms)}; override ${secs(one.ms)}; destroyed in ${secs(destroy.ms)}`;
            });
        },
    },
    {
        name: "9 a patched reserved namespace: the peer-auth lab with default as a plain namespace; destroy leaves default, without the lab's labels",
        run: async ({ cluster, ws, engine }) => {
            const config = harnessConfig(engine, "peer-auth", { "istio-lab:mtlsLab": '{"plainNamespaces":["default"]}' });
            return withStack(ws, "peer-auth", config, async () => {
                ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "peer-auth"]);
                const labels = () =>
                    (
                        JSON.parse(cluster.kubectl(["get", "namespace", "default", "-o", "json"]).stdout) as {
                            metadata: { labels?: Record<string, string> };
                        }
                    ).metadata.labels ?? {};
                const during = labels();
                if (during[LAB_ID_LABEL] === undefined) {
                    throw new Error(`default was not labelled by the lab: ${json(during)}`);
                }
                const objects = await rendered(config, "peer-auth");
                ws.pulumi(["destroy", "--yes", "--skip-preview", "--stack", "peer-auth"]);
                assertGone(
                    cluster,
                    objects.filter(
                        (o) => metaOf(o).namespace !== "default" && !(o.manifest.kind === "Namespace" && metaOf(o).name === "default"),
                    ),
                );
                const after = labels();
                const lab = Object.keys(after).filter(
                    (k) => k.startsWith("istio-lab") || k === "istio-injection" || k.startsWith("app.kubernetes.io"),
                );
                if (lab.length > 0) {
                    throw new Error(`default keeps the lab's labels ${lab.join(", ")}`);
                }
                return `default labelled during the lab (${Object.keys(during).length} labels), kept without them after destroy`;
            });
        },
    },
    {
        name: "10 the floor: pulumi up of the guestbook objects without Helm releases beside kubectl apply --server-side of the same objects; a secret set with --path --secret is live but only ciphertext in the state",
        run: async ({ cluster, ws, engine, times }) => {
            const stages = '["guestbook"]';
            const viaPulumi = harnessConfig(engine, "dev", {
                "istio-lab:stages": stages,
                "istio-lab:guestbook": '{"namespace":"floor-pulumi"}',
            });
            const viaKubectl = harnessConfig(engine, "dev", {
                "istio-lab:stages": stages,
                "istio-lab:guestbook": '{"namespace":"floor-kubectl"}',
            });
            // A secret at depth inside a structured key: live in the cluster, never in plain text in the state.
            const secretImage = "registry.example.com/private/redis:3.2.9";
            const up = await withStack(ws, "floor", viaPulumi, () => {
                ws.pulumi(["config", "set", "--secret", "--path", "istio-lab:guestbook.redisMasterImage", secretImage, "--stack", "floor"]);
                const result = ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "floor"]);
                const image = cluster.kubectl([
                    "get",
                    "deployment",
                    "redis-master",
                    "-n",
                    "floor-pulumi",
                    "-o",
                    "jsonpath={.spec.template.spec.containers[0].image}",
                ]).stdout;
                const state = ws.exportState("floor");
                if (image !== secretImage || state.includes(secretImage) || state.includes("private/redis")) {
                    throw new Error(
                        `secret guestbook.redisMasterImage: live ${image}; in the exported state in plain text: ${state.includes(secretImage)}`,
                    );
                }
                return Promise.resolve(result);
            });
            const objects = await rendered(viaKubectl, "floor");
            const yaml = objects.map((o) => json(o.manifest)).join("\n---\n");
            const start = Date.now();
            cluster.kubectl(["apply", "--server-side", "--field-manager=istio-lab-e2e", "-f", "-"], yaml);
            const floor = Date.now() - start;
            times.push([`pulumi up, the same ${objects.length} objects without Helm releases`, secs(up.ms)]);
            times.push([`kubectl apply --server-side of them (the floor)`, secs(floor)]);
            cluster.kubectl(["delete", "namespace", "floor-kubectl", "--wait=true", "--timeout=120s"]);
            return `${objects.length} objects: pulumi up ${secs(up.ms)}, kubectl ${secs(floor)}`;
        },
    },
    promoteScenario(HARNESS),
    accessScenario(HARNESS),
    // With the real istiod, scenario 14 judges these two stacks and runs these checks in the same stand-up.
    ...(REAL_ISTIOD
        ? []
        : [
              {
                  name: GATEWAY_LABS_SCENARIO,
                  run: async (x: Context) => {
                      const out: string[] = [];
                      for (const name of ["gateway-api", "ambient"]) {
                          const config = harnessConfig(x.engine, name, { "istio-lab:gatewayApiCrds": x.gatewayApiCrds });
                          await withStack(x.ws, name, config, async () => {
                              const up = await HARNESS.up(x, name);
                              const live = await gatewayLab.upChecks(x, name, config, up);
                              out.push(`${live}, ${await gatewayLab.destroyChecks(x, name, config)}`);
                          });
                      }
                      return out.join("; ");
                  },
              },
          ]),
    ...(REAL_ISTIOD ? [judgeScenario(HARNESS)] : []),
    dataLossScenario(HARNESS),
    stepsScenario(HARNESS, REAL_ISTIOD),
];

/**
 * A stand-in for the Sail operator's chart, written for the harness: its chart repository (GitHub Pages) is
 * out of reach here and no Go module the proxy serves carries it. It installs nothing; the harness applies
 * the Sail CRDs itself (crds.ts). The sail flavour's own objects (Istio, IstioCNI, the injected gateway) are
 * the program's, unchanged.
 */
function standInSailChart(ws: Workspace): string {
    const dir = path.join(ws.dir, "sail-charts");
    mkdirSync(path.join(dir, "sail-operator", "templates"), { recursive: true });
    writeFileSync(
        path.join(dir, "sail-operator", "Chart.yaml"),
        "apiVersion: v2\nname: sail-operator\nversion: 1.31.2\ndescription: stand-in written by the istio-lab e2e harness; installs nothing\n",
    );
    return dir;
}

/**
 * The policy pack as the engine can start it here. CLI v3.248.0 starts a Node.js pack through the
 * language host's RunPlugin call, which the v3.68.0 host lacks ("could not read plugin [policy]: not
 * supported"); the engine's documented fallback, for a pack runtime without a language host, is an
 * executable `pulumi-analyzer-policy-<runtime>` on PATH. So: a copy of policy/ whose PulumiPolicy.yaml
 * names a runtime without a host, and that executable, which runs the SDK's run-policy-pack.
 */
function legacyPolicyPack(ws: Workspace): string {
    const pack = path.join(ws.dir, "policy-pack");
    cpSync(path.join(PROJECT_ROOT, "policy"), pack, { recursive: true });
    writeFileSync(path.join(pack, "PulumiPolicy.yaml"), "runtime: nodejslegacy\ndescription: istio-lab's policy pack (e2e copy)\n");
    writeFileSync(
        path.join(pack, "package.json"),
        json({ name: "istio-lab-policy", version: "0.1.0", main: path.join(PROJECT_ROOT, "bin", "policy", "index.js") }),
    );
    const launcher = path.join(ws.env.PATH.split(":")[0], "pulumi-analyzer-policy-nodejslegacy");
    writeFileSync(
        launcher,
        `#!/bin/sh\nexec "${process.execPath}" "${path.join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack")}" "$@"\n`,
    );
    chmodSync(launcher, 0o755);
    return pack;
}

/** `openssl verify` of a server certificate against a CA, with the name it carries: "OK <name>" or the error. */
function verifyCertificate(caPem: string, certPem: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), "istio-lab-verify-"));
    try {
        writeFileSync(path.join(dir, "ca.pem"), `${caPem}\n`);
        writeFileSync(path.join(dir, "cert.pem"), certPem);
        const verify = spawnSync("openssl", ["verify", "-CAfile", path.join(dir, "ca.pem"), path.join(dir, "cert.pem")], {
            encoding: "utf8",
        });
        if (verify.status !== 0) {
            return (verify.stdout + verify.stderr).trim();
        }
        const san = spawnSync("openssl", ["x509", "-in", path.join(dir, "cert.pem"), "-noout", "-ext", "subjectAltName"], {
            encoding: "utf8",
        });
        return `OK ${/DNS:([^,\s]+)/.exec(san.stdout)?.[1] ?? "(no DNS name)"}`;
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** The scenarios, inside the network namespace. */
async function inside(): Promise<void> {
    const started = Date.now();
    const log = (l: string) => console.log(l);
    const tools = ensureTools(() => undefined);
    const engine = ensureEngine(() => undefined);
    const istio = ensureIstio(() => undefined);
    const dial = await serviceRangeUnreachable();
    if (!/^(ENETUNREACH|EHOSTUNREACH)/.test(dial)) {
        console.log(`FAIL    harness: a dial to 10.96.0.1:443 ${dial}; the scenarios need a network namespace with only loopback`);
        process.exitCode = 1;
        return;
    }
    console.log(`network namespace: loopback only (a dial to 10.96.0.1:443: ${dial})`);
    let cluster: Cluster | undefined;
    let istiod: Istiod | undefined;
    let ws: Workspace | undefined;
    let failed = false;
    const onSignal = () => {
        istiod?.stop();
        cluster?.stop(true);
        console.log(`interrupted; logs kept in ${cluster?.dir ?? "(no cluster)"}`);
        process.exit(130);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const times: Array<[string, string]> = [];
    try {
        cluster = await startCluster(tools);
        console.log(`control plane on 127.0.0.1 up in ${secs(Date.now() - started)} (${cluster.dir})`);
        cluster.kubectl(["apply", "--server-side", "-f", "-"], minimalCrds());
        // The real istiod: started by its supervisor whenever a lab's istiod chart is installed, stopped before the API server.
        istiod = REAL_ISTIOD ? superviseIstiod(cluster, istio) : undefined;
        console.log(
            REAL_ISTIOD
                ? `istiod: ${istio.versions.istiod}, a host process on 127.0.0.1 (webhooks ${ISTIOD.webhooks}, xDS ${ISTIOD.xds}) following the lab's istiod chart`
                : "istiod: not run (ISTIO_LAB_E2E_ISTIOD=0; scenario 14 left out)",
        );
        ws = createWorkspace(engine, cluster.kubeconfig, log);
        console.log(
            `engine: ${Object.entries(engine.versions)
                .map(([k, v]) => `${k} ${v}`)
                .join(", ")}, node ${process.version} (the program's and the harness's); random and tls are stand-ins`,
        );
        let passed = 0;
        // ISTIO_LAB_E2E_ONLY=3 (a scenario's number, or several separated by commas) runs only those.
        const only = process.env.ISTIO_LAB_E2E_ONLY?.split(",").map((n) => n.trim());
        const chosen = SCENARIOS.filter((s) => !only || only.includes(s.name.split(" ")[0]));
        for (const s of chosen) {
            const t = Date.now();
            try {
                const detail = await s.run({
                    cluster,
                    ws,
                    engine,
                    times,
                    crds: tools.istioCrds,
                    gatewayApiCrds: tools.gatewayApiCrds,
                    istio,
                    istiod,
                });
                passed++;
                console.log(`PASS    ${s.name} (${secs(Date.now() - t)}): ${detail}`);
            } catch (e) {
                failed = true;
                console.log(`FAIL    ${s.name} (${secs(Date.now() - t)}): ${(e as Error).message}`);
            }
        }
        // The kubernetes provider copies any kubeconfig it is given into $TMPDIR and never removes it
        // (components/namespace.ts): after every scenario, no copy of the credentials may be there.
        const left = ws.leftovers();
        const copies = left.filter((f) => f.startsWith("kubeconfig"));
        if (copies.length > 0) {
            failed = true;
            console.log(
                `FAIL    leftovers: ${copies.length} copies of the kubeconfig in the engine's TMPDIR (${copies.slice(0, 3).join(", ")}, ...)`,
            );
        } else {
            console.log(
                `ok      leftovers: no kubeconfig copies in the engine's TMPDIR (${left.length} other entries: ${left.slice(0, 5).join(", ") || "none"})`,
            );
        }
        console.log("\n| measured (this run) | time |\n|---|---|");
        for (const [what, t] of times) {
            console.log(`| ${what} | ${t} |`);
        }
        console.log(`\ne2e: ${secs(Date.now() - started)} in all`);
        console.log(`${passed} passed, ${chosen.length - passed} failed`);
    } catch (e) {
        failed = true;
        console.log(`FAIL    harness: ${(e as Error).message}`);
    } finally {
        istiod?.stop();
        cluster?.stop(failed);
        if (!failed) {
            ws?.remove();
        } else if (cluster) {
            console.log(`logs kept in ${cluster.dir} and ${ws?.dir ?? ""}`);
        }
        process.exitCode = failed ? 1 : 0;
    }
}

/** `npm run e2e`: builds the tools (Go modules need the network), then runs the scenarios in a network namespace of their own. */
export async function main(argv: readonly string[] = []): Promise<void> {
    if (process.env.ISTIO_LAB_E2E_NETNS === "1") {
        return inside();
    }
    try {
        await ensureAll();
    } catch (e) {
        console.log(`FAIL    tools: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
    }
    void argv;
    const only = process.env.ISTIO_LAB_E2E_ONLY?.split(",").map((n) => n.trim());
    const sandboxOnly = only !== undefined && only.every((n) => n === "17");
    // A new network namespace has only a loopback device, and it is down: bring it up, then run.
    // As root a network namespace alone; otherwise inside a user namespace that maps the user to root.
    const namespaces = process.getuid?.() === 0 ? ["--net"] : ["--user", "--map-root-user", "--net"];
    if (!sandboxOnly) {
        const r = spawnSync(
            "unshare",
            [...namespaces, "--", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', process.execPath, __filename],
            {
                stdio: "inherit",
                env: { ...process.env, ISTIO_LAB_E2E_NETNS: "1" },
            },
        );
        if (r.error || r.status === null) {
            console.log(
                `FAIL    harness: could not start a network namespace (unshare ${namespaces.join(" ")}): ${r.error?.message ?? r.signal}`,
            );
        }
        process.exitCode = r.status ?? 1;
    }
    // The sandbox makes its network namespace itself, so its scenario runs out here, after the others.
    if (!only || only.includes("17")) {
        const t = Date.now();
        try {
            const detail = sandboxScenario();
            console.log(`PASS    ${SANDBOX_SCENARIO} (${secs(Date.now() - t)}): ${detail}`);
        } catch (e) {
            console.log(`FAIL    ${SANDBOX_SCENARIO} (${secs(Date.now() - t)}): ${(e as Error).message}`);
            process.exitCode = 1;
        }
    }
}

if (require.main === module) {
    void main(process.argv.slice(2));
}
