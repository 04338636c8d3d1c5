// The e2e harness's shared parts: what every scenario checks with (the plan in lab diff's words, the live
// objects against the rendered ones, a stack made and always destroyed), the helpers the scenarios in files
// of their own are given (HARNESS), and the stand-ins some scenarios write (the Sail chart, a legacy policy
// pack, a certificate check).
import { spawnSync } from "child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { LAB_ID_LABEL } from "../stacks/lab";
import { ObjectChange } from "../tools/diff";
import { runLab } from "../tools/engine";
import { CONFIG_FILE, RenderedObject, metaOf, objectId, render } from "../tools/render";
import { PROJECT_ROOT } from "../tools/stackConfig";
import { Cluster } from "./cluster";
import { Config, Harness } from "./scenario";
import { PulumiResult, Workspace } from "./pulumi";
import { Breakdown, breakdown, readTrace } from "./engineTrace";
import { upPlayingOperators } from "./operators";
import { harnessConfig } from "./harnessConfig";

export type Manifest = Record<string, unknown>;

export const json = (v: unknown) => JSON.stringify(v);

/** What `lab render` says the stack applies. */
export async function rendered(config: Config, stack: string): Promise<RenderedObject[]> {
    return render((await runLab(config, { stack })).resources);
}

export interface Step {
    readonly op: string;
    readonly object: string;
    /** An object the Gateway API CRD file holds (a child of the provider's ConfigFile), which `lab render` shows as the file. */
    readonly fromFile: boolean;
}

/** `Kind namespace/name` of a Kubernetes resource's inputs (a Helm release by its name and namespace; the ConfigFile by its URN's name). */
export function objectOfInputs(type: string, inputs: Manifest | undefined, urn: string): string {
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
export function planSteps(previewJson: string): Step[] {
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
export function engineChanges(steps: readonly Step[]): string[] {
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

export function labDiffChanges(changes: readonly ObjectChange[]): string[] {
    return changes.map((c) => `${c.change} ${c.object}${c.replace ? " (replace)" : ""}`).sort();
}

/** The live objects, in the order given (null where one does not exist). */
export function live(c: Cluster, objects: readonly RenderedObject[]): Array<Manifest | null> {
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
export function omit(m: Manifest, keys: readonly string[]): Manifest {
    return Object.fromEntries(Object.entries(m).filter(([k]) => !keys.includes(k)));
}

/** Paths where `want` (what the program set) is not what the server holds. */
export function mismatches(want: unknown, got: unknown, at: string, out: string[]): string[] {
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
export function assertLive(c: Cluster, objects: readonly RenderedObject[]): void {
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
export function labIdOf(ws: Workspace, stack: string): string {
    return ws.pulumi(["stack", "output", "labId", "--stack", stack]).stdout.trim();
}

/**
 * Live objects as the program set them, field by field, with the stack's own lab id in the label
 * that carries it (Helm releases are the provider's Helm's to check; their objects are checked apart).
 */
export function assertLiveApplied(c: Cluster, objects: readonly RenderedObject[], labId: string): void {
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
export async function withStack<T>(ws: Workspace, name: string, config: Config, fn: () => Promise<T>): Promise<T> {
    ws.stack(name, config);
    try {
        return await fn();
    } finally {
        ws.pulumi(["destroy", "--yes", "--skip-preview", "--stack", name], { allowFailure: true });
        ws.pulumi(["stack", "rm", "--yes", "--force", name], { allowFailure: true });
    }
}

/** Istio's CRDs, for a scenario that runs without the istiod chart's base (or alone, by ISTIO_LAB_E2E_ONLY). */
export function applyCrds(c: Cluster, crds: string): void {
    c.kubectl(["apply", "--server-side", "--force-conflicts", "-f", crds]);
}

/** Every object gone (a namespace's deletion finishes asynchronously: wait for it). */
export function assertGone(c: Cluster, objects: readonly RenderedObject[]): void {
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
export function sameSplit(
    a: { weights: Record<string, number>; abTest: unknown },
    b: { weights: Record<string, number>; abTest: unknown },
): boolean {
    const sorted = (w: Record<string, number>) => json(Object.entries(w).sort(([x], [y]) => x.localeCompare(y)));
    return sorted(a.weights) === sorted(b.weights) && json(a.abTest) === json(b.abTest);
}

/** Scenario 13's name: the gateway-api and ambient stacks up and down. */
export const GATEWAY_LABS_SCENARIO =
    "13 the gateway-api and ambient stacks up and down: the Gateway API CRDs from sigs.k8s.io/gateway-api as a local standard-install.yaml, istiod (with cni and ztunnel in ambient), the Gateway (and waypoint) Programmed once the harness plays Istio; live as rendered; a canary change is one HTTPRoute update, trafficSplit in percent; destroy leaves the CRDs";

/** Scenario 13's checks of a Gateway API stack (gateway-api, ambient): once it is up, and its destroy. */
export const gatewayLab: Harness["gatewayLab"] = {
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
export const HARNESS: Harness = {
    config: harnessConfig,
    withStack,
    applyCrds,
    up: (x, stack) => upPlayingOperators(x.cluster, x.ws, stack, x.istiod),
    gatewayLab,
};

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The `pulumi preview --json` of a stack's current config. */
export function preview(ws: Workspace, stack: string, extra: string[] = []): Step[] {
    return planSteps(ws.pulumi(["preview", "--json", "--stack", stack, ...extra]).stdout);
}

export const CHANGES: Array<[string, Config]> = [
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
export const CLASS_SIZE = Number(process.env.ISTIO_LAB_E2E_CLASS ?? "20");

/**
 * A stand-in for the Sail operator's chart, written for the harness: its chart repository (GitHub Pages) is
 * out of reach here and no Go module the proxy serves carries it. It installs nothing; the harness applies
 * the Sail CRDs itself (crds.ts). The sail flavour's own objects (Istio, IstioCNI, the injected gateway) are
 * the program's, unchanged.
 */
export function standInSailChart(ws: Workspace): string {
    const dir = path.join(ws.dir, "sail-charts");
    mkdirSync(path.join(dir, "sail-operator", "templates"), { recursive: true });
    writeFileSync(
        path.join(dir, "sail-operator", "Chart.yaml"),
        "apiVersion: v2\nname: sail-operator\nversion: 1.31.2\ndescription: stand-in written by the istio-lab e2e harness; installs nothing\n",
    );
    return dir;
}

/**
 * The policy pack as the engine can start it here. The CLI starts a Node.js pack directory through the
 * language host's RunPlugin call, which the v3.68.0 host lacks ("could not read plugin [policy]: not
 * supported"). The CLI (v3.276.0) also takes an executable file as a pack and runs it as a binary analyzer
 * plugin, with the engine's address as its one argument (pkg/resource/plugin/analyzer_plugin.go). So: a copy
 * of policy/ and, inside it, an executable that runs the SDK's run-policy-pack on that copy, as the host would.
 * Returns the executable's path, for `--policy-pack`.
 */
export function policyPackLauncher(ws: Workspace): string {
    const pack = path.join(ws.dir, "policy-pack");
    cpSync(path.join(PROJECT_ROOT, "policy"), pack, { recursive: true });
    writeFileSync(
        path.join(pack, "package.json"),
        json({ name: "istio-lab-policy", version: "0.1.0", main: path.join(PROJECT_ROOT, "bin", "policy", "index.js") }),
    );
    const launcher = path.join(pack, "istio-lab-policy-pack");
    const runPolicyPack = path.join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
    writeFileSync(launcher, `#!/bin/sh\ncd "${pack}" || exit 1\nexec "${process.execPath}" "${runPolicyPack}" "$1" .\n`);
    chmodSync(launcher, 0o755);
    return launcher;
}

let traces = 0;

/**
 * Runs `pulumi args` with the engine's OpenTelemetry trace written to a file of the workspace, and adds where
 * its seconds went ({@link breakdown}) to `breakdowns` under `label`.
 */
export function traced(
    x: { readonly ws: Workspace; readonly breakdowns: Array<[string, Breakdown]> },
    label: string,
    args: readonly string[],
): PulumiResult {
    const file = path.join(x.ws.dir, "traces", `${++traces}.json`);
    mkdirSync(path.dirname(file), { recursive: true });
    const result = x.ws.pulumi([...args, "--otel-traces", `file://${file}`]);
    x.breakdowns.push([label, breakdown(readTrace(file))]);
    return result;
}

/** `openssl verify` of a server certificate against a CA, with the name it carries: "OK <name>" or the error. */
export function verifyCertificate(caPem: string, certPem: string): string {
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
