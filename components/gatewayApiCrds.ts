import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Inputs of {@link GatewayApiCrds}. */
export interface GatewayApiCrdsArgs {
    /** The standard-install.yaml to apply: the release's URL, or a local path. */
    readonly file: string;
    /** Its release (`v1.6.3`), for the outputs. */
    readonly release: string;
    /** Resources that must be ready first. @default [] */
    readonly requires?: pulumi.Resource[];
}

/** Asks the provider to take over fields another stack's apply owns (the same release, kept by its destroy). */
export const PATCH_FORCE = "pulumi.com/patchForce";

/**
 * What the file's objects (the provider registers them as children of the ConfigFile) get: kept on destroy,
 * and applied with `pulumi.com/patchForce`, so that a second lab on the cluster, or this one after its
 * destroy, takes over the CRDs (and their upgrade policy) a first one applied rather than failing on a
 * server-side apply conflict between two stacks' field managers.
 */
export function keptAndShared(a: pulumi.ResourceTransformArgs): pulumi.ResourceTransformResult {
    const metadata = a.props.metadata as { annotations?: Record<string, string> } | undefined;
    const props = metadata
        ? { ...a.props, metadata: { ...metadata, annotations: { ...metadata.annotations, [PATCH_FORCE]: "true" } } }
        : a.props;
    return { props, opts: pulumi.mergeOptions(a.opts, { retainOnDelete: true }) };
}

/**
 * The Kubernetes Gateway API's standard CRDs (`Gateway`, `HTTPRoute`, `GatewayClass`, ...), as Istio's
 * Getting Started installs them before Istio, where the platform does not ship them. Kept when the lab is
 * destroyed, as Istio's own CRDs are (other Gateway API users on the cluster would lose every object with them).
 */
export class GatewayApiCrds extends pulumi.ComponentResource {
    /** Depend on this to come after the CRDs are established. */
    public readonly ready: pulumi.Resource[];
    /** The release installed. */
    public readonly release: string;

    constructor(name: string, args: GatewayApiCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-lab:mesh:GatewayApiCrds", name, {}, opts);
        this.release = args.release;
        const crds = new k8s.yaml.v2.ConfigFile(
            `${name}-standard`,
            { file: args.file },
            {
                parent: this,
                dependsOn: args.requires ?? [],
                transforms: [keptAndShared],
            },
        );
        this.ready = [crds];
        this.registerOutputs({ release: this.release });
    }
}
