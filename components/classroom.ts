import * as pulumi from "@pulumi/pulumi";
import { AccessMode, AttendeeAccess, Budget } from "./access";
import { IngressPorts, ingressRoute } from "./gateway";
import { ParentRef } from "./httpRoute";
import { Guestbook, GuestbookVersion } from "./guestbook";
import { Dataplane, Flavor, IstioApis, Platform, isDns1123Label, reject, DNS1123_ALLOWED } from "./lab";
import { AbTest, CircuitBreaker, GuestbookClientTls, Routing, TrafficPolicy, subsetsOf } from "./traffic";

/**
 * A member roll larger than this risks its validating webhook, which checks every member within 3 s
 * and refuses "too many namespaces" past that: a larger class joins the mesh with one
 * `ServiceMeshMember` per namespace instead (OSSM 2 only; OSSM 3 and upstream join by label).
 */
export const MEMBER_ROLL_LIMIT = 50;

/** One attendee's own routing settings. */
export interface AttendeeTraffic {
    /** Share of traffic to the newest version. @default 0 */
    readonly canaryWeight?: number;
    /** The A/B rule. @default none */
    readonly abTest?: AbTest;
    /** Routing mode. @default "weighted" */
    readonly routing?: Routing;
    /** Client TLS on the attendee's DestinationRule. @default none */
    readonly clientTls?: GuestbookClientTls;
    /** Circuit breaker. @default none */
    readonly circuitBreaker?: CircuitBreaker;
}

/** Inputs of {@link Attendee}. */
export interface AttendeeArgs {
    /** Platform. */
    readonly platform: Platform;
    /** Control plane flavour. @default the platform's default */
    readonly flavor?: Flavor;
    /** The attendee's name (`user7`). */
    readonly attendee: string;
    /** The attendee's namespace (`guestbook-user7`), which the lab creates. */
    readonly namespace: string;
    /** Guestbook versions, oldest first. */
    readonly versions: readonly GuestbookVersion[];
    /** Guestbook settings shared by the class. */
    readonly guestbook: {
        readonly serviceType: "ClusterIP" | "LoadBalancer";
        readonly redisMasterImage: string;
        readonly redisSlaveImage: string;
        readonly redisSlaveReplicas: number;
    };
    /** The attendee's routing. @default weighted, all to the oldest version */
    readonly traffic?: AttendeeTraffic;
    /** Build the routing (the lab's traffic stage). @default true */
    readonly routes?: boolean;
    /** The class's Gateway, `namespace/name`, that the attendee's VirtualService binds to. */
    readonly gateway: string;
    /** The class's Gateway object, which the attendee's routes come after. @default none */
    readonly gatewayObject?: pulumi.Resource;
    /** The attendee's host (`user7.lab.example.com`) when the class has a domain; else the attendee gets a path prefix. @default none */
    readonly host?: string;
    /** Whether the class's gateway serves HTTPS. */
    readonly tls: boolean;
    /** `ambient`: the attendee's namespace joins the ambient mesh. @default "sidecar" */
    readonly dataplane?: Dataplane;
    /** Ambient: a waypoint for the attendee's namespace (see `GuestbookArgs.waypoint`). @default false */
    readonly waypoint?: boolean;
    /** OpenShift with a domain: the Route to the ingress gateway for the attendee's host. @default none */
    readonly route?: {
        readonly ingressNamespace: pulumi.Input<string>;
        readonly ingressService: string;
        readonly targetPorts?: IngressPorts;
    };
    /** Where the class's gateway is reached (`https://203.0.113.7`), for the attendee's URL in path-prefix mode. */
    readonly classUrl: pulumi.Input<string>;
    /** OSSM 2: how the namespace joins the mesh. @default "memberRoll" */
    readonly membership?: "memberRoll" | "serviceMeshMember";
    /** Namespace of the control plane. @default "istio-system" */
    readonly controlPlaneNamespace?: string;
    /** Extra namespace labels (the lab id). @default none */
    readonly namespaceLabels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Istio API versions the control plane serves. @default v1 */
    readonly apis?: IstioApis;
    /** Resources that must be ready first (the control plane). @default [] */
    readonly requires?: pulumi.Resource[];
    /**
     * The attendee's own access (a Role in their namespace, bound to their ServiceAccount or OpenShift user),
     * budget and isolation; the objects they change are then theirs (created once, left as they set them). @default none
     */
    readonly access?: { readonly mode: AccessMode; readonly budget?: Budget; readonly ingressNamespace: string };
    /** Gateway API: the class Gateway's listeners the attendee's HTTPRoute attaches to (instead of a VirtualService). @default none */
    readonly gatewayApiParents?: readonly ParentRef[];
}

/**
 * Leaves what an attendee with access changes as they set it: the routing objects' spec and the guestbook
 * Deployments' replicas are created once, then ignored by the class's `pulumi up`. A routing object is
 * replaced (`lab reset --attendee`) by deleting it first: the attendee's own edits made their field manager
 * an owner of its fields, and a new object applied over the old one would be refused as a server-side apply
 * conflict (seen in the e2e).
 */
const attendeeOwned: pulumi.ResourceTransformation = (args) => {
    const kind = args.type.split(":").pop();
    const labels = (args.props.metadata as { labels?: Record<string, string> } | undefined)?.labels;
    if (kind === "VirtualService" || kind === "DestinationRule" || kind === "HTTPRoute") {
        return { props: args.props, opts: pulumi.mergeOptions(args.opts, { ignoreChanges: ["spec"], deleteBeforeReplace: true }) };
    }
    if (kind === "Deployment" && labels?.app === "guestbook") {
        return { props: args.props, opts: pulumi.mergeOptions(args.opts, { ignoreChanges: ["spec.replicas"] }) };
    }
    return undefined;
};

/**
 * One attendee's lab in a classroom: their own guestbook in their own namespace, their own
 * DestinationRule and VirtualService (their host, or their path prefix, on the class's Gateway), and
 * on OpenShift with a domain their own Route. Everything else (operators, control plane, ingress
 * gateway, the class's Gateway and certificate) is shared and created once.
 */
export class Attendee extends pulumi.ComponentResource {
    /** The attendee's namespace. */
    public readonly namespace: pulumi.Output<string>;
    /** Where the attendee's browser reaches their guestbook. */
    public readonly url: pulumi.Output<string>;
    /** The share of traffic each version gets, or null without routing. */
    public readonly split: pulumi.Output<Record<string, number> | null>;
    /** The attendee's ServiceAccount token (a secret), or null (no access, or OpenShift's own users). */
    public readonly token: pulumi.Output<string | null>;
    /** Who the attendee's Role is bound to, or null without access. */
    public readonly subject: string | null;

    constructor(name: string, args: AttendeeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-lab:classroom:Attendee", name, {}, opts);
        if (!isDns1123Label(args.attendee)) {
            reject("Attendee args.attendee", args.attendee, DNS1123_ALLOWED);
        }
        const requires = args.requires ?? [];
        const owned = args.access ? { transformations: [attendeeOwned] } : {};
        const guestbook = new Guestbook(
            `${name}-guestbook`,
            {
                platform: args.platform,
                flavor: args.flavor,
                namespace: args.namespace,
                versions: args.versions,
                ...args.guestbook,
                controlPlaneNamespace: args.controlPlaneNamespace,
                namespaceLabels: args.namespaceLabels,
                membership: args.membership,
                versionServices: args.gatewayApiParents !== undefined,
                dataplane: args.dataplane,
                waypoint: args.waypoint,
                deletedWithNamespace: true,
                requires,
            },
            { parent: this, ...owned },
        );
        const pathPrefix = args.host === undefined ? `/${args.attendee}/` : undefined;
        let split: pulumi.Output<Record<string, number> | null> = pulumi.output(null);
        if (args.routes ?? true) {
            const traffic = new TrafficPolicy(
                `${name}-traffic`,
                {
                    namespace: guestbook.namespace,
                    subsets: subsetsOf(args.versions),
                    replicas: args.versions.map((v) => v.replicas),
                    ...args.traffic,
                    gateway: args.gateway,
                    hosts: [args.host ?? "*"],
                    pathPrefix,
                    apis: args.apis,
                    gatewayApiParents: args.gatewayApiParents,
                    requires: [...requires, guestbook, ...(args.gatewayObject ? [args.gatewayObject] : [])],
                },
                { parent: this, ...owned },
            );
            split = traffic.split;
        }
        if (args.route && args.host !== undefined) {
            ingressRoute(
                `${name}-route`,
                { name: `guestbook-${args.attendee}`, host: args.host, tls: args.tls, ...args.route },
                { parent: this, dependsOn: requires },
            );
        }
        const access = args.access
            ? new AttendeeAccess(
                  `${name}-access`,
                  {
                      platform: args.platform,
                      attendee: args.attendee,
                      namespace: args.namespace,
                      mode: args.access.mode,
                      budget: args.access.budget,
                      ingressNamespace: args.access.ingressNamespace,
                      apis: args.apis,
                      requires: [...requires, guestbook],
                  },
                  { parent: this },
              )
            : undefined;
        this.token = access ? access.token : pulumi.output(null);
        this.subject = access?.subject ?? null;
        this.namespace = guestbook.namespace;
        this.url =
            args.host !== undefined
                ? pulumi.output(`${args.tls ? "https" : "http"}://${args.host}/`)
                : pulumi.output(args.classUrl).apply((url) => withPath(url, pathPrefix!));
        this.split = split;
        this.registerOutputs({ namespace: this.namespace, url: this.url, split: this.split, token: this.token });
    }
}

/** A URL with a path added, before any note after it (`https://localhost:8443 (after: kubectl ...)`). */
export function withPath(url: string, path: string): string {
    const note = url.indexOf(" (");
    const [base, rest] = note < 0 ? [url, ""] : [url.slice(0, note), url.slice(note)];
    return `${base.replace(/\/$/, "")}${path}${rest}`;
}
