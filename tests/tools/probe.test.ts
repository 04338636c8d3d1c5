// lab check --probe: the seed's curl output read, held against lab matrix, on recorded output (pods run
// only on a real cluster).
import { expect } from "chai";
import { parseConfig } from "../../config";
import { runLab } from "../../tools/engine";
import { lab } from "../../tools/lab";
import { probeMatrix } from "../../tools/matrix";
import { parseProbe, probeCommand, probeDifference, probesLevel } from "../../tools/probe";
import { render } from "../../tools/render";
import { STEPS, stepConfig } from "../../tools/steps";
import { stackConfig } from "../helpers";

// As the seed document shows them (istio-peer-authentication-lab.md), httpbin's echo then curl's -w line.
const PLAIN = `{
  "headers": {
    "Accept": "*/*", 
    "Content-Length": "0", 
    "Host": "httpbin.foo:8000", 
    "User-Agent": "curl/7.64.0", 
    "X-B3-Sampled": "0"
  }
}
response code: 200
`;
const MUTUAL = `{
  "headers": {
    "Accept": "*/*", 
    "Host": "httpbin.foo:8000", 
    "User-Agent": "curl/7.64.0", 
    "X-Forwarded-Client-Cert": "By=spiffe://cluster.local/ns/foo/sa/httpbin;Hash=434b9f09;Subject=\\"\\";URI=spiffe://cluster.local/ns/bar/sa/sleep"
  }
}
response code: 200
`;
const RESET = "response code: 000\n";

describe("lab check --probe", () => {
    it("reads the code and whether X-Forwarded-Client-Cert came back", () => {
        expect(parseProbe(PLAIN)).to.deep.equal({ code: "200", xfcc: false });
        expect(parseProbe(MUTUAL)).to.deep.equal({ code: "200", xfcc: true });
        expect(parseProbe(RESET)).to.deep.equal({ code: "000", xfcc: false });
        expect(parseProbe("upstream connect error or disconnect/reset before headersresponse code: 503\n")).to.deep.equal({
            code: "503",
            xfcc: false,
        });
        expect(parseProbe("error: unable to upgrade connection: container not found\n")).to.equal(
            'no "response code:" line in the output ("error: unable to upgrade connection: container not found")',
        );
        expect(probeCommand("foo")).to.deep.equal([
            "sh",
            "-c",
            'curl http://httpbin.foo:8000/headers -s -w "response code: %{http_code}\\n"; true',
        ]);
    });

    it("holds each sleep -> httpbin call against lab matrix at step 9 (mesh STRICT), naming the differing pair", async () => {
        const base = stackConfig("peer-auth");
        const config = stepConfig(base, parseConfig(base), STEPS.find((s) => s.name === "step-9")!);
        const run = await runLab(config, { stack: "peer-auth" });
        const objects = render(run.resources);
        const rows = probeMatrix(objects, run.config.controlPlane.namespace);
        // The cluster answers as the matrix says, but legacy reaches foo in plain text and bar's call to foo came back without the header.
        const answer = (from: string, to: string) => {
            if (from === "legacy" && to === "foo") {
                return PLAIN;
            }
            if (from === "bar" && to === "foo") {
                return PLAIN;
            }
            const row = rows.find((r) => r.from === from && r.to === to)!;
            return row.code !== "200" ? `response code: ${row.code}\n` : row.mtls ? MUTUAL : PLAIN;
        };
        const calls: string[] = [];
        const kube = {
            kubectl: (args: readonly string[]) => {
                const [, , from, target] = args;
                const script = args[args.length - 1];
                expect([args[0], target]).to.deep.equal(["exec", "deploy/sleep"]);
                const to = /httpbin\.([^.:]+):8000/.exec(script)![1];
                calls.push(`${from}->${to}`);
                return answer(from, to);
            },
        };
        const level = probesLevel(objects, run.config.controlPlane.namespace, kube);
        expect(level.checked).to.equal(9);
        expect(calls).to.have.length(9);
        expect(level.differences).to.deep.equal([
            "probe sleep.bar to httpbin.foo: expected mutual TLS (X-Forwarded-Client-Cert), got plain text",
            "probe sleep.legacy to httpbin.foo: expected 000, got 200",
        ]);
    });

    it("compares the header only where the sidecar would add it", () => {
        const row = { from: "bar", to: "foo", code: "200", mtls: true, dataplane: "ambient" } as const;
        expect(probeDifference(row, { code: "200", xfcc: false })).to.equal(undefined);
        expect(probeDifference({ ...row, dataplane: "sidecar" }, { code: "200", xfcc: false })).to.equal(
            "probe sleep.bar to httpbin.foo: expected mutual TLS (X-Forwarded-Client-Cert), got plain text",
        );
        expect(probeDifference({ ...row, code: "000", dataplane: "sidecar" }, { code: "000", xfcc: false })).to.equal(undefined);
    });

    it("is refused, before the cluster is read, for the traffic lab without --url", async () => {
        expect(await lab(["check", "--stack", "dev", "--step", "all-v1", "--probe"])).to.deep.equal({
            stdout: "",
            stderr: "--probe on the traffic lab needs --url URL: the guestbook's address (pulumi stack output labUrl, or your route)\n",
            code: 2,
        });
    });
});
