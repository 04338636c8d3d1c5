import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
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
    /**
     * Kubernetes: where the Istio charts come from: a Helm repository (`https://`), an OCI registry
     * (`oci://`) or a local directory holding `base`, `istiod` and `gateway` (clusters without internet
     * access). @default "https://istio-release.storage.googleapis.com/charts"
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
}

/** `ServiceMeshControlPlane` v2 `spec` fields: what `controlPlane.values` may set on OpenShift. */
export const SMCP_SPEC_FIELDS: readonly string[] = [
    "version",
    "mode",
    "cluster",
    "general",
    "profiles",
    "tracing",
    "policy",
    "telemetry",
    "proxy",
    "security",
    "gateways",
    "runtime",
    "addons",
    "techPreview",
    "meshConfig",
];

function isPlainObject(value: unknown): value is Record<string, unknown> {
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

/** Checks `controlPlane.values` for the platform; `where` names the config key or argument. */
export function checkControlPlaneValues(values: unknown, platform: Platform, where: string): void {
    if (!isPlainObject(values)) {
        reject(where, values, "an object of Helm values (Kubernetes) or ServiceMeshControlPlane spec fields (OpenShift)");
    }
    if (platform === "openshift") {
        for (const key of Object.keys(values)) {
            if (!SMCP_SPEC_FIELDS.includes(key)) {
                reject(`${where}.${key}`, values[key], `a ServiceMeshControlPlane spec field: one of ${SMCP_SPEC_FIELDS.join(", ")}`);
            }
        }
    }
}

/** How Helm finds the Istio charts: a chart repository URL, an OCI registry, or a local directory holding `base`, `istiod`, `gateway`. */
export type ChartSource = { readonly kind: "repo" | "oci"; readonly url: string } | { readonly kind: "dir"; readonly dir: string };

/** Reads `chartRepo`: `https://` is a chart repository, `oci://` a registry, anything else a local chart directory. */
export function chartSource(chartRepo: string): ChartSource {
    if (chartRepo.startsWith("https://")) {
        return { kind: "repo", url: chartRepo };
    }
    if (chartRepo.startsWith("oci://")) {
        return { kind: "oci", url: chartRepo.replace(/\/+$/, "") };
    }
    return { kind: "dir", dir: path.resolve(chartRepo) };
}

/** The Release fields that say which chart to install from a source. */
function chartRef(
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

        const values = args.values ?? {};
        checkControlPlaneValues(values, args.platform, "ControlPlane args.values");

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: nsName,
                    labels: pulumi.output(args.namespaceLabels ?? {}).apply((extra) => ({ ...LAB_LABELS, ...extra })),
                },
            },
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
                    spec: deepMerge(smcpSpec(args.version ?? DEFAULT_SMCP_VERSION), values),
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
            const source = chartSource(args.chartRepo ?? ISTIO_CHART_REPO);
            const version = args.istioVersion ?? DEFAULT_ISTIO_VERSION;
            const chart = (release: string, chartName: string, chartValues: Record<string, unknown>, after: pulumi.Resource[]) =>
                new k8s.helm.v3.Release(
                    `${name}-${release}`,
                    {
                        name: release,
                        ...chartRef(source, chartName, version),
                        namespace: namespace.metadata.name,
                        values: chartValues,
                    },
                    { parent: this, dependsOn: [...requires, ...after] },
                );
            const base = chart("istio-base", "base", { defaultRevision: "default" }, []);
            const istiod = chart("istiod", "istiod", deepMerge({ meshConfig: { rootNamespace: nsName } }, values), [base]);
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
