import * as pulumi from "@pulumi/pulumi";
import {
    DNS1123_ALLOWED,
    ISTIO_APIS_V1,
    IstioApis,
    LAB_LABELS,
    MTLS_MODES,
    MtlsMode,
    PEER_AUTH_SCOPES,
    PeerAuthScope,
    isDns1123Label,
    isGatewayHost,
    istioObject,
    reject,
    show,
} from "./lab";

/** Where a policy's DestinationRule goes and what it is called, when the lab's defaults do not fit (the seed's own names). */
export interface DestinationRuleOverride {
    /** Name. @default the lab's name for the scope */
    readonly name?: string;
    /** Namespace. @default the policy's (the root namespace for mesh scope) */
    readonly namespace?: string;
    /** Host. @default the workload's Service, `*.<ns>.svc.cluster.local` or `*.svc.cluster.local` by scope */
    readonly host?: string;
}

/** One peer authentication policy as a lab describes it. */
export interface PeerAuthPolicy {
    /** mTLS mode. */
    readonly mode: MtlsMode;
    /** Scope: the whole mesh, a namespace, the workloads a selector picks, or ports of those workloads. */
    readonly scope: PeerAuthScope;
    /** Namespace of the policy (namespace, workload and port scope). @default the root namespace for mesh scope */
    readonly namespace?: string;
    /** Workload labels the policy applies to (workload and port scope). */
    readonly selector?: Readonly<Record<string, string>>;
    /** Modes per container port (port scope). */
    readonly portLevelMtls?: Readonly<Record<string, { readonly mode: MtlsMode }>>;
    /**
     * Also create the matching client-side DestinationRule: `true`, `false`, or `{name, namespace, host}`
     * to create it under other names. @default true for workload and port scope, false otherwise
     */
    readonly destinationRule?: boolean | DestinationRuleOverride;
    /** Name of the policy. @default the lab's name for its scope */
    readonly name?: string;
}

/** A Service the lab creates, as far as peer authentication needs to know it. */
export interface LabService {
    /** Namespace. */
    readonly namespace: string;
    /** Name. */
    readonly name: string;
    /** Pod selector. */
    readonly selector: Readonly<Record<string, string>>;
    /** Ports: the service port and the container port it forwards to. */
    readonly ports: ReadonlyArray<{ readonly port: number; readonly targetPort: number }>;
}

/** Client-side TLS modes of a DestinationRule that the lab uses. */
export type ClientTlsMode = "ISTIO_MUTUAL" | "DISABLE";

/** A DestinationRule that goes with a policy. */
export interface PlannedDestinationRule {
    /** Name. */
    readonly name: string;
    /** Namespace. */
    readonly namespace: string;
    /** Host, e.g. `httpbin.bar.svc.cluster.local` or `*.svc.cluster.local`. */
    readonly host: string;
    /** `trafficPolicy.tls.mode`, when the policy's own mode decides one. */
    readonly mode?: ClientTlsMode;
    /** `trafficPolicy.portLevelSettings`, keyed by service port. */
    readonly portLevelSettings: ReadonlyArray<{ readonly port: number; readonly mode: ClientTlsMode }>;
}

/** A policy with every default filled in, ready to become objects. */
export interface PlannedPolicy {
    /** Scope. */
    readonly scope: PeerAuthScope;
    /** Mode. */
    readonly mode: MtlsMode;
    /** Name. */
    readonly name: string;
    /** Namespace. */
    readonly namespace: string;
    /** Selector (workload and port scope). */
    readonly selector?: Readonly<Record<string, string>>;
    /** Port modes keyed by container port (port scope). */
    readonly portLevelMtls?: Readonly<Record<string, { readonly mode: MtlsMode }>>;
    /** The DestinationRule that goes with it, if any. */
    readonly destinationRule?: PlannedDestinationRule;
}

/** The client-side mode that matches a server-side mode; UNSET decides nothing. */
export function clientMode(mode: MtlsMode): ClientTlsMode | undefined {
    switch (mode) {
        case "STRICT":
        case "PERMISSIVE":
            return "ISTIO_MUTUAL";
        case "DISABLE":
            return "DISABLE";
        case "UNSET":
            return undefined;
    }
}

function defaultName(scope: PeerAuthScope, selector: Readonly<Record<string, string>> | undefined): string {
    const app = selector?.app;
    switch (scope) {
        case "mesh":
            return "default";
        case "namespace":
            return "namespace-wide-policy";
        case "workload":
            return app ? `workload-${app}-policy` : "workload-policy";
        case "port":
            return app ? `port-workload-${app}-policy` : "port-workload-policy";
    }
}

/** True when a service's selector and a policy's selector can pick the same pods. */
function fronts(service: LabService, selector: Readonly<Record<string, string>>): boolean {
    const shared = Object.keys(selector).filter((k) => k in service.selector);
    return shared.length > 0 && shared.every((k) => service.selector[k] === selector[k]);
}

/**
 * One policy's mode, scope and the fields its scope needs or refuses (`at` names it in messages); its
 * selector and port modes when non-empty, and its namespace (the root namespace for scope mesh).
 */
function checkPolicyShape(
    p: PeerAuthPolicy,
    at: string,
    rootNamespace: string,
): { selector?: Record<string, string>; ports?: PeerAuthPolicy["portLevelMtls"]; namespace: string } {
    if (!MTLS_MODES.includes(p.mode)) {
        reject(`${at}.mode`, p.mode, `one of ${MTLS_MODES.join(", ")}`);
    }
    if (!PEER_AUTH_SCOPES.includes(p.scope)) {
        reject(`${at}.scope`, p.scope, `one of ${PEER_AUTH_SCOPES.join(", ")}`);
    }
    const selector = p.selector && Object.keys(p.selector).length > 0 ? p.selector : undefined;
    const ports = p.portLevelMtls && Object.keys(p.portLevelMtls).length > 0 ? p.portLevelMtls : undefined;

    if (p.scope === "mesh" && p.namespace !== undefined && p.namespace !== rootNamespace) {
        reject(`${at}.namespace`, p.namespace, `the root namespace ${show(rootNamespace)} (or nothing) for scope "mesh"`);
    }
    if (p.scope !== "mesh" && p.namespace === undefined) {
        reject(`${at}.namespace`, p.namespace, `a namespace for scope ${show(p.scope)}`);
    }
    const namespace = p.namespace ?? rootNamespace;
    if (!isDns1123Label(namespace)) {
        reject(`${at}.namespace`, namespace, DNS1123_ALLOWED);
    }
    if ((p.scope === "mesh" || p.scope === "namespace") && p.selector !== undefined) {
        reject(`${at}.selector`, p.selector, `no selector for scope ${show(p.scope)} (use scope "workload")`);
    }
    if ((p.scope === "workload" || p.scope === "port") && selector === undefined) {
        reject(`${at}.selector`, p.selector, `workload labels, e.g. {"app": "httpbin"}, for scope ${show(p.scope)}`);
    }
    if (p.scope !== "port" && p.portLevelMtls !== undefined) {
        reject(`${at}.portLevelMtls`, p.portLevelMtls, `no portLevelMtls for scope ${show(p.scope)} (use scope "port")`);
    }
    if (p.scope === "port" && ports === undefined) {
        reject(
            `${at}.portLevelMtls`,
            p.portLevelMtls,
            `container ports with their modes, e.g. {"80": {"mode": "DISABLE"}}, for scope "port"`,
        );
    }
    for (const [port, entry] of Object.entries(ports ?? {})) {
        const n = Number(port);
        const mode = entry?.mode;
        if (!/^[0-9]+$/.test(port) || n < 1 || n > 65535) {
            reject(`${at}.portLevelMtls`, port, "container port numbers from 1 to 65535 as keys");
        }
        if (!MTLS_MODES.includes(mode)) {
            reject(`${at}.portLevelMtls.${port}.mode`, mode, `one of ${MTLS_MODES.join(", ")}`);
        }
    }
    return { selector, ports, namespace };
}

/**
 * Fills in a list of policies' defaults and checks them, throwing on the first problem. `where`
 * names the argument or config key in messages (`istio-lab:peerAuth`).
 */
export function planPeerAuth(
    policies: readonly PeerAuthPolicy[],
    rootNamespace: string,
    services: readonly LabService[],
    where: string,
): PlannedPolicy[] {
    const planned: PlannedPolicy[] = [];
    const taken = new Map<string, string>();
    const wide = new Map<string, string>();
    const claim = (kind: string, namespace: string, name: string, at: string) => {
        const key = `${kind} ${namespace}/${name}`;
        const other = taken.get(key);
        if (other !== undefined) {
            reject(at, name, `a name no other ${kind} in namespace ${show(namespace)} has (${other.replace(/\.name$/, "")} has it)`);
        }
        taken.set(key, at);
    };

    policies.forEach((p, i) => {
        const at = `${where}[${i}]`;
        const { selector, ports, namespace } = checkPolicyShape(p, at, rootNamespace);
        const name = p.name ?? defaultName(p.scope, selector);
        if (!isDns1123Label(name)) {
            reject(`${at}.name`, name, DNS1123_ALLOWED);
        }
        claim("PeerAuthentication", namespace, name, `${at}.name`);
        if (p.scope === "mesh" || p.scope === "namespace") {
            // Istio takes the oldest of several selector-less policies in one namespace: make the user say which.
            const other = wide.get(namespace);
            if (other !== undefined) {
                reject(`${at}.scope`, p.scope, `one policy without a selector per namespace (${other} is the one for ${show(namespace)})`);
            }
            wide.set(namespace, at);
        }

        const option = p.destinationRule;
        const wantsRule = option === undefined ? p.scope === "workload" || p.scope === "port" : option !== false;
        const override = option !== null && typeof option === "object" ? option : {};
        checkRuleOverride(override, `${at}.destinationRule`);
        let destinationRule: PlannedDestinationRule | undefined;
        if (wantsRule) {
            const planned = planDestinationRule(p, at, namespace, name, selector, ports, rootNamespace, services);
            destinationRule = planned && {
                ...planned,
                name: override.name ?? planned.name,
                namespace: override.namespace ?? planned.namespace,
                host: override.host ?? planned.host,
            };
            if (destinationRule) {
                claim("DestinationRule", destinationRule.namespace, destinationRule.name, `${at}.destinationRule`);
            }
        }
        planned.push({ scope: p.scope, mode: p.mode, name, namespace, selector, portLevelMtls: ports, destinationRule });
    });
    return planned;
}

function checkRuleOverride(o: DestinationRuleOverride, at: string): void {
    for (const key of ["name", "namespace"] as const) {
        const value = o[key];
        if (value !== undefined && (typeof value !== "string" || !isDns1123Label(value))) {
            reject(`${at}.${key}`, value, DNS1123_ALLOWED);
        }
    }
    if (o.host !== undefined && (typeof o.host !== "string" || !isGatewayHost(o.host))) {
        reject(`${at}.host`, o.host, `a Service host ("httpbin.foo.svc.cluster.local", "*.svc.cluster.local" or "httpbin")`);
    }
}

function planDestinationRule(
    p: PeerAuthPolicy,
    at: string,
    namespace: string,
    name: string,
    selector: Readonly<Record<string, string>> | undefined,
    ports: Readonly<Record<string, { readonly mode: MtlsMode }>> | undefined,
    rootNamespace: string,
    services: readonly LabService[],
): PlannedDestinationRule | undefined {
    const mode = clientMode(p.mode);
    if (p.scope === "mesh") {
        // The OpenShift lab's mesh-wide rule; in the root namespace it applies to every namespace.
        return {
            name: "destinationrule-mtls-istio-mutual",
            namespace: rootNamespace,
            host: "*.svc.cluster.local",
            mode,
            portLevelSettings: [],
        };
    }
    if (p.scope === "namespace") {
        return { name: `${name}-mtls`, namespace, host: `*.${namespace}.svc.cluster.local`, mode, portLevelSettings: [] };
    }
    const candidates = services.filter((s) => s.namespace === namespace && fronts(s, selector!));
    if (candidates.length > 1) {
        reject(
            `${at}.selector`,
            selector,
            `labels of workloads behind one Service, not ${candidates.map((s) => show(s.name)).join(" and ")} (or destinationRule: false)`,
        );
    }
    const service = candidates[0];
    const serviceName = service?.name ?? selector!.app;
    if (serviceName === undefined) {
        reject(
            `${at}.selector`,
            selector,
            `labels of a Service's workloads the lab creates in ${show(namespace)}, or an "app" label naming the Service (or destinationRule: false)`,
        );
    }
    const portLevelSettings: Array<{ port: number; mode: ClientTlsMode }> = [];
    for (const [containerPort, portMode] of Object.entries(ports ?? {})) {
        // PeerAuthentication keys ports by container port, DestinationRule by service port.
        const servicePort = service?.ports.find((sp) => sp.targetPort === Number(containerPort))?.port;
        if (servicePort === undefined) {
            reject(
                `${at}.portLevelMtls`,
                containerPort,
                `a container port that a Service of the lab forwards to in ${show(namespace)} (Istio ignores ports no Service is bound to), or destinationRule: false`,
            );
        }
        const client = clientMode(portMode.mode);
        if (client) {
            portLevelSettings.push({ port: servicePort, mode: client });
        }
    }
    if (mode === undefined && portLevelSettings.length === 0) {
        return undefined;
    }
    return { name: selector!.app ?? name, namespace, host: `${serviceName}.${namespace}.svc.cluster.local`, mode, portLevelSettings };
}

/** The `spec` of a PeerAuthentication for a planned policy. */
export function peerAuthenticationSpec(p: PlannedPolicy): Record<string, unknown> {
    return {
        selector: p.selector ? { matchLabels: { ...p.selector } } : undefined,
        mtls: { mode: p.mode },
        portLevelMtls: p.portLevelMtls
            ? Object.fromEntries(Object.entries(p.portLevelMtls).map(([port, entry]) => [port, { mode: entry.mode }]))
            : undefined,
    };
}

/** The `spec` of a DestinationRule for a planned rule. */
export function destinationRuleSpec(dr: PlannedDestinationRule): Record<string, unknown> {
    return {
        host: dr.host,
        trafficPolicy: {
            tls: dr.mode ? { mode: dr.mode } : undefined,
            portLevelSettings:
                dr.portLevelSettings.length > 0
                    ? dr.portLevelSettings.map((s) => ({ port: { number: s.port }, tls: { mode: s.mode } }))
                    : undefined,
        },
    };
}

/** Inputs of {@link PeerAuth}. */
export interface PeerAuthArgs {
    /** The policies. */
    readonly policies: readonly PeerAuthPolicy[];
    /** The mesh's root namespace. @default "istio-system" */
    readonly rootNamespace?: string;
    /** Services the lab creates, to find a workload policy's host and map container ports to service ports. @default [] */
    readonly services?: readonly LabService[];
    /** Istio API versions the control plane serves. @default v1 */
    readonly apis?: IstioApis;
    /** Resources that must be ready first (the control plane). @default [] */
    readonly requires?: pulumi.Resource[];
    /**
     * Per namespace, what creates it: a policy (and its DestinationRule) waits for its own namespace's only,
     * so a class of 500 namespace policies costs 500 waits, not 500 x 500; a mesh-wide one waits for all. @default {}
     */
    readonly requiresIn?: Readonly<Record<string, pulumi.Resource[]>>;
}

/** What a policy in force looks like in the stack outputs. */
export interface PolicySummary {
    /** `namespace/name`. */
    readonly policy: string;
    /** Scope. */
    readonly scope: PeerAuthScope;
    /** Mode. */
    readonly mode: MtlsMode;
    /** Selector, if any. */
    readonly selector?: Readonly<Record<string, string>>;
    /** Port modes, if any. */
    readonly portLevelMtls?: Readonly<Record<string, { readonly mode: MtlsMode }>>;
    /** `namespace/name` of its DestinationRule, if any. */
    readonly destinationRule?: string;
}

/**
 * Stage 6: mutual TLS policies. Each `PeerAuthentication` at its scope (mesh-wide policies named
 * `default` in the root namespace), and for workload and port scope the DestinationRule that makes
 * clients agree with the server (port entries mapped from container port to service port).
 */
export class PeerAuth extends pulumi.ComponentResource {
    /** The policies in force. */
    public readonly policies: pulumi.Output<PolicySummary[]>;

    constructor(name: string, args: PeerAuthArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-lab:security:PeerAuth", name, {}, opts);
        const planned = planPeerAuth(args.policies, args.rootNamespace ?? "istio-system", args.services ?? [], "PeerAuth args.policies");
        const requiresIn = args.requiresIn ?? {};
        const everyNamespace = Object.values(requiresIn).flat();
        const after = (namespace: string, mesh: boolean) => [
            ...(args.requires ?? []),
            ...(mesh ? everyNamespace : (requiresIn[namespace] ?? [])),
        ];

        const apis = args.apis ?? ISTIO_APIS_V1;
        for (const p of planned) {
            istioObject(
                `${name}-${p.namespace}-${p.name}`,
                apis.security,
                "PeerAuthentication",
                { name: p.name, namespace: p.namespace, labels: LAB_LABELS },
                peerAuthenticationSpec(p),
                { parent: this, dependsOn: after(p.namespace, p.scope === "mesh") },
            );
            const dr = p.destinationRule;
            if (dr) {
                istioObject(
                    `${name}-${dr.namespace}-${dr.name}-dr`,
                    apis.networking,
                    "DestinationRule",
                    { name: dr.name, namespace: dr.namespace, labels: LAB_LABELS },
                    destinationRuleSpec(dr),
                    { parent: this, dependsOn: after(dr.namespace, p.scope === "mesh") },
                );
            }
        }

        this.policies = pulumi.output(
            planned.map((p) => ({
                policy: `${p.namespace}/${p.name}`,
                scope: p.scope,
                mode: p.mode,
                ...(p.selector ? { selector: p.selector } : {}),
                ...(p.portLevelMtls ? { portLevelMtls: p.portLevelMtls } : {}),
                ...(p.destinationRule ? { destinationRule: `${p.destinationRule.namespace}/${p.destinationRule.name}` } : {}),
            })),
        );
        this.registerOutputs({ policies: this.policies });
    }
}
