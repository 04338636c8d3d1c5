import { Recipe } from "./recipe";

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
