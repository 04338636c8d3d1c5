// Attendee access against the real API server's RBAC and quota: a class of two with `attendeeAccess` and a
// budget goes up through the engine, `lab attendees --kubeconfig-dir` writes the attendees' kubeconfigs from
// the stack's secret tokens, and kubectl with attendee ann's own token is allowed her exercises and refused
// everything else; the instructor's next `pulumi up --refresh` leaves what ann changed as she set it, and
// `lab reset --attendee ann` puts her own objects back at a step (replacing them) and leaves bob's alone.
import { spawnSync } from "child_process";
import { readFileSync, statSync } from "fs";
import * as path from "path";
import type { Cluster } from "./cluster";
import type { Workspace } from "./pulumi";
import { Config, Context, Harness, Scenario, labCommand, labProcess, liveWeights, withRoutedLab } from "./scenario";
import type { EngineTools } from "./toolchain";

/** Runs `lab attendees --kubeconfig-dir DIR` as an instructor would, against the harness's cluster. */
function writeKubeconfigs(
    ws: Workspace,
    engine: EngineTools,
    cluster: Cluster,
    stack: string,
    dir: string,
): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve) => {
        const child = labProcess(ws, engine, ["attendees", "--kubeconfig-dir", dir, "--stack", stack], { KUBECONFIG: cluster.kubeconfig });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("close", (code) => resolve({ code, out }));
    });
}

/** The access scenario, given the harness's helpers. */
export function accessScenario(h: Harness): Scenario {
    return {
        name: "12 attendee access against the API server's RBAC and quota: ann's own token changes her route and scale, is refused bob's Secrets and route, the control plane's namespace and cluster-scoped objects; the quota refuses pods past her budget; the instructor's up --refresh leaves her changes",
        run: (x) =>
            withRoutedLab(
                h,
                x,
                {
                    "istio-lab:attendees": '["ann","bob"]',
                    "istio-lab:attendeeAccess": "true",
                    "istio-lab:attendeeBudget": '{"pods":10,"cpu":"2","memory":"2Gi"}',
                    "istio-lab:canaryWeight": "20",
                },
                (config) => attendeeLanes(h, x, config),
            ),
    };
}

/** Scenario 12's checks, on the class of `config`. */
async function attendeeLanes(h: Harness, x: Context, config: Config): Promise<string> {
    const { cluster, ws, engine, times } = x;
    const out: string[] = [];
    await h.withStack(ws, "access", config, async () => {
        const up = ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "access"]);
        times.push(["pulumi up, a class of 2 with attendee access and budgets", `${(up.ms / 1000).toFixed(1)} s`]);
        const dir = path.join(ws.dir, "kubeconfigs");
        const written = await writeKubeconfigs(ws, engine, cluster, "access", dir);
        const ann = path.join(dir, "ann.kubeconfig");
        if (
            written.code !== 0 ||
            (statSync(ann).mode & 0o777) !== 0o600 ||
            written.out.includes(readFileSync(ann, "utf8").split("token: ")[1]?.trim() ?? "<none>")
        ) {
            throw new Error(`lab attendees --kubeconfig-dir: exit ${written.code}: ${written.out}`);
        }
        const as = (args: string[]) => {
            const r = spawnSync(cluster.kubectlBin, ["--kubeconfig", ann, ...args], { encoding: "utf8" });
            return { status: r.status ?? 1, text: `${r.stdout}${r.stderr}`.trim() };
        };
        const allowed = (what: string, args: string[]) => {
            const r = as(args);
            if (r.status !== 0) {
                throw new Error(`ann may ${what}, but: ${r.text}`);
            }
        };
        const refused = (what: string, args: string[]) => {
            const r = as(args);
            if (r.status === 0 || !/forbidden/i.test(r.text)) {
                throw new Error(`ann may not ${what}, but: exit ${r.status}: ${r.text}`);
            }
        };
        // Her canary to 50/50, as she would edit it: read, change the weighted route, replace.
        const vs = JSON.parse(
            as(["get", "virtualservices.networking.istio.io", "virtual-service-guestbook", "-n", "guestbook-ann", "-o", "json"]).text,
        ) as {
            spec: { http: Array<{ route?: Array<{ weight?: number }> }> };
        };
        for (const h of vs.spec.http.filter((x) => (x.route ?? []).length === 2)) {
            h.route!.forEach((r) => (r.weight = 50));
        }
        const replaced = spawnSync(cluster.kubectlBin, ["--kubeconfig", ann, "replace", "-f", "-"], {
            input: JSON.stringify(vs),
            encoding: "utf8",
        });
        if (replaced.status !== 0) {
            throw new Error(`ann may set her canary to 50/50, but: ${replaced.stderr}`);
        }
        allowed("scale her v1 to 2", ["scale", "deployment", "guestbook-v1", "--replicas=2", "-n", "guestbook-ann"]);
        refused("read bob's Secrets", ["get", "secrets", "-n", "guestbook-bob"]);
        refused("edit bob's route", [
            "patch",
            "virtualservices.networking.istio.io",
            "virtual-service-guestbook",
            "-n",
            "guestbook-bob",
            "--type=merge",
            "-p",
            '{"spec":{"hosts":["evil"]}}',
        ]);
        refused("create in the control plane's namespace", ["create", "configmap", "x", "-n", "istio-system"]);
        refused("create a cluster-scoped object", ["create", "namespace", "ann-extra"]);
        refused("remove her isolation policy", [
            "delete",
            "authorizationpolicies.security.istio.io",
            "attendee-isolation",
            "-n",
            "guestbook-ann",
        ]);
        // Past the budget: the Deployment takes the number, the API server's quota refuses the pods.
        allowed("scale her v2 to 10", ["scale", "deployment", "guestbook-v2", "--replicas=10", "-n", "guestbook-ann"]);
        let quota = "";
        for (let i = 0; i < 60 && !/exceeded quota/.test(quota); i++) {
            await new Promise((r) => setTimeout(r, 500));
            quota = cluster.kubectl([
                "get",
                "replicasets",
                "-n",
                "guestbook-ann",
                "-l",
                "version=2.0",
                "-o",
                "jsonpath={.items[*].status.conditions[*].message}",
            ]).stdout;
        }
        const pods = cluster.kubectl(["get", "pods", "-n", "guestbook-ann", "--no-headers"]).stdout.trim().split("\n").length;
        if (!/exceeded quota: attendee-budget/.test(quota) || pods > 10) {
            throw new Error(`past the budget: ${pods} pods, ReplicaSet says ${quota || "nothing"}`);
        }
        allowed("scale her v2 back to 3", ["scale", "deployment", "guestbook-v2", "--replicas=3", "-n", "guestbook-ann"]);
        out.push(`ann allowed her route and scale, refused 5 ways; quota: ${pods} pods, "${quota.match(/exceeded quota: [^,]*/)?.[0]}"`);

        // The instructor moves the class's canary and refreshes: ann's route and scale stay hers.
        ws.pulumi(["config", "set", "istio-lab:canaryWeight", "30", "--stack", "access"]);
        const again = ws.pulumi(["up", "--yes", "--skip-preview", "--refresh", "--stack", "access"]);
        const replicas = cluster.kubectl([
            "get",
            "deployment",
            "guestbook-v1",
            "-n",
            "guestbook-ann",
            "-o",
            "jsonpath={.spec.replicas}",
        ]).stdout;
        const weights = liveWeights(cluster, "guestbook-ann");
        if (weights !== "v1 50, v2 50" || replicas !== "2") {
            throw new Error(`after the instructor's up --refresh: ann's route ${weights}, v1 replicas ${replicas}`);
        }
        out.push(`instructor's up --refresh (${(again.ms / 1000).toFixed(1)} s) left ann's route ${weights} and v1 replicas ${replicas}`);
        // ann's reset to canary 80/20: her own routing objects are replaced (the refresh alone keeps her edits), bob's are not touched.
        const bobBefore = liveWeights(cluster, "guestbook-bob");
        const t = Date.now();
        const reset = await labCommand(x, ["reset", "--stack", "access", "--step", "canary-80-20", "--attendee", "ann"]);
        const resetMs = Date.now() - t;
        const annAfter = liveWeights(cluster, "guestbook-ann");
        const bobAfter = liveWeights(cluster, "guestbook-bob");
        const check = await labCommand(
            x,
            ["check", "--stack", "access", "--step", "canary-80-20", "--attendee", "ann", "--level", "objects"],
            {
                KUBECONFIG: cluster.kubeconfig,
                ISTIO_LAB_KUBECTL: cluster.kubectlBin,
            },
        );
        if (
            reset.code !== 0 ||
            !/\(\d+ objects of the attendees' own created again\)/.test(reset.out) ||
            annAfter !== "v1 80, v2 20" ||
            bobAfter !== bobBefore ||
            check.code !== 0
        ) {
            throw new Error(
                `lab reset --attendee ann: exit ${reset.code} (${reset.out.trim().split("\n").slice(-3).join(" | ")}); ann ${annAfter}, bob ${bobAfter} (was ${bobBefore}); check exit ${check.code}: ${check.out.trim()}`,
            );
        }
        out.push(
            `lab reset --attendee ann to canary-80-20 (${(resetMs / 1000).toFixed(1)} s) replaced her routing objects: ann ${annAfter}, bob ${bobAfter} untouched, check --attendee ann passed`,
        );
    });
    return out.join("; ");
}
