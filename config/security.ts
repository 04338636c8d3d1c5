// The security labs: the peer authentication policies (mesh, namespace, workload and port scope) and the
// mTLS lab's `httpbin`/`sleep` namespaces.
import { z } from "zod";
import { PEER_AUTH_SCOPES } from "../components/lab";
import { LAB_PLAIN_NAMESPACES, LAB_SIDECAR_NAMESPACES, checkMtlsNamespaces } from "../components/mtlsLab";
import { PeerAuthPolicy } from "../components/peerAuth";
import { ImageSet, MTLS_IMAGES, httpbinPortOf } from "./images";
import { NAMESPACE, allowed, bool, dnsLabel, host, image, int, labels, list, mode, obj, oneOf } from "./schema";

/** The shape of `peerAuth` and `mtlsLab`. */
export const securitySchema = {
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
    mtlsLab: obj({
        sidecarNamespaces: list(dnsLabel, "a list of namespace names"),
        plainNamespaces: list(dnsLabel, "a list of namespace names"),
        httpbinImage: image,
        sleepImage: image,
        httpbinPort: int(1, 65535),
    }).partial(),
};

/** Peer authentication lab workloads' settings. */
export interface MtlsLabConfig {
    readonly sidecarNamespaces: readonly string[];
    readonly plainNamespaces: readonly string[];
    readonly httpbinImage: string;
    readonly sleepImage: string;
    /** The port httpbin's container listens on (the Service's targetPort, what port-level policies are keyed by). */
    readonly httpbinPort: number;
}

/** The policies, the lab's mesh-wide STRICT when none are given. */
export function resolvePeerAuth(given: z.infer<typeof securitySchema.peerAuth> | undefined): PeerAuthPolicy[] {
    return (given as PeerAuthPolicy[] | undefined) ?? [{ mode: "STRICT", scope: "mesh" }];
}

/** The mTLS lab's namespaces and images with the lab's defaults (the image set's images; httpbin's port the image's). */
export function resolveMtlsLab(ml: z.infer<typeof securitySchema.mtlsLab> = {}, images: ImageSet = "documents"): MtlsLabConfig {
    const httpbinImage = ml.httpbinImage ?? MTLS_IMAGES[images].httpbin;
    const mtlsLab: MtlsLabConfig = {
        sidecarNamespaces: ml.sidecarNamespaces ?? LAB_SIDECAR_NAMESPACES,
        plainNamespaces: ml.plainNamespaces ?? LAB_PLAIN_NAMESPACES,
        httpbinImage,
        sleepImage: ml.sleepImage ?? MTLS_IMAGES[images].sleep,
        httpbinPort: ml.httpbinPort ?? httpbinPortOf(httpbinImage),
    };
    checkMtlsNamespaces(mtlsLab.sidecarNamespaces, mtlsLab.plainNamespaces, `${NAMESPACE}:mtlsLab`, null);
    return mtlsLab;
}
