// Renders the config documentation that Pulumi.yaml and README.md carry, from CONFIG_KEYS.
import { CONFIG_KEYS, NAMESPACE } from "../config";

/** The README's configuration table. */
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
