// The gateway: its hosts, port, TLS and Service, with the lab's defaults and the checks that span them.
import { z } from "zod";
import {
    DEFAULT_TLS_HOST,
    GATEWAY_SERVICE_TYPES,
    GATEWAY_TLS_ALLOWED,
    GatewayServiceType,
    GatewayTls,
    checkGatewayTls,
    checkPort,
    gatewayHosts,
    issuerWithoutHost,
} from "../components/gateway";
import { Platform, isGatewayHost, reject, show } from "../components/lab";
import { NAMESPACE, allowed, bool, dnsLabel, host, int, labels, list, obj, oneOf, text } from "./schema";

/** The shape of `gateway`. */
export const gatewaySchema = {
    gateway: obj({
        name: dnsLabel,
        selector: labels.refine(
            (l) => Object.keys(l).length > 0,
            'at least one label of the ingress gateway pods, e.g. {"istio": "ingressgateway"}',
        ),
        port: int(1, 65535),
        hosts: list(host, 'a list of hosts, e.g. ["*"]')
            .min(1, 'a list of at least one host, e.g. ["*"]')
            .refine((h) => new Set(h).size === h.length, 'a list of distinct hosts (a host twice makes conflicting listeners), e.g. ["*"]'),
        routeHost: text("a DNS name").refine(
            (h) => !h.includes("*") && isGatewayHost(h),
            "a DNS name without a wildcard (the OpenShift Route's host; a wildcard Route needs a wildcard policy the lab does not set)",
        ),
        tls: z.union([bool, z.record(z.unknown())], allowed(GATEWAY_TLS_ALLOWED)),
        serviceType: oneOf(GATEWAY_SERVICE_TYPES),
        domain: text("a DNS domain").refine((d) => !d.startsWith("*") && isGatewayHost(d), 'a DNS domain such as "lab.example.com"'),
    }).partial(),
};

/** Gateway stage settings. */
export interface GatewayConfig {
    readonly name: string;
    readonly selector: Readonly<Record<string, string>>;
    readonly port: number;
    readonly hosts: readonly string[];
    readonly routeHost?: string;
    readonly tls: GatewayTls;
    readonly serviceType: GatewayServiceType;
    readonly domain?: string;
}

/** The gateway's settings with the lab's defaults (a classroom's `domain` decides the hosts when attendees are set). */
export function resolveGateway(gw: z.infer<typeof gatewaySchema.gateway> = {}, platform: Platform, classroom: boolean): GatewayConfig {
    const gateway: GatewayConfig = {
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
    if (issuerWithoutHost(gateway.tls, gatewayHosts(gateway.hosts, classroom ? gateway.domain : undefined), gateway.routeHost)) {
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
    return gateway;
}

/** The longest Gateway API Gateway name: Istio deploys it as `<name>-istio`, a Service name (a DNS-1035 label of at most 63). */
const GATEWAY_API_NAME_MAX = 63 - "-istio".length;

/**
 * Under the Gateway API, Istio names the Deployment and Service it makes for the Gateway `<name>-istio`: a
 * name Kubernetes would refuse there is refused here, at the key that chose it.
 */
export function checkGatewayApiName(gateway: GatewayConfig, trafficApi: string, stages: readonly string[]): void {
    if (trafficApi !== "gatewayApi" || !stages.includes("gateway")) {
        return;
    }
    if (!/^[a-z]/.test(gateway.name) || gateway.name.length > GATEWAY_API_NAME_MAX) {
        reject(
            `${NAMESPACE}:gateway.name`,
            gateway.name,
            `a name that starts with a letter and has at most ${GATEWAY_API_NAME_MAX} characters under the Gateway API (Istio makes the Service ${show(`${gateway.name}-istio`)}, which must be a DNS-1035 label of at most 63)`,
        );
    }
}
