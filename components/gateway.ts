import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ISTIO_NETWORKING, LAB_LABELS, Platform, outputField, reject } from "./lab";

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
    /** Resources that must be ready first (the control plane). @default [] */
    readonly requires?: pulumi.Resource[];
}

/** Checks the port; `where` names the argument or config key in messages. */
export function checkPort(port: number, where: string): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        reject(where, port, "an integer from 1 to 65535");
    }
}

/**
 * Stage 4: `guestbook-gateway`, which lets outside HTTP traffic in through the ingress gateway, and
 * the way to it from outside: an explicit Route on OpenShift (automatic route creation is off from
 * OSSM 2.5 and never took `"*"` hosts), the ingress gateway's load balancer upstream.
 */
export class Gateway extends pulumi.ComponentResource {
    /** The `Gateway` object; routes bound to it depend on it. */
    public readonly gateway: k8s.apiextensions.CustomResource;
    /** Name of the `Gateway` object (plain: VirtualServices refer to it by name). */
    public readonly gatewayName: string;
    /** Where a browser reaches the lab. */
    public readonly url: pulumi.Output<string>;

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

        this.gateway = new k8s.apiextensions.CustomResource(
            `${name}-gateway`,
            {
                apiVersion: ISTIO_NETWORKING,
                kind: "Gateway",
                metadata: {
                    name: this.gatewayName,
                    namespace: args.namespace,
                    labels: LAB_LABELS,
                    // The Route below is ours; OSSM must not add one of its own.
                    annotations: args.platform === "openshift" ? { "maistra.io/manageRoute": "false" } : undefined,
                },
                spec: {
                    selector: args.selector ?? { istio: "ingressgateway" },
                    servers: [{ port: { number: port, name: "http", protocol: "HTTP" }, hosts }],
                },
            },
            { parent: this, dependsOn: requires },
        );

        if (args.platform === "openshift") {
            const route = new k8s.apiextensions.CustomResource(
                `${name}-route`,
                {
                    apiVersion: "route.openshift.io/v1",
                    kind: "Route",
                    metadata: { name: "guestbook", namespace: ingressNamespace, labels: LAB_LABELS },
                    spec: {
                        host: args.routeHost,
                        to: { kind: "Service", name: ingressService, weight: 100 },
                        // OSSM's ingress gateway names its port 80 `http2`.
                        port: { targetPort: "http2" },
                    },
                },
                { parent: this, dependsOn: [...requires, this.gateway] },
            );
            this.url = outputField<{ host?: string } | undefined>(route, "spec").apply((spec) =>
                spec?.host ? `http://${spec.host}` : "http://<route host, assigned by OpenShift>",
            );
        } else {
            const svc = k8s.core.v1.Service.get(`${name}-ingress`, pulumi.interpolate`${ingressNamespace}/${ingressService}`, {
                parent: this,
                dependsOn: requires,
            });
            this.url = svc.status.apply((status) => {
                const ingress = status?.loadBalancer?.ingress?.[0];
                const address = ingress?.ip ?? ingress?.hostname ?? "<pending load balancer address>";
                return port === 80 ? `http://${address}` : `http://${address}:${port}`;
            });
        }
        this.registerOutputs({ url: this.url });
    }
}
