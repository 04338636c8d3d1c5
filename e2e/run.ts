// `npm run e2e`: the lab through the real Pulumi engine (CLI, Node.js language host, Kubernetes
// provider, built from Go modules by toolchain.ts) against a real Kubernetes API server on 127.0.0.1
// (cluster.ts). The engine is the referee: every scenario is a `pulumi` command, asserted exactly
// against what `lab render` and `lab diff` say. Everything after the tools are built runs inside a
// network namespace with only loopback, so a dial to a Service address (istiod's webhooks) fails at once
// and nothing leaves the machine.
import { spawnSync } from "child_process";
import { Cluster, serviceRangeUnreachable, startCluster } from "./cluster";
import { minimalCrds } from "./crds";
import { accessScenario } from "./access";
import { promoteScenario } from "./promote";
import { Context, Scenario } from "./scenario";
import { Workspace, createWorkspace } from "./pulumi";
import { ensureAll, ensureEngine, ensureIstio, ensureTools } from "./toolchain";
import { ISTIOD, Istiod, superviseIstiod } from "./istiod";
import { REAL_ISTIOD, harnessConfig } from "./harnessConfig";
import { dataLossScenario } from "./dataLoss";
import { judgeScenario } from "./judge";
import { stepsScenario } from "./steps";
import { SANDBOX_SCENARIO, sandboxScenario } from "./sandboxCheck";
import { GATEWAY_LABS_SCENARIO, HARNESS, gatewayLab, secs, withStack } from "./harness";
import { previewScenario } from "./preview";
import { upScenario } from "./upDev";
import { canaryScenario } from "./canary";
import { changesScenario } from "./changes";
import { policyPackScenario } from "./policyPack";
import { destroyScenario } from "./destroy";
import { operatorFlavorsScenario } from "./operatorFlavors";
import { classroomScenario } from "./classroom";
import { reservedNamespaceScenario } from "./reservedNamespace";
import { floorScenario } from "./floor";
import { Breakdown, PARTS, PART_MEANING, formatBreakdown } from "./engineTrace";

const SCENARIOS: Scenario[] = [
    previewScenario,
    upScenario,
    canaryScenario,
    changesScenario,
    policyPackScenario,
    destroyScenario,
    operatorFlavorsScenario,
    classroomScenario,
    reservedNamespaceScenario,
    floorScenario,
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
    const breakdowns: Array<[string, Breakdown]> = [];
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
                    breakdowns,
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
        if (breakdowns.length > 0) {
            console.log("\nWhere pulumi's time went (the engine's own trace, --otel-traces):");
            for (const [what, b] of breakdowns) {
                console.log(`- ${formatBreakdown(what, b)}`);
            }
            console.log(`  (${PARTS.map((p) => `${p}: ${PART_MEANING[p]}`).join("; ")})`);
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
