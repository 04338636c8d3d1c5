import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FLAVORS, Flavor, LAB_LABELS, DNS1123_ALLOWED, isDns1123Label, reject, show } from "./lab";
import { linear } from "./linear";
import { namespaceName } from "./namespace";
import { DEFAULT_ISTIO_VERSION, DEFAULT_SAIL_VERSION, DEFAULT_SMCP_VERSION, defaultIstioVersion } from "./versions";
import { helmControlPlane } from "./flavors/helm";
import { ossm2ControlPlane } from "./flavors/ossm2";
import { ossm3ControlPlane } from "./flavors/ossm3";
import { sailControlPlane } from "./flavors/sail";
import {
    ControlPlaneArgs,
    FlavorContext,
    FlavorParts,
    ISTIO_CHART_REPO,
    ISTIO_OCI_CHART_REPO,
    INGRESS_GATEWAY,
    isPlainObject,
} from "./flavors/shared";

export { DEFAULT_ISTIO_VERSION, DEFAULT_SAIL_VERSION, DEFAULT_SMCP_VERSION };
export {
    ChartSource,
    ControlPlaneArgs,
    INGRESS_GATEWAY,
    ISTIO_CHART_REPO,
    ISTIO_CNI_NAMESPACE,
    ISTIO_IMAGE_HUB,
    ISTIO_OCI_CHART_REPO,
    SAIL_CHART_REPO,
    SAIL_OPERATOR_NAMESPACE,
    ZTUNNEL_NAMESPACE,
    chartSource,
    deepMerge,
} from "./flavors/shared";
export { smcpSpec } from "./flavors/ossm2";

/** Each flavour's module: one file per flavour under components/flavors, behind one small interface. */
const FLAVOR_MODULES: Readonly<Record<Flavor, (x: FlavorContext) => FlavorParts>> = {
    helm: helmControlPlane,
    sail: sailControlPlane,
    ossm3: ossm3ControlPlane,
    ossm2: ossm2ControlPlane,
};

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

const SCHEME_AND_HOST = linear(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i);

/** A URL's scheme and host in lower case, as they compare (`HTTPS://Istio-Release...` is `https://istio-release...`); a path as given. */
export function lowerSchemeAndHost(source: string): string {
    const head = SCHEME_AND_HOST.exec(source)?.[0];
    return head === undefined ? source : head.toLowerCase() + source.slice(head.length);
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

        const parts = FLAVOR_MODULES[flavor]({
            name,
            parent: this,
            args,
            nsName,
            nsOut,
            namespace,
            requires,
            members,
            values,
            version,
            ambient,
            ingress,
            serviceType,
            newNamespace,
        });
        this.ready = parts.ready;
        this.ingressNamespace = parts.ingressNamespace;
        this.ingressCreated = parts.ingressCreated;

        this.rootNamespace = nsOut;
        this.members = pulumi.output(members);
        this.registerOutputs({
            rootNamespace: this.rootNamespace,
            ingressNamespace: this.ingressNamespace,
            members: this.members,
        });
    }
}
