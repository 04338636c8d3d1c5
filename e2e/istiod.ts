// The real istiod in the harness: Istio's own pilot-discovery (built by toolchain.ts) as a host process in
// the harness's network namespace, configured as the lab's istiod chart configures its Deployment, against
// the harness's API server. The chart's Deployment stays played by kwok; this process is the istiod that
// admits, injects and computes each proxy's configuration.
//
// A supervisor process of its own (so that a blocking `pulumi up` in the harness does not stop it) starts
// istiod once the chart has written the injector's ConfigMap (istiod started before it never serves
// injection), restarts it when a new release writes a new one, and stops it when the release is gone.
// Every listen address is 127.0.0.1; ISTIOD_CUSTOM_HOST puts that address in its webhook certificate, and
// the harness's stacks point the charts' webhooks at https://127.0.0.1:15017 by URL.
import { ChildProcess, spawn, spawnSync } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, writeFileSync } from "fs";
import { get } from "http";
import * as path from "path";
import type { Cluster } from "./cluster";
import type { IstioTools } from "./toolchain";

/** istiod's addresses inside the network namespace. */
export const ISTIOD = {
    webhooks: "127.0.0.1:15017",
    xds: "127.0.0.1:15010",
    debug: "127.0.0.1:8080",
} as const;

/** The istiod values the harness's stacks add: the webhooks by URL (no istiod Service answers here) and the release's images. */
export const HARNESS_ISTIOD_VALUES = {
    global: {
        // The charts come from the master branch at Istio 1.31.0's commit: name that release's images.
        tag: "1.31.0",
    },
    istiodRemote: { injectionURL: `https://${ISTIOD.webhooks}/inject` },
    // Both the istiod chart's validator and the base chart's default-revision validator read this.
    base: { validationURL: `https://${ISTIOD.webhooks}/validate` },
};

/** What the supervisor reports in its state file. */
export interface IstiodState {
    /** The injector ConfigMap's uid istiod runs for, or null when none exists. */
    readonly uid: string | null;
    /** Whether istiod answers /ready. */
    readonly ready: boolean;
    /** How many times istiod was started in this run. */
    readonly starts: number;
    /** The log of the current (or last) istiod. */
    readonly log: string;
    /** The namespace istiod runs as (the chart's release namespace). */
    readonly namespace: string | null;
}

/** The running supervisor, as the harness sees it. */
export interface Istiod {
    readonly dir: string;
    state(): IstiodState;
    /** Waits until istiod answers, or throws after `ms`. */
    waitReady(ms?: number): Promise<IstiodState>;
    /** Ends the supervisor and istiod with it. */
    stop(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the supervisor (a process group of its own, ended by stop() or when this process exits). */
export function superviseIstiod(cluster: Cluster, istio: IstioTools): Istiod {
    const dir = path.join(cluster.dir, "istiod");
    mkdirSync(dir, { recursive: true });
    const stateFile = path.join(dir, "state.json");
    const log = openSync(path.join(dir, "supervisor.log"), "a");
    const child: ChildProcess = spawn(
        process.execPath,
        [__filename, "supervise", cluster.kubeconfig, cluster.kubectlBin, istio.pilotDiscovery, dir, istio.release],
        { stdio: ["ignore", log, log], detached: true },
    );
    let stopped = false;
    const stop = () => {
        if (stopped) {
            return;
        }
        stopped = true;
        if (child.pid !== undefined && child.exitCode === null) {
            try {
                process.kill(-child.pid, "SIGKILL"); // the supervisor and istiod: one process group
            } catch {
                // already gone
            }
        }
    };
    process.once("exit", stop);
    const state = (): IstiodState =>
        existsSync(stateFile)
            ? (JSON.parse(readFileSync(stateFile, "utf8")) as IstiodState)
            : { uid: null, ready: false, starts: 0, log: "", namespace: null };
    return {
        dir,
        state,
        stop,
        waitReady: async (ms = 60_000) => {
            const deadline = Date.now() + ms;
            for (;;) {
                const s = state();
                if (s.ready) {
                    return s;
                }
                if (Date.now() > deadline) {
                    throw new Error(`istiod was not ready within ${ms / 1000} s (${JSON.stringify(s)}; logs in ${dir})`);
                }
                await sleep(250);
            }
        },
    };
}

interface EnvVar {
    name: string;
    value?: string;
    valueFrom?: { fieldRef?: { fieldPath: string } };
}

/** istiod's environment from the chart's Deployment: its values as written, its field references as the pod would see them. */
export function istiodEnv(deployment: { metadata: { namespace: string }; spec: unknown }, podName: string): Record<string, string> {
    const spec = deployment.spec as {
        template: { spec: { serviceAccountName?: string; containers: Array<{ name: string; env?: EnvVar[] }> } };
    };
    const pod = spec.template.spec;
    const container = pod.containers.find((c) => c.name === "discovery") ?? pod.containers[0];
    const fields: Record<string, string> = {
        "metadata.name": podName,
        "metadata.namespace": deployment.metadata.namespace,
        "spec.serviceAccountName": pod.serviceAccountName ?? "default",
    };
    const env: Record<string, string> = {};
    for (const e of container.env ?? []) {
        if (e.value !== undefined) {
            env[e.name] = e.value;
        } else if (e.valueFrom?.fieldRef && fields[e.valueFrom.fieldRef.fieldPath] !== undefined) {
            env[e.name] = fields[e.valueFrom.fieldRef.fieldPath];
        }
        // Resource references (GOMAXPROCS from limits.cpu) and secrets have no meaning for a host process: left out.
    }
    return env;
}

/** GET istiod's debug address `p`: the status code, or 0 when nothing answers. */
function httpStatus(p: string): Promise<number> {
    return new Promise((resolve) => {
        const [host, port] = ISTIOD.debug.split(":");
        const req = get({ host, port: Number(port), path: p, timeout: 1000 }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
        });
        req.on("error", () => resolve(0));
        req.on("timeout", () => {
            req.destroy();
            resolve(0);
        });
    });
}

/** The supervisor's loop (its own process): istiod follows the injector ConfigMap's lifetime. */
async function supervise(kubeconfig: string, kubectlBin: string, pilotDiscovery: string, dir: string, release: string): Promise<void> {
    const kubectl = (args: string[]) =>
        spawnSync(kubectlBin, ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    type Running = { uid: string; child: ChildProcess; log: string; namespace: string };
    // Assigned in closures too: typed so that control flow does not narrow it to its initial null.
    let current = null as Running | null;
    let starts = 0;
    let ready = false;
    const write = () => {
        const s: IstiodState = { uid: current?.uid ?? null, ready, starts, log: current?.log ?? "", namespace: current?.namespace ?? null };
        writeFileSync(path.join(dir, "state.json.partial"), JSON.stringify(s));
        renameSync(path.join(dir, "state.json.partial"), path.join(dir, "state.json"));
    };
    const end = async () => {
        if (current && current.child.exitCode === null) {
            current.child.kill("SIGTERM");
            for (let i = 0; i < 40 && current.child.exitCode === null; i++) {
                await sleep(100);
            }
            if (current.child.exitCode === null) {
                current.child.kill("SIGKILL");
            }
        }
        current = null;
        ready = false;
    };
    write();
    for (;;) {
        const cms = kubectl(["get", "configmaps", "-A", "--field-selector=metadata.name=istio-sidecar-injector", "-o", "json"]);
        const cm =
            cms.status === 0
                ? (JSON.parse(cms.stdout) as { items: Array<{ metadata: { uid: string; namespace: string } }> }).items[0]
                : undefined;
        if (!cm && current) {
            await end();
            write();
        } else if (cm && cm.metadata.uid !== current?.uid) {
            const dep = kubectl(["get", "deployment", "istiod", "-n", cm.metadata.namespace, "-o", "json"]);
            if (dep.status === 0) {
                await end();
                starts++;
                const work = mkdtempSync(path.join(dir, `run-${starts}-`)); // empty: no ./etc/istio files shadow the ConfigMaps
                const logFile = path.join(dir, `istiod-${starts}.log`);
                const env = {
                    PATH: process.env.PATH ?? "/usr/bin:/bin",
                    HOME: work,
                    ...istiodEnv(JSON.parse(dep.stdout) as Parameters<typeof istiodEnv>[0], "istiod-e2e"),
                    // The chart's remote kubeconfig path does not exist here; the harness's does.
                    KUBECONFIG: kubeconfig,
                    ISTIOD_CUSTOM_HOST: "127.0.0.1",
                    PILOT_ENABLE_ANALYSIS: "false",
                };
                const out = openSync(logFile, "a");
                const child = spawn(
                    pilotDiscovery,
                    [
                        "discovery",
                        "--kubeconfig",
                        kubeconfig,
                        `--httpAddr=${ISTIOD.debug}`,
                        `--httpsAddr=${ISTIOD.webhooks}`,
                        `--grpcAddr=${ISTIOD.xds}`,
                        "--secureGRPCAddr=127.0.0.1:15012",
                        "--monitoringAddr=127.0.0.1:15014",
                        "--domain=cluster.local",
                    ],
                    { cwd: work, env, stdio: ["ignore", out, out] },
                );
                current = { uid: cm.metadata.uid, child, log: logFile, namespace: cm.metadata.namespace };
                console.log(
                    `${new Date().toISOString()} istiod ${release} start ${starts} for ${cm.metadata.namespace} (pid ${child.pid})`,
                );
                write();
            }
        }
        if (current) {
            const nowReady = current.child.exitCode === null && (await httpStatus("/ready")) === 200;
            if (nowReady !== ready) {
                ready = nowReady;
                write();
            }
        }
        await sleep(300);
    }
}

if (require.main === module && process.argv[2] === "supervise") {
    const [kubeconfig, kubectlBin, pilotDiscovery, dir, release] = process.argv.slice(3);
    void supervise(kubeconfig, kubectlBin, pilotDiscovery, dir, release);
}

/** A node for xdsdump: a pod as its proxy presents itself to istiod. */
export interface ProxyNode {
    readonly type: "sidecar" | "router" | "ztunnel";
    readonly ip: string;
    readonly pod: string;
    readonly namespace: string;
}

/** Asks istiod, as each node's proxy, for what it sends it (Envoy's JSON: clusters, listeners, routes, endpoints). */
export function askIstiod(istio: IstioTools, nodes: readonly ProxyNode[]): unknown[] {
    const r = spawnSync(istio.xdsdump, [`--addr=${ISTIOD.xds}`, `--istio-version=${istio.release}`], {
        input: JSON.stringify(nodes),
        encoding: "utf8",
        maxBuffer: 512 * 1024 * 1024,
    });
    if (r.status !== 0) {
        throw new Error(`xdsdump: ${(r.stderr || r.error?.message || "").trim()}`);
    }
    return JSON.parse(r.stdout) as unknown[];
}
