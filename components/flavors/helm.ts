// Upstream Istio from its Helm charts: `base`, `istiod` (and in ambient mode `cni` and `ztunnel`) and the
// `gateway` chart's ingress gateway, each release installed after the one before, from a chart repository,
// an OCI registry or a local chart directory.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FlavorContext, FlavorParts, INGRESS_GATEWAY, ISTIO_CHART_REPO, ISTIO_IMAGE_HUB, chartRef, chartSource, deepMerge } from "./shared";

/** The helm control plane. */
export function helmControlPlane(x: FlavorContext): FlavorParts {
    const { name, parent, args, nsName, nsOut, requires, values, version, ambient, ingress, serviceType } = x;
    const source = chartSource(args.chartRepo ?? ISTIO_CHART_REPO);
    const chart = (release: string, chartName: string, chartValues: Record<string, unknown>, after: pulumi.Resource[]) =>
        new k8s.helm.v3.Release(
            `${name}-${release}`,
            {
                name: release,
                ...chartRef(source, chartName, version),
                namespace: nsOut,
                values: chartValues,
            },
            { parent, dependsOn: [...requires, ...after] },
        );
    // Both charts read `base` (its validationURL, for a validator reached by URL rather than istiod's Service).
    const baseValues = values.base === undefined ? {} : { base: values.base };
    const base = chart("istio-base", "base", { defaultRevision: "default", ...baseValues }, []);
    const profile = ambient ? { profile: "ambient" } : {};
    const istiod = chart(
        "istiod",
        "istiod",
        deepMerge({ ...profile, global: { hub: ISTIO_IMAGE_HUB }, meshConfig: { rootNamespace: nsName } }, values),
        [base],
    );
    // Ambient, as Istio's Helm guide installs it: the CNI node agent and ztunnel beside istiod, in its namespace.
    const dataplane = ambient
        ? [
              chart("istio-cni", "cni", { ...profile, global: { hub: ISTIO_IMAGE_HUB } }, [istiod]),
              chart("ztunnel", "ztunnel", { hub: ISTIO_IMAGE_HUB }, [istiod]),
          ]
        : [];
    if (ingress) {
        // A LoadBalancer Service blocks Helm's wait until it has an address, which kind, minikube and k3d never give.
        const gatewayValues = {
            labels: { istio: "ingressgateway" },
            ...(serviceType !== "LoadBalancer" ? { service: { type: serviceType } } : {}),
        };
        const gateway = chart(INGRESS_GATEWAY, "gateway", gatewayValues, [istiod, ...dataplane]);
        // Known at preview (a Release's status is not), and still after the release.
        return {
            ready: [base, istiod, ...dataplane, gateway],
            ingressNamespace: gateway.urn.apply(() => nsName),
            ingressCreated: gateway.status.namespace,
        };
    }
    return {
        ready: [base, istiod, ...dataplane],
        ingressNamespace: istiod.urn.apply(() => nsName),
        ingressCreated: istiod.status.namespace,
    };
}
