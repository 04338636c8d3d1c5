// lab check --probe --url: the traffic lab's requests through the gateway, counted by version against the
// step's split. Pods run only on a real cluster, so the guestbook here is a local server on 127.0.0.1 that
// answers /env as the guestbook does (a JSON object of its environment, HOSTNAME the pod's name).
import { expect } from "chai";
import { chmodSync, writeFileSync } from "fs";
import { Server, createServer } from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { parseConfig } from "../../config";
import { runLab } from "../../tools/engine";
import { lab } from "../../tools/lab";
import { probeMatrix } from "../../tools/matrix";
import { render } from "../../tools/render";
import { STEPS, stepConfig } from "../../tools/steps";
import { abValue, expectedShares, outcomeOf, tolerance, trafficProbeLevel, versionDeployments } from "../../tools/trafficProbe";
import { stackConfig, tempDir, withEnv } from "../helpers";

const V1 = "guestbook-v1-85c847d64f-h4sm2";
const V2 = "guestbook-v2-546688ffb8-f6xhk";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

/** A guestbook behind a gateway: of every `every` requests the last goes to v2 (0: none), Firefox always to v2 when `ab`. */
function guestbook(every: number, ab: boolean): Promise<{ url: string; server: Server; paths: string[] }> {
    let n = 0;
    const paths: string[] = [];
    const server = createServer((req, res) => {
        paths.push(req.url ?? "");
        n++;
        const v2 = (ab && /Firefox/.test(req.headers["user-agent"] ?? "")) || (every > 0 && n % every === 0);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ HOSTNAME: v2 ? V2 : V1, PATH: "/usr/local/bin", REDIS_MASTER_SERVICE_HOST: "10.96.0.7" }, null, 2));
    });
    return new Promise((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, paths })),
    );
}

/** The dev lab at a traffic step: its objects, matrix rows and split. */
async function devAt(stepName: string) {
    const base = stackConfig("dev");
    const run = await runLab(stepConfig(base, parseConfig(base), STEPS.find((s) => s.name === stepName)!), { stack: "dev" });
    const objects = render(run.resources);
    const split = run.outputs.trafficSplit as { weights: Record<string, number>; abTest: { header: string; regex: string } | null };
    return {
        objects,
        split,
        rows: probeMatrix(objects, "istio-system"),
        versions: ["v1", "v2"],
        deployments: versionDeployments(objects, "guestbook", ["v1", "v2"]),
    };
}

describe("lab check --probe --url (the traffic lab)", () => {
    it("allows each share three binomial standard deviations, none at 0% or 100%", () => {
        expect([tolerance(100, 0.2), tolerance(100, 0.5), tolerance(1000, 0.5), tolerance(100, 0), tolerance(100, 1)]).to.deep.equal([
            12, 15, 48, 0, 0,
        ]);
    });

    it("tells the version from the pod that answered, and a failed call by its code", () => {
        const deployments = { v1: "guestbook-v1", v2: "guestbook-v2" };
        expect(outcomeOf(200, JSON.stringify({ HOSTNAME: V2, HOME: "/root" }), deployments)).to.equal("v2");
        expect(outcomeOf(200, `Hello from ${V1}!`, deployments)).to.equal("v1");
        expect(outcomeOf(503, "upstream connect error or disconnect/reset before headers", deployments)).to.equal("code 503");
        expect(outcomeOf(200, JSON.stringify({ HOSTNAME: "httpbin-7c4b9d8f6-x2x9k" }), deployments)).to.equal(
            "200 from httpbin-7c4b9d8f6-x2x9k",
        );
        expect(outcomeOf(200, "<html>guestbook</html>", deployments)).to.equal("200 from a page naming no pod of the lab's");
        // guestbook-v1 is not guestbook-v10's prefix
        expect(outcomeOf(200, JSON.stringify({ HOSTNAME: "guestbook-v10-5d8f9c7b6-abcde" }), deployments)).to.equal(
            "200 from guestbook-v10-5d8f9c7b6-abcde",
        );
    });

    it("sends the A/B rule's header with a value its regex matches, when it can make one", () => {
        expect(abValue(".*Firefox.*")).to.equal(FIREFOX);
        expect(abValue("^beta$")).to.equal("beta");
        expect(abValue(".*(Firefox|Chrome).*")).to.equal(undefined);
    });

    it("expects each version's weight, or the code lab matrix predicts for the gateway's call to it", async () => {
        const canary = await devAt("canary-80-20");
        expect(canary.deployments).to.deep.equal({ v1: "guestbook-v1", v2: "guestbook-v2" });
        expect([...expectedShares({ ...canary, namespace: "guestbook" }, ["v1", "v2"])]).to.deep.equal([
            ["v1", 0.8],
            ["v2", 0.2],
        ]);
        // Client TLS DISABLE while the pods take mutual TLS only: the gateway's calls fail with 503 (lab matrix).
        const base = stackConfig("dev");
        const run = await runLab(
            {
                ...stepConfig(base, parseConfig(base), STEPS.find((s) => s.name === "client-tls-disable")!),
                "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"namespace","namespace":"guestbook"}]',
            },
            { stack: "dev" },
        );
        const objects = render(run.resources);
        const shares = expectedShares(
            {
                split: run.outputs.trafficSplit as { weights: Record<string, number>; abTest: null },
                rows: probeMatrix(objects, "istio-system"),
                deployments: canary.deployments,
                namespace: "guestbook",
            },
            ["v1", "v2"],
        );
        expect([...shares]).to.deep.equal([["code 503", 1]]);
    });

    it("passes when the gateway splits as the step says and names each share that is off", async () => {
        const canary = await devAt("canary-80-20");
        const exact = await guestbook(5, false);
        const even = await guestbook(2, false);
        try {
            const ok = await trafficProbeLevel({ url: exact.url, requests: 100, namespace: "guestbook", ...canary });
            expect(ok).to.deep.equal({
                checked: 100,
                differences: [],
                source: `requests through ${exact.url} (each version's share within 3 standard deviations)`,
            });
            expect(new Set(exact.paths)).to.deep.equal(new Set(["/env"]));
            const off = await trafficProbeLevel({ url: `${even.url}/`, requests: 100, namespace: "guestbook", ...canary });
            expect(off.differences).to.deep.equal([
                `100 requests to ${even.url}/env: v1 answered 50 of 100, expected 80 ± 12 (got v1 50, v2 50)`,
                `100 requests to ${even.url}/env: v2 answered 50 of 100, expected 20 ± 12 (got v1 50, v2 50)`,
            ]);
        } finally {
            exact.server.close();
            even.server.close();
        }
    });

    it("sends a second batch with the A/B rule's header, all of which must reach the newest version", async () => {
        const ab = await devAt("ab-test");
        const right = await guestbook(0, true);
        const wrong = await guestbook(0, false);
        try {
            expect((await trafficProbeLevel({ url: right.url, requests: 20, namespace: "guestbook", ...ab })).differences).to.deep.equal(
                [],
            );
            const r = await trafficProbeLevel({ url: wrong.url, requests: 20, namespace: "guestbook", ...ab });
            expect(r.checked).to.equal(40);
            expect(r.differences).to.deep.equal([
                `20 requests with user-agent: ${FIREFOX}: v1 answered 20 of 20, expected none (got v1 20)`,
                `20 requests with user-agent: ${FIREFOX}: v2 answered 0 of 20, expected 20 (got v1 20)`,
            ]);
        } finally {
            right.server.close();
            wrong.server.close();
        }
    });

    it("is one more level of lab check, and its refusals name the option, the value and what is allowed", async () => {
        const canary = await devAt("canary-80-20");
        const dir = tempDir("lab-probe-url-");
        const resources: Record<string, string> = {
            VirtualService: "virtualservices.networking.istio.io",
            DestinationRule: "destinationrules.networking.istio.io",
            PeerAuthentication: "peerauthentications.security.istio.io",
        };
        const live: Record<string, unknown[]> = {};
        for (const o of canary.objects) {
            const r = resources[String(o.manifest.kind)];
            if (r) {
                live[r] = [...(live[r] ?? []), o.manifest];
            }
        }
        writeFileSync(path.join(dir, "live.json"), JSON.stringify(live));
        writeFileSync(
            path.join(dir, "kubectl"),
            `#!${process.execPath}\nconst live = require(${JSON.stringify(path.join(dir, "live.json"))});\nprocess.stdout.write(JSON.stringify({ items: live[process.argv[3]] ?? [] }));\n`,
        );
        chmodSync(path.join(dir, "kubectl"), 0o755);
        const gb = await guestbook(5, false);
        try {
            await withEnv("ISTIO_LAB_KUBECTL", path.join(dir, "kubectl"), async () => {
                const check = (...a: string[]) => lab(["check", "--stack", "dev", "--step", "canary-80-20", "--level", "objects", ...a]);
                const ok = await check("--probe", "--url", gb.url, "--requests", "50");
                expect({ code: ok.code, stderr: ok.stderr }, ok.stdout).to.deep.equal({ code: 0, stderr: "" });
                expect(ok.stdout).to.contain(
                    `\nprobes: ok (50 probes, from requests through ${gb.url} (each version's share within 3 standard deviations))\n`,
                );
                const refusals = await Promise.all([
                    check("--url", gb.url),
                    check("--probe"),
                    check("--probe", "--url", "ftp://x"),
                    check("--probe", "--url", gb.url, "--requests", "5"),
                    check("--requests", "50"),
                    // An address is checked first: a bad --url is named before --url without --probe is.
                    check("--url", "http://guestbook.example:70000"),
                ]);
                expect(refusals.map((r) => [r.code, r.stderr.trim()])).to.deep.equal([
                    [2, "--url is for --probe; give --probe too, or leave --url out"],
                    [2, "--probe on the traffic lab needs --url URL: the guestbook's address (pulumi stack output labUrl, or your route)"],
                    [
                        2,
                        `--url "ftp://x" is not allowed; expected an http:// or https:// URL of a host and a port from 1 to 65535, e.g. the stack's labUrl (pulumi stack output labUrl)`,
                    ],
                    [2, '--requests "5" is not allowed; expected a whole number from 10 to 10000'],
                    [2, "--requests is for --probe --url; give --url too, or leave --requests out"],
                    [
                        2,
                        `--url "http://guestbook.example:70000" is not allowed; expected an http:// or https:// URL of a host and a port from 1 to 65535, e.g. the stack's labUrl (pulumi stack output labUrl)`,
                    ],
                ]);
            });
        } finally {
            gb.server.close();
        }
    });
});
