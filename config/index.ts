// The one module that reads `istio-lab:` configuration. It turns the raw strings Pulumi hands the program
// into one typed, defaulted and checked LabConfig, and throws a LabInputError naming the key, the value
// and what is allowed before any resource is registered. Each area keeps its shape, defaults and checks
// in a file of its own: stages.ts (recipe, platform, stages), guestbook.ts, gateway.ts, controlPlane.ts
// (and the operators), traffic.ts, classroom.ts, security.ts (peer authentication, the mTLS lab),
// namespaces.ts (the rules every created namespace follows, and the checks that need the whole lab);
// labConfig.ts holds the LabConfig type; input.ts reads the raw strings.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { LabInputError, WrittenNumber, show } from "../components/lab";
import { ATTENDEE_PLACEHOLDER, attendeeUser } from "../components/access";
import { MIN_SECRET_LENGTH, redact, secretLeaves } from "../components/secrets";
import { subsetsOf } from "../components/traffic";
import { checkClassHosts, classroomSchema, resolveAccess, resolveClassroom } from "./classroom";
import { controlPlaneSchema, ossm3ChannelOf, resolveControlPlane, resolveOperators } from "./controlPlane";
import { namePaths } from "./secretNames";
import { GatewayConfig, checkGatewayApiName, gatewaySchema, resolveGateway } from "./gateway";
import { guestbookSchema, resolveGuestbook } from "./guestbook";
import { imagesSchema } from "./images";
import { parseValue, readInput } from "./input";
import { LabConfig } from "./labConfig";
import { checkNamespaces, checkSecurity } from "./namespaces";
import { Stage } from "./recipes";
import { NAMESPACE } from "./schema";
import { resolveMtlsLab, resolvePeerAuth, securitySchema } from "./security";
import { Notice, ignoredSettings, resolveStages, stagesSchema } from "./stages";
import { checkAmbient, meshSchema, resolveMesh, unusedGatewayApiCrds, wantsWaypoint } from "./mesh";
import { resolveTraffic, trafficSchema } from "./traffic";

export { ATTENDEE_SETTINGS, AttendeeConfig, MAX_ATTENDEES, attendeeNames } from "./classroom";
export { asWritten } from "./input";
export { wantsWaypoint } from "./mesh";
export { CONFIG_KEYS, ConfigKeyDoc } from "./keys";
export { labNamespaces, labServices } from "./namespaces";
export { RECIPES, Recipe, STAGES, Stage } from "./recipes";
export { NAMESPACE } from "./schema";
export { LabConfig } from "./labConfig";

/** Every key's shape, in the order messages list the keys. */
const configSchema = z
    .object({
        recipe: stagesSchema.recipe,
        platform: stagesSchema.platform,
        stages: stagesSchema.stages,
        canaryWeight: trafficSchema.canaryWeight,
        trafficApi: trafficSchema.trafficApi,
        dataplane: meshSchema.dataplane,
        gatewayApiCrds: meshSchema.gatewayApiCrds,
        routing: trafficSchema.routing,
        clientTls: trafficSchema.clientTls,
        tracing: controlPlaneSchema.tracing,
        waitTimeoutSeconds: stagesSchema.waitTimeoutSeconds,
        abTest: trafficSchema.abTest,
        circuitBreaker: trafficSchema.circuitBreaker,
        attendees: classroomSchema.attendees,
        attendeeOverrides: classroomSchema.attendeeOverrides,
        attendeeAccess: classroomSchema.attendeeAccess,
        attendeeBudget: classroomSchema.attendeeBudget,
        peerAuth: securitySchema.peerAuth,
        guestbook: guestbookSchema.guestbook,
        gateway: gatewaySchema.gateway,
        controlPlane: controlPlaneSchema.controlPlane,
        operators: controlPlaneSchema.operators,
        mtlsLab: securitySchema.mtlsLab,
        images: imagesSchema.images,
        guestbookRegistry: imagesSchema.guestbookRegistry,
    })
    .partial()
    .strict();
type RawConfig = z.infer<typeof configSchema>;

/**
 * A secret key's value without the fields that become object names: a name cannot stay secret in
 * Kubernetes, and Pulumi marks a whole key secret when any path in it is, so the names a secret key sets
 * are not counted among its secrets (`lab` refuses a secure: value at such a field).
 */
function withoutNames(key: string, value: unknown): unknown {
    const names = new Set(namePaths(key, value));
    const strip = (v: unknown, at: string): unknown => {
        if (names.has(at)) {
            return undefined;
        }
        if (Array.isArray(v)) {
            return v.map((x, i) => strip(x, `${at}[${i}]`));
        }
        if (v !== null && typeof v === "object" && !(v instanceof WrittenNumber)) {
            return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x, `${at}.${k}`)]));
        }
        return v;
    };
    return strip(value, key);
}

/**
 * Turns raw config (`{"istio-lab:canaryWeight": "20", ...}`, as `pulumi.runtime.allConfig()` and
 * `Pulumi.<stack>.yaml` give it) into a checked {@link LabConfig}. Keys of other namespaces
 * (`kubernetes:context`) are ignored. Throws a {@link LabInputError} naming every shape problem
 * (one line each), or the first problem the values have together; a value of a key in `secretKeys`
 * is never shown, only its key.
 */
export function parseConfig(all: Readonly<Record<string, string>>, secretKeys: readonly string[] = []): LabConfig {
    const leaves = secretKeys.filter((k) => k in all).map((k) => [k, secretLeaves(withoutNames(k, parseValue(all[k])))] as const);
    const secrets = leaves.flatMap(([, l]) => l);
    const tooShort = leaves.find(([, l]) => l.some((s) => String(s).length < MIN_SECRET_LENGTH));
    if (tooShort !== undefined) {
        throw new LabInputError(
            `${tooShort[0]}: a secret value of one character cannot be hidden in what the lab prints (it would stand for itself in almost every line); give it a longer value, or set it without --secret`,
        );
    }
    const hidden = (e: unknown) => (e instanceof LabInputError && secrets.length > 0 ? new LabInputError(redact(e.message, secrets)) : e);
    try {
        const { values, raw } = readInput(all, configSchema);
        const config = resolve(values, raw);
        return { ...config, secrets: [...secrets, ...derivedSecrets(config, secrets)] };
    } catch (e) {
        throw hidden(e);
    }
}

/**
 * What the lab derives from a secret is secret too: each attendee's user from a secret `userPattern`, the
 * other version's share from a secret `canaryWeight`. (A host built from a secret domain contains it, and is
 * hidden with it.)
 */
function derivedSecrets(c: LabConfig, secrets: ReadonlyArray<string | number>): Array<string | number> {
    const out: Array<string | number> = [];
    const mode = c.access?.mode;
    if (mode?.kind === "user" && secrets.includes(mode.userPattern)) {
        if (mode.userPattern === ATTENDEE_PLACEHOLDER) {
            throw new LabInputError(
                `${NAMESPACE}:attendeeAccess.userPattern: a secret pattern that is the attendee's name alone cannot be hidden (each user would be an attendee's name, which the lab shows); add to it, or set it without --secret`,
            );
        }
        out.push(...(c.attendees ?? []).map((a) => attendeeUser(mode.userPattern, a.name)));
    }
    if (secrets.includes(c.canaryWeight) && c.canaryWeight !== 50) {
        out.push(100 - c.canaryWeight);
    }
    return out;
}

/** The areas, in the order their checks speak: what the lab is, its app, its way in, its mesh, its traffic, its class, its security. */
function resolve(c: RawConfig, raw: Readonly<Record<string, unknown>>): LabConfig {
    const { recipe, platform, stages } = resolveStages(c);
    const guestbook = resolveGuestbook(c.guestbook, c.controlPlane?.namespace ?? "istio-system", c.guestbookRegistry);
    const gateway = resolveGateway(c.gateway, platform, c.attendees !== undefined);
    checkClassHosts(gateway, c.attendees);
    const tracing = c.tracing ?? false;
    const { controlPlane, warnings } = resolveControlPlane(
        c.controlPlane,
        platform,
        stages,
        tracing,
        ossm3ChannelOf(c.operators),
        c.dataplane,
    );
    const operators = resolveOperators(c.operators);
    const images = c.images ?? "documents";
    const mtlsLab = resolveMtlsLab(c.mtlsLab, images);
    const subsets = subsetsOf(guestbook.versions);
    const traffic = resolveTraffic(c, subsets, stages);
    const mesh = resolveMesh(c, platform, controlPlane, stages);
    checkGatewayApiName(gateway, mesh.trafficApi, stages);
    const attendees = resolveClassroom(c, guestbook.namespace, subsets, traffic, stages, controlPlane.namespace);
    // Ambient: no sidecars to budget for; a waypoint pod where an attendee's lab has one.
    const waypoint = (attendees ?? []).some((a) => wantsWaypoint(mesh.dataplane, stages, a));
    const access = resolveAccess(c, platform, guestbook, { dataplane: mesh.dataplane, waypoint });

    const config: LabConfig = {
        recipe,
        platform,
        stages,
        ...traffic,
        ...mesh,
        tracing,
        waitTimeoutSeconds: c.waitTimeoutSeconds,
        peerAuth: checkAmbient(mesh.dataplane, resolvePeerAuth(c.peerAuth), [
            { where: `${NAMESPACE}:clientTls`, value: traffic.clientTls },
            ...Object.entries(c.attendeeOverrides ?? {}).map(([name, o]) => ({
                where: `${NAMESPACE}:attendeeOverrides.${name}.clientTls`,
                value: (o as { clientTls?: string }).clientTls,
            })),
        ]),
        attendees,
        access,
        guestbook,
        gateway,
        controlPlane,
        operators,
        mtlsLab,
        images,
        ignored: [
            ...ignoredSettings(raw, stages),
            ...unusedDomain(gateway, c.attendees !== undefined, stages),
            ...unusedGatewayApiCrds(c.gatewayApiCrds, mesh, stages),
            ...noOpSettings(c, controlPlane.flavor, mesh.trafficApi, stages),
        ],
        secrets: [],
        warnings,
    };
    checkNamespaces(config);
    checkSecurity(config);
    return config;
}

/**
 * Settings of a stage the lab has that its flavour or traffic API does not read: each does nothing, and is
 * reported like a setting for an absent stage (Pulumi warns at `pulumi up`, `lab validate` lists it).
 */
function noOpSettings(c: RawConfig, flavor: string, trafficApi: string, stages: readonly Stage[]): Notice[] {
    const cp = (c.controlPlane ?? {}) as Record<string, unknown>;
    const gw = (c.gateway ?? {}) as Record<string, unknown>;
    const out: Notice[] = [];
    const add = (key: string, why: string) =>
        out.push({ key: `${NAMESPACE}:${key}`, message: `${NAMESPACE}:${key} has no effect: ${why}; remove the setting` });
    if (stages.includes("controlPlane")) {
        if (cp.istioVersion !== undefined && flavor === "ossm2") {
            add(
                "controlPlane.istioVersion",
                `the "ossm2" flavour's Istio is the one its ServiceMeshControlPlane version ships (set ${NAMESPACE}:controlPlane.version)`,
            );
        }
        if (cp.version !== undefined && flavor !== "ossm2") {
            add(
                "controlPlane.version",
                `it is the ServiceMeshControlPlane version of the "ossm2" flavour, not read by ${show(flavor)} (set ${NAMESPACE}:controlPlane.istioVersion)`,
            );
        }
        if (cp.chartRepo !== undefined && flavor !== "helm") {
            add(
                "controlPlane.chartRepo",
                flavor === "sail"
                    ? `with the "sail" flavour the Sail operator installs Istio (its own chart comes from ${NAMESPACE}:controlPlane.sailChartRepo)`
                    : `the ${show(flavor)} flavour installs Istio through its operator, from no chart`,
            );
        }
        for (const key of ["sailVersion", "sailChartRepo"]) {
            if (cp[key] !== undefined && flavor !== "sail") {
                add(`controlPlane.${key}`, `it is the Sail operator's, which the ${show(flavor)} flavour does not install`);
            }
        }
    }
    if (gw.selector !== undefined && trafficApi === "gatewayApi" && stages.includes("gateway")) {
        add("gateway.selector", "under the Gateway API Istio deploys the Gateway's own proxy and routes through it, selecting no pods");
    }
    return out;
}

/** A class's domain set where there is no class: it does nothing, and is reported like a setting for an absent stage. */
function unusedDomain(gateway: GatewayConfig, classroom: boolean, stages: readonly Stage[]): Notice[] {
    return gateway.domain !== undefined && !classroom && stages.includes("gateway")
        ? [
              {
                  key: `${NAMESPACE}:gateway.domain`,
                  message: `${NAMESPACE}:gateway.domain has no effect: this lab has no attendees (it gives each attendee a host); set ${NAMESPACE}:attendees or remove the setting`,
              },
          ]
        : [];
}

/** Reads this stack's `istio-lab:` configuration through Pulumi and checks it. */
export function loadConfig(): LabConfig {
    const all = pulumi.runtime.allConfig();
    // The SDK knows which keys the stack marks secret (PULUMI_CONFIG_SECRET_KEYS); it does not type the call.
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
    const config = parseConfig(
        all,
        Object.keys(all).filter((k) => runtime.isConfigSecret?.(k) === true),
    );
    for (const { message } of [...config.ignored, ...config.warnings]) {
        void pulumi.log.warn(message);
    }
    return config;
}
