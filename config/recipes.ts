// The lab recipes and their stages: the one list every layer shares (the config resolves a stack's stages
// from it, `stacks/lab.ts` builds them, the docs list them), so it sits below both.
import { Platform } from "../components/lab";

/** The lab stages, in the order a lab builds them. */
export const STAGES = ["operators", "controlPlane", "guestbook", "gateway", "traffic", "peerAuth", "mtlsLab"] as const;
/** One lab stage. */
export type Stage = (typeof STAGES)[number];

/** A lab recipe: which platform it runs on by default and which stages it has. */
export interface Recipe {
    /** Name, the value of `istio-lab:recipe`. */
    readonly name: string;
    /** One line on what the recipe stands up. */
    readonly description: string;
    /** Platforms the recipe runs on; the first is its default. */
    readonly platforms: readonly Platform[];
    /** The stages the recipe has on a platform, unless `istio-lab:stages` says otherwise. */
    stages(platform: Platform): Stage[];
}

/** The same guestbook lab on plain Kubernetes, with upstream Istio from its Helm charts. */
export const kubernetesLab: Recipe = {
    name: "kubernetes",
    description: "guestbook lab on plain Kubernetes with upstream Istio (Helm), gateway, routing, mTLS",
    platforms: ["kubernetes"],
    stages: () => ["controlPlane", "guestbook", "gateway", "traffic", "peerAuth"],
};

/**
 * The OpenShift Service Mesh lab: operators from OperatorHub, the control plane, the Guestbook app,
 * its gateway and Route, A/B and canary routing, and mutual TLS.
 */
export const openshiftLab: Recipe = {
    name: "openshift",
    description: "OpenShift Service Mesh guestbook lab, OSSM 3 or 2 (operators, control plane, app, gateway, routing, mTLS)",
    platforms: ["openshift"],
    stages: () => ["operators", "controlPlane", "guestbook", "gateway", "traffic", "peerAuth"],
};

/**
 * The Istio peer authentication lab: `httpbin` and `sleep` in `foo` and `bar` (with sidecars) and
 * `legacy` (without), and the policies of its steps 8 to 13 set through `istio-lab:peerAuth`.
 */
export const peerAuthLab: Recipe = {
    name: "peer-auth",
    description: "Istio peer authentication lab (httpbin and sleep in foo, bar and legacy; mesh/namespace/workload/port policies)",
    platforms: ["kubernetes", "openshift"],
    stages: (platform) =>
        platform === "openshift" ? ["operators", "controlPlane", "mtlsLab", "peerAuth"] : ["controlPlane", "mtlsLab", "peerAuth"],
};

/** Every recipe, by name. */
export const RECIPES: Readonly<Record<string, Recipe>> = {
    [kubernetesLab.name]: kubernetesLab,
    [openshiftLab.name]: openshiftLab,
    [peerAuthLab.name]: peerAuthLab,
};
