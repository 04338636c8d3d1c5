// Upstream Istio through the Sail operator: the lab installs the operator from its Helm chart, then the
// operator's `Istio`, `IstioCNI` (and `ZTunnel`) with Istio's own image hub (Sail's defaults for Istio 1.30 and
// older are on registry.istio.io, retired with the old charts).
import * as k8s from "@pulumi/kubernetes";
import { namespaceName } from "../namespace";
import { DEFAULT_SAIL_VERSION } from "../versions";
import { operatorControlPlane } from "./operator";
import { FlavorContext, FlavorParts, ISTIO_IMAGE_HUB, SAIL_CHART_REPO, SAIL_OPERATOR_NAMESPACE, chartRef, chartSource } from "./shared";

/** The sail control plane. */
export function sailControlPlane(x: FlavorContext): FlavorParts {
    const { name, parent, args, requires, newNamespace } = x;
    return operatorControlPlane(x, {
        operator: () => {
            const sailNamespace = newNamespace(`${name}-sail-namespace`, SAIL_OPERATOR_NAMESPACE);
            return [
                new k8s.helm.v3.Release(
                    `${name}-sail-operator`,
                    {
                        name: "sail-operator",
                        ...chartRef(
                            chartSource(args.sailChartRepo ?? SAIL_CHART_REPO),
                            "sail-operator",
                            args.sailVersion ?? DEFAULT_SAIL_VERSION,
                        ),
                        namespace: namespaceName(sailNamespace, SAIL_OPERATOR_NAMESPACE),
                    },
                    { parent, dependsOn: requires },
                ),
            ];
        },
        imagesFromHub: { global: { hub: ISTIO_IMAGE_HUB } },
        kiali: false,
    });
}
