// e2e scenario 10: the floor: pulumi up of the guestbook objects without Helm releases beside kubectl apply
// --server-side of the same objects; a secret set with --path --secret is live but only ciphertext in the
// state.
import { Scenario } from "./scenario";
import { harnessConfig } from "./harnessConfig";
import { json, rendered, withStack, secs } from "./harness";

/** Scenario 10. */
export const floorScenario: Scenario = {
    name: "10 the floor: pulumi up of the guestbook objects without Helm releases beside kubectl apply --server-side of the same objects; a secret set with --path --secret is live but only ciphertext in the state",
    run: async ({ cluster, ws, engine, times }) => {
        const stages = '["guestbook"]';
        const viaPulumi = harnessConfig(engine, "dev", {
            "istio-lab:stages": stages,
            "istio-lab:guestbook": '{"namespace":"floor-pulumi"}',
        });
        const viaKubectl = harnessConfig(engine, "dev", {
            "istio-lab:stages": stages,
            "istio-lab:guestbook": '{"namespace":"floor-kubectl"}',
        });
        // A secret at depth inside a structured key: live in the cluster, never in plain text in the state.
        const secretImage = "registry.example.com/private/redis:3.2.9";
        const up = await withStack(ws, "floor", viaPulumi, () => {
            ws.pulumi(["config", "set", "--secret", "--path", "istio-lab:guestbook.redisMasterImage", secretImage, "--stack", "floor"]);
            const result = ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "floor"]);
            const image = cluster.kubectl([
                "get",
                "deployment",
                "redis-master",
                "-n",
                "floor-pulumi",
                "-o",
                "jsonpath={.spec.template.spec.containers[0].image}",
            ]).stdout;
            const state = ws.exportState("floor");
            if (image !== secretImage || state.includes(secretImage) || state.includes("private/redis")) {
                throw new Error(
                    `secret guestbook.redisMasterImage: live ${image}; in the exported state in plain text: ${state.includes(secretImage)}`,
                );
            }
            return Promise.resolve(result);
        });
        const objects = await rendered(viaKubectl, "floor");
        const yaml = objects.map((o) => json(o.manifest)).join("\n---\n");
        const start = Date.now();
        cluster.kubectl(["apply", "--server-side", "--field-manager=istio-lab-e2e", "-f", "-"], yaml);
        const floor = Date.now() - start;
        times.push([`pulumi up, the same ${objects.length} objects without Helm releases`, secs(up.ms)]);
        times.push([`kubectl apply --server-side of them (the floor)`, secs(floor)]);
        cluster.kubectl(["delete", "namespace", "floor-kubectl", "--wait=true", "--timeout=120s"]);
        return `${objects.length} objects: pulumi up ${secs(up.ms)}, kubectl ${secs(floor)}`;
    },
};
