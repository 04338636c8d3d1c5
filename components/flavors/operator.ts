// What OSSM 3 and Sail share: the operator's `Istio` and `IstioCNI` (both named default; in ambient mode
// the `ZTunnel` too, each awaited until Ready), then the ingress gateway by gateway injection, which no
// operator makes. The flavour modules (ossm3.ts, sail.ts) say what differs: the operator the lab installs,
// the image hub, Kiali.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GatewayServiceType } from "../gateway";
import { LAB_LABELS, SKIP_SERVICE_AWAIT, waitFor } from "../lab";
import { FlavorContext, FlavorParts, INGRESS_GATEWAY, ISTIO_CNI_NAMESPACE, ZTUNNEL_NAMESPACE, deepMerge } from "./shared";

/** What an operator flavour adds to the shared objects. */
export interface OperatorFlavor {
    /** Creates the operator the lab installs itself (after the CNI namespace), if any; the `Istio` waits for it. */
    readonly operator: () => pulumi.Resource[];
    /** Helm values of an image hub for the `Istio`, `IstioCNI` and `ZTunnel` (the user's values.global.hub wins). */
    readonly imagesFromHub?: Record<string, unknown>;
    /** Create the `Kiali` (its operator is among the lab's Subscriptions). */
    readonly kiali: boolean;
}

/** The operator's Istio resources and the injected ingress gateway. */
export function operatorControlPlane(x: FlavorContext, o: OperatorFlavor): FlavorParts {
    const { name, parent, nsName, nsOut, namespace, requires, values, version, ambient, ingress, serviceType, newNamespace } = x;
    const cniNamespace = newNamespace(`${name}-cni-namespace`, ISTIO_CNI_NAMESPACE);
    const operator = o.operator();
    const imagesFromHub = o.imagesFromHub;
    const istioValues = imagesFromHub ? deepMerge(imagesFromHub, values) : values;
    const sail = (logical: string, kind: string, spec: Record<string, unknown>, after: pulumi.Resource[]) =>
        new k8s.apiextensions.CustomResource(
            `${name}-${logical}`,
            {
                apiVersion: "sailoperator.io/v1",
                kind,
                metadata: { name: "default", labels: LAB_LABELS, annotations: waitFor("condition=Ready") },
                spec,
            },
            { parent, dependsOn: [...requires, ...operator, ...after] },
        );
    const profile = ambient ? { profile: "ambient" } : {};
    const istio = sail(
        "istio",
        "Istio",
        {
            version: `v${version}`,
            namespace: nsName,
            ...profile,
            updateStrategy: { type: "InPlace" },
            ...(Object.keys(istioValues).length > 0 ? { values: istioValues } : {}),
        },
        [namespace],
    );
    const cni = sail(
        "istio-cni",
        "IstioCNI",
        {
            version: `v${version}`,
            namespace: ISTIO_CNI_NAMESPACE,
            ...profile,
            ...(imagesFromHub ? { values: imagesFromHub } : {}),
        },
        [cniNamespace],
    );
    const dataplane = ambient
        ? [
              sail(
                  "ztunnel",
                  "ZTunnel",
                  {
                      version: `v${version}`,
                      namespace: ZTUNNEL_NAMESPACE,
                      ...(imagesFromHub ? { values: imagesFromHub } : {}),
                  },
                  [newNamespace(`${name}-ztunnel-namespace`, ZTUNNEL_NAMESPACE), istio],
              ),
          ]
        : [];
    const ingressService = ingress ? injectedGateway(parent, name, nsName, serviceType, [namespace, istio]) : undefined;
    if (o.kiali) {
        new k8s.apiextensions.CustomResource(
            `${name}-kiali`,
            {
                apiVersion: "kiali.io/v1alpha1",
                kind: "Kiali",
                metadata: { name: "kiali", namespace: nsName, labels: LAB_LABELS },
                spec: { istio_namespace: nsName },
            },
            { parent, dependsOn: [...requires, istio] },
        );
    }
    return {
        ready: [istio, cni, ...dataplane],
        ingressNamespace: nsOut,
        // The Service's status exists only once it does (unknown at preview), unlike its metadata.
        ingressCreated: ingressService ? ingressService.status.apply(() => nsName) : istio.urn.apply(() => nsName),
    };
}

/**
 * The ingress gateway by gateway injection (OSSM 3, Sail: no operator makes one): a Deployment whose
 * pods the injector fills in (`image: auto`), so they must start after the `Istio` is Ready; a Service
 * with the ports the lab's Route and Gateway use; and the right to read the TLS Secrets the Gateway
 * names (`credentialName`).
 */
function injectedGateway(
    parent: pulumi.Resource,
    name: string,
    namespace: string,
    serviceType: GatewayServiceType,
    after: pulumi.Resource[],
): k8s.core.v1.Service {
    const opts = { parent, dependsOn: after };
    const labels = { istio: "ingressgateway", app: INGRESS_GATEWAY };
    const meta = (objectName: string) => ({ name: objectName, namespace, labels: { ...LAB_LABELS, ...labels } });
    const account = new k8s.core.v1.ServiceAccount(`${name}-gateway-sa`, { metadata: meta(INGRESS_GATEWAY) }, opts);
    new k8s.apps.v1.Deployment(
        `${name}-gateway`,
        {
            metadata: meta(INGRESS_GATEWAY),
            spec: {
                selector: { matchLabels: { istio: "ingressgateway" } },
                template: {
                    metadata: {
                        annotations: { "inject.istio.io/templates": "gateway" },
                        labels: { ...labels, "sidecar.istio.io/inject": "true" },
                    },
                    spec: { serviceAccountName: INGRESS_GATEWAY, containers: [{ name: "istio-proxy", image: "auto" }] },
                },
            },
        },
        { ...opts, dependsOn: [...after, account] },
    );
    const service = new k8s.core.v1.Service(
        `${name}-gateway-service`,
        {
            // Its pods are the gateway Deployment's await; a load balancer's address is labUrl's, so that one waits.
            metadata: { ...meta(INGRESS_GATEWAY), ...(serviceType === "LoadBalancer" ? {} : { annotations: SKIP_SERVICE_AWAIT }) },
            spec: {
                type: serviceType,
                selector: { istio: "ingressgateway" },
                ports: [
                    { name: "http2", port: 80, targetPort: 8080 },
                    { name: "https", port: 443, targetPort: 8443 },
                ],
            },
        },
        opts,
    );
    const role = new k8s.rbac.v1.Role(
        `${name}-gateway-role`,
        {
            metadata: meta(`${INGRESS_GATEWAY}-sds`),
            rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "watch", "list"] }],
        },
        opts,
    );
    new k8s.rbac.v1.RoleBinding(
        `${name}-gateway-rolebinding`,
        {
            metadata: meta(`${INGRESS_GATEWAY}-sds`),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${INGRESS_GATEWAY}-sds` },
            subjects: [{ kind: "ServiceAccount", name: INGRESS_GATEWAY }],
        },
        { ...opts, dependsOn: [...after, role] },
    );
    return service;
}
