// tools/ztunnel.ts on what the real istiod (1.31.0) sent ztunnel for the ambient stack (Pulumi.ambient.yaml,
// canary 80/20, mesh-wide STRICT) in the e2e harness, with the guestbook's pods marked
// `ambient.istio.io/redirection: enabled` by hand as the CNI agent marks the pods it redirects (the harness's
// CNI agent is played by kwok and marks nothing); and the ingress gateway's clusters for the same pods.
import { expect } from "chai";
import { chmodSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { endpointsOf, fromXds, sendsMtls } from "../../tools/envoy";
import { PROJECT_ROOT } from "../../tools/stackConfig";
import { MeshPod, callVerdict } from "../../tools/verdict";
import { configDumpSource, kubectlOf } from "../../tools/live";
import {
    Authorization,
    addressText,
    fromZtunnelConfigDump,
    fromZtunnelXds,
    policiesOf,
    workloadAt,
    ztunnelAccepts,
    ztunnelAllows,
} from "../../tools/ztunnel";
import { tempDir } from "../helpers";

const [ztunnelNode, gatewayNode] = JSON.parse(
    readFileSync(path.join(PROJECT_ROOT, "tests", "fixtures", "istiod", "ambient-canary-80-20.json"), "utf8"),
) as Array<{ answer: unknown }>;
const zt = fromZtunnelXds(ztunnelNode.answer);
const gateway = fromXds(gatewayNode.answer);
/** The workloads ztunnel captures: the guestbook's 9 pods, by Deployment. */
const CAPTURED = [
    "guestbook-v1",
    "guestbook-v1",
    "guestbook-v1",
    "guestbook-v2",
    "guestbook-v2",
    "guestbook-v2",
    "redis-master",
    "redis-slave",
    "redis-slave",
];
const workload = (name: string) => zt.workloads.find((w) => w.name.startsWith(name))!;
const mesh = { principal: "spiffe://cluster.local/ns/istio-system/sa/guestbook-gateway-istio", namespace: "istio-system" };

describe("tools/ztunnel on istiod's answer to ztunnel (ambient, Istio 1.31.0)", () => {
    it("reads the workload API's addresses as text", () => {
        expect(addressText("CvQACg==")).to.equal("10.244.0.10");
        expect(addressText(Buffer.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]).toString("base64"))).to.equal(
            "2001:db8:0:0:0:0:0:1",
        );
    });

    it("the guestbook's 9 pods are captured (HBONE); the gateway, the waypoint and the control plane's pods are not", () => {
        expect(
            zt.workloads
                .filter((w) => w.captured)
                .map((w) => w.name.replace(/-[a-z0-9]+-[a-z0-9]+$/, ""))
                .sort(),
        ).to.deep.equal(CAPTURED);
        expect(["guestbook-gateway-istio", "waypoint", "istiod", "ztunnel"].map((n) => workload(n).captured)).to.deep.equal([
            false,
            false,
            false,
            false,
        ]);
        expect(workloadAt(zt, "10.244.0.8")?.name).to.match(/^redis-master-/);
    });

    it("mesh-wide STRICT: each workload carries the converted static strict policy, which refuses plain text and takes mutual TLS", () => {
        const redis = workload("redis-master");
        expect(policiesOf(zt, redis).map((p) => `${p.namespace}/${p.name} ${p.action}`)).to.deep.equal([
            "istio-system/istio_converted_static_strict DENY",
        ]);
        expect(ztunnelAccepts(zt, redis, 6379, mesh)).to.deep.equal({ mtls: true, plaintext: false });
    });

    it("the ingress gateway reaches the captured pods through its HBONE tunnel, so it sends them mutual TLS", () => {
        const v1 = "outbound|80||guestbook-v1.guestbook.svc.cluster.local";
        const endpoints = endpointsOf(gateway, v1);
        expect(endpoints.map((e) => [e.port, e.tunnel]).sort()).to.deep.equal([
            [3000, true],
            [3000, true],
            [3000, true],
        ]);
        expect(endpoints.map((e) => sendsMtls(gateway, v1, e.address))).to.deep.equal([true, true, true]);
        expect(endpoints.every((e) => workloadAt(zt, e.address)?.captured)).to.equal(true);
    });

    describe("policies of other shapes (written here in the shapes istiod converts PeerAuthentication to)", () => {
        const strictButPort80: Authorization = {
            name: "converted_peer_authentication_httpbin",
            namespace: "bar",
            scope: "WORKLOAD_SELECTOR",
            action: "DENY",
            groups: [{ rules: [{ matches: [{ notDestinationPorts: [80] }] }, { matches: [{ notPrincipals: [{ presence: {} }] }] }] }],
        };
        const httpbin = {
            name: "httpbin",
            namespace: "bar",
            addresses: ["10.0.0.9"],
            serviceAccount: "httpbin",
            captured: true,
            policies: ["bar/converted_peer_authentication_httpbin"],
        };
        const cfg = { workloads: [httpbin], authorizations: [strictButPort80] };

        it("STRICT with port 80 DISABLE: plain text through on 80 only, mutual TLS on every port", () => {
            expect(ztunnelAccepts(cfg, httpbin, 80, mesh)).to.deep.equal({ mtls: true, plaintext: true });
            expect(ztunnelAccepts(cfg, httpbin, 8080, mesh)).to.deep.equal({ mtls: true, plaintext: false });
        });

        it("a workload-selected policy applies only to the workloads that name it; an ALLOW lets through only what it matches", () => {
            expect(policiesOf(cfg, { ...httpbin, policies: [] })).to.deep.equal([]);
            const allowFoo: Authorization = {
                name: "allow-foo",
                namespace: "bar",
                scope: "NAMESPACE",
                action: "ALLOW",
                groups: [{ rules: [{ matches: [{ namespaces: [{ exact: "foo" }] }] }] }],
            };
            const c = { workloads: [httpbin], authorizations: [allowFoo] };
            expect(ztunnelAllows(c, httpbin, { port: 80, principal: "spiffe://cluster.local/ns/foo/sa/sleep", namespace: "foo" })).to.equal(
                true,
            );
            expect(ztunnelAllows(c, httpbin, { port: 80, principal: "spiffe://cluster.local/ns/bar/sa/sleep", namespace: "bar" })).to.equal(
                false,
            );
        });

        it("a condition it does not read is an error naming it, never a guess", () => {
            const bySource: Authorization = {
                ...strictButPort80,
                groups: [{ rules: [{ matches: [{ sourceIps: [{ address: "CgAAAQ==", length: 32 }] }] }] }],
            };
            expect(() => ztunnelAllows({ workloads: [httpbin], authorizations: [bySource] }, httpbin, { port: 80 })).to.throw(
                "ztunnel policy: the sourceIps condition is not read here (only principals, namespaces and ports)",
            );
        });
    });

    describe("callVerdict with what istiod sends ztunnel", () => {
        const pod = (name: string, namespace: string, ip: string, proxy: MeshPod["proxy"] = null): MeshPod => ({
            namespace,
            name,
            ip,
            labels: {},
            proxy,
        });
        const at = (prefix: string) => pod(prefix, "guestbook", workload(prefix).addresses[0]);
        const ingress = pod("guestbook-gateway-istio", "istio-system", workload("guestbook-gateway-istio").addresses[0], gateway);
        const v1 = "outbound|80||guestbook-v1.guestbook.svc.cluster.local";
        const redis = "redis-master.guestbook.svc.cluster.local";
        const short = (v: ReturnType<typeof callVerdict>) => `${v.code} ${v.sent}`;

        it("the ingress to a captured guestbook pod: HBONE, which the mesh-wide STRICT policy lets through", () => {
            expect(short(callVerdict(ingress, at("guestbook-v1"), "guestbook-v1.guestbook.svc.cluster.local", 80, 3000, v1, zt))).to.equal(
                "200 mtls",
            );
        });

        it("captured to captured: ztunnel sends HBONE; without ztunnel's view the same call reads as plain text", () => {
            expect(short(callVerdict(at("guestbook-v1"), at("redis-master"), redis, 6379, 6379, undefined, zt))).to.equal("200 mtls");
            expect(short(callVerdict(at("guestbook-v1"), at("redis-master"), redis, 6379, 6379))).to.equal("200 plaintext");
        });

        it("a caller outside the mesh to a captured pod: plain text, which STRICT refuses (000, a reset)", () => {
            expect(short(callVerdict(pod("sleep", "legacy", "10.244.9.9"), at("redis-master"), redis, 6379, 6379, undefined, zt))).to.equal(
                "000 plaintext",
            );
        });

        it("captured to a workload ztunnel does not capture (istiod's pod): plain text, taken as it is", () => {
            const istiod = pod("istiod", "istio-system", workload("istiod").addresses[0]);
            expect(
                short(callVerdict(at("guestbook-v1"), istiod, "istiod.istio-system.svc.cluster.local", 15010, 15010, undefined, zt)),
            ).to.equal("200 plaintext");
        });
    });
});

// ztunnel's own /config_dump of the same mesh (tests/fixtures/ztunnel: the recorded answer above written as
// ztunnel's serde writes its proxy state, src/state.rs and src/rbac.rs of istio/ztunnel: `workloadIps`,
// `protocol`, policies' `rules` as groups of clauses of matches, `Deny`, `WorkloadSelector`, `{"Presence": []}`).
describe("tools/ztunnel on ztunnel's own config dump (a real ambient cluster)", () => {
    const dump = JSON.parse(
        readFileSync(path.join(PROJECT_ROOT, "tests", "fixtures", "ztunnel", "ambient-canary-80-20-config-dump.json"), "utf8"),
    ) as { policies: unknown[] };
    const byName = (c: ReturnType<typeof fromZtunnelXds>) => ({
        workloads: [...c.workloads].sort((a, b) => a.name.localeCompare(b.name)),
        authorizations: c.authorizations,
    });

    it("reads to exactly what istiod sent ztunnel for the same mesh", () => {
        const fromDump = fromZtunnelConfigDump(dump);
        expect(byName(fromDump)).to.deep.equal(byName(zt));
        expect(fromDump.workloads.filter((w) => w.captured).map((w) => w.name.replace(/-[a-z0-9]+-[a-z0-9]+$/, ""))).to.deep.equal(
            CAPTURED,
        );
        const v1 = workloadAt(fromDump, workload("guestbook-v1").addresses[0])!;
        expect(ztunnelAccepts(fromDump, v1, 3000, mesh)).to.deep.equal({ mtls: true, plaintext: false });
    });

    it("leaves out a policy in dry run, and refuses what it cannot read", () => {
        const dry = {
            workloads: [],
            policies: [
                {
                    name: "p",
                    namespace: "n",
                    scope: "Namespace",
                    action: "Deny",
                    rules: [[[{ notPrincipals: [{ Presence: [] }] }]]],
                    dryRun: true,
                },
            ],
        };
        expect(fromZtunnelConfigDump(dry).authorizations).to.deep.equal([]);
        expect(() => fromZtunnelConfigDump({ addresses: [] })).to.throw(
            "a ztunnel config dump is an object with workloads and policies (ztunnel's /config_dump)",
        );
        expect(() =>
            fromZtunnelConfigDump({
                workloads: [],
                policies: [{ ...dry.policies[0], dryRun: false, rules: [[[{ principals: [{ Regex: "x" }] }]]] }],
            }),
        ).to.throw('ztunnel config dump: a string match this reader does not know: {"Regex":"x"}');
    });

    it("is fetched from ztunnel's admin port through kubectl port-forward, which is stopped afterwards", () => {
        const dir = tempDir("lab-ztunnel-forward-");
        const body = path.join(dir, "dump.json");
        writeFileSync(body, JSON.stringify(dump));
        // A kubectl whose port-forward serves the dump on a local port, as the real one forwards ztunnel's 15000.
        writeFileSync(
            path.join(dir, "kubectl"),
            `#!${process.execPath}
const fs = require("fs");
fs.writeFileSync(${JSON.stringify(path.join(dir, "args"))}, JSON.stringify(process.argv.slice(2)));
fs.writeFileSync(${JSON.stringify(path.join(dir, "pid"))}, String(process.pid));
const server = require("http").createServer((req, res) => res.end(req.url === "/config_dump" ? fs.readFileSync(${JSON.stringify(body)}) : "no"));
server.listen(0, "127.0.0.1", () => console.log("Forwarding from 127.0.0.1:" + server.address().port + " -> 15000"));
`,
        );
        chmodSync(path.join(dir, "kubectl"), 0o755);
        const kube = kubectlOf({ kubectl: path.join(dir, "kubectl"), kubeconfig: "/tmp/kc" });
        const [read] = configDumpSource(kube).read([
            { type: "ztunnel", ip: "10.244.0.3", pod: "ztunnel-x7k2p", namespace: "istio-system" },
        ]);
        expect(byName(read as ReturnType<typeof fromZtunnelXds>)).to.deep.equal(byName(zt));
        expect(JSON.parse(readFileSync(path.join(dir, "args"), "utf8"))).to.deep.equal([
            "--kubeconfig",
            "/tmp/kc",
            "port-forward",
            "-n",
            "istio-system",
            "pod/ztunnel-x7k2p",
            ":15000",
        ]);
        const pid = Number(readFileSync(path.join(dir, "pid"), "utf8"));
        expect(() => process.kill(pid, 0)).to.throw(/ESRCH/);
    });
});
