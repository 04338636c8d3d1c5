// `npm run e2e`: the lab against a real Kubernetes API server on 127.0.0.1 (see cluster.ts). What the
// program renders is applied with server-side apply, read back, changed, replaced and deleted, and each
// scenario asserts exact results. The Pulumi engine itself cannot run here (see BLOCKED): the
// scenarios that need it say so, and none of them is counted as passed.
import { stringify } from "yaml";
import { metaOf, objectId, render, RenderedObject } from "../tools/render";
import { diffRenders } from "../tools/diff";
import { runLab, RunOptions } from "../tools/engine";
import { readStackConfig, stackFile } from "../tools/stackConfig";
import { Cluster, startCluster } from "./cluster";
import { minimalCrds } from "./crds";
import { ensureTools } from "./toolchain";

type Config = Record<string, string>;
type Manifest = Record<string, unknown>;

/** Why the Pulumi CLI, its Node.js language host and its providers cannot be built here. */
export const BLOCKED =
    "the Go module proxy refuses github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 and " +
    "github.com/pulumi/pulumi-kubernetes/provider/v4 (also pulumi-random, pulumi-tls, pulumi-terraform-bridge) at every version: " +
    '"403 Forbidden: This module version is not available"; without a language host and the kubernetes provider the CLI cannot run this program';

const stack = (name: string, extra: Config = {}): Config => ({ ...readStackConfig(stackFile(name)), ...extra });

/** What the program would apply, without Helm releases (Helm is not here: the harness installs Istio's CRDs itself). */
async function objectsOf(
    config: Config,
    options: RunOptions = {},
): Promise<{ objects: RenderedObject[]; outputs: Record<string, unknown> }> {
    const run = await runLab(config, options);
    return { objects: render(run.resources).filter((o) => o.manifest.kind !== "Release"), outputs: run.outputs };
}

const yamlOf = (objects: readonly RenderedObject[]) => objects.map((o) => stringify(o.manifest)).join("---\n");

function apply(c: Cluster, objects: readonly RenderedObject[], allowFailure = false) {
    return c.kubectl(["apply", "--server-side", "--field-manager=istio-lab-e2e", "-f", "-"], yamlOf(objects), allowFailure);
}

/** The live objects, in the order given (null where one does not exist). */
function live(c: Cluster, objects: readonly RenderedObject[]): Array<Manifest | null> {
    return objects.map((o) => {
        const m = metaOf(o);
        // Read at the version the program declared (kubectl would pick the server's preferred one).
        const [group, version] = String(o.manifest.apiVersion).includes("/") ? String(o.manifest.apiVersion).split("/") : ["", ""];
        const resource = group ? `${String(o.manifest.kind)}.${version}.${group}` : String(o.manifest.kind);
        const r = c.kubectl(
            ["get", resource, m.name, ...(m.namespace ? ["-n", m.namespace] : []), "-o", "json", "--ignore-not-found"],
            undefined,
        );
        return r.stdout.trim() === "" ? null : (JSON.parse(r.stdout) as Manifest);
    });
}

/** A copy of `m` without `keys`. */
function omit(m: Manifest, keys: readonly string[]): Manifest {
    return Object.fromEntries(Object.entries(m).filter(([k]) => !keys.includes(k)));
}

/** An object's content as its owner set it: no status, none of the server's bookkeeping. */
function content(m: Manifest | null): string {
    if (!m) {
        return "";
    }
    const metadata = omit((m.metadata ?? {}) as Manifest, ["resourceVersion", "managedFields", "generation", "uid", "creationTimestamp"]);
    // The Deployment controller bumps its revision annotation on its own, after the apply that caused it.
    const annotations = omit((metadata.annotations ?? {}) as Manifest, ["deployment.kubernetes.io/revision"]);
    return JSON.stringify({ ...omit(m, ["status", "metadata"]), metadata: { ...metadata, annotations } });
}

/** Paths where `want` (what the program set) is not what the server holds. */
function mismatches(want: unknown, got: unknown, at: string, out: string[]): string[] {
    if (want === undefined || want === null) {
        return out;
    }
    if (Array.isArray(want)) {
        if (!Array.isArray(got)) {
            out.push(`${at}: missing`);
        } else {
            want.forEach((w, i) => mismatches(w, got[i], `${at}[${i}]`, out));
        }
    } else if (typeof want === "object") {
        if (got === null || typeof got !== "object") {
            out.push(`${at}: missing`);
        } else {
            for (const [k, v] of Object.entries(want as Manifest)) {
                mismatches(v, (got as Manifest)[k], at ? `${at}.${k}` : k, out);
            }
        }
    } else if (String(want as string | number | boolean) !== String(got as string | number | boolean)) {
        out.push(`${at}: set ${JSON.stringify(want)}, server has ${JSON.stringify(got)}`);
    }
    return out;
}

/** Every rendered object exists with what the program set (Secret values are redacted in renders, so not compared). */
function assertLive(c: Cluster, objects: readonly RenderedObject[]): void {
    const problems = live(c, objects).flatMap((got, i) => {
        const want = omit(objects[i].manifest, ["stringData"]);
        return got === null
            ? [`${objectId(objects[i])}: not found`]
            : mismatches(want, got, "", []).map((p) => `${objectId(objects[i])} ${p}`);
    });
    if (problems.length > 0) {
        throw new Error(problems.slice(0, 10).join("; "));
    }
}

/** Deletes the objects (last applied first) and waits until they and their namespaces are gone. */
function destroy(c: Cluster, objects: readonly RenderedObject[]): void {
    const reversed = [...objects].reverse();
    c.kubectl(["delete", "--ignore-not-found", "--wait=false", "-f", "-"], yamlOf(reversed));
    for (const ns of objects.filter((o) => o.manifest.kind === "Namespace")) {
        c.kubectl(["wait", "--for=delete", `namespace/${metaOf(ns).name}`, "--timeout=120s"], undefined, true);
    }
    const left = live(c, objects).flatMap((m, i) => (m === null ? [] : [objectId(objects[i])]));
    if (left.length > 0) {
        throw new Error(`left after destroy: ${left.join(", ")}`);
    }
}

interface Change {
    readonly object: string;
    readonly change: string;
    readonly replace: boolean;
}

/**
 * Moves the cluster from `before` to `after` the way Pulumi's engine would: objects keyed by kind and
 * logical name; a new name or namespace, or an update the API server refuses as immutable, is a
 * replace (create the new, delete the old); what `after` lacks is deleted. Returns what happened.
 */
function transition(c: Cluster, before: readonly RenderedObject[], after: readonly RenderedObject[]): Change[] {
    const key = (o: RenderedObject) => `${String(o.manifest.kind)}::${o.name}`;
    const old = new Map(before.map((o) => [key(o), o]));
    const seen = new Set<string>();
    const observed: Change[] = [];
    const deleteLater: RenderedObject[] = [];
    for (const o of after) {
        seen.add(key(o));
        const prev = old.get(key(o));
        if (!prev) {
            apply(c, [o]);
            observed.push({ object: objectId(o), change: "added", replace: false });
        } else if (objectId(prev) !== objectId(o)) {
            apply(c, [o]);
            deleteLater.push(prev);
            observed.push({ object: objectId(o), change: "changed", replace: true });
        } else {
            const [was] = live(c, [prev]);
            const r = apply(c, [o], true);
            if (r.status !== 0 && /immutable/.test(r.stderr)) {
                destroy(c, [prev]);
                apply(c, [o]);
                observed.push({ object: objectId(o), change: "changed", replace: true });
            } else if (r.status !== 0) {
                throw new Error(`${objectId(o)}: ${r.stderr.trim()}`);
            } else if (content(live(c, [o])[0]) !== content(was)) {
                observed.push({ object: objectId(o), change: "changed", replace: false });
            }
        }
    }
    const removed = before.filter((o) => !seen.has(key(o)));
    for (const o of removed) {
        observed.push({ object: objectId(o), change: "removed", replace: false });
    }
    destroy(c, [...removed, ...deleteLater]);
    return observed;
}

const sortChanges = (changes: readonly Change[]) =>
    [...changes].map((x) => `${x.change} ${x.object}${x.replace ? " (replace)" : ""}`).sort();

/** The status each awaited kind reports when its operator is done (what the harness plays). */
function playOperator(c: Cluster, o: RenderedObject): void {
    const m = metaOf(o);
    const kind = String(o.manifest.kind);
    const where = m.namespace ? ["-n", m.namespace] : [];
    if (kind === "Namespace") {
        c.kubectl(["label", "namespace", m.name, "maistra.io/member-of=istio-system", "--overwrite"]);
        return;
    }
    const status = kind === "Subscription" ? { state: "AtLatestKnown" } : { conditions: [{ type: "Ready", status: "True" }] };
    c.kubectl(["patch", kind, m.name, ...where, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
}

/** Each `pulumi.com/waitFor` expression resolves against the live object (kubectl wait takes the same forms). */
function assertWaits(c: Cluster, objects: readonly RenderedObject[]): number {
    let waits = 0;
    for (const o of objects) {
        const annotation = metaOf(o).annotations?.["pulumi.com/waitFor"];
        if (annotation === undefined) {
            continue;
        }
        playOperator(c, o);
        const conditions = annotation.startsWith("[") ? (JSON.parse(annotation) as string[]) : [annotation];
        const m = metaOf(o);
        for (const condition of conditions) {
            c.kubectl([
                "wait",
                `--for=${condition}`,
                String(o.manifest.kind),
                m.name,
                ...(m.namespace ? ["-n", m.namespace] : []),
                "--timeout=20s",
            ]);
            waits++;
        }
    }
    return waits;
}

interface Scenario {
    readonly name: string;
    readonly run: (c: Cluster) => Promise<string>;
}

const DEV = () => stack("dev");

const SCENARIOS: Scenario[] = [
    {
        name: "1 dev lab up: every rendered object live with what the program set; a second apply changes nothing",
        run: async (c) => {
            const { objects } = await objectsOf(DEV());
            apply(c, objects);
            assertLive(c, objects);
            const first = live(c, objects).map(content);
            apply(c, objects);
            const changed = live(c, objects).flatMap((m, i) => (content(m) === first[i] ? [] : [objectId(objects[i])]));
            if (changed.length > 0) {
                throw new Error(`second apply changed ${changed.join(", ")}`);
            }
            return `${objects.length} objects`;
        },
    },
    {
        name: "1 labUrl without a load balancer: the node port the API server assigned (Sail flavour, serviceType NodePort)",
        run: async (c) => {
            const config = stack("kubernetes", {
                "istio-lab:controlPlane": '{"flavor":"sail"}',
                "istio-lab:gateway": '{"serviceType":"NodePort"}',
            });
            const { objects } = await objectsOf(config);
            const service = objects.filter((o) => o.manifest.kind === "Service" && metaOf(o).name === "istio-ingressgateway");
            const namespace = objects.filter((o) => o.manifest.kind === "Namespace" && metaOf(o).name === "istio-system");
            apply(c, [...namespace, ...service]);
            const svc = live(c, service)[0] as { spec: { ports: Array<{ port: number; nodePort: number }> } };
            const nodePort = svc.spec.ports.find((p) => p.port === 443)?.nodePort;
            const { outputs } = await objectsOf(config, { observed: { "kubernetes:core/v1:Service::gateway-ingress": svc } });
            const want = `https://<any node's address>:${nodePort}`;
            if (!nodePort || outputs.labUrl !== want) {
                throw new Error(`labUrl ${JSON.stringify(outputs.labUrl)}, want ${JSON.stringify(want)}`);
            }
            destroy(c, [...service, ...namespace]);
            return String(outputs.labUrl);
        },
    },
    {
        name: "2 config changes: the API server's changes are exactly what lab diff predicted (update vs replace), then live",
        run: async (c) => {
            const changes: Array<[string, Config]> = [
                ["canary 20 to 50", { "istio-lab:canaryWeight": "50" }],
                ["A/B rule on", { "istio-lab:abTest": "{}" }],
                ["circuit breaker on", { "istio-lab:circuitBreaker": "{}" }],
                [
                    "mesh STRICT to namespace STRICT",
                    { "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"namespace","namespace":"guestbook"}]' },
                ],
                ["TLS at the gateway off", { "istio-lab:gateway": '{"tls":false}' }],
                ["guestbook namespace renamed", { "istio-lab:guestbook": '{"namespace":"guestbook-renamed"}' }],
                [
                    "a version's selector label changed (immutable)",
                    {
                        "istio-lab:canaryWeight": "0",
                        "istio-lab:guestbook": JSON.stringify({
                            versions: [{ name: "v1", image: "ibmcom/guestbook:v1", replicas: 3, version: "1.1" }],
                        }),
                    },
                ],
            ];
            const { objects: base } = await objectsOf(DEV());
            apply(c, base);
            const lines: string[] = [];
            for (const [what, set] of changes) {
                const { objects: after } = await objectsOf({ ...DEV(), ...set });
                const predicted = sortChanges(diffRenders(base, after));
                const observed = sortChanges(transition(c, base, after));
                if (JSON.stringify(predicted) !== JSON.stringify(observed)) {
                    throw new Error(`${what}: lab diff predicted [${predicted.join("; ")}], the API server did [${observed.join("; ")}]`);
                }
                if (
                    what === "canary 20 to 50" &&
                    JSON.stringify(observed) !== JSON.stringify(["changed VirtualService guestbook/virtual-service-guestbook"])
                ) {
                    throw new Error(`the canary shift did [${observed.join("; ")}], not one update of the VirtualService`);
                }
                assertLive(c, after);
                // And back, which lab diff must predict as well.
                const back = sortChanges(transition(c, after, base));
                if (JSON.stringify(back) !== JSON.stringify(sortChanges(diffRenders(after, base)))) {
                    throw new Error(`${what}, undone: lab diff and the API server disagree: [${back.join("; ")}]`);
                }
                lines.push(`${what}: ${observed.length}`);
            }
            destroy(c, base);
            return lines.join(", ");
        },
    },
    {
        name: "4 peer authentication lab at step 13: every workload, policy and rule in its namespace, then destroyed",
        run: async (c) => {
            const policies = [
                { mode: "STRICT", scope: "namespace", namespace: "foo", name: "namespace-peer-auth-policy-foo" },
                {
                    mode: "DISABLE",
                    scope: "workload",
                    namespace: "foo",
                    selector: { app: "httpbin" },
                    name: "workload-peer-auth-policy-httpbin-foo",
                    destinationRule: { name: "workload-destination-rule-httpbin-foo" },
                },
            ];
            const { objects } = await objectsOf(stack("peer-auth", { "istio-lab:peerAuth": JSON.stringify(policies) }));
            apply(c, objects);
            assertLive(c, objects);
            const names = (kind: string, ns: string) =>
                c.kubectl(["get", kind, "-n", ns, "-o", "jsonpath={.items[*].metadata.name}"]).stdout.split(" ").filter(Boolean).sort();
            const want: Array<[string, string, string[]]> = [
                ["deployments", "foo", ["httpbin", "sleep"]],
                ["deployments", "bar", ["httpbin", "sleep"]],
                ["deployments", "legacy", ["httpbin", "sleep"]],
                [
                    "peerauthentications.security.istio.io",
                    "foo",
                    ["namespace-peer-auth-policy-foo", "workload-peer-auth-policy-httpbin-foo"],
                ],
                ["destinationrules.networking.istio.io", "foo", ["workload-destination-rule-httpbin-foo"]],
            ];
            for (const [kind, ns, expected] of want) {
                const got = names(kind, ns);
                if (JSON.stringify(got) !== JSON.stringify(expected)) {
                    throw new Error(`${kind} in ${ns}: ${got.join(", ")}, want ${expected.join(", ")}`);
                }
            }
            destroy(c, objects);
            return `${objects.length} objects`;
        },
    },
    {
        name: "5 OpenShift, OSSM 2 and OSSM 3: up against the OLM, Maistra, Route, Sail and Kiali CRDs; every wait resolves once the harness plays the operator; down",
        run: async (c) => {
            const out: string[] = [];
            // What every OpenShift cluster has and the lab relies on: the global operators' namespace.
            c.kubectl(["create", "namespace", "openshift-operators"]);
            for (const name of ["openshift", "openshift3"]) {
                const { objects } = await objectsOf(stack(name, { "istio-lab:tracing": "true" }));
                apply(c, objects);
                assertLive(c, objects);
                const waits = assertWaits(c, objects);
                destroy(c, objects);
                out.push(`${name}: ${objects.length} objects, ${waits} waits`);
            }
            c.kubectl(["delete", "namespace", "openshift-operators", "--wait=true", "--timeout=120s"]);
            return out.join("; ");
        },
    },
    {
        name: "6 destroy: none of the dev lab's objects or namespaces is left",
        run: async (c) => {
            const { objects } = await objectsOf(DEV());
            apply(c, objects);
            destroy(c, objects);
            return `${objects.filter((o) => o.manifest.kind === "Namespace").length} namespaces gone`;
        },
    },
    {
        name: "7 time: kubectl apply --server-side of the dev lab's rendered objects on fresh namespaces (the floor)",
        run: async (c) => {
            const { objects } = await objectsOf(DEV());
            const start = Date.now();
            apply(c, objects);
            const ms = Date.now() - start;
            destroy(c, objects);
            return `${objects.length} objects in ${ms} ms; pulumi up: not measurable here (blocked)`;
        },
    },
];

const BLOCKED_SCENARIOS = [
    "1/2/6 pulumi preview, pulumi up, pulumi preview --json, pulumi destroy through the real engine",
    "3 policy pack: pulumi preview --policy-pack policy",
    "7 time of pulumi up",
];

/** `npm run e2e`. */
export async function main(): Promise<void> {
    const started = Date.now();
    const tools = ensureTools();
    let cluster: Cluster | undefined;
    let failed = false;
    const onSignal = () => {
        cluster?.stop(true);
        console.log(`interrupted; logs kept in ${cluster?.dir ?? "(no cluster)"}`);
        process.exit(130);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
        cluster = await startCluster(tools);
        console.log(`control plane on 127.0.0.1 up in ${((Date.now() - started) / 1000).toFixed(1)} s (${cluster.dir})`);
        cluster.kubectl(["apply", "--server-side", "-f", tools.istioCrds]);
        cluster.kubectl(["apply", "--server-side", "-f", "-"], minimalCrds());
        cluster.kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
        let passed = 0;
        for (const s of SCENARIOS) {
            const t = Date.now();
            try {
                const detail = await s.run(cluster);
                passed++;
                console.log(`PASS    ${s.name} (${((Date.now() - t) / 1000).toFixed(1)} s): ${detail}`);
            } catch (e) {
                failed = true;
                console.log(`FAIL    ${s.name} (${((Date.now() - t) / 1000).toFixed(1)} s): ${(e as Error).message}`);
            }
        }
        for (const b of BLOCKED_SCENARIOS) {
            console.log(`BLOCKED ${b}: ${BLOCKED}`);
        }
        console.log(`e2e: ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
        console.log(`${passed} passed, ${SCENARIOS.length - passed} failed, ${BLOCKED_SCENARIOS.length} blocked`);
    } catch (e) {
        failed = true;
        console.log(`FAIL    harness: ${(e as Error).message}`);
    } finally {
        cluster?.stop(failed);
        if (failed && cluster) {
            console.log(`logs kept in ${cluster.dir}`);
        }
        process.exitCode = failed ? 1 : 0;
    }
}

if (require.main === module) {
    void main();
}
