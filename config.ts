// The one module that reads `istio-lab:` configuration. It turns the raw strings Pulumi hands the
// program into one typed, defaulted and checked LabConfig, and throws a LabInputError naming the key,
// the value and what is allowed before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { existsSync } from "fs";
import * as path from "path";
import { z } from "zod";
import {
    ISTIO_CHART_REPO,
    ISTIO_CNI_NAMESPACE,
    SAIL_CHART_REPO,
    SAIL_OPERATOR_NAMESPACE,
    checkControlPlaneValues,
    checkValuesContract,
    retiredChartMessage,
    retiredChartSource,
} from "./components/controlPlane";
import {
    DEFAULT_SAIL_VERSION,
    DEFAULT_SMCP_VERSION,
    OSSM3_RELEASES,
    SAIL_RELEASES,
    SMCP_VERSIONS,
    VERSIONS_CHECKED,
    defaultIstioVersion,
    ossm3Release,
    sailIstio,
    sailRelease,
    upstreamIstio,
} from "./components/versions";
import {
    DEFAULT_TLS_HOST,
    GATEWAY_SERVICE_TYPES,
    certificateNames,
    GATEWAY_TLS_ALLOWED,
    GatewayServiceType,
    GatewayTls,
    checkGatewayTls,
    gatewayHosts,
    issuerWithoutHost,
} from "./components/gateway";
import { checkPort } from "./components/gateway";
import { GuestbookVersion, LAB_GUESTBOOK_VERSIONS, checkVersions, guestbookServices } from "./components/guestbook";
import {
    DNS1123_ALLOWED,
    FLAVORS,
    Flavor,
    HOST_ALLOWED,
    IMAGE_ALLOWED,
    INT32_MAX,
    LABEL_VALUE_ALLOWED,
    LabInputError,
    MTLS_MODES,
    PEER_AUTH_SCOPES,
    PLATFORMS,
    Platform,
    QUANTITY_ALLOWED,
    WrittenNumber,
    isDns1123Label,
    isGatewayHost,
    isImageReference,
    isLabelValue,
    isQuantity,
    isReservedNamespace,
    reject,
    reservedNamespaceAllowed,
    show,
} from "./components/lab";
import { LAB_PLAIN_NAMESPACES, LAB_SIDECAR_NAMESPACES, checkMtlsNamespaces, mtlsLabServices } from "./components/mtlsLab";
import {
    GLOBAL_OPERATORS_NAMESPACE,
    InstallPlanApproval,
    LAB_OPERATORS,
    OPERATOR_KEYS,
    OperatorKey,
    OperatorSpec,
    operatorsFor,
    resolveOperators,
} from "./components/operators";
import { LabService, PeerAuthPolicy, planPeerAuth } from "./components/peerAuth";
import { redact, secretLeaves } from "./components/secrets";
import {
    AbTest,
    CLIENT_TLS_MODES,
    CircuitBreaker,
    GuestbookClientTls,
    LAB_AB_TEST,
    ROUTINGS,
    Routing,
    checkAbTest,
    checkCircuitBreaker,
    checkRouting,
    subsetsOf,
} from "./components/traffic";
import { STAGES, Stage } from "./stacks/recipe";
import { RECIPES } from "./stacks/recipes";

/** The config namespace. */
export const NAMESPACE = "istio-lab";

/** Every `istio-lab:` setting with its defaults applied. */
export interface LabConfig {
    /** Which lab: a recipe from `stacks/`. */
    readonly recipe: string;
    /** Which platform. */
    readonly platform: Platform;
    /** The stages this lab has, in build order. */
    readonly stages: readonly Stage[];
    /** Share of guestbook traffic (integer percent) to the newest version. */
    readonly canaryWeight: number;
    /** The A/B rule, if any. */
    readonly abTest?: AbTest;
    /** The circuit breaker, if any. */
    readonly circuitBreaker?: CircuitBreaker;
    /** How the VirtualService routes: per subset, or round robin over the Service (the lab's first VirtualService). */
    readonly routing: Routing;
    /** `trafficPolicy.tls.mode` of `destination-rule-guestbook`, if any. */
    readonly clientTls?: GuestbookClientTls;
    /** Install the tracing operators (OSSM 2: Elasticsearch and Jaeger, traced by the SMCP; OSSM 3: Tempo and OpenTelemetry). */
    readonly tracing: boolean;
    /** Peer authentication policies. */
    readonly peerAuth: readonly PeerAuthPolicy[];
    /** How long the provider waits for each awaited object (`pulumi.com/timeoutSeconds`); absent, the provider's own limit. */
    readonly waitTimeoutSeconds?: number;
    /** A classroom: one guestbook lab per attendee, each with its traffic settings; absent, the one lab as before. */
    readonly attendees?: readonly AttendeeConfig[];
    /** Guestbook stage settings. */
    readonly guestbook: {
        readonly namespace: string;
        readonly versions: readonly GuestbookVersion[];
        readonly serviceType: "ClusterIP" | "LoadBalancer";
        readonly redisMasterImage: string;
        readonly redisSlaveImage: string;
        readonly redisSlaveReplicas: number;
    };
    /** Gateway stage settings. */
    readonly gateway: {
        readonly name: string;
        readonly selector: Readonly<Record<string, string>>;
        readonly port: number;
        readonly hosts: readonly string[];
        readonly routeHost?: string;
        readonly tls: GatewayTls;
        readonly serviceType: GatewayServiceType;
        readonly domain?: string;
    };
    /** Control plane stage settings. */
    readonly controlPlane: {
        readonly flavor: Flavor;
        readonly namespace: string;
        readonly version: string;
        readonly istioVersion: string;
        readonly chartRepo: string;
        readonly values: Readonly<Record<string, unknown>>;
        readonly sailVersion: string;
        readonly sailChartRepo: string;
    };
    /** Operator stage settings. */
    readonly operators: {
        readonly installPlanApproval: InstallPlanApproval;
        readonly source: string;
        readonly sourceNamespace: string;
        readonly overrides: Partial<Record<OperatorKey, Partial<OperatorSpec>>>;
    };
    /** Peer authentication lab workloads' settings. */
    readonly mtlsLab: {
        readonly sidecarNamespaces: readonly string[];
        readonly plainNamespaces: readonly string[];
        readonly httpbinImage: string;
        readonly sleepImage: string;
    };
    /** Settings made for a stage this lab does not have, which Pulumi prints as warnings and `lab validate` reports. */
    readonly ignored: ReadonlyArray<{ readonly key: string; readonly message: string }>;
    /** The leaves of the values the stack marks secret: whatever carries one is secret in state, diffs and messages. */
    readonly secrets: ReadonlyArray<string | number>;
    /** Settings that work today but are known to stop working (a retired chart location), warned about the same way. */
    readonly warnings: ReadonlyArray<{ readonly key: string; readonly message: string }>;
}

/** The traffic settings one attendee's lab has: the class's, with the attendee's overrides on top. */
export interface AttendeeConfig {
    /** Attendee name (`user7`), a DNS-1123 label. */
    readonly name: string;
    /** The attendee's guestbook namespace: `<guestbook namespace>-<name>`. */
    readonly namespace: string;
    /** Share of traffic to the newest version. */
    readonly canaryWeight: number;
    /** The A/B rule, if any. */
    readonly abTest?: AbTest;
    /** Routing mode. */
    readonly routing: Routing;
    /** Client TLS on the attendee's DestinationRule, if any. */
    readonly clientTls?: GuestbookClientTls;
    /** The circuit breaker, if any. */
    readonly circuitBreaker?: CircuitBreaker;
}

/** The settings an attendee may override: the traffic stage's. */
export const ATTENDEE_SETTINGS = ["canaryWeight", "abTest", "routing", "clientTls", "circuitBreaker"] as const;

/** The largest class: beyond it a workshop wants a second cluster. */
export const MAX_ATTENDEES = 500;

/** One documented config key: what `Pulumi.yaml` declares and the README's table lists. */
export interface ConfigKeyDoc {
    /** Key without the namespace. */
    readonly key: string;
    /** Pulumi config type (`string`, `integer`, `boolean`, `array`, `object`). */
    readonly type: "string" | "integer" | "boolean" | "array" | "object";
    /** Default, as the README shows it. */
    readonly default: string;
    /** What it does. */
    readonly description: string;
}

/** Every config key, documented; `Pulumi.yaml` and README.md are kept in agreement with it by a test. */
export const CONFIG_KEYS: readonly ConfigKeyDoc[] = [
    {
        key: "recipe",
        type: "string",
        default: "same as `platform`",
        description: "Which lab: `kubernetes`, `openshift` or `peer-auth` (a recipe in `stacks/`).",
    },
    {
        key: "platform",
        type: "string",
        default: "`kubernetes` (`openshift` for the openshift recipe)",
        description:
            "`kubernetes` (upstream Istio: Helm charts or the Sail operator) or `openshift` (OpenShift Service Mesh 3 or 2 from OperatorHub); `controlPlane.flavor` picks which.",
    },
    {
        key: "stages",
        type: "array",
        default:
            "the recipe's: openshift all but `mtlsLab`; kubernetes all but `operators`, `mtlsLab`; peer-auth `controlPlane`, `mtlsLab`, `peerAuth` (plus `operators` on openshift)",
        description: "Stages the lab has: `operators`, `controlPlane`, `guestbook`, `gateway`, `traffic`, `peerAuth`, `mtlsLab`.",
    },
    {
        key: "canaryWeight",
        type: "integer",
        default: "`0`",
        description: "Percent of guestbook traffic to the newest version (0 all-v1, 20 the 80/20 canary, 100 all-v2).",
    },
    {
        key: "abTest",
        type: "object",
        default: "none",
        description:
            "`{header, regex}`: matching requests go to the newest version first; `{}` is the lab's Firefox rule (`user-agent`, `.*Firefox.*`).",
    },
    {
        key: "circuitBreaker",
        type: "object",
        default: "none",
        description:
            "`{maxConnections, http1MaxPendingRequests, maxRequestsPerConnection, consecutive5xxErrors, interval, baseEjectionTime, maxEjectionPercent, subset}`; `{}` is the Istio task's values (1, 1, 1, 1, `1s`, `3m`, 100) on the whole service.",
    },
    {
        key: "routing",
        type: "string",
        default: "`weighted`",
        description:
            "`weighted` (each route names a subset: the canary and A/B states) or `roundRobin` (the lab's first VirtualService, `guestbook-gateway.yaml`: one route to the `guestbook` Service, no subset).",
    },
    {
        key: "clientTls",
        type: "string",
        default: "none",
        description:
            "`ISTIO_MUTUAL` or `DISABLE`: `trafficPolicy.tls.mode` of `destination-rule-guestbook` (the lab's `destination-rule-all-mtls.yaml`); absent, the rule sets no TLS.",
    },
    {
        key: "tracing",
        type: "boolean",
        default: "`false`",
        description:
            "Install tracing: OSSM 2, the lab's Elasticsearch and Jaeger operators (four Subscriptions in the lab's order) and Jaeger in the SMCP; OSSM 3, the Tempo and OpenTelemetry operators. Off by default: the Jaeger operator left the catalog on 2025-11-03.",
    },
    {
        key: "waitTimeoutSeconds",
        type: "integer",
        default: "none (the provider's: 10 minutes for a custom resource)",
        description:
            "Seconds the Kubernetes provider waits for each object the lab awaits (a Subscription's install, a control plane's Ready, a namespace joining the mesh, a Certificate) before `pulumi up` fails naming it: `pulumi.com/timeoutSeconds` beside every `pulumi.com/waitFor`. From 1 to 86400.",
    },
    {
        key: "attendees",
        type: "object",
        default: "none (one lab)",
        description:
            "A classroom: a count from 1 to 500 (attendees `user1` to `userN`) or a list of distinct names. Each attendee gets the guestbook, its routing and their own host or path in namespace `<guestbook.namespace>-<attendee>`; operators, control plane, ingress gateway and the class's Gateway are shared. Absent, the one lab as before.",
    },
    {
        key: "attendeeOverrides",
        type: "object",
        default: "none",
        description:
            '`{<attendee>: {canaryWeight, abTest, routing, clientTls, circuitBreaker}}`: one attendee\'s own traffic settings, e.g. `pulumi config set --path "istio-lab:attendeeOverrides.user7.canaryWeight" 50`.',
    },
    {
        key: "peerAuth",
        type: "array",
        default: '`[{"mode": "STRICT", "scope": "mesh"}]`',
        description:
            "Policies `{mode, scope, namespace?, selector?, portLevelMtls?, destinationRule?, name?}`; modes STRICT, PERMISSIVE, DISABLE, UNSET; scopes mesh, namespace, workload, port; `destinationRule` is `true`, `false` or `{name, namespace, host}` (the rule under other names, e.g. the lab's `workload-destination-rule-httpbin-foo`).",
    },
    {
        key: "guestbook",
        type: "object",
        default:
            '`{namespace: guestbook, versions: [v1 ibmcom/guestbook:v1 x3 "1.0", v2 ibmcom/guestbook:v2 x3 "2.0"], serviceType: ClusterIP, redisMasterImage: redis:3.2.9, redisSlaveImage: ibmcom/guestbook-redis-slave:v2, redisSlaveReplicas: 2}`',
        description: "Guestbook app settings; `versions` entries are `{name, image, replicas, version, requests?}`, oldest first.",
    },
    {
        key: "gateway",
        type: "object",
        default:
            '`{name: guestbook-gateway, selector: {istio: ingressgateway}, port: 80, hosts: ["*"], tls: true, serviceType: LoadBalancer}` (`serviceType: ClusterIP` on OpenShift)',
        description:
            "Gateway settings, plus `routeHost` for the OpenShift Route (default: assigned by OpenShift). `domain` gives a classroom's attendees their own hosts (`<attendee>.<domain>`, under one wildcard certificate); without it each gets the path `/<attendee>/`. `serviceType` (`LoadBalancer`, `NodePort`, `ClusterIP`) exposes the ingress gateway's Service: use `NodePort` or `ClusterIP` where no load balancer answers (kind, minikube, k3d), and `labUrl` says how to reach it. `tls`: HTTPS on 443 and port 80 redirecting to it, with `true` a generated lab CA (stack output `caCert`; the certificate names the concrete hosts and `routeHost`, else `guestbook.istio-lab.local`), `{credentialName}` an existing `kubernetes.io/tls` Secret in the ingress gateway's namespace, or `{issuer: {name, kind}}` a cert-manager `Certificate` from a `ClusterIssuer` or `Issuer`; `false` plain HTTP (see Certificates).",
    },
    {
        key: "controlPlane",
        type: "object",
        default: `\`{flavor: helm (ossm3 on OpenShift), namespace: istio-system, version: ${DEFAULT_SMCP_VERSION}, istioVersion: the newest the flavour runs (helm ${defaultIstioVersion("helm")}, sail ${defaultIstioVersion("sail")}, ossm3 ${defaultIstioVersion("ossm3")}), chartRepo: ${ISTIO_CHART_REPO}, values: {}, sailVersion: ${DEFAULT_SAIL_VERSION}, sailChartRepo: ${SAIL_CHART_REPO}}\``,
        description:
            "Control plane settings: `flavor` is `helm` or `sail` on Kubernetes, `ossm3` or `ossm2` on OpenShift; `version` is the SMCP version (`ossm2`, v2.0 to v2.6), `istioVersion` the Istio of `helm` (a supported upstream release), `sail` (one the chosen Sail operator installs) and `ossm3` (the one the operator channel ships), each listed in the README's version table; `chartRepo` is where `helm` gets its charts: a Helm repository (`https://`), an OCI registry (`oci://`, e.g. `oci://ghcr.io/istio/release/charts`) or a local directory holding the `base`, `istiod` and `gateway` charts (the retired `istio-release.storage.googleapis.com` is flagged); `sailVersion`/`sailChartRepo` the Sail operator's chart. `values`, the one escape hatch, is merged into istiod's Helm values (Kubernetes) or the ServiceMeshControlPlane spec (OpenShift), e.g. `{global: {proxy: {privileged: true}}}` for the tcpdump steps.",
    },
    {
        key: "operators",
        type: "object",
        default:
            "`{installPlanApproval: Automatic, source: redhat-operators, sourceNamespace: openshift-marketplace}` and the lab's packages, channels and namespaces",
        description:
            "Operator settings; `elasticsearch`, `jaeger`, `tempo`, `openTelemetry`, `kiali`, `serviceMesh` (OSSM 2), `serviceMesh3` (OSSM 3, package `servicemeshoperator3`) each take `{package, channel, namespace}` overrides.",
    },
    {
        key: "mtlsLab",
        type: "object",
        default:
            "`{sidecarNamespaces: [foo, bar], plainNamespaces: [legacy], httpbinImage: docker.io/kennethreitz/httpbin, sleepImage: curlimages/curl}`",
        description: "Peer authentication lab workloads' settings.",
    },
];

// ---- shape checks (zod): each schema carries the words for "what is allowed" -------------------

const chartRepoAllowed = (charts: string) =>
    `a Helm repository URL (https://...), an OCI registry (oci://...) or an existing local directory holding ${charts}`;
const CHART_REPO_ALLOWED = chartRepoAllowed("the base, istiod and gateway charts");

const allowed = (text: string) => ({ errorMap: () => ({ message: text }) });
const oneOf = <T extends string>(values: readonly T[]) => z.enum(values as unknown as [T, ...T[]], allowed(`one of ${values.join(", ")}`));
const int = (min: number, max?: number) => {
    const text = max === undefined ? `an integer of ${min} or more` : `an integer from ${min} to ${max}`;
    const schema = z.number(allowed(text)).int(text).min(min, text);
    return max === undefined ? schema : schema.max(max, text);
};
const text = (what = "a non-empty string") => z.string(allowed(what)).min(1, what);
const bool = z.boolean(allowed("true or false"));
const dnsLabel = z.string(allowed(DNS1123_ALLOWED)).refine(isDns1123Label, DNS1123_ALLOWED);
const labels = z.record(z.string(allowed("a string label value")), allowed('labels, e.g. {"app": "httpbin"}'));
const obj = <S extends z.ZodRawShape>(shape: S) =>
    z.object(shape, allowed(`an object with keys ${Object.keys(shape).join(", ")}`)).strict();
const list = <T extends z.ZodTypeAny>(item: T, what: string) => z.array(item, allowed(what));

/** A string with something in it besides spaces. */
const nonBlank = (what: string) => z.string(allowed(what)).refine((v) => v.trim() !== "", `${what} (not blank)`);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const isDnsSubdomain = (v: string) => v.length <= 253 && DNS_SUBDOMAIN.test(v);
const CATALOG_SOURCE_ALLOWED = 'a CatalogSource name such as "redhat-operators" (a DNS-1123 subdomain, not blank)';
const mode = oneOf(MTLS_MODES);
const image = text().refine(isImageReference, IMAGE_ALLOWED);
const host = text(HOST_ALLOWED).refine(isGatewayHost, HOST_ALLOWED);
const int32 = (min: number) => int(min, INT32_MAX);
const quantity = text(QUANTITY_ALLOWED).refine(isQuantity, QUANTITY_ALLOWED);
const abTestSchema = obj({ header: text(), regex: text() }).partial();
const circuitBreakerSchema = obj({
    maxConnections: int32(1),
    http1MaxPendingRequests: int32(1),
    maxRequestsPerConnection: int32(1),
    consecutive5xxErrors: int32(1),
    interval: text(),
    baseEjectionTime: text(),
    maxEjectionPercent: int(0, 100),
    subset: text(),
}).partial();
const ATTENDEES_ALLOWED = `a count from 1 to ${MAX_ATTENDEES} (attendees user1 to userN) or a list of distinct names (DNS-1123 labels)`;
const schema = {
    recipe: oneOf(Object.keys(RECIPES)),
    platform: oneOf(PLATFORMS),
    stages: list(oneOf(STAGES), `a list of ${STAGES.join(", ")}`),
    canaryWeight: int(0, 100),
    routing: oneOf(ROUTINGS),
    clientTls: oneOf(CLIENT_TLS_MODES),
    tracing: bool,
    waitTimeoutSeconds: int(1, 86400),
    abTest: abTestSchema,
    circuitBreaker: circuitBreakerSchema,
    attendees: z.union(
        [
            z.number(allowed(ATTENDEES_ALLOWED)).int(ATTENDEES_ALLOWED).min(1, ATTENDEES_ALLOWED).max(MAX_ATTENDEES, ATTENDEES_ALLOWED),
            list(dnsLabel, ATTENDEES_ALLOWED).min(1, ATTENDEES_ALLOWED),
        ],
        allowed(ATTENDEES_ALLOWED),
    ),
    attendeeOverrides: z.record(
        obj({
            canaryWeight: int(0, 100),
            abTest: abTestSchema,
            routing: oneOf(ROUTINGS),
            clientTls: oneOf(CLIENT_TLS_MODES),
            circuitBreaker: circuitBreakerSchema,
        }).partial(),
        allowed('per-attendee settings, e.g. {"user7": {"canaryWeight": 50}}'),
    ),
    peerAuth: list(
        obj({
            mode,
            scope: oneOf(PEER_AUTH_SCOPES),
            namespace: dnsLabel.optional(),
            selector: labels.optional(),
            portLevelMtls: z
                .record(obj({ mode }), allowed('container ports with their modes, e.g. {"80": {"mode": "DISABLE"}}'))
                .optional(),
            destinationRule: z
                .union(
                    [bool, obj({ name: dnsLabel, namespace: dnsLabel, host }).partial()],
                    allowed("true, false or {name, namespace, host}"),
                )
                .optional(),
            name: dnsLabel.optional(),
        }),
        "a list of policies {mode, scope, namespace?, selector?, portLevelMtls?, destinationRule?, name?}",
    ),
    guestbook: obj({
        namespace: dnsLabel,
        versions: list(
            obj({
                name: text(),
                image,
                replicas: int32(0),
                version: text(LABEL_VALUE_ALLOWED).refine(isLabelValue, LABEL_VALUE_ALLOWED),
                requests: obj({ cpu: quantity, memory: quantity }).partial().optional(),
            }),
            "a list of versions {name, image, replicas, version, requests?}, oldest first",
        ),
        serviceType: oneOf(["ClusterIP", "LoadBalancer"] as const),
        redisMasterImage: image,
        redisSlaveImage: image,
        redisSlaveReplicas: int32(0),
    }).partial(),
    gateway: obj({
        name: dnsLabel,
        selector: labels.refine(
            (l) => Object.keys(l).length > 0,
            'at least one label of the ingress gateway pods, e.g. {"istio": "ingressgateway"}',
        ),
        port: int(1, 65535),
        hosts: list(host, 'a list of hosts, e.g. ["*"]').min(1, 'a list of at least one host, e.g. ["*"]'),
        routeHost: text("a DNS name").refine(
            (h) => !h.includes("*") && isGatewayHost(h),
            "a DNS name without a wildcard (the OpenShift Route's host; a wildcard Route needs a wildcard policy the lab does not set)",
        ),
        tls: z.union([bool, z.record(z.unknown())], allowed(GATEWAY_TLS_ALLOWED)),
        serviceType: oneOf(GATEWAY_SERVICE_TYPES),
        domain: text("a DNS domain").refine((d) => !d.startsWith("*") && isGatewayHost(d), 'a DNS domain such as "lab.example.com"'),
    }).partial(),
    controlPlane: obj({
        flavor: oneOf(PLATFORMS.flatMap((p) => FLAVORS[p])),
        namespace: dnsLabel,
        version: z
            .string(allowed('a ServiceMeshControlPlane version such as "v2.6"'))
            .regex(/^v2\.[0-9]+$/, 'a ServiceMeshControlPlane version such as "v2.6"'),
        istioVersion: z
            .string(allowed('an Istio release such as "1.30.3"'))
            .regex(/^[0-9]+\.[0-9]+\.[0-9]+$/, 'an Istio release such as "1.30.3"'),
        chartRepo: text(CHART_REPO_ALLOWED),
        values: z.record(
            z.unknown(),
            allowed("an object of Helm values (Kubernetes, OSSM 3) or ServiceMeshControlPlane spec fields (OSSM 2)"),
        ),
        sailVersion: z
            .string(allowed('a Sail operator release such as "1.31.2"'))
            .regex(/^[0-9]+\.[0-9]+\.[0-9]+$/, 'a Sail operator release such as "1.31.2"'),
        sailChartRepo: text(CHART_REPO_ALLOWED),
    }).partial(),
    operators: obj({
        installPlanApproval: oneOf(["Automatic", "Manual"] as const),
        source: z.string(allowed(CATALOG_SOURCE_ALLOWED)).refine(isDnsSubdomain, CATALOG_SOURCE_ALLOWED),
        sourceNamespace: dnsLabel,
        ...Object.fromEntries(
            OPERATOR_KEYS.map((k) => [
                k,
                obj({ package: nonBlank("an OLM package name"), channel: nonBlank("an OLM channel name"), namespace: dnsLabel }).partial(),
            ]),
        ),
    }).partial(),
    mtlsLab: obj({
        sidecarNamespaces: list(dnsLabel, "a list of namespace names"),
        plainNamespaces: list(dnsLabel, "a list of namespace names"),
        httpbinImage: image,
        sleepImage: image,
    }).partial(),
};
const configSchema = z.object(schema).partial().strict();
type RawConfig = z.infer<typeof configSchema>;

function keyOf(path: ReadonlyArray<string | number>): string {
    return path.reduce<string>(
        (acc, seg, i) => (typeof seg === "number" ? `${acc}[${seg}]` : i === 0 ? `${NAMESPACE}:${seg}` : `${acc}.${seg}`),
        "",
    );
}

function valueAt(raw: unknown, path: ReadonlyArray<string | number>): unknown {
    return path.reduce<unknown>(
        (v, seg) => (v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[seg] : undefined),
        raw,
    );
}

/** Turns a zod issue into the project's one error shape. */
function describe(issue: z.ZodIssue, raw: unknown): string {
    if (issue.code === "unrecognized_keys") {
        const where = issue.path.length > 0 ? keyOf(issue.path) : NAMESPACE;
        return `${where}: key ${show(issue.keys[0])} is not allowed; expected one of ${describeKeys(issue.path)}`;
    }
    return `${keyOf(issue.path)}: ${show(valueAt(raw, issue.path))} is not allowed; expected ${issue.message}`;
}

function describeKeys(path: ReadonlyArray<string | number>): string {
    let node: z.ZodTypeAny = configSchema;
    for (const seg of path) {
        node = unwrap(node);
        if (node instanceof z.ZodObject) {
            node = (node.shape as Record<string, z.ZodTypeAny>)[seg as string];
        } else if (node instanceof z.ZodArray) {
            node = node.element as z.ZodTypeAny;
        } else if (node instanceof z.ZodRecord) {
            node = node.valueSchema as z.ZodTypeAny;
        }
    }
    node = unwrap(node);
    return node instanceof z.ZodObject ? Object.keys(node.shape as object).join(", ") : "none";
}

function unwrap(node: z.ZodTypeAny): z.ZodTypeAny {
    while (node instanceof z.ZodOptional || node instanceof z.ZodEffects) {
        node = (node instanceof z.ZodOptional ? node.unwrap() : node.innerType()) as z.ZodTypeAny;
    }
    return node;
}

/** Keys that would reach an object's prototype, refused at any depth. */
const FORBIDDEN_KEYS: readonly string[] = ["__proto__", "constructor", "prototype"];

const WRITTEN = "\u0000written-number:";

/**
 * A value as the user wrote it, for what a config string cannot carry (YAML's `.inf`, `.nan`,
 * `!!binary`): the config reads it as a {@link WrittenNumber}, which no check accepts and messages show as written.
 */
export function asWritten(text: string): string {
    return WRITTEN + text;
}

/** Marks number tokens outside strings that JSON would not keep as written (`1e999` is Infinity). */
function markUnwritableNumbers(json: string): string {
    let out = "";
    let i = 0;
    while (i < json.length) {
        const ch = json[i];
        if (ch === '"') {
            let j = i + 1;
            while (j < json.length && json[j] !== '"') {
                j += json[j] === "\\" ? 2 : 1;
            }
            out += json.slice(i, j + 1);
            i = j + 1;
            continue;
        }
        const number = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(json.slice(i));
        if (number && (i === 0 || !/[A-Za-z0-9_.]/.test(json[i - 1]))) {
            const token = number[0];
            out += Number.isFinite(Number(token)) ? token : JSON.stringify(WRITTEN + token);
            i += token.length;
            continue;
        }
        out += ch;
        i += 1;
    }
    return out;
}

/**
 * Parses one raw config string the way the Pulumi CLI stores values: JSON when it is JSON, else the
 * string. Objects come out without a prototype, so no key can reach one; numbers JSON cannot hold
 * come out as {@link WrittenNumber}.
 */
function parseValue(value: string): unknown {
    if (value.startsWith(WRITTEN)) {
        return new WrittenNumber(value.slice(WRITTEN.length));
    }
    try {
        return JSON.parse(markUnwritableNumbers(value), (_key, v: unknown) => {
            if (typeof v === "string" && v.startsWith(WRITTEN)) {
                return new WrittenNumber(v.slice(WRITTEN.length));
            }
            if (v !== null && typeof v === "object" && !Array.isArray(v)) {
                return Object.assign(Object.create(null) as Record<string, unknown>, v);
            }
            return v;
        }) as unknown;
    } catch {
        return value;
    }
}

/** The first key at any depth that would reach a prototype, with its path. */
function forbiddenKey(value: unknown, at: Array<string | number>): { path: Array<string | number>; key: string } | undefined {
    if (value === null || typeof value !== "object" || value instanceof WrittenNumber) {
        return undefined;
    }
    for (const key of Object.keys(value)) {
        if (FORBIDDEN_KEYS.includes(key)) {
            return { path: at, key };
        }
        const found = forbiddenKey((value as Record<string, unknown>)[key], [...at, Array.isArray(value) ? Number(key) : key]);
        if (found) {
            return found;
        }
    }
    return undefined;
}

/**
 * Turns raw config (`{"istio-lab:canaryWeight": "20", ...}`, as `pulumi.runtime.allConfig()` and
 * `Pulumi.<stack>.yaml` give it) into a checked {@link LabConfig}. Keys of other namespaces
 * (`kubernetes:context`) are ignored. Throws a {@link LabInputError} naming every shape problem
 * (one line each), or the first problem the values have together.
 */
export function parseConfig(all: Readonly<Record<string, string>>, secretKeys: readonly string[] = []): LabConfig {
    const raw = Object.create(null) as Record<string, unknown>;
    for (const [fullKey, value] of Object.entries(all)) {
        if (fullKey.startsWith(`${NAMESPACE}:`)) {
            raw[fullKey.slice(NAMESPACE.length + 1)] = parseValue(value);
        }
    }
    const secrets = secretKeys.filter((k) => k in all).flatMap((k) => secretLeaves(parseValue(all[k])));
    try {
        return { ...checkedConfig(raw), secrets };
    } catch (e) {
        throw e instanceof LabInputError && secrets.length > 0 ? new LabInputError(redact(e.message, secrets)) : e;
    }
}

/** The raw values, shape-checked and resolved. */
function checkedConfig(raw: Record<string, unknown>): LabConfig {
    const bad = forbiddenKey(raw, []);
    if (bad) {
        const where = bad.path.length > 0 ? keyOf(bad.path) : NAMESPACE;
        throw new LabInputError(
            `${where}: key ${show(bad.key)} is not allowed; expected a key other than ${FORBIDDEN_KEYS.join(", ")} (they would reach an object's prototype)`,
        );
    }
    const result = configSchema.safeParse(raw);
    if (!result.success) {
        // zod may report one value twice (not an integer, and out of range): one line per problem.
        throw new LabInputError([...new Set(result.error.issues.map((i) => describe(i, raw)))].join("\n"));
    }
    return resolve(result.data, raw);
}

/** Which stage each key configures; a key set for a stage the lab lacks does nothing, and is reported. */
const STAGE_OF_KEY: Readonly<Record<string, Stage>> = {
    canaryWeight: "traffic",
    abTest: "traffic",
    circuitBreaker: "traffic",
    routing: "traffic",
    clientTls: "traffic",
    tracing: "operators",
    attendees: "guestbook",
    attendeeOverrides: "traffic",
    peerAuth: "peerAuth",
    guestbook: "guestbook",
    gateway: "gateway",
    operators: "operators",
    mtlsLab: "mtlsLab",
    controlPlane: "controlPlane",
};

/** The settings that have no effect because the lab lacks their stage. */
function ignoredSettings(raw: Readonly<Record<string, unknown>>, stages: readonly Stage[]): LabConfig["ignored"] {
    const out: Array<{ key: string; message: string }> = [];
    for (const [key, value] of Object.entries(raw)) {
        const stage = STAGE_OF_KEY[key];
        if (stage === undefined || stages.includes(stage)) {
            continue;
        }
        // Fields other stages read: the control plane's namespace is the mesh's root namespace, which peer
        // authentication uses without the stage; gateway.serviceType exposes the control plane's ingress gateway.
        const usedElsewhere: readonly string[] =
            key === "controlPlane" ? ["namespace"] : key === "gateway" && stages.includes("controlPlane") ? ["serviceType"] : [];
        const partial = usedElsewhere.length > 0 && value !== null && typeof value === "object";
        const fields = partial ? Object.keys(value).filter((f) => !usedElsewhere.includes(f)) : [];
        if (partial && fields.length === 0) {
            continue;
        }
        const named = partial ? fields.map((f) => `${NAMESPACE}:${key}.${f}`).join(", ") : `${NAMESPACE}:${key}`;
        out.push({
            key: named,
            message: `${named} has no effect: this lab has no ${show(stage)} stage; add it to ${NAMESPACE}:stages or remove the setting`,
        });
    }
    return out;
}

/** The attendees' names: `user1` to `userN` for a count, else the list as given (checked distinct). */
export function attendeeNames(attendees: number | readonly string[]): string[] {
    if (typeof attendees === "number") {
        return Array.from({ length: attendees }, (_, i) => `user${i + 1}`);
    }
    const seen = new Set<string>();
    attendees.forEach((name, i) => {
        if (seen.has(name)) {
            reject(`${NAMESPACE}:attendees[${i}]`, name, `a name not listed before (${show(name)} is)`);
        }
        seen.add(name);
    });
    return [...attendees];
}

/**
 * An attendee's own `routing: roundRobin` against the class's canary weight or A/B rule: the override is
 * what the attendee set, so the message names it (not the class's key, which is fine for everyone else).
 */
function checkAttendeeRouting(name: string, own: Record<string, unknown>, ownAbTest: boolean, settings: AttendeeConfig): void {
    if (own.routing !== "roundRobin") {
        return;
    }
    const override = `${NAMESPACE}:attendeeOverrides.${name}`;
    if (settings.canaryWeight !== 0 && !("canaryWeight" in own)) {
        reject(
            `${override}.routing`,
            "roundRobin",
            `"weighted" while the class's ${NAMESPACE}:canaryWeight is ${settings.canaryWeight} (round robin takes no weight); or also set ${override}.canaryWeight to 0`,
        );
    }
    if (settings.abTest && !ownAbTest) {
        reject(
            `${override}.routing`,
            "roundRobin",
            `"weighted" while the class's ${NAMESPACE}:abTest is set (round robin takes no A/B rule); or drop the class's abTest`,
        );
    }
}

/** Each attendee's traffic settings: the class's, with the attendee's overrides on top, each checked where it is set. */
function resolveAttendees(
    given: number | readonly string[],
    overrides: NonNullable<RawConfig["attendeeOverrides"]>,
    guestbookNamespace: string,
    subsets: ReadonlyArray<{ name: string; version: string }>,
    classSettings: Omit<AttendeeConfig, "name" | "namespace">,
    stages: readonly Stage[],
    controlPlaneNamespace: string,
): AttendeeConfig[] {
    const names = attendeeNames(given);
    const known = new Set(names);
    for (const name of Object.keys(overrides)) {
        if (!known.has(name)) {
            const shown = names.length > 4 ? `${names.slice(0, 3).join(", ")}, ..., ${names[names.length - 1]}` : names.join(", ");
            reject(`${NAMESPACE}:attendeeOverrides`, name, `an attendee of this class (${shown})`);
        }
    }
    return names.map((name) => {
        const namespace = `${guestbookNamespace}-${name}`;
        if (!isDns1123Label(namespace)) {
            reject(`${NAMESPACE}:attendees`, name, `a name short enough for its namespace ${show(namespace)} to be ${DNS1123_ALLOWED}`);
        }
        if (isReservedNamespace(namespace, controlPlaneNamespace)) {
            reject(
                `${NAMESPACE}:attendees`,
                name,
                `a name whose namespace (${NAMESPACE}:guestbook.namespace ${show(guestbookNamespace)} + "-" + the name = ${show(namespace)}) is ${reservedNamespaceAllowed(controlPlaneNamespace)}`,
            );
        }
        const { abTest: ownAbTest, ...own } = overrides[name] ?? {};
        const at = (key: string) =>
            key in own || (key === "abTest" && ownAbTest) ? `${NAMESPACE}:attendeeOverrides.${name}.${key}` : `${NAMESPACE}:${key}`;
        const abTest = ownAbTest
            ? { header: ownAbTest.header ?? LAB_AB_TEST.header, regex: ownAbTest.regex ?? LAB_AB_TEST.regex }
            : classSettings.abTest;
        const settings: AttendeeConfig = { ...classSettings, ...own, abTest, name, namespace };
        if (abTest && ownAbTest) {
            checkAbTest(abTest, at("abTest"));
        }
        if (settings.circuitBreaker && own.circuitBreaker) {
            checkCircuitBreaker(settings.circuitBreaker, subsets, at("circuitBreaker"));
        }
        if (stages.includes("traffic")) {
            checkAttendeeRouting(name, own, ownAbTest !== undefined, settings);
            checkRouting(settings.routing, subsets, settings.canaryWeight, settings.abTest, at);
        }
        return settings;
    });
}

/** True when `dir` holds the charts the lab installs from it. */
function isChartDirectory(dir: string, charts: readonly string[]): boolean {
    return charts.every((chart) => existsSync(path.join(dir, chart, "Chart.yaml")));
}

/** A list for a message: every entry, or the first few and the count. */
function listed(values: readonly string[]): string {
    return values.length > 12 ? `${values.slice(0, 12).join(", ")}, ... (${values.length} in all)` : values.join(", ");
}

/**
 * Refuses a version the flavour cannot run, naming what it can (components/versions.ts, the one
 * table): OSSM 2 reconciles SMCP v2.0 to v2.6; OSSM 3 runs the Istio its channel's operator ships;
 * Sail installs the supported Istio releases in its own list; helm installs supported upstream releases.
 */
function checkFlavorVersion(cp: LabConfig["controlPlane"], ossm3Channel: string): void {
    const where = `${NAMESPACE}:controlPlane`;
    switch (cp.flavor) {
        case "ossm2":
            if (!SMCP_VERSIONS.includes(cp.version)) {
                reject(
                    `${where}.version`,
                    cp.version,
                    `a ServiceMeshControlPlane version OSSM 2.6 reconciles: ${SMCP_VERSIONS.join(", ")}`,
                );
            }
            break;
        case "ossm3": {
            const release = ossm3Release(ossm3Channel);
            if (!release) {
                reject(
                    `${NAMESPACE}:operators.serviceMesh3.channel`,
                    ossm3Channel,
                    `a servicemeshoperator3 channel whose Istio the lab can run: ${OSSM3_RELEASES.flatMap((r) => r.channels).join(", ")}`,
                );
            }
            // Unset, istioVersion is what the channel ships: checking it always costs nothing.
            if (!release.istio.includes(cp.istioVersion)) {
                reject(
                    `${where}.istioVersion`,
                    cp.istioVersion,
                    `the Istio release OSSM ${release.operator} (channel ${JSON.stringify(ossm3Channel)}) ships: ${release.istio.join(", ")}`,
                );
            }
            break;
        }
        case "sail": {
            const sail = sailRelease(cp.sailVersion);
            if (!sail) {
                reject(
                    `${where}.sailVersion`,
                    cp.sailVersion,
                    `a Sail operator release that installs a supported Istio (checked ${VERSIONS_CHECKED}): ${SAIL_RELEASES.map((r) => r.version).join(", ")}`,
                );
            }
            const accepted = sailIstio(sail);
            if (!accepted.includes(cp.istioVersion)) {
                reject(
                    `${where}.istioVersion`,
                    cp.istioVersion,
                    `an Istio release Sail operator ${sail.version} installs and upstream still supports: ${listed(accepted)}`,
                );
            }
            break;
        }
        case "helm":
            if (!upstreamIstio().includes(cp.istioVersion)) {
                reject(
                    `${where}.istioVersion`,
                    cp.istioVersion,
                    `a released Istio of a supported minor (checked ${VERSIONS_CHECKED}): ${listed(upstreamIstio())}`,
                );
            }
            break;
    }
}

/** The longest a DNS name may be, and an X.509 common name (RFC 5280's ub-common-name). */
const DNS_NAME_MAX = 253;
const COMMON_NAME_MAX = 64;

/**
 * A classroom's hosts: `gateway.domain` is a DNS domain (an IP address has no subdomains), short enough
 * that every `<attendee>.<domain>` is a DNS name; and the certificate's common name (its first name) fits X.509.
 */
function checkClassHosts(gateway: LabConfig["gateway"], attendees: RawConfig["attendees"]): void {
    const domain = gateway.domain;
    if (domain !== undefined && (/^[0-9.]+$/.test(domain) || domain.includes(":"))) {
        reject(
            `${NAMESPACE}:gateway.domain`,
            domain,
            'a DNS domain such as "lab.example.com", not an IP address (each attendee gets the host <attendee>.<domain>)',
        );
    }
    if (domain !== undefined && attendees !== undefined) {
        const names = typeof attendees === "number" ? [`user${attendees}`] : attendees;
        const longest = `${names.reduce((a, b) => (b.length > a.length ? b : a))}.${domain}`;
        if (longest.length > DNS_NAME_MAX) {
            reject(
                `${NAMESPACE}:gateway.domain`,
                domain,
                `a domain short enough for every attendee's host (${NAMESPACE}:attendees): ${show(longest)} has ${longest.length} characters, a DNS name at most ${DNS_NAME_MAX}`,
            );
        }
    }
    if (gateway.tls === false || (typeof gateway.tls === "object" && "credentialName" in gateway.tls)) {
        return;
    }
    const first = certificateNames(gatewayHosts(gateway.hosts, attendees !== undefined ? domain : undefined), gateway.routeHost)[0];
    if (first.length > COMMON_NAME_MAX) {
        const key =
            attendees !== undefined && domain !== undefined
                ? "gateway.domain"
                : gateway.hosts.includes(first)
                  ? `gateway.hosts[${gateway.hosts.indexOf(first)}]`
                  : "gateway.routeHost";
        reject(
            `${NAMESPACE}:${key}`,
            key === "gateway.domain" ? domain : first,
            `a name whose certificate common name (${show(first)}, ${first.length} characters) fits X.509's ${COMMON_NAME_MAX}; or gateway.tls {credentialName} with a certificate of your own`,
        );
    }
}

function resolve(c: RawConfig, raw: Readonly<Record<string, unknown>>): LabConfig {
    const recipeName = c.recipe ?? c.platform ?? "kubernetes";
    const recipe = RECIPES[recipeName];
    const platform = c.platform ?? recipe.platforms[0];
    if (!recipe.platforms.includes(platform)) {
        reject(`${NAMESPACE}:platform`, platform, `${recipe.platforms.join(" or ")} for recipe ${show(recipe.name)}`);
    }

    const stages = c.stages ?? recipe.stages(platform);
    checkStages(stages, platform);

    const gb = c.guestbook ?? {};
    const guestbook: LabConfig["guestbook"] = {
        namespace: gb.namespace ?? "guestbook",
        versions: gb.versions ?? LAB_GUESTBOOK_VERSIONS,
        serviceType: gb.serviceType ?? "ClusterIP",
        redisMasterImage: gb.redisMasterImage ?? "redis:3.2.9",
        redisSlaveImage: gb.redisSlaveImage ?? "ibmcom/guestbook-redis-slave:v2",
        redisSlaveReplicas: gb.redisSlaveReplicas ?? 2,
    };
    checkVersions(guestbook.versions, `${NAMESPACE}:guestbook.versions`);
    if (isReservedNamespace(guestbook.namespace, c.controlPlane?.namespace ?? "istio-system")) {
        reject(
            `${NAMESPACE}:guestbook.namespace`,
            guestbook.namespace,
            reservedNamespaceAllowed(c.controlPlane?.namespace ?? "istio-system"),
        );
    }

    const gw = c.gateway ?? {};
    const gateway: LabConfig["gateway"] = {
        name: gw.name ?? "guestbook-gateway",
        selector: gw.selector ?? { istio: "ingressgateway" },
        port: gw.port ?? 80,
        hosts: gw.hosts ?? ["*"],
        routeHost: gw.routeHost,
        tls: (gw.tls as GatewayTls | undefined) ?? true,
        // On OpenShift the Route is the way in, and the gateway's Service stays inside the cluster.
        serviceType: gw.serviceType ?? (platform === "openshift" ? "ClusterIP" : "LoadBalancer"),
        domain: gw.domain,
    };
    checkPort(gateway.port, `${NAMESPACE}:gateway.port`);
    checkGatewayTls(gateway.tls, `${NAMESPACE}:gateway.tls`);
    if (
        issuerWithoutHost(
            gateway.tls,
            gatewayHosts(gateway.hosts, c.attendees !== undefined ? gateway.domain : undefined),
            gateway.routeHost,
        )
    ) {
        reject(
            `${NAMESPACE}:gateway.tls.issuer`,
            gateway.tls.issuer,
            `an issuer together with a concrete host to certify: set ${NAMESPACE}:gateway.hosts to names other than "*", gateway.routeHost, or gateway.domain for a classroom (a public CA does not sign the placeholder ${DEFAULT_TLS_HOST})`,
        );
    }
    if (gateway.tls !== false && gateway.port === 443) {
        reject(
            `${NAMESPACE}:gateway.port`,
            gateway.port,
            "a port other than 443 while gateway.tls is on (its HTTPS server takes 443); or set gateway.tls to false",
        );
    }

    checkClassHosts(gateway, c.attendees);

    const cp = c.controlPlane ?? {};
    const flavor = cp.flavor ?? FLAVORS[platform][0];
    if (!FLAVORS[platform].includes(flavor)) {
        reject(`${NAMESPACE}:controlPlane.flavor`, flavor, `${FLAVORS[platform].join(" or ")} on platform ${show(platform)}`);
    }
    const ossm3Channel = (c.operators as { serviceMesh3?: { channel?: string } } | undefined)?.serviceMesh3?.channel ?? "stable";
    const controlPlane: LabConfig["controlPlane"] = {
        flavor,
        namespace: cp.namespace ?? "istio-system",
        version: cp.version ?? DEFAULT_SMCP_VERSION,
        istioVersion: cp.istioVersion ?? defaultIstioVersion(flavor, cp.sailVersion ?? DEFAULT_SAIL_VERSION, ossm3Channel),
        chartRepo: cp.chartRepo ?? ISTIO_CHART_REPO,
        values: cp.values ?? {},
        sailVersion: cp.sailVersion ?? DEFAULT_SAIL_VERSION,
        sailChartRepo: cp.sailChartRepo ?? SAIL_CHART_REPO,
    };
    for (const [key, repo, charts, allowedText] of [
        ["chartRepo", controlPlane.chartRepo, ["base", "istiod", "gateway"], CHART_REPO_ALLOWED],
        ["sailChartRepo", controlPlane.sailChartRepo, ["sail-operator"], chartRepoAllowed("the sail-operator chart")],
    ] as const) {
        if (!/^(https|oci):\/\/[^\s/]+/.test(repo) && !isChartDirectory(repo, charts)) {
            reject(`${NAMESPACE}:controlPlane.${key}`, repo, allowedText);
        }
    }
    checkControlPlaneValues(controlPlane.values, flavor, `${NAMESPACE}:controlPlane.values`);
    checkValuesContract(controlPlane.values, flavor, controlPlane.namespace, c.tracing ?? false, `${NAMESPACE}:controlPlane.values`);
    checkFlavorVersion(controlPlane, ossm3Channel);
    const retired = flavor === "helm" && stages.includes("controlPlane") ? retiredChartSource(controlPlane.chartRepo) : undefined;
    const retiredWarning = retired
        ? {
              key: `${NAMESPACE}:controlPlane.chartRepo`,
              message: retiredChartMessage(`${NAMESPACE}:controlPlane.chartRepo`, controlPlane.chartRepo, retired),
          }
        : undefined;
    if (retired && !controlPlane.istioVersion.startsWith("1.30.")) {
        reject(
            `${NAMESPACE}:controlPlane.chartRepo`,
            controlPlane.chartRepo,
            `a chart source that has Istio ${controlPlane.istioVersion}: Istio 1.31 and later were never published to this retired location; use ${JSON.stringify(retired.replacement)}`,
        );
    }
    const ops = (c.operators ?? {}) as Record<string, unknown> & NonNullable<RawConfig["operators"]>;
    const operators: LabConfig["operators"] = {
        installPlanApproval: ops.installPlanApproval ?? "Automatic",
        source: ops.source ?? "redhat-operators",
        sourceNamespace: ops.sourceNamespace ?? "openshift-marketplace",
        overrides: Object.fromEntries(OPERATOR_KEYS.filter((k) => ops[k] !== undefined).map((k) => [k, ops[k] as Partial<OperatorSpec>])),
    };

    const ml = c.mtlsLab ?? {};
    const mtlsLab: LabConfig["mtlsLab"] = {
        sidecarNamespaces: ml.sidecarNamespaces ?? LAB_SIDECAR_NAMESPACES,
        plainNamespaces: ml.plainNamespaces ?? LAB_PLAIN_NAMESPACES,
        httpbinImage: ml.httpbinImage ?? "docker.io/kennethreitz/httpbin",
        sleepImage: ml.sleepImage ?? "curlimages/curl",
    };
    checkMtlsNamespaces(mtlsLab.sidecarNamespaces, mtlsLab.plainNamespaces, `${NAMESPACE}:mtlsLab`, null);

    const subsets = subsetsOf(guestbook.versions);
    const abTest = c.abTest ? { header: c.abTest.header ?? LAB_AB_TEST.header, regex: c.abTest.regex ?? LAB_AB_TEST.regex } : undefined;
    if (abTest) {
        checkAbTest(abTest, `${NAMESPACE}:abTest`);
    }
    const circuitBreaker = c.circuitBreaker;
    if (circuitBreaker) {
        checkCircuitBreaker(circuitBreaker, subsets, `${NAMESPACE}:circuitBreaker`);
    }
    const routing = c.routing ?? "weighted";
    const canaryWeight = c.canaryWeight ?? 0;
    if (stages.includes("traffic")) {
        checkRouting(routing, subsets, canaryWeight, abTest, (key) => `${NAMESPACE}:${key}`);
    }

    const attendees =
        c.attendees === undefined
            ? undefined
            : resolveAttendees(
                  c.attendees,
                  c.attendeeOverrides ?? {},
                  guestbook.namespace,
                  subsets,
                  { canaryWeight, abTest, routing, clientTls: c.clientTls, circuitBreaker },
                  stages,
                  controlPlane.namespace,
              );
    if (c.attendeeOverrides !== undefined && c.attendees === undefined) {
        reject(
            `${NAMESPACE}:attendeeOverrides`,
            Object.keys(c.attendeeOverrides)[0] ?? {},
            `overrides for attendees only when ${NAMESPACE}:attendees is set`,
        );
    }

    const config: LabConfig = {
        recipe: recipe.name,
        platform,
        stages,
        canaryWeight,
        abTest,
        circuitBreaker,
        routing,
        clientTls: c.clientTls,
        tracing: c.tracing ?? false,
        waitTimeoutSeconds: c.waitTimeoutSeconds,
        peerAuth: (c.peerAuth as PeerAuthPolicy[] | undefined) ?? [{ mode: "STRICT", scope: "mesh" }],
        attendees,
        guestbook,
        gateway,
        controlPlane,
        operators,
        mtlsLab,
        ignored: [
            ...ignoredSettings(raw, stages),
            ...(gateway.domain !== undefined && c.attendees === undefined && stages.includes("gateway")
                ? [
                      {
                          key: `${NAMESPACE}:gateway.domain`,
                          message: `${NAMESPACE}:gateway.domain has no effect: this lab has no attendees (it gives each attendee a host); set ${NAMESPACE}:attendees or remove the setting`,
                      },
                  ]
                : []),
        ],
        secrets: [],
        warnings: retiredWarning ? [retiredWarning] : [],
    };
    checkNamespaces(config);
    if (stages.includes("mtlsLab")) {
        // After checkNamespaces, whose message names the stage that creates it; this catches a lab without that stage.
        checkMtlsNamespaces(mtlsLab.sidecarNamespaces, mtlsLab.plainNamespaces, `${NAMESPACE}:mtlsLab`, controlPlane.namespace);
    }
    if (stages.includes("peerAuth")) {
        planPeerAuth(config.peerAuth, controlPlane.namespace, labServices(config), `${NAMESPACE}:peerAuth`);
    }
    return config;
}

function checkStages(stages: readonly Stage[], platform: Platform): void {
    const where = `${NAMESPACE}:stages`;
    const seen = new Set<Stage>();
    for (const stage of stages) {
        if (seen.has(stage)) {
            reject(where, stage, "each stage at most once");
        }
        seen.add(stage);
    }
    if (platform === "kubernetes" && seen.has("operators")) {
        reject(
            where,
            "operators",
            `no "operators" on platform "kubernetes" (OperatorHub is OpenShift's); remove it or set istio-lab:platform to "openshift"`,
        );
    }
    const needs: Array<[Stage, Stage]> = [
        ["gateway", "guestbook"],
        ["traffic", "guestbook"],
        ["traffic", "gateway"],
    ];
    for (const [stage, needed] of needs) {
        if (seen.has(stage) && !seen.has(needed)) {
            reject(
                where,
                stage,
                `${show(stage)} together with ${show(needed)}, which it builds on; add ${show(needed)} or remove ${show(stage)}`,
            );
        }
    }
}

/** The namespaces the lab's stages create, with the key that names each. */
export function labNamespaces(c: LabConfig): Array<{ namespace: string; key: string; by?: string }> {
    const out: Array<{ namespace: string; key: string; by?: string }> = [];
    if (c.stages.includes("operators")) {
        for (const op of resolveOperators(c.operators.overrides, operatorsFor(c.controlPlane.flavor, c.tracing))) {
            if (op.namespace !== GLOBAL_OPERATORS_NAMESPACE && !out.some((o) => o.namespace === op.namespace)) {
                out.push({ namespace: op.namespace, key: `${NAMESPACE}:operators.${op.key}.namespace` });
            }
        }
    }
    if (c.stages.includes("controlPlane")) {
        out.push({ namespace: c.controlPlane.namespace, key: `${NAMESPACE}:controlPlane.namespace` });
        if (c.controlPlane.flavor === "ossm3" || c.controlPlane.flavor === "sail") {
            out.push({
                namespace: ISTIO_CNI_NAMESPACE,
                key: `${NAMESPACE}:controlPlane.flavor`,
                by: `the ${show(c.controlPlane.flavor)} flavour (${NAMESPACE}:controlPlane.flavor) creates it for IstioCNI`,
            });
        }
        if (c.controlPlane.flavor === "sail") {
            out.push({
                namespace: SAIL_OPERATOR_NAMESPACE,
                key: `${NAMESPACE}:controlPlane.flavor`,
                by: `the "sail" flavour (${NAMESPACE}:controlPlane.flavor) creates it for the Sail operator`,
            });
        }
    }
    if (c.stages.includes("guestbook")) {
        if (c.attendees) {
            c.attendees.forEach((a) => out.push({ namespace: a.namespace, key: `${NAMESPACE}:attendees` }));
        } else {
            out.push({ namespace: c.guestbook.namespace, key: `${NAMESPACE}:guestbook.namespace` });
        }
    }
    if (c.stages.includes("mtlsLab")) {
        c.mtlsLab.sidecarNamespaces.forEach((ns, i) => out.push({ namespace: ns, key: `${NAMESPACE}:mtlsLab.sidecarNamespaces[${i}]` }));
        c.mtlsLab.plainNamespaces.forEach((ns, i) => out.push({ namespace: ns, key: `${NAMESPACE}:mtlsLab.plainNamespaces[${i}]` }));
    }
    return out;
}

/**
 * True when the lab would create and own `namespace`, named by `key`, although it is one the cluster's own
 * (`default`, `kube-*`, `openshift-*`): `pulumi destroy` would delete it. An operator's documented
 * namespace (`openshift-operators-redhat` for Elasticsearch) is the lab's to create; the guestbook's and
 * the attendees' are checked where they are read; the mTLS lab patches a reserved namespace instead.
 */
function ownsReserved(namespace: string, key: string): boolean {
    const field = key.slice(NAMESPACE.length + 1);
    const operator = /^operators\.(\w+)\.namespace$/.exec(field)?.[1] as OperatorKey | undefined;
    if (operator !== undefined) {
        return namespace !== LAB_OPERATORS[operator].namespace && isReservedNamespace(namespace, "");
    }
    return field === "controlPlane.namespace" && isReservedNamespace(namespace, "");
}

function checkNamespaces(c: LabConfig): void {
    const owner = new Map<string, string>();
    for (const { namespace, key, by } of labNamespaces(c)) {
        if (ownsReserved(namespace, key)) {
            reject(
                key,
                namespace,
                `a namespace the lab can create and delete (not "default", "kube-*" or "openshift-*": pulumi destroy would delete it)`,
            );
        }
        const other = owner.get(namespace);
        if (other !== undefined) {
            reject(key, namespace, `a namespace no other stage creates (${other})`);
        }
        owner.set(namespace, by ?? `${key} is ${show(namespace)}`);
    }
}

/** The Services the lab's selected stages create. */
export function labServices(c: LabConfig): LabService[] {
    return [
        ...(c.stages.includes("guestbook")
            ? (c.attendees?.map((a) => a.namespace) ?? [c.guestbook.namespace]).flatMap((ns) => guestbookServices(ns))
            : []),
        ...(c.stages.includes("mtlsLab") ? mtlsLabServices([...c.mtlsLab.sidecarNamespaces, ...c.mtlsLab.plainNamespaces]) : []),
    ];
}

/** Reads this stack's `istio-lab:` configuration through Pulumi and checks it. */
export function loadConfig(): LabConfig {
    const all = pulumi.runtime.allConfig();
    // The SDK knows which keys the stack marks secret (PULUMI_CONFIG_SECRET_KEYS); it does not type the call.
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
    const config = parseConfig(
        all,
        Object.keys(all).filter((k) => runtime.isConfigSecret?.(k) === true),
    );
    for (const { message } of [...config.ignored, ...config.warnings]) {
        void pulumi.log.warn(message);
    }
    return config;
}
