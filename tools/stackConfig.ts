// Reads stack config files (`Pulumi.<stack>.yaml`) the way the Pulumi CLI hands them to a program:
// every value a string, structured values as JSON.
import { readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";

/** The project root (where `Pulumi.yaml` is), from the compiled `bin/tools` or the sources. */
export const PROJECT_ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}bin${path.sep}`) ? "../.." : "..");

/** The path of a stack's config file. */
export function stackFile(stack: string): string {
    return path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
}

/** Converts one config value to the string form Pulumi gives programs. */
export function configString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/** Reads a stack config file into `{"istio-lab:key": "value"}` form. */
export function readStackConfig(file: string): Record<string, string> {
    const doc = (parse(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        // `pulumi config set --secret` values come as {secure: ...}; the lab has no secret keys.
        out[key] = configString(value);
    }
    return out;
}
