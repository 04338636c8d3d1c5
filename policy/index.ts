// The istio-lab policy pack: `pulumi preview --policy-pack policy`. Each policy's enforcement level
// can be set per stack with `--policy-pack-config` (see policy/config.production.json).
import { PolicyPack, StackValidationPolicy } from "@pulumi/policy";
import { POLICIES, PolicyInput, PolicySettings, Violation } from "./rules";

function stackPolicy(
    name: string,
    description: string,
    enforcementLevel: "advisory" | "mandatory",
    check: (resources: readonly PolicyInput[], settings: PolicySettings) => Violation[],
): StackValidationPolicy {
    return {
        name,
        description,
        enforcementLevel,
        configSchema: {
            properties: { production: { type: "boolean", default: false }, rootNamespace: { type: "string", default: "istio-system" } },
        },
        validateStack: (args, reportViolation) => {
            const byName = new Map(args.resources.map((r) => [r.name, r.urn]));
            const settings = args.getConfig<PolicySettings>();
            for (const v of check(args.resources, settings)) {
                reportViolation(v.message, byName.get(v.name));
            }
        },
    };
}

new PolicyPack("istio-lab", {
    policies: POLICIES.map((p) => stackPolicy(p.name, p.description, p.enforcementLevel, p.check)),
});
