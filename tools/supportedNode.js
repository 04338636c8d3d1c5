#!/usr/bin/env node
// The project runs on Node.js 22 or later (what @pulumi/pulumi needs since 3.249.0). On an older Node (a
// machine whose own Node is 20, end of life since 2026-04-30), the README's commands still work: this runs
// them on the Node.js release named in .nvmrc, whose binary the npm registry's node-linux-<arch> package
// carries inside it (nothing is downloaded at install, no install script runs). It is installed once into
// ~/.cache/istio-lab/node/<arch>-<version>, the directory .ci/node-lines uses.
//
//   node tools/supportedNode.js CMD [ARGS...]   runs CMD with a supported `node` first on PATH
//   require("./supportedNode").reexecIfUnsupported()   re-runs this process on a supported Node if needed
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

/** The oldest Node.js line the project supports (ISTIO_LAB_NODE_MINIMUM raises it, for the tests of this file). */
const MINIMUM_MAJOR = Number(process.env.ISTIO_LAB_NODE_MINIMUM || 22);
const root = path.resolve(__dirname, "..");

function pinnedVersion() {
    const pin = fs.readFileSync(path.join(root, ".nvmrc"), "utf8").trim().replace(/^v/, "");
    if (!/^\d+\.\d+\.\d+$/.test(pin)) {
        throw new Error(`.nvmrc: "${pin}" is not a Node.js release such as 24.22.3`);
    }
    return pin;
}

function majorOf(version) {
    return Number(version.replace(/^v/, "").split(".")[0]);
}

function fail(message) {
    process.stderr.write(`istio-lab: ${message}\n`);
    process.exit(2);
}

/** The bin directory of the pinned Node.js release, installed from the npm registry when absent. */
function pinnedNodeBin() {
    const version = pinnedVersion();
    const arch = { x64: "x64", arm64: "arm64" }[process.arch];
    if (process.platform !== "linux" || !arch) {
        fail(
            `Node.js ${process.version} is older than ${MINIMUM_MAJOR}, which @pulumi/pulumi needs; ` +
                `install Node.js ${MINIMUM_MAJOR} or later (${version} is the release CI runs the e2e on)`,
        );
    }
    const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    const dir = path.join(cache, "istio-lab", "node", `${arch}-${version}`);
    const bin = path.join(dir, "node_modules", `node-linux-${arch}`, "bin");
    if (!fs.existsSync(path.join(bin, "node"))) {
        process.stderr.write(`istio-lab: installing Node.js ${version} from the npm registry (node-linux-${arch}) into ${dir}\n`);
        const npm = spawnSync(
            "npm",
            ["install", "--prefix", dir, "--no-save", "--no-audit", "--no-fund", "--ignore-scripts", `node-linux-${arch}@${version}`],
            { stdio: ["ignore", "ignore", "inherit"] },
        );
        if (npm.status !== 0 || !fs.existsSync(path.join(bin, "node"))) {
            fail(`could not install node-linux-${arch}@${version} (npm exited ${npm.status}); install Node.js ${MINIMUM_MAJOR} or later`);
        }
    }
    return bin;
}

/** The environment of a child that must run on a supported Node: the pinned one first on PATH. */
function supportedEnv() {
    if (majorOf(process.version) >= MINIMUM_MAJOR) {
        return { env: process.env, note: undefined };
    }
    if (process.env.ISTIO_LAB_NODE_PINNED) {
        fail(
            `${process.execPath} (${process.version}), the release .nvmrc names, is older than ${MINIMUM_MAJOR}; name a supported one there`,
        );
    }
    const bin = pinnedNodeBin();
    const note = `istio-lab: Node.js ${process.version} is older than ${MINIMUM_MAJOR} (what @pulumi/pulumi needs); running on ${bin}/node\n`;
    const PATH = `${bin}${path.delimiter}${process.env.PATH || ""}`;
    return { env: { ...process.env, PATH, ISTIO_LAB_NODE_PINNED: pinnedVersion() }, note };
}

function run(command, args, env) {
    const child = spawnSync(command, args, { stdio: "inherit", env });
    if (child.error) {
        fail(`${command}: ${child.error.message}`);
    }
    process.exit(child.status === null ? 1 : child.status);
}

/** On an unsupported Node, runs this same script again on the pinned release and exits with its status. */
function reexecIfUnsupported() {
    const { env, note } = supportedEnv();
    if (note === undefined) {
        return;
    }
    process.stderr.write(note);
    run(path.join(env.PATH.split(path.delimiter)[0], "node"), [...process.execArgv, ...process.argv.slice(1)], env);
}

module.exports = { reexecIfUnsupported };

if (require.main === module) {
    const [command, ...args] = process.argv.slice(2);
    if (!command) {
        fail("usage: node tools/supportedNode.js CMD [ARGS...]");
    }
    const { env, note } = supportedEnv();
    if (note !== undefined) {
        process.stderr.write(note);
    }
    run(command, args, env);
}
