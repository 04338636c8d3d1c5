// The namespaces a lab creates, each named by the key that names it: none twice, none the cluster's own;
// the Services in them; and the checks that need the whole lab (the mTLS lab's namespaces against the
// control plane's, each peer authentication policy against those Services).
import { ISTIO_CNI_NAMESPACE, SAIL_OPERATOR_NAMESPACE, ZTUNNEL_NAMESPACE } from "../components/controlPlane";
import { guestbookServices } from "../components/guestbook";
import { isReservedNamespace, reject, show } from "../components/lab";
import { checkMtlsNamespaces, mtlsLabServices } from "../components/mtlsLab";
import { GLOBAL_OPERATORS_NAMESPACE, LAB_OPERATORS, OperatorKey, operatorsFor, resolveOperators } from "../components/operators";
import { LabService, planPeerAuth } from "../components/peerAuth";
import type { LabConfig } from "./labConfig";
import { NAMESPACE } from "./schema";

export function labNamespaces(c: LabConfig): Array<{ namespace: string; key: string; by?: string }> {
    const out: Array<{ namespace: string; key: string; by?: string }> = [];
    if (c.stages.includes("operators")) {
        for (const op of resolveOperators(c.operators.overrides, operatorsFor(c.controlPlane.flavor, c.tracing))) {
            if (op.namespace !== GLOBAL_OPERATORS_NAMESPACE && !out.some((o) => o.namespace === op.namespace)) {
                out.push({ namespace: op.namespace, key: `${NAMESPACE}:operators.${op.key}.namespace` });
            }
        }
    }
    if (c.stages.includes("controlPlane")) {
        // The flavour's own namespaces first, so that a clash is reported at the key the user set.
        const flavor = c.controlPlane.flavor;
        const fixed = (namespace: string, what: string) =>
            out.push({
                namespace,
                key: `${NAMESPACE}:controlPlane.flavor`,
                by: `the ${show(flavor)} flavour (${NAMESPACE}:controlPlane.flavor) creates it for ${what}`,
            });
        if (flavor === "ossm3" || flavor === "sail") {
            fixed(ISTIO_CNI_NAMESPACE, "IstioCNI");
            if (c.dataplane === "ambient") {
                fixed(ZTUNNEL_NAMESPACE, "ZTunnel");
            }
        }
        if (flavor === "sail") {
            fixed(SAIL_OPERATOR_NAMESPACE, "the Sail operator");
        }
        out.push({ namespace: c.controlPlane.namespace, key: `${NAMESPACE}:controlPlane.namespace` });
    }
    if (c.stages.includes("guestbook")) {
        if (c.attendees) {
            c.attendees.forEach((a) => out.push({ namespace: a.namespace, key: `${NAMESPACE}:attendees` }));
        } else {
            out.push({ namespace: c.guestbook.namespace, key: `${NAMESPACE}:guestbook.namespace` });
        }
    }
    if (c.stages.includes("mtlsLab")) {
        c.mtlsLab.sidecarNamespaces.forEach((ns, i) => out.push({ namespace: ns, key: `${NAMESPACE}:mtlsLab.sidecarNamespaces[${i}]` }));
        c.mtlsLab.plainNamespaces.forEach((ns, i) => out.push({ namespace: ns, key: `${NAMESPACE}:mtlsLab.plainNamespaces[${i}]` }));
    }
    return out;
}

/**
 * True when the lab would create and own `namespace`, named by `key`, although it is one the cluster's own
 * (`default`, `kube-*`, `openshift-*`): `pulumi destroy` would delete it. An operator's documented
 * namespace (`openshift-operators-redhat` for Elasticsearch) is the lab's to create; the guestbook's and
 * the attendees' are checked where they are read; the mTLS lab patches a reserved namespace instead.
 */
function ownsReserved(namespace: string, key: string): boolean {
    const field = key.slice(NAMESPACE.length + 1);
    const operator = /^operators\.(\w+)\.namespace$/.exec(field)?.[1] as OperatorKey | undefined;
    if (operator !== undefined) {
        return namespace !== LAB_OPERATORS[operator].namespace && isReservedNamespace(namespace, "");
    }
    return field === "controlPlane.namespace" && isReservedNamespace(namespace, "");
}

export function checkNamespaces(c: LabConfig): void {
    const owner = new Map<string, string>();
    for (const { namespace, key, by } of labNamespaces(c)) {
        if (ownsReserved(namespace, key)) {
            reject(
                key,
                namespace,
                `a namespace the lab can create and delete (not "default", "kube-*" or "openshift-*": pulumi destroy would delete it)`,
            );
        }
        const other = owner.get(namespace);
        if (other !== undefined) {
            reject(key, namespace, `a namespace no other stage creates (${other})`);
        }
        owner.set(namespace, by ?? `${key} is ${show(namespace)}`);
    }
}

/** The Services the lab's selected stages create. */
export function labServices(c: LabConfig): LabService[] {
    return [
        ...(c.stages.includes("guestbook")
            ? (c.attendees?.map((a) => a.namespace) ?? [c.guestbook.namespace]).flatMap((ns) => guestbookServices(ns))
            : []),
        ...(c.stages.includes("mtlsLab")
            ? mtlsLabServices([...c.mtlsLab.sidecarNamespaces, ...c.mtlsLab.plainNamespaces], c.mtlsLab.httpbinPort)
            : []),
    ];
}

/** Reads this stack's `istio-lab:` configuration through Pulumi and checks it. */

/** The checks that need the whole lab: the mTLS lab's namespaces against the control plane's, every policy against the lab's Services. */
export function checkSecurity(config: LabConfig): void {
    if (config.stages.includes("mtlsLab")) {
        // After the namespace checks, whose message names the stage that creates it; this catches a lab without that stage.
        checkMtlsNamespaces(
            config.mtlsLab.sidecarNamespaces,
            config.mtlsLab.plainNamespaces,
            `${NAMESPACE}:mtlsLab`,
            config.controlPlane.namespace,
        );
    }
    if (config.stages.includes("peerAuth")) {
        planPeerAuth(config.peerAuth, config.controlPlane.namespace, labServices(config), `${NAMESPACE}:peerAuth`);
    }
}
