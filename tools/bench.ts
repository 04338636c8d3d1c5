// `npm run bench`: median wall time of `lab render` for each recipe's stack, beside the floor (a
// process that only loads @pulumi/pulumi and @pulumi/kubernetes), and the ratio to that floor; then
// `lab render`, `validate` and `diff` of classrooms of 1, 10, 100 and 500 attendees, with the ratio to
// one attendee and the time each further attendee adds.
import { spawnSync } from "child_process";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const STACKS = ["dev", "kubernetes", "openshift", "openshift3", "peer-auth"];
const CLASS_RUNS = Number(process.env.BENCH_CLASS_RUNS ?? 3);
const CLASS_SIZES = (process.env.BENCH_CLASS_SIZES ?? "1,10,100,500").split(",").map(Number);

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

function time(args: string[]): number {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    if (r.status !== 0) {
        throw new Error(`node ${args.join(" ")} failed: ${r.stderr.toString()}`);
    }
    return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Times every command RUNS times, interleaved so that machine noise falls on all alike. */
export function main(): void {
    const lab = path.join(__dirname, "lab.js");
    const commands: Array<[string, string[]]> = [
        ["floor (load @pulumi/pulumi + @pulumi/kubernetes)", ["-e", 'require("@pulumi/pulumi"); require("@pulumi/kubernetes")']],
        ...STACKS.map((s): [string, string[]] => [`lab render --stack ${s}`, [lab, "render", "--stack", s]]),
    ];
    const samples = commands.map(() => [] as number[]);
    for (let i = 0; i < RUNS; i++) {
        commands.forEach(([, args], c) => samples[c].push(time(args)));
    }
    const floor = median(samples[0]);
    console.log(`median of ${RUNS} runs each`);
    commands.forEach(([label], c) => {
        const m = median(samples[c]);
        console.log(`${label.padEnd(52)} ${m.toFixed(0).padStart(6)} ms  ${(m / floor).toFixed(2)}x`);
    });
    classroom(lab);
}

/** A stack config file for the dev lab with a class of `n`. */
function classFile(n: number): string {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "lab-bench-")), `Pulumi.class${n}.yaml`);
    writeFileSync(file, `config:\n  istio-lab:recipe: kubernetes\n  istio-lab:canaryWeight: 20\n  istio-lab:attendees: ${n}\n`);
    return file;
}

/** A classroom's commands at each size: median ms, the ratio to one attendee, and ms per further attendee. */
function classroom(lab: string): void {
    const kinds: Array<[string, (n: number) => string[]]> = [
        ["render", (n) => [lab, "render", "--set", `attendees=${n}`]],
        ["validate", (n) => [lab, "validate", "--set", `attendees=${n}`]],
        // One attendee's exercise within the class: the class's config file against it with one override.
        ["diff", (n) => [lab, "diff", "--config", classFile(n), "--set", `attendeeOverrides={"user1":{"canaryWeight":50}}`]],
    ];
    console.log(`\nclassroom (dev stack, --set attendees=N), median of ${CLASS_RUNS} runs each`);
    for (const [kind, args] of kinds) {
        const medians = CLASS_SIZES.map((n) => {
            const runs: number[] = [];
            for (let i = 0; i < CLASS_RUNS; i++) {
                runs.push(time(args(n)));
            }
            return median(runs);
        });
        CLASS_SIZES.forEach((n, i) => {
            const perAttendee =
                n > CLASS_SIZES[0] ? ` ${((medians[i] - medians[0]) / (n - CLASS_SIZES[0])).toFixed(1)} ms per further attendee` : "";
            console.log(
                `lab ${kind} attendees=${String(n).padEnd(4)} ${medians[i].toFixed(0).padStart(7)} ms  ${(medians[i] / medians[0]).toFixed(2)}x${perAttendee}`,
            );
        });
    }
}

if (require.main === module) {
    main();
}
