// Schema checks for rendered objects: core Kubernetes and Istio objects against their published
// schemas (kubernetes-models, @kubernetes-models/istio, @kubernetes-models/gateway-api); the OLM, Maistra, Sail, Kiali, Route and Helm
// release objects against the schemas this project keeps for the fields it uses.
import { Problem } from "./validate";
import { RenderedObject, objectId } from "./render";

type FieldType = "string" | "number" | "integer" | "boolean" | "object" | "array";
/** A kept schema: the allowed fields of `spec` (or of the object, for a Release), each with its type and whether it is required. */
type KeptSchema = Readonly<Record<string, { readonly type: FieldType; readonly required?: boolean; readonly oneOf?: readonly string[] }>>;

/** The fields the program uses of the kinds no published model covers. */
export const KEPT_SCHEMAS: Readonly<Record<string, KeptSchema>> = {
    "operators.coreos.com/v1alpha1/Subscription": {
        channel: { type: "string", required: true },
        installPlanApproval: { type: "string", oneOf: ["Automatic", "Manual"] },
        name: { type: "string", required: true },
        source: { type: "string", required: true },
        sourceNamespace: { type: "string", required: true },
    },
    "operators.coreos.com/v1/OperatorGroup": {
        targetNamespaces: { type: "array" },
    },
    "maistra.io/v2/ServiceMeshControlPlane": {
        version: { type: "string", required: true },
        tracing: { type: "object" },
        policy: { type: "object" },
        telemetry: { type: "object" },
        addons: { type: "object" },
        security: { type: "object" },
        gateways: { type: "object" },
    },
    "maistra.io/v1/ServiceMeshMemberRoll": {
        members: { type: "array", required: true },
    },
    "maistra.io/v1/ServiceMeshMember": {
        controlPlaneRef: { type: "object", required: true },
    },
    "route.openshift.io/v1/Route": {
        host: { type: "string" },
        to: { type: "object", required: true },
        port: { type: "object" },
        tls: { type: "object" },
    },
    "sailoperator.io/v1/Istio": {
        version: { type: "string", required: true },
        namespace: { type: "string", required: true },
        profile: { type: "string" },
        updateStrategy: { type: "object" },
        values: { type: "object" },
    },
    "sailoperator.io/v1/IstioCNI": {
        version: { type: "string", required: true },
        namespace: { type: "string", required: true },
        profile: { type: "string" },
        values: { type: "object" },
    },
    // Ambient's node proxy (Sail 1.28 and later, OSSM 3.2 and later: sailoperator.io/v1).
    "sailoperator.io/v1/ZTunnel": {
        version: { type: "string", required: true },
        namespace: { type: "string", required: true },
        values: { type: "object" },
    },
    "kiali.io/v1alpha1/Kiali": {
        istio_namespace: { type: "string" },
        deployment: { type: "object" },
        auth: { type: "object" },
    },
    // cert-manager's Certificate (cert-manager.io/v1), for gateway.tls {issuer}.
    "cert-manager.io/v1/Certificate": {
        secretName: { type: "string", required: true },
        issuerRef: { type: "object", required: true },
        commonName: { type: "string" },
        dnsNames: { type: "array" },
        duration: { type: "string" },
        renewBefore: { type: "string" },
        usages: { type: "array" },
        privateKey: { type: "object" },
        secretTemplate: { type: "object" },
    },
    // A chart from a repository carries repositoryOpts and a version; from OCI only a version; from a directory neither.
    "helm.sh/v3/Release": {
        chart: { type: "string", required: true },
        version: { type: "string" },
        repositoryOpts: { type: "object" },
        values: { type: "object" },
    },
    // The provider's YAML component applying the Gateway API CRDs: the file (a URL or a path) it reads.
    "yaml/v2/ConfigFile": {
        file: { type: "string", required: true },
    },
};

/** Kinds whose kept fields sit at the top of the object, not under `spec`. */
const TOP_LEVEL_KINDS = ["Release", "ConfigFile"];

function typeOf(value: unknown): FieldType {
    if (Array.isArray(value)) {
        return "array";
    }
    if (typeof value === "number") {
        return Number.isInteger(value) ? "integer" : "number";
    }
    return typeof value as FieldType;
}

function checkKept(o: RenderedObject, schema: KeptSchema): Problem[] {
    const isRelease = o.manifest.kind === "Release";
    const topLevel = TOP_LEVEL_KINDS.includes(o.manifest.kind as string);
    const body = (topLevel ? o.manifest : (o.manifest.spec ?? {})) as Record<string, unknown>;
    const prefix = topLevel ? "" : "spec.";
    const problems: Problem[] = [];
    const add = (field: string, reason: string) => problems.push({ object: objectId(o), field, code: "-", reason });
    for (const [field, rule] of Object.entries(schema)) {
        const value = body[field];
        if (value === undefined) {
            if (rule.required) {
                add(`${prefix}${field}`, "is required");
            }
            continue;
        }
        const actual = typeOf(value);
        if (actual !== rule.type && !(rule.type === "number" && actual === "integer")) {
            add(`${prefix}${field}`, `must be ${rule.type}, not ${actual}`);
        } else if (rule.oneOf && !rule.oneOf.includes(value as string)) {
            add(`${prefix}${field}`, `must be one of ${rule.oneOf.join(", ")}`);
        }
    }
    // A chart from a repository is pinned by its version (a directory's or OCI reference's chart pins itself).
    if (isRelease && body.repositoryOpts !== undefined && body.version === undefined) {
        add("version", "is required");
    }
    if (!topLevel) {
        for (const field of Object.keys(body)) {
            if (!(field in schema)) {
                add(`spec.${field}`, "is not a field this project's schema knows");
            }
        }
    }
    return problems;
}

type Model = new (data: unknown) => { validate(): void };

function loadModel(id: string, kind: string): Model | undefined {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- models load lazily, only when validating
        return (require(id) as Record<string, Model | undefined>)[kind];
    } catch {
        return undefined; // not a published kind
    }
}

/**
 * The published model for an object, loaded only when validating, and the apiVersion it checks. Istio's
 * `v1` kinds are their `v1beta1` promoted unchanged, and the published models stop at `v1beta1` for
 * most of them: those are checked against `v1beta1`.
 */
function modelFor(apiVersion: string, kind: string): { Model: Model; apiVersion: string } | undefined {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    if (group.endsWith("istio.io")) {
        for (const v of version === "v1" ? ["v1", "v1beta1"] : [version]) {
            const Model = loadModel(`@kubernetes-models/istio/${group}/${v}/${kind}`, kind);
            if (Model) {
                return { Model, apiVersion: `${group}/${v}` };
            }
        }
        return undefined;
    }
    if (group === "gateway.networking.k8s.io") {
        const Model = loadModel(`@kubernetes-models/gateway-api/${group}/${version}/${kind}`, kind);
        return Model && { Model, apiVersion };
    }
    const Model = loadModel(group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`, kind);
    return Model && { Model, apiVersion };
}

/** Schema problems of every rendered object. */
export function schemaProblems(objects: readonly RenderedObject[]): Problem[] {
    const problems: Problem[] = [];
    for (const o of objects) {
        const apiVersion = o.manifest.apiVersion as string;
        const kind = o.manifest.kind as string;
        const kept = KEPT_SCHEMAS[`${apiVersion}/${kind}`];
        if (kept) {
            problems.push(...checkKept(o, kept));
            continue;
        }
        const model = modelFor(apiVersion, kind);
        if (!model) {
            problems.push({ object: objectId(o), field: "apiVersion", code: "-", reason: `no schema known for ${apiVersion} ${kind}` });
            continue;
        }
        try {
            new model.Model({ ...o.manifest, apiVersion: model.apiVersion }).validate();
        } catch (e) {
            const errors = ((e as { errors?: Array<{ instancePath: string; message?: string }> }).errors ?? []).map((err) => ({
                field: err.instancePath
                    .replace(/^\//, "")
                    .replace(/\/(\d+)(?=\/|$)/g, "[$1]")
                    .replace(/\//g, "."),
                message: err.message ?? "is not valid",
            }));
            const code = apiVersion.includes("istio.io") ? "IST0106" : "-";
            for (const err of errors.length > 0 ? errors : [{ field: "", message: (e as Error).message }]) {
                problems.push({ object: objectId(o), field: err.field, code, reason: `schema: ${err.message}` });
            }
        }
    }
    return problems;
}
