// Facts and small helpers shared by every lab stage: the lab's fixed names and values (from the lab
// documents), the literal unions that describe modes and platforms, and the label/annotation helpers
// that keep every stage's objects consistent.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { linear } from "./linear";

/** The clusters a lab runs on. */
export type Platform = "kubernetes" | "openshift";
/** Every platform, in documentation order. */
export const PLATFORMS: readonly Platform[] = ["kubernetes", "openshift"];

/** Peer authentication modes (`security.istio.io` `PeerAuthentication.spec.mtls.mode`). */
export type MtlsMode = "STRICT" | "PERMISSIVE" | "DISABLE" | "UNSET";
/** Every peer authentication mode. */
export const MTLS_MODES: readonly MtlsMode[] = ["STRICT", "PERMISSIVE", "DISABLE", "UNSET"];

/** The scopes a peer authentication policy can have. */
export type PeerAuthScope = "mesh" | "namespace" | "workload" | "port";
/** Every peer authentication scope, widest first. */
export const PEER_AUTH_SCOPES: readonly PeerAuthScope[] = ["mesh", "namespace", "workload", "port"];

/**
 * The control plane a lab installs: upstream Istio from its Helm charts (`helm`) or the Sail operator
 * (`sail`) on Kubernetes; OpenShift Service Mesh 3 (`ossm3`, OpenShift 4.20+) or 2 (`ossm2`, the lab
 * documents' system, OpenShift up to 4.19) on OpenShift.
 */
export type Flavor = "helm" | "sail" | "ossm2" | "ossm3";
/** The flavours each platform runs, its default first. */
export const FLAVORS: Readonly<Record<Platform, readonly Flavor[]>> = { kubernetes: ["helm", "sail"], openshift: ["ossm3", "ossm2"] };

/** The Istio API versions a lab's objects use. */
export interface IstioApis {
    /** VirtualService, DestinationRule, Gateway. */
    readonly networking: string;
    /** PeerAuthentication. */
    readonly security: string;
}
/** What Istio 1.22 and later serve and store (upstream, Sail, OSSM 3). */
export const ISTIO_APIS_V1: IstioApis = { networking: "networking.istio.io/v1", security: "security.istio.io/v1" };
/** What OSSM 2.6 (Istio 1.20) serves, and what earlier versions of this program created everywhere. */
export const ISTIO_APIS_V1BETA1: IstioApis = { networking: "networking.istio.io/v1beta1", security: "security.istio.io/v1beta1" };

/** The Istio API versions a flavour's control plane serves. */
export function istioApisFor(flavor: Flavor): IstioApis {
    return flavor === "ossm2" ? ISTIO_APIS_V1BETA1 : ISTIO_APIS_V1;
}

/**
 * An Istio object. A `v1` object carries an alias for its `v1beta1` type, which this program created
 * before: the type token is part of the URN, and without the alias an existing stack would delete the
 * object and create it again (which, for an explicitly named object, fails while the old one exists).
 */
export function istioObject(
    logicalName: string,
    apiVersion: string,
    kind: string,
    metadata: pulumi.Input<Record<string, unknown>>,
    spec: pulumi.Input<Record<string, unknown>>,
    opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
    const [group, version] = apiVersion.split("/");
    const aliases = version === "v1" ? [{ type: `kubernetes:${group}/v1beta1:${kind}` }] : [];
    return new k8s.apiextensions.CustomResource(
        logicalName,
        { apiVersion, kind, metadata, spec },
        { ...opts, aliases: [...(opts.aliases ?? []), ...aliases] },
    );
}

/** Error thrown for bad input; its message names the key or argument, the value and what is allowed. */
export class LabInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "LabInputError";
    }
}

/**
 * Describes a value in an error message: strings quoted, everything else as JSON, so that a
 * message shows exactly what the user wrote.
 */
export function show(value: unknown): string {
    if (value === undefined) {
        return "nothing";
    }
    const text = value instanceof WrittenNumber ? value.text : JSON.stringify(value);
    // As written, but a screenful of one value hides the rest of the message.
    return text.length > SHOWN_MAX ? `${text.slice(0, SHOWN_MAX - 20)}... (${text.length} characters)` : text;
}

/** The longest value a message shows whole. */
export const SHOWN_MAX = 100;

/**
 * A number as the user wrote it, kept when JSON would turn it into something else (`1e999` is
 * Infinity, which JSON prints as `null`): no check accepts it, and messages show it as written.
 */
export class WrittenNumber {
    constructor(public readonly text: string) {}
}

/** Throws a {@link LabInputError} of the project's one shape: `<where>: <value> is not allowed; expected <allowed>`. */
export function reject(where: string, value: unknown, allowed: string): never {
    throw new LabInputError(`${where}: ${show(value)} is not allowed; expected ${allowed}`);
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True when `name` is a DNS-1123 label (what Kubernetes allows as a namespace name). */
export function isDns1123Label(name: string): boolean {
    return name.length <= 63 && DNS1123_LABEL.test(name);
}

/** What a DNS-1123 label is, as error messages say it. */
export const DNS1123_ALLOWED =
    "a DNS-1123 label (at most 63 characters: lower-case letters, digits and '-', starting and ending with a letter or digit)";

/** True when `name` is a DNS-1123 subdomain (what Kubernetes allows as a Secret's name). */
export function isDns1123Subdomain(name: string): boolean {
    return name.length <= 253 && name.split(".").every((part) => DNS1123_LABEL.test(part));
}

/** What a DNS-1123 subdomain is, for messages. */
export const DNS1123_SUBDOMAIN_ALLOWED =
    'a Kubernetes object name: at most 253 characters of lowercase letters, digits, "-" and ".", each "."-separated part starting and ending with a letter or digit';

/** Labels every object the lab creates carries, so `oc get all -l app.kubernetes.io/part-of=istio-lab` finds them. */
export const LAB_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/part-of": "istio-lab",
    "app.kubernetes.io/managed-by": "pulumi",
};

/** The annotation that makes the Pulumi Kubernetes provider wait for a resource (provider 4.18+). */
export const WAIT_FOR = "pulumi.com/waitFor";
/** The annotation that limits how long the provider waits for it, in seconds. */
export const TIMEOUT_SECONDS = "pulumi.com/timeoutSeconds";

/**
 * Annotations that make the provider wait for every one of `conditions`
 * (`condition=Ready`, `jsonpath={...}=value`), in the annotation's single or JSON-array form.
 */
export function waitFor(...conditions: string[]): Record<string, string> {
    return { [WAIT_FOR]: conditions.length === 1 ? conditions[0] : JSON.stringify(conditions) };
}

/**
 * The annotation on a Service whose pods a Deployment's await already covers. For every other Service the
 * provider waits until its Endpoints have an address and then 10 s more for them to "settle" (its Service
 * awaiter), which was 10.2 of the 11.6 s of a guestbook's `pulumi up` (the e2e's trace) and the bulk of a
 * class's. A load balancer's Service keeps the await: its address is what `labUrl` reports.
 */
export const SKIP_SERVICE_AWAIT: Readonly<Record<string, string>> = { "pulumi.com/skipAwait": "true" };

/** The pod annotation that asks OpenShift Service Mesh 2 (and upstream Istio) for a sidecar. */
export const SIDECAR_INJECT_ANNOTATION = "sidecar.istio.io/inject";

/** The namespace label that turns on sidecar injection for upstream Istio. */
export const ISTIO_INJECTION_LABEL = "istio-injection";
/** How a lab's workloads join the mesh: a sidecar in every pod, or ambient mode (ztunnel per node, waypoints for L7). */
export const DATAPLANES = ["sidecar", "ambient"] as const;
export type Dataplane = (typeof DATAPLANES)[number];
/** The namespace label that puts its pods in the ambient mesh (`ambient`). */
export const DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode";
/** The namespace label that sends its Services' traffic through a waypoint (the waypoint Gateway's name). */
export const USE_WAYPOINT_LABEL = "istio.io/use-waypoint";

/**
 * The label OpenShift Service Mesh 2 puts on a namespace once the member roll has taken it in.
 * Waiting for it is how the lab knows a member namespace will get sidecars.
 */
export const MAISTRA_MEMBER_OF_LABEL = "maistra.io/member-of";

/**
 * The `jsonpath` wait for a namespace to have joined the mesh whose control plane lives in
 * `controlPlaneNamespace`. The provider parses RFC 9535 JSONPath: a label key with dots goes in a
 * bracketed name (kubectl's `maistra\.io` escape is refused there: "jsonpath: unexpected '\\'").
 */
export function memberOfWait(controlPlaneNamespace: string): string {
    return `jsonpath={.metadata.labels['maistra.io/member-of']}=${controlPlaneNamespace}`;
}

/** Reads a field of a resource's outputs that its TypeScript class does not declare (custom resources' `spec`, `status`). */
export function outputField<T>(resource: pulumi.Resource, field: string): pulumi.Output<T> {
    const value = (resource as unknown as Record<string, unknown>)[field];
    return pulumi.output(value) as unknown as pulumi.Output<T>;
}

// ---- Kubernetes value rules, checked where a value enters ---------------------------------------

/**
 * True for namespaces a lab must never create, own or delete: `default`, `kube-*`, `openshift-*`
 * (and `openshift`), and the control plane's namespace. They exist on every cluster, or belong to the mesh.
 */
export function isReservedNamespace(name: string, controlPlaneNamespace: string): boolean {
    return (
        name === "default" ||
        name === "openshift" ||
        name.startsWith("kube-") ||
        name.startsWith("openshift-") ||
        name === controlPlaneNamespace
    );
}

/** What a reserved namespace is, as error messages say it. */
export function reservedNamespaceAllowed(controlPlaneNamespace: string): string {
    return `a namespace the lab can create and delete (not "default", "kube-*", "openshift-*" or the control plane's ${show(controlPlaneNamespace)})`;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** What a label value is, as error messages say it. */
export const LABEL_VALUE_ALLOWED =
    "a Kubernetes label value (at most 63 characters: letters, digits, '-', '_' and '.', starting and ending with a letter or digit)";

/** True when `value` is a valid Kubernetes label value. */
export function isLabelValue(value: string): boolean {
    return value.length <= 63 && LABEL_VALUE.test(value);
}

// An image reference as the distribution grammar (github.com/distribution/reference) has it:
// [domain[:port]/]path[:tag][@digest], matched a part at a time, each part in linear time.
const DOMAIN = linear(
    /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*$|^\[[a-fA-F0-9:]+\]$/,
);
const PATH_COMPONENT = linear(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/);
const TAG = linear(/^\w[\w.-]{0,127}$/);
const DIGEST = linear(/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/);

/** True when `port` is a port number from 1 to 65535, written in decimal digits. */
export function isPort(port: string): boolean {
    return /^[0-9]{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

/** True when `host[:port]` is a registry's domain: a DNS name or a bracketed IPv6 address, and a port from 1 to 65535. */
function isRegistryDomain(domain: string): boolean {
    const colon = domain.lastIndexOf(":");
    const hasPort = colon > domain.lastIndexOf("]");
    const port = hasPort ? domain.slice(colon + 1) : undefined;
    if (port !== undefined && !isPort(port)) {
        return false;
    }
    return DOMAIN.test(hasPort ? domain.slice(0, colon) : domain);
}

/**
 * True when `name` is an image's name without tag or digest: an optional registry domain (the first component,
 * when it has a `.` or `:`, is `localhost`, or has upper case, as the container runtimes decide) and a path of
 * lower-case components separated by `/`.
 */
export function isRepositoryName(name: string): boolean {
    const slash = name.indexOf("/");
    const first = slash < 0 ? "" : name.slice(0, slash);
    const isDomain = slash >= 0 && (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase());
    if (isDomain && !isRegistryDomain(first)) {
        return false;
    }
    return (isDomain ? name.slice(slash + 1) : name).split("/").every((c) => PATH_COMPONENT.test(c));
}

/** What an image reference is, as error messages say it. */
export const IMAGE_ALLOWED = 'an image reference such as "ibmcom/guestbook:v1" or "registry.example.com:5000/team/app@sha256:<digest>"';

/** True when `image` parses as a container image reference (at most 255 characters). */
export function isImageReference(image: string): boolean {
    if (image.length > 255) {
        return false;
    }
    const at = image.indexOf("@");
    if (at >= 0 && !DIGEST.test(image.slice(at + 1))) {
        return false;
    }
    const named = at >= 0 ? image.slice(0, at) : image;
    const colon = named.lastIndexOf(":");
    const hasTag = colon > named.lastIndexOf("/");
    if (hasTag && !TAG.test(named.slice(colon + 1))) {
        return false;
    }
    return isRepositoryName(hasTag ? named.slice(0, colon) : named);
}

const DNS1123_SUBDOMAIN = linear(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
/** What a gateway host is, as error messages say it. */
export const HOST_ALLOWED =
    'a DNS name ("guestbook.example.com", each label at most 63 characters), a wildcard name ("*.example.com") or "*"';

/** True when `host` is `*`, a DNS name, or a DNS name behind `*.` (what Istio's Gateway and VirtualService accept). */
export function isGatewayHost(host: string): boolean {
    if (host === "*") {
        return true;
    }
    const name = host.startsWith("*.") ? host.slice(2) : host;
    return name.length > 0 && name.length <= 253 && DNS1123_SUBDOMAIN.test(name) && name.split(".").every((l) => l.length <= 63);
}

/** The largest value of a Kubernetes int32 field (replicas, connection limits). */
export const INT32_MAX = 2147483647;

const QUANTITY = linear(/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/);
/** What a resource quantity is, as error messages say it. */
export const QUANTITY_ALLOWED = 'a Kubernetes quantity such as "100m", "0.5", "100Mi" or "1Gi"';

/** True when `value` is a Kubernetes resource quantity. */
export function isQuantity(value: string): boolean {
    return QUANTITY.test(value);
}
