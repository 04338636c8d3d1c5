// A classroom: one guestbook lab per attendee, each in `<guestbook.namespace>-<attendee>`, with the class's
// traffic settings and the attendee's own overrides on top; and the hosts a class's domain gives them.
import { z } from "zod";
import { AccessMode, Budget, BudgetMesh, checkBudget, checkUserPattern, labNeeds } from "../components/access";
import { certificateNames, gatewayHosts } from "../components/gateway";
import { guestbookWorkloads } from "../components/guestbook";
import { DNS1123_ALLOWED, Platform, isDns1123Label, isReservedNamespace, reject, reservedNamespaceAllowed, show } from "../components/lab";
import { Subset, checkAbTest, checkCircuitBreaker, checkRouting } from "../components/traffic";
import type { GatewayConfig } from "./gateway";
import type { Stage } from "./recipes";
import type { GuestbookConfig } from "./guestbook";
import { NAMESPACE, allowed, bool, dnsLabel, int, list, obj, quantity, text } from "./schema";
import { TrafficSettings, abTestSchema, circuitBreakerSchema, trafficSchema, withAbDefaults } from "./traffic";

/** The settings an attendee may override: the traffic stage's. */
export const ATTENDEE_SETTINGS = ["canaryWeight", "abTest", "routing", "clientTls", "circuitBreaker"] as const;

/** The largest class: beyond it a workshop wants a second cluster. */
export const MAX_ATTENDEES = 500;

const ATTENDEES_ALLOWED = `a count from 1 to ${MAX_ATTENDEES} (attendees user1 to userN) or a list of 1 to ${MAX_ATTENDEES} distinct names (DNS-1123 labels)`;

/** The shape of `attendees` and `attendeeOverrides`. */
export const classroomSchema = {
    attendees: z.union(
        [
            z.number(allowed(ATTENDEES_ALLOWED)).int(ATTENDEES_ALLOWED).min(1, ATTENDEES_ALLOWED).max(MAX_ATTENDEES, ATTENDEES_ALLOWED),
            list(dnsLabel, ATTENDEES_ALLOWED).min(1, ATTENDEES_ALLOWED).max(MAX_ATTENDEES, ATTENDEES_ALLOWED),
        ],
        allowed(ATTENDEES_ALLOWED),
    ),
    attendeeOverrides: z.record(
        obj({
            canaryWeight: int(0, 100),
            abTest: abTestSchema,
            routing: trafficSchema.routing,
            clientTls: trafficSchema.clientTls,
            circuitBreaker: circuitBreakerSchema,
        }).partial(),
        allowed('per-attendee settings, e.g. {"user7": {"canaryWeight": 50}}'),
    ),
    attendeeAccess: z.union(
        [bool, obj({ userPattern: text() }).partial()],
        allowed('true, false or {userPattern} (OpenShift), e.g. {"userPattern": "<attendee>"}'),
    ),
    attendeeBudget: obj({ cpu: quantity, memory: quantity, pods: int(1, 100000) }).partial(),
};

/** Each attendee's own lane: how they reach the API server, and their namespace's budget. */
export interface AccessConfig {
    readonly mode: AccessMode;
    readonly budget?: Budget;
}

/**
 * `attendeeAccess` and `attendeeBudget`: off by default; a class's own (refused without attendees, and a
 * budget without access); on Kubernetes a ServiceAccount per attendee, on OpenShift the cluster's users by
 * pattern; a budget at least what each attendee's lab requests.
 */
export function resolveAccess(
    c: { attendees?: unknown; attendeeAccess?: z.infer<typeof classroomSchema.attendeeAccess>; attendeeBudget?: Budget },
    platform: Platform,
    guestbook: GuestbookConfig,
    mesh: BudgetMesh = { dataplane: "sidecar", waypoint: false },
): AccessConfig | undefined {
    const access = c.attendeeAccess ?? false;
    if (access !== false && c.attendees === undefined) {
        reject(`${NAMESPACE}:attendeeAccess`, access, `false or nothing without ${NAMESPACE}:attendees (access is each attendee's own)`);
    }
    if (c.attendeeBudget !== undefined && access === false) {
        reject(
            `${NAMESPACE}:attendeeBudget`,
            c.attendeeBudget,
            `nothing without ${NAMESPACE}:attendeeAccess (a budget is part of an attendee's own lane; set attendeeAccess to true)`,
        );
    }
    if (access === false) {
        return undefined;
    }
    const pattern = typeof access === "object" ? access.userPattern : undefined;
    if (pattern !== undefined && platform !== "openshift") {
        reject(
            `${NAMESPACE}:attendeeAccess.userPattern`,
            pattern,
            "nothing on Kubernetes (each attendee gets a ServiceAccount token there; the pattern names OpenShift users)",
        );
    }
    if (pattern !== undefined) {
        checkUserPattern(pattern, `${NAMESPACE}:attendeeAccess.userPattern`);
    }
    const mode: AccessMode = platform === "openshift" ? { kind: "user", userPattern: pattern ?? "<attendee>" } : { kind: "serviceAccount" };
    if (c.attendeeBudget !== undefined) {
        const needs = labNeeds(guestbookWorkloads(guestbook.versions, guestbook.redisSlaveReplicas), mesh);
        checkBudget(c.attendeeBudget, needs, `${NAMESPACE}:attendeeBudget`);
    }
    return { mode, budget: c.attendeeBudget };
}

/** The traffic settings one attendee's lab has: the class's, with the attendee's overrides on top. */
export interface AttendeeConfig extends TrafficSettings {
    /** Attendee name (`user7`), a DNS-1123 label. */
    readonly name: string;
    /** The attendee's guestbook namespace: `<guestbook namespace>-<name>`. */
    readonly namespace: string;
}

/**
 * The class's attendees (absent without `attendees`), each checked where it is set; overrides without
 * attendees are refused.
 */
export function resolveClassroom(
    c: { attendees?: number | string[]; attendeeOverrides?: z.infer<typeof classroomSchema.attendeeOverrides> },
    guestbookNamespace: string,
    subsets: readonly Subset[],
    classSettings: TrafficSettings,
    stages: readonly Stage[],
    controlPlaneNamespace: string,
): AttendeeConfig[] | undefined {
    if (c.attendeeOverrides !== undefined && c.attendees === undefined) {
        reject(
            `${NAMESPACE}:attendeeOverrides`,
            Object.keys(c.attendeeOverrides)[0] ?? {},
            `overrides for attendees only when ${NAMESPACE}:attendees is set`,
        );
    }
    if (c.attendees === undefined) {
        return undefined;
    }
    return resolveAttendees(
        c.attendees,
        c.attendeeOverrides ?? {},
        guestbookNamespace,
        subsets,
        classSettings,
        stages,
        controlPlaneNamespace,
    );
}

/** The attendees' names: `user1` to `userN` for a count, else the list as given (checked distinct). */
export function attendeeNames(attendees: number | readonly string[]): string[] {
    if (typeof attendees === "number") {
        return Array.from({ length: attendees }, (_, i) => `user${i + 1}`);
    }
    const seen = new Set<string>();
    attendees.forEach((name, i) => {
        if (seen.has(name)) {
            reject(`${NAMESPACE}:attendees[${i}]`, name, `a name not listed before (${show(name)} is)`);
        }
        seen.add(name);
    });
    return [...attendees];
}

/**
 * An attendee's own `routing: roundRobin` against the class's canary weight or A/B rule: the override is
 * what the attendee set, so the message names it (not the class's key, which is fine for everyone else).
 */
function checkAttendeeRouting(name: string, own: Record<string, unknown>, ownAbTest: boolean, settings: TrafficSettings): void {
    if (own.routing !== "roundRobin") {
        return;
    }
    const override = `${NAMESPACE}:attendeeOverrides.${name}`;
    if (settings.canaryWeight !== 0 && !("canaryWeight" in own)) {
        reject(
            `${override}.routing`,
            "roundRobin",
            `"weighted" while the class's ${NAMESPACE}:canaryWeight is ${settings.canaryWeight} (round robin takes no weight); or also set ${override}.canaryWeight to 0`,
        );
    }
    if (settings.abTest && !ownAbTest) {
        reject(
            `${override}.routing`,
            "roundRobin",
            `"weighted" while the class's ${NAMESPACE}:abTest is set (round robin takes no A/B rule); or drop the class's abTest`,
        );
    }
}

/** Each attendee's traffic settings: the class's, with the attendee's overrides on top, each checked where it is set. */
function resolveAttendees(
    given: number | readonly string[],
    overrides: z.infer<typeof classroomSchema.attendeeOverrides>,
    guestbookNamespace: string,
    subsets: ReadonlyArray<{ name: string; version: string }>,
    classSettings: TrafficSettings,
    stages: readonly Stage[],
    controlPlaneNamespace: string,
): AttendeeConfig[] {
    const names = attendeeNames(given);
    const known = new Set(names);
    for (const name of Object.keys(overrides)) {
        if (!known.has(name)) {
            const shown = names.length > 4 ? `${names.slice(0, 3).join(", ")}, ..., ${names[names.length - 1]}` : names.join(", ");
            reject(`${NAMESPACE}:attendeeOverrides`, name, `an attendee of this class (${shown})`);
        }
    }
    return names.map((name) => {
        const namespace = `${guestbookNamespace}-${name}`;
        if (!isDns1123Label(namespace)) {
            reject(`${NAMESPACE}:attendees`, name, `a name short enough for its namespace ${show(namespace)} to be ${DNS1123_ALLOWED}`);
        }
        if (isReservedNamespace(namespace, controlPlaneNamespace)) {
            reject(
                `${NAMESPACE}:attendees`,
                name,
                `a name whose namespace (${NAMESPACE}:guestbook.namespace ${show(guestbookNamespace)} + "-" + the name = ${show(namespace)}) is ${reservedNamespaceAllowed(controlPlaneNamespace)}`,
            );
        }
        const { abTest: ownAbTest, ...own } = overrides[name] ?? {};
        const at = (key: string) =>
            key in own || (key === "abTest" && ownAbTest) ? `${NAMESPACE}:attendeeOverrides.${name}.${key}` : `${NAMESPACE}:${key}`;
        const abTest = ownAbTest ? withAbDefaults(ownAbTest) : classSettings.abTest;
        const settings: AttendeeConfig = { ...classSettings, ...own, abTest, name, namespace };
        if (abTest && ownAbTest) {
            checkAbTest(abTest, at("abTest"));
        }
        if (settings.circuitBreaker && own.circuitBreaker) {
            checkCircuitBreaker(settings.circuitBreaker, subsets, at("circuitBreaker"));
        }
        if (stages.includes("traffic")) {
            checkAttendeeRouting(name, own, ownAbTest !== undefined, settings);
            checkRouting(settings.routing, subsets, settings.canaryWeight, settings.abTest, at);
        }
        return settings;
    });
}

/** True when `dir` holds the charts the lab installs from it. */

const DNS_NAME_MAX = 253;
const COMMON_NAME_MAX = 64;

/**
 * A classroom's hosts: `gateway.domain` is a DNS domain (an IP address has no subdomains), short enough
 * that every `<attendee>.<domain>` is a DNS name; and the certificate's common name (its first name) fits X.509.
 */
export function checkClassHosts(gateway: GatewayConfig, attendees: number | readonly string[] | undefined): void {
    const domain = gateway.domain;
    if (domain !== undefined && (/^[0-9.]+$/.test(domain) || domain.includes(":"))) {
        reject(
            `${NAMESPACE}:gateway.domain`,
            domain,
            'a DNS domain such as "lab.example.com", not an IP address (each attendee gets the host <attendee>.<domain>)',
        );
    }
    if (domain !== undefined && attendees !== undefined) {
        const names = typeof attendees === "number" ? [`user${attendees}`] : attendees;
        const longest = `${names.reduce((a, b) => (b.length > a.length ? b : a))}.${domain}`;
        if (longest.length > DNS_NAME_MAX) {
            reject(
                `${NAMESPACE}:gateway.domain`,
                domain,
                `a domain short enough for every attendee's host (${NAMESPACE}:attendees): ${show(longest)} has ${longest.length} characters, a DNS name at most ${DNS_NAME_MAX}`,
            );
        }
    }
    if (gateway.tls === false || (typeof gateway.tls === "object" && "credentialName" in gateway.tls)) {
        return;
    }
    const first = certificateNames(gatewayHosts(gateway.hosts, attendees !== undefined ? domain : undefined), gateway.routeHost)[0];
    if (first.length > COMMON_NAME_MAX) {
        const key =
            attendees !== undefined && domain !== undefined
                ? "gateway.domain"
                : gateway.hosts.includes(first)
                  ? `gateway.hosts[${gateway.hosts.indexOf(first)}]`
                  : "gateway.routeHost";
        reject(
            `${NAMESPACE}:${key}`,
            key === "gateway.domain" ? domain : first,
            `a name whose certificate common name (${show(first)}, ${first.length} characters) fits X.509's ${COMMON_NAME_MAX}; or gateway.tls {credentialName} with a certificate of your own`,
        );
    }
}
