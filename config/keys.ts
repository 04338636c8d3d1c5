// Every config key, documented: what `Pulumi.yaml` declares and docs/config.md lists
// (tools/docs.ts writes both from this list; a test keeps them in agreement).
import { ISTIO_CHART_REPO, SAIL_CHART_REPO } from "../components/controlPlane";
import { DEFAULT_SAIL_VERSION, DEFAULT_SMCP_VERSION, defaultIstioVersion } from "../components/versions";

/** One documented config key: what `Pulumi.yaml` declares and docs/config.md lists. */
export interface ConfigKeyDoc {
    /** Key without the namespace. */
    readonly key: string;
    /** Pulumi config type (`string`, `integer`, `boolean`, `array`, `object`). */
    readonly type: "string" | "integer" | "boolean" | "array" | "object";
    /** Default, as docs/config.md shows it. */
    readonly default: string;
    /** What it does. */
    readonly description: string;
}

/** Every config key, documented; `Pulumi.yaml` and docs/config.md are kept in agreement with it by a test. */
export const CONFIG_KEYS: readonly ConfigKeyDoc[] = [
    {
        key: "recipe",
        type: "string",
        default: "same as `platform`",
        description: "Which lab: `kubernetes`, `openshift` or `peer-auth` (a recipe in `config/recipes.ts`).",
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
        key: "trafficApi",
        type: "string",
        default: "`istio`",
        description:
            "`istio`: the lab's Istio `Gateway` and `VirtualService` on the chart's (or the operator's) ingress gateway; `gatewayApi`: a Kubernetes Gateway API `Gateway` (class `istio`, which Istio deploys itself as `<gateway.name>-istio`) and an `HTTPRoute` with weighted backendRefs to one Service per version (`guestbook-v1`, ...); the DestinationRule stays for the circuit breaker and client TLS. Not with `ossm2`.",
    },
    {
        key: "dataplane",
        type: "string",
        default: "`sidecar`",
        description:
            "`sidecar`: a sidecar in every pod of the lab's mesh namespaces; `ambient`: the namespaces join with `istio.io/dataplane-mode: ambient` (ztunnel; `legacy` stays out), the control plane adds the CNI agent and ztunnel, a waypoint serves the circuit breaker, `DISABLE` and `clientTls` are refused. Not with `ossm2`.",
    },
    {
        key: "gatewayApiCrds",
        type: "string",
        default: "`install` (`present` on OpenShift)",
        description:
            "Where the Gateway API CRDs come from when the lab uses them (`trafficApi: gatewayApi`, or ambient's waypoints): `install` (the release the control plane's Istio is built against: v1.6.3 for 1.31, v1.5.1 for 1.30), `present` (the cluster has them; OpenShift 4.19+ ships them and refuses changes), or a local `standard-install.yaml` (its release must match).",
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
            "A classroom: a count from 1 to 500 (attendees `user1` to `userN`) or a list of up to 500 distinct names. Each attendee gets the guestbook, its routing and their own host or path in namespace `<guestbook.namespace>-<attendee>`; operators, control plane, ingress gateway and the class's Gateway are shared. Absent, the one lab as before.",
    },
    {
        key: "attendeeOverrides",
        type: "object",
        default: "none",
        description:
            '`{<attendee>: {canaryWeight, abTest, routing, clientTls, circuitBreaker}}`: one attendee\'s own traffic settings, e.g. `pulumi config set --path "istio-lab:attendeeOverrides.user7.canaryWeight" 50`.',
    },
    {
        key: "attendeeAccess",
        type: "object",
        default: "`false`",
        description:
            "A classroom's attendees get their own access to their namespace only (see Running a workshop): `true` gives each a ServiceAccount with a token on Kubernetes (`lab attendees --kubeconfig-dir DIR` writes their kubeconfigs) and binds the cluster's user `<attendee>` on OpenShift; `{userPattern}` names the OpenShift users, e.g. `lab-<attendee>`. With access, each namespace also gets an AuthorizationPolicy and a NetworkPolicy admitting only the ingress gateway and its own workloads, and the attendee owns their VirtualService, DestinationRule and replicas.",
    },
    {
        key: "attendeeBudget",
        type: "object",
        default: "none (no quota)",
        description:
            "With `attendeeAccess`, each attendee namespace's budget `{cpu, memory, pods}` (requests; what is absent is not limited): a ResourceQuota, and a LimitRange giving containers without requests 50m and 64Mi; one smaller than the lab requests (9 pods, 1500m, 1836Mi with the lab's versions and sidecars) is refused with the numbers.",
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
            "Control plane settings: `flavor` is `helm` or `sail` on Kubernetes, `ossm3` or `ossm2` on OpenShift; `version` is the SMCP version (`ossm2`, v2.0 to v2.6), `istioVersion` the Istio of `helm` (a supported upstream release), `sail` (one the chosen Sail operator installs) and `ossm3` (the one the operator channel ships), each listed in the version table (docs/cluster.md); `chartRepo` is where `helm` gets its charts: a Helm repository (`https://`), an OCI registry (`oci://`, e.g. `oci://ghcr.io/istio/release/charts`) or a local directory holding the `base`, `istiod` and `gateway` charts (the retired `istio-release.storage.googleapis.com` is flagged); `sailVersion`/`sailChartRepo` the Sail operator's chart. `values`, the one escape hatch, is merged into istiod's Helm values (Kubernetes) or the ServiceMeshControlPlane spec (OpenShift), e.g. `{global: {proxy: {privileged: true}}}` for the tcpdump steps.",
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
            "`{sidecarNamespaces: [foo, bar], plainNamespaces: [legacy], httpbinImage: docker.io/kennethreitz/httpbin, sleepImage: curlimages/curl, httpbinPort: 80}` (with `images: multiarch`: `docker.io/mccutchen/go-httpbin:v2.15.0`, `docker.io/curlimages/curl:8.16.0`, port 8080)",
        description:
            "Peer authentication lab workloads' settings; `httpbinPort` is the port httpbin's container listens on (the Service's targetPort and the key of port-level policies; default: 8080 for a `mccutchen/go-httpbin` image, else 80).",
    },
    {
        key: "images",
        type: "string",
        default: "`documents`",
        description:
            "Which images the lab's workloads run: `documents` (as the 2021 labs pulled them; `docker.io/kennethreitz/httpbin` is amd64-only) or `multiarch` (Istio 1.31's samples' images, which pull on arm64 and containerd 2: go-httpbin on port 8080 and a pinned curl; port-level policies and `lab matrix` follow httpbin's port). `lab validate` notes an image known not to pull everywhere.",
    },
    {
        key: "guestbookRegistry",
        type: "string",
        default: "none (the documents' `ibmcom/guestbook:v1`, `ibmcom/guestbook:v2`, `ibmcom/guestbook-redis-slave:v2`)",
        description:
            "A registry path holding your own multi-arch builds of the guestbook (`<registry>/guestbook:v1`, `<registry>/guestbook:v2`, `<registry>/guestbook-redis-slave:v2`; the recipe is in docs/cluster.md): no public multi-arch guestbook exists. Explicit `guestbook` images win.",
    },
];
