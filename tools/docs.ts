// Renders the config documentation that Pulumi.yaml and docs/config.md carry, from CONFIG_KEYS.
import { CONFIG_KEYS, NAMESPACE, parseConfig } from "../config";
import { LabStep, STEPS, stepSettings } from "./steps";

/** The configuration reference table (docs/config.md). */
export function readmeConfigTable(): string {
    const rows = CONFIG_KEYS.map((k) => `| \`${NAMESPACE}:${k.key}\` | ${k.type} | ${k.default} | ${k.description} |`);
    return ["| key | type | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** The comment block in Pulumi.yaml that documents every key. */
export function pulumiYamlConfigDocs(): string {
    const plain = (text: string) => text.replace(/`/g, "");
    return CONFIG_KEYS.map(
        (k) => `#   ${NAMESPACE}:${k.key} (${k.type}; default: ${plain(k.default)})\n#       ${plain(k.description)}`,
    ).join("\n");
}

/** A lab's steps as the docs list them (tools/steps.ts is the one table; a test keeps the docs in agreement). */
export function stepsDocTable(labName: LabStep["lab"]): string {
    const config = parseConfig({});
    const rows = STEPS.filter((s) => s.lab === labName).map((s) => {
        const sets = Object.entries(stepSettings(config, s))
            .map(([k, v]) => `\`${k.replace(`${NAMESPACE}:`, "")}=${v}\``)
            .join(" ");
        return `| \`${s.name}\` | ${s.title} | ${s.seed} | ${sets} | ${s.ambient ? "yes" : "no"} |`;
    });
    return ["| `--step` | what | where the document teaches it | sets | in ambient |", "|---|---|---|---|---|", ...rows].join("\n");
}
