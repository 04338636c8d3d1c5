import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    DATAPLANE_MODE_LABEL,
    Dataplane,
    Flavor,
    ISTIO_INJECTION_LABEL,
    LAB_LABELS,
    SIDECAR_INJECT_ANNOTATION,
    USE_WAYPOINT_LABEL,
    memberOfWait,
    waitFor,
} from "./lab";

/** How a lab namespace takes part in the mesh. */
export interface MeshNamespaceArgs {
    /** Namespace name. */
    readonly name: string;
    /** Control plane flavour, which decides how sidecars are asked for. */
    readonly flavor: Flavor;
    /** Whether the namespace's workloads are in the mesh (with sidecars, or in ambient mode). */
    readonly sidecars: boolean;
    /** `ambient`: in-mesh namespaces join with `istio.io/dataplane-mode: ambient` instead of injection; the others get no label. @default "sidecar" */
    readonly dataplane?: Dataplane;
    /** Ambient: the waypoint (a Gateway in the namespace) its Services' traffic goes through (`istio.io/use-waypoint`). @default none */
    readonly waypoint?: string;
    /** OpenShift: the control plane namespace whose member roll lists this namespace. */
    readonly controlPlaneNamespace: string;
    /** Extra labels (the lab id). */
    readonly labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /**
     * The namespace exists on every cluster (`default`, `kube-*`, `openshift-*`): label it with a
     * server-side apply patch instead of creating it, so that destroying the lab leaves it. @default false
     */
    readonly existing?: boolean;
    /** OSSM 2: wait until the member roll has taken the namespace in. False when a ServiceMeshMember, created after it, joins it. @default true */
    readonly memberWait?: boolean;
}

/**
 * A namespace set up for the flavour's way of injecting sidecars: upstream, Sail and OSSM 3, the
 * `istio-injection` label; OSSM 2, a wait until the member roll has taken the namespace in (so pods
 * created after it get their sidecar).
 */
export function meshNamespace(
    logicalName: string,
    args: MeshNamespaceArgs,
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Namespace | k8s.core.v1.NamespacePatch {
    const memberRoll = args.flavor === "ossm2";
    const injection: Record<string, string> =
        args.dataplane === "ambient"
            ? args.sidecars
                ? { [DATAPLANE_MODE_LABEL]: "ambient", ...(args.waypoint ? { [USE_WAYPOINT_LABEL]: args.waypoint } : {}) }
                : {}
            : memberRoll
              ? {}
              : { [ISTIO_INJECTION_LABEL]: args.sidecars ? "enabled" : "disabled" };
    const annotations =
        memberRoll && args.sidecars && (args.memberWait ?? true) ? waitFor(memberOfWait(args.controlPlaneNamespace)) : undefined;
    const metadata = {
        name: args.name,
        labels: pulumi.output(args.labels ?? {}).apply((extra) => ({ ...LAB_LABELS, ...extra, ...injection })),
        annotations,
    };
    // A patch owns only the fields it set: deleting it takes the labels back and leaves the namespace.
    return args.existing
        ? new k8s.core.v1.NamespacePatch(logicalName, { metadata }, opts)
        : new k8s.core.v1.Namespace(logicalName, { metadata }, opts);
}

/**
 * The `deletedWith` of an object in namespace `ns`: a namespace the lab created takes the object with it when it
 * is deleted (the namespace's own deletion waits until its contents are gone), so `pulumi destroy` does not also
 * delete and await each one (the e2e's trace of a class of 20: 1.9 s a Service, 3.7 s a Deployment). An object
 * removed on its own is still deleted. A namespace the lab only patched is never deleted, so its objects are
 * deleted one by one as before. Which objects use it: a class's guestbooks (Guestbook's `deletedWithNamespace`).
 */
export function deletedWithNamespace(ns: k8s.core.v1.Namespace | k8s.core.v1.NamespacePatch): { deletedWith?: pulumi.Resource } {
    return ns instanceof k8s.core.v1.Namespace ? { deletedWith: ns } : {};
}

/** Pod template annotations that ask for a sidecar where the flavour wants them on the pod. */
export function podSidecarAnnotations(flavor: Flavor, sidecars: boolean): Record<string, string> | undefined {
    // OpenShift Service Mesh 2 injects per workload, never per namespace.
    return flavor === "ossm2" && sidecars ? { [SIDECAR_INJECT_ANNOTATION]: "true" } : undefined;
}

/**
 * The name of a namespace made by {@link meshNamespace}, as an output that carries the dependency on it
 * and is known at preview: its labels hold the generated lab id, unknown until `pulumi up`, so an output
 * taken from its metadata would be unknown too, and the provider would show the objects in it as in
 * `default`.
 */
export function namespaceName(ns: k8s.core.v1.Namespace | k8s.core.v1.NamespacePatch, name: string): pulumi.Output<string> {
    return ns.urn.apply(() => name);
}

/** The `kubernetes` provider settings that pick the cluster and how it is reached (read by the default provider from the stack's config). */
const CLUSTER_SETTINGS = ["kubeconfig", "context", "cluster", "clusterIdentifier", "renderYamlToDirectory"] as const;

/**
 * A provider that creates namespaces with a plain create, which the API server refuses with `AlreadyExists`
 * when the namespace is there already. The default provider (server-side apply, `@pulumi/kubernetes` before
 * 4.29) creates by applying, which silently takes over a namespace someone else made, and `pulumi destroy`
 * then deletes it with everything in it (`istio-system` on a cluster that already runs Istio,
 * `openshift-operators-redhat` beside OpenShift Logging). It reaches the same cluster as the default
 * provider: the stack's `kubernetes:*` settings, else the environment's kubeconfig, read by the provider itself.
 */
export function namespaceProvider(name: string): k8s.Provider {
    const settings = new pulumi.Config("kubernetes");
    const args: Record<string, pulumi.Input<string> | undefined> = {};
    for (const key of CLUSTER_SETTINGS) {
        // The kubeconfig may be a secret of the stack's; the others are names and paths.
        args[key] = key === "kubeconfig" ? settings.getSecret(key) : settings.get(key);
    }
    // Unset, the SDK would fill it with $KUBECONFIG, and the provider writes a copy of any kubeconfig it is
    // given to a new temporary file on every run and never removes it (`writeKubeconfigToFile`, 4.x):
    // the user's credentials piling up in $TMPDIR. Empty, the provider reads $KUBECONFIG or ~/.kube/config
    // itself, as the default provider does, and writes nothing.
    args.kubeconfig ??= "";
    const flags = ["deleteUnreachable", "skipUpdateUnreachable"] as const;
    return new k8s.Provider(name, {
        ...args,
        ...Object.fromEntries(flags.map((f) => [f, settings.getBoolean(f)])),
        enableServerSideApply: false,
    });
}

/** The resource type of the Namespaces the lab creates (its NamespacePatches label namespaces it does not own). */
export const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";
