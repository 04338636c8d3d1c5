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
                // Every CRD the file holds (the provider registers them as children) stays on destroy.
                transforms: [(a) => ({ props: a.props, opts: pulumi.mergeOptions(a.opts, { retainOnDelete: true }) })],
            },
        );
        this.ready = [crds];
        this.registerOutputs({ release: this.release });
    }
}
