// Istio's own API's way in: an Istio `Gateway` selecting the ingress gateway the control plane made
// (`istio: ingressgateway`), serving HTTP (redirected to HTTPS when the lab serves TLS, with the lab's
// certificate by `credentialName`). The lab's VirtualServices bind to it by name.
import { ISTIO_APIS_V1, LAB_LABELS, istioObject } from "../lab";
import * as pulumi from "@pulumi/pulumi";
import { IngressContext, IngressParts, OSSM_INGRESS_PORTS } from "./shared";

/** The Istio API ingress. */
export function istioIngress(x: IngressContext): IngressParts {
    const {
        name,
        parent,
        platform,
        gatewayName,
        hosts,
        port,
        useTls,
        credentialName,
        after,
        requires,
        ingressNamespace,
        ingressService,
        ingressCreated,
        namespace,
        selector,
        apis,
    } = x;
    const gateway = istioObject(
        `${name}-gateway`,
        (apis ?? ISTIO_APIS_V1).networking,
        "Gateway",
        {
            name: gatewayName,
            namespace,
            labels: LAB_LABELS,
            // The Route below is ours; OSSM must not add one of its own.
            annotations: platform === "openshift" ? { "maistra.io/manageRoute": "false" } : undefined,
        },
        {
            selector: selector ?? { istio: "ingressgateway" },
            servers: useTls
                ? [
                      { port: { number: port, name: "http", protocol: "HTTP" }, hosts, tls: { httpsRedirect: true } },
                      { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts, tls: { mode: "SIMPLE", credentialName } },
                  ]
                : [{ port: { number: port, name: "http", protocol: "HTTP" }, hosts }],
        },
        { parent, dependsOn: after },
    );
    return {
        gateway,
        routeParents: [],
        ingressService,
        ingressPorts: OSSM_INGRESS_PORTS,
        serviceId: pulumi.interpolate`${ingressCreated ?? ingressNamespace}/${ingressService}`,
        serviceAfter: requires,
    };
}
