import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LAB_LABELS, Platform, DNS1123_ALLOWED, isDns1123Label, reject, waitFor } from "./lab";

/** The upstream Istio Helm chart repository. */
export const ISTIO_CHART_REPO = "https://istio-release.storage.googleapis.com/charts";
/** Istio version the upstream charts are pinned to. */
export const DEFAULT_ISTIO_VERSION = "1.27.3";
/**
 * `ServiceMeshControlPlane` version. The lab took the console default of its day (`v2.0`), which
 * current Service Mesh 2 operators no longer reconcile; the newest 2.x is the default here.
 */
export const DEFAULT_SMCP_VERSION = "v2.6";
/** Name of the ingress gateway Service (and, upstream, of its Helm release). */
export const INGRESS_GATEWAY = "istio-ingressgateway";

/** Inputs of {@link ControlPlane}. */
export interface ControlPlaneArgs {
    /** Which control plane: OpenShift Service Mesh 2 (operator) or upstream Istio (Helm). */
    readonly platform: Platform;
    /** Namespace of the control plane, which is also the mesh's root namespace. @default "istio-system" */
    readonly namespace?: string;
    /** OpenShift: namespaces in the `ServiceMeshMemberRoll`. @default [] */
    readonly members?: string[];
    /** OpenShift: `ServiceMeshControlPlane` `spec.version`. @default "v2.6" */
    readonly version?: pulumi.Input<string>;
    /** Kubernetes: version of the `base`, `istiod` and `gateway` charts. @default "1.27.3" */
    readonly istioVersion?: pulumi.Input<string>;
    /** Kubernetes: Helm repository of the Istio charts. @default "https://istio-release.storage.googleapis.com/charts" */
    readonly chartRepo?: pulumi.Input<string>;
    /** Resources that must be ready first (the operators on OpenShift). @default [] */
    readonly requires?: pulumi.Resource[];
}

/** The `ServiceMeshControlPlane` spec the lab gets by accepting the console's defaults. */
export function smcpSpec(version: pulumi.Input<string>): Record<string, unknown> {
    return {
        version,
        tracing: { type: "Jaeger", sampling: 10000 },
        policy: { type: "Istiod" },
        telemetry: { type: "Istiod" },
        addons: {
            jaeger: { install: { storage: { type: "Memory" } } },
            prometheus: { enabled: true },
            kiali: { enabled: true },
            grafana: { enabled: true },
        },
    };
}

/**
 * Stage 2: the mesh's control plane. On OpenShift the `ServiceMeshControlPlane` `basic` (awaited
 * until `Ready`) and the `ServiceMeshMemberRoll` `default`; on plain Kubernetes upstream Istio's
 * `base`, `istiod` and `gateway` charts, each installed after the one before.
 */
export class ControlPlane extends pulumi.ComponentResource {
    /** The mesh's root namespace (where mesh-wide policies go). */
    public readonly rootNamespace: pulumi.Output<string>;
    /** Depend on these to come after the control plane is ready (istiod's webhooks admit Istio objects). */
    public readonly ready: pulumi.Resource[];
    /** Namespace of the ingress gateway's Service. */
    public readonly ingressNamespace: pulumi.Output<string>;
    /** Name of the ingress gateway's Service. */
    public readonly ingressService: string;
    /** The member roll's members (OpenShift), in order. */
    public readonly members: pulumi.Output<string[]>;

    constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-lab:mesh:ControlPlane", name, {}, opts);
        const nsName = args.namespace ?? "istio-system";
        if (!isDns1123Label(nsName)) {
            reject("ControlPlane args.namespace", nsName, DNS1123_ALLOWED);
        }
        const members = args.members ?? [];
        const requires = args.requires ?? [];
        this.ingressService = INGRESS_GATEWAY;

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: nsName, labels: LAB_LABELS } },
            { parent: this, dependsOn: requires },
        );

        if (args.platform === "openshift") {
            const smcp = new k8s.apiextensions.CustomResource(
                `${name}-smcp`,
                {
                    apiVersion: "maistra.io/v2",
                    kind: "ServiceMeshControlPlane",
                    metadata: {
                        name: "basic",
                        namespace: namespace.metadata.name,
                        labels: LAB_LABELS,
                        annotations: waitFor("condition=Ready"),
                    },
                    spec: smcpSpec(args.version ?? DEFAULT_SMCP_VERSION),
                },
                { parent: this, dependsOn: requires },
            );
            const memberRoll = new k8s.apiextensions.CustomResource(
                `${name}-smmr`,
                {
                    apiVersion: "maistra.io/v1",
                    kind: "ServiceMeshMemberRoll",
                    metadata: { name: "default", namespace: namespace.metadata.name, labels: LAB_LABELS },
                    spec: { members },
                },
                { parent: this, dependsOn: [smcp] },
            );
            this.ready = [smcp, memberRoll];
            this.ingressNamespace = namespace.metadata.name;
        } else {
            const chart = (release: string, chartName: string, values: Record<string, unknown>, after: pulumi.Resource[]) =>
                new k8s.helm.v3.Release(
                    `${name}-${release}`,
                    {
                        name: release,
                        chart: chartName,
                        version: args.istioVersion ?? DEFAULT_ISTIO_VERSION,
                        repositoryOpts: { repo: args.chartRepo ?? ISTIO_CHART_REPO },
                        namespace: namespace.metadata.name,
                        values,
                    },
                    { parent: this, dependsOn: [...requires, ...after] },
                );
            const base = chart("istio-base", "base", { defaultRevision: "default" }, []);
            const istiod = chart("istiod", "istiod", { meshConfig: { rootNamespace: nsName } }, [base]);
            const gateway = chart(INGRESS_GATEWAY, "gateway", { labels: { istio: "ingressgateway" } }, [istiod]);
            this.ready = [base, istiod, gateway];
            this.ingressNamespace = gateway.status.namespace;
        }

        this.rootNamespace = namespace.metadata.name;
        this.members = pulumi.output(members);
        this.registerOutputs({
            rootNamespace: this.rootNamespace,
            ingressNamespace: this.ingressNamespace,
            members: this.members,
        });
    }
}
