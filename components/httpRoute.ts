// The lab's routing in Kubernetes Gateway API terms (`trafficApi: gatewayApi`): an HTTPRoute whose canary is
// weighted `backendRefs` to one Service per version, whose A/B rule is a header match of type
// `RegularExpression` (RE2, as Envoy matches), and whose round robin is one backend to the `guestbook`
// Service; the Gateway, its HTTPS redirect, and the one way the components register any of them.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AbTest, Routing, Subset } from "./routing";

/** The Gateway API version the lab writes (`v1`: Gateway and HTTPRoute are standard there). */
export const GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1";

/** A Gateway API object (`Gateway`, `HTTPRoute`) of the lab. */
export function gatewayApiObject(
    logicalName: string,
    kind: "Gateway" | "HTTPRoute",
    metadata: pulumi.Input<Record<string, unknown>>,
    spec: pulumi.Input<Record<string, unknown>>,
    opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(logicalName, { apiVersion: GATEWAY_API_VERSION, kind, metadata, spec }, opts);
}

/** A `parentRefs` entry: the Gateway (and listener) a route attaches to. */
const parentRef = (p: ParentRef) => ({ group: "gateway.networking.k8s.io", kind: "Gateway", ...p });

/** The guestbook's port on its Services. */
const GUESTBOOK_SERVICE_PORT = 80;

/** The Service that selects one guestbook version (`guestbook-v2` selects `app: guestbook, version: "2.0"`). */
export function versionServiceName(subset: string): string {
    return `guestbook-${subset}`;
}

/** One Service per version, as the HTTPRoute's weighted backends need: `{name, selector}`. */
export function versionServices(subsets: readonly Subset[]): Array<{ name: string; selector: Record<string, string> }> {
    return subsets.map((s) => ({ name: versionServiceName(s.name), selector: { app: "guestbook", version: s.version } }));
}

/** A Gateway (and listener) an HTTPRoute attaches to. */
export interface ParentRef {
    readonly name: string;
    /** Its namespace (an output where the namespace's creation must come first). */
    readonly namespace: pulumi.Input<string>;
    readonly sectionName?: string;
}

/** What an HTTPRoute of the lab routes. */
export interface HttpRouteArgs {
    readonly parents: readonly ParentRef[];
    /** Concrete hostnames; `"*"` or none means every host the listener takes. */
    readonly hosts: readonly string[];
    readonly subsets: readonly Subset[];
    readonly canaryWeight: number;
    readonly routing: Routing;
    readonly abTest?: AbTest;
    /** A classroom without a domain: the attendee's path prefix (`/user7/`). */
    readonly pathPrefix?: string;
}

type Rule = Record<string, unknown>;

const backend = (name: string, weight?: number) => ({
    name,
    port: GUESTBOOK_SERVICE_PORT,
    ...(weight !== undefined ? { weight } : {}),
});

/**
 * The HTTPRoute `spec`: the A/B rule first (the more specific match wins in Gateway API too, and it is listed
 * first for the reader), then the weighted rule (0: one backend, the oldest; 100: the newest; between: the
 * pair with their weights), or round robin's one backend to `guestbook`; under a path prefix every rule
 * matches it and rewrites it away, and the bare prefix redirects to itself with a slash.
 */
export function httpRouteSpec(a: HttpRouteArgs): Record<string, unknown> {
    const oldest = a.subsets[0].name;
    const newest = a.subsets[a.subsets.length - 1].name;
    const path = a.pathPrefix ? { path: { type: "PathPrefix", value: a.pathPrefix } } : {};
    const rewrite = a.pathPrefix
        ? { filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }] }
        : {};
    const rule = (backendRefs: unknown[], headers?: unknown[]): Rule => ({
        ...(headers || a.pathPrefix ? { matches: [{ ...path, ...(headers ? { headers } : {}) }] } : {}),
        ...rewrite,
        backendRefs,
    });
    const rules: Rule[] = [];
    if (a.pathPrefix) {
        rules.push({
            matches: [{ path: { type: "Exact", value: a.pathPrefix.replace(/\/$/, "") } }],
            filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplaceFullPath", replaceFullPath: a.pathPrefix } } }],
        });
    }
    if (a.routing === "roundRobin") {
        rules.push(rule([backend("guestbook")]));
    } else {
        if (a.abTest) {
            rules.push(
                rule([backend(versionServiceName(newest))], [{ type: "RegularExpression", name: a.abTest.header, value: a.abTest.regex }]),
            );
        }
        const single = a.canaryWeight === 0 || a.canaryWeight === 100 || oldest === newest;
        rules.push(
            rule(
                single
                    ? [backend(versionServiceName(a.canaryWeight === 100 ? newest : oldest))]
                    : [backend(versionServiceName(oldest), 100 - a.canaryWeight), backend(versionServiceName(newest), a.canaryWeight)],
            ),
        );
    }
    const hostnames = a.hosts.filter((h) => h !== "*");
    return {
        parentRefs: a.parents.map(parentRef),
        ...(hostnames.length > 0 ? { hostnames } : {}),
        rules,
    };
}

/**
 * The share of traffic (percent) each version gets from an HTTPRoute's last rule: Gateway API weights are
 * relative (a backend without one weighs 1), so they are turned into percentages of their sum.
 */
export function httpRouteSplit(spec: Record<string, unknown>, subsets: readonly Subset[]): Record<string, number> {
    const rules = (spec.rules ?? []) as Array<{ backendRefs?: Array<{ name: string; weight?: number }> }>;
    const refs = rules[rules.length - 1]?.backendRefs ?? [];
    const total = refs.reduce((n, r) => n + (r.weight ?? 1), 0);
    const split: Record<string, number> = {};
    for (const s of subsets) {
        const ref = refs.find((r) => r.name === versionServiceName(s.name));
        split[s.name] = ref && total > 0 ? Math.round(((ref.weight ?? 1) / total) * 100) : 0;
    }
    return split;
}

/** The annotation Istio reads for the Service type of a Gateway it deploys. */
export const SERVICE_TYPE_ANNOTATION = "networking.istio.io/service-type";

/** What a Gateway API Gateway of the lab listens for. */
export interface LabGatewayArgs {
    /** Concrete hostnames (`"*"` for any). */
    readonly hosts: readonly string[];
    /** The `kubernetes.io/tls` Secret in the Gateway's namespace to terminate HTTPS with, or none (plain HTTP). */
    readonly certificateSecret?: string;
    /** The HTTP listeners' port. @default 80 */
    readonly httpPort?: number;
}

/**
 * The Gateway API `Gateway` spec Istio deploys itself (`gatewayClassName: istio`): per hostname an HTTP
 * listener on 80 and, with a certificate, an HTTPS listener on 443 terminating TLS; routes from every
 * namespace may attach (a classroom's attendees route from their own).
 */
export function gatewaySpec(a: LabGatewayArgs): Record<string, unknown> {
    const hosts = a.hosts.includes("*") || a.hosts.length === 0 ? [undefined] : [...a.hosts];
    const allowedRoutes = { namespaces: { from: "All" } };
    const suffix = (i: number) => (hosts.length > 1 ? `-${i}` : "");
    const listeners = hosts.flatMap((hostname, i) => [
        { name: `http${suffix(i)}`, port: a.httpPort ?? 80, protocol: "HTTP", ...(hostname ? { hostname } : {}), allowedRoutes },
        ...(a.certificateSecret
            ? [
                  {
                      name: `https${suffix(i)}`,
                      port: 443,
                      protocol: "HTTPS",
                      ...(hostname ? { hostname } : {}),
                      tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: a.certificateSecret }] },
                      allowedRoutes,
                  },
              ]
            : []),
    ]);
    return { gatewayClassName: "istio", listeners };
}

/** With HTTPS on, the HTTP listeners redirect to it (the lab's `httpsRedirect`): an HTTPRoute on each HTTP listener. */
export function httpsRedirectSpec(gateway: ParentRef, listeners: readonly string[]): Record<string, unknown> {
    return {
        parentRefs: listeners.map((sectionName) => parentRef({ ...gateway, sectionName })),
        rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
    };
}
