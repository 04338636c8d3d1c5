// Small helpers over what the mock-run engine recorded.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { LabResource, record, runLab } from "../tools/engine";
import { lab } from "../tools/lab";
import { Dataplane } from "../components/lab";
import { ProbeResult } from "../tools/matrix";
import { readStackConfig, stackFile } from "../tools/stackConfig";

/** The resource with this logical name; throws when there is none. */
export function named(resources: readonly LabResource[], name: string): LabResource {
    const found = resources.filter((r) => r.name === name);
    if (found.length !== 1) {
        throw new Error(`expected one resource named ${name}, found ${found.length}: ${resources.map((r) => r.name).join(", ")}`);
    }
    return found[0];
}

/** `kind namespace/name` of every applied Kubernetes object, in registration order. */
export function objects(resources: readonly LabResource[]): string[] {
    return resources
        .filter((r) => r.custom && !r.read && r.type.startsWith("kubernetes:"))
        .map((r) => {
            const meta = (r.inputs.metadata ?? {}) as { name?: string; namespace?: string };
            const kind = (r.inputs.kind as string | undefined) ?? r.type.split(":")[2];
            const name = meta.name ?? (r.inputs.name as string);
            const ns = meta.namespace ?? (r.inputs.namespace as string | undefined);
            return `${kind} ${ns ? `${ns}/` : ""}${name}`;
        });
}

/** The `spec` of a resource's inputs. */
export function spec(r: LabResource): Record<string, unknown> {
    return r.inputs.spec as Record<string, unknown>;
}

/** A stack file's config, as the CLI would hand it to the program. */
export function stackConfig(stack: string): Record<string, string> {
    return readStackConfig(stackFile(stack));
}

/** Whether `from` depends on `to`, directly or through the components `to` belongs to. */
export function dependsOn(resources: readonly LabResource[], from: string, to: string): boolean {
    const r = named(resources, from);
    const target = named(resources, to);
    const ancestors = new Set<string>();
    for (let k: string | undefined = target.key; k; k = resources.find((x) => x.key === k)?.parent) {
        ancestors.add(k);
    }
    return r.dependsOn.some((d) => ancestors.has(d));
}

/** Asserts that `build` throws exactly `message` and registers no custom resource. */
export async function rejects(build: () => unknown, message: string): Promise<void> {
    let thrown: Error | undefined;
    const { resources } = await record(() => {
        try {
            build();
        } catch (e) {
            thrown = e as Error;
        }
    });
    expect(thrown?.message).to.equal(message);
    expect(resources.filter((r) => r.custom)).to.deep.equal([]);
}

/** The guestbook stage's objects for the one lab (namespace `guestbook`), with the gateway stage's Secret and Gateway. */
export const GUESTBOOK_APP: readonly string[] = [
    "Namespace guestbook",
    "Deployment guestbook/redis-master",
    "Service guestbook/redis-master",
    "Deployment guestbook/redis-slave",
    "Service guestbook/redis-slave",
    "Deployment guestbook/guestbook-v1",
    "Deployment guestbook/guestbook-v2",
    "Service guestbook/guestbook",
    "Secret istio-system/guestbook-gateway-credential",
    "Gateway guestbook/guestbook-gateway",
];

/** One test per row: the program refuses the config with exactly the message, before registering anything. */
export function itRefuses(table: ReadonlyArray<readonly [Record<string, string>, string]>): void {
    for (const [raw, message] of table) {
        it(`refuses ${JSON.stringify(raw)} before registering anything`, async () => {
            let error: Error | undefined;
            await runLab(raw).catch((e: Error) => (error = e));
            expect(error?.message).to.equal(message);
        });
    }
}

/** One expected probe: from, to, the status code, whether mutual TLS was used. */
export type ProbeRow = [string, string, string, boolean];

/** Expected `lab matrix --json` rows, all predicted for one data plane. */
export function probeTable(rows: readonly ProbeRow[], dataplane: Dataplane = "sidecar"): ProbeResult[] {
    return rows.map(([from, to, code, mtls]) => ({ from, to, code: code as ProbeResult["code"], mtls, dataplane }));
}

/** `lab matrix --json` of the peer-auth stack with these policies (and `--set` overrides), which must succeed. */
export async function peerAuthMatrix(peerAuth: unknown[], sets: readonly string[] = []): Promise<ProbeResult[]> {
    const r = await lab([
        "matrix",
        "--stack",
        "peer-auth",
        ...sets.flatMap((x) => ["--set", x]),
        "--set",
        `istio-lab:peerAuth=${JSON.stringify(peerAuth)}`,
        "--json",
    ]);
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout) as ProbeResult[];
}

/** The temporary directories the tests made, removed when the run ends (mocha's root hook). */
const madeDirs: string[] = [];
after(() => madeDirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A new temporary directory, removed when the test run ends. */
export function tempDir(prefix: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    madeDirs.push(dir);
    return dir;
}

/** Runs `fn` with environment variable `name` set to `value` (undefined: unset), then puts it back as it was. */
export async function withEnv<T>(name: string, value: string | undefined, fn: () => Promise<T> | T): Promise<T> {
    const saved = process.env[name];
    const put = (v: string | undefined) => (v === undefined ? delete process.env[name] : (process.env[name] = v));
    put(value);
    try {
        return await fn();
    } finally {
        put(saved);
    }
}

/**
 * A command's result without `lab validate`'s notes about images known not to pull everywhere (their own
 * tests in tests/config/images.test.ts hold their text), for tests of everything else it says.
 */
export function lessImageNotes<T extends { stderr: string }>(r: T): T {
    return { ...r, stderr: r.stderr.replace(/^note: images? .*\n/gm, "") };
}
