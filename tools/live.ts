// The live cluster as `lab check` and the e2e read it: the lab's pods, the lab's objects, and what Istio
// sends each pod's proxy, from one of two places: each proxy's own config dump (a real cluster, reached
// through the API server as `istioctl proxy-config` does: `pilot-agent request GET config_dump` in the
// pod's istio-proxy container) or istiod itself over xDS (the harness, where kwok plays the pods and no
// proxy runs: istiod's answer to each pod's node is what its proxy would get).
import { spawnSync } from "child_process";
import { ProxyConfig, fromConfigDump, fromXds } from "./envoy";
import type { MeshPod } from "./verdict";
import { forwardGet } from "./portForward";
import { ZtunnelConfig, fromZtunnelConfigDump, fromZtunnelXds } from "./ztunnel";
import { linear } from "../components/linear";

/** Runs kubectl against one cluster; throws with kubectl's own message when it fails. */
export interface Kube {
    kubectl(args: readonly string[]): string;
    /** GET `path` on a port pod `namespace/pod` serves on its own loopback, through `kubectl port-forward` (ztunnel's admin port). */
    forwardGet?(namespace: string, pod: string, port: number, path: string): string;
}

/** The longest one kubectl call may take. */
export const KUBECTL_TIMEOUT_MS = 60_000;

/** A cluster that could not be read (no kubectl, no cluster, no permission): `lab check` exits 2. */
export class ClusterError extends Error {}

/** kubectl (`$ISTIO_LAB_KUBECTL`, else the one on PATH) with `--kubeconfig FILE` when one is given. */
export function kubectlOf(options: { kubeconfig?: string; kubectl?: string; deadline?: number } = {}): Kube {
    const bin = options.kubectl ?? process.env.ISTIO_LAB_KUBECTL ?? "kubectl";
    const pre = options.kubeconfig ? ["--kubeconfig", options.kubeconfig] : [];
    const deadline = options.deadline ?? Infinity;
    return {
        kubectl(args) {
            if (bin === "") {
                throw new ClusterError("ISTIO_LAB_KUBECTL is empty; set it to a kubectl's path, or unset it to use the kubectl on PATH");
            }
            // Each call within 60 s, and none past the command's deadline (check --watch --timeout is an upper bound).
            const left = Math.min(KUBECTL_TIMEOUT_MS, deadline - Date.now());
            if (left <= 0) {
                throw new ClusterError(`the deadline passed before ${bin} ${args.slice(0, 3).join(" ")} could run`);
            }
            const r = spawnSync(bin, [...pre, ...args], {
                encoding: "utf8",
                maxBuffer: 512 * 1024 * 1024,
                timeout: left,
                killSignal: "SIGKILL",
            });
            if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT") {
                throw new ClusterError(`${bin} ${args.slice(0, 3).join(" ")}: no answer within ${(left / 1000).toFixed(1)} s`);
            }
            if (r.error) {
                throw new ClusterError(`cannot run ${bin}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`);
            }
            if (r.status !== 0) {
                // kubectl's own summary is its last line (client-go's retries log before it).
                const said = (r.stderr || r.stdout).trim().split("\n").at(-1);
                throw new ClusterError(`${bin} ${args.slice(0, 3).join(" ")}: ${said}`);
            }
            return r.stdout;
        },
        forwardGet(namespace, pod, port, path) {
            try {
                return forwardGet([bin, ...pre], namespace, pod, port, path);
            } catch (e) {
                throw new ClusterError((e as Error).message);
            }
        },
    };
}

/** The start of an answer, for a message: its first line, at most 80 characters, quoted. */
function shown(text: string): string {
    const first = text.trimStart().split("\n")[0];
    return text.trim() === "" ? "nothing" : JSON.stringify(first.length > 80 ? `${first.slice(0, 80)}...` : first);
}

/** `text` as JSON, or a ClusterError saying what `what` should have been and what came. */
export function answerJson(what: string, expected: string, text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return failAnswer(what, expected, shown(text));
    }
}

function failAnswer(what: string, expected: string, came: string): never {
    throw new ClusterError(`${what} answered ${came}; expected ${expected}`);
}

/** The items of `kubectl get ... -o json`: a list whose items are objects with metadata; anything else is a ClusterError. */
export function kubectlList<T>(kube: Kube, args: readonly string[]): T[] {
    const what = `kubectl ${args.join(" ")}`;
    const expected = 'a JSON list ({"kind": "List", "items": [...]}, each item an object with metadata)';
    const answer = answerJson(what, expected, kube.kubectl(args));
    if (answer === null || typeof answer !== "object" || !Array.isArray((answer as { items?: unknown }).items)) {
        const items = answer !== null && typeof answer === "object" ? (answer as { items?: unknown }).items : undefined;
        failAnswer(
            what,
            expected,
            items === undefined ? `${JSON.stringify(answer).slice(0, 80)} (no items)` : `items: ${JSON.stringify(items)}`,
        );
    }
    const items = (answer as { items: unknown[] }).items;
    const bad = items.findIndex((i) => i === null || typeof i !== "object" || typeof (i as { metadata?: unknown }).metadata !== "object");
    if (bad >= 0) {
        failAnswer(what, expected, `item ${bad}: ${JSON.stringify(items[bad])?.slice(0, 80)}`);
    }
    return items as T[];
}

/** A pod as the API server has it. */
export interface LivePod {
    readonly namespace: string;
    readonly name: string;
    /** The Deployment it belongs to (its name without the ReplicaSet's and the pod's suffixes). */
    readonly workload: string;
    readonly ip: string;
    readonly labels: Record<string, string>;
    readonly containers: string[];
    readonly images: string[];
    readonly serviceAccount: string;
    readonly annotations: Record<string, string>;
}

interface PodJson {
    metadata: {
        name: string;
        namespace: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        deletionTimestamp?: string;
    };
    spec?: { containers?: Array<{ name: string; image: string }>; serviceAccountName?: string };
    status?: { podIP?: string; phase?: string };
}

const POD_SUFFIX = linear(/^(.*)-[a-z0-9]+-[a-z0-9]+$/);

/** A pod's workload: its name without the ReplicaSet's hash and its own suffix (`guestbook-v1-5d9c7-x2x4q` is `guestbook-v1`). */
const workloadOf = (pod: string): string => POD_SUFFIX.exec(pod)?.[1] ?? pod;

/** The running pods of every namespace (a pod being deleted or without an address left out). */
export function livePods(kube: Kube): LivePod[] {
    return kubectlList<PodJson>(kube, ["get", "pods", "-A", "-o", "json"]).flatMap((p) => {
        const containers = p.spec?.containers;
        if (!p.status?.podIP || p.status.phase !== "Running" || p.metadata.deletionTimestamp || !Array.isArray(containers)) {
            return [];
        }
        return [
            {
                namespace: p.metadata.namespace,
                name: p.metadata.name,
                workload: workloadOf(p.metadata.name),
                ip: p.status.podIP,
                labels: p.metadata.labels ?? {},
                containers: containers.map((x) => x.name),
                images: containers.map((x) => x.image),
                serviceAccount: p.spec?.serviceAccountName ?? "default",
                annotations: p.metadata.annotations ?? {},
            },
        ];
    });
}

type Labelled = { readonly labels: Readonly<Record<string, string>> };

/** Whether a pod is an ambient waypoint's proxy (istiod deploys it for a Gateway of class `istio-waypoint`). */
export const isWaypoint = (p: Labelled) => p.labels["gateway.networking.k8s.io/gateway-class-name"] === "istio-waypoint";

/** Whether a pod is an ingress gateway's proxy (a `router` node to istiod) rather than a sidecar, by its labels. */
export const isGateway = (p: Labelled) =>
    p.labels.istio === "ingressgateway" || (p.labels["gateway.networking.k8s.io/gateway-name"] !== undefined && !isWaypoint(p));

/** A proxy as istiod knows it: its kind, address, pod and namespace. */
export interface ProxyNode {
    readonly type: "sidecar" | "router" | "ztunnel";
    readonly ip: string;
    readonly pod: string;
    readonly namespace: string;
}

/** Where the proxies' configuration comes from: one answer per node, in order (ztunnel's in its own form). */
export interface MeshSource {
    /** Said in reports: where the mesh level's facts come from. */
    readonly name: string;
    read(nodes: readonly ProxyNode[]): Array<ProxyConfig | ZtunnelConfig>;
}

/** istiod over xDS, through the harness's client (`xdsdump`, built with the e2e's tools). */
export function istiodSource(
    xdsdump: string,
    address: string,
    release = "1.31.0",
): MeshSource & { last: unknown[]; nodes: readonly ProxyNode[] } {
    const source = {
        name: `istiod at ${address}`,
        last: [] as unknown[],
        nodes: [] as readonly ProxyNode[],
        read(nodes: readonly ProxyNode[]) {
            source.nodes = nodes;
            const r = spawnSync(xdsdump, [`--addr=${address}`, `--istio-version=${release}`], {
                input: JSON.stringify(nodes),
                encoding: "utf8",
                maxBuffer: 512 * 1024 * 1024,
            });
            if (r.error || r.status !== 0) {
                throw new ClusterError(`asking istiod at ${address}: ${(r.stderr || r.error?.message || "").trim()}`);
            }
            const answers = answerJson(`istiod at ${address}`, `a JSON list of ${nodes.length} xDS answers`, r.stdout);
            if (!Array.isArray(answers) || answers.length !== nodes.length) {
                throw new ClusterError(
                    `istiod at ${address} answered ${Array.isArray(answers) ? `${answers.length} answers` : "no list"}; expected a JSON list of ${nodes.length} xDS answers`,
                );
            }
            source.last = answers as unknown[];
            return source.last.map((answer, i) => (nodes[i].type === "ztunnel" ? fromZtunnelXds(answer) : fromXds(answer)));
        },
    };
    return source;
}

/**
 * Each proxy's own config dump, through the API server: `kubectl exec` into each istio-proxy (as istioctl
 * proxy-config does), and ztunnel's `/config_dump` through a port-forward (as istioctl ztunnel-config does).
 */
export function configDumpSource(kube: Kube): MeshSource {
    return {
        name: "each proxy's config dump",
        read(nodes) {
            return nodes.map((n) => {
                if (n.type === "ztunnel") {
                    // ztunnel's admin port answers only on the pod's loopback: through a port-forward, as istioctl ztunnel-config does.
                    if (!kube.forwardGet) {
                        throw new ClusterError("ztunnel's config dump needs a port-forward, which this cluster reader cannot make");
                    }
                    const what = `ztunnel ${n.namespace}/${n.pod}'s /config_dump`;
                    return fromZtunnelConfigDump(
                        answerJson(what, "ztunnel's JSON config dump", kube.forwardGet(n.namespace, n.pod, 15000, "/config_dump")),
                    );
                }
                const dump = kube.kubectl([
                    "exec",
                    "-n",
                    n.namespace,
                    n.pod,
                    "-c",
                    "istio-proxy",
                    "--",
                    "pilot-agent",
                    "request",
                    "GET",
                    "config_dump?include_eds",
                ]);
                return fromConfigDump(answerJson(`${n.namespace}/${n.pod}'s istio-proxy config_dump`, "Envoy's JSON config dump", dump));
            });
        },
    };
}

/** What the mesh sends: each of the lab's pods with its proxy's configuration, and ztunnel's (none without a ztunnel). */
export interface MeshView {
    readonly pods: MeshPod[];
    readonly ztunnel?: ZtunnelConfig;
}

/**
 * The lab's pods (those in `namespaces`, and every ingress gateway) with what their proxies get, and what
 * ztunnel gets when one runs. A waypoint is left out: no call of the lab's is addressed to it (the ingress
 * sends to the pods directly, and ztunnel's policies judge a call through it by the caller's identity).
 */
export function meshView(all: readonly LivePod[], source: MeshSource, namespaces: readonly string[]): MeshView {
    const pods = all.filter((p) => (namespaces.includes(p.namespace) || isGateway(p)) && !isWaypoint(p));
    const proxied = pods.filter((p) => p.containers.includes("istio-proxy"));
    const nodes: ProxyNode[] = proxied.map((p) => ({
        type: isGateway(p) ? "router" : "sidecar",
        ip: p.ip,
        pod: p.name,
        namespace: p.namespace,
    }));
    // ztunnel's node: the ztunnel DaemonSet's pod (istiod sends every node's ztunnel the whole mesh's workloads).
    const zt = all.find((p) => p.labels.app === "ztunnel");
    if (zt) {
        nodes.push({ type: "ztunnel", ip: zt.ip, pod: zt.name, namespace: zt.namespace });
    }
    const answers = nodes.length > 0 ? source.read(nodes) : [];
    const configs = new Map(proxied.map((p, i) => [p.name, answers[i] as ProxyConfig]));
    return {
        pods: pods.map((p) => ({
            namespace: p.namespace,
            name: p.workload,
            ip: p.ip,
            labels: p.labels,
            serviceAccount: p.serviceAccount,
            proxy: configs.get(p.name) ?? null,
        })),
        ztunnel: zt ? (answers[nodes.length - 1] as ZtunnelConfig) : undefined,
    };
}
