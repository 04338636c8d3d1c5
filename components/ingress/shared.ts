// What the two ingress APIs share (components/ingress/istio.ts, gatewayApi.ts): what the `Gateway`
// component gives each (its settings, resolved, and the certificate's Secret) and what each gives back (the
// gateway object, where routes attach, the ingress Service and the ports a Route targets, and how to read
// that Service once it exists).
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ParentRef } from "../httpRoute";
import type { IstioApis, Platform } from "../lab";

/** The ports of the ingress gateway's pods an OpenShift Route targets (names, or numbers). */
export interface IngressPorts {
    readonly http: string | number;
    readonly https: string | number;
}

/** OSSM's ingress gateway (and the lab's injected one) names its ports. */
export const OSSM_INGRESS_PORTS: IngressPorts = { http: "http2", https: "https" };

/** What an ingress API module is given. */
export interface IngressContext {
    /** The component's name, the prefix of each object's logical name. */
    readonly name: string;
    readonly parent: pulumi.ComponentResource;
    readonly platform: Platform;
    readonly gatewayName: string;
    readonly hosts: readonly string[];
    readonly port: number;
    readonly useTls: boolean;
    /** The TLS Secret the gateway serves HTTPS with (in the ingress namespace). */
    readonly credentialName: string;
    /** What the gateway waits for: the stages before, and what creates the Secret. */
    readonly after: pulumi.Resource[];
    readonly requires: pulumi.Resource[];
    readonly ingressNamespace: pulumi.Input<string>;
    /** The ingress gateway Service the control plane made (the Istio API). */
    readonly ingressService: string;
    /** The same namespace, as an output of what created that Service. */
    readonly ingressCreated?: pulumi.Input<string>;
    /** Istio API: the namespace of the `Gateway` object, its selector and the Istio API versions. */
    readonly namespace?: pulumi.Input<string>;
    readonly selector?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    readonly apis?: IstioApis;
    /** Gateway API: the type of the Service Istio deploys. */
    readonly serviceType?: string;
}

/** What an ingress API module gives back. */
export interface IngressParts {
    readonly gateway: k8s.apiextensions.CustomResource;
    readonly routeParents: ParentRef[];
    /** Name of the ingress gateway's Service. */
    readonly ingressService: string;
    readonly ingressPorts: IngressPorts;
    /** The id (`namespace/name`) to read the ingress Service by, and what the read waits for. */
    readonly serviceId: pulumi.Input<string>;
    readonly serviceAfter: pulumi.Resource[];
}
