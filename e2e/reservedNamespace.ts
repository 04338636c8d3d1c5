// e2e scenario 9: a patched reserved namespace: the peer-auth lab with default as a plain namespace; destroy
// leaves default, without the lab's labels.
import { LAB_ID_LABEL } from "../stacks/lab";
import { metaOf } from "../tools/render";
import { Scenario } from "./scenario";
import { harnessConfig } from "./harnessConfig";
import { json, rendered, withStack, assertGone } from "./harness";

/** Scenario 9. */
export const reservedNamespaceScenario: Scenario = {
    name: "9 a patched reserved namespace: the peer-auth lab with default as a plain namespace; destroy leaves default, without the lab's labels",
    run: async ({ cluster, ws, engine }) => {
        const config = harnessConfig(engine, "peer-auth", { "istio-lab:mtlsLab": '{"plainNamespaces":["default"]}' });
        return withStack(ws, "peer-auth", config, async () => {
            ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "peer-auth"]);
            const labels = () =>
                (
                    JSON.parse(cluster.kubectl(["get", "namespace", "default", "-o", "json"]).stdout) as {
                        metadata: { labels?: Record<string, string> };
                    }
                ).metadata.labels ?? {};
            const during = labels();
            if (during[LAB_ID_LABEL] === undefined) {
                throw new Error(`default was not labelled by the lab: ${json(during)}`);
            }
            const objects = await rendered(config, "peer-auth");
            ws.pulumi(["destroy", "--yes", "--skip-preview", "--stack", "peer-auth"]);
            assertGone(
                cluster,
                objects.filter(
                    (o) => metaOf(o).namespace !== "default" && !(o.manifest.kind === "Namespace" && metaOf(o).name === "default"),
                ),
            );
            const after = labels();
            const lab = Object.keys(after).filter(
                (k) => k.startsWith("istio-lab") || k === "istio-injection" || k.startsWith("app.kubernetes.io"),
            );
            if (lab.length > 0) {
                throw new Error(`default keeps the lab's labels ${lab.join(", ")}`);
            }
            return `default labelled during the lab (${Object.keys(during).length} labels), kept without them after destroy`;
        });
    },
};
