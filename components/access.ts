// One attendee's lane in a classroom: who they are to the API server (a ServiceAccount with a token on
// Kubernetes; their own OpenShift user), what they may do (a Role in their namespace only), how much they
// may use (a ResourceQuota and a LimitRange), and who may reach their workloads (an AuthorizationPolicy
// the mesh enforces, and a NetworkPolicy with the same intent where the mesh is bypassed).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Dataplane, IstioApis, ISTIO_APIS_V1, LAB_LABELS, Platform, istioObject, reject, show } from "./lab";
import { linear } from "./linear";

/** How attendees reach the API server: a ServiceAccount token (Kubernetes), or the cluster's own users (OpenShift). */
export type AccessMode = { readonly kind: "serviceAccount" } | { readonly kind: "user"; readonly userPattern: string };

/** What an attendee may spend in their namespace; what is absent is not limited. */
export interface Budget {
    /** Total CPU requests, e.g. `"2"` or `"1500m"`. @default unlimited */
    readonly cpu?: string;
    /** Total memory requests, e.g. `"2Gi"`. @default unlimited */
    readonly memory?: string;
    /** Pods. @default unlimited */
    readonly pods?: number;
}

/** The name of the attendee's ServiceAccount, Role and RoleBinding. */
export const ATTENDEE_IDENTITY = "attendee";

/** Requests the LimitRange gives a container that sets none (so a quota on requests admits it). */
export const DEFAULT_CONTAINER_REQUESTS = { cpu: "50m", memory: "64Mi" } as const;

/** Requests Istio's injector gives each sidecar by default (`global.proxy.resources.requests`). */
export const SIDECAR_REQUESTS = { cpu: "100m", memory: "128Mi" } as const;

/**
 * What an attendee may do in their own namespace: the exercises (their routing and security objects,
 * Deployments and their scale, Services, Pods and their logs); read-only what the lab must keep intact
 * (the isolation policies, the budget). Nothing cluster-wide: this is a Role, bound in one namespace.
 */
export const ATTENDEE_RULES: ReadonlyArray<{ apiGroups: string[]; resources: string[]; verbs: string[] }> = [
    {
        apiGroups: ["networking.istio.io"],
        resources: ["virtualservices", "destinationrules"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    },
    {
        apiGroups: ["security.istio.io"],
        resources: ["peerauthentications"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    },
    { apiGroups: ["security.istio.io"], resources: ["authorizationpolicies"], verbs: ["get", "list", "watch"] },
    // Gateway API routing (trafficApi: gatewayApi): their HTTPRoute; the shared Gateway is in the ingress namespace.
    {
        apiGroups: ["gateway.networking.k8s.io"],
        resources: ["httproutes"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    },
    { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "update", "patch"] },
    { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update", "patch"] },
    { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "delete"] },
    { apiGroups: [""], resources: ["pods/log", "events", "resourcequotas", "limitranges"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["get", "list", "watch"] },
];

/** The objects an attendee changes and the class's `pulumi up` then leaves as they are: their route (either API's), rule and replicas. */
export function attendeeOwns(trafficApi: "istio" | "gatewayApi"): string[] {
    return [
        trafficApi === "gatewayApi" ? "HTTPRoute guestbook" : "VirtualService virtual-service-guestbook",
        "DestinationRule destination-rule-guestbook",
        "the guestbook Deployments' replicas",
    ];
}

/** `<attendee>` in an OpenShift user pattern. */
export const ATTENDEE_PLACEHOLDER = "<attendee>";

/** The OpenShift user an attendee logs in as. */
export function attendeeUser(pattern: string, attendee: string): string {
    return pattern.split(ATTENDEE_PLACEHOLDER).join(attendee);
}

const BASE_QUANTITY = linear(/^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/);

/** A Kubernetes quantity in its base unit (cores for CPU, bytes for memory), or undefined when it is not one. */
export function quantityValue(q: string): number | undefined {
    const m = BASE_QUANTITY.exec(q);
    if (!m) {
        return undefined;
    }
    const scale: Record<string, number> = {
        "": 1,
        m: 1e-3,
        k: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
        Ki: 1024,
        Mi: 1024 ** 2,
        Gi: 1024 ** 3,
        Ti: 1024 ** 4,
    };
    return Number(m[1]) * scale[m[2] ?? ""];
}

/** What of the mesh a budget counts: sidecars in every pod, or none and perhaps a waypoint (ambient). */
export interface BudgetMesh {
    readonly dataplane: Dataplane;
    readonly waypoint: boolean;
}

/** A lab's pods and the requests they make, container and sidecar. */
export interface LabNeeds {
    readonly pods: number;
    /** CPU requests in millicores. */
    readonly cpuMillis: number;
    /** Memory requests in MiB. */
    readonly memoryMi: number;
    /** Pods per Deployment, for messages. */
    readonly breakdown: string;
    /** Whether each pod carries a sidecar (false in ambient mode). */
    readonly sidecars: boolean;
}

/**
 * What one attendee's lab needs from a budget: every pod of its Deployments, each container's requests (or
 * the LimitRange's default when it sets none), and Istio's sidecar in every pod (all the guestbook's are injected).
 */
export function labNeeds(
    workloads: ReadonlyArray<{ name: string; replicas: number; requests?: { cpu?: string; memory?: string } }>,
    mesh: BudgetMesh = { dataplane: "sidecar", waypoint: false },
): LabNeeds {
    const req = (q: string | undefined, fallback: string) => quantityValue(q ?? fallback) ?? quantityValue(fallback)!;
    // Ambient: no sidecar in any pod (ztunnel runs per node, outside the namespace); a waypoint is one proxy pod in it.
    const sidecar = mesh.dataplane === "sidecar" ? 1 : 0;
    const all =
        mesh.dataplane === "ambient" && mesh.waypoint
            ? [...workloads, { name: "waypoint", replicas: 1, requests: SIDECAR_REQUESTS }]
            : workloads;
    let cpu = 0;
    let memory = 0;
    let pods = 0;
    for (const w of all) {
        pods += w.replicas;
        cpu += w.replicas * (req(w.requests?.cpu, DEFAULT_CONTAINER_REQUESTS.cpu) + sidecar * quantityValue(SIDECAR_REQUESTS.cpu)!);
        memory +=
            w.replicas * (req(w.requests?.memory, DEFAULT_CONTAINER_REQUESTS.memory) + sidecar * quantityValue(SIDECAR_REQUESTS.memory)!);
    }
    return {
        pods,
        cpuMillis: Math.round(cpu * 1000),
        memoryMi: Math.round(memory / 1024 ** 2),
        breakdown: all.map((w) => `${w.name} ${w.replicas}`).join(", "),
        sidecars: sidecar === 1,
    };
}

/** Refuses a budget smaller than the lab it must hold, with the numbers; `where` names the config key. */
export function checkBudget(budget: Budget, needs: LabNeeds, where: string): void {
    const proxies = needs.sidecars
        ? `each sidecar ${SIDECAR_REQUESTS.cpu} and ${SIDECAR_REQUESTS.memory}`
        : `no sidecars in ambient mode${needs.breakdown.includes("waypoint") ? `, the waypoint's proxy ${SIDECAR_REQUESTS.cpu} and ${SIDECAR_REQUESTS.memory}` : ""}`;
    const why = `what each attendee's lab requests (${needs.pods} pods: ${needs.breakdown}; a container without requests gets ${DEFAULT_CONTAINER_REQUESTS.cpu} and ${DEFAULT_CONTAINER_REQUESTS.memory}, ${proxies})`;
    if (budget.pods !== undefined && budget.pods < needs.pods) {
        reject(`${where}.pods`, budget.pods, `at least ${needs.pods}, ${why}`);
    }
    for (const [key, need, unit, scale] of [
        ["cpu", needs.cpuMillis, "m", 1000],
        ["memory", needs.memoryMi, "Mi", 1 / 1024 ** 2],
    ] as const) {
        const given = budget[key];
        if (given === undefined) {
            continue;
        }
        const value = quantityValue(given);
        if (value === undefined) {
            reject(`${where}.${key}`, given, 'a Kubernetes quantity such as "2", "1500m", "2Gi" or "512Mi"');
        }
        if (Math.round(value * scale) < need) {
            reject(`${where}.${key}`, given, `at least ${need}${unit}, ${why}`);
        }
    }
}

/** Inputs of {@link AttendeeAccess}. */
export interface AttendeeAccessArgs {
    readonly platform: Platform;
    /** The attendee's name. */
    readonly attendee: string;
    /** The attendee's namespace, which the lab creates (`requires` holds what creates it). */
    readonly namespace: string;
    /** How the attendee authenticates. */
    readonly mode: AccessMode;
    /** The namespace budget. @default none */
    readonly budget?: Budget;
    /** The ingress gateway's namespace: the one other namespace allowed to reach the attendee's workloads. */
    readonly ingressNamespace: string;
    /** Istio API versions the control plane serves. @default v1 */
    readonly apis?: IstioApis;
    /** Resources that must be ready first (the namespace, the control plane). @default [] */
    readonly requires?: pulumi.Resource[];
}

/**
 * One attendee's access, budget and isolation, all in their namespace. The token (Kubernetes) is a
 * Pulumi secret; on OpenShift the attendee logs in as their own user and no token is handed out.
 */
export class AttendeeAccess extends pulumi.ComponentResource {
    /** The ServiceAccount's token (Kubernetes), a secret; null on OpenShift. */
    public readonly token: pulumi.Output<string | null>;
    /** Who the Role is bound to: `ServiceAccount guestbook-user7/attendee` or `User user7`. */
    public readonly subject: string;

    constructor(name: string, args: AttendeeAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-lab:classroom:AttendeeAccess", name, {}, opts);
        const childOpts: pulumi.CustomResourceOptions = { parent: this, dependsOn: args.requires ?? [] };
        const metadata = (objectName: string) => ({ name: objectName, namespace: args.namespace, labels: LAB_LABELS });

        let subject: k8s.types.input.rbac.v1.Subject;
        if (args.mode.kind === "serviceAccount") {
            const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: metadata(ATTENDEE_IDENTITY) }, childOpts);
            const secret = new k8s.core.v1.Secret(
                `${name}-token`,
                {
                    metadata: {
                        ...metadata(`${ATTENDEE_IDENTITY}-token`),
                        annotations: { "kubernetes.io/service-account.name": ATTENDEE_IDENTITY },
                    },
                    type: "kubernetes.io/service-account-token",
                },
                { parent: this, dependsOn: [sa] },
            );
            // The token controller fills the Secret; the provider waits for it. The data is a Pulumi secret.
            this.token = pulumi.secret(secret.data.apply((d) => (d?.token ? Buffer.from(d.token, "base64").toString() : null)));
            subject = { kind: "ServiceAccount", name: ATTENDEE_IDENTITY, namespace: args.namespace };
            this.subject = `ServiceAccount ${args.namespace}/${ATTENDEE_IDENTITY}`;
        } else {
            const user = attendeeUser(args.mode.userPattern, args.attendee);
            this.token = pulumi.output(null);
            subject = { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: user };
            this.subject = `User ${user}`;
        }
        const role = new k8s.rbac.v1.Role(
            `${name}-role`,
            { metadata: metadata(ATTENDEE_IDENTITY), rules: ATTENDEE_RULES.map((r) => ({ ...r })) },
            childOpts,
        );
        new k8s.rbac.v1.RoleBinding(
            `${name}-rolebinding`,
            {
                metadata: metadata(ATTENDEE_IDENTITY),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: ATTENDEE_IDENTITY },
                subjects: [subject],
            },
            { parent: this, dependsOn: [role] },
        );

        if (args.budget) {
            attendeeBudget(name, args.budget, metadata, childOpts);
        }
        attendeeIsolation(name, args, metadata, childOpts);
        this.registerOutputs({ token: this.token });
    }
}

/** Refuses an OpenShift user pattern that names no attendee or makes no valid user name. */
export function checkUserPattern(pattern: string, where: string): void {
    if (!pattern.includes(ATTENDEE_PLACEHOLDER) || !/^[A-Za-z0-9._@-]*$/.test(pattern.split(ATTENDEE_PLACEHOLDER).join(""))) {
        reject(
            where,
            pattern,
            `a user name pattern with ${show(ATTENDEE_PLACEHOLDER)} in it, e.g. "${ATTENDEE_PLACEHOLDER}" or "lab-${ATTENDEE_PLACEHOLDER}" (letters, digits, '.', '_', '@', '-')`,
        );
    }
}

/** Makes an object's metadata in the attendee's namespace. */
type MetadataIn = (objectName: string) => { name: string; namespace: pulumi.Input<string>; labels: Record<string, string> };

/** The attendee's budget: the lab's default requests for containers without any, and a quota on what they request. */
function attendeeBudget(name: string, budget: Budget, metadata: MetadataIn, childOpts: pulumi.CustomResourceOptions): void {
    // Containers without requests get the lab's defaults, so a quota on requests admits them.
    new k8s.core.v1.LimitRange(
        `${name}-limits`,
        {
            metadata: metadata("attendee-defaults"),
            spec: { limits: [{ type: "Container", defaultRequest: { ...DEFAULT_CONTAINER_REQUESTS } }] },
        },
        childOpts,
    );
    const hard: Record<string, string> = {
        ...(budget.cpu !== undefined ? { "requests.cpu": budget.cpu } : {}),
        ...(budget.memory !== undefined ? { "requests.memory": budget.memory } : {}),
        ...(budget.pods !== undefined ? { pods: String(budget.pods) } : {}),
    };
    new k8s.core.v1.ResourceQuota(`${name}-quota`, { metadata: metadata("attendee-budget"), spec: { hard } }, childOpts);
}

/** In the mesh, only the ingress gateway's namespace and the attendee's own workloads get in; where the mesh is bypassed, the same at the network. */
function attendeeIsolation(name: string, args: AttendeeAccessArgs, metadata: MetadataIn, childOpts: pulumi.CustomResourceOptions): void {
    // In the mesh: only the ingress gateway's namespace and the attendee's own workloads get in.
    istioObject(
        `${name}-isolation`,
        (args.apis ?? ISTIO_APIS_V1).security,
        "AuthorizationPolicy",
        metadata("attendee-isolation"),
        { action: "ALLOW", rules: [{ from: [{ source: { namespaces: [args.ingressNamespace, args.namespace] } }] }] },
        childOpts,
    );
    // Where the mesh is bypassed, the same intent at the network.
    new k8s.networking.v1.NetworkPolicy(
        `${name}-network`,
        {
            metadata: metadata("attendee-isolation"),
            spec: {
                podSelector: {},
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [
                            { podSelector: {} },
                            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.ingressNamespace } } },
                        ],
                    },
                ],
            },
        },
        childOpts,
    );
}
