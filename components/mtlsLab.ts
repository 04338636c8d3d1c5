import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    DNS1123_ALLOWED,
    Dataplane,
    FLAVORS,
    Flavor,
    LAB_LABELS,
    SKIP_SERVICE_AWAIT,
    Platform,
    isDns1123Label,
    isReservedNamespace,
    reject,
    show,
} from "./lab";
import { meshNamespace, podSidecarAnnotations } from "./namespace";
import { LabService } from "./peerAuth";

/** httpbin's Service port (the probe's `httpbin.<ns>:8000`) and the document's httpbin's container port. */
export const HTTPBIN_PORTS = { port: 8000, targetPort: 80 } as const;
/** sleep's Service port (the container listens on nothing; the port only names the service). */
export const SLEEP_PORT = 80;

/** Inputs of {@link MtlsLab}. */
export interface MtlsLabArgs {
    /** Platform. */
    readonly platform: Platform;
    /** Control plane flavour, which decides how sidecars are injected. @default the platform's default ("helm", "ossm3") */
    readonly flavor?: Flavor;
    /** Namespaces whose workloads get sidecars. @default ["foo", "bar"] */
    readonly sidecarNamespaces?: readonly string[];
    /** Namespaces whose workloads get none. @default ["legacy"] */
    readonly plainNamespaces?: readonly string[];
    /** httpbin's image. @default "docker.io/kennethreitz/httpbin" */
    readonly httpbinImage?: pulumi.Input<string>;
    /** sleep's image. @default "curlimages/curl" */
    readonly sleepImage?: pulumi.Input<string>;
    /** The port httpbin's container listens on (go-httpbin's 8080). @default 80 */
    readonly httpbinPort?: number;
    /** OpenShift: namespace of the control plane whose member roll lists the sidecar namespaces. @default "istio-system" */
    readonly controlPlaneNamespace?: string;
    /** Extra namespace labels (the lab id). @default none */
    readonly namespaceLabels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Resources that must be ready first (the control plane). @default [] */
    readonly requires?: pulumi.Resource[];
    /** `ambient`: the in-mesh namespaces join the ambient mesh instead of getting sidecars; the plain ones stay out. @default "sidecar" */
    readonly dataplane?: Dataplane;
}

/** The lab's namespaces: `foo` and `bar` with sidecars, `legacy` without. */
export const LAB_SIDECAR_NAMESPACES: readonly string[] = ["foo", "bar"];
/** The lab's namespace without sidecars. */
export const LAB_PLAIN_NAMESPACES: readonly string[] = ["legacy"];

/**
 * Checks the namespace lists; `where` names the argument or config key in messages. A namespace
 * that exists on every cluster (`default`, as the lab's seed uses for `sleep`) is allowed and labelled
 * rather than created; the control plane's namespace is not.
 */
export function checkMtlsNamespaces(
    sidecar: readonly string[],
    plain: readonly string[],
    where: string,
    controlPlaneNamespace: string | null,
): void {
    const seen = new Set<string>();
    for (const [key, list] of [
        ["sidecarNamespaces", sidecar],
        ["plainNamespaces", plain],
    ] as const) {
        list.forEach((ns, i) => {
            if (!isDns1123Label(ns)) {
                reject(`${where}.${key}[${i}]`, ns, DNS1123_ALLOWED);
            }
            if (seen.has(ns)) {
                reject(`${where}.${key}[${i}]`, ns, `a namespace not listed before (${show(ns)} is)`);
            }
            if (ns === controlPlaneNamespace) {
                reject(`${where}.${key}[${i}]`, ns, `a namespace other than the control plane's ${show(controlPlaneNamespace)}`);
            }
            seen.add(ns);
        });
    }
}

/** The Services the lab creates in each namespace (what peer authentication maps ports with). */
export function mtlsLabServices(namespaces: readonly string[], httpbinPort: number = HTTPBIN_PORTS.targetPort): LabService[] {
    return namespaces.flatMap((namespace) => [
        { namespace, name: "httpbin", selector: { app: "httpbin" }, ports: [{ port: HTTPBIN_PORTS.port, targetPort: httpbinPort }] },
        { namespace, name: "sleep", selector: { app: "sleep" }, ports: [{ port: SLEEP_PORT, targetPort: SLEEP_PORT }] },
    ]);
}

/**
 * The peer authentication lab's workloads: `httpbin` and `sleep` in every namespace, with sidecars
 * in `foo` and `bar` and without in `legacy`. `sleep.<ns>` calls `httpbin.<ns>:8000/headers` to probe.
 */
export class MtlsLab extends pulumi.ComponentResource {
    /** Namespaces with sidecars. */
    public readonly sidecarNamespaces: pulumi.Output<string[]>;
    /** Namespaces without sidecars. */
    public readonly plainNamespaces: pulumi.Output<string[]>;
    /** Every namespace's Namespace (or, for one that exists on every cluster, NamespacePatch) object, for stages whose objects go in them. */
    public readonly namespaces: Array<k8s.core.v1.Namespace | k8s.core.v1.NamespacePatch>;

    constructor(name: string, args: MtlsLabArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-lab:security:MtlsLab", name, {}, opts);
        const sidecar = args.sidecarNamespaces ?? LAB_SIDECAR_NAMESPACES;
        const plain = args.plainNamespaces ?? LAB_PLAIN_NAMESPACES;
        const controlPlaneNamespace = args.controlPlaneNamespace ?? "istio-system";
        checkMtlsNamespaces(sidecar, plain, "MtlsLab args", controlPlaneNamespace);
        const requires = args.requires ?? [];
        const flavor = args.flavor ?? FLAVORS[args.platform][0];
        const httpbinPort = args.httpbinPort ?? HTTPBIN_PORTS.targetPort;
        if (!Number.isInteger(httpbinPort) || httpbinPort < 1 || httpbinPort > 65535) {
            reject("MtlsLab args.httpbinPort", httpbinPort, "a port number from 1 to 65535");
        }
        this.namespaces = [];

        const all = [...sidecar.map((ns) => ({ ns, sidecars: true })), ...plain.map((ns) => ({ ns, sidecars: false }))];
        for (const { ns, sidecars } of all) {
            const prefix = `${name}-${ns}`;
            const namespace = meshNamespace(
                `${prefix}-namespace`,
                {
                    name: ns,
                    flavor,
                    sidecars,
                    dataplane: args.dataplane,
                    controlPlaneNamespace,
                    labels: args.namespaceLabels,
                    existing: isReservedNamespace(ns, controlPlaneNamespace),
                },
                { parent: this, dependsOn: requires },
            );
            this.namespaces.push(namespace);
            namespaceWorkloads(prefix, ns, {
                childOpts: { parent: this, dependsOn: [...requires, namespace] },
                annotations: podSidecarAnnotations(flavor, sidecars),
                httpbinImage: args.httpbinImage ?? "docker.io/kennethreitz/httpbin",
                httpbinPort,
                sleepImage: args.sleepImage ?? "curlimages/curl",
            });
        }

        this.sidecarNamespaces = pulumi.output([...sidecar]);
        this.plainNamespaces = pulumi.output([...plain]);
        this.registerOutputs({ sidecarNamespaces: this.sidecarNamespaces, plainNamespaces: this.plainNamespaces });
    }
}

/** The metadata of one of a namespace's objects, with the lab's labels. */
function metaIn(ns: string) {
    return (objectName: string, labels: Record<string, string>) => ({
        name: objectName,
        namespace: ns,
        labels: { ...LAB_LABELS, ...labels },
    });
}

/** What one namespace's workloads are made with. */
interface WorkloadSettings {
    readonly childOpts: pulumi.CustomResourceOptions;
    readonly annotations: Record<string, string> | undefined;
    readonly httpbinImage: pulumi.Input<string>;
    readonly httpbinPort: number;
    readonly sleepImage: pulumi.Input<string>;
}

/** One namespace's httpbin (the server every probe calls) and sleep (the client the probe runs curl in), each with its ServiceAccount and Service. */
function namespaceWorkloads(prefix: string, ns: string, x: WorkloadSettings): void {
    httpbinWorkload(prefix, ns, x);
    sleepWorkload(prefix, ns, x);
}

function httpbinWorkload(prefix: string, ns: string, x: WorkloadSettings): void {
    const { childOpts, annotations, httpbinImage, httpbinPort } = x;
    const meta = metaIn(ns);
    const httpbinLabels = { app: "httpbin", version: "v1" };
    new k8s.core.v1.ServiceAccount(`${prefix}-httpbin-sa`, { metadata: meta("httpbin", {}) }, childOpts);
    new k8s.core.v1.Service(
        `${prefix}-httpbin-service`,
        {
            metadata: { ...meta("httpbin", { app: "httpbin", service: "httpbin" }), annotations: SKIP_SERVICE_AWAIT },
            spec: { selector: { app: "httpbin" }, ports: [{ name: "http", port: HTTPBIN_PORTS.port, targetPort: httpbinPort }] },
        },
        childOpts,
    );
    new k8s.apps.v1.Deployment(
        `${prefix}-httpbin`,
        {
            metadata: meta("httpbin", {}),
            spec: {
                replicas: 1,
                selector: { matchLabels: httpbinLabels },
                template: {
                    metadata: { labels: httpbinLabels, annotations },
                    spec: {
                        serviceAccountName: "httpbin",
                        containers: [
                            {
                                name: "httpbin",
                                image: httpbinImage,
                                ports: [{ containerPort: httpbinPort }],
                            },
                        ],
                    },
                },
            },
        },
        childOpts,
    );
}

function sleepWorkload(prefix: string, ns: string, x: WorkloadSettings): void {
    const { childOpts, annotations, sleepImage } = x;
    const meta = metaIn(ns);
    const sleepLabels = { app: "sleep" };
    new k8s.core.v1.ServiceAccount(`${prefix}-sleep-sa`, { metadata: meta("sleep", {}) }, childOpts);
    new k8s.core.v1.Service(
        `${prefix}-sleep-service`,
        {
            metadata: { ...meta("sleep", { app: "sleep", service: "sleep" }), annotations: SKIP_SERVICE_AWAIT },
            spec: { selector: sleepLabels, ports: [{ name: "http", port: SLEEP_PORT }] },
        },
        childOpts,
    );
    new k8s.apps.v1.Deployment(
        `${prefix}-sleep`,
        {
            metadata: meta("sleep", {}),
            spec: {
                replicas: 1,
                selector: { matchLabels: sleepLabels },
                template: {
                    metadata: { labels: sleepLabels, annotations },
                    spec: {
                        serviceAccountName: "sleep",
                        terminationGracePeriodSeconds: 0,
                        containers: [
                            {
                                name: "sleep",
                                image: sleepImage,
                                command: ["/bin/sleep", "infinity"],
                            },
                        ],
                    },
                },
            },
        },
        childOpts,
    );
}
