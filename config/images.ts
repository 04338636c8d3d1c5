// The lab's images: the documents' (as the 2021 labs pulled them: `docker.io/kennethreitz/httpbin`,
// amd64 only, listening on 80; IBM's `ibmcom` guestbook images) or today's multi-arch ones that pull on
// arm64 nodes and containerd 2 (Istio 1.31's own samples: `docker.io/mccutchen/go-httpbin:v2.15.0`,
// listening on 8080, and `docker.io/curlimages/curl:8.16.0`). No public multi-arch guestbook exists: with
// `guestbookRegistry` the guestbook's images are the user's own builds of its public source
// (docs/cluster.md has the recipe). `lab validate` notes the images known not to pull everywhere.
import { GuestbookVersion, LAB_GUESTBOOK_VERSIONS } from "../components/guestbook";
import { isRepositoryName } from "../components/lab";
import { oneOf, text } from "./schema";

/** The image sets `istio-lab:images` picks from. */
export const IMAGE_SETS = ["documents", "multiarch"] as const;
export type ImageSet = (typeof IMAGE_SETS)[number];

/** What a registry path is, as error messages say it. */
export const REGISTRY_ALLOWED =
    'a registry and path to push images under, without a tag (a lower-case path, a port from 1 to 65535, at most 200 characters), e.g. "ghcr.io/you/istio-lab" or "registry.example.com:5000/lab"';

/** The shapes of the image keys. */
export const imagesSchema = {
    images: oneOf(IMAGE_SETS),
    guestbookRegistry: text(REGISTRY_ALLOWED).refine((v) => v.length <= 200 && isRepositoryName(v), REGISTRY_ALLOWED),
};

/** The mTLS lab's httpbin and sleep images of each set. */
export const MTLS_IMAGES: Readonly<Record<ImageSet, { readonly httpbin: string; readonly sleep: string }>> = {
    documents: { httpbin: "docker.io/kennethreitz/httpbin", sleep: "curlimages/curl" },
    multiarch: { httpbin: "docker.io/mccutchen/go-httpbin:v2.15.0", sleep: "docker.io/curlimages/curl:8.16.0" },
};

/** The port an httpbin image listens on: go-httpbin's 8080, else the document's httpbin's 80. */
export function httpbinPortOf(image: string): number {
    return /(^|\/)mccutchen\/go-httpbin(:|@|$)/.test(image) ? 8080 : 80;
}

/** The guestbook's images as the user's own builds under `registry` (the document's names and tags). */
export function registryGuestbook(registry: string): { versions: GuestbookVersion[]; redisSlaveImage: string } {
    return {
        versions: LAB_GUESTBOOK_VERSIONS.map((v) => ({ ...v, image: `${registry}/guestbook:${v.name}` })),
        redisSlaveImage: `${registry}/guestbook-redis-slave:v2`,
    };
}

/** Images known not to pull on every cluster of today, with why and what to set instead. */
const KNOWN: ReadonlyArray<{ readonly test: RegExp; readonly why: string }> = [
    {
        test: /^(docker\.io\/)?kennethreitz\/httpbin(:|@|$)/,
        why: "is amd64-only (an arm64 node cannot run it); istio-lab:images multiarch uses docker.io/mccutchen/go-httpbin:v2.15.0 (port 8080)",
    },
    {
        test: /^(docker\.io\/)?ibmcom\//,
        why: "is from Docker Hub's ibmcom namespace, which IBM has been emptying since 2022, amd64-only on a 2015 base; build the guestbook from its public source into your registry and set istio-lab:guestbookRegistry (docs/cluster.md)",
    },
    {
        test: /^registry\.k8s\.io\/guestbook:v3$/,
        why: "is a Docker schema-1 image, which containerd 2.0 refuses (kind v0.27 and later, GKE 1.33 nodes)",
    },
];

/**
 * One note for each reason some of `images` may not pull (an amd64-only image, a retiring namespace, a
 * schema-1 image), naming the images it applies to and the first object using each (`where`).
 */
export function imageNotes(images: ReadonlyArray<{ readonly where: string; readonly image: string }>): string[] {
    return KNOWN.flatMap((k) => {
        const hit = new Map<string, string[]>();
        for (const { where, image } of images.filter((i) => k.test.test(i.image))) {
            hit.set(image, [...(hit.get(image) ?? []), where]);
        }
        if (hit.size === 0) {
            return [];
        }
        const named = [...hit].map(([image, where]) => `${image} (${where[0]}${where.length > 1 ? ` and ${where.length - 1} more` : ""})`);
        return [
            `${named.length === 1 ? "image" : "images"} ${named.join(", ")} ${k.why.replace(/^is /, named.length === 1 ? "is " : "are ")}`,
        ];
    });
}
