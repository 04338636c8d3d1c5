// The one table of versions the lab accepts, per flavour, each row with where it was found and when.
// The next update is one edit here: add the new patch (or row), move nothing else. Everything that
// defaults, checks or documents a version reads it from this file.

/** When the table was last checked against its sources. */
export const VERSIONS_CHECKED = "2026-11-29";

/** One supported upstream Istio minor. */
export interface IstioMinor {
    /** `1.31`. */
    readonly minor: string;
    /** Every released patch, oldest first. */
    readonly patches: readonly string[];
    /** The Gateway API CRD release this minor's istiod is built against (`v1.6`). */
    readonly gatewayApi: string;
    /** The Gateway API release whose `standard-install.yaml` the lab installs for it (`v1.6.3`). */
    readonly gatewayApiRelease: string;
    /** Where the facts come from. */
    readonly source: string;
}

/**
 * Upstream Istio minors that are supported (a minor is supported until six weeks after minor N+2: 1.29
 * reached end of life on 2026-10-12), newest first. Their Helm charts are at
 * `https://blob.istio.io/istio-release/charts` and `oci://ghcr.io/istio/release/charts` (all versions,
 * Istio blog of 2026-08-21), their images at `docker.io/istio`.
 */
export const ISTIO_MINORS: readonly IstioMinor[] = [
    {
        minor: "1.31",
        patches: ["1.31.0", "1.31.1", "1.31.2", "1.31.3"],
        gatewayApi: "v1.6",
        gatewayApiRelease: "v1.6.3",
        source: "1.31.0 released 2026-08-31 at istio/istio commit eed52eb (GitHub releases); 1.31.3 added by Sail operator 1.31.2 (release notes, 2026-11-02); patches are numbered without gaps; istio.io/istio go.mod at 1.31.0 requires sigs.k8s.io/gateway-api v1.6.0",
    },
    {
        minor: "1.30",
        patches: ["1.30.0", "1.30.1", "1.30.2", "1.30.3", "1.30.4", "1.30.5", "1.30.6", "1.30.7"],
        gatewayApi: "v1.5",
        gatewayApiRelease: "v1.5.1",
        source: "istio.io 1.30.x release announcements (1.30.0 2026-05-18 to 1.30.5); 1.30.7 added by Sail operator 1.31.2 (release notes, 2026-11-02); Istio 1.30 needs Gateway API v1.5 (upgrade notes)",
    },
];

/** One Sail operator release: the Istio versions it installs (of those, the lab accepts the supported ones). */
export interface SailRelease {
    readonly version: string;
    /** The Istio versions in its `versions.yaml` that are not end of life, oldest minor first. */
    readonly istio: readonly string[];
    readonly source: string;
}

const patches = (minor: string, last: number, first = 0) => Array.from({ length: last - first + 1 }, (_, i) => `${minor}.${first + i}`);

/**
 * Sail operator releases that install a supported Istio, newest first. Its Helm chart repository
 * (`https://istio-ecosystem.github.io/sail-operator`) is not one of the retired locations; its
 * `versions.yaml` lists chart URLs at the old location, but the operator's image carries the charts
 * (`resources/<version>/charts`), so nothing is fetched from there at run time. Its default images are
 * `registry.istio.io` for Istio 1.30 and older, which is retired with the charts: the lab sets
 * `global.hub: docker.io/istio` on the `Istio` and `IstioCNI`.
 */
export const SAIL_RELEASES: readonly SailRelease[] = [
    {
        version: "1.31.2",
        istio: [...patches("1.29", 10), ...patches("1.30", 7), ...patches("1.31", 3)],
        source: "Sail operator 1.31.2 release notes (2026-11-02: adds Istio 1.31.3, 1.30.7, 1.29.10); each Sail release lists every patch of its three minors (versions.yaml at tags 1.28.0 to 1.30.3)",
    },
    {
        version: "1.30.3",
        istio: [...patches("1.28", 10), ...patches("1.29", 6), ...patches("1.30", 3)],
        source: "sail-operator tag 1.30.3 (2026-07-21), pkg/istioversion/versions.yaml, entries without eol",
    },
    {
        version: "1.30.0",
        istio: [...patches("1.28", 7), ...patches("1.29", 3), "1.30.0"],
        source: "sail-operator tag 1.30.0 (2026-05-28), pkg/istioversion/versions.yaml, entries without eol",
    },
];

/** One OpenShift Service Mesh 3 operator line: the channels that install it and the Istio it ships. */
export interface Ossm3Release {
    readonly operator: string;
    /** Subscription channels (package `servicemeshoperator3`) that install this line. */
    readonly channels: readonly string[];
    /** Red Hat supports only the Istio version each operator version ships. */
    readonly istio: readonly string[];
    readonly source: string;
}

/** OSSM 3 lines whose Istio is one the lab can run (the v1 APIs), newest first. */
export const OSSM3_RELEASES: readonly Ossm3Release[] = [
    {
        operator: "3.4",
        channels: ["stable", "stable-3.4"],
        istio: ["1.30.3"],
        source: "Red Hat OSSM 3.4 release notes: 3.4.1 ships Istio 1.30.3, OpenShift 4.20 and later",
    },
];

/** `ServiceMeshControlPlane` versions the last OSSM 2 operator (2.6.x, Istio 1.20) reconciles. */
export const SMCP_VERSIONS: readonly string[] = ["v2.0", "v2.1", "v2.2", "v2.3", "v2.4", "v2.5", "v2.6"];
/** Where {@link SMCP_VERSIONS} comes from. */
export const SMCP_SOURCE = "Red Hat OSSM 2.6 documentation: 2.6.11 is the last 2.x, and reconciles SMCP v2.0 to v2.6";

/** Every supported upstream Istio release, newest first. */
/**
 * The Gateway API release to install for an Istio version (the newest patch of the minor its istiod is
 * built against: `sigs.k8s.io/gateway-api` v1.6.3 and v1.5.1, served by the Go module proxy on
 * 2026-11-29), or undefined for a minor the table does not have.
 */
export function gatewayApiReleaseFor(istioVersion: string): string | undefined {
    return ISTIO_MINORS.find((m) => istioVersion.startsWith(`${m.minor}.`))?.gatewayApiRelease;
}

/** Where a Gateway API release's standard CRDs are published. */
export function gatewayApiCrdUrl(release: string): string {
    return `https://github.com/kubernetes-sigs/gateway-api/releases/download/${release}/standard-install.yaml`;
}

export function upstreamIstio(): string[] {
    return ISTIO_MINORS.flatMap((m) => [...m.patches].reverse());
}

/** The Sail release of that version, if the table has it. */
export function sailRelease(version: string): SailRelease | undefined {
    return SAIL_RELEASES.find((s) => s.version === version);
}

/** The supported Istio releases a Sail operator installs, newest first. */
export function sailIstio(sail: SailRelease): string[] {
    const supported = upstreamIstio();
    return supported.filter((v) => sail.istio.includes(v));
}

/** The OSSM 3 line a Subscription channel installs, if the table has it. */
export function ossm3Release(channel: string): Ossm3Release | undefined {
    return OSSM3_RELEASES.find((r) => r.channels.includes(channel));
}

/** The newest supported upstream Istio (the helm flavour's default). */
export const DEFAULT_ISTIO_VERSION = upstreamIstio()[0];
/** The Sail operator release the sail flavour installs by default (the newest in the table). */
export const DEFAULT_SAIL_VERSION = SAIL_RELEASES[0].version;
/** The newest OSSM 2 control plane. */
export const DEFAULT_SMCP_VERSION = SMCP_VERSIONS[SMCP_VERSIONS.length - 1];

/**
 * The Istio a flavour installs when `istioVersion` is not set: the newest supported upstream release
 * (helm), the newest supported one the chosen Sail operator installs (sail), the one the OSSM 3
 * channel's operator ships (ossm3); OSSM 2 picks its own from the SMCP version.
 */
export function defaultIstioVersion(flavor: string, sailVersion: string = DEFAULT_SAIL_VERSION, ossm3Channel = "stable"): string {
    switch (flavor) {
        case "sail": {
            const sail = sailRelease(sailVersion);
            return (sail && sailIstio(sail)[0]) ?? DEFAULT_ISTIO_VERSION;
        }
        case "ossm3":
            return (ossm3Release(ossm3Channel) ?? OSSM3_RELEASES[0]).istio[0];
        default:
            return DEFAULT_ISTIO_VERSION;
    }
}
