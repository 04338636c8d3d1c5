// Scenario 15: `pulumi destroy` never deletes what the lab did not create. A namespace someone else made
// (`istio-system` on a cluster that already runs Istio; `openshift-operators-redhat`, which OpenShift Logging
// and Loki use, on the OpenShift stack with tracing), holding an object of theirs, is there before the lab:
// `pulumi up` must refuse to take it over, and after `pulumi destroy` the namespace and the object are
// still there, unchanged, while everything the lab did create is gone.
import type { Cluster } from "./cluster";
import type { Config, Context, Harness, Scenario } from "./scenario";

/** A namespace someone else owns, with a ConfigMap of theirs in it. */
function someoneElses(c: Cluster, namespace: string): void {
    c.kubectl(["create", "namespace", namespace]);
    c.kubectl(["label", "namespace", namespace, "owner=someone-else"]);
    c.kubectl(["create", "configmap", "theirs", "-n", namespace, "--from-literal=keep=me"]);
}

/** The namespace's labels and the ConfigMap's data as they are now, or what is missing. */
function stateOf(c: Cluster, namespace: string): string {
    const ns = c.kubectl(["get", "namespace", namespace, "-o", "jsonpath={.metadata.labels}{.status.phase}"], undefined, true);
    const cm = c.kubectl(["get", "configmap", "theirs", "-n", namespace, "-o", "jsonpath={.data}"], undefined, true);
    return `${ns.status === 0 ? ns.stdout : "namespace gone"} ${cm.status === 0 ? cm.stdout : "configmap gone"}`;
}

/** The cases: a stack, the namespace someone else made before it, and the config over the stack's. */
const CASES: ReadonlyArray<{ stack: string; namespace: string; set: Config }> = [
    { stack: "kubernetes", namespace: "istio-system", set: {} },
    { stack: "openshift", namespace: "openshift-operators-redhat", set: { "istio-lab:tracing": "true" } },
];

export function dataLossScenario(h: Harness): Scenario {
    return {
        name: "15 destroy never deletes what the lab did not create: istio-system (kubernetes stack) and openshift-operators-redhat (openshift stack with tracing) made by someone else with an object of theirs; pulumi up refuses to take them over (AlreadyExists), pulumi destroy leaves them and their objects as they were",
        run: async (x: Context) => {
            const out: string[] = [];
            for (const k of CASES) {
                const c = x.cluster;
                someoneElses(c, k.namespace);
                const before = stateOf(c, k.namespace);
                const name = `theirs-${k.stack}`;
                try {
                    await h.withStack(x.ws, name, { ...h.config(x.engine, k.stack), ...k.set }, async () => {
                        let message = "";
                        try {
                            await h.up(x, name);
                        } catch (e) {
                            message = (e as Error).message;
                        }
                        const refusal = `namespaces "${k.namespace}" already exists`;
                        if (!message.includes(refusal)) {
                            throw new Error(
                                `${k.stack}: pulumi up ${message ? `failed without "${refusal}": ${message}` : "took the namespace over"}`,
                            );
                        }
                        const state = JSON.parse(x.ws.exportState(name)) as {
                            deployment: { resources?: Array<{ type: string; outputs?: { metadata?: { name?: string } } }> };
                        };
                        const held = (state.deployment.resources ?? []).filter(
                            (r) => r.type === "kubernetes:core/v1:Namespace" && r.outputs?.metadata?.name === k.namespace,
                        );
                        if (held.length > 0) {
                            throw new Error(`${k.stack}: the stack's state holds ${k.namespace} after the refusal`);
                        }
                        x.ws.pulumi(["destroy", "--yes", "--skip-preview", "--stack", name]);
                    });
                    const after = stateOf(c, k.namespace);
                    if (after !== before) {
                        throw new Error(`${k.stack}: ${k.namespace} was [${before}] before the lab, [${after}] after its destroy`);
                    }
                    out.push(
                        `${k.stack}: up refused (namespaces "${k.namespace}" already exists), after destroy ${k.namespace} and its ConfigMap as they were`,
                    );
                } finally {
                    c.kubectl(["delete", "namespace", k.namespace, "--wait=true", "--timeout=120s"], undefined, true);
                }
            }
            return out.join("; ");
        },
    };
}
