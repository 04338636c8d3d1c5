import { expect } from "chai";
import { existsSync, readFileSync, readdirSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../tools/stackConfig";

const workflowsDir = path.join(PROJECT_ROOT, ".github", "workflows");
type Step = { run?: string; uses?: string; with?: Record<string, unknown> };
type Workflow = { on: unknown; jobs: Record<string, { steps?: Step[]; strategy?: { matrix?: { stack?: unknown; node?: unknown } } }> };

const workflows = readdirSync(workflowsDir)
    .filter((f) => f.endsWith(".yml"))
    .map((f) => ({ file: f, doc: parse(readFileSync(path.join(workflowsDir, f), "utf8")) as Workflow }));
const scripts = Object.keys((JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: object }).scripts);
const stackExists = (name: string) => existsSync(path.join(PROJECT_ROOT, `Pulumi.${name}.yaml`));

describe("GitHub workflows", () => {
    it("parse, with the pull-request and deploy workflows present", () => {
        expect(workflows.map((w) => w.file).sort()).to.deep.equal(["deploy.yml", "pull-request.yml"]);
        for (const w of workflows) {
            expect(Object.keys(w.doc.jobs).length, w.file).to.be.greaterThan(0);
        }
    });

    it("run the e2e harness with Go and the tools cache keyed by the pins, needing no secret", () => {
        const e2e = workflows.find((w) => w.file === "pull-request.yml")!.doc.jobs.e2e;
        const steps = e2e.steps ?? [];
        expect(steps.map((s) => s.uses ?? s.run)).to.deep.equal([
            "actions/checkout@v4",
            "actions/setup-node@v4",
            "actions/setup-go@v5",
            "actions/cache@v4",
            "npm ci",
            "npm run e2e:tools",
            "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 || true",
            "npm run e2e",
        ]);
        expect(steps[3].with?.key).to.equal("e2e-tools-${{ runner.os }}-${{ hashFiles('e2e/tools/**/go.mod', 'e2e/tools/**/go.sum') }}");
        expect(JSON.stringify(e2e)).not.to.contain("secrets.");
    });

    it("set up only Node.js lines the project supports: .nvmrc's release, or 22, 24 and 26 for the tests", () => {
        const setups = workflows.flatMap((w) =>
            Object.entries(w.doc.jobs).flatMap(([job, j]) =>
                (j.steps ?? []).filter((s) => s.uses === "actions/setup-node@v4").map((s) => ({ job: `${w.file} ${job}`, with: s.with })),
            ),
        );
        expect(setups.map((s) => s.job)).to.deep.equal([
            "deploy.yml up",
            "pull-request.yml e2e",
            "pull-request.yml node-lines",
            "pull-request.yml offline",
            "pull-request.yml preview",
        ]);
        for (const s of setups.filter((s) => s.job !== "pull-request.yml node-lines")) {
            expect(s.with, s.job).to.deep.equal({ "node-version-file": ".nvmrc", cache: "npm" });
        }
        const lines = workflows.find((w) => w.file === "pull-request.yml")!.doc.jobs["node-lines"];
        expect(lines.strategy?.matrix).to.deep.equal({ node: [22, 24, 26] });
        expect((lines.steps ?? []).map((s) => s.uses ?? s.run)).to.deep.equal([
            "actions/checkout@v4",
            "actions/setup-node@v4",
            "npm ci",
            "npm test",
        ]);
    });

    it("run only npm scripts that exist", () => {
        const used = new Set<string>();
        for (const w of workflows) {
            for (const job of Object.values(w.doc.jobs)) {
                for (const step of job.steps ?? []) {
                    for (const m of (step.run ?? "").matchAll(/npm (?:run(?: --silent)?|test)\s*(\S*)/g)) {
                        used.add(m[0].startsWith("npm test") ? "test" : m[1]);
                    }
                }
            }
        }
        expect([...used].sort()).to.deep.equal(["e2e", "e2e:tools", "lab", "test"]);
        for (const s of used) {
            expect(scripts, s).to.include(s);
        }
    });

    it("name only stacks that have a Pulumi.<stack>.yaml", () => {
        const stacks = new Set<string>();
        for (const w of workflows) {
            for (const job of Object.values(w.doc.jobs)) {
                const matrix = job.strategy?.matrix?.stack;
                if (Array.isArray(matrix)) {
                    matrix.forEach((s) => stacks.add(String(s)));
                }
            }
        }
        const marked = readFileSync(path.join(PROJECT_ROOT, ".github", "deploy-stacks"), "utf8")
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l && !l.startsWith("#"));
        expect(marked).to.deep.equal(["dev"]);
        marked.forEach((s) => stacks.add(s));
        expect([...stacks].sort()).to.deep.equal(["ambient", "dev", "gateway-api", "kubernetes", "openshift", "openshift3", "peer-auth"]);
        for (const s of stacks) {
            expect(stackExists(s), s).to.equal(true);
        }
    });

    it("preview with pulumi/actions and comment on the pull request, deploy behind an environment", () => {
        const pr = workflows.find((w) => w.file === "pull-request.yml")!.doc;
        const preview = pr.jobs.preview.steps!.find((s) => s.uses?.startsWith("pulumi/actions"))!;
        expect(preview.with).to.deep.include({ command: "preview", "comment-on-pr": true, policyPacks: "policy" });
        expect(existsSync(path.join(PROJECT_ROOT, String(preview.with!.policyPacks), "PulumiPolicy.yaml"))).to.equal(true);
        const deploy = workflows.find((w) => w.file === "deploy.yml")!.doc;
        expect((deploy.jobs.up as unknown as { environment: string }).environment).to.equal("lab-${{ matrix.stack }}");
        expect(deploy.on).to.deep.equal({ push: { branches: ["main"] } });
    });
});
