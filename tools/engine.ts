// The mock-run engine: runs the real lab program under Pulumi's mocks (no CLI, no plugin, no
// cluster) and records every resource it registers, with its resolved inputs, its parent and what it
// depends on. The tests and the `lab` command share it.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { LabConfig, parseConfig } from "../config";
import { buildLab } from "../stacks/lab";

/** The Pulumi project name. */
export const PROJECT = "istio-lab";

/** One resource the program registered. */
export interface LabResource {
    /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`. */
    readonly type: string;
    /** Pulumi logical name. */
    readonly name: string;
    /** `type::name`, unique in a run. */
    readonly key: string;
    /** Key of the parent resource, if any (components; top-level stages have none). */
    readonly parent?: string;
    /** True for custom resources (what the provider creates), false for components. */
    readonly custom: boolean;
    /** True when the program only reads the resource (`Resource.get`); nothing is applied. */
    readonly read: boolean;
    /** Inputs with every output resolved. */
    readonly inputs: Record<string, unknown>;
    /** Keys of the resources it depends on: `dependsOn` and the resources its inputs came from. */
    readonly dependsOn: readonly string[];
    /** The types it was once registered under (`aliases` with a `type`), which Pulumi treats as the same resource. */
    readonly aliasTypes: readonly string[];
    /** Properties `pulumi up` leaves as they are after creation (`ignoreChanges`). */
    readonly ignoreChanges: readonly string[];
    /** Whether a replacement deletes the old object before it creates the new one (`deleteBeforeReplace`). */
    readonly deleteBeforeReplace: boolean;
    /** The key of the resource whose deletion takes this one with it, so the engine never deletes it alone then (`deletedWith`). */
    readonly deletedWith?: string;
    /** The key of the explicit provider that creates it (`pulumi:providers:kubernetes::lab-namespaces`); none for the default provider. */
    readonly provider?: string;
}

/** What one run of the program produced. */
export interface LabRun {
    /** The checked config. */
    readonly config: LabConfig;
    /** Every registered resource, in registration order. */
    readonly resources: readonly LabResource[];
    /** The stack outputs. */
    readonly outputs: Record<string, unknown>;
}

/** Options of {@link runLab}. */
export interface RunOptions {
    /** Stack name. @default "dev" */
    readonly stack?: string;
    /** Live state of objects the program reads (`Resource.get`), keyed by `type::name`. @default none */
    readonly observed?: Readonly<Record<string, Record<string, unknown>>>;
    /** Config keys the stack marks secret (`secure:` values), as the Pulumi CLI tells the program. @default none */
    readonly secretKeys?: readonly string[];
    /**
     * Record secret inputs with their values, as the provider would get them (for checks that read the
     * values, whose output then hides them); otherwise they read {@link REDACTED}. @default false
     */
    readonly reveal?: boolean;
}

/** Pulumi's marker for a secret value in serialized properties. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
/** What a secret's leaves read as in recorded inputs: secrets never leave the program. */
export const REDACTED = "<redacted>";

function hide(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(hide);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, hide(v)]));
    }
    return value === undefined ? undefined : REDACTED;
}

/** Serialized inputs with every secret (Pulumi's wrapper object) replaced by `secret(its value)`. */
function mapSecrets(value: unknown, secret: (inner: unknown) => unknown): unknown {
    if (Array.isArray(value)) {
        return value.map((v) => mapSecrets(v, secret));
    }
    if (value !== null && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[SECRET_SIG] === SECRET_VALUE) {
            return secret(obj.value);
        }
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, mapSecrets(v, secret)]));
    }
    return value;
}

/** Replaces every secret in serialized inputs by its shape with redacted leaves. */
const redactSecrets = (value: unknown): unknown => mapSecrets(value, hide);

/** Unwraps every secret in serialized inputs to its value, as the provider receives it. */
const revealSecrets = (value: unknown): unknown => mapSecrets(value, revealSecrets);

/** A stable stand-in for a random provider's result, so that runs are reproducible. */
function stableRandom(name: string, length: number): string {
    const digest = createHash("sha256").update(name).digest();
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    return Array.from(digest.subarray(0, length), (b) => alphabet[b % alphabet.length]).join("");
}

/** A provider reference (`<urn>::<id>`) as the key of the provider resource (`<type>::<name>`). */
function providerKey(reference: string | undefined): string | undefined {
    const urn = reference?.replace(/::[^:]*$/, "");
    const parts = urn?.split("::") ?? [];
    return parts.length >= 4 ? `${parts[2].split("$").at(-1)}::${parts[3]}` : undefined;
}

function mocks(
    observed: RunOptions["observed"],
    inputsByKey: Map<string, Record<string, unknown>>,
    providerByKey = new Map<string, string>(),
    reveal = false,
): pulumi.runtime.Mocks {
    return {
        newResource(args) {
            const key = `${args.type}::${args.name}`;
            const provider = providerKey(args.provider);
            if (provider) {
                providerByKey.set(key, provider);
            }
            const inputs = args.inputs as Record<string, unknown>;
            inputsByKey.set(key, (reveal ? revealSecrets(inputs) : redactSecrets(inputs)) as Record<string, unknown>);
            let state: Record<string, unknown> = { ...inputs };
            if (args.id !== undefined && args.id !== "") {
                state = { ...state, ...(observed?.[key] ?? {}) };
            } else if (args.type === "random:index/randomString:RandomString") {
                state.result = stableRandom(args.name, Number(inputs.length ?? 8));
            } else if (args.type.startsWith("tls:index/")) {
                // Stand-ins with the shape of PEM data; the real provider generates keys at `pulumi up`.
                const pem = (label: string) => `-----BEGIN ${label}-----\nmock ${args.name}\n-----END ${label}-----\n`;
                state = {
                    ...state,
                    privateKeyPem: pem("PRIVATE KEY"),
                    publicKeyPem: pem("PUBLIC KEY"),
                    certPem: pem("CERTIFICATE"),
                    certRequestPem: pem("CERTIFICATE REQUEST"),
                };
            } else if (args.type === "kubernetes:helm.sh/v3:Release") {
                state.status = {
                    name: inputs.name,
                    namespace: inputs.namespace,
                    chart: inputs.chart,
                    version: inputs.version,
                    status: "deployed",
                };
            }
            return { id: args.id || `${args.name}-id`, state };
        },
        call(args) {
            return args.inputs as Record<string, unknown>;
        },
    };
}

interface Captured {
    readonly resource: pulumi.Resource;
    readonly type: string;
    readonly name: string;
    readonly opts: pulumi.ResourceOptions;
    readonly props: pulumi.Inputs;
}

/** Every Output found anywhere in a value. */
function outputsIn(value: unknown, found: pulumi.Output<unknown>[] = [], seen = new Set<unknown>()): pulumi.Output<unknown>[] {
    if (value === null || typeof value !== "object" || seen.has(value)) {
        return found;
    }
    seen.add(value);
    if (pulumi.Output.isInstance(value)) {
        found.push(value);
        return found;
    }
    if (pulumi.Resource.isInstance(value)) {
        return found;
    }
    for (const v of Object.values(value as Record<string, unknown>)) {
        outputsIn(v, found, seen);
    }
    return found;
}

/** The resources an Output's value came from (Pulumi tracks them; the SDK keeps the list internal). */
async function resourcesOf(output: pulumi.Output<unknown>): Promise<pulumi.Resource[]> {
    const impl = output as unknown as { allResources?: () => Promise<Set<pulumi.Resource>>; resources: () => Set<pulumi.Resource> };
    const set = impl.allResources ? await impl.allResources() : impl.resources();
    return [...set];
}

function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/**
 * Runs `build` (a program, or a component under test) under mocks as the body of a stack, and
 * returns every resource it registered and the stack outputs `build` returned.
 */
export async function record(
    build: () => unknown,
    options: RunOptions & { readonly config?: Readonly<Record<string, string>> } = {},
): Promise<{ resources: LabResource[]; outputs: Record<string, unknown> }> {
    const inputsByKey = new Map<string, Record<string, unknown>>();
    const providerByKey = new Map<string, string>();
    await pulumi.runtime.setMocks(
        mocks(options.observed, inputsByKey, providerByKey, options.reveal),
        PROJECT,
        options.stack ?? "dev",
        false,
    );
    pulumi.runtime.setAllConfig({ ...(options.config ?? {}) }, [...(options.secretKeys ?? [])]);

    const captured: Captured[] = [];
    const outputs = await pulumi.runtime.runInPulumiStack(() => {
        pulumi.runtime.registerStackTransformation((args) => {
            captured.push({
                resource: args.resource,
                type: args.type,
                name: args.name,
                opts: args.opts,
                props: args.props,
            });
            return undefined;
        });
        return Promise.resolve(build());
    });

    const keyOf = new Map<pulumi.Resource, string>();
    for (const c of captured) {
        keyOf.set(c.resource, `${c.type}::${c.name}`);
    }
    // Wait until every resource has been registered with the (mock) engine.
    await Promise.all(captured.map((c) => promiseOf(c.resource.urn)));

    const resources: LabResource[] = [];
    for (const c of captured) {
        const key = `${c.type}::${c.name}`;
        const explicit = await promiseOf(pulumi.output(c.opts.dependsOn ?? []));
        const implicit = (await Promise.all(outputsIn(c.props).map(resourcesOf))).flat();
        const deps = new Set<string>();
        for (const r of [...(Array.isArray(explicit) ? explicit : [explicit]), ...implicit]) {
            const depKey = keyOf.get(r);
            if (depKey && depKey !== key) {
                deps.add(depKey);
            }
        }
        const parent = c.opts.parent ? keyOf.get(c.opts.parent) : undefined;
        resources.push({
            type: c.type,
            name: c.name,
            key,
            parent,
            // Asked only now: the transformation runs before a CustomResource marks itself as one.
            custom: pulumi.CustomResource.isInstance(c.resource),
            read: c.opts.id !== undefined,
            inputs: inputsByKey.get(key) ?? {},
            dependsOn: [...deps].sort(),
            ignoreChanges: [...(c.opts.ignoreChanges ?? [])],
            deleteBeforeReplace: (c.opts as pulumi.CustomResourceOptions).deleteBeforeReplace === true,
            ...(providerByKey.has(key) ? { provider: providerByKey.get(key) } : {}),
            ...(c.opts.deletedWith && keyOf.get(c.opts.deletedWith) ? { deletedWith: keyOf.get(c.opts.deletedWith) } : {}),
            aliasTypes: (c.opts.aliases ?? []).flatMap((a) =>
                typeof a === "object" && a !== null && "type" in a && typeof a.type === "string" ? [a.type] : [],
            ),
        });
    }
    return { resources, outputs: (outputs ?? {}) as Record<string, unknown> };
}

/**
 * Runs the lab program with `rawConfig` (`{"istio-lab:canaryWeight": "20", ...}`) under mocks and
 * returns what it registered. Throws the program's own {@link LabInputError} for bad config, before
 * anything is registered.
 */
export async function runLab(rawConfig: Readonly<Record<string, string>>, options: RunOptions = {}): Promise<LabRun> {
    const config = parseConfig(rawConfig, options.secretKeys);
    const { resources, outputs } = await record(() => buildLab(config), { ...options, config: rawConfig });
    return { config, resources, outputs };
}
