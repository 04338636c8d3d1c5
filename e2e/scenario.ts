// What the e2e scenarios share: the context each runs in, the harness's helpers they are given, the routed
// lab without a control plane that the `lab promote` and attendee-access scenarios stand up, and the `lab`
// command run as a user runs it.
import { ChildProcessWithoutNullStreams, spawn } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../tools/stackConfig";
import type { Cluster } from "./cluster";
import type { Workspace } from "./pulumi";
import type { Istiod } from "./istiod";
import type { EngineTools, IstioTools } from "./toolchain";
import type { Breakdown } from "./engineTrace";

/** A stack's config: `{"istio-lab:key": "value or JSON"}`. */
export type Config = Record<string, string>;

/** What a scenario runs against. */
export interface Context {
    readonly cluster: Cluster;
    readonly ws: Workspace;
    readonly engine: EngineTools;
    readonly times: Array<[string, string]>;
    /** Where the seconds of the traced pulumi commands went (harness `traced`), printed after the times. */
    readonly breakdowns: Array<[string, Breakdown]>;
    readonly crds: string;
    /** The Gateway API's standard-install.yaml, written from its Go module. */
    readonly gatewayApiCrds: string;
    /** The real Istio's binaries (istiod, istioctl, the xDS client). */
    readonly istio: IstioTools;
    /** The real istiod, following the lab's istiod chart. */
    readonly istiod: Istiod | undefined;
}

/** One scenario: its name (number first) and what it checks; it returns a line of detail or throws. */
export interface Scenario {
    readonly name: string;
    readonly run: (x: Context) => Promise<string>;
}

/** The harness's helpers a scenario in a file of its own is given. */
export interface Harness {
    /** A shipped stack's config with what the harness needs (local charts, istiod's values, a node port). */
    readonly config: (engine: EngineTools, stack: string, extra?: Config) => Config;
    /** Runs `fn` on a new stack, destroyed and removed afterwards whatever happened. */
    readonly withStack: <T>(ws: Workspace, name: string, config: Config, fn: () => Promise<T>) => Promise<T>;
    /** Applies Istio's CRDs. */
    readonly applyCrds: (c: Cluster, crds: string) => void;
    /** `pulumi up` of a stack while the harness plays the operators (and, without a running istiod, Istio's Gateway controller). */
    readonly up: (x: Context, stack: string) => Promise<{ ms: number; played: number }>;
    /** Scenario 13's checks of a Gateway API stack (gateway-api, ambient): after its first up (it leaves the stack's config as it was), and its destroy (last). */
    readonly gatewayLab: {
        readonly upChecks: (x: Context, stack: string, config: Config, up: { ms: number; played: number }) => Promise<string>;
        readonly destroyChecks: (x: Context, stack: string, config: Config) => Promise<string>;
    };
}

/** The ingress gateway's Service, as the istio-ingressgateway chart would make it (a node port here). */
const INGRESS_SERVICE = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "istio-ingressgateway", namespace: "istio-system", labels: { app: "istio-ingressgateway", istio: "ingressgateway" } },
    spec: {
        type: "NodePort",
        selector: { app: "istio-ingressgateway", istio: "ingressgateway" },
        ports: [{ name: "http2", port: 80, targetPort: 8080 }],
    },
};

/**
 * Runs `fn` with the config of a lab of guestbook, gateway and traffic (plain HTTP, node port) plus `extra`:
 * Istio's CRDs applied and, as there is no control plane, the ingress Service it would have made stood in
 * for, and removed afterwards whatever happened (the CRDs too when they were applied here: left without
 * Helm's labels, they stopped a later scenario's istio-base release from installing them when a subset ran).
 */
export async function withRoutedLab<T>(h: Harness, x: Context, extra: Config, fn: (config: Config) => Promise<T>): Promise<T> {
    const hadCrds = x.cluster.kubectl(["get", "crd", "virtualservices.networking.istio.io"], undefined, true).status === 0;
    h.applyCrds(x.cluster, x.crds);
    // The namespace the control plane would have made; removed afterwards if made here (a lab with a control plane creates its own).
    const made = x.cluster.kubectl(["create", "namespace", "istio-system"], undefined, true).status === 0;
    x.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(INGRESS_SERVICE));
    try {
        return await fn(
            h.config(x.engine, "dev", {
                "istio-lab:stages": '["guestbook","gateway","traffic"]',
                "istio-lab:gateway": '{"tls":false,"serviceType":"NodePort"}',
                ...extra,
            }),
        );
    } finally {
        x.cluster.kubectl(["delete", "service", "istio-ingressgateway", "-n", "istio-system"], undefined, true);
        if (made) {
            x.cluster.kubectl(["delete", "namespace", "istio-system", "--wait=true", "--timeout=120s"], undefined, true);
        }
        if (!hadCrds) {
            x.cluster.kubectl(["delete", "-f", x.crds, "--wait=true", "--timeout=120s"], undefined, true);
        }
    }
}

/** The live weights of a namespace's guestbook VirtualService's weighted route, by subset (`v1 50, v2 50`). */
export function liveWeights(c: Cluster, namespace: string): string {
    const vs = JSON.parse(
        c.kubectl(["get", "virtualservices.v1.networking.istio.io", "virtual-service-guestbook", "-n", namespace, "-o", "json"]).stdout,
    ) as { spec: { http: Array<{ route: Array<{ destination: { subset: string }; weight?: number }> }> } };
    const weighted = vs.spec.http[vs.spec.http.length - 1].route;
    return weighted.map((r) => `${r.destination.subset} ${r.weight ?? 100}`).join(", ");
}

/**
 * `npm run lab -- <args>` as a user runs it on the harness's project: its own process in the project's
 * directory (which the lab commands act on, tools/stackConfig.ts projectDir), the harness's CLI on PATH.
 */
export function labProcess(ws: Workspace, engine: EngineTools, args: readonly string[], env: Config = {}): ChildProcessWithoutNullStreams {
    return spawn(process.execPath, [path.join(PROJECT_ROOT, "bin", "tools", "lab.js"), ...args], {
        cwd: path.join(ws.dir, "project"),
        env: { ...ws.env, PATH: `${engine.binDir}:${ws.env.PATH}`, ...env },
    });
}

/** `npm run lab -- <args>` as a user runs it (its own process, the harness's CLI on PATH); its exit status and output. */
export function labCommand(x: Context, args: readonly string[], env: Config = {}): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve) => {
        const child = labProcess(x.ws, x.engine, args, env);
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("close", (code) => resolve({ code, out }));
    });
}
