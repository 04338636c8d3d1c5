// e2e scenario 10: the floor: pulumi up of the guestbook objects without Helm releases beside kubectl apply
// --server-side of the same objects followed by kubectl's waits for what the provider awaits (like for like);
// a secret set with --path --secret is live but only ciphertext in the state.
import { Scenario } from "./scenario";
import { harnessConfig } from "./harnessConfig";
import { Cluster } from "./cluster";
import { json, rendered, withStack, secs, traced } from "./harness";
import { RenderedObject } from "../tools/render";

/**
 * kubectl's waits for what the Kubernetes provider awaits after creating these objects: each Deployment's
 * rollout, each Service with a selector until its Endpoints have an address (the provider then waits another
 * 10 s for them to settle, which kubectl does not). Returns what it waited for.
 */
export function awaitLikeTheProvider(cluster: Cluster, objects: readonly RenderedObject[]): string[] {
    const waited: string[] = [];
    for (const o of objects) {
        const m = o.manifest as { kind: string; metadata: { name: string; namespace?: string }; spec?: { selector?: unknown } };
        const ns = m.metadata.namespace ?? "default";
        if (m.kind === "Deployment") {
            cluster.kubectl(["rollout", "status", `deployment/${m.metadata.name}`, "-n", ns, "--timeout=300s"]);
            waited.push(`deployment/${m.metadata.name}`);
        } else if (m.kind === "Service" && m.spec?.selector) {
            cluster.kubectl([
                "wait",
                `endpoints/${m.metadata.name}`,
                "-n",
                ns,
                "--for=jsonpath={.subsets[0].addresses[0].ip}",
                "--timeout=300s",
            ]);
            waited.push(`endpoints/${m.metadata.name}`);
        }
    }
    return waited;
}

/** Scenario 10. */
export const floorScenario: Scenario = {
    name: "10 the floor: pulumi up of the guestbook objects without Helm releases beside kubectl apply --server-side of the same objects; a secret set with --path --secret is live but only ciphertext in the state",
    run: async (x) => {
        const { cluster, ws, engine, times } = x;
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
            const result = traced(x, "pulumi up, the floor's guestbook objects", ["up", "--yes", "--skip-preview", "--stack", "floor"]);
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
        const applied = Date.now() - start;
        const waited = awaitLikeTheProvider(cluster, objects);
        const floor = Date.now() - start;
        const ratio = up.ms / floor;
        times.push([`pulumi up, the same ${objects.length} objects without Helm releases`, secs(up.ms)]);
        times.push([
            `kubectl apply --server-side of them, then kubectl's waits for what the provider awaits (the floor)`,
            `${secs(floor)} (apply ${secs(applied)})`,
        ]);
        times.push([`pulumi up / the floor`, `${ratio.toFixed(1)}x`]);
        cluster.kubectl(["delete", "namespace", "floor-kubectl", "--wait=true", "--timeout=120s"]);
        return `${objects.length} objects: pulumi up ${secs(up.ms)}, the floor ${secs(floor)} (apply ${secs(applied)}, then ${waited.join(", ")}): ${ratio.toFixed(1)}x`;
    },
};
