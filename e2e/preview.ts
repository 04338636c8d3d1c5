// e2e scenario 1: pulumi preview of every shipped stack that runs here: the plan's objects are lab render's
// (kind, namespace, name).
import { objectId } from "../tools/render";
import { Config, Scenario } from "./scenario";
import { harnessConfig } from "./harnessConfig";
import { json, rendered, preview, standInSailChart } from "./harness";

/** Scenario 1. */
export const previewScenario: Scenario = {
    name: "1 pulumi preview of every shipped stack that runs here: the plan's objects are lab render's (kind, namespace, name)",
    run: async ({ ws, engine, gatewayApiCrds }) => {
        const out: string[] = [];
        const stacks: Array<[string, Config]> = [
            ["dev", harnessConfig(engine, "dev")],
            ["kubernetes", harnessConfig(engine, "kubernetes")],
            ["peer-auth", harnessConfig(engine, "peer-auth")],
            [
                "sail",
                harnessConfig(engine, "kubernetes", {
                    "istio-lab:controlPlane": json({ flavor: "sail", sailChartRepo: standInSailChart(ws) }),
                }),
            ],
            ["openshift", harnessConfig(engine, "openshift")],
            ["openshift3", harnessConfig(engine, "openshift3")],
            ["gateway-api", harnessConfig(engine, "gateway-api", { "istio-lab:gatewayApiCrds": gatewayApiCrds })],
            ["ambient", harnessConfig(engine, "ambient", { "istio-lab:gatewayApiCrds": gatewayApiCrds })],
        ];
        for (const [name, config] of stacks) {
            ws.stack(`preview-${name}`, config);
            const steps = preview(ws, `preview-${name}`);
            // What the CRD file holds is planned as the file's children; lab render shows the file.
            const fromFile = steps.filter((s) => s.fromFile && s.op === "create").length;
            const planned = steps
                .filter((s) => s.op === "create" && !s.fromFile)
                .map((s) => s.object)
                .sort();
            const want = (await rendered(config, `preview-${name}`)).map(objectId).sort();
            if (json(planned) !== json(want)) {
                const missing = want.filter((w) => !planned.includes(w));
                const extra = planned.filter((p) => !want.includes(p));
                throw new Error(`${name}: the plan lacks [${missing.join(", ")}] and adds [${extra.join(", ")}]`);
            }
            if (config["istio-lab:gatewayApiCrds"] !== undefined && fromFile !== 12) {
                throw new Error(
                    `${name}: the CRD file's objects planned: ${fromFile}, not the 10 CRDs and the upgrade policy and its binding`,
                );
            }
            out.push(`${name} ${planned.length}${fromFile > 0 ? ` (+${fromFile} from the CRD file)` : ""}`);
            ws.pulumi(["stack", "rm", "--yes", "--force", `preview-${name}`]);
        }
        return `objects planned = rendered: ${out.join(", ")}`;
    },
};
