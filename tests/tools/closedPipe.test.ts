// `lab render | head -1`: the reader goes away before lab has written everything; lab ends quietly with exit
// 0, as Unix tools do, instead of Node's unhandled EPIPE and its stack trace (issue 41).
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../../tools/stackConfig";

describe("lab on a closed pipe", () => {
    it("render of a class (over 64 KiB, more than a pipe holds) into head -c 100: exit 0, nothing on stderr", () => {
        const lab = path.join(PROJECT_ROOT, "bin", "tools", "lab.js");
        const r = spawnSync(
            "bash",
            [
                "-c",
                `"${process.execPath}" "${lab}" render --set attendees=30 2>"$ERR" | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"; cat "$ERR"`,
            ],
            { cwd: PROJECT_ROOT, encoding: "utf8", env: { ...process.env, ERR: path.join(PROJECT_ROOT, "bin", "closedPipe.err") } },
        );
        expect(r.stdout).to.equal("0\n");
    }).timeout(60000);
});
