import { expect } from "chai";
import { runLab } from "../../tools/engine";
import {
    GateResult,
    PromoteEvent,
    PromoteOptions,
    formatEvent,
    httpVerdict,
    parseInterval,
    parsePromoteArgs,
    prometheusQueries,
    prometheusVerdict,
    runPromotion,
} from "../../tools/promote";
import { DEFAULTS, scheduleFrom, vectorValue } from "../../tools/promote";
import { promoteMain, subjectOf } from "../../tools/promoteStack";
import { parseConfig } from "../../config";

const parsed = (argv: string[]) => parsePromoteArgs(argv) as PromoteOptions;
const refusal = (argv: string[]) => {
    try {
        parsePromoteArgs(argv);
    } catch (e) {
        return (e as Error).message;
    }
    return "accepted";
};

describe("lab promote: arguments", () => {
    it("defaults to Flagger's tutorial analysis: step 10 up to 50, every 60 s, rollback after 5 failed checks", () => {
        expect(parsed(["--gate-command", "true"])).to.deep.equal({
            stack: "dev",
            cwd: undefined,
            schedule: { stepWeight: 10, maxWeight: 50 },
            intervalMs: 60_000,
            threshold: 5,
            attendee: undefined,
            gates: { prometheus: undefined, http: undefined, command: "true" },
            preview: false,
            json: false,
        });
    });

    it("reads every gate and its bounds", () => {
        const o = parsed([
            "--stack",
            "class",
            "--steps",
            "10,25,50,100",
            "--interval",
            "500ms",
            "--threshold",
            "2",
            "--attendee",
            "user7",
            "--gate-prometheus",
            "http://prometheus:9090",
            "--min-success-rate",
            "99.5",
            "--max-p99-ms",
            "500",
            "--gate-http",
            "labUrl",
            "--probes",
            "7",
            "--json",
        ]);
        expect(o).to.deep.equal({
            stack: "class",
            cwd: undefined,
            schedule: { steps: [10, 25, 50, 100] },
            intervalMs: 500,
            threshold: 2,
            attendee: "user7",
            gates: {
                prometheus: { url: "http://prometheus:9090", minSuccessRate: 99.5, maxP99Ms: 500 },
                http: { url: "labUrl", probes: 7, minSuccessRate: 99.5 },
                command: undefined,
            },
            preview: false,
            json: true,
        });
    });

    const refusals: Array<[string[], string]> = [
        [
            [],
            "no gate given; expected one or more of --gate-prometheus URL, --gate-http URL, --gate-command CMD (a promotion checks each step)",
        ],
        [
            ["--gate-command", "true", "--steps", "10,5,100"],
            '--steps "10,5,100" is not allowed; expected increasing weights, e.g. 10,25,50,100',
        ],
        [
            ["--gate-command", "true", "--steps", "10,50"],
            '--steps "10,50" is not allowed; expected weights ending at 100 (a promotion ends with all traffic on the new version)',
        ],
        [
            ["--gate-command", "true", "--steps", "0,100"],
            '--steps "0,100" is not allowed; expected weights from 1 to 100 separated by commas, e.g. 10,25,50,100',
        ],
        [
            ["--gate-command", "true", "--steps", "10,100", "--step-weight", "5"],
            "--steps and --step-weight/--max-weight are not allowed together; give one schedule",
        ],
        [["--gate-command", "true", "--step-weight", "0"], '--step-weight "0" is not allowed; expected a whole number from 1 to 100'],
        [["--gate-command", "true", "--max-weight", "101"], '--max-weight "101" is not allowed; expected a whole number from 1 to 100'],
        [
            ["--gate-command", "true", "--step-weight", "60", "--max-weight", "50"],
            '--step-weight "60" is not allowed; expected a whole number from 1 to 50: the ceiling (--max-weight 50) caps every step',
        ],
        [
            ["--gate-command", "true", "--step-weight", "90"],
            `--step-weight "90" is not allowed; expected a whole number from 1 to ${DEFAULTS.maxWeight}: the ceiling (--max-weight's default ${DEFAULTS.maxWeight}) caps every step`,
        ],
        [
            ["--gate-command", "true", "--interval", "1h"],
            '--interval "1h" is not allowed; expected a duration such as 500ms, 30s or 2m, at most 60m',
        ],
        [
            ["--gate-command", "true", "--interval", "61m"],
            '--interval "61m" is not allowed; expected a duration such as 500ms, 30s or 2m, at most 60m',
        ],
        [["--gate-command", "true", "--threshold", "0"], '--threshold "0" is not allowed; expected a whole number from 1 to 100'],
        [
            ["--gate-prometheus", "prometheus:9090"],
            '--gate-prometheus "prometheus:9090" is not allowed; expected an http:// or https:// URL (a host, a port from 1 to 65535)',
        ],
        [
            ["--gate-http", "ftp://x"],
            '--gate-http "ftp://x" is not allowed; expected an http:// or https:// URL or "labUrl" (a host, a port from 1 to 65535)',
        ],
        [
            ["--gate-http", "http://guestbook.example:0"],
            '--gate-http "http://guestbook.example:0" is not allowed; expected an http:// or https:// URL or "labUrl" (a host, a port from 1 to 65535)',
        ],
        [
            ["--gate-http", "http://x", "--min-success-rate", "101"],
            '--min-success-rate "101" is not allowed; expected a percentage from 0 to 100, e.g. 99 or 99.5',
        ],
        [["--gate-command", "true", "--max-p99-ms", "500"], "--max-p99-ms needs --gate-prometheus (the P99 comes from Prometheus)"],
        [
            ["--gate-command", "true", "--min-success-rate", "90"],
            "--min-success-rate needs --gate-prometheus or --gate-http (the gates that measure a success rate)",
        ],
        [["--gate-command", "true", "--probes", "3"], "--probes needs --gate-http (the gate that sends the probes)"],
        [
            ["--gate-command", "true", "--attendee", "User_7"],
            '--attendee "User_7" is not allowed; expected an attendee\'s name, a DNS-1123 label such as user7',
        ],
        [["--gate-command", "true", "--stack", "a", "--stack", "b"], "--stack is given twice; give it once"],
        [["--gate-command", ""], "--gate-command is empty; give it a value"],
        [
            ["--gate-command", "true", "--steps", `${"1,".repeat(60)}100`],
            `--steps "${"1,".repeat(39)}1... (125 characters) is not allowed; expected increasing weights, e.g. 10,25,50,100`,
        ],
        [
            ["--gate-command", "true", "--bogus"],
            "option --bogus is not allowed for promote; expected one of --stack, --cwd, --steps, --step-weight, --max-weight, --interval, --threshold, --attendee, --gate-prometheus, --min-success-rate, --max-p99-ms, --gate-http, --probes, --gate-command, --preview, --json, --help",
        ],
        [["--gate-command"], "--gate-command needs a value; give --gate-command VALUE"],
        // A negative number is the option's value, checked as any other (not the parser's "argument is ambiguous").
        [["--gate-command", "true", "--threshold", "-5"], '--threshold "-5" is not allowed; expected a whole number from 1 to 100'],
        [["--gate-command", "true", "--step-weight", "-10"], '--step-weight "-10" is not allowed; expected a whole number from 1 to 100'],
        [
            ["--gate-http", "http://x", "--min-success-rate", "-1"],
            '--min-success-rate "-1" is not allowed; expected a percentage from 0 to 100, e.g. 99 or 99.5',
        ],
        [
            ["--gate-command", "true", "--stack", "../../x"],
            '--stack "../../x" is not allowed; expected a stack name (letters, digits, "-", "_" and "."), e.g. dev; use --config FILE for a file elsewhere',
        ],
    ];
    for (const [argv, message] of refusals) {
        it(`refuses ${argv.join(" ").slice(0, 60) || "no arguments"}`, () => {
            expect(refusal(argv)).to.equal(message);
        });
    }

    it("reads intervals in ms, s and m", () => {
        expect(["0s", "250ms", "30s", "2m", "60m"].map(parseInterval)).to.deep.equal([0, 250, 30_000, 120_000, 3_600_000]);
    });
});

describe("lab promote: the schedule from the current weight", () => {
    const table: Array<[number, PromoteOptions["schedule"], number[]]> = [
        [0, { stepWeight: 10, maxWeight: 50 }, [10, 20, 30, 40, 50, 100]],
        [20, { stepWeight: 10, maxWeight: 50 }, [30, 40, 50, 100]],
        [0, { stepWeight: 20, maxWeight: 50 }, [20, 40, 50, 100]],
        [45, { stepWeight: 10, maxWeight: 50 }, [50, 100]],
        [60, { stepWeight: 10, maxWeight: 50 }, [100]],
        [0, { stepWeight: 50, maxWeight: 100 }, [50, 100]],
        [100, { stepWeight: 10, maxWeight: 50 }, []],
        [0, { steps: [10, 25, 50, 100] }, [10, 25, 50, 100]],
        [25, { steps: [10, 25, 50, 100] }, [50, 100]],
        [30, { steps: [10, 25, 50, 100] }, [50, 100]],
        [100, { steps: [10, 25, 50, 100] }, []],
    ];
    for (const [current, schedule, want] of table) {
        it(`from ${current} with ${JSON.stringify(schedule)}: ${want.join(", ") || "nothing"}`, () => {
            expect(scheduleFrom(current, schedule)).to.deep.equal(want);
        });
    }
});

describe("lab promote: the gates' formulas", () => {
    it("asks Prometheus Flagger's request-success-rate and request-duration for the newest version's workload", () => {
        expect(prometheusQueries({ namespace: "guestbook", workload: "guestbook-v2" }, "60s")).to.deep.equal({
            successRate:
                'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="guestbook",destination_workload=~"guestbook-v2",response_code!~"5.*"}[60s]))' +
                ' / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="guestbook",destination_workload=~"guestbook-v2"}[60s])) * 100',
            p99: 'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="guestbook",destination_workload=~"guestbook-v2"}[60s])) by (le))',
        });
    });

    it("reads the one value of an instant vector; empty and NaN (no requests) are no data", () => {
        const answer = (value: string) => ({
            status: "success",
            data: { resultType: "vector", result: [{ metric: {}, value: [1, value] }] },
        });
        expect(vectorValue(answer("99.25"))).to.equal(99.25);
        expect(vectorValue(answer("NaN"))).to.equal("no data");
        expect(vectorValue({ status: "success", data: { resultType: "vector", result: [] } })).to.equal("no data");
        expect(vectorValue({ status: "error", error: "parse error at char 5" })).to.equal("query failed: parse error at char 5");
    });

    it("holds the success rate and the P99 to their bounds", () => {
        const g = { url: "http://p", minSuccessRate: 99, maxP99Ms: 500 };
        expect(prometheusVerdict(99.5, 120, g)).to.deep.equal({
            gate: "prometheus",
            passed: true,
            figure: "success rate 99.5%, P99 120 ms",
            bound: ">= 99%, <= 500 ms",
        });
        expect(prometheusVerdict(98.99, 120, g).passed).to.equal(false);
        expect(prometheusVerdict(99, 500, g).passed).to.equal(true);
        expect(prometheusVerdict(99, 500.5, g).passed).to.equal(false);
        expect(prometheusVerdict("no data", undefined, { url: "http://p", minSuccessRate: 99 })).to.deep.equal({
            gate: "prometheus",
            passed: false,
            figure: "success rate: no data",
            bound: ">= 99%",
        });
    });

    it("counts 2xx answers among the HTTP probes (0: no answer)", () => {
        expect(httpVerdict([200, 200, 503, 0, 204], 80)).to.deep.equal({
            gate: "http",
            passed: false,
            figure: "3/5 answered 2xx (60%)",
            bound: ">= 80%",
        });
        expect(httpVerdict([200, 201, 299, 204], 100).passed).to.equal(true);
        expect(httpVerdict([200, 301], 99).passed).to.equal(false);
    });
});

/** A stack that records the weights applied, and gates that answer from a script. */
function harness(verdicts: boolean[], options: { interruptAfterApply?: number } = {}) {
    const applied: number[] = [];
    const events: PromoteEvent[] = [];
    let checks = 0;
    let interrupted = false;
    return {
        applied,
        events,
        stack: {
            apply: (w: number) => {
                applied.push(w);
                if (options.interruptAfterApply === w) {
                    interrupted = true;
                }
                return Promise.resolve({ update: 1, same: 11 });
            },
        },
        io: {
            check: (): Promise<GateResult[]> => {
                const passed = verdicts[checks++] ?? true;
                return Promise.resolve([{ gate: "command" as const, passed, figure: passed ? "exit 0" : "exit 1", bound: "exit 0" }]);
            },
            emit: (e: PromoteEvent) => events.push(e),
            sleep: () => (interrupted ? Promise.reject(new Error("interrupted")) : Promise.resolve()),
            interrupted: () => interrupted,
            now: () => 0,
        },
    };
}

describe("lab promote: the promotion loop", () => {
    it("applies each step and checks it, then reports promoted", async () => {
        const h = harness([]);
        const code = await runPromotion(h.stack, { start: 0, steps: [10, 50, 100], intervalMs: 1000, threshold: 5 }, h.io);
        expect(code).to.equal(0);
        expect(h.applied).to.deep.equal([10, 50, 100]);
        expect(h.events.map(formatEvent)).to.deep.equal([
            "step 1/3: 10% applied (1 updated, 0s); check in 1s",
            "check at 10%: command exit 0 (exit 0) pass; next step now",
            "step 2/3: 50% applied (1 updated, 0s); check in 1s",
            "check at 50%: command exit 0 (exit 0) pass; next step now",
            "step 3/3: 100% applied (1 updated, 0s); check in 1s",
            "check at 100%: command exit 0 (exit 0) pass",
            "promoted: guestbook's newest version at 100%",
        ]);
    });

    it("re-checks a failed step after the interval and goes on when it passes", async () => {
        const h = harness([true, false, true]);
        expect(await runPromotion(h.stack, { start: 0, steps: [10, 100], intervalMs: 1000, threshold: 2 }, h.io)).to.equal(0);
        expect(h.applied).to.deep.equal([10, 100]);
        expect(h.events.filter((e) => e.event === "check").map(formatEvent)).to.deep.equal([
            "check at 10%: command exit 0 (exit 0) pass; next step now",
            "check at 100%: command exit 1 (exit 0) FAIL; failed checks 1/2, check again in 1s",
            "check at 100%: command exit 0 (exit 0) pass",
        ]);
    });

    it("rolls back to the starting weight at the threshold, counting failures over the whole promotion", async () => {
        const h = harness([true, false, true, false]);
        const code = await runPromotion(h.stack, { start: 20, steps: [30, 40, 100], intervalMs: 1000, threshold: 2 }, h.io);
        expect(code).to.equal(1);
        expect(h.applied).to.deep.equal([30, 40, 100, 20]);
        expect(h.events.slice(-2)).to.deep.equal([
            { event: "rollback", from: 100, to: 20, reason: "2 failed checks (threshold 2)" },
            { event: "done", result: "rolled back", weight: 20 },
        ]);
    });

    it("interrupted before a step is checked, puts the stack back at the last checked weight", async () => {
        const h = harness([], { interruptAfterApply: 50 });
        const code = await runPromotion(h.stack, { start: 0, steps: [25, 50, 100], intervalMs: 1000, threshold: 5 }, h.io);
        expect(code).to.equal(130);
        expect(h.applied).to.deep.equal([25, 50, 25]);
        expect(h.events.slice(-2)).to.deep.equal([
            { event: "rollback", from: 50, to: 25, reason: "interrupted before 50% was checked" },
            { event: "done", result: "interrupted", weight: 25 },
        ]);
    });

    it("with nothing to do (already at 100) applies nothing", async () => {
        const h = harness([]);
        expect(await runPromotion(h.stack, { start: 100, steps: [], intervalMs: 1000, threshold: 5 }, h.io)).to.equal(0);
        expect(h.applied).to.deep.equal([]);
        expect(h.events).to.deep.equal([{ event: "done", result: "nothing to do", weight: 100 }]);
    });
});

describe("lab promote: which stacks can take a weight", () => {
    const options = (extra: string[] = []) => parsed(["--stack", "s", "--gate-command", "true", ...extra]);
    const subject = (raw: Record<string, string>, extra: string[] = []) => subjectOf(parseConfig(raw), raw, options(extra));
    const refusal = (raw: Record<string, string>, extra: string[] = []) => {
        try {
            subject(raw, extra);
        } catch (e) {
            return (e as Error).message;
        }
        return "accepted";
    };
    const dev = { "istio-lab:recipe": "kubernetes", "istio-lab:canaryWeight": "20" };

    it("moves canaryWeight of the one lab; reads the applied weight from trafficSplit (a version at 0 is left out of it)", () => {
        const s = subject(dev);
        expect([s.key, s.path, s.version, s.target, s.configured]).to.deep.equal([
            "istio-lab:canaryWeight",
            false,
            "v2",
            { namespace: "guestbook", workload: "guestbook-v2" },
            20,
        ]);
        expect(s.applied({ trafficSplit: { weights: { v1: 80, v2: 20 }, abTest: null } })).to.equal(20);
        expect(s.applied({ trafficSplit: { weights: { v1: 100 }, abTest: null } })).to.equal(0);
        expect(s.applied({})).to.equal(undefined);
    });

    it("a Gateway API lab: reads the applied weight from the trafficSplit the program exports (the HTTPRoute's relative weights in percent)", async () => {
        const raw = { ...dev, "istio-lab:trafficApi": "gatewayApi" };
        const s = subject(raw);
        expect([s.key, s.target]).to.deep.equal(["istio-lab:canaryWeight", { namespace: "guestbook", workload: "guestbook-v2" }]);
        expect(s.applied((await runLab(raw)).outputs)).to.equal(20);
    });

    it("moves one attendee's override; reads the attendee's row", () => {
        const s = subject({ ...dev, "istio-lab:attendees": "3", "istio-lab:attendeeOverrides": '{"user2":{"canaryWeight":40}}' }, [
            "--attendee",
            "user2",
        ]);
        expect([s.key, s.path, s.target, s.configured]).to.deep.equal([
            "istio-lab:attendeeOverrides.user2.canaryWeight",
            true,
            { namespace: "guestbook-user2", workload: "guestbook-v2" },
            40,
        ]);
        const rows = [
            { attendee: "user1", url: "u1", weights: { v1: 80, v2: 20 } },
            { attendee: "user2", url: "u2", weights: { v1: 60, v2: 40 } },
        ];
        expect([s.applied({ attendees: rows }), s.labUrl({ attendees: rows })]).to.deep.equal([40, "u2"]);
    });

    const refusals: Array<[string, Record<string, string>, string[], string]> = [
        [
            "round robin, with the config contract's message",
            { ...dev, "istio-lab:canaryWeight": "0", "istio-lab:routing": "roundRobin" },
            [],
            'stack s cannot take a canary weight: istio-lab:canaryWeight: 50 is not allowed; expected 0 with routing "roundRobin" (its one route names no subset; set routing to "weighted" for a canary)',
        ],
        [
            "one version",
            {
                ...dev,
                "istio-lab:canaryWeight": "0",
                "istio-lab:guestbook": '{"versions":[{"name":"v1","image":"ibmcom/guestbook:v1","replicas":3,"version":"1.0"}]}',
            },
            [],
            'stack s: istio-lab:guestbook.versions has one version ("v1"); a canary needs a second version to send traffic to',
        ],
        [
            "a lab without the traffic stage",
            { "istio-lab:recipe": "peer-auth" },
            [],
            'stack s: recipe "peer-auth" has no traffic stage (stages: controlPlane, mtlsLab, peerAuth); a promotion moves the traffic stage\'s canaryWeight',
        ],
        [
            "an attendee of no class",
            dev,
            ["--attendee", "user1"],
            '--attendee "user1" is not allowed: stack s has no attendees (istio-lab:attendees is not set)',
        ],
        [
            "an attendee not in the class",
            { ...dev, "istio-lab:attendees": "7" },
            ["--attendee", "user9"],
            '--attendee "user9" is not allowed; expected an attendee of stack s (user1, user2, user3, user4, user5, ...)',
        ],
        [
            "an attendee who owns their route (attendeeAccess)",
            { ...dev, "istio-lab:attendees": "3", "istio-lab:attendeeAccess": "true" },
            ["--attendee", "user2"],
            '--attendee "user2" is not allowed: stack s gives attendees their own access (istio-lab:attendeeAccess), so user2 owns their VirtualService and the class\'s pulumi up leaves it as they set it; turn attendeeAccess off to promote from the class',
        ],
    ];
    for (const [what, raw, extra, message] of refusals) {
        it(`refuses ${what}`, () => {
            expect(refusal(raw, extra)).to.equal(message);
        });
    }
});

describe("lab promote: a stack's own reason comes before the CLI", () => {
    it("says why the peer-auth stack cannot take a weight from its stack file, with no Pulumi CLI on PATH", async () => {
        const written: string[] = [];
        const write = process.stderr.write.bind(process.stderr);
        const path = process.env.PATH;
        process.env.PATH = "/nonexistent";
        (process.stderr as { write: unknown }).write = (chunk: string) => written.push(String(chunk)) > 0;
        let code: number;
        try {
            code = await promoteMain(["--stack", "peer-auth", "--gate-command", "true"], () => undefined);
        } finally {
            (process.stderr as { write: unknown }).write = write;
            process.env.PATH = path;
        }
        expect(code).to.equal(2);
        expect(written.join("")).to.equal(
            'stack peer-auth: recipe "peer-auth" has no traffic stage (stages: controlPlane, mtlsLab, peerAuth); a promotion moves the traffic stage\'s canaryWeight\n',
        );
    });
});
