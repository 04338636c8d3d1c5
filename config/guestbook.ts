// The guestbook app: its namespace, versions and images, with the lab's defaults.
import { z } from "zod";
import { GuestbookVersion, LAB_GUESTBOOK_VERSIONS, checkVersions } from "../components/guestbook";
import { LABEL_VALUE_ALLOWED, isLabelValue, isReservedNamespace, reject, reservedNamespaceAllowed } from "../components/lab";
import { registryGuestbook } from "./images";
import { NAMESPACE, dnsLabel, image, int32, list, obj, oneOf, quantity, text } from "./schema";

/** The shape of `guestbook`. */
export const guestbookSchema = {
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
};

/** Guestbook stage settings. */
export interface GuestbookConfig {
    readonly namespace: string;
    readonly versions: readonly GuestbookVersion[];
    readonly serviceType: "ClusterIP" | "LoadBalancer";
    readonly redisMasterImage: string;
    readonly redisSlaveImage: string;
    readonly redisSlaveReplicas: number;
}

/** The guestbook's settings with the lab's defaults; its namespace is one the lab can create and delete. */
export function resolveGuestbook(
    gb: z.infer<typeof guestbookSchema.guestbook> = {},
    controlPlaneNamespace: string,
    registry?: string,
): GuestbookConfig {
    // The user's own builds of the guestbook under guestbookRegistry, else the document's images (explicit ones win).
    const own = registry === undefined ? undefined : registryGuestbook(registry);
    const guestbook: GuestbookConfig = {
        namespace: gb.namespace ?? "guestbook",
        versions: gb.versions ?? own?.versions ?? LAB_GUESTBOOK_VERSIONS,
        serviceType: gb.serviceType ?? "ClusterIP",
        redisMasterImage: gb.redisMasterImage ?? "redis:3.2.9",
        redisSlaveImage: gb.redisSlaveImage ?? own?.redisSlaveImage ?? "ibmcom/guestbook-redis-slave:v2",
        redisSlaveReplicas: gb.redisSlaveReplicas ?? 2,
    };
    checkVersions(guestbook.versions, `${NAMESPACE}:guestbook.versions`);
    if (isReservedNamespace(guestbook.namespace, controlPlaneNamespace)) {
        reject(`${NAMESPACE}:guestbook.namespace`, guestbook.namespace, reservedNamespaceAllowed(controlPlaneNamespace));
    }
    return guestbook;
}
