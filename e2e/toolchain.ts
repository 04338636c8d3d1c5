// `npm run e2e:tools`: builds what the e2e harness runs, from the Go modules pinned in e2e/tools
// (Kubernetes, etcd and the Istio API module's CRDs) and e2e/tools/kwok, into a cache outside the work
// tree keyed by those pins. One progress line per piece with its build time; a warm cache returns at once.
import { spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "fs";
import { homedir } from "os";
import * as path from "path";

/** The project's e2e directory (from the compiled bin/e2e or the sources). */
export const E2E_DIR = path.resolve(__dirname, __dirname.includes(`${path.sep}bin${path.sep}`) ? "../../e2e" : ".");
const MODULE = path.join(E2E_DIR, "tools");
const KWOK_MODULE = path.join(MODULE, "kwok");
const GATEWAY_API_MODULE = path.join(MODULE, "gatewayapi");

/** What the harness runs. */
export interface Tools {
    readonly bin: (name: string) => string;
    /** Istio's CRDs, as the Istio API module publishes them. */
    readonly istioCrds: string;
    /** kwok's stages (nodes become Ready, pods Running and Ready), as its module publishes them. */
    readonly kwokStages: string;
    /** The Gateway API's standard CRDs, as its release's standard-install.yaml holds them, written from its module. */
    readonly gatewayApiCrds: string;
    /** The pinned versions, for reports. */
    readonly versions: Readonly<Record<string, string>>;
}

/** The version a go.mod requires of a module. */
function required(goMod: string, module: string): string {
    const match = new RegExp(`^\\s*(?:require\\s+)?${module.replace(/\./g, "\\.")}\\s+(v\\S+)`, "m").exec(readFileSync(goMod, "utf8"));
    if (!match) {
        throw new Error(`${goMod} pins no version of ${module}`);
    }
    return match[1];
}

/** Where Go downloaded `module@version` (resolved in `inModule`, whose go.sum pins it). */
function moduleDir(module: string, version: string, inModule: string): string {
    return (JSON.parse(go(["mod", "download", "-json", `${module}@${version}`], inModule)) as { Dir: string }).Dir;
}

/** Writes YAML files as one multi-document stream at `out` (through a partial file, so a cut-off write is never cached). */
function writeYamlStream(out: string, files: readonly string[]): void {
    writeFileSync(`${out}.partial`, files.map((f) => readFileSync(f, "utf8").trim()).join("\n---\n") + "\n");
    renameSync(`${out}.partial`, out);
}

/** While set, the ensure functions only note what is missing and build nothing (ensureAll's look at the cache). */
let planning: string[] | undefined;

/** Whether a cached file is there; while planning, a missing one is noted and reported as there. */
function present(file: string): boolean {
    if (existsSync(file)) {
        return true;
    }
    planning?.push(file);
    return planning !== undefined;
}

/** The cache directory: `$ISTIO_LAB_E2E_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/istio-lab`. */
export function cacheRoot(): string {
    return process.env.ISTIO_LAB_E2E_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "istio-lab");
}

function go(args: string[], cwd: string): string {
    return goIn(args, cwd, {});
}

function goIn(args: string[], cwd: string, env: Record<string, string>): string {
    const r = spawnSync("go", args, {
        cwd,
        encoding: "utf8",
        env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-buildvcs=false", ...env },
        maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) {
        throw new Error(`go ${args.join(" ")}: ${r.error.message} (the e2e tools need Go 1.26 and the Go module proxy)`);
    }
    if (r.status !== 0) {
        throw new Error(`go ${args.join(" ")} failed in ${cwd}:\n${r.stderr.trim()}`);
    }
    return r.stdout;
}

interface Piece {
    readonly name: string;
    readonly module: string;
    readonly pkg: string;
    readonly ldflags?: string;
}

/** Builds every missing piece into the cache for the current pins, and returns where they are. */
export function ensureTools(log: (line: string) => void = (l) => console.log(l)): Tools {
    const goMod = path.join(MODULE, "go.mod");
    const kube = required(goMod, "k8s.io/kubernetes");
    const etcd = required(goMod, "go.etcd.io/etcd/server/v3");
    const istioApi = required(goMod, "istio.io/api");
    const kwok = required(path.join(KWOK_MODULE, "go.mod"), "sigs.k8s.io/kwok");
    const goVersion = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" }).stdout?.trim() ?? "";
    const key = createHash("sha256")
        .update(
            [
                goVersion,
                ...[goMod, path.join(MODULE, "go.sum"), path.join(KWOK_MODULE, "go.mod"), path.join(KWOK_MODULE, "go.sum")].map((f) =>
                    readFileSync(f, "utf8"),
                ),
            ].join("\0"),
        )
        .digest("hex")
        .slice(0, 16);
    const dir = path.join(cacheRoot(), `e2e-tools-${key}`);
    const binDir = path.join(dir, "bin");
    mkdirSync(binDir, { recursive: true });

    // Without these the binaries report v0.0.0, and tools that pick flags by version pick wrong ones.
    const [major, minor] = kube.replace(/^v/, "").split(".");
    const kubeVersion = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]
        .map((p) => `-X ${p}.gitVersion=${kube} -X ${p}.gitMajor=${major} -X ${p}.gitMinor=${minor}`)
        .join(" ");
    const pieces: Piece[] = [
        ...["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"].map((c) => ({
            name: c,
            module: MODULE,
            pkg: `k8s.io/kubernetes/cmd/${c}`,
            ldflags: kubeVersion,
        })),
        { name: "etcd", module: MODULE, pkg: "go.etcd.io/etcd/server/v3" },
        { name: "kwok", module: KWOK_MODULE, pkg: "sigs.k8s.io/kwok/cmd/kwok" },
    ];
    for (const p of pieces) {
        const out = path.join(binDir, p.name);
        if (present(out)) {
            log(`[e2e:tools] ${p.name.padEnd(28)} cached`);
            continue;
        }
        const start = Date.now();
        const partial = `${out}.partial`;
        go(["build", "-trimpath", "-ldflags", `-s -w ${p.ldflags ?? ""}`.trim(), "-o", partial, p.pkg], p.module);
        renameSync(partial, out);
        log(`[e2e:tools] ${p.name.padEnd(28)} built in ${((Date.now() - start) / 1000).toFixed(0)} s`);
    }

    const istioCrds = path.join(dir, "istio-crds.yaml");
    if (present(istioCrds)) {
        log(`[e2e:tools] ${"istio CRDs".padEnd(28)} cached`);
    } else {
        const start = Date.now();
        const apiDir = moduleDir("istio.io/api", istioApi, MODULE);
        copyFileSync(path.join(apiDir, "kubernetes", "customresourcedefinitions.gen.yaml"), `${istioCrds}.partial`);
        renameSync(`${istioCrds}.partial`, istioCrds);
        log(`[e2e:tools] ${"istio CRDs".padEnd(28)} written in ${((Date.now() - start) / 1000).toFixed(0)} s (istio.io/api ${istioApi})`);
    }
    // kwok v0.8.0 ships no built-in stages: its module's "fast" node and pod stages, read where Go downloaded them.
    const kwokStages = path.join(dir, "kwok-stages.yaml");
    if (!present(kwokStages)) {
        const stageDir = path.join(moduleDir("sigs.k8s.io/kwok", kwok, KWOK_MODULE), "kustomize", "stage");
        const files = [
            path.join(stageDir, "node", "fast", "node-initialize.yaml"),
            ...["pod-ready.yaml", "pod-complete.yaml", "pod-delete.yaml"].map((f) => path.join(stageDir, "pod", "fast", f)),
        ];
        writeYamlStream(kwokStages, files);
        log(`[e2e:tools] ${"kwok stages".padEnd(28)} written (sigs.k8s.io/kwok ${kwok})`);
    }
    // The Gateway API's standard-install.yaml is its config/crd/standard files in its kustomization's order.
    const gatewayApi = required(path.join(GATEWAY_API_MODULE, "go.mod"), "sigs.k8s.io/gateway-api");
    const gatewayApiCrds = path.join(dir, `gateway-api-${gatewayApi}-standard-install.yaml`);
    if (present(gatewayApiCrds)) {
        log(`[e2e:tools] ${"Gateway API CRDs".padEnd(28)} cached`);
    } else {
        const crdDir = path.join(moduleDir("sigs.k8s.io/gateway-api", gatewayApi, GATEWAY_API_MODULE), "config", "crd");
        const files = [
            ...readFileSync(path.join(crdDir, "kustomization.yaml"), "utf8").matchAll(/^\s*-\s*(standard\/\S+\.yaml)\s*$/gm),
        ].map((m) => m[1]);
        writeYamlStream(
            gatewayApiCrds,
            files.map((f) => path.join(crdDir, f)),
        );
        log(`[e2e:tools] ${"Gateway API CRDs".padEnd(28)} written (sigs.k8s.io/gateway-api ${gatewayApi}, ${files.length} files)`);
    }
    return {
        bin: (name) => path.join(binDir, name),
        istioCrds,
        kwokStages,
        gatewayApiCrds,
        versions: { kubernetes: kube, etcd, kwok, "istio.io/api": istioApi, "sigs.k8s.io/gateway-api": gatewayApi, go: goVersion },
    };
}

/** What the engine scenarios run: the Pulumi CLI, its Node.js language host, the Kubernetes provider and Istio's charts. */
export interface EngineTools {
    /** Where `pulumi` and `pulumi-language-nodejs` are (the CLI finds its language host beside itself). */
    readonly binDir: string;
    /** The Kubernetes provider plugin, kept apart so that nothing finds it as an ambient plugin. */
    readonly kubernetesPlugin: string;
    /** A local chart directory holding `base`, `istiod`, `gateway`, `cni` and `ztunnel` (`controlPlane.chartRepo` takes it). */
    readonly charts: string;
    /** The Kubernetes provider's release (the plugin's version). */
    readonly kubernetesVersion: string;
    /** The pinned versions, for reports. */
    readonly versions: Readonly<Record<string, string>>;
}

const ENGINE_MODULES = ["pulumi", "langhost", "kubernetes", "charts"].map((m) => path.join(MODULE, m));

/** The Istio charts the lab installs, by the name `chartRepo` gives them, and where the istio.io/istio module keeps each. */
const ISTIO_CHARTS: ReadonlyArray<readonly [string, string]> = [
    ["base", "base"],
    ["istiod", path.join("istio-control", "istio-discovery")],
    ["gateway", "gateway"],
    ["cni", "istio-cni"],
    ["ztunnel", "ztunnel"],
];

/** A cache directory keyed by the Go version and the contents of these modules' go.mod and go.sum. */
function keyedDir(prefix: string, modules: readonly string[]): { dir: string; goVersion: string } {
    const goVersion = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" }).stdout?.trim() ?? "";
    const files = modules.flatMap((m) => [path.join(m, "go.mod"), path.join(m, "go.sum")]);
    const key = createHash("sha256")
        .update([goVersion, ...files.map((f) => readFileSync(f, "utf8"))].join("\0"))
        .digest("hex")
        .slice(0, 16);
    return { dir: path.join(cacheRoot(), `${prefix}-${key}`), goVersion };
}

/** Builds `pkg` in `module` into `out` unless it is there; logs the time. */
function buildOnce(log: (line: string) => void, name: string, out: string, module: string, pkg: string, flags: string[] = []): void {
    if (present(out)) {
        log(`[e2e:tools] ${name.padEnd(28)} cached`);
        return;
    }
    const start = Date.now();
    go(["build", "-trimpath", ...flags, "-o", `${out}.partial`, pkg], module);
    renameSync(`${out}.partial`, out);
    log(`[e2e:tools] ${name.padEnd(28)} built in ${((Date.now() - start) / 1000).toFixed(0)} s`);
}

/** A comment line `// <label>: <value>` of a go.mod. */
function noted(goMod: string, label: string): string {
    const match = new RegExp(`^//\\s*${label}:\\s*(\\S+)`, "m").exec(readFileSync(goMod, "utf8"));
    if (!match) {
        throw new Error(`${goMod} has no "// ${label}:" line`);
    }
    return match[1];
}

/**
 * Builds the Pulumi pieces into the cache for the current pins: the CLI (pkg/v3 at the SDK's release,
 * with Pulumi's release flags), the Node.js language host (sdk/v3 v3.68.0, the last module that holds
 * it), the Kubernetes provider (its module copied, its embedded schema generated, then built), and
 * Istio's charts copied out of the istio.io/istio module.
 */
export function ensureEngine(log: (line: string) => void = (l) => console.log(l)): EngineTools {
    const { dir, goVersion } = keyedDir("e2e-engine", ENGINE_MODULES);
    const binDir = path.join(dir, "bin");
    mkdirSync(binDir, { recursive: true });
    const [cliModule, hostModule, kubeModule, chartsModule] = ENGINE_MODULES;

    const pulumiVersion = required(path.join(cliModule, "go.mod"), "github.com/pulumi/pulumi/pkg/v3");
    buildOnce(log, "pulumi", path.join(binDir, "pulumi"), cliModule, "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", [
        "-tags",
        "osusergo,grpcnotrace",
        "-ldflags",
        `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${pulumiVersion}`,
    ]);
    const hostVersion = required(path.join(hostModule, "go.mod"), "github.com/pulumi/pulumi/sdk/v3");
    buildOnce(
        log,
        "pulumi-language-nodejs",
        path.join(binDir, "pulumi-language-nodejs"),
        hostModule,
        "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs",
        ["-ldflags", "-s -w"],
    );

    const kubeGoMod = path.join(kubeModule, "go.mod");
    const providerModule = "github.com/pulumi/pulumi-kubernetes/provider/v4";
    const providerPin = required(kubeGoMod, providerModule);
    const kubernetesVersion = noted(kubeGoMod, "release");
    mkdirSync(path.join(dir, "providers"), { recursive: true });
    const providerOut = path.join(dir, "providers", "pulumi-resource-kubernetes");
    if (present(providerOut)) {
        log(`[e2e:tools] ${"pulumi-resource-kubernetes".padEnd(28)} cached`);
    } else {
        const start = Date.now();
        // The module's main package embeds files its own build generates, and the module cache is
        // read-only: build from a writable copy, with this project's module (and go.sum) as the main one.
        const work = path.join(dir, "kubernetes-build");
        rmSync(work, { recursive: true, force: true });
        const providerDir = moduleDir(providerModule, providerPin, kubeModule);
        const provider = path.join(work, "provider");
        cpSync(providerDir, provider, { recursive: true });
        makeWritable(provider);
        const main = path.join(work, "main");
        mkdirSync(main, { recursive: true });
        for (const f of ["go.mod", "go.sum", "tools.go"]) {
            copyFileSync(path.join(kubeModule, f), path.join(main, f));
        }
        go(["mod", "edit", `-replace=${providerModule}=../provider`], main);
        const sdk = "github.com/pulumi/pulumi-kubernetes/sdk/v4";
        const sdkPin = /=>\s*\S+\s+(v\S+)/.exec(
            readFileSync(kubeGoMod, "utf8")
                .split("\n")
                .find((l) => l.includes(`${sdk} =>`)) ?? "",
        )?.[1];
        go(["mod", "edit", `-dropreplace=${sdk}`, `-replace=${sdk}=${sdk}@${sdkPin}`], provider);
        copyFileSync(path.join(main, "go.sum"), path.join(provider, "go.sum"));
        goIn(["generate"], path.join(provider, "cmd", "pulumi-resource-kubernetes"), { VERSION: kubernetesVersion });
        go(
            [
                "build",
                "-trimpath",
                "-ldflags",
                `-s -w -X ${providerModule}/pkg/version.Version=${kubernetesVersion}`,
                "-o",
                `${providerOut}.partial`,
                `${providerModule}/cmd/pulumi-resource-kubernetes`,
            ],
            main,
        );
        renameSync(`${providerOut}.partial`, providerOut);
        rmSync(work, { recursive: true, force: true });
        log(`[e2e:tools] ${"pulumi-resource-kubernetes".padEnd(28)} built in ${((Date.now() - start) / 1000).toFixed(0)} s`);
    }

    const istioPin = required(path.join(chartsModule, "go.mod"), "istio.io/istio");
    const charts = path.join(dir, "istio-charts");
    // Each chart the lab installs (ambient adds cni and ztunnel), copied once into the cache.
    const missing = ISTIO_CHARTS.filter(([name]) => !present(path.join(charts, name)));
    if (missing.length > 0) {
        const istioDir = moduleDir("istio.io/istio", istioPin, chartsModule);
        mkdirSync(charts, { recursive: true });
        for (const [name, from] of missing) {
            const partial = path.join(charts, `${name}.partial`);
            rmSync(partial, { recursive: true, force: true });
            cpSync(path.join(istioDir, "manifests", "charts", from), partial, { recursive: true });
            makeWritable(partial);
            renameSync(partial, path.join(charts, name));
        }
        log(`[e2e:tools] ${"istio charts".padEnd(28)} copied ${missing.map(([n]) => n).join(", ")} (istio.io/istio ${istioPin})`);
    } else {
        log(`[e2e:tools] ${"istio charts".padEnd(28)} cached`);
    }
    return {
        binDir,
        kubernetesPlugin: providerOut,
        charts,
        kubernetesVersion,
        versions: {
            pulumi: pulumiVersion,
            "pulumi-language-nodejs (sdk/v3)": hostVersion,
            "pulumi-resource-kubernetes": `${kubernetesVersion} (${providerPin})`,
            "istio charts": `istio.io/istio ${istioPin}`,
            go: goVersion,
        },
    };
}

/** The real Istio the harness runs: istiod's pilot-discovery, istioctl and the harness's xDS client, all of one release. */
export interface IstioTools {
    /** istiod. */
    readonly pilotDiscovery: string;
    readonly istioctl: string;
    /** e2e/tools/istio/xdsdump: asks istiod for what it sends one proxy. */
    readonly xdsdump: string;
    /** The release they were built as (`pilot-discovery version`). */
    readonly release: string;
    /** The pinned versions, for reports. */
    readonly versions: Readonly<Record<string, string>>;
}

const ISTIO_MODULE = path.join(MODULE, "istio");

/**
 * Builds istiod (pilot-discovery), istioctl and xdsdump from the istio.io/istio module at the pin of
 * e2e/tools/istio, with Istio's release build tags and the version variables its release script sets
 * (without them the version reads `unknown`); about 7 minutes cold on 2 cores.
 */
export function ensureIstio(log: (line: string) => void = (l) => console.log(l)): IstioTools {
    const { dir, goVersion } = keyedDir("e2e-istio", [ISTIO_MODULE]);
    const binDir = path.join(dir, "bin");
    mkdirSync(binDir, { recursive: true });
    const goMod = path.join(ISTIO_MODULE, "go.mod");
    const pin = required(goMod, "istio.io/istio");
    const release = noted(goMod, "release");
    const v = "istio.io/istio/pkg/version";
    const flags = [
        "-tags",
        "vtprotobuf,disable_pgv",
        "-ldflags",
        [
            "-s -w",
            `-X ${v}.buildVersion=${release}`,
            `-X ${v}.buildGitRevision=${noted(goMod, "revision")}`,
            `-X ${v}.buildStatus=Clean`,
            `-X ${v}.buildTag=${release}`,
            `-X ${v}.buildHub=docker.io/istio`,
            `-X ${v}.buildOS=linux`,
            `-X ${v}.buildArch=${process.arch === "arm64" ? "arm64" : "amd64"}`,
        ].join(" "),
    ];
    const out = (name: string) => path.join(binDir, name);
    buildOnce(log, "pilot-discovery", out("pilot-discovery"), ISTIO_MODULE, "istio.io/istio/pilot/cmd/pilot-discovery", flags);
    buildOnce(log, "istioctl", out("istioctl"), ISTIO_MODULE, "istio.io/istio/istioctl/cmd/istioctl", flags);
    buildOnce(log, "xdsdump", out("xdsdump"), ISTIO_MODULE, "./xdsdump", flags);
    return {
        pilotDiscovery: out("pilot-discovery"),
        istioctl: out("istioctl"),
        xdsdump: out("xdsdump"),
        release,
        versions: { istiod: `${release} (istio.io/istio ${pin})`, go: goVersion },
    };
}

/** Adds the owner's write bit throughout a tree (the module cache is read-only). */
function makeWritable(dir: string): void {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        chmodSync(full, entry.isDirectory() ? 0o755 : 0o644);
        if (entry.isDirectory()) {
            makeWritable(full);
        }
    }
}

/** Removes the cache for every pin (for a cold measurement). */
export function clearCache(): void {
    rmSync(cacheRoot(), { recursive: true, force: true });
}

/** The three sets of tools, built at once when some are missing (see ensureAll). */
const PARTS = { engine: ensureEngine, istio: ensureIstio, tools: ensureTools } as const;
type Part = keyof typeof PARTS;

/** Runs one part in a child process (`toolchain.js --part NAME`), its lines passed on as they come; rejects if it fails. */
function buildInChild(part: Part, log: (line: string) => void): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [__filename, "--part", part], { stdio: ["ignore", "pipe", "pipe"] });
        let pending = "";
        let errors = "";
        const pass = (d: Buffer) => {
            const lines = (pending + d.toString()).split("\n");
            pending = lines.pop() ?? "";
            lines.forEach((l) => log(l));
        };
        child.stdout.on("data", pass);
        child.stderr.on("data", (d: Buffer) => (errors += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => {
            if (pending) {
                log(pending);
            }
            if (code === 0) {
                resolve();
            } else {
                reject(new Error(`building the ${part} tools: ${errors.trim().replace(/^\[e2e:tools\] /, "") || `exit ${code}`}`));
            }
        });
    });
}

/**
 * Builds every missing tool, the engine's, Istio's and the control plane's in three processes at once (one
 * Go build alone leaves a core idle while it downloads modules, links or compiles a package nothing else
 * waits on; at once they keep both busy), then returns where they are. A warm cache spawns nothing.
 */
export async function ensureAll(
    log: (line: string) => void = (l) => console.log(l),
): Promise<{ engine: EngineTools; istio: IstioTools; tools: Tools }> {
    const missing = (Object.keys(PARTS) as Part[]).filter((part) => !builtAlready(part));
    const quiet = () => {};
    if (missing.length > 0) {
        const start = Date.now();
        const results = await Promise.allSettled(missing.map((part) => buildInChild(part, log)));
        const failed = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
        if (failed.length > 0) {
            throw new Error(failed.join("; "));
        }
        log(`[e2e:tools] built ${missing.join(", ")} at once in ${((Date.now() - start) / 1000).toFixed(1)} s`);
    }
    const engine = ensureEngine(missing.length > 0 ? quiet : log);
    const istio = ensureIstio(missing.length > 0 ? quiet : log);
    const tools = ensureTools(missing.length > 0 ? quiet : log);
    return { engine, istio, tools };
}

/** Whether a part's cache holds all it builds (nothing is built to find out). */
function builtAlready(part: Part): boolean {
    planning = [];
    try {
        PARTS[part](() => {});
        return planning.length === 0;
    } finally {
        planning = undefined;
    }
}

/** `npm run e2e:tools`. */
export async function main(argv: readonly string[] = []): Promise<void> {
    const start = Date.now();
    const part = argv.includes("--part") ? (argv[argv.indexOf("--part") + 1] as Part) : undefined;
    if (part !== undefined) {
        // A child of ensureAll: builds one part.
        try {
            PARTS[part]();
        } catch (e) {
            console.error(`[e2e:tools] ${(e as Error).message}`);
            process.exitCode = 2;
        }
        return;
    }
    if (argv.includes("--cold")) {
        clearCache();
    }
    try {
        const { engine, istio, tools } = await ensureAll();
        console.log(
            `[e2e:tools] engine ready: ${Object.entries(engine.versions)
                .map(([k, v]) => `${k} ${v}`)
                .join(", ")} (cache ${path.dirname(engine.binDir)})`,
        );
        console.log(`[e2e:tools] istio ready: ${istio.versions.istiod} (cache ${path.dirname(path.dirname(istio.istioctl))})`);
        console.log(
            `[e2e:tools] ready in ${((Date.now() - start) / 1000).toFixed(1)} s: ${Object.entries(tools.versions)
                .map(([k, v]) => `${k} ${v}`)
                .join(", ")} (cache ${path.dirname(path.dirname(tools.bin("x")))})`,
        );
    } catch (e) {
        console.error(`[e2e:tools] ${(e as Error).message}`);
        process.exitCode = 2;
    }
}

if (require.main === module) {
    void main(process.argv.slice(2));
}
