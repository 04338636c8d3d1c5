// The control plane and the operators: which flavour, which versions (one table, components/versions.ts),
// where the charts come from, the one escape hatch `values` and what it may not undo, and OperatorHub's
// subscriptions.
import { existsSync } from "fs";
import { linear, stripTrailing } from "../components/linear";
import * as path from "path";
import { z } from "zod";
import {
    ISTIO_CHART_REPO,
    SAIL_CHART_REPO,
    checkControlPlaneValues,
    checkValuesContract,
    ISTIO_IMAGE_HUB,
    lowerSchemeAndHost,
    retiredChartMessage,
    retiredChartSource,
} from "../components/controlPlane";
import { FLAVORS, Flavor, PLATFORMS, Platform, reject, show } from "../components/lab";
import { InstallPlanApproval, OPERATOR_KEYS, OperatorKey, OperatorSpec } from "../components/operators";
import {
    DEFAULT_SAIL_VERSION,
    DEFAULT_SMCP_VERSION,
    OSSM3_RELEASES,
    SAIL_RELEASES,
    SMCP_VERSIONS,
    VERSIONS_CHECKED,
    defaultIstioVersion,
    ossm3Release,
    sailIstio,
    sailRelease,
    upstreamIstio,
} from "../components/versions";
import type { Stage } from "./recipes";
import { NAMESPACE, allowed, bool, dnsLabel, isDnsSubdomain, nonBlank, obj, oneOf, text } from "./schema";
import type { Notice } from "./stages";

const chartRepoAllowed = (charts: string) =>
    `a Helm repository URL (https://...), an OCI registry (oci://...) or an existing local directory holding ${charts}`;
const CHART_REPO_ALLOWED = chartRepoAllowed("the base, istiod and gateway charts");
const CATALOG_SOURCE_ALLOWED = 'a CatalogSource name such as "redhat-operators" (a DNS-1123 subdomain, not blank)';

/** A release number: major.minor.patch. */
const RELEASE = linear(/^[0-9]+\.[0-9]+\.[0-9]+$/);
/** A chart repository URL: its host a DNS name or an address, with an optional port, and no blank. */
const CHART_URL = linear(/^(https|oci):\/\/[A-Za-z0-9.-]+(:\d+)?(\/\S*)?$/);

/** The shape of `controlPlane`, `operators` and `tracing`. */
export const controlPlaneSchema = {
    tracing: bool,
    controlPlane: obj({
        flavor: oneOf(PLATFORMS.flatMap((p) => FLAVORS[p])),
        namespace: dnsLabel,
        version: z
            .string(allowed('a ServiceMeshControlPlane version such as "v2.6"'))
            .regex(/^v2\.[0-9]+$/, 'a ServiceMeshControlPlane version such as "v2.6"'),
        istioVersion: z
            .string(allowed('an Istio release such as "1.30.3"'))
            .refine((v) => RELEASE.test(v), 'an Istio release such as "1.30.3"'),
        chartRepo: text(CHART_REPO_ALLOWED),
        values: z.record(
            z.unknown(),
            allowed("an object of Helm values (Kubernetes, OSSM 3) or ServiceMeshControlPlane spec fields (OSSM 2)"),
        ),
        sailVersion: z
            .string(allowed('a Sail operator release such as "1.31.2"'))
            .refine((v) => RELEASE.test(v), 'a Sail operator release such as "1.31.2"'),
        sailChartRepo: text(CHART_REPO_ALLOWED),
    }).partial(),
    operators: obj({
        installPlanApproval: oneOf(["Automatic", "Manual"] as const),
        source: z.string(allowed(CATALOG_SOURCE_ALLOWED)).refine(isDnsSubdomain, CATALOG_SOURCE_ALLOWED),
        sourceNamespace: dnsLabel,
        ...Object.fromEntries(
            OPERATOR_KEYS.map((k) => [
                k,
                obj({ package: nonBlank("an OLM package name"), channel: nonBlank("an OLM channel name"), namespace: dnsLabel }).partial(),
            ]),
        ),
    }).partial(),
};

/** Control plane stage settings. */
export interface ControlPlaneConfig {
    readonly flavor: Flavor;
    readonly namespace: string;
    readonly version: string;
    readonly istioVersion: string;
    readonly chartRepo: string;
    readonly values: Readonly<Record<string, unknown>>;
    readonly sailVersion: string;
    readonly sailChartRepo: string;
}

/** Operator stage settings. */
export interface OperatorsConfig {
    readonly installPlanApproval: InstallPlanApproval;
    readonly source: string;
    readonly sourceNamespace: string;
    readonly overrides: Partial<Record<OperatorKey, Partial<OperatorSpec>>>;
}

type RawOperators = z.infer<typeof controlPlaneSchema.operators>;

/** The OSSM 3 operator's channel, which decides the Istio it runs. */
export function ossm3ChannelOf(operators: RawOperators | undefined): string {
    return (operators as { serviceMesh3?: { channel?: string } } | undefined)?.serviceMesh3?.channel ?? "stable";
}

/**
 * The control plane's settings with the flavour's defaults, checked: the flavour runs on the platform,
 * the chart sources exist, `values` undoes nothing the lab relies on, the version is one the flavour
 * runs; a retired chart source is a warning (1.30) or refused (1.31 and later).
 */
export function resolveControlPlane(
    cp: z.infer<typeof controlPlaneSchema.controlPlane> = {},
    platform: Platform,
    stages: readonly Stage[],
    tracing: boolean,
    ossm3Channel: string,
    dataplane: string = "sidecar",
): { controlPlane: ControlPlaneConfig; warnings: Notice[] } {
    const flavor = cp.flavor ?? FLAVORS[platform][0];
    if (!FLAVORS[platform].includes(flavor)) {
        reject(`${NAMESPACE}:controlPlane.flavor`, flavor, `${FLAVORS[platform].join(" or ")} on platform ${show(platform)}`);
    }
    const controlPlane: ControlPlaneConfig = {
        flavor,
        namespace: cp.namespace ?? "istio-system",
        version: cp.version ?? DEFAULT_SMCP_VERSION,
        istioVersion: cp.istioVersion ?? defaultIstioVersion(flavor, cp.sailVersion ?? DEFAULT_SAIL_VERSION, ossm3Channel),
        chartRepo: lowerSchemeAndHost(cp.chartRepo ?? ISTIO_CHART_REPO),
        values: cp.values ?? {},
        sailVersion: cp.sailVersion ?? DEFAULT_SAIL_VERSION,
        sailChartRepo: lowerSchemeAndHost(cp.sailChartRepo ?? SAIL_CHART_REPO),
    };
    // Ambient's data plane comes from the same source: a local directory must hold its cni and ztunnel charts too.
    const istioCharts = ["base", "istiod", "gateway", ...(dataplane === "ambient" ? ["cni", "ztunnel"] : [])];
    for (const [key, repo, charts, allowedText] of [
        [
            "chartRepo",
            controlPlane.chartRepo,
            istioCharts,
            dataplane === "ambient" ? chartRepoAllowed("the base, istiod, gateway, cni and ztunnel charts (ambient)") : CHART_REPO_ALLOWED,
        ],
        ["sailChartRepo", controlPlane.sailChartRepo, ["sail-operator"], chartRepoAllowed("the sail-operator chart")],
    ] as const) {
        if (!CHART_URL.test(repo) && !isChartDirectory(repo, charts)) {
            reject(`${NAMESPACE}:controlPlane.${key}`, repo, allowedText);
        }
    }
    checkControlPlaneValues(controlPlane.values, flavor, `${NAMESPACE}:controlPlane.values`);
    checkValuesContract(controlPlane.values, flavor, controlPlane.namespace, tracing, `${NAMESPACE}:controlPlane.values`);
    checkFlavorVersion(controlPlane, ossm3Channel);
    const retired = flavor === "helm" && stages.includes("controlPlane") ? retiredChartSource(controlPlane.chartRepo) : undefined;
    if (retired && !controlPlane.istioVersion.startsWith("1.30.")) {
        reject(
            `${NAMESPACE}:controlPlane.chartRepo`,
            cp.chartRepo ?? controlPlane.chartRepo,
            `a chart source that has Istio ${controlPlane.istioVersion}: Istio 1.31 and later were never published to this retired location; use ${JSON.stringify(retired.replacement)}`,
        );
    }
    const warnings: Notice[] = [
        ...retiredHub(controlPlane, flavor),
        ...(retired
            ? [
                  {
                      key: `${NAMESPACE}:controlPlane.chartRepo`,
                      message: retiredChartMessage(`${NAMESPACE}:controlPlane.chartRepo`, controlPlane.chartRepo, retired),
                  },
              ]
            : []),
    ];
    return { controlPlane, warnings };
}

/** Image hubs Istio retired: nothing of 1.31 or later is published there (Istio 1.31 upgrade notes); images stay on Docker Hub. */
const RETIRED_HUBS = ["gcr.io/istio-release", "registry.istio.io"];

/**
 * A `controlPlane.values` image hub (`global.hub`, ztunnel's and cni's `hub`) at a retired location: refused
 * for Istio 1.31 and later, which were never published there; a warning for 1.30, whose images may stop pulling.
 */
function retiredHub(controlPlane: ControlPlaneConfig, flavor: Flavor): Notice[] {
    if (flavor === "ossm2" || flavor === "ossm3") {
        return [];
    }
    const v = controlPlane.values as { global?: { hub?: unknown }; hub?: unknown };
    const out: Notice[] = [];
    for (const [path, hub] of [
        ["global.hub", v.global?.hub],
        ["hub", v.hub],
    ] as const) {
        if (typeof hub !== "string") {
            continue;
        }
        const place = RETIRED_HUBS.find((r) => stripTrailing(hub.toLowerCase(), "/") === r || hub.toLowerCase().startsWith(`${r}/`));
        if (place === undefined) {
            continue;
        }
        const key = `${NAMESPACE}:controlPlane.values.${path}`;
        if (!controlPlane.istioVersion.startsWith("1.30.")) {
            reject(
                key,
                hub,
                `an image hub that has Istio ${controlPlane.istioVersion}: nothing of Istio 1.31 or later is published to ${place}; use "${ISTIO_IMAGE_HUB}" (or leave it unset)`,
            );
        }
        out.push({
            key,
            message: `${key}: ${show(hub)} is a retired image hub (${place}); Istio's images are on "${ISTIO_IMAGE_HUB}": set that or leave it unset`,
        });
    }
    return out;
}

/** OperatorHub's settings with the lab's defaults; each operator's overrides as given. */
export function resolveOperators(ops: RawOperators = {}): OperatorsConfig {
    const given = ops as Record<string, unknown>;
    return {
        installPlanApproval: ops.installPlanApproval ?? "Automatic",
        source: ops.source ?? "redhat-operators",
        sourceNamespace: ops.sourceNamespace ?? "openshift-marketplace",
        overrides: Object.fromEntries(
            OPERATOR_KEYS.filter((k) => given[k] !== undefined).map((k) => [k, given[k] as Partial<OperatorSpec>]),
        ),
    };
}

function isChartDirectory(dir: string, charts: readonly string[]): boolean {
    return charts.every((chart) => existsSync(path.join(dir, chart, "Chart.yaml")));
}

/** A list for a message: every entry, or the first few and the count. */
function listed(values: readonly string[]): string {
    return values.length > 12 ? `${values.slice(0, 12).join(", ")}, ... (${values.length} in all)` : values.join(", ");
}

/**
 * Refuses a version the flavour cannot run, naming what it can (components/versions.ts, the one
 * table): OSSM 2 reconciles SMCP v2.0 to v2.6; OSSM 3 runs the Istio its channel's operator ships;
 * Sail installs the supported Istio releases in its own list; helm installs supported upstream releases.
 */
function checkFlavorVersion(cp: ControlPlaneConfig, ossm3Channel: string): void {
    const where = `${NAMESPACE}:controlPlane`;
    switch (cp.flavor) {
        case "ossm2":
            if (!SMCP_VERSIONS.includes(cp.version)) {
                reject(
                    `${where}.version`,
                    cp.version,
                    `a ServiceMeshControlPlane version OSSM 2.6 reconciles: ${SMCP_VERSIONS.join(", ")}`,
                );
            }
            break;
        case "ossm3": {
            const release = ossm3Release(ossm3Channel);
            if (!release) {
                reject(
                    `${NAMESPACE}:operators.serviceMesh3.channel`,
                    ossm3Channel,
                    `a servicemeshoperator3 channel whose Istio the lab can run: ${OSSM3_RELEASES.flatMap((r) => r.channels).join(", ")}`,
                );
            }
            // Unset, istioVersion is what the channel ships: checking it always costs nothing.
            if (!release.istio.includes(cp.istioVersion)) {
                reject(
                    `${where}.istioVersion`,
                    cp.istioVersion,
                    `the Istio release OSSM ${release.operator} (channel ${JSON.stringify(ossm3Channel)}) ships: ${release.istio.join(", ")}`,
                );
            }
            break;
        }
        case "sail": {
            const sail = sailRelease(cp.sailVersion);
            if (!sail) {
                reject(
                    `${where}.sailVersion`,
                    cp.sailVersion,
                    `a Sail operator release that installs a supported Istio (checked ${VERSIONS_CHECKED}): ${SAIL_RELEASES.map((r) => r.version).join(", ")}`,
                );
            }
            const accepted = sailIstio(sail);
            if (!accepted.includes(cp.istioVersion)) {
                reject(
                    `${where}.istioVersion`,
                    cp.istioVersion,
                    `an Istio release Sail operator ${sail.version} installs and upstream still supports: ${listed(accepted)}`,
                );
            }
            break;
        }
        case "helm":
            if (!upstreamIstio().includes(cp.istioVersion)) {
                reject(
                    `${where}.istioVersion`,
                    cp.istioVersion,
                    `a released Istio of a supported minor (checked ${VERSIONS_CHECKED}): ${listed(upstreamIstio())}`,
                );
            }
            break;
    }
}

/** The longest a DNS name may be, and an X.509 common name (RFC 5280's ub-common-name). */
