// Which mesh the lab teaches on: the routing API (Istio's or the Kubernetes Gateway API's), the data plane
// (sidecars or ambient), and where the Gateway API CRDs come from.
import { readFileSync, statSync } from "fs";
import { parseAllDocuments } from "yaml";
import { DATAPLANES, Dataplane, LabInputError, Platform, reject, show } from "../components/lab";
import type { PeerAuthPolicy } from "../components/peerAuth";
import { ISTIO_MINORS, gatewayApiCrdUrl, gatewayApiReleaseFor } from "../components/versions";
import type { ControlPlaneConfig } from "./controlPlane";
import type { Stage } from "./recipes";
import type { Notice } from "./stages";
import { NAMESPACE, oneOf, text } from "./schema";
import { TrafficApi, resolveTrafficApi } from "./traffic";

/** What `gatewayApiCrds` may be, for messages. */
export const GATEWAY_API_CRDS_ALLOWED =
    '"install" (the standard CRDs of the release the control plane\'s Istio expects, from the Gateway API\'s GitHub release), "present" (the cluster has them: OpenShift 4.19 and later) or the path of a local standard-install.yaml';

/** The shape of the mesh keys. */
export const meshSchema = {
    dataplane: oneOf(DATAPLANES),
    gatewayApiCrds: text(GATEWAY_API_CRDS_ALLOWED),
};

/** Where the Gateway API CRDs come from. */
export type GatewayApiCrds =
    /** The cluster has them; the lab leaves them alone. */
    | { readonly kind: "present" }
    /** The lab applies `file` (a URL or a local path), the standard CRDs of `release`. */
    | { readonly kind: "install"; readonly release: string; readonly file: string };

/** The mesh settings of a lab. */
export interface MeshConfig {
    readonly trafficApi: TrafficApi;
    readonly dataplane: Dataplane;
    /** Where the Gateway API CRDs come from; absent when the lab uses none (Istio routing with sidecars). */
    readonly gatewayApiCrds?: GatewayApiCrds;
}

/** The annotation every Gateway API CRD carries with its release (`v1.6.3`). */
export const BUNDLE_VERSION_ANNOTATION = "gateway.networking.k8s.io/bundle-version";

/** The release a standard-install file's CRDs carry (every CRD the same), read from the file. */
export function bundleVersionOf(file: string, where: string): string {
    let text: string;
    try {
        // A regular file of sane size: /dev/zero or a FIFO would never end (v1.6.3's is about 0.6 MiB).
        const st = statSync(file);
        if (!st.isFile() || st.size > MAX_CRD_FILE_BYTES) {
            return reject(where, file, `${GATEWAY_API_CRDS_ALLOWED} (a regular file of at most 16 MiB)`);
        }
        text = readFileSync(file, "utf8");
    } catch (e) {
        if (e instanceof LabInputError) {
            throw e;
        }
        return reject(where, file, `${GATEWAY_API_CRDS_ALLOWED} (${(e as NodeJS.ErrnoException).code ?? "unreadable"})`);
    }
    const versions = new Set<string>();
    const channels = new Set<string>();
    for (const doc of parseAllDocuments(text)) {
        const o = doc.toJS() as { kind?: string; metadata?: { annotations?: Record<string, string> } } | null;
        if (o?.kind === "CustomResourceDefinition") {
            versions.add(o.metadata?.annotations?.[BUNDLE_VERSION_ANNOTATION] ?? "");
            channels.add(o.metadata?.annotations?.[CHANNEL_ANNOTATION] ?? "standard");
        }
    }
    if ([...channels].some((c) => c !== "standard")) {
        reject(
            where,
            file,
            `a Gateway API standard-install.yaml (channel "standard"), not the ${[...channels].filter((c) => c !== "standard").join(", ")} channel's: Istio's ambient and Gateway API support is built against the standard CRDs, and v1.6's standard install refuses experimental CRDs over standard ones`,
        );
    }
    if (versions.size !== 1 || versions.has("")) {
        reject(
            where,
            file,
            `a Gateway API standard-install.yaml: CustomResourceDefinitions that all carry the ${BUNDLE_VERSION_ANNOTATION} annotation (found ${versions.size === 0 ? "no CRD" : [...versions].map((v) => show(v || "none")).join(", ")})`,
        );
    }
    return [...versions][0];
}

/** The annotation that says which channel (standard, experimental) a Gateway API CRD is from. */
const CHANNEL_ANNOTATION = "gateway.networking.k8s.io/channel";

/** The largest CRD file read. */
const MAX_CRD_FILE_BYTES = 16 * 1024 * 1024;

/** `v1.6.3` -> `v1.6`. */
const minorOf = (release: string) => release.split(".").slice(0, 2).join(".");

/**
 * The mesh settings, checked: ossm2 runs neither the Gateway API ingress nor ambient; OpenShift ships its
 * own Gateway API CRDs (its Ingress Operator owns them: installing over them is refused); a local CRD file
 * must be the release the control plane's Istio is built against (Istio 1.30 needs v1.5, and Istio 1.29
 * and older crash with v1.5 installed, istio/istio #59443).
 */
export function resolveMesh(
    c: { trafficApi?: TrafficApi; dataplane?: Dataplane; gatewayApiCrds?: string },
    platform: Platform,
    controlPlane: ControlPlaneConfig,
    stages: readonly Stage[],
): MeshConfig {
    const trafficApi = resolveTrafficApi(c.trafficApi, controlPlane.flavor);
    const dataplane = c.dataplane ?? "sidecar";
    if (dataplane === "ambient" && controlPlane.flavor === "ossm2") {
        reject(
            `${NAMESPACE}:dataplane`,
            dataplane,
            '"sidecar" with controlPlane.flavor "ossm2" (OpenShift Service Mesh 2 has no ambient mode; OSSM 3.2 and later have it: use "ossm3")',
        );
    }
    // istiod's profile is the data plane's: a values.profile of its own would install the other mesh.
    const profile = controlPlane.flavor === "ossm2" ? undefined : controlPlane.values.profile;
    if (profile !== undefined && (dataplane === "ambient" ? profile !== "ambient" : profile === "ambient")) {
        reject(
            `${NAMESPACE}:controlPlane.values.profile`,
            profile,
            dataplane === "ambient"
                ? 'nothing or "ambient": istio-lab:dataplane is "ambient", which sets istiod\'s profile'
                : 'nothing or a sidecar profile: set istio-lab:dataplane to "ambient" for ambient mode (it also installs the CNI agent and ztunnel, and labels the namespaces)',
        );
    }
    const usesGatewayApi =
        (trafficApi === "gatewayApi" && stages.includes("gateway")) || (dataplane === "ambient" && stages.includes("controlPlane"));
    checkIstiodEnv(controlPlane, usesGatewayApi && stages.includes("controlPlane"));
    if (!usesGatewayApi) {
        return { trafficApi, dataplane };
    }
    const where = `${NAMESPACE}:gatewayApiCrds`;
    const choice = c.gatewayApiCrds ?? (platform === "openshift" ? "present" : "install");
    if (choice === "present") {
        return { trafficApi, dataplane, gatewayApiCrds: { kind: "present" } };
    }
    if (platform === "openshift") {
        reject(
            where,
            choice,
            '"present" on OpenShift: OpenShift 4.19 and later ship the Gateway API CRDs, and its Cluster Ingress Operator owns them (do not install or replace them there)',
        );
    }
    const expected = gatewayApiReleaseFor(controlPlane.istioVersion);
    if (expected === undefined) {
        return reject(
            `${NAMESPACE}:controlPlane.istioVersion`,
            controlPlane.istioVersion,
            `an Istio of a minor whose Gateway API release the lab knows (${ISTIO_MINORS.map((m) => m.minor).join(", ")}) with the Gateway API, or ${where} "present"`,
        );
    }
    if (choice === "install") {
        return { trafficApi, dataplane, gatewayApiCrds: { kind: "install", release: expected, file: gatewayApiCrdUrl(expected) } };
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(choice)) {
        reject(where, choice, `${GATEWAY_API_CRDS_ALLOWED}; "install" already takes the release's own URL`);
    }
    const release = bundleVersionOf(choice, where);
    if (minorOf(release) !== minorOf(expected)) {
        reject(
            where,
            choice,
            `the Gateway API ${minorOf(expected)} CRDs (${expected}) that Istio ${controlPlane.istioVersion} is built against, not ${release}: Istio 1.30 needs v1.5, and Istio 1.29 and older crash with v1.5 CRDs installed (istio/istio #59443)`,
        );
    }
    return { trafficApi, dataplane, gatewayApiCrds: { kind: "install", release, file: choice } };
}

/**
 * Whether a lab (the one lab, or an attendee's) gets a waypoint: in ambient mode, with the traffic stage and a
 * circuit breaker, the L7 policy that must also apply to traffic inside the mesh.
 */
export function wantsWaypoint(dataplane: Dataplane, stages: readonly Stage[], traffic: { readonly circuitBreaker?: unknown }): boolean {
    return dataplane === "ambient" && stages.includes("traffic") && traffic.circuitBreaker !== undefined;
}

/** Where Istio says what DISABLE does in ambient mode, for messages and the README. */
export const AMBIENT_DISABLE_SOURCE =
    'Istio\'s PeerAuthentication reference: "In ambient mode ... DISABLE mode is not supported"; OpenShift Service Mesh 3.2: a policy setting DISABLE is ignored, ztunnel and HBONE always use mTLS';

/**
 * The policies as the lab applies them in ambient mode, checked: DISABLE is refused (between ambient workloads
 * traffic is always mutual TLS, HBONE through ztunnel, so it would not turn anything off), and no
 * DestinationRule goes with a policy (its TLS modes do not apply between ztunnels). The guestbook's
 * `clientTls` is refused for the same reason, the class's and each attendee's. Sidecar mode: as given.
 */
export function checkAmbient(
    dataplane: Dataplane,
    policies: readonly PeerAuthPolicy[],
    clientTls: { readonly where: string; readonly value: string | undefined }[],
): PeerAuthPolicy[] {
    if (dataplane !== "ambient") {
        return [...policies];
    }
    const why = `in ambient mode (${AMBIENT_DISABLE_SOURCE}); use PERMISSIVE to let plaintext from outside the mesh in, or set ${NAMESPACE}:dataplane to "sidecar" for the lab's DISABLE steps`;
    policies.forEach((p, i) => {
        const at = `${NAMESPACE}:peerAuth[${i}]`;
        if (p.mode === "DISABLE") {
            reject(`${at}.mode`, p.mode, `STRICT, PERMISSIVE or UNSET ${why}`);
        }
        for (const [port, entry] of Object.entries(p.portLevelMtls ?? {})) {
            if (entry.mode === "DISABLE") {
                reject(`${at}.portLevelMtls.${port}.mode`, entry.mode, `STRICT, PERMISSIVE or UNSET ${why}`);
            }
        }
        if (p.destinationRule !== undefined && p.destinationRule !== false) {
            reject(
                `${at}.destinationRule`,
                p.destinationRule,
                "false or nothing in ambient mode: DestinationRule TLS modes do not apply between ztunnels, which always use mutual TLS",
            );
        }
    });
    for (const c of clientTls) {
        if (c.value !== undefined) {
            reject(
                c.where,
                c.value,
                `nothing in ambient mode: DestinationRule TLS modes do not apply between ztunnels (traffic between ambient workloads is always mutual TLS); set ${NAMESPACE}:dataplane to "sidecar" for the lab's client TLS step`,
            );
        }
    }
    return policies.map((p) => ({ ...p, destinationRule: false }));
}

/**
 * `gatewayApiCrds` set for a lab with the stages it acts on but no Gateway API (Istio routing with sidecars): it
 * does nothing, and is reported (without those stages the stage check reports it).
 */
export function unusedGatewayApiCrds(given: string | undefined, mesh: MeshConfig, stages: readonly Stage[]): Notice[] {
    return given !== undefined && mesh.gatewayApiCrds === undefined && (stages.includes("gateway") || stages.includes("controlPlane"))
        ? [
              {
                  key: `${NAMESPACE}:gatewayApiCrds`,
                  message: `${NAMESPACE}:gatewayApiCrds has no effect: this lab uses no Gateway API (trafficApi "${mesh.trafficApi}", dataplane "${mesh.dataplane}"); set ${NAMESPACE}:trafficApi to "gatewayApi" or remove the setting`,
              },
          ]
        : [];
}

/** istiod environment variables that turn off what the lab's Gateway API objects (or ambient's waypoints) need. */
const GATEWAY_API_ENV = ["PILOT_ENABLE_GATEWAY_API", "PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER"] as const;

/** Refuses `controlPlane.values.pilot.env` that switches off istiod's Gateway API support where the lab relies on it. */
function checkIstiodEnv(controlPlane: ControlPlaneConfig, usesGatewayApi: boolean): void {
    if (!usesGatewayApi || controlPlane.flavor === "ossm2") {
        return;
    }
    const env = (controlPlane.values.pilot as { env?: Record<string, unknown> } | undefined)?.env ?? {};
    for (const name of GATEWAY_API_ENV) {
        const v = env[name];
        if (v === false || (typeof v === "string" && v.toLowerCase() === "false")) {
            reject(
                `${NAMESPACE}:controlPlane.values.pilot.env.${name}`,
                v,
                `nothing or "true": this lab's Gateway API objects (the Gateway Istio deploys, the HTTPRoute, ambient's waypoint) need istiod's Gateway API support`,
            );
        }
    }
}
