// The operators the harness plays: OLM's Subscriptions, Maistra's and Sail's control planes and the
// namespaces a stack awaits get the status their operator would report, and, while no istiod runs, Istio's
// Gateway controller is played for the Gateway API Gateways a stack awaits (their Service and conditions).
// The e2e plays them during each `pulumi up`; the sandbox for as long as it runs.
import { WAIT_FOR } from "../components/lab";
import type { Cluster } from "./cluster";
import type { Istiod } from "./istiod";
import type { Workspace } from "./pulumi";

type Manifest = Record<string, unknown>;

const json = (v: unknown) => JSON.stringify(v);

/** The status each awaited kind reports when its operator is done: the harness plays OLM, Maistra and Sail. */
export function playOperators(c: Cluster, played: Set<string>): void {
    const r = c.kubectl(
        [
            "get",
            "subscriptions.operators.coreos.com,servicemeshcontrolplanes.maistra.io,istios.sailoperator.io,istiocnis.sailoperator.io,namespaces",
            "-A",
            "-o",
            "json",
        ],
        undefined,
        true,
    );
    if (r.status !== 0) {
        return;
    }
    const items = (JSON.parse(r.stdout) as { items: Manifest[] }).items;
    for (const item of items) {
        const meta = item.metadata as { name: string; namespace?: string; annotations?: Record<string, string>; uid: string };
        const wait = meta.annotations?.[WAIT_FOR];
        if (wait === undefined || played.has(meta.uid)) {
            continue;
        }
        played.add(meta.uid);
        const kind = String(item.kind);
        const where = meta.namespace ? ["-n", meta.namespace] : [];
        if (kind === "Namespace") {
            const label = /\{\.metadata\.labels\['([^']+)'\]\}=(.*)$/.exec(wait);
            if (label) {
                c.kubectl(["label", "namespace", meta.name, `${label[1]}=${label[2]}`, "--overwrite"], undefined, true);
            }
            continue;
        }
        const status = kind === "Subscription" ? { state: "AtLatestKnown" } : { conditions: [{ type: "Ready", status: "True" }] };
        c.kubectl(["patch", kind, meta.name, ...where, "--subresource=status", "--type=merge", "-p", json({ status })], undefined, true);
    }
}

/**
 * Plays Istio's deployment controller for the Gateway API Gateways a stack waits for: the Service Istio would
 * deploy (`<name>-istio` for class istio, with the type its annotation asks for; `<name>` for a waypoint), one
 * port per listener port, then the Gateway's Accepted and Programmed conditions.
 */
export function playGateways(c: Cluster, played: Set<string>): void {
    const r = c.kubectl(["get", "gateways.v1.gateway.networking.k8s.io", "-A", "-o", "json"], undefined, true);
    if (r.status !== 0) {
        return;
    }
    for (const item of (JSON.parse(r.stdout) as { items: Manifest[] }).items) {
        const meta = item.metadata as {
            name: string;
            namespace: string;
            annotations?: Record<string, string>;
            uid: string;
            generation: number;
        };
        if (meta.annotations?.[WAIT_FOR] === undefined || played.has(meta.uid)) {
            continue;
        }
        played.add(meta.uid);
        const spec = item.spec as { gatewayClassName: string; listeners: Array<{ name: string; port: number }> };
        const waypoint = spec.gatewayClassName === "istio-waypoint";
        const ports = [...new Map(spec.listeners.map((l) => [l.port, { name: l.name, port: l.port, targetPort: l.port }])).values()];
        const service = {
            apiVersion: "v1",
            kind: "Service",
            metadata: {
                name: waypoint ? meta.name : `${meta.name}-istio`,
                namespace: meta.namespace,
                labels: { "gateway.networking.k8s.io/gateway-name": meta.name },
            },
            spec: {
                type: meta.annotations["networking.istio.io/service-type"] ?? "ClusterIP",
                selector: { "gateway.networking.k8s.io/gateway-name": meta.name },
                ports,
            },
        };
        c.kubectl(["apply", "-f", "-"], json(service), true);
        const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
        const condition = (type: string) => ({
            type,
            status: "True",
            reason: type,
            message: "played by the istio-lab e2e harness",
            lastTransitionTime: now,
            observedGeneration: meta.generation,
        });
        const status = { conditions: [condition("Accepted"), condition("Programmed")] };
        c.kubectl(
            [
                "patch",
                "gateways.v1.gateway.networking.k8s.io",
                meta.name,
                "-n",
                meta.namespace,
                "--subresource=status",
                "--type=merge",
                "-p",
                json({ status }),
            ],
            undefined,
            true,
        );
    }
}

/** One round of both: every awaited object not played yet gets its status (`played` holds the uids done). */
export function playRound(c: Cluster, played: Set<string>, istiod: Istiod | undefined): void {
    playOperators(c, played);
    // A running istiod deploys and reports its Gateways itself; the harness plays them only for the operator flavours.
    if (!istiod?.state().ready) {
        playGateways(c, played);
    }
}

/** `pulumi up` while the harness plays the operators the stack waits for. */
export async function upPlayingOperators(
    c: Cluster,
    ws: Workspace,
    stack: string,
    istiod: Istiod | undefined,
): Promise<{ ms: number; played: number }> {
    const played = new Set<string>();
    const run = ws.pulumiAsync(["up", "--yes", "--skip-preview", "--stack", stack]);
    let done = false;
    void run.then(() => (done = true));
    while (!done) {
        playRound(c, played, istiod);
        await new Promise((r) => setTimeout(r, 1000));
    }
    const result = await run;
    if (result.status !== 0) {
        throw new Error(`pulumi up --stack ${stack} failed:\n${(result.stdout + result.stderr).trim().split("\n").slice(-30).join("\n")}`);
    }
    return { ms: result.ms, played: played.size };
}
