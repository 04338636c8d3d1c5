import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import type { GatewayServiceType } from "./gateway";
import { Dataplane, FLAVORS, Flavor, LAB_LABELS, Platform, DNS1123_ALLOWED, isDns1123Label, reject, show, waitFor } from "./lab";
import { namespaceName } from "./namespace";
import { DEFAULT_ISTIO_VERSION, DEFAULT_SAIL_VERSION, DEFAULT_SMCP_VERSION, defaultIstioVersion } from "./versions";

export { DEFAULT_ISTIO_VERSION, DEFAULT_SAIL_VERSION, DEFAULT_SMCP_VERSION };

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

/** A chart location Istio has retired, and where the same charts are now. */
export interface RetiredChartSource {
    /** What a retired `chartRepo` starts with. */
    readonly prefix: string;
    /** Where every Istio version's charts are now. */
    readonly replacement: string;
}

/** Istio's retired chart locations (Istio 1.31 upgrade notes; the last scream test is 2026-12-08 15:00 UTC to 12-09 15:00 UTC). */
export const RETIRED_CHART_SOURCES: readonly RetiredChartSource[] = [
    { prefix: "https://istio-release.storage.googleapis.com", replacement: ISTIO_CHART_REPO },
    { prefix: "https://storage.googleapis.com/istio-release", replacement: ISTIO_CHART_REPO },
    { prefix: "oci://gcr.io/istio-release", replacement: ISTIO_OCI_CHART_REPO },
    { prefix: "oci://registry.istio.io", replacement: ISTIO_OCI_CHART_REPO },
];

/** A URL's scheme and host in lower case, as they compare (`HTTPS://Istio-Release...` is `https://istio-release...`); a path as given. */
export function lowerSchemeAndHost(source: string): string {
    return source.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, (m) => m.toLowerCase());
}

/** The retired location a chart source points at, if it does (in any case: scheme and host are case-insensitive). */
export function retiredChartSource(chartRepo: string): RetiredChartSource | undefined {
    const normal = lowerSchemeAndHost(chartRepo);
    return RETIRED_CHART_SOURCES.find((r) => normal.startsWith(r.prefix));
}

/** What `lab validate` and `pulumi up` say of a retired chart source. */
export function retiredChartMessage(key: string, chartRepo: string, retired: RetiredChartSource): string {
    return (
        `${key}: ${JSON.stringify(chartRepo)} is a retired chart location (Istio 1.31 and later were never published there, ` +
        `and it is switched off for good after the last scream test, 2026-12-08 15:00 UTC to 2026-12-09 15:00 UTC); ` +
        `every Istio version's charts are at ${JSON.stringify(retired.replacement)}`
    );
}
/** Namespace of Istio's CNI node agent (OSSM 3 and Sail). */
export const ISTIO_CNI_NAMESPACE = "istio-cni";
/** Namespace the Sail operator is installed in. */
export const SAIL_OPERATOR_NAMESPACE = "sail-operator";
/** Name of the ingress gateway Service (and, upstream, of its Helm release). */
export const INGRESS_GATEWAY = "istio-ingressgateway";

/** Inputs of {@link ControlPlane}. */
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

/** Namespace of ztunnel (Sail and OSSM 3; upstream's chart goes in the control plane namespace, as Istio's docs install it). */
export const ZTUNNEL_NAMESPACE = "ztunnel";

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

/** Checks `controlPlane.values` for the flavour; `where` names the config key or argument. */
export function checkControlPlaneValues(values: unknown, flavor: Flavor, where: string): void {
    if (!isPlainObject(values)) {
        reject(where, values, "an object of Helm values (Kubernetes, OSSM 3) or ServiceMeshControlPlane spec fields (OSSM 2)");
    }
    if (flavor === "ossm2") {
        for (const key of Object.keys(values)) {
            if (!SMCP_SPEC_FIELDS.includes(key)) {
                reject(`${where}.${key}`, values[key], `a ServiceMeshControlPlane spec field: one of ${SMCP_SPEC_FIELDS.join(", ")}`);
            }
        }
    }
}

/** The value at a dotted path of nested objects, if any. */
function at(values: Readonly<Record<string, unknown>>, path: string): unknown {
    return path.split(".").reduce<unknown>((v, k) => (isPlainObject(v) ? v[k] : undefined), values);
}

/**
 * Refuses `controlPlane.values` that would undo what the lab relies on, naming the key path: the mesh's
 * root namespace and istiod's namespace are the control plane's (peer authentication's mesh policy lives
 * there), the lab's namespaces join with `istio-injection=enabled` (the default revision only); on OSSM 2
 * the SMCP's version is `controlPlane.version` (so it is checked), tracing needs the operators
 * `istio-lab:tracing` installs, and the ingress gateway carries the lab's Gateway and Route.
 */
export function checkValuesContract(
    values: Readonly<Record<string, unknown>>,
    flavor: Flavor,
    namespace: string,
    tracing: boolean,
    where: string,
): void {
    const refuse = (path: string, allowed: string) => reject(`${where}.${path}`, at(values, path), allowed);
    const sameNamespace = (path: string) => {
        const v = at(values, path);
        if (v !== undefined && v !== namespace) {
            refuse(path, `${show(namespace)}, the control plane's namespace, or nothing (set istio-lab:controlPlane.namespace to move it)`);
        }
    };
    if (flavor !== "ossm2") {
        sameNamespace("meshConfig.rootNamespace");
        sameNamespace("global.istioNamespace");
        const revision = at(values, "revision");
        if (revision !== undefined && revision !== "" && revision !== "default") {
            refuse(
                "revision",
                'nothing or "default": the lab\'s namespaces join with istio-injection=enabled, which only the default revision answers',
            );
        }
        return;
    }
    if (at(values, "version") !== undefined) {
        refuse("version", "nothing: set istio-lab:controlPlane.version instead (it is checked against the versions OSSM 2.6 reconciles)");
    }
    sameNamespace("meshConfig.rootNamespace");
    sameNamespace("techPreview.meshConfig.rootNamespace");
    const tracingType = at(values, "tracing.type");
    if (!tracing && tracingType !== undefined && tracingType !== "None") {
        refuse(
            "tracing.type",
            '"None", or set istio-lab:tracing to true (it installs the Elasticsearch and Jaeger operators the SMCP\'s tracing needs)',
        );
    }
    if (!tracing && at(values, "addons.jaeger") !== undefined) {
        refuse("addons.jaeger", "nothing, or set istio-lab:tracing to true (it installs the Jaeger operator the add-on needs)");
    }
    for (const path of ["gateways.enabled", "gateways.ingress.enabled"]) {
        if (at(values, path) === false) {
            refuse(path, "true or nothing: the lab's Gateway and Route go through the ingress gateway");
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

/**
 * The `ServiceMeshControlPlane` spec the lab gets by accepting the console's defaults. Without
 * tracing (the default today: the Jaeger operator is gone from the catalog) the tracing type is `None`
 * and there is no Jaeger add-on, which the control plane would otherwise wait for forever.
 */
export function smcpSpec(version: pulumi.Input<string>, tracing = true): Record<string, unknown> {
    return {
        version,
        tracing: tracing ? { type: "Jaeger", sampling: 10000 } : { type: "None" },
        policy: { type: "Istiod" },
        telemetry: { type: "Istiod" },
        addons: {
            ...(tracing ? { jaeger: { install: { storage: { type: "Memory" } } } } : {}),
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
    /** Namespace of the ingress gateway's Service (known at preview: objects placed there show where they go). */
    public readonly ingressNamespace: pulumi.Output<string>;
    /**
     * The same namespace, as an output of what creates the ingress gateway's Service: unknown at preview
     * until it exists, so a read of the Service waits for it rather than failing on a fresh cluster.
     */
    public readonly ingressCreated: pulumi.Output<string>;
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
        checkControlPlaneValues(values, args.flavor ?? FLAVORS[args.platform][0], "ControlPlane args.values");

        const flavor = args.flavor ?? FLAVORS[args.platform][0];
        if (!FLAVORS[args.platform].includes(flavor)) {
            reject(
                "ControlPlane args.flavor",
                flavor,
                `${FLAVORS[args.platform].join(" or ")} on platform ${JSON.stringify(args.platform)}`,
            );
        }
        const serviceType = args.serviceType ?? "LoadBalancer";
        const ingress = args.ingress ?? true;
        const ambient = args.dataplane === "ambient";
        if (flavor === "ossm2" && (ambient || !ingress)) {
            reject(
                ambient ? "ControlPlane args.dataplane" : "ControlPlane args.ingress",
                ambient ? args.dataplane : ingress,
                ambient ? '"sidecar" with OSSM 2 (it has no ambient mode)' : "true with OSSM 2 (its SMCP makes the ingress gateway)",
            );
        }
        const version = args.istioVersion ?? defaultIstioVersion(flavor, args.sailVersion ?? DEFAULT_SAIL_VERSION);
        const labels = pulumi.output(args.namespaceLabels ?? {}).apply((extra) => ({ ...LAB_LABELS, ...extra }));
        const newNamespace = (logical: string, nsName: pulumi.Input<string>) =>
            new k8s.core.v1.Namespace(logical, { metadata: { name: nsName, labels } }, { parent: this, dependsOn: requires });

        const namespace = newNamespace(`${name}-namespace`, nsName);
        const nsOut = namespaceName(namespace, nsName);

        if (flavor === "ossm2") {
            const smcp = new k8s.apiextensions.CustomResource(
                `${name}-smcp`,
                {
                    apiVersion: "maistra.io/v2",
                    kind: "ServiceMeshControlPlane",
                    metadata: {
                        name: "basic",
                        namespace: nsOut,
                        labels: LAB_LABELS,
                        annotations: waitFor("condition=Ready"),
                    },
                    spec: deepMerge(
                        {
                            ...smcpSpec(args.version ?? DEFAULT_SMCP_VERSION, args.tracing ?? false),
                            // OSSM 2's ingress gateway is ClusterIP behind the Route unless asked otherwise.
                            ...(args.serviceType && args.serviceType !== "ClusterIP"
                                ? { gateways: { ingress: { service: { type: args.serviceType } } } }
                                : {}),
                        },
                        values,
                    ),
                },
                { parent: this, dependsOn: requires },
            );
            const memberRoll = new k8s.apiextensions.CustomResource(
                `${name}-smmr`,
                {
                    apiVersion: "maistra.io/v1",
                    kind: "ServiceMeshMemberRoll",
                    metadata: { name: "default", namespace: nsOut, labels: LAB_LABELS },
                    spec: { members },
                },
                { parent: this, dependsOn: [smcp] },
            );
            this.ready = [smcp, memberRoll];
            this.ingressNamespace = nsOut;
            this.ingressCreated = smcp.urn.apply(() => nsName);
        } else if (flavor === "helm") {
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
                    { parent: this, dependsOn: [...requires, ...after] },
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
                this.ready = [base, istiod, ...dataplane, gateway];
                // Known at preview (a Release's status is not), and still after the release.
                this.ingressNamespace = gateway.urn.apply(() => nsName);
                this.ingressCreated = gateway.status.namespace;
            } else {
                this.ready = [base, istiod, ...dataplane];
                this.ingressNamespace = istiod.urn.apply(() => nsName);
                this.ingressCreated = istiod.status.namespace;
            }
        } else {
            // OSSM 3 and Sail: the operator's Istio and IstioCNI (both named default), then the ingress gateway by injection.
            const cniNamespace = newNamespace(`${name}-cni-namespace`, ISTIO_CNI_NAMESPACE);
            const operator: pulumi.Resource[] = [];
            if (flavor === "sail") {
                const sailNamespace = newNamespace(`${name}-sail-namespace`, SAIL_OPERATOR_NAMESPACE);
                operator.push(
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
                        { parent: this, dependsOn: requires },
                    ),
                );
            }
            // Sail's default images for Istio 1.30 and older are on registry.istio.io, retired with the old charts;
            // a hub of the user's own (values.global.hub) wins. OSSM 3 takes Red Hat's images as its operator sets them.
            const imagesFromHub = { global: { hub: ISTIO_IMAGE_HUB } };
            const istioValues = flavor === "sail" ? deepMerge(imagesFromHub, values) : values;
            const sail = (logical: string, kind: string, spec: Record<string, unknown>, after: pulumi.Resource[]) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-${logical}`,
                    {
                        apiVersion: "sailoperator.io/v1",
                        kind,
                        metadata: { name: "default", labels: LAB_LABELS, annotations: waitFor("condition=Ready") },
                        spec,
                    },
                    { parent: this, dependsOn: [...requires, ...operator, ...after] },
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
                    ...(flavor === "sail" ? { values: imagesFromHub } : {}),
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
                              ...(flavor === "sail" ? { values: imagesFromHub } : {}),
                          },
                          [newNamespace(`${name}-ztunnel-namespace`, ZTUNNEL_NAMESPACE), istio],
                      ),
                  ]
                : [];
            const ingressService = ingress ? injectedGateway(this, name, nsName, serviceType, [namespace, istio]) : undefined;
            if (flavor === "ossm3" && args.kiali) {
                new k8s.apiextensions.CustomResource(
                    `${name}-kiali`,
                    {
                        apiVersion: "kiali.io/v1alpha1",
                        kind: "Kiali",
                        metadata: { name: "kiali", namespace: nsName, labels: LAB_LABELS },
                        spec: { istio_namespace: nsName },
                    },
                    { parent: this, dependsOn: [...requires, istio] },
                );
            }
            this.ready = [istio, cni, ...dataplane];
            this.ingressNamespace = nsOut;
            // The Service's status exists only once it does (unknown at preview), unlike its metadata.
            this.ingressCreated = ingressService ? ingressService.status.apply(() => nsName) : istio.urn.apply(() => nsName);
        }

        this.rootNamespace = nsOut;
        this.members = pulumi.output(members);
        this.registerOutputs({
            rootNamespace: this.rootNamespace,
            ingressNamespace: this.ingressNamespace,
            members: this.members,
        });
    }
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
            metadata: meta(INGRESS_GATEWAY),
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
