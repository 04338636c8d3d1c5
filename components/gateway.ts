import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { ISTIO_APIS_V1, IstioApis, LAB_LABELS, Platform, istioObject, outputField, reject } from "./lab";

/** How the ingress gateway's Service is exposed. */
export type GatewayServiceType = "LoadBalancer" | "NodePort" | "ClusterIP";
/** Every gateway Service type. */
export const GATEWAY_SERVICE_TYPES: readonly GatewayServiceType[] = ["LoadBalancer", "NodePort", "ClusterIP"];

/** Inputs of {@link Gateway}. */
export interface GatewayArgs {
    /** Platform, which decides the way in from outside (an OpenShift Route, or the gateway's load balancer). */
    readonly platform: Platform;
    /** Namespace of the `Gateway` object (the app's namespace). */
    readonly namespace: pulumi.Input<string>;
    /** Name of the `Gateway`. @default "guestbook-gateway" */
    readonly name?: string;
    /** Labels of the ingress gateway pods the `Gateway` binds to. @default { istio: "ingressgateway" } */
    readonly selector?: Record<string, string>;
    /** Port of the HTTP server. @default 80 */
    readonly port?: number;
    /** Hosts the server accepts. @default ["*"] */
    readonly hosts?: string[];
    /** Namespace of the ingress gateway Service. @default "istio-system" */
    readonly ingressNamespace?: pulumi.Input<string>;
    /** Name of the ingress gateway Service. @default "istio-ingressgateway" */
    readonly ingressService?: string;
    /** OpenShift: host of the Route. @default assigned by OpenShift */
    readonly routeHost?: pulumi.Input<string>;
    /** Serve HTTPS on 443 with a lab CA's certificate, and redirect port 80 to it. @default true */
    readonly tls?: boolean;
    /**
     * Kubernetes: how the ingress gateway's Service is exposed, which decides what `url` says: its load
     * balancer's address, a node port, or a port-forward. @default "LoadBalancer"
     */
    readonly serviceType?: GatewayServiceType;
    /** Istio API versions the control plane serves. @default v1 */
    readonly apis?: IstioApis;
    /** OpenShift: create the Route (a classroom with a domain makes one per attendee instead). @default true */
    readonly route?: boolean;
    /** Resources that must be ready first (the control plane). @default [] */
    readonly requires?: pulumi.Resource[];
}

/**
 * Where a browser reaches the lab through the ingress gateway's Service, for each way the Service is
 * exposed. A cluster without a load balancer (kind, minikube, k3d) gets a node port or a port-forward,
 * never an address that does not exist.
 */
export function ingressUrl(
    serviceType: GatewayServiceType,
    scheme: string,
    servicePort: number,
    service: string,
    namespace: string,
    status: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } } | undefined,
    spec: { ports?: Array<{ port: number; nodePort?: number }> } | undefined,
): string {
    const portSuffix = (p: number) => ((scheme === "https" && p === 443) || (scheme === "http" && p === 80) ? "" : `:${p}`);
    switch (serviceType) {
        case "LoadBalancer": {
            const ingress = status?.loadBalancer?.ingress?.[0];
            const address = ingress?.ip ?? ingress?.hostname ?? "<pending load balancer address>";
            return `${scheme}://${address}${portSuffix(servicePort)}`;
        }
        case "NodePort": {
            const nodePort = spec?.ports?.find((p) => p.port === servicePort)?.nodePort;
            return `${scheme}://<any node's address>:${nodePort ?? "<node port>"}`;
        }
        case "ClusterIP": {
            const local = scheme === "https" ? 8443 : 8080;
            return `${scheme}://localhost:${local} (after: kubectl -n ${namespace} port-forward svc/${service} ${local}:${servicePort})`;
        }
    }
}

/**
 * An OpenShift Route to the ingress gateway's Service. OSSM's ingress gateway names its ports `http2`
 * (80) and `https` (443); with TLS the Route passes the encrypted stream through to the gateway, which
 * holds the key.
 */
export function ingressRoute(
    logicalName: string,
    args: {
        readonly name: string;
        readonly host?: pulumi.Input<string>;
        readonly ingressNamespace: pulumi.Input<string>;
        readonly ingressService: string;
        readonly tls: boolean;
    },
    opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
        logicalName,
        {
            apiVersion: "route.openshift.io/v1",
            kind: "Route",
            metadata: { name: args.name, namespace: args.ingressNamespace, labels: LAB_LABELS },
            spec: {
                host: args.host,
                to: { kind: "Service", name: args.ingressService, weight: 100 },
                ...(args.tls ? { port: { targetPort: "https" }, tls: { termination: "passthrough" } } : { port: { targetPort: "http2" } }),
            },
        },
        opts,
    );
}

/** The name the server certificate carries when the gateway's hosts give none (`"*"`). */
export const DEFAULT_TLS_HOST = "guestbook.istio-lab.local";

/** The DNS names of the gateway's server certificate: its concrete hosts and the Route host. */
export function certificateNames(hosts: readonly string[], routeHost?: string): string[] {
    const names = [...hosts.filter((h) => h !== "*"), ...(routeHost ? [routeHost] : [])];
    return names.length > 0 ? [...new Set(names)] : [DEFAULT_TLS_HOST];
}

/** Checks the port; `where` names the argument or config key in messages. */
export function checkPort(port: number, where: string): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        reject(where, port, "an integer from 1 to 65535");
    }
}

/**
 * Stage 4: `guestbook-gateway`, which lets outside HTTP traffic in through the ingress gateway, and
 * the way to it from outside: an explicit Route on OpenShift (automatic route creation, which made
 * the lab's Route in OSSM 2.0, is deprecated and off by default from OSSM 2.5), the ingress gateway's
 * load balancer upstream.
 */
export class Gateway extends pulumi.ComponentResource {
    /** The `Gateway` object; routes bound to it depend on it. */
    public readonly gateway: k8s.apiextensions.CustomResource;
    /** Name of the `Gateway` object (plain: VirtualServices refer to it by name). */
    public readonly gatewayName: string;
    /** Where a browser reaches the lab. */
    public readonly url: pulumi.Output<string>;
    /** The lab CA's certificate (PEM), for `curl --cacert`; null without TLS. */
    public readonly caCertificate: pulumi.Output<string | null>;

    constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-lab:gateway:Gateway", name, {}, opts);
        const port = args.port ?? 80;
        checkPort(port, "Gateway args.port");
        const hosts = args.hosts ?? ["*"];
        if (hosts.length === 0) {
            reject("Gateway args.hosts", hosts, "at least one host");
        }
        this.gatewayName = args.name ?? "guestbook-gateway";
        const ingressNamespace = args.ingressNamespace ?? "istio-system";
        const ingressService = args.ingressService ?? "istio-ingressgateway";
        const requires = args.requires ?? [];
        const useTls = args.tls ?? true;
        const credentialName = `${this.gatewayName}-credential`;
        let credential: pulumi.Resource | undefined;
        if (useTls) {
            const names = certificateNames(hosts, typeof args.routeHost === "string" ? args.routeHost : undefined);
            const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
            const ca = new tls.SelfSignedCert(
                `${name}-ca`,
                {
                    privateKeyPem: caKey.privateKeyPem,
                    isCaCertificate: true,
                    validityPeriodHours: 24 * 365,
                    allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                    subject: { commonName: "istio-lab CA", organization: "istio-lab" },
                },
                { parent: this },
            );
            const serverKey = new tls.PrivateKey(`${name}-server-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
            const request = new tls.CertRequest(
                `${name}-server-csr`,
                { privateKeyPem: serverKey.privateKeyPem, dnsNames: names, subject: { commonName: names[0], organization: "istio-lab" } },
                { parent: this },
            );
            const server = new tls.LocallySignedCert(
                `${name}-server-cert`,
                {
                    certRequestPem: request.certRequestPem,
                    caPrivateKeyPem: caKey.privateKeyPem,
                    caCertPem: ca.certPem,
                    validityPeriodHours: 24 * 90,
                    allowedUses: ["server_auth", "digital_signature", "key_encipherment"],
                },
                { parent: this },
            );
            // The ingress gateway reads `credentialName` from its own namespace.
            credential = new k8s.core.v1.Secret(
                `${name}-credential`,
                {
                    metadata: { name: credentialName, namespace: ingressNamespace, labels: LAB_LABELS },
                    type: "kubernetes.io/tls",
                    stringData: { "tls.crt": server.certPem, "tls.key": pulumi.secret(serverKey.privateKeyPem) },
                },
                { parent: this, dependsOn: requires },
            );
            this.caCertificate = ca.certPem;
        } else {
            this.caCertificate = pulumi.output(null);
        }

        this.gateway = istioObject(
            `${name}-gateway`,
            (args.apis ?? ISTIO_APIS_V1).networking,
            "Gateway",
            {
                name: this.gatewayName,
                namespace: args.namespace,
                labels: LAB_LABELS,
                // The Route below is ours; OSSM must not add one of its own.
                annotations: args.platform === "openshift" ? { "maistra.io/manageRoute": "false" } : undefined,
            },
            {
                selector: args.selector ?? { istio: "ingressgateway" },
                servers: useTls
                    ? [
                          { port: { number: port, name: "http", protocol: "HTTP" }, hosts, tls: { httpsRedirect: true } },
                          { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts, tls: { mode: "SIMPLE", credentialName } },
                      ]
                    : [{ port: { number: port, name: "http", protocol: "HTTP" }, hosts }],
            },
            { parent: this, dependsOn: [...requires, ...(credential ? [credential] : [])] },
        );

        const scheme = useTls ? "https" : "http";
        if (args.platform === "openshift" && args.route === false) {
            this.url = pulumi.output(`${scheme}://<one host per attendee>`);
        } else if (args.platform === "openshift") {
            const route = ingressRoute(
                `${name}-route`,
                { name: "guestbook", host: args.routeHost, ingressNamespace, ingressService, tls: useTls },
                { parent: this, dependsOn: [...requires, this.gateway] },
            );
            this.url = outputField<{ host?: string } | undefined>(route, "spec").apply((spec) =>
                spec?.host ? `${scheme}://${spec.host}` : `${scheme}://<route host, assigned by OpenShift>`,
            );
        } else {
            const svc = k8s.core.v1.Service.get(`${name}-ingress`, pulumi.interpolate`${ingressNamespace}/${ingressService}`, {
                parent: this,
                dependsOn: requires,
            });
            const serviceType = args.serviceType ?? "LoadBalancer";
            const servicePort = useTls ? 443 : port;
            this.url = pulumi
                .all([svc.status, svc.spec, pulumi.output(ingressNamespace)])
                .apply(([status, spec, ns]) => ingressUrl(serviceType, scheme, servicePort, ingressService, ns, status, spec));
        }
        this.registerOutputs({ url: this.url, caCertificate: this.caCertificate });
    }
}
