// Checks of the kind `istioctl analyze` makes, run on the rendered objects before anything reaches a
// cluster, plus the ordering check: a custom resource must come after what installs its definition.
import { RE2JS } from "re2js";
import { DATAPLANE_MODE_LABEL, ISTIO_INJECTION_LABEL } from "../components/lab";
import { LabConfig, NAMESPACE, labNamespaces } from "../config";
import { POLICIES, httpRouteWeightFindings, isGatewayApiObject, routeFindings } from "../policy/rules";
import { LabResource } from "./engine";
import { fqdnOf, ruleHost, workloadsOf } from "./matrix";
import { RenderedObject, metaOf as meta, selects as matches, specOf, applyOrder, objectId } from "./render";

/** One problem found. */
export interface Problem {
    /** `Kind namespace/name`. */
    readonly object: string;
    /** The field, as a dotted path. */
    readonly field: string;
    /** istioctl analyze's message code where one exists, else `-`. */
    readonly code: string;
    /** What is wrong. */
    readonly reason: string;
}

type Labels = Record<string, string>;

/** Pod label sets of the workloads the lab creates, plus the ingress gateway its control plane creates. */
function podLabels(objects: readonly RenderedObject[]): Array<{ namespace: string; labels: Labels }> {
    const pods = workloadsOf(objects).map((w) => ({ namespace: w.namespace, labels: w.labels }));
    const controlPlane = objects.some(
        (o) =>
            o.manifest.kind === "ServiceMeshControlPlane" ||
            // The chart by name from a repository, or by path from an OCI registry or a local directory.
            (o.manifest.kind === "Release" && /(^|\/)gateway$/.test((o.manifest as { chart?: string }).chart ?? "")),
    );
    return controlPlane ? [...pods, { namespace: "*", labels: { istio: "ingressgateway", app: "istio-ingressgateway" } }] : pods;
}

/** The traffic policy a DestinationRule sets (on the host or a subset), by field, or none. */
function policyFields(spec: Record<string, unknown>): string[] {
    const fields = new Set<string>();
    const policies = [spec.trafficPolicy, ...((spec.subsets as Array<{ trafficPolicy?: unknown }>) ?? []).map((x) => x.trafficPolicy)];
    for (const p of policies) {
        Object.keys((p as Record<string, unknown>) ?? {}).forEach((k) => fields.add(k));
    }
    return [...fields].sort();
}

/**
 * A DestinationRule whose policy never applies: Istio applies a rule by the destination's host, and the
 * lab's routes send the traffic to other Services of the same pods (the Gateway API's per-version
 * Services beside a rule for `guestbook`), never to the rule's host.
 */
export function bypassedRuleProblems(objects: readonly RenderedObject[]): Problem[] {
    const services = new Map(
        objects
            .filter((o) => o.manifest.kind === "Service")
            .map((o) => [fqdnOf(meta(o).name, meta(o).namespace ?? "default"), (specOf(o).selector as Labels) ?? {}]),
    );
    const routed = new Set<string>();
    for (const o of objects) {
        const ns = meta(o).namespace ?? "default";
        if (o.manifest.kind === "VirtualService") {
            for (const http of (specOf(o).http as Array<{ route?: Array<{ destination?: { host?: string } }> }>) ?? []) {
                (http.route ?? []).forEach((r) => r.destination?.host && routed.add(fqdnOf(r.destination.host, ns)));
            }
        } else if (o.manifest.kind === "HTTPRoute") {
            for (const rule of (specOf(o).rules as Array<{ backendRefs?: Array<{ name: string; namespace?: string; kind?: string }> }>) ??
                []) {
                (rule.backendRefs ?? [])
                    .filter((b) => (b.kind ?? "Service") === "Service")
                    .forEach((b) => routed.add(fqdnOf(b.name, b.namespace ?? ns)));
            }
        }
    }
    const problems: Problem[] = [];
    for (const o of objects.filter((x) => x.manifest.kind === "DestinationRule")) {
        const host = ruleHost(o);
        const fields = policyFields(specOf(o));
        const selector = services.get(host);
        if (fields.length === 0 || routed.has(host) || selector === undefined) {
            continue;
        }
        // Routed Services that select pods this host's Service selects too: the traffic goes to those pods by another host.
        const instead = [...routed].filter((r) => {
            const other = services.get(r);
            return other !== undefined && Object.entries(selector).every(([k, v]) => other[k] === v);
        });
        // Where a rule for each routed host carries the same policy, this one is for calls inside the mesh addressed to its host.
        const covered = (r: string) =>
            objects.some(
                (x) =>
                    x.manifest.kind === "DestinationRule" && ruleHost(x) === r && fields.every((f) => policyFields(specOf(x)).includes(f)),
            );
        if (instead.length > 0 && !instead.every(covered)) {
            problems.push({
                object: objectId(o),
                field: "spec.host",
                code: "-",
                reason: `its ${fields.join(", ")} never apply to the lab's routed traffic: the routes send this host's pods their traffic through ${instead
                    .sort()
                    .join(", ")}, never through ${host} (Istio applies a DestinationRule by the destination's host)`,
            });
        }
    }
    return problems;
}

/** Mesh checks over the rendered objects. */
export function meshProblems(objects: readonly RenderedObject[]): Problem[] {
    const facts: MeshFacts = {
        pods: podLabels(objects),
        gateways: new Set(objects.filter((o) => o.manifest.kind === "Gateway").map((o) => `${meta(o).namespace}/${meta(o).name}`)),
        rules: objects.filter((o) => o.manifest.kind === "DestinationRule").map((o) => o.manifest),
    };
    const problems: Problem[] = [...bypassedRuleProblems(objects)];
    for (const o of objects) {
        if (o.manifest.kind === "HTTPRoute") {
            problems.push(...httpRouteProblems(o, objects));
        } else {
            problems.push(...(MESH_CHECKS[String(o.manifest.kind)]?.(o, facts) ?? []));
        }
    }
    return problems;
}

/** The problems one check finds in object `o`, and how it adds one. */
function collector(o: RenderedObject): { out: Problem[]; add: (field: string, code: string, reason: string) => void } {
    const out: Problem[] = [];
    return { out, add: (field, code, reason) => out.push({ object: objectId(o), field, code, reason }) };
}

/** What the mesh checks of one object look up among the others. */
interface MeshFacts {
    readonly pods: ReturnType<typeof podLabels>;
    /** Every Gateway as `namespace/name`. */
    readonly gateways: ReadonlySet<string>;
    readonly rules: ReadonlyArray<RenderedObject["manifest"]>;
}

/** A VirtualService: its gateways exist, its weights sum to 100, its subsets are the DestinationRule's. */
function virtualServiceProblems(o: RenderedObject, x: MeshFacts): Problem[] {
    const { out, add } = collector(o);
    const m = meta(o);
    const s = specOf(o);
    const ns = m.namespace ?? "";
    const { gateways, rules } = x;
    ((s.gateways as string[]) ?? []).forEach((g, i) => {
        const ref = g.includes("/") ? g : `${ns}/${g}`;
        if (g !== "mesh" && !gateways.has(ref)) {
            add(`spec.gateways[${i}]`, "IST0101", `Referenced gateway not found: "${g}"`);
        }
    });
    for (const f of routeFindings(o.manifest, rules)) {
        // A weight that is not an integer is the schema check's to report.
        if (f.kind === "weights-sum") {
            add(`spec.http[${f.http}].route`, "-", `weights sum to ${f.sum}, not 100`);
        } else if (f.kind === "missing-subset") {
            add(
                `spec.http[${f.http}].route[${f.route}].destination.subset`,
                "IST0101",
                `Referenced host+subset in destinationrule not found: "${f.host}+${f.subset}"`,
            );
        }
    }
    return out;
}

/** A namespace is not both ambient and labelled for sidecar injection. */
function namespaceProblems(o: RenderedObject): Problem[] {
    const { out, add } = collector(o);
    const m = meta(o);
    const labels = m.labels ?? {};
    if (labels[DATAPLANE_MODE_LABEL] === "ambient" && labels[ISTIO_INJECTION_LABEL] === "enabled") {
        add(
            `metadata.labels.${ISTIO_INJECTION_LABEL}`,
            "-",
            `an ambient namespace (${DATAPLANE_MODE_LABEL}: ambient) also labelled for sidecar injection: its pods would get sidecars and leave ztunnel's capture`,
        );
    }
    return out;
}

/** An Istio Gateway selects a workload the lab creates. */
function istioGatewayProblems(o: RenderedObject, x: MeshFacts): Problem[] {
    const { out, add } = collector(o);
    const s = specOf(o);
    const { pods } = x;
    if (isGatewayApi(o)) {
        return out;
    }
    const selector = (s.selector as Labels) ?? {};
    if (!pods.some((p) => matches(selector, p.labels))) {
        add(
            "spec.selector",
            "IST0101",
            `Referenced selector not found: "${Object.entries(selector)
                .map(([k, v]) => `${k}=${v}`)
                .join(",")}"`,
        );
    }
    return out;
}

/** Each DestinationRule subset selects a workload the lab creates in its namespace. */
function destinationRuleProblems(o: RenderedObject, x: MeshFacts): Problem[] {
    const { out, add } = collector(o);
    const m = meta(o);
    const s = specOf(o);
    const ns = m.namespace ?? "";
    const { pods } = x;
    ((s.subsets as Array<{ name: string; labels?: Labels }>) ?? []).forEach((sub, i) => {
        if (sub.labels && !pods.some((p) => p.namespace === ns && matches({ ...(sub.labels as Labels) }, p.labels))) {
            add(`spec.subsets[${i}].labels`, "-", `subset "${sub.name}" selects no workload the lab creates in "${ns}"`);
        }
    });
    return out;
}

/** A PeerAuthentication's selector selects a workload; port-level modes need a selector. */
function peerAuthenticationProblems(o: RenderedObject, x: MeshFacts): Problem[] {
    const { out, add } = collector(o);
    const m = meta(o);
    const s = specOf(o);
    const ns = m.namespace ?? "";
    const { pods } = x;
    const selector = (s.selector as { matchLabels?: Labels } | undefined)?.matchLabels;
    if (selector && !pods.some((p) => p.namespace === ns && matches(selector, p.labels))) {
        add("spec.selector.matchLabels", "-", `selects no workload the lab creates in "${ns}"`);
    }
    if (s.portLevelMtls !== undefined && !selector) {
        add(
            "spec.portLevelMtls",
            "-",
            "Istio's admission refuses it: portLevelMtls requires selector (its CRD rule; a namespace- or mesh-wide policy cannot have port-level modes)",
        );
    }
    return out;
}

/** Each Service port tells Istio its protocol (a name or appProtocol). */
function serviceProblems(o: RenderedObject): Problem[] {
    const { out, add } = collector(o);
    const s = specOf(o);
    ((s.ports as Array<{ name?: string; appProtocol?: string }>) ?? []).forEach((p, i) => {
        if (!p.name && !p.appProtocol) {
            add(`spec.ports[${i}]`, "IST0118", "port has neither a name nor appProtocol, so Istio cannot tell its protocol");
        }
    });
    return out;
}

/** The mesh checks by kind (HTTPRoutes have theirs, which look at every object). */
const MESH_CHECKS: Readonly<Record<string, (o: RenderedObject, x: MeshFacts) => Problem[]>> = {
    VirtualService: virtualServiceProblems,
    Namespace: namespaceProblems,
    Gateway: istioGatewayProblems,
    DestinationRule: destinationRuleProblems,
    PeerAuthentication: peerAuthenticationProblems,
    Service: serviceProblems,
};

const isGatewayApi = (o: RenderedObject) => isGatewayApiObject(o.manifest);

/**
 * An HTTPRoute's references, as Istio resolves them: every parentRef a Gateway API Gateway the lab creates
 * (and its listener, when a sectionName is given), every backendRef a Service the lab creates with the port
 * named, and a rule with backends not weighing all zero (Gateway API weights are relative: all zero answers 500).
 */
function httpRouteProblems(o: RenderedObject, objects: readonly RenderedObject[]): Problem[] {
    const problems: Problem[] = [];
    const add = (field: string, reason: string) => problems.push({ object: objectId(o), field, code: "-", reason });
    const ns = meta(o).namespace ?? "";
    const s = specOf(o);
    const find = (kind: string, namespace: string, name: string) =>
        objects.find(
            (x) =>
                x.manifest.kind === kind &&
                meta(x).name === name &&
                (meta(x).namespace ?? "") === namespace &&
                (kind !== "Gateway" || isGatewayApi(x)),
        );
    ((s.parentRefs as Array<{ name: string; namespace?: string; kind?: string; sectionName?: string }>) ?? []).forEach((p, i) => {
        if ((p.kind ?? "Gateway") !== "Gateway") {
            return;
        }
        const gateway = find("Gateway", p.namespace ?? ns, p.name);
        if (!gateway) {
            add(`spec.parentRefs[${i}]`, `Referenced Gateway not found: "${p.namespace ?? ns}/${p.name}"`);
        } else if (p.sectionName !== undefined) {
            const listeners = ((specOf(gateway).listeners as Array<{ name: string }>) ?? []).map((l) => l.name);
            if (!listeners.includes(p.sectionName)) {
                add(
                    `spec.parentRefs[${i}].sectionName`,
                    `Gateway "${p.namespace ?? ns}/${p.name}" has no listener "${p.sectionName}" (it has ${listeners.join(", ")})`,
                );
            }
        }
    });
    ((s.rules as Array<{ backendRefs?: Array<{ name: string; namespace?: string; port?: number; kind?: string }> }>) ?? []).forEach(
        (rule, r) => {
            (rule.backendRefs ?? []).forEach((b, i) => {
                if ((b.kind ?? "Service") !== "Service") {
                    return;
                }
                const service = find("Service", b.namespace ?? ns, b.name);
                const ports = ((service && (specOf(service).ports as Array<{ port: number }>)) ?? []).map((x) => x.port);
                if (!service) {
                    add(`spec.rules[${r}].backendRefs[${i}]`, `Referenced Service not found: "${b.namespace ?? ns}/${b.name}"`);
                } else if (b.port === undefined || !ports.includes(b.port)) {
                    add(
                        `spec.rules[${r}].backendRefs[${i}].port`,
                        `Service "${b.namespace ?? ns}/${b.name}" has no port ${b.port ?? "(none given)"} (it has ${ports.join(", ")})`,
                    );
                }
            });
        },
    );
    // A weight that is not whole is the schema check's to report.
    for (const f of httpRouteWeightFindings(o.manifest)) {
        if (f.kind === "all-zero") {
            add(
                `spec.rules[${f.rule}].backendRefs`,
                "every backend weighs 0: the rule answers 500 (weights are relative; give one backend more than 0)",
            );
        }
    }
    return problems;
}

/** API groups whose definitions something in the program installs, and the types that install them. */
const INSTALLED_BY: ReadonlyArray<[RegExp, RegExp]> = [
    [
        /^kubernetes:(networking|security)\.istio\.io\//,
        /^kubernetes:(helm\.sh\/v3:Release|maistra\.io\/v2:ServiceMeshControlPlane|sailoperator\.io\/v1:Istio)$/,
    ],
    [/^kubernetes:(maistra|kiali)\.io\//, /^kubernetes:operators\.coreos\.com\/v1alpha1:Subscription$/],
    [/^kubernetes:sailoperator\.io\//, /^kubernetes:(operators\.coreos\.com\/v1alpha1:Subscription|helm\.sh\/v3:Release)$/],
    [/^kubernetes:gateway\.networking\.k8s\.io\//, /^kubernetes:yaml\/v2:ConfigFile$/],
];

/**
 * Ordering problems: a custom resource that does not wait, directly or through its parents, for what
 * installs its definition; an injected gateway's pods that do not wait for the `Istio` whose injector
 * fills them in; pods that do not wait for their namespace (whose label or member-roll wait gives them sidecars).
 */
export function orderingProblems(resources: readonly LabResource[], objects: readonly RenderedObject[]): Problem[] {
    const byKey = new Map(resources.map((r) => [r.key, r]));
    const applied = applyOrder(resources);
    const problems: Problem[] = [];
    // What a resource waits for: its own and its ancestors' dependencies, and theirs in turn.
    const waitsOf = (key: string): Set<string> => {
        const waits = new Set<string>();
        const visit = (k0: string) => {
            for (let k: string | undefined = k0; k; k = byKey.get(k)?.parent) {
                for (const d of byKey.get(k)?.dependsOn ?? []) {
                    if (!waits.has(d)) {
                        waits.add(d);
                        visit(d);
                    }
                }
            }
        };
        visit(key);
        return waits;
    };
    const under = (key: string, ancestor: string): boolean =>
        key === ancestor || (!!byKey.get(key)?.parent && under(byKey.get(key)!.parent!, ancestor));
    const waitsForAny = (waits: Set<string>, targets: readonly string[]) => targets.some((t) => [...waits].some((w) => under(t, w)));
    const names = (keys: readonly string[]) => keys.map((k) => byKey.get(k)!.name).join(" or ");
    const istios = resources.filter((x) => x.type === "kubernetes:sailoperator.io/v1:Istio").map((x) => x.key);
    const namespaceObjects = new Map(
        resources
            .filter((x) => x.type === "kubernetes:core/v1:Namespace" || x.type === "kubernetes:core/v1:NamespacePatch")
            .map((x) => [(x.inputs.metadata as { name?: string } | undefined)?.name ?? "", x.key]),
    );

    applied.forEach((r, i) => {
        const waits = waitsOf(r.key);
        const add = (reason: string) => problems.push({ object: objectId(objects[i]), field: "dependsOn", code: "-", reason });
        for (const [group, installer] of INSTALLED_BY) {
            if (!group.test(r.type)) {
                continue;
            }
            const installers = resources.filter((x) => installer.test(x.type)).map((x) => x.key);
            // No installer in the program: the definitions come from outside it (an existing mesh).
            if (installers.length > 0 && !waitsForAny(waits, installers)) {
                add(`created without waiting for ${names(installers)}, which installs its definition`);
            }
        }
        if (r.type !== "kubernetes:apps/v1:Deployment") {
            return;
        }
        const template = ((r.inputs.spec ?? {}) as { template?: { metadata?: { annotations?: Record<string, string> } } }).template;
        if (
            template?.metadata?.annotations?.["inject.istio.io/templates"] !== undefined &&
            istios.length > 0 &&
            !waitsForAny(waits, istios)
        ) {
            add(`gateway pods created without waiting for ${names(istios)}, whose injector fills in their image ("auto")`);
        }
        const ns = namespaceObjects.get((r.inputs.metadata as { namespace?: string } | undefined)?.namespace ?? "");
        if (ns !== undefined && !waitsForAny(waits, [ns])) {
            add(`pods created without waiting for ${names([ns])}, whose labels decide their sidecars`);
        }
    });
    return problems;
}

/**
 * What the config asks for that the program accepts but that cannot work as meant: settings for a
 * stage the lab lacks, a policy in a namespace the lab does not create, peer authentication without
 * a control plane to define it.
 */
/**
 * What the project's own policy pack would block at `pulumi preview`: its mandatory policies, run over the
 * rendered objects (what the engine sends) with the pack's default settings (a stack's `--policy-pack-config`
 * may raise more). The
 * route policy is left out: meshProblems reports the same findings with istioctl's codes.
 */
export function policyProblems(objects: readonly RenderedObject[], config: LabConfig): Problem[] {
    const byName = new Map(objects.map((o) => [o.name, o]));
    const inputs = objects.map((o) => ({ type: o.type, name: o.name, props: o.manifest }));
    return POLICIES.filter((p) => p.enforcementLevel === "mandatory" && p.name !== "routes-are-whole").flatMap((p) =>
        p.check(inputs, { rootNamespace: config.controlPlane.namespace }).map((v) => {
            const o = byName.get(v.name);
            return {
                object: o ? objectId(o) : v.name,
                field: "-",
                code: `policy:${p.name}`,
                reason: `${v.message} (the policy pack blocks this at pulumi preview)`,
            };
        }),
    );
}

export function configProblems(config: LabConfig): Problem[] {
    const problems: Problem[] = [...config.ignored, ...config.warnings].map(({ key, message }) => ({
        object: "config",
        field: key,
        code: "-",
        reason: message,
    }));
    if (!config.stages.includes("peerAuth")) {
        return problems;
    }
    if (!config.stages.includes("controlPlane")) {
        problems.push({
            object: "config",
            field: `${NAMESPACE}:stages`,
            code: "-",
            reason: `"peerAuth" without "controlPlane": nothing in this lab installs the mesh that PeerAuthentication belongs to; add "controlPlane" or point the stack at a cluster that has a mesh`,
        });
    }
    const created = new Set(labNamespaces(config).map((n) => n.namespace));
    config.peerAuth.forEach((p, i) => {
        if (p.namespace !== undefined && p.namespace !== config.controlPlane.namespace && !created.has(p.namespace)) {
            problems.push({
                object: "config",
                field: `${NAMESPACE}:peerAuth[${i}].namespace`,
                code: "-",
                reason: `namespace "${p.namespace}" is not one this lab creates (${[...created].join(", ")}): the policy needs it to exist first`,
            });
        }
    });
    return problems;
}

/** What must hold on the cluster for the lab to work, which no check of the program's objects can see. */
export function clusterNotes(config: LabConfig): string[] {
    const tls = config.gateway.tls;
    if (config.stages.includes("gateway") && typeof tls === "object" && "credentialName" in tls) {
        return [
            `Secret ${config.controlPlane.namespace}/${tls.credentialName} (${NAMESPACE}:gateway.tls.credentialName) must exist on the cluster: a kubernetes.io/tls Secret in the ingress gateway's namespace`,
        ];
    }
    return [];
}

/** A human-readable report. */
export function formatProblems(problems: readonly Problem[]): string {
    return problems.length === 0 ? "no problems" : problems.map((p) => `${p.code} ${p.object} ${p.field}: ${p.reason}`).join("\n");
}

/** A problem in Istio's own words: what its admission (the CRDs' rules or istiod's validating webhook) would say. */
const refused = (message: string) => `Istio's admission refuses it: ${message}`;

/**
 * What Istio's admission refuses that neither the published schemas nor the mesh checks catch, in the words
 * istiod's validating webhook uses (istio.io/istio pkg/config/validation at 1.31), so that `lab validate`
 * refuses what a `pulumi up` would have refused, and says it the same way: negative route weights and
 * several all weighing 0, a `*` host on a route bound to the mesh, a gateway port out of range, duplicate
 * subset names, and header regexes RE2 cannot compile.
 */
export function admissionProblems(objects: readonly RenderedObject[]): Problem[] {
    const problems: Problem[] = [];
    for (const o of objects) {
        const add = (field: string, message: string) => problems.push({ object: objectId(o), field, code: "-", reason: refused(message) });
        const s = specOf(o);
        if (!/^networking\.istio\.io\/v1(alpha3|beta1)?$/.test(String(o.manifest.apiVersion))) {
            continue;
        }
        switch (o.manifest.kind) {
            case "VirtualService": {
                const gateways = (s.gateways as string[] | undefined) ?? [];
                if ((gateways.length === 0 || gateways.includes("mesh")) && ((s.hosts as string[] | undefined) ?? []).includes("*")) {
                    add("spec.hosts", "wildcard host * is not allowed for virtual services bound to the mesh gateway");
                }
                const http =
                    (s.http as Array<{
                        match?: Array<{ headers?: Record<string, { regex?: string }> }>;
                        route?: Array<{ weight?: unknown }>;
                    }>) ?? [];
                http.forEach((h, i) => {
                    const route = h.route ?? [];
                    route.forEach((d, j) => {
                        if (typeof d.weight === "number" && d.weight < 0) {
                            add(`spec.http[${i}].route[${j}].weight`, `weight ${d.weight} < 0`);
                        }
                    });
                    if (route.length > 1 && route.every((d) => (d.weight ?? 0) === 0)) {
                        add(`spec.http[${i}].route`, "total destination weight = 0");
                    }
                    (h.match ?? []).forEach((m, k) => {
                        for (const [name, value] of Object.entries(m.headers ?? {})) {
                            if (typeof value?.regex === "string" && !compilesAsRe2(value.regex)) {
                                add(
                                    `spec.http[${i}].match[${k}].headers.${name}.regex`,
                                    `"headers": ${JSON.stringify(value.regex)} is not an RE2 regular expression; Istio uses RE2 style regex-based match`,
                                );
                            }
                        }
                    });
                });
                break;
            }
            case "Gateway":
                ((s.servers as Array<{ port?: { number?: number } }>) ?? []).forEach((srv, i) => {
                    const n = srv.port?.number;
                    if (typeof n === "number" && (n < 1 || n > 65535)) {
                        add(`spec.servers[${i}].port.number`, `port number ${n} must be in the range 1..65535`);
                    }
                });
                break;
            case "DestinationRule": {
                const seen = new Set<string>();
                ((s.subsets as Array<{ name: string }>) ?? []).forEach((sub, i) => {
                    if (seen.has(sub.name)) {
                        add(`spec.subsets[${i}].name`, `duplicate subset names: ${sub.name}`);
                    }
                    seen.add(sub.name);
                });
                break;
            }
        }
    }
    return problems;
}

function compilesAsRe2(regex: string): boolean {
    try {
        RE2JS.compile(regex);
        return true;
    } catch {
        return false;
    }
}

/** Every container image of the rendered workloads, with the object that runs it (`Deployment guestbook/guestbook-v1`). */
export function containerImages(objects: readonly RenderedObject[]): Array<{ where: string; image: string }> {
    return objects.flatMap((o) => {
        const spec = (o.manifest.spec ?? {}) as { template?: { spec?: { containers?: Array<{ image?: unknown }> } } };
        const containers = ["Deployment", "DaemonSet", "StatefulSet"].includes(String(o.manifest.kind))
            ? (spec.template?.spec?.containers ?? [])
            : [];
        const m = meta(o);
        return containers.flatMap((c) =>
            typeof c.image === "string"
                ? [{ where: `${String(o.manifest.kind)} ${m.namespace ? `${m.namespace}/` : ""}${m.name}`, image: c.image }]
                : [],
        );
    });
}
