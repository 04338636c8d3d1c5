import { expect } from "chai";
import { spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";

import { PROJECT_ROOT } from "../../tools/stackConfig";

const SCRIPT = path.join(PROJECT_ROOT, "tools", "supportedNode.js");
const PINNED = readFileSync(path.join(PROJECT_ROOT, ".nvmrc"), "utf8").trim();
const ARCH = process.arch === "arm64" ? "arm64" : "x64";

/** An executable shell script at `file`. */
function script(file: string, body: string): void {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
}

describe("tools/supportedNode (the README's commands on a Node.js older than 22)", () => {
    let cache: string;
    let fakeBin: string;
    let pinnedBin: string;
    beforeEach(() => {
        const dir = mkdtempSync(path.join(tmpdir(), "supported-node-"));
        cache = path.join(dir, "cache");
        fakeBin = path.join(dir, "bin");
        pinnedBin = path.join(cache, "istio-lab", "node", `${ARCH}-${PINNED}`, "node_modules", `node-linux-${ARCH}`, "bin");
    });
    afterEach(() => rmSync(path.dirname(cache), { recursive: true, force: true }));

    /** Runs the script on this Node with the minimum raised to `minimum`, a fake npm first on PATH. */
    function run(minimum: number, args: string[]) {
        return spawnSync(process.execPath, [SCRIPT, ...args], {
            encoding: "utf8",
            env: {
                ...process.env,
                ISTIO_LAB_NODE_MINIMUM: String(minimum),
                // Set when this test itself runs on the pinned release (npm test on an older Node).
                ISTIO_LAB_NODE_PINNED: undefined,
                XDG_CACHE_HOME: cache,
                PATH: `${fakeBin}${path.delimiter}${process.env.PATH ?? ""}`,
            },
        });
    }

    it("pins a Node.js release in .nvmrc on a supported line", () => {
        expect(PINNED).to.match(/^\d+\.\d+\.\d+$/);
        expect(Number(PINNED.split(".")[0])).to.be.at.least(22);
    });

    it("on a supported Node runs the command as it is, with PATH untouched", () => {
        const r = run(Number(process.versions.node.split(".")[0]), [process.execPath, "-p", "process.version"]);
        expect(r.stderr).to.equal("");
        expect(r.stdout.trim()).to.equal(process.version);
        expect(r.status).to.equal(0);
        expect(existsSync(cache)).to.equal(false);
    });

    it("on an older Node installs the pinned release from the npm registry once, then runs the command on it", () => {
        // The fake npm records its arguments and lays out the package as node-linux-<arch> does.
        script(
            path.join(fakeBin, "npm"),
            `echo "$@" >> "${cache}/npm.log"\n` +
                `mkdir -p "$3/node_modules/node-linux-${ARCH}/bin"\n` +
                `printf '#!/bin/sh\\necho "pinned node $*"\\n' > "$3/node_modules/node-linux-${ARCH}/bin/node"\n` +
                `chmod +x "$3/node_modules/node-linux-${ARCH}/bin/node"`,
        );
        mkdirSync(cache, { recursive: true });
        const first = run(99, ["node", "--version"]);
        expect(first.status, first.stderr).to.equal(0);
        expect(first.stdout).to.equal("pinned node --version\n");
        expect(first.stderr).to.contain(`installing Node.js ${PINNED} from the npm registry (node-linux-${ARCH})`);
        expect(first.stderr).to.contain(
            `Node.js ${process.version} is older than 99 (what @pulumi/pulumi needs); running on ${pinnedBin}/node`,
        );
        const second = run(99, ["node", "-e", "1"]);
        expect(second.stdout).to.equal("pinned node -e 1\n");
        expect(second.stderr).not.to.contain("installing");
        const dir = path.join(cache, "istio-lab", "node", `${ARCH}-${PINNED}`);
        expect(readFileSync(path.join(cache, "npm.log"), "utf8")).to.equal(
            `install --prefix ${dir} --no-save --no-audit --no-fund --ignore-scripts node-linux-${ARCH}@${PINNED}\n`,
        );
    });

    it("passes on the command's exit status, and names what it could not install", () => {
        script(path.join(pinnedBin, "node"), "exit 7");
        expect(run(99, ["node"]).status).to.equal(7);
        rmSync(pinnedBin, { recursive: true });
        script(path.join(fakeBin, "npm"), "exit 1");
        const failed = run(99, ["node"]);
        expect(failed.status).to.equal(2);
        expect(failed.stderr).to.contain(`could not install node-linux-${ARCH}@${PINNED} (npm exited 1); install Node.js 99 or later`);
    });

    it("refuses, rather than loops, when the pinned release is itself too old", () => {
        script(path.join(pinnedBin, "node"), `exec "${process.execPath}" "$@"`);
        const r = run(99, [process.execPath, SCRIPT, "node"]);
        expect(r.status).to.equal(2);
        expect(r.stderr).to.contain(`the release .nvmrc names, is older than 99; name a supported one there`);
    });

    it("tools/launch.js re-runs itself on the pinned release when the Node is older", () => {
        script(path.join(pinnedBin, "node"), 'echo "pinned node $*"');
        const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "tools", "launch.js"), "lab", "render"], {
            encoding: "utf8",
            env: { ...process.env, ISTIO_LAB_NODE_MINIMUM: "99", ISTIO_LAB_NODE_PINNED: undefined, XDG_CACHE_HOME: cache },
        });
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stdout).to.equal(`pinned node ${path.join(PROJECT_ROOT, "tools", "launch.js")} lab render\n`);
    });
});
