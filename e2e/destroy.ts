// e2e scenario 8: pulumi destroy of dev leaves none of the lab's objects (Istio's CRDs stay: helm.sh/resource-
// policy keep).
import { Scenario } from "./scenario";
import { harnessConfig } from "./harnessConfig";
import { rendered, assertGone, secs } from "./harness";

/** Scenario 8. */
export const destroyScenario: Scenario = {
    name: "8 pulumi destroy of dev leaves none of the lab's objects (Istio's CRDs stay: helm.sh/resource-policy keep)",
    run: async ({ cluster, ws, engine, times }) => {
        const objects = await rendered(harnessConfig(engine, "dev"), "dev");
        const destroy = ws.pulumi(["destroy", "--yes", "--skip-preview", "--stack", "dev"]);
        times.push(["pulumi destroy, dev", secs(destroy.ms)]);
        assertGone(cluster, objects);
        return `${objects.length} objects gone in ${secs(destroy.ms)}`;
    },
};
