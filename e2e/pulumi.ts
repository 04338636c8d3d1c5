// The real Pulumi engine for the e2e harness: the CLI, the Node.js language host and the Kubernetes
// provider built from Go modules (toolchain.ts), the stand-in random and tls plugins (standins.ts),
// a file backend and passphrase secrets in a temporary directory. The project's own files are used as
// they are: a temporary project directory links to them, so the stack files the CLI writes never land
// in the work tree.
import { spawn, spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { PROJECT_ROOT } from "../tools/stackConfig";
import { EngineTools } from "./toolchain";

/** What one pulumi command did. */
export interface PulumiResult {
    readonly stdout: string;
    readonly stderr: string;
    readonly status: number;
    readonly ms: number;
}

/** A place to run pulumi commands: its own PULUMI_HOME, backend and project directory. */
export interface Workspace {
    readonly dir: string;
    readonly env: Readonly<Record<string, string>>;
    /** Runs `pulumi args` in the project directory; throws with its output unless `allowFailure`. */
    pulumi(args: readonly string[], options?: { allowFailure?: boolean; cwd?: string }): PulumiResult;
    /** Runs `pulumi args` without blocking (so the harness can play an operator meanwhile). */
    pulumiAsync(args: readonly string[]): Promise<PulumiResult>;
    /** Creates (or replaces) stack `name` with exactly this config (`{"istio-lab:key": "value or JSON"}`). */
    stack(name: string, config: Readonly<Record<string, string>>): void;
    /** Sets stack `name`'s config to exactly this, as `pulumi config set` of each key would. */
    configure(name: string, config: Readonly<Record<string, string>>): void;
    /** The path of stack `name`'s config file (`Pulumi.<name>.yaml` in the project directory). */
    stackFile(name: string): string;
    /** The stack's exported state (`pulumi stack export`), as text. */
    exportState(name: string): string;
    /** What the engine and its plugins left in the workspace's $TMPDIR (file names). */
    leftovers(): string[];
    /** Removes the directory. */
    remove(): void;
}

/** The versions the stand-ins answer to: what the SDK packages in node_modules ask for. */
function sdkVersion(pkg: string): string {
    return (
        JSON.parse(readFileSync(path.join(PROJECT_ROOT, "node_modules", "@pulumi", pkg, "package.json"), "utf8")) as { version: string }
    ).version;
}

/** Project files the temporary project links to (everything a program run reads). */
function projectEntries(): string[] {
    return readdirSync(PROJECT_ROOT).filter((e) => !/^Pulumi\..+\.yaml$/.test(e) && e !== ".git" && e !== "Pulumi.yaml");
}

/** A config value as the stack file holds it: JSON objects and lists as YAML structures, the rest as written. */
function stackValue(value: string): unknown {
    if (/^\s*[[{]/.test(value)) {
        return JSON.parse(value) as unknown;
    }
    return value;
}

/** What a failed command said: its diagnostics (the errors) when it printed them, else its last 40 lines. */
function failureText(output: string): string {
    const lines = output.trim().split("\n");
    const at = lines.findIndex((l) => /^Diagnostics:/.test(l));
    return (at >= 0 ? lines.slice(at, at + 40) : lines.slice(-40)).join("\n");
}

/** The kubernetes provider and the stand-in random and tls plugins, into the workspace's PULUMI_HOME (so no run warns about an ambient plugin). */
function installPlugins(engine: EngineTools, dir: string, pulumi: Workspace["pulumi"], log: (line: string) => void): void {
    pulumi(["plugin", "install", "resource", "kubernetes", engine.kubernetesVersion, "--file", engine.kubernetesPlugin]);
    const standins = path.join(dir, "standins");
    mkdirSync(standins);
    for (const name of ["random", "tls"]) {
        const version = sdkVersion(name);
        const launcher = path.join(standins, `pulumi-resource-${name}`);
        const script = path.join(PROJECT_ROOT, "bin", "e2e", "standins.js");
        writeFileSync(
            launcher,
            `#!/bin/sh\n# stand-in ${name} plugin (see e2e/standins.ts)\nexec "${process.execPath}" "${script}" ${name} ${version} "$@"\n`,
        );
        chmodSync(launcher, 0o755);
        pulumi(["plugin", "install", "resource", name, version, "--file", launcher]);
        log(`[pulumi] installed the stand-in ${name} plugin as version ${version} (real X.509 and randomness; not the real provider)`);
    }
}

/**
 * Sets up a workspace whose commands reach the cluster of `kubeconfig`: in a new temporary directory, or in
 * `at` (the sandbox's), where a workspace set up before is opened as it is.
 */
export function createWorkspace(engine: EngineTools, kubeconfig: string, log: (line: string) => void, at?: string): Workspace {
    const dir = at ?? mkdtempSync(path.join(tmpdir(), "istio-lab-pulumi-"));
    const ready = path.join(dir, ".ready");
    const opened = existsSync(ready);
    const home = path.join(dir, "home");
    const state = path.join(dir, "state");
    const project = path.join(dir, "project");
    const bin = path.join(dir, "bin");
    const tmp = path.join(dir, "tmp");
    for (const d of [home, state, project, bin, tmp]) {
        mkdirSync(d, { recursive: true });
    }
    if (!opened) {
        for (const entry of projectEntries()) {
            symlinkSync(path.join(PROJECT_ROOT, entry), path.join(project, entry));
        }
        writeFileSync(path.join(project, "Pulumi.yaml"), readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml")));
    }
    // The language host is found beside the pulumi binary; PATH holds no plugin (bin/ gets only the policy
    // analyzer launcher the policy scenario writes), so every provider comes from this PULUMI_HOME.
    const env: Record<string, string> = {
        PATH: [bin, path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
        HOME: process.env.HOME ?? dir,
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${state}`,
        PULUMI_CONFIG_PASSPHRASE: "istio-lab-e2e",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        KUBECONFIG: kubeconfig,
        // Its own, so the run can tell what the engine and the providers leave behind (e2e/run.ts).
        TMPDIR: tmp,
        NO_COLOR: "1",
    };
    const pulumi: Workspace["pulumi"] = (args, options = {}) => {
        const start = Date.now();
        const r = spawnSync(path.join(engine.binDir, "pulumi"), [...args, "--non-interactive"], {
            cwd: options.cwd ?? project,
            env,
            encoding: "utf8",
            maxBuffer: 512 * 1024 * 1024,
        });
        const result = { stdout: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status ?? 1, ms: Date.now() - start };
        if (result.status !== 0 && !options.allowFailure) {
            throw new Error(`pulumi ${args.join(" ")} failed (${result.status}):\n${failureText(result.stdout + result.stderr)}`);
        }
        return result;
    };

    const pulumiAsync: Workspace["pulumiAsync"] = (args) =>
        new Promise((resolve) => {
            const start = Date.now();
            const child = spawn(path.join(engine.binDir, "pulumi"), [...args, "--non-interactive"], { cwd: project, env });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            child.on("close", (code) => resolve({ stdout, stderr, status: code ?? 1, ms: Date.now() - start }));
        });
    const stackFileOf = (name: string) => path.join(project, `Pulumi.${name}.yaml`);
    const configure: Workspace["configure"] = (name, config) => {
        const file = stackFileOf(name);
        const doc = (parse(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
        doc.config = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, stackValue(v)]));
        writeFileSync(file, stringify(doc));
    };

    if (!opened) {
        installPlugins(engine, dir, pulumi, log);
        writeFileSync(ready, "");
    }

    return {
        dir,
        env,
        pulumi,
        pulumiAsync,
        configure,
        stackFile: stackFileOf,
        stack: (name, config) => {
            const file = stackFileOf(name);
            if (existsSync(file)) {
                pulumi(["stack", "rm", "--yes", "--force", name], { allowFailure: true });
                rmSync(file, { force: true });
            }
            pulumi(["stack", "init", name, "--secrets-provider", "passphrase"]);
            configure(name, config);
        },
        exportState: (name) => pulumi(["stack", "export", "--stack", name, "--show-secrets=false"]).stdout,
        leftovers: () => readdirSync(tmp).sort(),
        remove: () => rmSync(dir, { recursive: true, force: true }),
    };
}
