// The istio-lab policy pack: `pulumi preview --policy-pack policy`. Each policy's enforcement level
// can be set per stack with `--policy-pack-config` (see policy/config.production.json).
import { PolicyPack, StackValidationPolicy } from "@pulumi/policy";
import {
    PolicyInput,
    PolicySettings,
    Violation,
    awaitedCustomResources,
    imagesArePinned,
    mtlsIsStrictEnough,
    noBypassLoadBalancer,
    routesAreWhole,
} from "./rules";

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
    policies: [
        stackPolicy(
            "routes-are-whole",
            "VirtualService weights are integers summing to 100 and every subset exists.",
            "mandatory",
            routesAreWhole,
        ),
        stackPolicy("mtls-strict-enough", "No mesh-wide DISABLE; production stacks STRICT everywhere.", "mandatory", mtlsIsStrictEnough),
        stackPolicy("images-pinned", "Images carry a version tag or digest; containers request resources.", "advisory", imagesArePinned),
        stackPolicy("no-bypass-load-balancer", "No LoadBalancer Service behind the lab's Gateway.", "mandatory", noBypassLoadBalancer),
        stackPolicy(
            "awaited-custom-resources",
            "Subscriptions, control planes (ServiceMeshControlPlane, Istio, IstioCNI) and ServiceMeshMembers carry pulumi.com/waitFor.",
            "mandatory",
            awaitedCustomResources,
        ),
    ],
});
