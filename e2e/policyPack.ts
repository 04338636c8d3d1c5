// e2e scenario 6: the policy pack run by the engine: preview passes on dev; a mesh-wide DISABLE makes pulumi
// up fail with the policy's name and change nothing.
import { Scenario } from "./scenario";
import { harnessConfig } from "./harnessConfig";
import { policyPackLauncher } from "./harness";

/** Scenario 6. */
export const policyPackScenario: Scenario = {
    name: "6 the policy pack run by the engine: preview passes on dev; a mesh-wide DISABLE makes pulumi up fail with the policy's name and change nothing",
    run: ({ cluster, ws, engine }) => {
        const pack = policyPackLauncher(ws);
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
};
