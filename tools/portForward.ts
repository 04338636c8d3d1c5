// An HTTP GET of a port a pod serves only on its own loopback (ztunnel's admin port, 15000, where its
// `/config_dump` is), reached through the API server as `istioctl ztunnel-config` reaches it: `kubectl
// port-forward` to a free local port, one request, then the forward stopped. `lab check` reads the cluster
// synchronously, so the forward and the request run in a process of their own (this file, run by node).
import { spawn, spawnSync } from "child_process";
import { get } from "http";

/** The body of GET `path` on `port` of pod `namespace/pod`, through `kubectl port-forward` (`kubectl` and its leading args). */
export function forwardGet(kubectl: readonly string[], namespace: string, pod: string, port: number, path: string): string {
    const r = spawnSync(
        process.execPath,
        [__filename, String(port), path, "--", ...kubectl, "port-forward", "-n", namespace, `pod/${pod}`, `:${port}`],
        {
            encoding: "utf8",
            maxBuffer: 512 * 1024 * 1024,
            timeout: 60_000,
        },
    );
    if (r.error || r.status !== 0) {
        throw new Error(
            `GET ${path} on ${namespace}/${pod}:${port} through kubectl port-forward: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`,
        );
    }
    return r.stdout;
}

/** The helper process: starts the forward, waits for its local port, GETs the path, prints the body, stops the forward. */
async function helper(argv: readonly string[]): Promise<number> {
    const [port, path, dashes, bin, ...args] = argv;
    if (dashes !== "--" || bin === undefined) {
        process.stderr.write("usage: portForward.js PORT PATH -- KUBECTL ARGS...\n");
        return 2;
    }
    const forward = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let said = "";
    try {
        const local = await new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no forward within 20 s: ${said.trim()}`)), 20_000);
            const read = (d: Buffer) => {
                said += d.toString();
                const m = /Forwarding from 127\.0\.0\.1:(\d+) -> /.exec(said);
                if (m) {
                    clearTimeout(timer);
                    resolve(Number(m[1]));
                }
            };
            forward.stdout.on("data", read);
            forward.stderr.on("data", read);
            forward.once("error", (e) => reject(e));
            forward.once("exit", (code) => reject(new Error(`kubectl port-forward ended (exit ${code}): ${said.trim()}`)));
        });
        const body = await new Promise<string>((resolve, reject) => {
            get({ host: "127.0.0.1", port: local, path, timeout: 20_000 }, (res) => {
                let b = "";
                res.setEncoding("utf8");
                res.on("data", (d: string) => (b += d));
                res.on("end", () =>
                    res.statusCode === 200 ? resolve(b) : reject(new Error(`HTTP ${res.statusCode} on port ${port}: ${b.slice(0, 200)}`)),
                );
            }).on("error", reject);
        });
        process.stdout.write(body);
        return 0;
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        return 1;
    } finally {
        forward.kill();
    }
}

if (require.main === module) {
    void helper(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
