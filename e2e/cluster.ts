// A Kubernetes control plane on 127.0.0.1 for the e2e harness: etcd, kube-apiserver (token auth, RBAC),
// kube-controller-manager (namespace deletion, garbage collection, Deployments), kube-scheduler and kwok
// with fake nodes (pods scheduled there are reported Running and Ready). Everything lives in one
// temporary directory; stop() ends every process and removes it, keeping it (logs included) on failure.
import { ChildProcess, spawn, spawnSync } from "child_process";
import { generateKeyPairSync, randomBytes } from "crypto";
import { mkdtempSync, openSync, rmSync, writeFileSync } from "fs";
import { connect, createServer } from "net";
import { tmpdir } from "os";
import * as path from "path";
import { Tools } from "./toolchain";

/** A running control plane. */
export interface Cluster {
    /** The temporary directory (logs, data, kubeconfig). */
    readonly dir: string;
    /** The kubeconfig for it. */
    readonly kubeconfig: string;
    /** The kubectl binary (for a command run outside the harness's process, with --kubeconfig). */
    readonly kubectlBin: string;
    /** Runs kubectl against it; throws with its stderr unless `allowFailure`. */
    kubectl(args: readonly string[], input?: string, allowFailure?: boolean): { stdout: string; stderr: string; status: number };
    /** Ends every process; removes the directory unless `keep`. */
    stop(keep: boolean): void;
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
        });
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the control plane; on any failure stops what it started (keeping the directory) and rethrows. */
export async function startCluster(tools: Tools, fakeNodes = 1): Promise<Cluster> {
    const dir = mkdtempSync(path.join(tmpdir(), "istio-lab-e2e-"));
    const children: ChildProcess[] = [];
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const token = randomBytes(16).toString("hex");
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const file = (name: string, text: string) => {
        const p = path.join(dir, name);
        writeFileSync(p, text);
        return p;
    };
    const saKey = file("sa.key", privateKey.export({ type: "pkcs1", format: "pem" }).toString());
    const saPub = file("sa.pub", publicKey.export({ type: "spki", format: "pem" }).toString());
    const tokens = file("tokens.csv", `${token},admin,admin,system:masters\n`);
    const kubeconfig = file(
        "kubeconfig",
        [
            "apiVersion: v1",
            "kind: Config",
            `clusters: [{name: e2e, cluster: {server: "https://127.0.0.1:${apiPort}", insecure-skip-tls-verify: true}}]`,
            `users: [{name: admin, user: {token: "${token}"}}]`,
            "contexts: [{name: e2e, context: {cluster: e2e, user: admin}}]",
            "current-context: e2e",
            "",
        ].join("\n"),
    );
    const run = (name: string, args: string[]) => {
        const log = openSync(path.join(dir, `${name}.log`), "a");
        const child = spawn(tools.bin(name), args, { stdio: ["ignore", log, log], detached: true });
        children.push(child);
        return child;
    };
    const kubectl: Cluster["kubectl"] = (args, input, allowFailure = false) => {
        const r = spawnSync(tools.bin("kubectl"), ["--kubeconfig", kubeconfig, ...args], {
            input,
            encoding: "utf8",
            maxBuffer: 256 * 1024 * 1024,
        });
        const result = { stdout: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status ?? 1 };
        if (result.status !== 0 && !allowFailure) {
            throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr.trim()}`);
        }
        return result;
    };
    let stopped = false;
    const stop = (keep: boolean) => {
        if (stopped) {
            return;
        }
        stopped = true;
        for (const c of children.reverse()) {
            if (c.pid !== undefined && c.exitCode === null) {
                try {
                    process.kill(-c.pid, "SIGKILL"); // the whole process group: nothing outlives the harness
                } catch {
                    // already gone
                }
            }
        }
        if (!keep) {
            rmSync(dir, { recursive: true, force: true });
        }
    };
    // Whatever ends this process (an exception, process.exit), its control plane ends with it.
    process.once("exit", () => stop(true));
    try {
        run("etcd", [
            "--data-dir",
            path.join(dir, "etcd"),
            "--listen-client-urls",
            `http://127.0.0.1:${etcdClient}`,
            "--advertise-client-urls",
            `http://127.0.0.1:${etcdClient}`,
            "--listen-peer-urls",
            `http://127.0.0.1:${etcdPeer}`,
            "--initial-advertise-peer-urls",
            `http://127.0.0.1:${etcdPeer}`,
            "--initial-cluster",
            `default=http://127.0.0.1:${etcdPeer}`,
            "--listen-metrics-urls",
            "",
        ]);
        run("kube-apiserver", [
            `--etcd-servers=http://127.0.0.1:${etcdClient}`,
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            `--secure-port=${apiPort}`,
            `--cert-dir=${path.join(dir, "certs")}`,
            `--token-auth-file=${tokens}`,
            "--authorization-mode=RBAC",
            `--service-account-key-file=${saPub}`,
            `--service-account-signing-key-file=${saKey}`,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--allow-privileged=true",
        ]);
        const deadline = Date.now() + 90_000;
        while (kubectl(["get", "--raw", "/readyz"], undefined, true).status !== 0) {
            if (Date.now() > deadline) {
                throw new Error(`kube-apiserver was not ready within 90 s (logs in ${dir})`);
            }
            await sleep(500);
        }
        run("kube-controller-manager", [
            `--kubeconfig=${kubeconfig}`,
            "--controllers=namespace-controller,garbage-collector-controller,deployment-controller,replicaset-controller,daemonset-controller,resourcequota-controller,serviceaccount-controller,serviceaccount-token-controller,node-lifecycle-controller,endpoints-controller,endpointslice-controller",
            `--service-account-private-key-file=${saKey}`,
            "--use-service-account-credentials=false",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            "--secure-port=0",
            // The stages kwok runs here post the fake node's status once (node-initialize), with no heartbeat: past
            // the grace the node lifecycle controller marks the node and every pod on it NotReady, and a Deployment
            // created just then never becomes available (seen 10 minutes into a 13-minute run). Longer than any run.
            "--node-monitor-grace-period=3h",
        ]);
        run("kube-scheduler", [`--kubeconfig=${kubeconfig}`, "--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=0"]);
        run("kwok", [
            `--kubeconfig=${kubeconfig}`,
            `--config=${tools.kwokStages}`,
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
            "--node-ip=127.0.0.1",
            "--cidr=10.244.0.0/16",
            "--server-address=127.0.0.1:0",
        ]);
        const nodes = Array.from({ length: fakeNodes }, (_, i) =>
            [
                "apiVersion: v1",
                "kind: Node",
                `metadata: {name: fake-node-${i}, annotations: {kwok.x-k8s.io/node: fake}, labels: {type: kwok, kubernetes.io/os: linux}}`,
                // Room for a class of 500 (9 pods and 300m of CPU requests per attendee).
                "status: {allocatable: {cpu: '256', memory: 1Ti, pods: '5000'}, capacity: {cpu: '256', memory: 1Ti, pods: '5000'}}",
            ].join("\n"),
        ).join("\n---\n");
        kubectl(["apply", "-f", "-"], nodes);
        return { dir, kubeconfig, kubectl, kubectlBin: tools.bin("kubectl"), stop };
    } catch (e) {
        stop(true);
        throw e;
    }
}

/** True when a dial to a Service address fails at once (inside the harness's network namespace). */
export function serviceRangeUnreachable(): Promise<string> {
    return new Promise((resolve) => {
        const start = Date.now();
        const socket = connect({ host: "10.96.0.1", port: 443 });
        socket.setTimeout(3000);
        socket.once("connect", () => {
            socket.destroy();
            resolve("connected");
        });
        socket.once("timeout", () => {
            socket.destroy();
            resolve("timed out");
        });
        socket.once("error", (e: NodeJS.ErrnoException) => resolve(`${e.code ?? e.message} in ${Date.now() - start} ms`));
    });
}
