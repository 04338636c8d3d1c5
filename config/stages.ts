// Which lab: the recipe, the platform and the stages, and the settings that do nothing because their
// stage is absent (reported, not refused).
import { PLATFORMS, Platform, reject, show } from "../components/lab";
import { RECIPES, STAGES, Stage } from "./recipes";
import { NAMESPACE, int, list, oneOf } from "./schema";

/** The shape of `recipe`, `platform`, `stages` and `waitTimeoutSeconds`. */
export const stagesSchema = {
    recipe: oneOf(Object.keys(RECIPES)),
    platform: oneOf(PLATFORMS),
    stages: list(oneOf(STAGES), `a list of ${STAGES.join(", ")}`),
    waitTimeoutSeconds: int(1, 86400),
};

/** A setting that does nothing in this lab, as Pulumi warns about it and `lab validate` reports it. */
export interface Notice {
    readonly key: string;
    readonly message: string;
}

/** The recipe, its platform and the stages it has (checked). */
export function resolveStages(c: { recipe?: string; platform?: Platform; stages?: Stage[] }): {
    recipe: string;
    platform: Platform;
    stages: Stage[];
} {
    const recipe = RECIPES[c.recipe ?? c.platform ?? "kubernetes"];
    const platform = c.platform ?? recipe.platforms[0];
    if (!recipe.platforms.includes(platform)) {
        reject(`${NAMESPACE}:platform`, platform, `${recipe.platforms.join(" or ")} for recipe ${show(recipe.name)}`);
    }
    const stages = c.stages ?? recipe.stages(platform);
    checkStages(stages, platform);
    return { recipe: recipe.name, platform, stages };
}

function checkStages(stages: readonly Stage[], platform: Platform): void {
    const where = `${NAMESPACE}:stages`;
    const seen = new Set<Stage>();
    for (const stage of stages) {
        if (seen.has(stage)) {
            reject(where, stage, "each stage at most once");
        }
        seen.add(stage);
    }
    if (platform === "kubernetes" && seen.has("operators")) {
        reject(
            where,
            "operators",
            `no "operators" on platform "kubernetes" (OperatorHub is OpenShift's); remove it or set istio-lab:platform to "openshift"`,
        );
    }
    const needs: Array<[Stage, Stage]> = [
        ["gateway", "guestbook"],
        ["traffic", "guestbook"],
        ["traffic", "gateway"],
    ];
    for (const [stage, needed] of needs) {
        if (seen.has(stage) && !seen.has(needed)) {
            reject(
                where,
                stage,
                `${show(stage)} together with ${show(needed)}, which it builds on; add ${show(needed)} or remove ${show(stage)}`,
            );
        }
    }
}

/** Which stage each key configures; a key set for a stage the lab lacks does nothing, and is reported. */
const STAGE_OF_KEY: Readonly<Record<string, Stage | readonly Stage[]>> = {
    canaryWeight: "traffic",
    // Without a gateway, the Gateway API still decides the control plane's ingress (none: Istio deploys the Gateway's).
    trafficApi: ["gateway", "controlPlane"],
    dataplane: ["controlPlane", "guestbook", "mtlsLab"],
    gatewayApiCrds: ["gateway", "controlPlane"],
    abTest: "traffic",
    circuitBreaker: "traffic",
    routing: "traffic",
    clientTls: "traffic",
    tracing: "operators",
    attendees: "guestbook",
    attendeeOverrides: "traffic",
    attendeeAccess: "guestbook",
    attendeeBudget: "guestbook",
    peerAuth: "peerAuth",
    guestbook: "guestbook",
    gateway: "gateway",
    operators: "operators",
    mtlsLab: "mtlsLab",
    images: "mtlsLab",
    guestbookRegistry: "guestbook",
    controlPlane: "controlPlane",
};

/** The settings that have no effect because the lab lacks their stage. */
export function ignoredSettings(raw: Readonly<Record<string, unknown>>, stages: readonly Stage[]): Notice[] {
    const out: Notice[] = [];
    for (const [key, value] of Object.entries(raw)) {
        const of = STAGE_OF_KEY[key];
        const keyStages: readonly Stage[] = of === undefined ? [] : typeof of === "string" ? [of] : of;
        if (keyStages.length === 0 || keyStages.some((s) => stages.includes(s))) {
            continue;
        }
        // Fields other stages read: the control plane's namespace is the mesh's root namespace, which peer
        // authentication uses without the stage; gateway.serviceType exposes the control plane's ingress gateway.
        const usedElsewhere: readonly string[] =
            key === "controlPlane" ? ["namespace"] : key === "gateway" && stages.includes("controlPlane") ? ["serviceType"] : [];
        const partial = usedElsewhere.length > 0 && value !== null && typeof value === "object";
        const fields = partial ? Object.keys(value).filter((f) => !usedElsewhere.includes(f)) : [];
        if (partial && fields.length === 0) {
            continue;
        }
        const named = partial ? fields.map((f) => `${NAMESPACE}:${key}.${f}`).join(", ") : `${NAMESPACE}:${key}`;
        out.push({
            key: named,
            message: `${named} has no effect: this lab has no ${keyStages.map((s) => show(s)).join(" or ")} stage; add it to ${NAMESPACE}:stages or remove the setting`,
        });
    }
    return out;
}
