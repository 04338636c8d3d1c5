// `lab steps` and `lab check` under mocks: the steps table, each step's config, the objects level against
// live objects made from the step's own render (then changed), and the mesh level on configuration the real
// istiod sent the peer authentication lab's proxies (tests/fixtures/istiod/, recorded by the e2e).
import { expect } from "chai";
import { readFileSync } from "fs";
import * as path from "path";
import { parseConfig } from "../../config";
import { LiveObject, checkStep, fieldDifferences, formatCheck, objectsLevel, passed } from "../../tools/check";
import { runLab } from "../../tools/engine";
import { endpointsOf, fromXds } from "../../tools/envoy";
import { lab } from "../../tools/lab";
import { Kube, MeshSource, ProxyNode } from "../../tools/live";
import { RenderedObject, render } from "../../tools/render";
import { PROJECT_ROOT } from "../../tools/stackConfig";
import { STEPS, STEP_KEYS, findStep, stepConfig, stepsOf } from "../../tools/steps";
import { stackConfig, tempDir, withEnv } from "../helpers";

interface Recorded {
    readonly node: ProxyNode;
    readonly labels: Record<string, string>;
    readonly answer: unknown;
}

const recorded = (file: string) =>
    JSON.parse(readFileSync(path.join(PROJECT_ROOT, "tests", "fixtures", "istiod", `${file}.json`), "utf8")) as Recorded[];

const step = (name: string) => STEPS.find((s) => s.name === name)!;

async function stepObjects(stack: string, name: string, over: Record<string, string> = {}) {
    const base = { ...stackConfig(stack), ...over };
    const config = stepConfig(base, parseConfig(base), step(name));
    const run = await runLab(config, { stack });
    return { run, objects: render(run.resources) };
}

/** The API server's copy of rendered objects (kind, metadata, spec), with the defaults a server adds. */
const liveOf = (objects: readonly RenderedObject[]): LiveObject[] =>
    objects.map(
        (o) => JSON.parse(JSON.stringify({ ...o.manifest, metadata: { ...(o.manifest.metadata as object), uid: "u-1" } })) as LiveObject,
    );

/** A cluster that answers kubectl from these pods and objects, and a source that answers for each pod's proxy from a recording. */
function cluster(recording: Recorded[], live: LiveObject[]): { kube: Kube; source: MeshSource; asked: ProxyNode[] } {
    const sleepAnswer = fromXds(recording.find((r) => r.labels.app === "sleep")!.answer);
    const legacyIp = endpointsOf(sleepAnswer, "outbound|8000||httpbin.legacy.svc.cluster.local")[0].address;
    const pod = (namespace: string, name: string, ip: string, labels: Record<string, string>, proxied: boolean) => ({
        metadata: { namespace, name, labels },
        spec: { containers: [{ name: labels.app, image: "x" }, ...(proxied ? [{ name: "istio-proxy", image: "y" }] : [])] },
        status: { podIP: ip, phase: "Running" },
    });
    const pods = [
        ...recording.map((r) => pod(r.node.namespace, r.node.pod, r.node.ip, r.labels, true)),
        pod("legacy", "httpbin-5b8d7f9c4d-aaaaa", legacyIp, { app: "httpbin" }, false),
        pod("legacy", "sleep-6c9f8d7b5c-bbbbb", "10.244.255.1", { app: "sleep" }, false),
    ];
    const asked: ProxyNode[] = [];
    const kube: Kube = {
        kubectl(args) {
            if (args[1] === "pods") {
                return JSON.stringify({ items: pods });
            }
            const kind = {
                virtualservices: "VirtualService",
                destinationrules: "DestinationRule",
                peerauthentications: "PeerAuthentication",
                httproutes: "HTTPRoute",
            }[args[1].split(".")[0]];
            return JSON.stringify({ items: live.filter((o) => o.kind === kind) });
        },
    };
    const source: MeshSource = {
        name: "the recording",
        read(nodes) {
            asked.push(...nodes);
            return nodes.map((n) => fromXds(recording.find((r) => r.node.pod === n.pod)!.answer));
        },
    };
    return { kube, source, asked };
}

describe("lab steps", () => {
    it("names the steps after the seed documents, in their order, from one table", async () => {
        expect(STEPS.map((s) => s.name)).to.deep.equal([
            "all-v1",
            "ab-test",
            "canary-80-20",
            "all-v2",
            "round-robin",
            "circuit-breaker",
            "circuit-breaker-v2",
            "client-tls-istio-mutual",
            "client-tls-disable",
            "mtls",
            "step-8",
            "step-9",
            "step-10",
            "step-11",
            "step-12",
            "step-13",
        ]);
        const r = await lab(["steps", "--stack", "peer-auth", "--json"]);
        expect(r.code).to.equal(0);
        expect((JSON.parse(r.stdout) as Array<{ name: string }>).map((s) => s.name)).to.deep.equal([
            "step-8",
            "step-9",
            "step-10",
            "step-11",
            "step-12",
            "step-13",
        ]);
    });

    it("sets only the keys its lab's steps decide (the mTLS step adds its policy)", () => {
        for (const s of STEPS) {
            const keys = Object.keys(stepConfig({}, parseConfig(stackConfig("kubernetes")), s));
            const allowed = s.name === "mtls" ? [...STEP_KEYS[s.lab], "istio-lab:peerAuth"] : STEP_KEYS[s.lab];
            expect(
                keys.filter((k) => !allowed.includes(k)),
                s.name,
            ).to.deep.equal([]);
        }
    });

    it("makes a step the whole of its lab's state: all-v1 after the A/B test has no header match", () => {
        const base = { ...stackConfig("dev"), "istio-lab:abTest": "{}", "istio-lab:clientTls": "DISABLE", "istio-lab:canaryWeight": "50" };
        const config = stepConfig(base, parseConfig(base), step("all-v1"));
        expect(config["istio-lab:abTest"]).to.equal(undefined);
        expect(config["istio-lab:clientTls"]).to.equal(undefined);
        expect(config["istio-lab:canaryWeight"]).to.equal("0");
        expect(config["istio-lab:recipe"]).to.equal("kubernetes");
    });

    it("puts the mTLS step's policy on the guestbook's namespace as the stack names it", () => {
        const base = { ...stackConfig("dev"), "istio-lab:guestbook": JSON.stringify({ namespace: "shop" }) };
        const config = stepConfig(base, parseConfig(base), step("mtls"));
        expect(JSON.parse(config["istio-lab:peerAuth"])).to.deep.equal([{ mode: "STRICT", scope: "namespace", namespace: "shop" }]);
    });

    it("offers ambient stacks only the steps ambient mode allows, and says why one is not", () => {
        const ambient = parseConfig({ ...stackConfig("peer-auth"), "istio-lab:dataplane": "ambient" });
        expect(stepsOf(ambient).map((s) => s.name)).to.deep.equal(["step-8", "step-9", "step-10", "step-11"]);
        expect(findStep(ambient, "step-12")).to.equal(
            '--step "step-12" is not a step in ambient mode (the lab refuses DISABLE there); expected one of step-8, step-9, step-10, step-11',
        );
        expect(findStep(ambient, "all-v1")).to.equal(
            '--step "all-v1" belongs to the traffic lab, which this stack does not have; expected one of step-8, step-9, step-10, step-11',
        );
        expect(findStep(ambient, "step-99")).to.equal('--step "step-99" is not a step; expected one of step-8, step-9, step-10, step-11');
    });
});

describe("lab check: objects", () => {
    it("compares the fields the step sets, ignoring what the API server adds", () => {
        expect(fieldDifferences({ a: 1, b: [{ c: "x" }] }, { a: 1, b: [{ c: "x", d: 2 }], e: 3 }, "spec")).to.deep.equal([]);
        expect(fieldDifferences({ a: [1, 2] }, { a: [1] }, "spec")).to.deep.equal(["spec.a: expected [1,2], live [1]"]);
        expect(fieldDifferences({ a: { b: 20 } }, { a: { b: 0 } }, "spec")).to.deep.equal(["spec.a.b: expected 20, live 0"]);
        expect(fieldDifferences({ a: "x" }, {}, "spec")).to.deep.equal(['spec.a: expected "x", live (absent)']);
    });

    it("passes the step's own objects and names each field of another step's that differs", async () => {
        const canary = await stepObjects("dev", "canary-80-20");
        expect(objectsLevel(canary.objects, liveOf(canary.objects))).to.deep.equal({ checked: 3, differences: [] });
        const allV1 = await stepObjects("dev", "all-v1");
        const r = objectsLevel(canary.objects, liveOf(allV1.objects));
        expect(r.differences).to.deep.equal([
            'VirtualService guestbook/virtual-service-guestbook: spec.http[0].route: expected [{"destination":{"host":"guestbook","subset":"v1"},"weight":80},{"destination":{"host":"guestbook","subset":"v2"},"weight":20}], live [{"destination":{"host":"guestbook","subset":"v1"}}]',
        ]);
    });

    it("reports an object the step does not have, and one it has that is missing", async () => {
        const nine = await stepObjects("peer-auth", "step-9");
        const ten = await stepObjects("peer-auth", "step-10");
        expect(objectsLevel(ten.objects, liveOf(nine.objects)).differences).to.deep.equal([
            "PeerAuthentication foo/namespace-wide-policy: missing (the step has it)",
            "PeerAuthentication istio-system/default: present, but the step does not have it",
        ]);
    });
});

describe("lab check: mesh, on what istiod sent (recorded)", () => {
    it("passes step 9 on its own recording, asking once for each proxy", async () => {
        const nine = await stepObjects("peer-auth", "step-9");
        const c = cluster(recorded("peer-auth-step-9-mesh-strict"), liveOf(nine.objects));
        const r = checkStep({
            ...nine,
            step: step("step-9"),
            stack: "peer-auth",
            config: nine.run.config,
            split: null,
            ...c,
            levels: ["objects", "mesh"],
        });
        expect(passed(r), formatCheck(r, step("step-9"))).to.equal(true);
        expect(r.levels.mesh!.checked).to.equal(9);
        expect(c.asked.map((n) => `${n.type} ${n.pod}.${n.namespace}`)).to.deep.equal([
            "sidecar httpbin-779ffc4d46-b6rmm.foo",
            "sidecar httpbin-779ffc4d46-76xsc.bar",
            "sidecar sleep-5bc4fbdd45-7qdwx.foo",
            "sidecar sleep-5bc4fbdd45-9n68s.bar",
        ]);
    });

    it("fails step 8 on step 9's mesh with exactly the legacy caller's cells, naming the policy that decides them", async () => {
        const nine = await stepObjects("peer-auth", "step-9");
        const eight = await stepObjects("peer-auth", "step-8");
        const c = cluster(recorded("peer-auth-step-9-mesh-strict"), liveOf(nine.objects));
        const r = checkStep({
            ...eight,
            step: step("step-8"),
            stack: "peer-auth",
            config: eight.run.config,
            split: null,
            ...c,
            levels: ["mesh"],
        });
        expect(r.levels.objects).to.equal(undefined);
        expect(r.levels.mesh!.differences).to.deep.equal([
            "matrix legacy to foo: expected 200, got 000: PeerAuthentication istio-system/default is STRICT",
            "matrix legacy to bar: expected 200, got 000: PeerAuthentication istio-system/default is STRICT",
        ]);
        const text = formatCheck(r, step("step-8"));
        expect(text.split("\n")).to.deep.equal([
            "step step-8 (peer-auth lab: step 8: no policy) on stack peer-auth",
            "mesh: 2 differences (9 cells checked, from the recording)",
            "  matrix legacy to foo: expected 200, got 000: PeerAuthentication istio-system/default is STRICT",
            "  matrix legacy to bar: expected 200, got 000: PeerAuthentication istio-system/default is STRICT",
            "FAIL: step step-8 is not in place: matrix legacy to foo: expected 200, got 000: PeerAuthentication istio-system/default is STRICT",
        ]);
    });

    it("fails step 12 on step 13's mesh at both levels", async () => {
        const thirteen = await stepObjects("peer-auth", "step-13");
        const twelve = await stepObjects("peer-auth", "step-12");
        const c = cluster(recorded("peer-auth-step-13-namespace-strict-workload-disable"), liveOf(thirteen.objects));
        const r = checkStep({
            ...twelve,
            step: step("step-12"),
            stack: "peer-auth",
            config: twelve.run.config,
            split: null,
            ...c,
            levels: ["objects", "mesh"],
        });
        expect(passed(r)).to.equal(false);
        expect(r.levels.objects!.differences.length).to.be.greaterThan(0);
        expect(r.levels.mesh!.differences.map((d) => d.slice(0, d.indexOf(": expected")))).to.deep.equal([
            "matrix foo to foo",
            "matrix foo to bar",
            "matrix bar to foo",
            "matrix bar to bar",
        ]);
    });
});

describe("lab check: refusals", () => {
    const check = (...args: string[]) => lab(["check", "--stack", "peer-auth", ...args]);

    it("needs --step and names the stack's steps", async () => {
        const r = await check();
        expect(r).to.deep.equal({
            stdout: "",
            stderr: "check needs --step NAME; expected one of step-8, step-9, step-10, step-11, step-12, step-13\n",
            code: 2,
        });
    });

    it("refuses a bad level, a timeout without --watch, a bad istiod address and --istiod without its client", async () => {
        expect((await check("--step", "step-9", "--level", "probe")).stderr).to.equal(
            '--level "probe": "probe" is not a level; expected objects, mesh or objects,mesh\n',
        );
        expect((await check("--step", "step-9", "--timeout", "5")).stderr).to.equal(
            "--timeout is for --watch; give --watch too, or leave --timeout out\n",
        );
        expect((await check("--step", "step-9", "--watch", "--timeout", "0")).stderr).to.equal(
            '--timeout "0" is not allowed; expected whole seconds from 1 to 3600\n',
        );
        const ISTIOD_ALLOWED =
            "expected HOST:PORT of istiod's plaintext xDS port (a DNS name or an IP address, IPv6 in brackets, and a port from 1 to 65535), e.g. 127.0.0.1:15010\n";
        for (const [address, problem] of [
            ["istiod", "it has no port"],
            ["127.0.0.1:70000", 'port "70000" is not from 1 to 65535'],
            ["127.0.0.1:0", 'port "0" is not from 1 to 65535'],
            ["istiod.istio-system:-1", 'port "-1" is not from 1 to 65535'],
            ["::1:15010", '"::1" is not a host'],
            ["[not-v6]:15010", '"[not-v6]" is not a host'],
            ["istiod_x:15010", '"istiod_x" is not a host'],
        ]) {
            expect((await check("--step", "step-9", "--istiod", address)).stderr).to.equal(
                `--istiod ${JSON.stringify(address)} is not allowed (${problem}); ${ISTIOD_ALLOWED}`,
            );
        }
        const saved = process.env.ISTIO_LAB_XDSDUMP;
        delete process.env.ISTIO_LAB_XDSDUMP;
        try {
            expect((await check("--step", "step-9", "--istiod", "127.0.0.1:15010")).code).to.equal(2);
        } finally {
            if (saved !== undefined) {
                process.env.ISTIO_LAB_XDSDUMP = saved;
            }
        }
    });

    it("--kubeconfig is a kube config file: a directory or a missing file is refused, naming it", async () => {
        const dir = tempDir("lab-kubeconfig-dir-");
        expect(await check("--step", "step-9", "--kubeconfig", dir)).to.deep.equal({
            stdout: "",
            stderr: `--kubeconfig ${dir}: it is a directory; expected a kube config file (attendees' kubeconfigs are written with attendees --kubeconfig-dir DIR)\n`,
            code: 2,
        });
        const missing = path.join(dir, "none");
        expect((await lab(["status", "--stack", "dev", "--set", "attendees=2", "--kubeconfig", missing])).stderr).to.equal(
            `--kubeconfig ${missing}: no such file; expected the kube config file of the cluster to read\n`,
        );
    });

    it("exits 2 with kubectl's reason when the cluster cannot be read", async () => {
        await withEnv("ISTIO_LAB_KUBECTL", "/nonexistent/kubectl", async () => {
            expect(await check("--step", "step-9")).to.deep.equal({
                stdout: "FAIL: step step-9 could not be checked: cannot run /nonexistent/kubectl: ENOENT\n",
                stderr: "cannot check step step-9: cannot run /nonexistent/kubectl: ENOENT\n",
                code: 2,
            });
        });
    });
});
