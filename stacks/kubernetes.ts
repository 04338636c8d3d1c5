import { Recipe } from "./recipe";

/** The same guestbook lab on plain Kubernetes, with upstream Istio from its Helm charts. */
export const kubernetesLab: Recipe = {
    name: "kubernetes",
    description: "guestbook lab on plain Kubernetes with upstream Istio (Helm), gateway, routing, mTLS",
    platforms: ["kubernetes"],
    stages: () => ["controlPlane", "guestbook", "gateway", "traffic", "peerAuth"],
};
