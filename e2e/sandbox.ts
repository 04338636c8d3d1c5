// `npm run sandbox -- up [--stack S] | status | run -- CMD... | shell | down`: the e2e harness kept running
// for a newcomer to try the lab on. `up` builds the harness's tools when the cache lacks them, starts a
// daemon in a network namespace of its own with only loopback (the control plane on 127.0.0.1, kwok's fake
// nodes, the real istiod following the lab's istiod chart, the operators played), and stands the stack up
// with the real `pulumi up`. `run` and `shell` enter that namespace with pulumi, kubectl and the stack's
// backend set; `down` destroys the stack, stops the daemon and checks that no process is left in the
// namespace. Its files live in one directory outside the work tree (ISTIO_LAB_SANDBOX, default
// ~/.cache/istio-lab/sandbox).
import { spawn, spawnSync } from "child_process";
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from "fs";
import { homedir } from "os";
import * as path from "path";
import { parseArgs } from "util";
import { PROJECT_ROOT } from "../tools/stackConfig";
import { serviceRangeUnreachable, startCluster } from "./cluster";
import { minimalCrds } from "./crds";
import { ISTIOD, IstiodState, superviseIstiod } from "./istiod";
import { playRound } from "./operators";
import { createWorkspace } from "./pulumi";
import { harnessConfig } from "./harnessConfig";
import { ensureAll, ensureEngine, ensureIstio, ensureTools } from "./toolchain";

export const SANDBOX_USAGE = `usage: npm run sandbox -- <command>

commands:
  up [--stack NAME]   start the sandbox (building the harness's tools first if needed) and stand the stack up
                      with pulumi up (default: dev; again later: pulumi up of the sandbox's copy of the stack)
  status              whether it runs, its control plane, istiod and stack, and how to reach them
  run [--] CMD...     run CMD inside the sandbox (pulumi, kubectl and lab reach it there)
  shell               a shell inside the sandbox
  down                destroy the stack, stop everything, and check that no process is left

The sandbox's files are in $ISTIO_LAB_SANDBOX (default ~/.cache/istio-lab/sandbox).`;

/** What the daemon writes once its control plane and istiod's supervisor run. */
interface SandboxState {
    readonly pid: number;
    /** The daemon's network namespace (`net:[inode]`): every process of the sandbox is in it. */
    readonly netns: string;
    /** Whether the namespace is inside a user namespace (not root): nsenter then enters both. */
    readonly userns: boolean;
    readonly started: string;
    readonly clusterDir: string;
    readonly kubeconfig: string;
    readonly kubectl: string;
    readonly workspace: string;
    /** The stack stood up, once `up` has run pulumi up. */
    readonly stack?: string;
}

/** A bad command line: the message names the argument, the value and what is allowed. */
class SandboxUsageError extends Error {}

/** The parsed command line. */
export type SandboxCommand =
    | { readonly command: "up"; readonly stack: string }
    | { readonly command: "status" | "shell" | "down" }
    | { readonly command: "run"; readonly argv: readonly string[] };

const COMMANDS = ["up", "status", "run", "shell", "down"] as const;

/** Parses `npm run sandbox -- ...`; throws {@link SandboxUsageError} naming what is wrong. */
export function parseSandboxArgs(argv: readonly string[]): SandboxCommand {
    const [command, ...rest] = argv;
    if (command === "run") {
        const cmd = rest[0] === "--" ? rest.slice(1) : rest;
        if (cmd.length === 0) {
            throw new SandboxUsageError("run needs a command to run inside the sandbox, e.g. run -- kubectl get pods -A");
        }
        return { command: "run", argv: cmd };
    }
    if (!(COMMANDS as readonly string[]).includes(command ?? "")) {
        throw new SandboxUsageError(
            `${command === undefined ? "no command given" : `command ${JSON.stringify(command)} is not allowed`}; expected one of ${COMMANDS.join(", ")}`,
        );
    }
    const { values, positionals } = parseArgs({
        args: [...rest],
        options: { stack: { type: "string" } },
        strict: true,
        allowPositionals: true,
    });
    if (positionals.length > 0) {
        throw new SandboxUsageError(`${command}: unexpected argument ${JSON.stringify(positionals[0])}`);
    }
    if (command !== "up") {
        if (values.stack !== undefined) {
            throw new SandboxUsageError(`${command}: --stack is allowed only with up (the sandbox runs one stack)`);
        }
        return { command: command as "status" | "shell" | "down" };
    }
    const stack = values.stack ?? "dev";
    if (!shippedStacks().includes(stack)) {
        throw new SandboxUsageError(
            `--stack ${JSON.stringify(stack)}: no Pulumi.${stack}.yaml here; expected one of ${shippedStacks().join(", ")}`,
        );
    }
    return { command: "up", stack };
}

/** The stacks this project ships (Pulumi.<stack>.yaml beside Pulumi.yaml). */
function shippedStacks(): string[] {
    return readdirSync(PROJECT_ROOT)
        .flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? [])
        .sort();
}

/** The sandbox's directory. */
export function sandboxDir(): string {
    return process.env.ISTIO_LAB_SANDBOX ?? path.join(homedir(), ".cache", "istio-lab", "sandbox");
}

const stateFile = (dir: string) => path.join(dir, "state.json");

function readState(dir: string): SandboxState | undefined {
    try {
        return JSON.parse(readFileSync(stateFile(dir), "utf8")) as SandboxState;
    } catch {
        return undefined;
    }
}

function writeState(dir: string, state: SandboxState): void {
    writeFileSync(`${stateFile(dir)}.new`, JSON.stringify(state, null, 2));
    renameSync(`${stateFile(dir)}.new`, stateFile(dir)); // a reader never sees half a file
}

const alive = (pid: number) => {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
};

/** A process's network namespace (`net:[inode]`), or undefined when it is gone or not ours to read. */
function netnsOf(pid: number | string): string | undefined {
    try {
        return readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
        return undefined;
    }
}

/** The processes in network namespace `netns` (`net:[inode]`), as `pid command`. */
export function processesIn(netns: string): string[] {
    return readdirSync("/proc")
        .filter((e) => /^\d+$/.test(e))
        .flatMap((pid) => {
            if (netnsOf(pid) !== netns) {
                return [];
            }
            try {
                return [`${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim()}`];
            } catch {
                return []; // gone meanwhile
            }
        });
}

/** The environment inside the sandbox: the workspace's pulumi backend, the harness's CLI, kubectl and xDS client. */
function insideEnv(state: SandboxState): Record<string, string> {
    const ws = JSON.parse(readFileSync(path.join(state.workspace, "env.json"), "utf8")) as Record<string, string>;
    const istio = ensureIstio(() => undefined);
    const engine = ensureEngine(() => undefined);
    return {
        ...process.env,
        ...ws,
        PATH: [engine.binDir, path.dirname(state.kubectl), ws.PATH].join(":"),
        ISTIO_LAB_KUBECTL: state.kubectl,
        ISTIO_LAB_XDSDUMP: istio.xdsdump,
        ISTIO_LAB_IN_SANDBOX: "1",
        PS1: "(istio-lab sandbox) \\w\\$ ",
    };
}

/**
 * Runs `argv` inside the sandbox's namespaces, in its project directory, with the terminal (`quiet`: with
 * nothing); returns its exit status.
 */
function enter(state: SandboxState, argv: readonly string[], env: Record<string, string> = insideEnv(state), quiet = false): number {
    const target = ["--target", String(state.pid), ...(state.userns ? ["--user", "--preserve-credentials"] : []), "--net"];
    const r = spawnSync("nsenter", [...target, "--", ...argv], {
        stdio: quiet ? "ignore" : "inherit",
        cwd: path.join(state.workspace, "project"),
        env,
    });
    if (r.error) {
        throw new Error(`cannot enter the sandbox (nsenter ${target.join(" ")}): ${r.error.message}`);
    }
    return r.status ?? 1;
}

/** The running sandbox, or undefined; a state left by a sandbox that no longer runs (a reboot) is cleared. */
function running(dir: string): SandboxState | undefined {
    const state = readState(dir);
    if (state && alive(state.pid) && netnsOf(state.pid) === state.netns) {
        return state;
    }
    if (state) {
        rmSync(state.clusterDir, { recursive: true, force: true });
        rmSync(dir, { recursive: true, force: true });
    }
    return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the daemon in a network namespace of its own and waits until it has written its state. */
async function startDaemon(dir: string): Promise<SandboxState> {
    mkdirSync(dir, { recursive: true });
    const log = openSync(path.join(dir, "daemon.log"), "a");
    const userns = process.getuid?.() !== 0;
    const namespaces = userns ? ["--user", "--map-root-user", "--net"] : ["--net"];
    const child = spawn(
        "unshare",
        [...namespaces, "--", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', process.execPath, __filename, "daemon", dir],
        {
            detached: true,
            stdio: ["ignore", log, log],
            env: { ...process.env, ISTIO_LAB_SANDBOX_USERNS: userns ? "1" : "0" },
        },
    );
    child.unref();
    const deadline = Date.now() + 180_000;
    for (;;) {
        const state = readState(dir);
        if (state) {
            return state;
        }
        if (child.exitCode !== null || Date.now() > deadline) {
            const tail = readFileSync(path.join(dir, "daemon.log"), "utf8").trim().split("\n").slice(-15).join("\n");
            throw new Error(`the sandbox did not start (${child.exitCode !== null ? `exit ${child.exitCode}` : "180 s passed"}):\n${tail}`);
        }
        await sleep(300);
    }
}

/** The daemon, inside its namespace: the control plane, istiod's supervisor and the played operators until SIGTERM. */
async function daemon(dir: string): Promise<void> {
    const say = (l: string) => console.log(`${new Date().toISOString()} ${l}`);
    const dial = await serviceRangeUnreachable();
    if (!/^(ENETUNREACH|EHOSTUNREACH)/.test(dial)) {
        throw new Error(`a dial to 10.96.0.1:443 ${dial}; the sandbox needs a network namespace with only loopback`);
    }
    const tools = ensureTools(() => undefined);
    const engine = ensureEngine(() => undefined);
    const istio = ensureIstio(() => undefined);
    const cluster = await startCluster(tools);
    cluster.kubectl(["apply", "--server-side", "-f", "-"], minimalCrds());
    const istiod = superviseIstiod(cluster, istio);
    const ws = createWorkspace(engine, cluster.kubeconfig, say, path.join(dir, "pulumi"));
    writeFileSync(path.join(ws.dir, "env.json"), JSON.stringify(ws.env));
    let stopping = false;
    const stop = () => {
        stopping = true;
        say("stopping: istiod, then the control plane");
        istiod.stop();
        cluster.stop(false);
        process.exit(0);
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    writeState(dir, {
        pid: process.pid,
        netns: readlinkSync("/proc/self/ns/net"),
        userns: process.env.ISTIO_LAB_SANDBOX_USERNS === "1",
        started: new Date().toISOString(),
        clusterDir: cluster.dir,
        kubeconfig: cluster.kubeconfig,
        kubectl: cluster.kubectlBin,
        workspace: ws.dir,
    });
    say(`control plane up (${cluster.dir}); istiod follows the lab's chart; dial to 10.96.0.1:443: ${dial}`);
    const played = new Set<string>();
    while (!stopping) {
        playRound(cluster, played, istiod);
        await sleep(1000);
    }
}

/** Inside the namespace: create the stack from the work tree's file (first time) and run pulumi up with the terminal. */
function apply(dir: string, stack: string): number {
    const state = readState(dir)!;
    const engine = ensureEngine(() => undefined);
    const ws = createWorkspace(engine, state.kubeconfig, (l) => console.log(l), state.workspace);
    if (!existsSync(ws.stackFile(stack))) {
        ws.stack(stack, harnessConfig(engine, stack));
        console.log(
            `sandbox: stack ${stack} from Pulumi.${stack}.yaml with the harness's settings (local charts, istiod's webhooks by URL, node ports)`,
        );
    }
    const r = spawnSync(path.join(engine.binDir, "pulumi"), ["up", "--yes", "--skip-preview", "--stack", stack], {
        stdio: "inherit",
        cwd: path.join(ws.dir, "project"),
        env: ws.env,
    });
    return r.status ?? 1;
}

/** How to reach the sandbox, for `up` and `status`. */
function howTo(state: SandboxState): string {
    const stack = state.stack ?? "dev";
    return [
        "Inside the sandbox pulumi, kubectl and lab reach it (KUBECONFIG, the stack's backend and passphrase are set):",
        "  npm run sandbox -- run -- kubectl get pods -A",
        `  npm run sandbox -- run -- pulumi config set istio-lab:canaryWeight 50 --stack ${stack}`,
        `  npm run sandbox -- run -- pulumi up --yes --stack ${stack}`,
        `  npm run sandbox -- run -- npm run --silent lab -- steps --stack ${stack}`,
        `  npm run sandbox -- run -- npm run --silent lab -- check --stack ${stack} --step canary-80-20 --istiod ${ISTIOD.xds}`,
        "  npm run sandbox -- shell          (the same, as a shell)",
        `The sandbox's project is ${path.join(state.workspace, "project")}: the program is this work tree's, the stack files`,
        "its own copies (pulumi config set there leaves the work tree's files alone).",
        "Pods do not really run here: kwok reports each pod Running and Ready, and no image is pulled. `lab check`'s",
        "objects level (the API server's objects) and mesh level (what the real istiod sends each proxy, --istiod) are",
        "real; --probe needs a real cluster's pods.",
    ].join("\n");
}

function istiodState(state: SandboxState): IstiodState | undefined {
    try {
        return JSON.parse(readFileSync(path.join(state.clusterDir, "istiod", "state.json"), "utf8")) as IstiodState;
    } catch {
        return undefined;
    }
}

async function up(dir: string, stack: string): Promise<number> {
    let state = running(dir);
    if (state?.stack !== undefined && state.stack !== stack) {
        console.error(
            `sandbox: it runs stack ${state.stack}; npm run sandbox -- down first, or up --stack ${state.stack} (the sandbox runs one stack)`,
        );
        return 2;
    }
    await ensureAll();
    if (!state) {
        const t = Date.now();
        state = await startDaemon(dir);
        console.log(
            `sandbox: control plane on 127.0.0.1 in a network namespace with only loopback, up in ${((Date.now() - t) / 1000).toFixed(1)} s`,
        );
    }
    const status = enter(state, [process.execPath, __filename, "apply", dir, stack], { ...process.env } as Record<string, string>);
    // The stack exists once apply made it (down destroys it even after a failed up).
    if (existsSync(path.join(state.workspace, "project", `Pulumi.${stack}.yaml`))) {
        state = { ...state, stack };
        writeState(dir, state);
    }
    if (status !== 0) {
        console.error(
            `sandbox: pulumi up --stack ${stack} failed (exit ${status}); the sandbox keeps running (npm run sandbox -- down stops it)`,
        );
        return 1;
    }
    console.log(`\nsandbox: stack ${stack} is up.\n${howTo(state)}`);
    return 0;
}

function status(dir: string): number {
    const state = running(dir);
    if (!state) {
        console.log(`sandbox: not running (npm run sandbox -- up starts one; its files would be in ${dir})`);
        return 1;
    }
    const ready = enter(
        state,
        [state.kubectl, "--kubeconfig", state.kubeconfig, "get", "--raw", "/readyz"],
        { ...process.env } as Record<string, string>,
        true,
    );
    const istiod = istiodState(state);
    console.log(
        [
            `sandbox: running since ${state.started} (daemon ${state.pid}, network namespace ${state.netns}, ${processesIn(state.netns).length} processes)`,
            `control plane: ${ready === 0 ? "ready" : "NOT ready"} (${state.clusterDir})`,
            `istiod: ${istiod?.ready ? `ready in ${istiod.namespace ?? "?"} (xDS ${ISTIOD.xds}, started ${istiod.starts} times)` : "not running (no istiod chart installed yet)"}`,
            `stack: ${state.stack ?? "none yet (npm run sandbox -- up)"}`,
            "",
            howTo(state),
        ].join("\n"),
    );
    return ready === 0 ? 0 : 1;
}

async function down(dir: string): Promise<number> {
    const state = running(dir);
    if (!state) {
        console.log("sandbox: not running; nothing to stop");
        return 0;
    }
    let code = 0;
    if (state.stack) {
        const env = insideEnv(state);
        const destroyed = enter(state, ["pulumi", "destroy", "--yes", "--skip-preview", "--stack", state.stack], env);
        if (destroyed !== 0) {
            console.error(`sandbox: pulumi destroy --stack ${state.stack} failed (exit ${destroyed}); stopping all the same`);
            code = 1;
        }
    }
    process.kill(state.pid, "SIGTERM");
    const deadline = Date.now() + 30_000;
    while (processesIn(state.netns).length > 0 && Date.now() < deadline) {
        await sleep(200);
    }
    const left = processesIn(state.netns);
    for (const p of left) {
        process.kill(Number(p.split(" ")[0]), "SIGKILL");
    }
    rmSync(state.clusterDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) {
        console.error(`sandbox: ${left.length} processes were left in the namespace after 30 s and were killed: ${left.join("; ")}`);
        return 1;
    }
    console.log(`sandbox: stopped; no process is left in its network namespace, and ${dir} is removed`);
    return code;
}

/** What `npm run sandbox -- ...` does; its exit status. */
async function sandbox(argv: readonly string[]): Promise<number> {
    const dir = sandboxDir();
    if (argv[0] === "daemon") {
        await daemon(argv[1]);
        return 0;
    }
    if (argv[0] === "apply") {
        return apply(argv[1], argv[2]);
    }
    if (argv.length === 1 && (argv[0] === "-h" || argv[0] === "--help")) {
        console.log(SANDBOX_USAGE);
        return 0;
    }
    let cmd: SandboxCommand;
    try {
        cmd = parseSandboxArgs(argv);
    } catch (e) {
        console.error(`sandbox: ${(e as Error).message}\n\n${SANDBOX_USAGE}`);
        return 2;
    }
    switch (cmd.command) {
        case "up":
            return up(dir, cmd.stack);
        case "status":
            return status(dir);
        case "down":
            return down(dir);
        case "run":
        case "shell": {
            const state = running(dir);
            if (!state) {
                console.error("sandbox: not running (npm run sandbox -- up starts one)");
                return 2;
            }
            return enter(state, cmd.command === "run" ? cmd.argv : [process.env.SHELL ?? "/bin/sh"]);
        }
    }
}

/** `npm run sandbox -- ...` (tools/launch.js calls it; the daemon and `apply` run this file with node). */
export async function main(argv: readonly string[]): Promise<void> {
    try {
        process.exitCode = await sandbox(argv);
    } catch (e) {
        console.error(`sandbox: ${(e as Error).message}`);
        process.exitCode = 1;
    }
}

if (require.main === module) {
    void main(process.argv.slice(2));
}
