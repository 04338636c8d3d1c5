// `npm run bench`: median wall time of `lab render` for each recipe's stack, beside the floor (a
// process that only loads @pulumi/pulumi and @pulumi/kubernetes), and the ratio to that floor.
import { spawnSync } from "child_process";
import * as path from "path";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const STACKS = ["dev", "kubernetes", "openshift", "openshift3", "peer-auth"];

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
}

if (require.main === module) {
    main();
}
