// The Kubernetes Gateway API's way in: a `Gateway` of class `istio` in the ingress namespace, which Istio
// deploys itself (as `<name>-istio`, awaited until Programmed), with an HTTPS listener when the lab serves
// TLS and an HTTPRoute redirecting plain HTTP to it. The lab's HTTPRoutes attach to its listeners.
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_TYPE_ANNOTATION, gatewayApiObject, gatewaySpec, httpsRedirectSpec } from "../httpRoute";
import { LAB_LABELS, waitFor } from "../lab";
import { IngressContext, IngressParts } from "./shared";

/** The Gateway API ingress. */
export function gatewayApiIngress(x: IngressContext): IngressParts {
    const { name, parent, platform, gatewayName, hosts, port, useTls, credentialName, after, requires, ingressNamespace, serviceType } = x;
    // Istio deploys the Gateway itself, as `<name>-istio`, in the Gateway's namespace, where the Secret is.
    const spec = gatewaySpec({ hosts, httpPort: port, certificateSecret: useTls ? credentialName : undefined });
    const gateway = gatewayApiObject(
        `${name}-gateway`,
        "Gateway",
        {
            name: gatewayName,
            namespace: ingressNamespace,
            labels: LAB_LABELS,
            annotations: {
                ...waitFor("condition=Programmed"),
                // Istio's default is LoadBalancer; on OpenShift the Route is the way in and the Service stays inside.
                [SERVICE_TYPE_ANNOTATION]: serviceType ?? (platform === "openshift" ? "ClusterIP" : "LoadBalancer"),
            },
        },
        spec,
        { parent, dependsOn: after },
    );
    const listenerNames = (protocol: string) =>
        (spec.listeners as Array<{ name: string; protocol: string }>).filter((l) => l.protocol === protocol).map((l) => l.name);
    const parentRef = { name: gatewayName, namespace: ingressNamespace };
    const routeParents = listenerNames(useTls ? "HTTPS" : "HTTP").map((sectionName) => ({ ...parentRef, sectionName }));
    if (useTls) {
        gatewayApiObject(
            `${name}-https-redirect`,
            "HTTPRoute",
            { name: `${gatewayName}-https-redirect`, namespace: ingressNamespace, labels: LAB_LABELS },
            httpsRedirectSpec(parentRef, listenerNames("HTTP")),
            { parent, dependsOn: [gateway] },
        );
    }
    const ingressService = `${gatewayName}-istio`;
    return {
        gateway,
        routeParents,
        ingressService,
        ingressPorts: { http: port, https: 443 },
        // The Service exists once Istio has programmed the Gateway. The Gateway's id is unknown while a preview
        // plans to create it (nothing to read yet: the read waits for pulumi up), known once it exists.
        serviceId: pulumi.all([gateway.metadata.namespace, gateway.id]).apply(([ns]) => `${ns}/${ingressService}`),
        serviceAfter: [...requires, gateway],
    };
}
