// `npm run e2e:tools`: builds what the e2e harness runs, from the Go modules pinned in e2e/tools
// (Kubernetes, etcd and the Istio API module's CRDs) and e2e/tools/kwok, into a cache outside the work
// tree keyed by those pins. One progress line per piece with its build time; a warm cache returns at once.
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "fs";
import { homedir } from "os";
import * as path from "path";

/** The project's e2e directory (from the compiled bin/e2e or the sources). */
export const E2E_DIR = path.resolve(__dirname, __dirname.includes(`${path.sep}bin${path.sep}`) ? "../../e2e" : ".");
const MODULE = path.join(E2E_DIR, "tools");
const KWOK_MODULE = path.join(MODULE, "kwok");

/** What the harness runs. */
export interface Tools {
    readonly bin: (name: string) => string;
    /** Istio's CRDs, as the Istio API module publishes them. */
    readonly istioCrds: string;
    /** kwok's stages (nodes become Ready, pods Running and Ready), as its module publishes them. */
    readonly kwokStages: string;
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

/** The cache directory: `$ISTIO_LAB_E2E_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/istio-lab`. */
export function cacheRoot(): string {
    return process.env.ISTIO_LAB_E2E_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "istio-lab");
}

function go(args: string[], cwd: string): string {
    const r = spawnSync("go", args, {
        cwd,
        encoding: "utf8",
        env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-buildvcs=false" },
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
        if (existsSync(out)) {
            log(`[e2e:tools] ${p.name.padEnd(24)} cached`);
            continue;
        }
        const start = Date.now();
        const partial = `${out}.partial`;
        go(["build", "-trimpath", "-ldflags", `-s -w ${p.ldflags ?? ""}`.trim(), "-o", partial, p.pkg], p.module);
        renameSync(partial, out);
        log(`[e2e:tools] ${p.name.padEnd(24)} built in ${((Date.now() - start) / 1000).toFixed(0)} s`);
    }

    const istioCrds = path.join(dir, "istio-crds.yaml");
    if (existsSync(istioCrds)) {
        log(`[e2e:tools] ${"istio CRDs".padEnd(24)} cached`);
    } else {
        const start = Date.now();
        const info = JSON.parse(go(["mod", "download", "-json", `istio.io/api@${istioApi}`], MODULE)) as { Dir: string };
        copyFileSync(path.join(info.Dir, "kubernetes", "customresourcedefinitions.gen.yaml"), `${istioCrds}.partial`);
        renameSync(`${istioCrds}.partial`, istioCrds);
        log(`[e2e:tools] ${"istio CRDs".padEnd(24)} written in ${((Date.now() - start) / 1000).toFixed(0)} s (istio.io/api ${istioApi})`);
    }
    // kwok v0.8.0 ships no built-in stages: its module's "fast" node and pod stages, read where Go downloaded them.
    const kwokStages = path.join(dir, "kwok-stages.yaml");
    if (!existsSync(kwokStages)) {
        const info = JSON.parse(go(["mod", "download", "-json", `sigs.k8s.io/kwok@${kwok}`], KWOK_MODULE)) as { Dir: string };
        const stageDir = path.join(info.Dir, "kustomize", "stage");
        const files = [
            path.join(stageDir, "node", "fast", "node-initialize.yaml"),
            ...["pod-ready.yaml", "pod-complete.yaml", "pod-delete.yaml"].map((f) => path.join(stageDir, "pod", "fast", f)),
        ];
        writeFileSync(`${kwokStages}.partial`, files.map((f) => readFileSync(f, "utf8").trim()).join("\n---\n") + "\n");
        renameSync(`${kwokStages}.partial`, kwokStages);
        log(`[e2e:tools] ${"kwok stages".padEnd(24)} written (sigs.k8s.io/kwok ${kwok})`);
    }
    return {
        bin: (name) => path.join(binDir, name),
        istioCrds,
        kwokStages,
        versions: { kubernetes: kube, etcd, kwok, "istio.io/api": istioApi, go: goVersion },
    };
}

/** Removes the cache for every pin (for a cold measurement). */
export function clearCache(): void {
    rmSync(cacheRoot(), { recursive: true, force: true });
}

/** `npm run e2e:tools`. */
export function main(argv: readonly string[] = []): void {
    const start = Date.now();
    if (argv.includes("--cold")) {
        clearCache();
    }
    try {
        const tools = ensureTools();
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
    main(process.argv.slice(2));
}
