import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { attendeeOwns } from "../components/access";
import { Attendee, MEMBER_ROLL_LIMIT } from "../components/classroom";
import { ControlPlane } from "../components/controlPlane";
import { Gateway, gatewayHosts, servesHttps } from "../components/gateway";
import { GatewayApiCrds } from "../components/gatewayApiCrds";
import { Guestbook } from "../components/guestbook";
import { MtlsLab } from "../components/mtlsLab";
import { TIMEOUT_SECONDS, WAIT_FOR, istioApisFor } from "../components/lab";
import { NAMESPACE_TYPE, namespaceProvider } from "../components/namespace";
import { OperatorStack, operatorsFor } from "../components/operators";
import { PeerAuth, PolicySummary } from "../components/peerAuth";
import { keepSecrets, markSecrets } from "../components/secrets";
import { TrafficPolicy, subsetsOf, trafficSplit } from "../components/traffic";
import type { LabConfig } from "../config";
import { labNamespaces, labServices, wantsWaypoint } from "../config";

/** The label every namespace of one lab carries, with a value generated once per stack. */
export const LAB_ID_LABEL = "istio-lab/lab-id";

/** What a lab exports. */
export interface LabOutputs {
    /** Which recipe built it. */
    readonly recipe: string;
    /** Where a browser reaches the guestbook, when the lab has a gateway. */
    readonly labUrl: pulumi.Output<string | null>;
    /** The share of guestbook traffic each version gets, and the A/B rule. */
    readonly trafficSplit: pulumi.Output<{ weights: Record<string, number>; abTest: { header: string; regex: string } | null } | null>;
    /** The peer authentication policies in force. */
    readonly mtlsPolicies: pulumi.Output<PolicySummary[]>;
    /** The namespaces the lab created. */
    readonly namespaces: pulumi.Output<string[]>;
    /** The stack's generated lab id (a label on every namespace). */
    readonly labId: pulumi.Output<string>;
    /** The lab CA's certificate (PEM), for `curl --cacert`, when the gateway serves HTTPS. */
    readonly caCert: pulumi.Output<string | null>;
    /** A classroom's attendees, one row each (null for a single lab). */
    readonly attendees: pulumi.Output<AttendeeRow[] | null>;
    /** With `attendeeAccess` on Kubernetes, each attendee's token (secret); else null. */
    readonly attendeeTokens: pulumi.Output<AttendeeToken[] | null>;
}

/** One attendee of a classroom, as the stack output and `lab attendees` show them. */
export interface AttendeeRow {
    /** Name. */
    readonly attendee: string;
    /** Their guestbook's namespace. */
    readonly namespace: string;
    /** Where their browser reaches their guestbook. */
    readonly url: string;
    /** The share of their traffic each version gets (null without the traffic stage). */
    readonly weights: Record<string, number> | null;
    /** With `attendeeAccess`: who their Role is bound to, and what they own (the class's `pulumi up` leaves it as they set it). */
    readonly access?: { readonly subject: string; readonly owns: readonly string[] };
}

/** With `attendeeAccess` on Kubernetes: an attendee's ServiceAccount token, a Pulumi secret, for `lab attendees --kubeconfig-dir`. */
export interface AttendeeToken {
    readonly attendee: string;
    readonly namespace: string;
    readonly token: string;
}

/** What creates each namespace the lab's policies may live in. */
function namespaceCreators(
    config: LabConfig,
    guestbook: pulumi.Resource | undefined,
    attendees: readonly pulumi.Resource[],
    mtlsLab: MtlsLab | undefined,
): Record<string, pulumi.Resource[]> {
    const out: Record<string, pulumi.Resource[]> = {};
    const add = (namespace: string, r: pulumi.Resource) => (out[namespace] = [...(out[namespace] ?? []), r]);
    if (guestbook) {
        add(config.guestbook.namespace, guestbook);
    }
    config.attendees?.forEach((a, i) => attendees[i] && add(a.namespace, attendees[i]));
    if (mtlsLab) {
        [...config.mtlsLab.sidecarNamespaces, ...config.mtlsLab.plainNamespaces].forEach((ns, i) => add(ns, mtlsLab.namespaces[i]));
    }
    return out;
}

/** The outputs, with every value that carries a secret of the stack's config marked secret. */
function secretOutputs(secrets: LabConfig["secrets"], outputs: LabOutputs): LabOutputs {
    if (secrets.length === 0) {
        return outputs;
    }
    const marked = Object.entries(outputs).map(([k, v]): [string, unknown] => [k, k === "recipe" ? v : markSecrets(v, secrets)]);
    return Object.fromEntries(marked) as unknown as LabOutputs;
}

/**
 * Creates every Namespace of the lab through `provider`, which refuses one that exists already: the lab
 * creates (and `pulumi destroy` deletes) only the namespaces it made.
 */
function createNamespacesOnly(provider: pulumi.ProviderResource): void {
    pulumi.runtime.registerStackTransformation((args) =>
        args.type === NAMESPACE_TYPE ? { props: args.props, opts: pulumi.mergeOptions(args.opts, { provider }) } : undefined,
    );
}

/** Puts `pulumi.com/timeoutSeconds` beside every `pulumi.com/waitFor` the stages write. */
function limitWaits(seconds: number): void {
    pulumi.runtime.registerStackTransformation((args) => {
        const metadata = args.props.metadata as { annotations?: Record<string, unknown> } | undefined;
        if (metadata?.annotations === undefined || !(WAIT_FOR in metadata.annotations)) {
            return undefined;
        }
        const annotations = { ...metadata.annotations, [TIMEOUT_SECONDS]: String(seconds) };
        return { props: { ...args.props, metadata: { ...metadata, annotations } }, opts: args.opts };
    });
}

/**
 * Builds the stages `config.stages` selects, in lab order, each waiting for what it builds on:
 * operators, then the control plane, then the apps, then the Istio objects that route to them.
 */
export function buildLab(config: LabConfig): LabOutputs {
    if (config.waitTimeoutSeconds !== undefined) {
        limitWaits(config.waitTimeoutSeconds);
    }
    keepSecrets(config.secrets);
    createNamespacesOnly(namespaceProvider("lab-namespaces"));
    const labId = new random.RandomString("lab-id", { length: 8, special: false, upper: false });
    const x = labContext(config, { [LAB_ID_LABEL]: labId.result });

    const operators = operatorsStage(x);
    const crds = gatewayApiCrdsStage(x, operators?.ready ?? []);
    const controlPlane = controlPlaneStage(x, [...(operators?.ready ?? []), ...(crds?.ready ?? [])]);
    const meshReady = controlPlane?.ready ?? [...(operators?.ready ?? []), ...(crds?.ready ?? [])];
    const guestbook = guestbookStage(x, meshReady);
    const mtlsLab = mtlsLabStage(x, meshReady);
    const gateway = gatewayStage(x, guestbook, controlPlane, meshReady);
    const traffic = trafficStage(x, guestbook, gateway, meshReady);
    const attendees = attendeesStage(x, controlPlane, gateway, meshReady);
    const peerAuth = peerAuthStage(x, guestbook, attendees, mtlsLab, meshReady);
    return labOutputs(x, { labId, gateway, traffic, attendees, peerAuth });
}

/** What every stage reads: the checked config and what follows from it. */
interface LabContext {
    readonly config: LabConfig;
    readonly has: (stage: LabConfig["stages"][number]) => boolean;
    readonly platform: LabConfig["platform"];
    readonly flavor: LabConfig["controlPlane"]["flavor"];
    readonly apis: ReturnType<typeof istioApisFor>;
    readonly rootNamespace: string;
    /** The lab id's label on every namespace the lab creates. */
    readonly namespaceLabels: Record<string, pulumi.Output<string>>;
    readonly classroom: LabConfig["attendees"];
    /** How a class's namespaces join OSSM 2: the member roll, or one ServiceMeshMember each past MEMBER_ROLL_LIMIT. */
    readonly membership: "serviceMeshMember" | "memberRoll";
    /** Member namespaces (OSSM 2's member roll): the ones whose workloads get sidecars; `legacy` stays out. */
    readonly members: string[];
}

function labContext(config: LabConfig, namespaceLabels: Record<string, pulumi.Output<string>>): LabContext {
    const has = (stage: LabConfig["stages"][number]) => config.stages.includes(stage);
    const flavor = config.controlPlane.flavor;
    const classroom = config.attendees;
    // A large class joins OSSM 2 one ServiceMeshMember per namespace, sparing the member roll's webhook.
    const membership = classroom && classroom.length > MEMBER_ROLL_LIMIT ? "serviceMeshMember" : "memberRoll";
    // Member namespaces (OSSM 2's member roll): the ones whose workloads get sidecars; `legacy` stays out.
    const guestbookNamespaces = classroom ? classroom.map((a) => a.namespace) : [config.guestbook.namespace];
    const members = [
        ...(has("guestbook") && membership === "memberRoll" ? guestbookNamespaces : []),
        ...(has("mtlsLab") ? config.mtlsLab.sidecarNamespaces : []),
    ];
    return {
        config,
        has,
        platform: config.platform,
        flavor,
        apis: istioApisFor(flavor),
        rootNamespace: config.controlPlane.namespace,
        namespaceLabels,
        classroom,
        membership,
        members,
    };
}

/** Stage 1 (OpenShift): the operators from OperatorHub. */
function operatorsStage(x: LabContext): OperatorStack | undefined {
    const { config, has, flavor, namespaceLabels } = x;
    return has("operators")
        ? new OperatorStack("operators", {
              operators: operatorsFor(flavor, config.tracing),
              overrides: config.operators.overrides,
              source: config.operators.source,
              sourceNamespace: config.operators.sourceNamespace,
              installPlanApproval: config.operators.installPlanApproval,
              namespaceLabels,
          })
        : undefined;
}

/** The Gateway API CRDs, first where the lab installs them (Istio's Getting Started installs them before Istio). */
function gatewayApiCrdsStage(x: LabContext, requires: pulumi.Resource[]): GatewayApiCrds | undefined {
    const { config, has } = x;
    return config.gatewayApiCrds?.kind === "install" && (has("controlPlane") || has("gateway"))
        ? new GatewayApiCrds("gateway-api-crds", {
              file: config.gatewayApiCrds.file,
              release: config.gatewayApiCrds.release,
              requires,
          })
        : undefined;
}

/** Stage 2: the control plane. */
function controlPlaneStage(x: LabContext, requires: pulumi.Resource[]): ControlPlane | undefined {
    const { config, has, platform, flavor, rootNamespace, namespaceLabels, members } = x;
    return has("controlPlane")
        ? new ControlPlane("control-plane", {
              platform,
              flavor,
              namespace: rootNamespace,
              members: flavor === "ossm2" ? members : [],
              tracing: config.tracing,
              serviceType: config.gateway.serviceType,
              sailVersion: config.controlPlane.sailVersion,
              sailChartRepo: config.controlPlane.sailChartRepo,
              kiali: has("operators"),
              version: config.controlPlane.version,
              istioVersion: config.controlPlane.istioVersion,
              chartRepo: config.controlPlane.chartRepo,
              values: config.controlPlane.values,
              namespaceLabels,
              ingress: config.trafficApi === "istio",
              dataplane: config.dataplane,
              requires,
          })
        : undefined;
}

/** Stage 3: the guestbook (one lab; a class's are its attendees'). */
function guestbookStage(x: LabContext, meshReady: pulumi.Resource[]): Guestbook | undefined {
    const { config, has, platform, flavor, rootNamespace, namespaceLabels, classroom } = x;
    return has("guestbook") && !classroom
        ? new Guestbook("guestbook", {
              platform,
              flavor,
              namespace: config.guestbook.namespace,
              versionServices: config.trafficApi === "gatewayApi",
              dataplane: config.dataplane,
              waypoint: wantsWaypoint(config.dataplane, config.stages, config),
              versions: config.guestbook.versions,
              serviceType: config.guestbook.serviceType,
              redisMasterImage: config.guestbook.redisMasterImage,
              redisSlaveImage: config.guestbook.redisSlaveImage,
              redisSlaveReplicas: config.guestbook.redisSlaveReplicas,
              controlPlaneNamespace: rootNamespace,
              namespaceLabels,
              requires: meshReady,
          })
        : undefined;
}

/** The peer authentication lab's workloads. */
function mtlsLabStage(x: LabContext, meshReady: pulumi.Resource[]): MtlsLab | undefined {
    const { config, has, platform, flavor, rootNamespace, namespaceLabels } = x;
    return has("mtlsLab")
        ? new MtlsLab("mtls-lab", {
              platform,
              flavor,
              sidecarNamespaces: config.mtlsLab.sidecarNamespaces,
              plainNamespaces: config.mtlsLab.plainNamespaces,
              httpbinImage: config.mtlsLab.httpbinImage,
              sleepImage: config.mtlsLab.sleepImage,
              httpbinPort: config.mtlsLab.httpbinPort,
              dataplane: config.dataplane,
              controlPlaneNamespace: rootNamespace,
              namespaceLabels,
              requires: meshReady,
          })
        : undefined;
}

/** Stage 4: the gateway (a classroom's is shared). */
function gatewayStage(
    x: LabContext,
    guestbook: Guestbook | undefined,
    controlPlane: ControlPlane | undefined,
    meshReady: pulumi.Resource[],
): Gateway | undefined {
    const { config, has, platform, apis, rootNamespace, classroom } = x;
    // A classroom shares one Gateway in the control plane namespace: a wildcard host (`*.<domain>`, or `*`
    // with path prefixes) that every attendee's VirtualService binds to, so adding an attendee changes nothing shared.
    const domain = classroom ? config.gateway.domain : undefined;
    return has("gateway") && (guestbook || classroom)
        ? new Gateway("gateway", {
              platform,
              namespace: guestbook ? guestbook.namespace : rootNamespace,
              name: config.gateway.name,
              selector: { ...config.gateway.selector },
              port: config.gateway.port,
              hosts: gatewayHosts(config.gateway.hosts, domain),
              route: domain === undefined,
              ingressNamespace: controlPlane?.ingressNamespace ?? rootNamespace,
              ingressCreated: controlPlane?.ingressCreated,
              routeHost: config.gateway.routeHost,
              tls: config.gateway.tls,
              serviceType: config.gateway.serviceType,
              apis,
              api: config.trafficApi,
              requires: meshReady,
          })
        : undefined;
}

/** Stage 5: the traffic policy (one lab's; a class's attendees have theirs). */
function trafficStage(
    x: LabContext,
    guestbook: Guestbook | undefined,
    gateway: Gateway | undefined,
    meshReady: pulumi.Resource[],
): TrafficPolicy | undefined {
    const { config, has, apis } = x;
    return has("traffic") && guestbook && gateway
        ? new TrafficPolicy("traffic", {
              namespace: guestbook.namespace,
              subsets: subsetsOf(guestbook.versions),
              canaryWeight: config.canaryWeight,
              abTest: config.abTest,
              circuitBreaker: config.circuitBreaker,
              routing: config.routing,
              clientTls: config.clientTls,
              replicas: guestbook.versions.map((v) => v.replicas),
              apis,
              gatewayApiParents: config.trafficApi === "gatewayApi" ? gateway.routeParents : undefined,
              gateway: gateway.gatewayName,
              hosts: [...config.gateway.hosts],
              requires: [...meshReady, gateway.gateway],
          })
        : undefined;
}

/** A classroom: each attendee's own guestbook, routes and access. */
function attendeesStage(
    x: LabContext,
    controlPlane: ControlPlane | undefined,
    gateway: Gateway | undefined,
    meshReady: pulumi.Resource[],
): Attendee[] {
    const { config, has, platform, flavor, apis, rootNamespace, namespaceLabels, classroom, membership } = x;
    const domain = classroom ? config.gateway.domain : undefined;
    return (has("guestbook") ? (classroom ?? []) : []).map(
        (a) =>
            new Attendee(`attendee-${a.name}`, {
                platform,
                flavor,
                attendee: a.name,
                namespace: a.namespace,
                versions: config.guestbook.versions,
                guestbook: {
                    serviceType: config.guestbook.serviceType,
                    redisMasterImage: config.guestbook.redisMasterImage,
                    redisSlaveImage: config.guestbook.redisSlaveImage,
                    redisSlaveReplicas: config.guestbook.redisSlaveReplicas,
                },
                traffic: a,
                routes: has("traffic") && gateway !== undefined,
                gateway: `${rootNamespace}/${config.gateway.name}`,
                gatewayObject: gateway?.gateway,
                host: domain ? `${a.name}.${domain}` : undefined,
                tls: servesHttps(config.gateway.tls),
                dataplane: config.dataplane,
                waypoint: wantsWaypoint(config.dataplane, config.stages, a),
                route:
                    platform === "openshift" && domain
                        ? {
                              ingressNamespace: controlPlane?.ingressNamespace ?? rootNamespace,
                              ingressService: gateway?.ingressService ?? "istio-ingressgateway",
                              targetPorts: gateway?.ingressPorts,
                          }
                        : undefined,
                classUrl: gateway ? gateway.url : "",
                membership,
                controlPlaneNamespace: rootNamespace,
                namespaceLabels,
                apis,
                requires: meshReady,
                access: config.access ? { ...config.access, ingressNamespace: rootNamespace } : undefined,
                gatewayApiParents: config.trafficApi === "gatewayApi" ? gateway?.routeParents : undefined,
            }),
    );
}

/** Stage 6: peer authentication. */
function peerAuthStage(
    x: LabContext,
    guestbook: Guestbook | undefined,
    attendees: Attendee[],
    mtlsLab: MtlsLab | undefined,
    meshReady: pulumi.Resource[],
): PeerAuth | undefined {
    const { config, has, apis, rootNamespace } = x;
    return has("peerAuth")
        ? new PeerAuth("peer-auth", {
              policies: config.peerAuth,
              rootNamespace,
              services: labServices(config),
              apis,
              // Policies go in after the namespaces they live in: each after its own, a mesh-wide one after all.
              requires: meshReady,
              requiresIn: namespaceCreators(config, guestbook, attendees, mtlsLab),
          })
        : undefined;
}

/** The stack's outputs. */
function labOutputs(
    x: LabContext,
    made: {
        labId: random.RandomString;
        gateway: Gateway | undefined;
        traffic: TrafficPolicy | undefined;
        attendees: Attendee[];
        peerAuth: PeerAuth | undefined;
    },
): LabOutputs {
    const { config, has, classroom } = x;
    const { labId, gateway, traffic, attendees, peerAuth } = made;
    return secretOutputs(config.secrets, {
        recipe: config.recipe,
        labUrl: gateway ? gateway.url : pulumi.output(null),
        trafficSplit: traffic
            ? pulumi.all([traffic.split, traffic.abTest]).apply(([weights, abTest]) => ({ weights, abTest }))
            : classroom && has("traffic")
              ? pulumi.output({
                    // The class's default; each attendee's own is in `attendees`.
                    weights: trafficSplit(
                        subsetsOf(config.guestbook.versions),
                        config.canaryWeight,
                        config.routing,
                        config.guestbook.versions.map((v) => v.replicas),
                    ),
                    abTest: config.abTest ?? null,
                })
              : pulumi.output(null),
        mtlsPolicies: peerAuth ? peerAuth.policies : pulumi.output([]),
        namespaces: pulumi.output(labNamespaces(config).map((n) => n.namespace)),
        labId: labId.result,
        caCert: gateway ? gateway.caCertificate : pulumi.output(null),
        attendees: classroom
            ? pulumi.all(
                  attendees.map((a, i) =>
                      pulumi.all([a.namespace, a.url, a.split]).apply(([namespace, url, weights]) => ({
                          attendee: classroom[i].name,
                          namespace,
                          url,
                          weights,
                          ...(a.subject !== null ? { access: { subject: a.subject, owns: attendeeOwns(config.trafficApi) } } : {}),
                      })),
                  ),
              )
            : pulumi.output(null),
        attendeeTokens:
            classroom && config.access?.mode.kind === "serviceAccount"
                ? pulumi.secret(
                      pulumi.all(
                          attendees.map((a, i) =>
                              pulumi.all([a.namespace, a.token]).apply(([namespace, token]) => ({
                                  attendee: classroom[i].name,
                                  namespace,
                                  token: token ?? "",
                              })),
                          ),
                      ),
                  )
                : pulumi.output(null),
    });
}
