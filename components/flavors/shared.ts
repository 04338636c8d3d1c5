// What every control plane flavour module shares: the chart and image locations, the namespaces the
// flavours install into, the component's inputs, how a chart is found, and the small interface each
// flavour implements (components/flavors/<flavor>.ts): given the control plane's namespace and settings,
// create the flavour's objects and say which of them make the mesh ready and where the ingress gateway is.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import type { GatewayServiceType } from "../gateway";
import type { Dataplane, Flavor, Platform } from "../lab";
import { stripTrailing } from "../linear";

/**
 * Istio's Helm chart repository. From Istio 1.31 nothing is published to
 * `istio-release.storage.googleapis.com`, which is switched off after 2026-12-09; every Istio version's
 * charts are here (Istio blog, 2026-08-21).
 */
export const ISTIO_CHART_REPO = "https://blob.istio.io/istio-release/charts";
/** Istio's OCI chart registry, for `chartRepo: oci://...` (every Istio version). */
export const ISTIO_OCI_CHART_REPO = "oci://ghcr.io/istio/release/charts";
/** Where Istio publishes every release's images; `registry.istio.io` and `gcr.io/istio-release` retire with the old charts. */
export const ISTIO_IMAGE_HUB = "docker.io/istio";
/** The Sail operator's Helm chart repository (GitHub Pages; not one of the retired locations). */
export const SAIL_CHART_REPO = "https://istio-ecosystem.github.io/sail-operator";

/** Namespace of Istio's CNI node agent (OSSM 3 and Sail). */
export const ISTIO_CNI_NAMESPACE = "istio-cni";
/** Namespace the Sail operator is installed in. */
export const SAIL_OPERATOR_NAMESPACE = "sail-operator";
/** Name of the ingress gateway Service (and, upstream, of its Helm release). */
export const INGRESS_GATEWAY = "istio-ingressgateway";

/** Namespace of ztunnel (Sail and OSSM 3; upstream's chart goes in the control plane namespace, as Istio's docs install it). */
export const ZTUNNEL_NAMESPACE = "ztunnel";

/** Inputs of the `ControlPlane` component (components/controlPlane.ts). */
export interface ControlPlaneArgs {
    /** Which platform. */
    readonly platform: Platform;
    /** Which control plane on it. @default "helm" on Kubernetes, "ossm3" on OpenShift */
    readonly flavor?: Flavor;
    /** OSSM 2: trace with Jaeger (the lab's console defaults); needs the Jaeger operator, gone from today's catalog. @default false */
    readonly tracing?: boolean;
    /** How the ingress gateway's Service is exposed. @default "LoadBalancer" (OSSM 2: its own default, ClusterIP behind the Route) */
    readonly serviceType?: GatewayServiceType;
    /** Sail: the Sail operator chart's version (a release in components/versions.ts). @default the newest in the table */
    readonly sailVersion?: string;
    /** Sail: where the Sail operator chart comes from (as `chartRepo`). @default "https://istio-ecosystem.github.io/sail-operator" */
    readonly sailChartRepo?: string;
    /** OSSM 3: create the `Kiali` (its operator is in the lab's Subscriptions). @default false */
    readonly kiali?: boolean;
    /** Namespace of the control plane, which is also the mesh's root namespace. @default "istio-system" */
    readonly namespace?: string;
    /** OpenShift: namespaces in the `ServiceMeshMemberRoll`. @default [] */
    readonly members?: string[];
    /** OpenShift: `ServiceMeshControlPlane` `spec.version`. @default "v2.6" */
    readonly version?: pulumi.Input<string>;
    /** The Istio release: of the `base`, `istiod` and `gateway` charts (helm), or the `Istio` and `IstioCNI` (sail, ossm3). @default the newest the flavour can run (see components/versions.ts) */
    readonly istioVersion?: string;
    /**
     * Kubernetes: where the Istio charts come from: a Helm repository (`https://`), an OCI registry
     * (`oci://`) or a local directory holding `base`, `istiod` and `gateway` (clusters without internet
     * access). @default "https://blob.istio.io/istio-release/charts"
     */
    readonly chartRepo?: string;
    /**
     * The one escape hatch: merged into istiod's Helm values (Kubernetes) or the
     * `ServiceMeshControlPlane` spec (OpenShift), e.g. `{global: {proxy: {privileged: true}}}`. @default {}
     */
    readonly values?: Readonly<Record<string, unknown>>;
    /** Extra labels of the control plane namespace (the lab id). @default none */
    readonly namespaceLabels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Resources that must be ready first (the operators on OpenShift). @default [] */
    readonly requires?: pulumi.Resource[];
    /**
     * Create the ingress gateway (the chart's, or by injection): false when the lab's ingress is a Gateway API
     * `Gateway`, which Istio deploys itself. Not OSSM 2, whose SMCP makes its own. @default true
     */
    readonly ingress?: boolean;
    /**
     * `ambient`: istiod with the ambient profile, Istio's CNI node agent in ambient mode and ztunnel (the
     * `cni` and `ztunnel` charts; Sail and OSSM 3: the `Istio` and `IstioCNI` with the ambient profile and the
     * `ZTunnel`). Not OSSM 2. @default "sidecar"
     */
    readonly dataplane?: Dataplane;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `base` merged with `overlay`: objects field by field, anything else (arrays included) replaced. */
export function deepMerge(base: Readonly<Record<string, unknown>>, overlay: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(overlay)) {
        const current = out[key];
        out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
    }
    return out;
}

/** How Helm finds the Istio charts: a chart repository URL, an OCI registry, or a local directory holding `base`, `istiod`, `gateway`. */
export type ChartSource = { readonly kind: "repo" | "oci"; readonly url: string } | { readonly kind: "dir"; readonly dir: string };

/** Reads `chartRepo`: `https://` is a chart repository, `oci://` a registry, anything else a local chart directory. */
export function chartSource(chartRepo: string): ChartSource {
    if (chartRepo.startsWith("https://")) {
        return { kind: "repo", url: chartRepo };
    }
    if (chartRepo.startsWith("oci://")) {
        return { kind: "oci", url: stripTrailing(chartRepo, "/") };
    }
    return { kind: "dir", dir: path.resolve(chartRepo) };
}

/** The Release fields that say which chart to install from a source. */
export function chartRef(
    source: ChartSource,
    chartName: string,
    version: pulumi.Input<string>,
): Pick<k8s.helm.v3.ReleaseArgs, "chart" | "version" | "repositoryOpts"> {
    switch (source.kind) {
        case "repo":
            return { chart: chartName, version, repositoryOpts: { repo: source.url } };
        case "oci":
            return { chart: `${source.url}/${chartName}`, version };
        case "dir":
            // A local chart carries its own version; Helm installs what the directory holds.
            return { chart: path.join(source.dir, chartName) };
    }
}

/** What a flavour module is given: the component (parent and name prefix of every object) and its settings, resolved. */
export interface FlavorContext {
    /** The component's name, the prefix of each object's logical name. */
    readonly name: string;
    readonly parent: pulumi.ComponentResource;
    readonly args: ControlPlaneArgs;
    /** The control plane's namespace (the mesh's root namespace), its name and the object that creates it. */
    readonly nsName: string;
    readonly nsOut: pulumi.Output<string>;
    readonly namespace: k8s.core.v1.Namespace;
    readonly requires: pulumi.Resource[];
    readonly members: string[];
    readonly values: Readonly<Record<string, unknown>>;
    /** The Istio release. */
    readonly version: string;
    readonly ambient: boolean;
    readonly ingress: boolean;
    readonly serviceType: GatewayServiceType;
    /** A namespace of the lab's (labelled as the control plane's), created after `requires`. */
    readonly newNamespace: (logical: string, name: pulumi.Input<string>) => k8s.core.v1.Namespace;
}

/** What a flavour module gives back. */
export interface FlavorParts {
    /** Depend on these to come after the control plane is ready. */
    readonly ready: pulumi.Resource[];
    /** Namespace of the ingress gateway's Service (known at preview). */
    readonly ingressNamespace: pulumi.Output<string>;
    /** The same, as an output of what creates the ingress gateway's Service (unknown at preview until it exists). */
    readonly ingressCreated: pulumi.Output<string>;
}
