// e2e scenario 3: canary 20 to 50: pulumi preview --diff has exactly one update (the VirtualService), as lab
// diff says; up; live weights 50/50.
import { diffRenders } from "../tools/diff";
import { Scenario } from "./scenario";
import { harnessConfig } from "./harnessConfig";
import { json, rendered, planSteps, engineChanges, labDiffChanges, secs, traced } from "./harness";

/** Scenario 3. */
export const canaryScenario: Scenario = {
    name: "3 canary 20 to 50: pulumi preview --diff has exactly one update (the VirtualService), as lab diff says; up; live weights 50/50",
    run: async (x) => {
        const { cluster, ws, engine, times } = x;
        const base = harnessConfig(engine, "dev");
        const after = { ...base, "istio-lab:canaryWeight": "50" };
        ws.configure("dev", after);
        const diff = ws.pulumi(["preview", "--diff", "--json", "--stack", "dev"]);
        const engineSaid = engineChanges(planSteps(diff.stdout));
        const labSaid = labDiffChanges(diffRenders(await rendered(base, "dev"), await rendered(after, "dev")));
        const want = ["changed VirtualService guestbook/virtual-service-guestbook"];
        if (json(engineSaid) !== json(want) || json(labSaid) !== json(want)) {
            throw new Error(`engine [${engineSaid.join("; ")}], lab diff [${labSaid.join("; ")}], want [${want.join("; ")}]`);
        }
        const up = traced(x, "pulumi up, canary 20 to 50", ["up", "--yes", "--skip-preview", "--stack", "dev"]);
        times.push(["pulumi up, canary 20 to 50 (1 update)", secs(up.ms)]);
        const vs = JSON.parse(
            cluster.kubectl(["get", "virtualservices.v1.networking.istio.io", "virtual-service-guestbook", "-n", "guestbook", "-o", "json"])
                .stdout,
        ) as {
            spec: { http: Array<{ route: Array<{ weight: number }> }> };
        };
        const weights = vs.spec.http[0].route.map((r) => r.weight);
        if (json(weights) !== json([50, 50])) {
            throw new Error(`live weights ${json(weights)}`);
        }
        ws.configure("dev", base);
        ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
        return `preview ${secs(diff.ms)}, up ${secs(up.ms)}, live weights 50/50, back to 80/20`;
    },
};
