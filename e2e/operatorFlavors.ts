// e2e scenario 5: OSSM 2 and OSSM 3 up and down: every pulumi.com/waitFor resolved by the provider's own await
// once the harness plays the operator; one nobody plays fails within its timeout.
import { WAIT_FOR } from "../components/lab";
import { metaOf } from "../tools/render";
import { Scenario } from "./scenario";
import { harnessConfig } from "./harnessConfig";
import { rendered, labIdOf, assertLiveApplied, withStack, applyCrds, assertGone, HARNESS, secs } from "./harness";

/** Scenario 5. */
export const operatorFlavorsScenario: Scenario = {
    name: "5 OSSM 2 and OSSM 3 up and down: every pulumi.com/waitFor resolved by the provider's own await once the harness plays the operator; one nobody plays fails within its timeout",
    run: async (x) => {
        const { cluster, ws, engine, crds } = x;
        applyCrds(cluster, crds);
        cluster.kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
        cluster.kubectl(["create", "namespace", "openshift-operators"], undefined, true);
        const out: string[] = [];
        for (const name of ["openshift", "openshift3"]) {
            const config = harnessConfig(engine, name, { "istio-lab:tracing": "true" });
            const objects = await rendered(config, name);
            await withStack(ws, name, config, async () => {
                const { ms, played } = await HARNESS.up(x, name);
                assertLiveApplied(cluster, objects, labIdOf(ws, name));
                const waits = objects.filter((o) => metaOf(o).annotations?.[WAIT_FOR] !== undefined).length;
                const destroy = ws.pulumi(["destroy", "--yes", "--skip-preview", "--stack", name]);
                assertGone(
                    cluster,
                    objects.filter((o) => !(o.manifest.kind === "Namespace" && metaOf(o).name === "openshift-operators")),
                );
                out.push(`${name}: up ${secs(ms)}, ${waits} waits resolved (${played} status reports played), destroy ${secs(destroy.ms)}`);
            });
        }
        // A wait that cannot resolve (nobody plays the operator) fails the update within its timeout.
        const stuck = harnessConfig(engine, "openshift", { "istio-lab:waitTimeoutSeconds": "20" });
        await withStack(ws, "openshift-stuck", stuck, () => {
            const r = ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "openshift-stuck"], { allowFailure: true });
            const text = r.stdout + r.stderr;
            if (r.status === 0 || r.ms > 90_000 || !/Subscription/.test(text) || !/time(d)? ?out/i.test(text)) {
                throw new Error(`an unresolvable wait: pulumi up exited ${r.status} after ${secs(r.ms)}:\n${text.slice(-1500)}`);
            }
            out.push(`an unresolvable wait (waitTimeoutSeconds 20) failed pulumi up after ${secs(r.ms)}`);
            return Promise.resolve();
        });
        return out.join("; ");
    },
};
