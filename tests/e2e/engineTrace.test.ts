import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";

import { breakdown, formatBreakdown, readTrace } from "../../e2e/engineTrace";

const T0 = 1_796_425_336_000_000_000n;

/** One OTLP JSON line holding one span of `service`, times in ms after T0. */
function line(service: string, name: string, startMs: number, endMs: number, type?: string): string {
    const ns = (ms: number) => String(T0 + BigInt(Math.round(ms * 1e6)));
    const attributes = type ? [{ key: "pulumi-decorator", value: { stringValue: type } }] : [];
    return JSON.stringify({
        resourceSpans: [
            {
                resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
                scopeSpans: [{ scope: {}, spans: [{ name, startTimeUnixNano: ns(startMs), endTimeUnixNano: ns(endMs), attributes }] }],
            },
        ],
    });
}

describe("e2e/engineTrace (where a pulumi command's seconds go, from its --otel-traces file)", () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "engine-trace-"))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    function trace(lines: string[]): string {
        const file = path.join(dir, "trace.json");
        writeFileSync(file, `${lines.join("\n")}\n`);
        return file;
    }

    // An up of 10 s: the program runs 1 s to 9 s, registers from 3 s; the provider starts 3.5-4 s; a ConfigMap's
    // Check 4-4.5 s and Create 4.5-5 s; a Deployment's Create 5-8 s with a Service's Create 6-7 s inside it.
    const up = [
        line("pulumi-cli", "pulumi", 0, 10_000),
        line("pulumi-cli", "pulumirpc.LanguageRuntime/Run", 1_000, 9_000),
        line("pulumi-language-host", "/pulumirpc.LanguageRuntime/Run", 1_000, 9_000),
        line("pulumi-cli", "pulumirpc.ResourceMonitor/RegisterResource", 3_000, 3_200),
        line("pulumi-cli", "pulumirpc.ResourceMonitor/RegisterResource", 3_100, 8_000),
        line("pulumi-cli", "newPlugin", 3_500, 3_900),
        line("pulumi-cli", "pulumirpc.ResourceProvider/Configure", 3_900, 4_000),
        line("pulumi-cli", "pulumirpc.ResourceProvider/Check", 4_000, 4_500, "kubernetes:core/v1:ConfigMap"),
        line("pulumi-cli", "pulumirpc.ResourceProvider/Create", 4_500, 5_000, "kubernetes:core/v1:ConfigMap"),
        line("pulumi-cli", "pulumirpc.ResourceProvider/Create", 5_000, 8_000, "kubernetes:apps/v1:Deployment"),
        line("pulumi-cli", "pulumirpc.ResourceProvider/Create", 6_000, 7_000, "kubernetes:core/v1:Service"),
    ];

    it("reads the spans in milliseconds from the first, with the resource type of provider calls", () => {
        const spans = readTrace(trace(up));
        expect(spans.length).to.equal(11);
        expect(spans[0]).to.deep.equal({ service: "pulumi-cli", name: "pulumi", start: 0, end: 10_000 });
        expect(spans[9]).to.deep.equal({
            service: "pulumi-cli",
            name: "pulumirpc.ResourceProvider/Create",
            start: 5_000,
            end: 8_000,
            type: "kubernetes:apps/v1:Deployment",
        });
    });

    it("cuts the wall time into parts that add up to it, the CLI's spans only", () => {
        const b = breakdown(readTrace(trace(up)));
        expect(b.totalMs).to.equal(10_000);
        expect(Object.fromEntries(b.parts.map((p) => [p.part, Math.round(p.ms)]))).to.deep.equal({
            awaits: 3_000,
            "provider calls": 1_000,
            "provider start": 500,
            "CLI start": 1_000,
            "program start": 2_000,
            "program and engine": 1_500,
            "after the program": 1_000,
        });
        expect(b.slowest.map((c) => [c.call, c.count, Math.round(c.ms)])).to.deep.equal([
            ["Create kubernetes:apps/v1:Deployment", 1, 3_000],
            ["Create kubernetes:core/v1:Service", 1, 1_000],
            ["Check kubernetes:core/v1:ConfigMap", 1, 500],
            ["Create kubernetes:core/v1:ConfigMap", 1, 500],
            ["Configure (provider)", 1, 100],
        ]);
        expect(formatBreakdown("pulumi up, dev", b)).to.equal(
            "pulumi up, dev: 10.0 s: awaits 3.0 s (30%), provider calls 1.0 s (10%), provider start 0.5 s (5%), CLI start 1.0 s (10%), " +
                "program start 2.0 s (20%), program and engine 1.5 s (15%), after the program 1.0 s (10%); longest provider calls (summed): " +
                "Create kubernetes:apps/v1:Deployment x1 3.0 s; Create kubernetes:core/v1:Service x1 1.0 s; Check kubernetes:core/v1:ConfigMap x1 0.5 s; " +
                "Create kubernetes:core/v1:ConfigMap x1 0.5 s; Configure (provider) x1 0.1 s",
        );
    });

    it("a destroy runs no program: its steps are the first provider call to the last, and every Delete awaits", () => {
        const b = breakdown(
            readTrace(
                trace([
                    line("pulumi-cli", "pulumi", 0, 5_000),
                    line("pulumi-cli", "pulumirpc.ResourceProvider/Delete", 1_000, 3_000, "kubernetes:core/v1:ConfigMap"),
                    line("pulumi-cli", "pulumirpc.ResourceProvider/Delete", 3_500, 4_000, "kubernetes:core/v1:Namespace"),
                ]),
            ),
        );
        expect(Object.fromEntries(b.parts.map((p) => [p.part, Math.round(p.ms)]))).to.deep.equal({
            awaits: 2_500,
            "provider calls": 0,
            "provider start": 0,
            "CLI start": 1_000,
            "program start": 0,
            "program and engine": 500,
            "after the program": 1_000,
        });
    });

    it("refuses a trace without the command's span, naming what is missing", () => {
        expect(() => breakdown(readTrace(trace([line("pulumi-cli", "pulumi-plan", 0, 1)])))).to.throw(
            "the trace has no command span (pulumi)",
        );
        expect(() => readTrace(trace([]))).to.throw("no spans");
    });
});
