// Every `npm run --silent lab -- ...` command in README.md and docs/ runs as written, as istio.io tests its
// task pages: each shell block is played in order (`pulumi stack select --create`, `pulumi config set
// [--path]` and `pulumi config rm` build the stack's config), and each lab command runs offline on that
// config. What needs a cluster or the Pulumi CLI is held to what runs here: `check` must get past its
// arguments to the cluster (none answers), `promote` and `attendees --kubeconfig` may only use options their
// usage lists.
import { expect } from "chai";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { USAGE, lab } from "../tools/lab";
import { PROMOTE_USAGE } from "../tools/promote";
import { parseSandboxArgs } from "../e2e/sandbox";
import { RESET_USAGE } from "../tools/reset";
import { PROJECT_ROOT, readStackConfig, stackFile } from "../tools/stackConfig";
import { tempDir, withEnv } from "./helpers";

/** Splits a shell line into words (single and double quotes, no expansion), up to a comment or a redirection. */
function words(line: string): string[] {
    const out: string[] = [];
    const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(#.*$)|(>\S*)|(\S+)/g;
    let m: RegExpExecArray | null;
    let word = "";
    let last = 0;
    while ((m = re.exec(line)) !== null) {
        if (m[3] !== undefined || m[4] !== undefined) {
            break;
        }
        const joined = m.index === last && word !== "";
        const piece = m[1] ?? m[2]?.replace(/\\(.)/g, "$1") ?? m[5];
        if (joined) {
            word += piece;
        } else {
            if (word !== "") {
                out.push(word);
            }
            word = piece;
        }
        last = re.lastIndex;
    }
    if (word !== "") {
        out.push(word);
    }
    return out;
}

/** The shell blocks of a page, each as its lines (continuations joined, `$ ` prompts removed). */
function shellBlocks(text: string): string[][] {
    const blocks: string[][] = [];
    let fence: { shell: boolean; lines: string[] } | undefined;
    for (const line of text.split("\n")) {
        const m = /^\s*```\s*(\S*)/.exec(line);
        if (m && fence === undefined) {
            fence = { shell: ["", "sh", "bash", "console", "shell"].includes(m[1]), lines: [] };
        } else if (m && fence !== undefined) {
            if (fence.shell) {
                blocks.push(
                    fence.lines
                        .join("\n")
                        .replace(/\\\n\s*/g, " ")
                        .split("\n")
                        .map((l) => l.replace(/^\$ /, "").trim())
                        .filter((l) => l !== "" && !l.startsWith("#")),
                );
            }
            fence = undefined;
        } else if (fence) {
            fence.lines.push(line);
        }
    }
    return blocks;
}

const PAGES = ["README.md", ...readdirSync(path.join(PROJECT_ROOT, "docs")).map((f) => `docs/${f}`)];

/** Sets a dotted path in a config map whose structured values are JSON, as `pulumi config set --path` does. */
function setPath(config: Record<string, string>, dotted: string, value: string): void {
    const [key, ...rest] = dotted.split(".");
    if (rest.length === 0) {
        config[key] = value;
        return;
    }
    const root = (config[key] ? JSON.parse(config[key]) : {}) as Record<string, unknown>;
    let at = root;
    for (const k of rest.slice(0, -1)) {
        at = (at[k] ??= {}) as Record<string, unknown>;
    }
    at[rest.at(-1)!] = /^-?\d+$/.test(value) ? Number(value) : value === "true" || value === "false" ? value === "true" : value;
    config[key] = JSON.stringify(root);
}

interface Played {
    readonly page: string;
    readonly args: string[];
    readonly config: string | undefined;
}

/** Every `npm run sandbox -- ...` line of the pages, as its arguments (labCommands finds them). */
const sandboxLines: Array<{ page: string; args: string[] }> = [];

/**
 * Every lab command of every page, with the config file of the stack its block built (when that is not a
 * shipped stack); a lab command that `npm run sandbox -- run` runs is among them.
 */
function labCommands(): Played[] {
    const played: Played[] = [];
    const dir = tempDir("lab-docs-");
    for (const page of PAGES) {
        for (const block of shellBlocks(readFileSync(path.join(PROJECT_ROOT, page), "utf8"))) {
            let stack: string | undefined;
            let config: Record<string, string> = {};
            for (const line of block.flatMap((l) => l.split(" && "))) {
                const w = words(line.replace(/^exec /, ""));
                if (w[0] === "pulumi" && w[1] === "stack" && w[2] === "select") {
                    stack = w.at(-1)!;
                    config = existsSync(stackFile(stack)) ? readStackConfig(stackFile(stack)) : {};
                } else if (w[0] === "pulumi" && w[1] === "config" && w[2] === "set") {
                    const rest = w.slice(3).filter((x) => x !== "--path");
                    setPath(config, rest[0].includes(":") ? rest[0] : `istio-lab:${rest[0]}`, rest[1]);
                } else if (w[0] === "pulumi" && w[1] === "config" && w[2] === "rm") {
                    delete config[w[3]];
                }
                if (w[0] === "npm" && w[1] === "run" && w[2] === "sandbox") {
                    sandboxLines.push({ page, args: w.slice(w[3] === "--" ? 4 : 3) });
                }
                const at = w.indexOf("lab");
                if (w[0] === "npm" && w[1] === "run" && at > 1 && w[at + 1] === "--") {
                    // `"$(pulumi stack output labUrl ...)"` is the stack's address: a loopback URL stands for it here.
                    const args = w.slice(at + 2).map((a) => (a.startsWith("$(pulumi stack output labUrl") ? "https://127.0.0.1:8443" : a));
                    const s = args.indexOf("--stack");
                    let file: string | undefined;
                    if (s >= 0 && !existsSync(stackFile(args[s + 1]))) {
                        file = path.join(dir, `Pulumi.${args[s + 1]}.yaml`);
                        writeFileSync(file, stringify({ config: Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v])) }));
                    }
                    played.push({ page, args, config: file });
                }
            }
        }
    }
    return played;
}

/** The options a usage text lists. */
const optionsOf = (usage: string) => new Set(usage.match(/--[a-z][a-z0-9-]*/g));

describe("the docs' commands", () => {
    const commands = labCommands();

    it("are found on the pages (README.md and docs/)", () => {
        expect(commands.length).to.be.greaterThan(15);
        expect([...new Set(commands.map((c) => c.args[0]))]).to.include.members([
            "render",
            "validate",
            "matrix",
            "diff",
            "steps",
            "check",
            "attendees",
            "promote",
            "status",
            "reset",
        ]);
    });

    it("of the sandbox are what npm run sandbox takes", () => {
        expect([...new Set(sandboxLines.map((l) => l.args[0]))].sort()).to.deep.equal(["down", "run", "shell", "status", "up"]);
        for (const l of sandboxLines) {
            expect(() => parseSandboxArgs(l.args), `${l.page}: npm run sandbox -- ${l.args.join(" ")}`).not.to.throw();
        }
    });

    for (const page of [...new Set(commands.map((c) => c.page))]) {
        it(`on ${page} run as written offline, or get as far as a cluster would take them`, async () => {
            await playAll(commands.filter((c) => c.page === page));
        });
    }
});

/** Runs each command offline, as a user would type it (check and status against an unreachable kubectl). */
async function playAll(commands: ReturnType<typeof labCommands>): Promise<void> {
    // The sandbox sets ISTIO_LAB_XDSDUMP for its `lab check --istiod` (docs/sandbox.md); here it too is unreachable.
    await withEnv("ISTIO_LAB_XDSDUMP", "/nonexistent/xdsdump", () => playEach(commands));
}

async function playEach(commands: ReturnType<typeof labCommands>): Promise<void> {
    await withEnv("ISTIO_LAB_KUBECTL", "/nonexistent/kubectl", async () => {
        for (const c of commands) {
            const shown = `${c.page}: lab ${c.args.join(" ")}`;
            const given = c.args.filter((a) => a.startsWith("--")).map((a) => a.split("=")[0]);
            if (c.args[0] === "promote" || c.args[0] === "reset" || (c.args[0] === "attendees" && c.args.includes("--kubeconfig"))) {
                const usage = optionsOf(
                    c.args[0] === "promote" ? PROMOTE_USAGE : c.args[0] === "reset" ? RESET_USAGE : `${USAGE} --kubeconfig --server`,
                );
                expect(
                    given.filter((o) => !usage.has(o)),
                    shown,
                ).to.deep.equal([]);
                continue;
            }
            const args = c.config
                ? c.args.map((a, i) => (c.args[i - 1] === "--stack" ? c.config! : a === "--stack" ? "--config" : a))
                : c.args;
            const r = await lab(args);
            if (c.args[0] === "check") {
                expect(r.stderr, shown).to.match(/^cannot check step \S+: cannot run \/nonexistent\/kubectl: ENOENT\n$/);
            } else if (c.args[0] === "status") {
                expect(r.stderr, shown).to.match(/^cannot read the class \S+: cannot run \/nonexistent\/kubectl: ENOENT\n$/);
            } else {
                expect(
                    {
                        code: r.code,
                        stderr: r.stderr
                            .split("\n")
                            .filter((l) => !l.startsWith("note:"))
                            .join("\n"),
                    },
                    shown,
                ).to.deep.equal({ code: 0, stderr: "" });
            }
        }
    });
}
