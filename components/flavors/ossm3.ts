// OpenShift Service Mesh 3: the `Istio` and `IstioCNI` of the operator the lab's Subscriptions install (Red
// Hat's images, as its operator sets them), the injected ingress gateway, and the `Kiali` when its operator is
// among the Subscriptions.
import { operatorControlPlane } from "./operator";
import { FlavorContext, FlavorParts } from "./shared";

/** The ossm3 control plane. */
export function ossm3ControlPlane(x: FlavorContext): FlavorParts {
    return operatorControlPlane(x, { operator: () => [], kiali: x.args.kiali ?? false });
}
