import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { gatewayApiObject, versionServices } from "./httpRoute";
import { subsetsOf } from "./traffic";
import {
    DNS1123_ALLOWED,
    INT32_MAX,
    FLAVORS,
    Flavor,
    LAB_LABELS,
    SKIP_SERVICE_AWAIT,
    Platform,
    waitFor,
    isDns1123Label,
    isReservedNamespace,
    reject,
    reservedNamespaceAllowed,
    show,
    Dataplane,
} from "./lab";
import { deletedWithNamespace, meshNamespace, namespaceName, podSidecarAnnotations } from "./namespace";
import { LabService } from "./peerAuth";

/** One version of the guestbook front end (a Deployment `guestbook-<name>` and a routing subset `<name>`). */
export interface GuestbookVersion {
    /** Subset name and Deployment suffix, e.g. `v1`. */
    readonly name: string;
    /** Container image. */
    readonly image: string;
    /** Replicas. */
    readonly replicas: number;
    /** Value of the pod label `version`, which the subset selects, e.g. `"1.0"`. */
    readonly version: string;
    /** Container resource requests. @default none */
    readonly requests?: { readonly cpu?: string; readonly memory?: string };
}

/** The lab's two versions, oldest first. */
export const LAB_GUESTBOOK_VERSIONS: readonly GuestbookVersion[] = [
    { name: "v1", image: "ibmcom/guestbook:v1", replicas: 3, version: "1.0" },
    { name: "v2", image: "ibmcom/guestbook:v2", replicas: 3, version: "2.0", requests: { cpu: "100m", memory: "100Mi" } },
];

/** The container port the guestbook listens on. */
export const GUESTBOOK_PORT = 3000;

/** The lab's one redis master. */
const REDIS_MASTER_REPLICAS = 1;

/** The guestbook's Deployments as a budget counts them: name, replicas and the requests set on their containers. */
export function guestbookWorkloads(
    versions: readonly GuestbookVersion[],
    redisSlaveReplicas: number,
): Array<{ name: string; replicas: number; requests?: { cpu?: string; memory?: string } }> {
    return [
        { name: "redis-master", replicas: REDIS_MASTER_REPLICAS },
        { name: "redis-slave", replicas: redisSlaveReplicas },
        ...versions.map((v) => ({ name: `guestbook-${v.name}`, replicas: v.replicas, requests: v.requests })),
    ];
}

/** Inputs of {@link Guestbook}. */
export interface GuestbookArgs {
    /** Platform. */
    readonly platform: Platform;
    /** Control plane flavour, which decides how sidecars are injected. @default the platform's default ("helm", "ossm3") */
    readonly flavor?: Flavor;
    /** Namespace to create. @default "guestbook" */
    readonly namespace?: string;
    /** Front-end versions, oldest first. @default the lab's v1 and v2 */
    readonly versions?: readonly GuestbookVersion[];
    /** Type of the `guestbook` Service; behind the gateway ClusterIP is enough. @default "ClusterIP" */
    readonly serviceType?: "ClusterIP" | "LoadBalancer";
    /** Image of redis-master. @default "redis:3.2.9" */
    readonly redisMasterImage?: pulumi.Input<string>;
    /** Image of redis-slave. @default "ibmcom/guestbook-redis-slave:v2" */
    readonly redisSlaveImage?: pulumi.Input<string>;
    /** Replicas of redis-slave. @default 2 */
    readonly redisSlaveReplicas?: pulumi.Input<number>;
    /** OpenShift: namespace of the control plane whose member roll includes this namespace. @default "istio-system" */
    readonly controlPlaneNamespace?: string;
    /** Extra namespace labels (the lab id). @default none */
    readonly namespaceLabels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /**
     * OSSM 2: how the namespace joins the mesh. `memberRoll`: the control plane's member roll lists it,
     * and the namespace waits until it is in. `serviceMeshMember`: a `ServiceMeshMember` in the namespace
     * asks to join (for classes larger than a member roll's webhook handles), awaited before the pods.
     * @default "memberRoll"
     */
    readonly membership?: "memberRoll" | "serviceMeshMember";
    /** Resources that must be ready first (the control plane). @default [] */
    readonly requires?: pulumi.Resource[];
    /** Gateway API routing: one Service per version (`guestbook-v2`, selecting its `version` label) for weighted backendRefs. @default false */
    readonly versionServices?: boolean;
    /** `ambient`: the namespace joins the ambient mesh (`istio.io/dataplane-mode: ambient`) instead of injection. @default "sidecar" */
    readonly dataplane?: Dataplane;
    /**
     * Ambient: a waypoint for the namespace (a Gateway API `Gateway` of class `istio-waypoint` named `waypoint`,
     * bound with `istio.io/use-waypoint`), so that L7 policy (the circuit breaker) applies to traffic inside the mesh too. @default false
     */
    readonly waypoint?: boolean;
    /**
     * Whether the namespace's deletion takes the guestbook's Deployments and Services with it (`deletedWith`),
     * when the lab made the namespace: for a class, whose namespaces are deleted side by side (a class of 20:
     * `pulumi destroy` 81 s deleting each object, 44.5 s leaving them to their namespaces). A single lab deletes
     * each object first (dev: 15.6 to 18.8 s that way, 24.4 to 28.9 s leaving them to the namespace). @default false
     */
    readonly deletedWithNamespace?: boolean;
}

/** Name of the namespace's waypoint in ambient mode. */
export const WAYPOINT_NAME = "waypoint";

/** A waypoint for a namespace's Services, as `istioctl waypoint generate` writes it. */
export function waypointSpec(): Record<string, unknown> {
    return { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] };
}

/** Checks a list of versions; `where` names the argument or config key in messages. */
export function checkVersions(versions: readonly GuestbookVersion[], where: string): void {
    if (versions.length === 0) {
        reject(where, versions, "at least one version");
    }
    const seen = new Set<string>();
    const labels = new Map<string, string>();
    versions.forEach((v, i) => {
        if (!isDns1123Label(v.name) || v.name.length > 50) {
            reject(`${where}[${i}].name`, v.name, `${DNS1123_ALLOWED}, at most 50 characters`);
        }
        if (seen.has(v.name)) {
            reject(`${where}[${i}].name`, v.name, "a name no other version has");
        }
        seen.add(v.name);
        if (!Number.isInteger(v.replicas) || v.replicas < 0 || v.replicas > INT32_MAX) {
            reject(`${where}[${i}].replicas`, v.replicas, `an integer from 0 to ${INT32_MAX}`);
        }
        // Subsets pick pods by this label: two versions with one label would be one subset.
        const other = labels.get(v.version);
        if (other !== undefined) {
            reject(`${where}[${i}].version`, v.version, `a version label no other version has (${show(other)} has it)`);
        }
        labels.set(v.version, v.name);
    });
}

/**
 * Stage 3: the Guestbook app of the lab in its own namespace: redis master and slaves, one
 * Deployment per front-end version, and the `guestbook` Service over all of them.
 */
export class Guestbook extends pulumi.ComponentResource {
    /** The namespace's name. */
    public readonly namespace: pulumi.Output<string>;
    /** The versions, oldest first (plain: they decide which subsets and routes exist). */
    public readonly versions: readonly GuestbookVersion[];
    /** Name of the Service that fronts every version. */
    public readonly serviceName: pulumi.Output<string>;

    constructor(name: string, args: GuestbookArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-lab:app:Guestbook", name, {}, opts);
        const nsName = args.namespace ?? "guestbook";
        if (!isDns1123Label(nsName)) {
            reject("Guestbook args.namespace", nsName, DNS1123_ALLOWED);
        }
        const controlPlaneNamespace = args.controlPlaneNamespace ?? "istio-system";
        // The app's namespace is the lab's own: destroying the lab deletes it.
        if (isReservedNamespace(nsName, controlPlaneNamespace)) {
            reject("Guestbook args.namespace", nsName, reservedNamespaceAllowed(controlPlaneNamespace));
        }
        const versions = args.versions ?? LAB_GUESTBOOK_VERSIONS;
        checkVersions(versions, "Guestbook args.versions");
        const requires = args.requires ?? [];
        const flavor = args.flavor ?? FLAVORS[args.platform][0];

        const { ns, member, nsOut } = guestbookNamespace(this, name, { nsName, flavor, controlPlaneNamespace, requires, args });
        const workloadOpts = { parent: this, dependsOn: [...requires, ns, ...member] };
        const make = workloadMakers(name, nsOut, podSidecarAnnotations(flavor, true), {
            ...workloadOpts,
            ...(args.deletedWithNamespace ? deletedWithNamespace(ns) : {}),
        });
        redisTier(make, args);
        guestbookVersions(make, versions, args.versionServices ?? false);
        if (args.waypoint) {
            gatewayApiObject(
                `${name}-waypoint`,
                "Gateway",
                {
                    name: WAYPOINT_NAME,
                    namespace: nsOut,
                    labels: { ...LAB_LABELS, "istio.io/waypoint-for": "service" },
                    annotations: waitFor("condition=Programmed"),
                },
                waypointSpec(),
                { parent: this, dependsOn: [...requires, ns] },
            );
        }
        const front = make.service(
            "guestbook-service",
            "guestbook",
            { app: "guestbook" },
            {
                type: args.serviceType ?? "ClusterIP",
                selector: { app: "guestbook" },
                ports: [{ name: "http", port: 80, targetPort: GUESTBOOK_PORT }],
            },
        );

        this.namespace = nsOut;
        this.versions = versions;
        this.serviceName = front.metadata.name;
        this.registerOutputs({ namespace: this.namespace, serviceName: this.serviceName });
    }
}

/** The Services the Guestbook stage creates (what peer authentication maps ports with). */
export function guestbookServices(namespace: string): LabService[] {
    return [
        { namespace, name: "guestbook", selector: { app: "guestbook" }, ports: [{ port: 80, targetPort: GUESTBOOK_PORT }] },
        { namespace, name: "redis-master", selector: { app: "redis", role: "master" }, ports: [{ port: 6379, targetPort: 6379 }] },
        { namespace, name: "redis-slave", selector: { app: "redis", role: "slave" }, ports: [{ port: 6379, targetPort: 6379 }] },
    ];
}

/** The guestbook's namespace (in the mesh as its flavour joins one) and, for a large OSSM 2 class, its ServiceMeshMember. */
function guestbookNamespace(
    parent: pulumi.ComponentResource,
    name: string,
    x: { nsName: string; flavor: Flavor; controlPlaneNamespace: string; requires: pulumi.Resource[]; args: GuestbookArgs },
): { ns: k8s.core.v1.Namespace | k8s.core.v1.NamespacePatch; member: pulumi.Resource[]; nsOut: pulumi.Output<string> } {
    const { nsName, flavor, controlPlaneNamespace, requires, args } = x;
    const ns = meshNamespace(
        `${name}-namespace`,
        {
            name: nsName,
            flavor,
            sidecars: true,
            dataplane: args.dataplane,
            waypoint: args.waypoint ? WAYPOINT_NAME : undefined,
            controlPlaneNamespace,
            labels: args.namespaceLabels,
            memberWait: args.membership !== "serviceMeshMember",
        },
        { parent, dependsOn: requires },
    );
    const member =
        flavor === "ossm2" && args.membership === "serviceMeshMember"
            ? [
                  new k8s.apiextensions.CustomResource(
                      `${name}-member`,
                      {
                          apiVersion: "maistra.io/v1",
                          kind: "ServiceMeshMember",
                          metadata: { name: "default", namespace: nsName, labels: LAB_LABELS, annotations: waitFor("condition=Ready") },
                          spec: { controlPlaneRef: { name: "basic", namespace: controlPlaneNamespace } },
                      },
                      { parent, dependsOn: [...requires, ns] },
                  ),
              ]
            : [];
    const nsOut = namespaceName(ns, nsName);
    return { ns, member, nsOut };
}

/** Makes the guestbook's Deployments and Services in its namespace, each a child of the component with the same options. */
interface WorkloadMakers {
    readonly deployment: (
        logical: string,
        objectName: string,
        labels: Record<string, string>,
        selector: Record<string, string>,
        replicas: pulumi.Input<number>,
        container: k8s.types.input.core.v1.Container,
    ) => k8s.apps.v1.Deployment;
    readonly service: (
        logical: string,
        objectName: string,
        labels: Record<string, string>,
        spec: k8s.types.input.core.v1.ServiceSpec,
    ) => k8s.core.v1.Service;
}

function workloadMakers(
    name: string,
    nsOut: pulumi.Output<string>,
    annotations: Record<string, string> | undefined,
    workloadOpts: pulumi.CustomResourceOptions,
): WorkloadMakers {
    return {
        deployment: (logical, objectName, labels, selector, replicas, container) =>
            new k8s.apps.v1.Deployment(
                `${name}-${logical}`,
                {
                    metadata: { name: objectName, namespace: nsOut, labels: { ...LAB_LABELS, ...labels } },
                    spec: {
                        replicas,
                        selector: { matchLabels: selector },
                        template: { metadata: { labels, annotations }, spec: { containers: [container] } },
                    },
                },
                workloadOpts,
            ),
        service: (logical, objectName, labels, spec) =>
            new k8s.core.v1.Service(
                `${name}-${logical}`,
                {
                    metadata: { name: objectName, namespace: nsOut, labels: { ...LAB_LABELS, ...labels }, annotations: SKIP_SERVICE_AWAIT },
                    spec,
                },
                workloadOpts,
            ),
    };
}

/** redis-master (one replica) and redis-slave, each with its Service (Istio picks a port's protocol from its name). */
function redisTier(make: WorkloadMakers, args: GuestbookArgs): void {
    const { deployment, service } = make;
    const redisPort = { name: "redis-server", containerPort: 6379 };
    for (const role of ["master", "slave"] as const) {
        const labels = { app: "redis", role };
        deployment(
            `redis-${role}`,
            `redis-${role}`,
            labels,
            labels,
            role === "master" ? REDIS_MASTER_REPLICAS : (args.redisSlaveReplicas ?? 2),
            {
                name: `redis-${role}`,
                image:
                    role === "master"
                        ? (args.redisMasterImage ?? "redis:3.2.9")
                        : (args.redisSlaveImage ?? "ibmcom/guestbook-redis-slave:v2"),
                ports: [redisPort],
            },
        );
        // Istio picks a port's protocol from its name or appProtocol.
        service(`redis-${role}-service`, `redis-${role}`, labels, {
            type: "ClusterIP",
            selector: labels,
            ports: [{ name: "tcp-redis", port: 6379, targetPort: "redis-server" }],
        });
    }
}

/** One Deployment per guestbook version, and with the Gateway API one Service per version (an HTTPRoute's backends). */
function guestbookVersions(make: WorkloadMakers, versions: readonly GuestbookVersion[], perVersionServices: boolean): void {
    const { deployment, service } = make;
    for (const v of versions) {
        const labels = { app: "guestbook", version: v.version };
        deployment(`guestbook-${v.name}`, `guestbook-${v.name}`, labels, labels, v.replicas, {
            name: "guestbook",
            image: v.image,
            ports: [{ name: "http", containerPort: GUESTBOOK_PORT }],
            resources: v.requests ? { requests: { ...v.requests } } : undefined,
        });
    }
    if (perVersionServices) {
        for (const v of versionServices(subsetsOf(versions))) {
            service(`${v.name}-service`, v.name, v.selector, {
                type: "ClusterIP",
                selector: v.selector,
                ports: [{ name: "http", port: 80, targetPort: GUESTBOOK_PORT }],
            });
        }
    }
}
