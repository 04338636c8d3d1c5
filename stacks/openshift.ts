import { Recipe } from "./recipe";

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
