import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Flavor, LAB_LABELS, reject, waitFor } from "./lab";
import { namespaceName } from "./namespace";

/**
 * The operators a lab can subscribe to, by the key the config uses for each: the OpenShift Service
 * Mesh 2 lab's four, and OpenShift Service Mesh 3 with today's tracing (Tempo, OpenTelemetry).
 */
export type OperatorKey = "elasticsearch" | "jaeger" | "kiali" | "serviceMesh" | "serviceMesh3" | "tempo" | "openTelemetry";

/** Where one operator comes from (an OLM `Subscription`). */
export interface OperatorSpec {
    /** OLM package (`spec.name`); also the Subscription's name. */
    readonly package: string;
    /** Update channel. */
    readonly channel: string;
    /** Namespace the Subscription lives in. */
    readonly namespace: string;
}

/** The namespace that already holds an all-namespaces OperatorGroup on every OpenShift cluster. */
export const GLOBAL_OPERATORS_NAMESPACE = "openshift-operators";

/**
 * The lab's operators, in the order the lab installs them. Elasticsearch's lab channel `stable-5.2`
 * is gone from current catalogs, so the default is `stable` (set `operators.elasticsearch.channel`
 * to go back).
 */
export const LAB_OPERATORS: Readonly<Record<OperatorKey, OperatorSpec>> = {
    elasticsearch: { package: "elasticsearch-operator", channel: "stable", namespace: "openshift-operators-redhat" },
    jaeger: { package: "jaeger-product", channel: "stable", namespace: GLOBAL_OPERATORS_NAMESPACE },
    kiali: { package: "kiali-ossm", channel: "stable", namespace: GLOBAL_OPERATORS_NAMESPACE },
    serviceMesh: { package: "servicemeshoperator", channel: "stable", namespace: GLOBAL_OPERATORS_NAMESPACE },
    serviceMesh3: { package: "servicemeshoperator3", channel: "stable", namespace: GLOBAL_OPERATORS_NAMESPACE },
    tempo: { package: "tempo-product", channel: "stable", namespace: GLOBAL_OPERATORS_NAMESPACE },
    openTelemetry: { package: "opentelemetry-product", channel: "stable", namespace: GLOBAL_OPERATORS_NAMESPACE },
};

/** Every operator key, in install order. */
export const OPERATOR_KEYS: readonly OperatorKey[] = [
    "elasticsearch",
    "jaeger",
    "tempo",
    "openTelemetry",
    "kiali",
    "serviceMesh",
    "serviceMesh3",
];

/**
 * The operators a flavour's lab subscribes to, in install order. Tracing is off by default: the
 * lab's Jaeger operator left the catalog on 2025-11-03 (a Subscription to it never resolves), and
 * Elasticsearch served only Jaeger; OSSM 3 traces with Tempo and OpenTelemetry instead.
 */
export function operatorsFor(flavor: Flavor, tracing: boolean): OperatorKey[] {
    if (flavor === "ossm2") {
        return tracing ? ["elasticsearch", "jaeger", "kiali", "serviceMesh"] : ["kiali", "serviceMesh"];
    }
    if (flavor === "ossm3") {
        return tracing ? ["tempo", "openTelemetry", "kiali", "serviceMesh3"] : ["kiali", "serviceMesh3"];
    }
    return [];
}

/** How OLM approves install plans. */
export type InstallPlanApproval = "Automatic" | "Manual";

/** Inputs of {@link OperatorStack}. */
export interface OperatorStackArgs {
    /** Which operators, in install order. @default the OSSM 2 lab's four: elasticsearch, jaeger, kiali, serviceMesh */
    readonly operators?: readonly OperatorKey[];
    /** Per-operator overrides of package, channel or namespace. @default the lab's values ({@link LAB_OPERATORS}) */
    readonly overrides?: Partial<Record<OperatorKey, Partial<OperatorSpec>>>;
    /** Catalog source. @default "redhat-operators" */
    readonly source?: pulumi.Input<string>;
    /** Namespace of the catalog source. @default "openshift-marketplace" */
    readonly sourceNamespace?: pulumi.Input<string>;
    /** Install plan approval. With `Manual` a person approves each install plan before the wait ends. @default "Automatic" */
    readonly installPlanApproval?: InstallPlanApproval;
    /** Extra labels for the namespaces the stage creates (the lab id). @default none */
    readonly namespaceLabels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The operators' specs after overrides, in install order. */
export function resolveOperators(
    overrides: OperatorStackArgs["overrides"],
    keys: readonly OperatorKey[] = LAB_OSSM2_OPERATORS,
): Array<OperatorSpec & { key: OperatorKey }> {
    return keys.map((key) => ({ key, ...LAB_OPERATORS[key], ...(overrides?.[key] ?? {}) }));
}

/** The OSSM 2 lab documents' four operators, in their order. */
export const LAB_OSSM2_OPERATORS: readonly OperatorKey[] = ["elasticsearch", "jaeger", "kiali", "serviceMesh"];

/**
 * Stage 1 (OpenShift): the Elasticsearch, Jaeger, Kiali and Service Mesh operators from OperatorHub,
 * installed one after the other, each awaited until its Subscription is `AtLatestKnown`.
 * Whatever needs their custom resource definitions depends on {@link OperatorStack.ready}.
 */
export class OperatorStack extends pulumi.ComponentResource {
    /** The Subscriptions, in install order; depend on these to come after the operators are installed. */
    public readonly ready: pulumi.Resource[];
    /** Names of the Subscriptions' packages, in install order. */
    public readonly packages: pulumi.Output<string[]>;

    constructor(name: string, args: OperatorStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-lab:operators:OperatorStack", name, {}, opts);
        const approval = args.installPlanApproval ?? "Automatic";
        if (approval !== "Automatic" && approval !== "Manual") {
            reject("OperatorStack args.installPlanApproval", approval, "Automatic or Manual");
        }
        const operators = resolveOperators(args.overrides, args.operators);

        // A namespace other than openshift-operators needs creating, with its own OperatorGroup.
        const groups = new Map<string, pulumi.Resource>();
        for (const ns of new Set(operators.map((o) => o.namespace))) {
            if (ns === GLOBAL_OPERATORS_NAMESPACE) {
                continue;
            }
            const namespace = new k8s.core.v1.Namespace(
                `${name}-${ns}`,
                {
                    metadata: {
                        name: ns,
                        labels: pulumi
                            .output(args.namespaceLabels ?? {})
                            .apply((extra) => ({ ...LAB_LABELS, ...extra, "openshift.io/cluster-monitoring": "true" })),
                        annotations: { "openshift.io/node-selector": "" },
                    },
                },
                { parent: this },
            );
            groups.set(
                ns,
                new k8s.apiextensions.CustomResource(
                    `${name}-${ns}-operatorgroup`,
                    {
                        apiVersion: "operators.coreos.com/v1",
                        kind: "OperatorGroup",
                        metadata: { name: ns, namespace: namespaceName(namespace, ns), labels: LAB_LABELS },
                        spec: {},
                    },
                    { parent: this },
                ),
            );
        }

        const subscriptions: pulumi.Resource[] = [];
        for (const op of operators) {
            const previous = subscriptions[subscriptions.length - 1];
            const group = groups.get(op.namespace);
            subscriptions.push(
                new k8s.apiextensions.CustomResource(
                    `${name}-${op.key}`,
                    {
                        apiVersion: "operators.coreos.com/v1alpha1",
                        kind: "Subscription",
                        metadata: {
                            name: op.package,
                            namespace: op.namespace,
                            labels: LAB_LABELS,
                            annotations: waitFor("jsonpath={.status.state}=AtLatestKnown"),
                        },
                        spec: {
                            channel: op.channel,
                            installPlanApproval: approval,
                            name: op.package,
                            source: args.source ?? "redhat-operators",
                            sourceNamespace: args.sourceNamespace ?? "openshift-marketplace",
                        },
                    },
                    // The lab installs them in order: each operator after the one before it.
                    { parent: this, dependsOn: [previous, group].filter((r): r is pulumi.Resource => !!r) },
                ),
            );
        }

        this.ready = subscriptions;
        this.packages = pulumi.output(operators.map((o) => o.package));
        this.registerOutputs({ packages: this.packages });
    }
}
