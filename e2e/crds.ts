// Minimal CustomResourceDefinitions, written for this harness, for the kinds the OpenShift labs use and
// no Go module the harness can build from exports: OLM, Maistra, OpenShift Routes, Sail and Kiali. Each
// accepts any spec and has a status subresource, so that the harness can play the operator (set the
// status the program's waits look for). Istio's own CRDs come from the istio.io/api module instead.
import { stringify } from "yaml";

interface Kind {
    readonly group: string;
    readonly version: string;
    readonly kind: string;
    readonly plural: string;
    readonly scope: "Namespaced" | "Cluster";
}

/** The kinds, by group. */
export const MINIMAL_KINDS: readonly Kind[] = [
    { group: "operators.coreos.com", version: "v1alpha1", kind: "Subscription", plural: "subscriptions", scope: "Namespaced" },
    { group: "operators.coreos.com", version: "v1", kind: "OperatorGroup", plural: "operatorgroups", scope: "Namespaced" },
    { group: "maistra.io", version: "v2", kind: "ServiceMeshControlPlane", plural: "servicemeshcontrolplanes", scope: "Namespaced" },
    { group: "maistra.io", version: "v1", kind: "ServiceMeshMemberRoll", plural: "servicemeshmemberrolls", scope: "Namespaced" },
    { group: "maistra.io", version: "v1", kind: "ServiceMeshMember", plural: "servicemeshmembers", scope: "Namespaced" },
    { group: "route.openshift.io", version: "v1", kind: "Route", plural: "routes", scope: "Namespaced" },
    { group: "sailoperator.io", version: "v1", kind: "Istio", plural: "istios", scope: "Cluster" },
    { group: "sailoperator.io", version: "v1", kind: "IstioCNI", plural: "istiocnis", scope: "Cluster" },
    { group: "kiali.io", version: "v1alpha1", kind: "Kiali", plural: "kialis", scope: "Namespaced" },
];

/** The CRDs as one multi-document YAML. */
export function minimalCrds(): string {
    const open = { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    return MINIMAL_KINDS.map((k) =>
        stringify({
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name: `${k.plural}.${k.group}` },
            spec: {
                group: k.group,
                scope: k.scope,
                names: { kind: k.kind, plural: k.plural, singular: k.kind.toLowerCase(), listKind: `${k.kind}List` },
                versions: [
                    {
                        name: k.version,
                        served: true,
                        storage: true,
                        subresources: { status: {} },
                        schema: { openAPIV3Schema: { type: "object", properties: { spec: open, status: open } } },
                    },
                ],
            },
        }),
    ).join("---\n");
}
