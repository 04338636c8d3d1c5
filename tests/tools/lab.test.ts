import { expect } from "chai";
import { execFileSync } from "child_process";
import { copyFileSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { USAGE, lab } from "../../tools/lab";
import { ProbeResult } from "../../tools/matrix";
import { PROJECT_ROOT, projectDir, stackFile } from "../../tools/stackConfig";
import { peerAuthMatrix, ProbeRow, probeTable, tempDir, lessImageNotes } from "../helpers";

const PEER = ["--stack", "peer-auth", "--set"];
const table = (rows: ProbeRow[]) => probeTable(rows);
const matrix = (peerAuth: unknown[]) => peerAuthMatrix(peerAuth);

describe("lab command", () => {
    describe("render", () => {
        it("prints the dev lab's objects as YAML in apply order, each with its type, name and parent", async () => {
            const r = await lab(["render"]);
            expect(r.code).to.equal(0);
            const docs = parseAllDocuments(r.stdout).map(
                (d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } },
            );
            expect(docs.map((d) => `${d.kind} ${d.metadata.namespace ?? ""}/${d.metadata.name}`)).to.deep.equal([
                "Namespace /istio-system",
                "Release istio-system/istio-base",
                "Release istio-system/istiod",
                "Release istio-system/istio-ingressgateway",
                "Namespace /guestbook",
                "Deployment guestbook/redis-master",
                "Service guestbook/redis-master",
                "Deployment guestbook/redis-slave",
                "Service guestbook/redis-slave",
                "Deployment guestbook/guestbook-v1",
                "Deployment guestbook/guestbook-v2",
                "Service guestbook/guestbook",
                "Secret istio-system/guestbook-gateway-credential",
                "Gateway guestbook/guestbook-gateway",
                "DestinationRule guestbook/destination-rule-guestbook",
                "VirtualService guestbook/virtual-service-guestbook",
                "PeerAuthentication istio-system/default",
            ]);
            expect(r.stdout.split("\n")[0]).to.equal("# kubernetes:core/v1:Namespace control-plane-namespace (parent: control-plane)");
            expect(r.stdout).to.contain("# kubernetes:networking.istio.io/v1:VirtualService traffic-virtual-service (parent: traffic)\n");
        });

        it("prints JSON with type, name, parent and manifest; a Helm release as its Release", async () => {
            const r = await lab(["render", "--json", "--set", "istio-lab:canaryWeight=50"]);
            const objects = JSON.parse(r.stdout) as Array<{
                type: string;
                name: string;
                parent: string | null;
                manifest: Record<string, unknown>;
            }>;
            expect(objects[1]).to.deep.equal({
                type: "kubernetes:helm.sh/v3:Release",
                name: "control-plane-istio-base",
                parent: "control-plane",
                manifest: {
                    apiVersion: "helm.sh/v3",
                    kind: "Release",
                    metadata: { name: "istio-base", namespace: "istio-system" },
                    chart: "base",
                    version: "1.31.3",
                    repositoryOpts: { repo: "https://blob.istio.io/istio-release/charts" },
                    values: { defaultRevision: "default" },
                },
            });
            const vs = objects.find((o) => o.name === "traffic-virtual-service")!;
            expect((vs.manifest.spec as { http: unknown[] }).http).to.deep.equal([
                {
                    route: [
                        { destination: { host: "guestbook", subset: "v1" }, weight: 50 },
                        { destination: { host: "guestbook", subset: "v2" }, weight: 50 },
                    ],
                },
            ]);
        });

        it("writes one file per object with --out", async () => {
            const dir = tempDir("lab-render-");
            const r = await lab(["render", "--stack", "openshift", "--set", "tracing=true", "--out", dir]);
            expect(r.stdout).to.equal(`wrote 24 objects to ${dir}\n`);
            const files = readdirSync(dir).sort();
            expect(files[0]).to.equal("001-Namespace_openshift-operators-redhat.yaml");
            expect(files[23]).to.equal("024-DestinationRule_istio-system_destinationrule-mtls-istio-mutual.yaml");
        });

        it("exits 2 with the program's message on bad config, and on bad arguments", async () => {
            expect(await lab(["render", "--set", "istio-lab:canaryWeight=150"])).to.deep.equal({
                stdout: "",
                stderr: "istio-lab:canaryWeight: 150 is not allowed; expected an integer from 0 to 100\n",
                code: 2,
            });
            expect((await lab(["deploy"])).code).to.equal(2);
            expect((await lab(["render", "--stack", "nope"])).code).to.equal(2);
            expect((await lab(["render", "--set", "canaryWeight"])).stderr).to.equal(
                '--set "canaryWeight" is not allowed; expected key=value, e.g. istio-lab:canaryWeight=50\n',
            );
        });

        it("refuses a key set twice by --set, with or without istio-lab:, naming both (not the last one silently)", async () => {
            expect(await lab(["validate", "--set", "canaryWeight=20", "--set", "istio-lab:canaryWeight=50"])).to.deep.equal({
                stdout: "",
                stderr: '--set "istio-lab:canaryWeight=50": istio-lab:canaryWeight is already set by --set "canaryWeight=20"; set each key once\n',
                code: 2,
            });
            expect((await lab(["validate", "--set", "canaryWeight=20", "--set", "attendees=2"])).code).to.equal(0);
        });
    });

    describe("matrix reproduces the peer authentication lab's tables", () => {
        it("step 8: no policy", async () => {
            expect(await matrix([])).to.deep.equal(
                table([
                    ["foo", "foo", "200", true],
                    ["foo", "bar", "200", true],
                    ["foo", "legacy", "200", false],
                    ["bar", "foo", "200", true],
                    ["bar", "bar", "200", true],
                    ["bar", "legacy", "200", false],
                    ["legacy", "foo", "200", false],
                    ["legacy", "bar", "200", false],
                    ["legacy", "legacy", "200", false],
                ]),
            );
        });

        it("step 9: mesh-wide STRICT", async () => {
            expect(await matrix([{ mode: "STRICT", scope: "mesh" }])).to.deep.equal(
                table([
                    ["foo", "foo", "200", true],
                    ["foo", "bar", "200", true],
                    ["foo", "legacy", "200", false],
                    ["bar", "foo", "200", true],
                    ["bar", "bar", "200", true],
                    ["bar", "legacy", "200", false],
                    ["legacy", "foo", "000", false],
                    ["legacy", "bar", "000", false],
                    ["legacy", "legacy", "200", false],
                ]),
            );
        });

        it("step 10: namespace foo STRICT", async () => {
            expect(await matrix([{ mode: "STRICT", scope: "namespace", namespace: "foo" }])).to.deep.equal(
                table([
                    ["foo", "foo", "200", true],
                    ["foo", "bar", "200", true],
                    ["foo", "legacy", "200", false],
                    ["bar", "foo", "200", true],
                    ["bar", "bar", "200", true],
                    ["bar", "legacy", "200", false],
                    ["legacy", "foo", "000", false],
                    ["legacy", "bar", "200", false],
                    ["legacy", "legacy", "200", false],
                ]),
            );
        });

        it("step 11: workload httpbin.bar STRICT with its DestinationRule", async () => {
            expect(await matrix([{ mode: "STRICT", scope: "workload", namespace: "bar", selector: { app: "httpbin" } }])).to.deep.equal(
                table([
                    ["foo", "foo", "200", true],
                    ["foo", "bar", "200", true],
                    ["foo", "legacy", "200", false],
                    ["bar", "foo", "200", true],
                    ["bar", "bar", "200", true],
                    ["bar", "legacy", "200", false],
                    ["legacy", "foo", "200", false],
                    ["legacy", "bar", "000", false],
                    ["legacy", "legacy", "200", false],
                ]),
            );
        });

        it("step 12: port 80 of httpbin.bar DISABLE under STRICT", async () => {
            const policy = {
                mode: "STRICT",
                scope: "port",
                namespace: "bar",
                selector: { app: "httpbin" },
                portLevelMtls: { "80": { mode: "DISABLE" } },
            };
            expect(await matrix([policy])).to.deep.equal(
                table([
                    ["foo", "foo", "200", true],
                    ["foo", "bar", "200", false],
                    ["foo", "legacy", "200", false],
                    ["bar", "foo", "200", true],
                    ["bar", "bar", "200", false],
                    ["bar", "legacy", "200", false],
                    ["legacy", "foo", "200", false],
                    ["legacy", "bar", "200", false],
                    ["legacy", "legacy", "200", false],
                ]),
            );
        });

        it("step 13: the workload DISABLE policy wins over the namespace STRICT one", async () => {
            const rows = await matrix([
                { mode: "STRICT", scope: "namespace", namespace: "foo", name: "namespace-peer-auth-policy-foo" },
                {
                    mode: "DISABLE",
                    scope: "workload",
                    namespace: "foo",
                    selector: { app: "httpbin" },
                    name: "workload-peer-auth-policy-httpbin-foo",
                },
            ]);
            expect(rows.find((r) => r.from === "legacy" && r.to === "foo")).to.deep.equal({
                from: "legacy",
                to: "foo",
                code: "200",
                mtls: false,
                dataplane: "sidecar",
            });
            const before = await matrix([{ mode: "STRICT", scope: "namespace", namespace: "foo", name: "namespace-peer-auth-policy-foo" }]);
            expect(before.find((r) => r.from === "legacy" && r.to === "foo")).to.deep.equal({
                from: "legacy",
                to: "foo",
                code: "000",
                mtls: false,
                dataplane: "sidecar",
            });
        });

        it("a sidecar client sending plaintext to a STRICT server gets 503", async () => {
            const rows = await matrix([
                { mode: "STRICT", scope: "workload", namespace: "bar", selector: { app: "httpbin" }, destinationRule: false },
                { mode: "DISABLE", scope: "namespace", namespace: "bar" },
            ]);
            expect(rows.filter((r) => r.to === "bar")).to.deep.equal(
                table([
                    ["foo", "bar", "503", false],
                    ["bar", "bar", "503", false],
                    ["legacy", "bar", "000", false],
                ]),
            );
        });

        it("prints the lab script's format", async () => {
            const r = await lab(["matrix", ...PEER, 'istio-lab:peerAuth=[{"mode":"STRICT","scope":"mesh"}]']);
            expect(r.stdout.split("\n").slice(0, 9)).to.deep.equal([
                "# predicted for the sidecar data plane",
                "-----",
                "X-Forwarded-Client-Cert",
                "TEST: sleep.foo to httpbin.foo: 200",
                "-----",
                "X-Forwarded-Client-Cert",
                "TEST: sleep.foo to httpbin.bar: 200",
                "-----",
                "TEST: sleep.foo to httpbin.legacy: 200",
            ]);
            expect(r.stdout).to.contain("-----\nTEST: sleep.legacy to httpbin.foo: 000\ncommand terminated with exit code 56\n-----\n");
        });
    });

    describe("matrix without the peer authentication workloads", () => {
        it("probes the paths the guestbook's traffic takes", async () => {
            const r = await lab(["matrix"]);
            expect(r.stdout).to.equal(
                [
                    "# predicted for the sidecar data plane",
                    "-----",
                    "X-Forwarded-Client-Cert",
                    "TEST: istio-ingressgateway.istio-system to guestbook-v1.guestbook: 200",
                    "-----",
                    "X-Forwarded-Client-Cert",
                    "TEST: istio-ingressgateway.istio-system to guestbook-v2.guestbook: 200",
                    "-----",
                    "X-Forwarded-Client-Cert",
                    "TEST: guestbook.guestbook to redis-master.guestbook: 200",
                    "-----",
                    "X-Forwarded-Client-Cert",
                    "TEST: guestbook.guestbook to redis-slave.guestbook: 200",
                    "-----",
                    "",
                ].join("\n"),
            );
        });

        it("shows a namespace DISABLE breaking a STRICT redis", async () => {
            const policies = [
                { mode: "DISABLE", scope: "namespace", namespace: "guestbook" },
                { mode: "STRICT", scope: "workload", namespace: "guestbook", selector: { app: "redis" }, destinationRule: false },
            ];
            const r = await lab(["matrix", "--set", `istio-lab:peerAuth=${JSON.stringify(policies)}`, "--json"]);
            expect((JSON.parse(r.stdout) as ProbeResult[]).map((x) => [x.to, x.code, x.mtls])).to.deep.equal([
                ["guestbook-v1.guestbook", "200", false],
                ["guestbook-v2.guestbook", "200", false],
                ["redis-master.guestbook", "503", false],
                ["redis-slave.guestbook", "503", false],
            ]);
        });

        it("exits 1 when the lab has nothing to probe", async () => {
            const r = await lab(["matrix", "--set", 'istio-lab:stages=["controlPlane","peerAuth"]']);
            expect(r).to.deep.equal({
                stdout: "",
                stderr: "this lab has no workloads to probe (add the mtlsLab or guestbook stage)\n",
                code: 1,
            });
        });
    });

    describe("command line", () => {
        const dir = tempDir("lab-cli-");
        const file = (name: string, text: string) => {
            const f = path.join(dir, name);
            writeFileSync(f, text);
            return f;
        };
        const fail = (stderr: string) => ({ stdout: "", stderr: `${stderr}\n`, code: 2 });

        for (const argv of [["--help"], ["-h"], []]) {
            it(`${JSON.stringify(argv)} prints the usage with exit 0`, async () => {
                expect(await lab(argv)).to.deep.equal({ stdout: `${USAGE}\n`, stderr: "", code: 0 });
            });
        }

        it("NAME --help prints that command's usage with every option it takes (check's --timeout included)", async () => {
            expect(await lab(["render", "--help"])).to.deep.equal({
                stdout: [
                    "usage: npm run --silent lab -- render [options]",
                    "",
                    "every Kubernetes object the program would apply, in apply order (--out DIR: one file each)",
                    "",
                    "options:",
                    "  --stack NAME       read Pulumi.NAME.yaml (default: dev)",
                    "  --config FILE      read any stack config file instead",
                    '  --set key=value    override one setting (repeatable; "istio-lab:" may be left out; JSON for structured values)',
                    "  --json             machine-readable output",
                    "  --out DIR          render: write one file per object into DIR",
                    "  -h, --help         print this text",
                    "",
                ].join("\n"),
                stderr: "",
                code: 0,
            });
            for (const command of ["render", "validate", "matrix", "diff", "attendees", "steps", "check", "status"]) {
                const usage = (await lab([command, "-h"])).stdout;
                const listed = [...usage.matchAll(/^ {2}(?:-h, )?--([a-z-]+)/gm)].map((m) => m[1]);
                const takes = (await lab([command, "--bogus"])).stderr.split("expected one of ")[1].trim().split(", ");
                expect(listed.map((o) => `--${o}`)).to.deep.equal(takes);
            }
            expect((await lab(["check", "--help"])).stdout).to.include("  --timeout SECONDS  check --watch:");
        });

        it("takes options before the command, a negative number to the option's own check, and names an unknown option", async () => {
            expect((await lab(["--stack", "peer-auth", "matrix", "--json"])).code).to.equal(0);
            expect(await lab(["check", "--stack", "peer-auth", "--step", "step-9", "--watch", "--timeout", "-5"])).to.deep.equal(
                fail('--timeout "-5" is not allowed; expected whole seconds from 1 to 3600'),
            );
            expect(await lab(["render", "--bogus"])).to.deep.equal(
                fail("option --bogus is not allowed for render; expected one of --stack, --config, --set, --json, --out, --help"),
            );
            expect(await lab(["status", "--html"])).to.deep.equal(fail("--html needs a value; give --html VALUE"));
            expect(await lab(["check", "--stack", "--step", "x"])).to.deep.equal(
                fail("--stack needs a value before the next option; give --stack VALUE"),
            );
        });

        it("refuses an option the command does not take", async () => {
            expect(await lab(["render", "--against", "x.yaml"])).to.deep.equal(
                fail("option --against is not allowed for render; expected one of --stack, --config, --set, --json, --out"),
            );
        });

        it("render --out replaces an earlier render's files, and refuses a directory holding anything else", async () => {
            const dir = tempDir("lab-rerender-");
            await lab(["render", "--stack", "openshift", "--set", "tracing=true", "--out", dir]);
            expect(readdirSync(dir)).to.have.length(24);
            expect(await lab(["render", "--stack", "kubernetes", "--out", dir])).to.deep.equal({
                stdout: `wrote 17 objects to ${dir}\n`,
                stderr: "",
                code: 0,
            });
            expect(readdirSync(dir)).to.have.length(17);
            expect(readdirSync(dir).some((f) => f.includes("openshift-operators-redhat"))).to.equal(false);
            writeFileSync(path.join(dir, "kustomization.yaml"), "resources: []\n");
            expect(await lab(["render", "--out", dir])).to.deep.equal(
                fail(
                    `--out ${dir}: holds files lab render did not write (kustomization.yaml); expected a new or empty directory, or one an earlier lab render wrote (its files are replaced)`,
                ),
            );
            expect(readdirSync(dir)).to.have.length(18);
        });

        it("refuses an argument a command does not take, naming it", async () => {
            expect(await lab(["render", "extra"])).to.deep.equal(
                fail('unexpected argument "extra"; render takes options only (npm run --silent lab -- render --help)'),
            );
        });

        it("refuses a --stack that is a path, not a stack name", async () => {
            for (const stack of ["../../x", "/etc/passwd", "..", "a/b"]) {
                expect(await lab(["render", "--stack", stack])).to.deep.equal(
                    fail(
                        `--stack ${JSON.stringify(stack)} is not allowed; expected a stack name (letters, digits, "-", "_" and "."), e.g. dev; use --config FILE for a file elsewhere`,
                    ),
                );
            }
        });

        it("reads YAML merge keys in a stack file as the Pulumi CLI does (merged, the map's own keys winning)", async () => {
            const f = file(
                "Pulumi.merge.yaml",
                "config:\n  istio-lab:circuitBreaker: &cb\n    maxConnections: 5\n    interval: 2s\n  istio-lab:canaryWeight: 20\n  istio-lab:attendeeOverrides:\n    user1:\n      circuitBreaker:\n        <<: *cb\n        maxConnections: 7\n  istio-lab:attendees: 2\n",
            );
            const r = await lab(["attendees", "--config", f, "--json"]);
            expect(r.code, r.stderr).to.equal(0);
            const dr = await lab(["render", "--config", f, "--json"]);
            const rules = (
                JSON.parse(dr.stdout) as Array<{
                    manifest: { kind: string; metadata: { namespace: string }; spec: { trafficPolicy?: unknown } };
                }>
            )
                .filter((o) => o.manifest.kind === "DestinationRule" && o.manifest.metadata.namespace === "guestbook-user1")
                .map((o) => o.manifest.spec.trafficPolicy);
            expect(JSON.stringify(rules)).to.include('"maxConnections":7').and.include('"interval":"2s"');
        });

        it("validate, matrix and diff read a secure: value given with --set as the program reads the decrypted one", async () => {
            const f = file(
                "Pulumi.sec.yaml",
                "config:\n  istio-lab:recipe: kubernetes\n  istio-lab:canaryWeight:\n    secure: v1:abc:def\n  istio-lab:gateway:\n    hosts:\n      - secure: v1:abc:def\n",
            );
            const given = ["--config", f, "--set", "canaryWeight=30", "--set", 'gateway={"hosts":["team.example.com"]}'];
            expect(lessImageNotes(await lab(["validate", ...given]))).to.deep.equal({ stdout: "no problems\n", stderr: "", code: 0 });
            const matrix = await lab(["matrix", ...given, "--json"]);
            expect((JSON.parse(matrix.stdout) as ProbeResult[]).map((r) => r.code)).to.deep.equal(["200", "200", "200", "200"]);
            expect(await lab(["diff", ...given])).to.deep.equal({ stdout: "no changes\n", stderr: "", code: 0 });
            const changed = await lab(["diff", ...given, "--set", "abTest={}"]);
            expect(changed.code).to.equal(0);
            expect(changed.stdout).to.include("VirtualService guestbook/virtual-service-guestbook");
            const rendered = await lab(["render", ...given]);
            expect(rendered.stdout).to.include("<redacted>").and.not.include("team.example.com");
        });

        it("refuses a secure: value at a field that becomes an object's name, naming it; a secure value beside a plain name is fine", async () => {
            const refusal = (path: string, named: string) =>
                fail(
                    `${path}: "[secret]" is not allowed; expected a value in plain text: ${named} becomes an object's name, which Kubernetes cannot keep secret (names show in listings, events and the lab's output); set it without --secret`,
                );
            const nested = file("Pulumi.n.yaml", "config:\n  istio-lab:guestbook:\n    namespace:\n      secure: v1:abc:def\n");
            expect(await lab(["render", "--config", nested, "--set", 'guestbook={"namespace":"team"}'])).to.deep.equal(
                refusal("istio-lab:guestbook.namespace", "istio-lab:guestbook.namespace"),
            );
            const whole = file("Pulumi.w.yaml", "config:\n  istio-lab:attendees:\n    secure: v1:abc:def\n");
            expect(await lab(["render", "--config", whole, "--set", 'attendees=["ann","bob"]'])).to.deep.equal(
                refusal("istio-lab:attendees", "istio-lab:attendees[0]"),
            );
            const cert = file(
                "Pulumi.c.yaml",
                "config:\n  istio-lab:gateway:\n    tls:\n      credentialName:\n        secure: v1:abc:def\n",
            );
            expect(
                lessImageNotes(await lab(["validate", "--config", cert, "--set", 'gateway={"tls":{"credentialName":"team-cert"}}'])),
            ).to.deep.equal(refusal("istio-lab:gateway.tls.credentialName", "istio-lab:gateway.tls.credentialName"));
            const image = file(
                "Pulumi.i.yaml",
                "config:\n  istio-lab:recipe: kubernetes\n  istio-lab:guestbook:\n    namespace: team\n    redisMasterImage:\n      secure: v1:abc:def\n",
            );
            const r = await lab([
                "render",
                "--config",
                image,
                "--set",
                'guestbook={"namespace":"team","redisMasterImage":"registry.example.com/p/redis:1"}',
            ]);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.include("name: team").and.not.include("registry.example.com/p/redis:1");
        });

        it("refuses --out to an existing file, without a stack trace", async () => {
            const f = file("afile", "");
            expect(await lab(["render", "--out", f])).to.deep.equal(
                fail(`--out ${f}: it is a file; expected a directory (new or existing)`),
            );
            const fifo = path.join(tempDir("lab-fifo-"), "fifo");
            execFileSync("mkfifo", [fifo]);
            expect(await lab(["render", "--out", fifo])).to.deep.equal(
                fail(`--out ${fifo}: it is a FIFO; expected a directory (new or existing)`),
            );
        });

        for (const key of ["istio_lab:canaryWeight", ":canaryWeight"]) {
            it(`refuses --set ${key}=150 (an unknown namespace), rather than dropping it`, async () => {
                expect(await lab(["render", "--set", `${key}=150`])).to.deep.equal(
                    fail(
                        `--set "${key}=150": key "${key}" is not allowed; expected a key of namespace istio-lab (or kubernetes, pulumi, random, tls for their providers), e.g. "istio-lab:canaryWeight"`,
                    ),
                );
            });
        }

        const badFiles: Array<[string, string, string]> = [
            [
                "config is a list",
                "config:\n  - istio-lab:canaryWeight\n",
                'config: ["istio-lab:canaryWeight"] is not allowed; expected a map of "istio-lab:key: value"',
            ],
            [
                "the top-level key is a typo",
                "confg:\n  istio-lab:canaryWeight: 20\n",
                'top-level key "confg" is not allowed; expected config (or secretsprovider, encryptedkey, encryptionsalt, environment)',
            ],
            [
                "a key lacks its namespace",
                "config:\n  canaryWeight: 20\n",
                'key "canaryWeight" is not allowed; expected a namespaced key such as "istio-lab:canaryWeight"',
            ],
        ];
        for (const [what, text, message] of badFiles) {
            it(`refuses a --config file whose ${what}`, async () => {
                const f = file(`${what.replace(/ /g, "-")}.yaml`, text);
                expect(await lab(["render", "--config", f])).to.deep.equal(fail(`cannot read ${f}: ${message}`));
            });
        }

        it("says a secure: value cannot be read offline, never shows the ciphertext, and takes the value from --set", async () => {
            const f = file("secure.yaml", "config:\n  istio-lab:gateway:\n    routeHost:\n      secure: AAABAKmhc3Rs3Q==\n");
            const r = await lab(["render", "--config", f]);
            expect(r).to.deep.equal(
                fail(
                    `${f}: istio-lab:gateway.routeHost is a secret (secure:) value, which only the Pulumi CLI can decrypt; pass it with --set istio-lab:gateway=JSON (the whole value, with routeHost in plain text) to use it offline`,
                ),
            );
            expect(r.stderr).not.to.contain("AAAB");
            const top = file("secure-top.yaml", "config:\n  istio-lab:recipe:\n    secure: AAABAKmhc3Rs3Q==\n");
            expect((await lab(["render", "--config", top])).stderr).to.equal(
                `${top}: istio-lab:recipe is a secret (secure:) value, which only the Pulumi CLI can decrypt; pass it with --set istio-lab:recipe=VALUE to use it offline\n`,
            );
            expect((await lab(["render", "--config", f, "--set", 'istio-lab:gateway={"routeHost":"gb.example.com"}'])).code).to.equal(0);
        });

        it("keeps a secure: value given with --set secret: render shows it redacted, a message names its key only", async () => {
            const f = file(
                "secure-host.yaml",
                "config:\n  istio-lab:recipe: openshift\n  istio-lab:gateway:\n    routeHost:\n      secure: AAABAKmhc3Rs3Q==\n",
            );
            const r = await lab(["render", "--config", f, "--set", 'istio-lab:gateway={"routeHost":"secret-host.example.com"}']);
            expect(r.code).to.equal(0);
            expect(r.stdout).not.to.contain("secret-host.example.com");
            expect(r.stdout).to.contain("host: <redacted>");
            const bad = await lab(["render", "--config", f, "--set", 'istio-lab:gateway={"routeHost":"Secret_Host"}']);
            expect(bad).to.deep.equal(
                fail(
                    `istio-lab:gateway.routeHost: [secret] is not allowed; expected a DNS name without a wildcard (the OpenShift Route's host; a wildcard Route needs a wildcard policy the lab does not set)`,
                ),
            );
        });

        it("reads only regular files of bounded size as config, and says what else it was given", async () => {
            const binary = path.join(dir, "binary.yaml");
            writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]));
            const latin1 = path.join(dir, "latin1.yaml");
            writeFileSync(latin1, Buffer.from("config:\n  istio-lab:recipe: caf\xe9\n", "latin1"));
            const huge = file("huge.yaml", `config:\n  istio-lab:canaryWeight: 20\n#${"x".repeat(1024 * 1024)}\n`);
            const broken = file("broken.yaml", "config:\n  istio-lab:canaryWeight: [1, 2\n");
            const cases: Array<[string[], string]> = [
                [
                    ["--config", "/dev/zero"],
                    "cannot read /dev/zero: not a stack config file: it is a device; expected a regular file such as Pulumi.dev.yaml",
                ],
                [
                    ["--config", dir],
                    `cannot read ${dir}: not a stack config file: it is a directory; expected a regular file such as Pulumi.dev.yaml`,
                ],
                [
                    ["--config", binary],
                    `cannot read ${binary}: not a stack config file: it holds binary data (NUL bytes); expected YAML text`,
                ],
                [["--config", latin1], `cannot read ${latin1}: not a stack config file: it is not UTF-8 text; expected YAML text`],
                [
                    ["--config", huge],
                    `cannot read ${huge}: not a stack config file: it is larger than 1048576 bytes (1 MiB); a stack config file is a few kilobytes`,
                ],
                [
                    ["--config", broken],
                    `cannot read ${broken}: not a stack config file: its YAML does not parse at line 3, column 1 (Flow sequence in block collection must be sufficiently indented and end with a ])`,
                ],
            ];
            for (const [argv, message] of cases) {
                expect(await lab(["render", ...argv])).to.deep.equal(fail(message));
            }
            expect(await lab(["diff", "--against", "/dev/zero"])).to.deep.equal(
                fail("cannot read /dev/zero: not a stack config file: it is a device; expected a regular file such as Pulumi.dev.yaml"),
            );
        });

        it("refuses an option given twice, an empty one, and --json with --out; --out where nothing can be made fails at once", async () => {
            expect(await lab(["render", "--stack", "dev", "--stack", "kubernetes"])).to.deep.equal(
                fail("--stack is given twice; give it once"),
            );
            expect(await lab(["render", "--out", ""])).to.deep.equal(fail("--out is empty; give it a value"));
            const both = "--json and --out are not allowed together; --out writes one YAML file per object, --json prints them all as JSON";
            // --json prints JSON on every exit: the refusal is {"error": ...} on stdout as well.
            expect(await lab(["render", "--json", "--out", path.join(dir, "o")])).to.deep.equal({
                ...fail(both),
                stdout: `${JSON.stringify({ error: both })}\n`,
            });
            const t = Date.now();
            expect(await lab(["render", "--out", "/proc/istio-lab/out"])).to.deep.equal(
                fail("--out /proc/istio-lab/out: cannot be created (ENOENT); expected a directory (new or existing)"),
            );
            expect(Date.now() - t).to.be.below(5000);
            // --set repeats for different keys; the same key twice is refused (see "refuses a key set twice").
            expect((await lab(["render", "--set", "canaryWeight=50", "--set", "canaryWeight=60"])).code).to.equal(2);
        });

        it("says a bad value in the --against file is in that file", async () => {
            const f = file("base.yaml", "config:\n  istio-lab:canaryWeight: 150\n");
            expect(await lab(["diff", "--against", f])).to.deep.equal(
                fail(`in ${f}: istio-lab:canaryWeight: 150 is not allowed; expected an integer from 0 to 100`),
            );
        });

        it("shows YAML's .inf, .nan and !!binary as written", async () => {
            const cases: Array<[string, string]> = [
                [
                    "config:\n  istio-lab:canaryWeight: .inf\n",
                    "istio-lab:canaryWeight: .inf is not allowed; expected an integer from 0 to 100",
                ],
                [
                    "config:\n  istio-lab:guestbook:\n    redisSlaveReplicas: .NaN\n",
                    "istio-lab:guestbook.redisSlaveReplicas: .NaN is not allowed; expected an integer from 0 to 2147483647",
                ],
                [
                    "config:\n  istio-lab:recipe: !!binary aGVsbG8=\n",
                    "istio-lab:recipe: !!binary aGVsbG8= is not allowed; expected one of kubernetes, openshift, peer-auth",
                ],
            ];
            for (const [text, message] of cases) {
                expect(await lab(["render", "--config", file("written.yaml", text)])).to.deep.equal(fail(message));
            }
        });

        it("reports 1e999 as written, once", async () => {
            expect(await lab(["render", "--set", "canaryWeight=1e999"])).to.deep.equal(
                fail("istio-lab:canaryWeight: 1e999 is not allowed; expected an integer from 0 to 100"),
            );
        });
    });

    describe("validate reports what the config asks for in vain", () => {
        const validate = async (set: string) => {
            const r = await lab(["validate", "--stack", "peer-auth", "--set", set]);
            return [r.code, r.stdout];
        };

        it("a setting for a stage the lab does not have", async () => {
            expect(await validate("canaryWeight=20")).to.deep.equal([
                1,
                '- config istio-lab:canaryWeight: istio-lab:canaryWeight has no effect: this lab has no "traffic" stage; add it to istio-lab:stages or remove the setting\n',
            ]);
        });

        it("a policy in a namespace the lab does not create", async () => {
            expect(await validate('peerAuth=[{"mode":"STRICT","scope":"namespace","namespace":"prod"}]')).to.deep.equal([
                1,
                '- config istio-lab:peerAuth[0].namespace: namespace "prod" is not one this lab creates (istio-system, foo, bar, legacy): the policy needs it to exist first\n',
            ]);
        });

        it("peer authentication without a control plane", async () => {
            expect(await validate('stages=["mtlsLab","peerAuth"]')).to.deep.equal([
                1,
                '- config istio-lab:stages: "peerAuth" without "controlPlane": nothing in this lab installs the mesh that PeerAuthentication belongs to; add "controlPlane" or point the stack at a cluster that has a mesh\n',
            ]);
        });
    });

    describe("matrix follows the gateway's routes", () => {
        it("shows the traffic policy each ingress row meets, from the rule for the host the route names (both traffic APIs)", async () => {
            const policyOf = async (stack: string) =>
                (
                    JSON.parse(
                        (
                            await lab([
                                "matrix",
                                "--stack",
                                stack,
                                "--set",
                                "canaryWeight=20",
                                "--set",
                                'circuitBreaker={"subset":"v2"}',
                                "--json",
                            ])
                        ).stdout,
                    ) as ProbeResult[]
                ).map((r) => `${r.to}: ${r.policy ?? "none"}`);
            expect(await policyOf("kubernetes")).to.deep.equal([
                "guestbook-v1.guestbook: none",
                "guestbook-v2.guestbook: connectionPool, outlierDetection (DestinationRule guestbook/destination-rule-guestbook)",
                "redis-master.guestbook: none",
                "redis-slave.guestbook: none",
            ]);
            expect(await policyOf("gateway-api")).to.deep.equal([
                "guestbook-v1.guestbook: none",
                "guestbook-v2.guestbook: connectionPool, outlierDetection (DestinationRule guestbook/destination-rule-guestbook-v2)",
                "redis-master.guestbook: none",
                "redis-slave.guestbook: none",
            ]);
        });

        const rows = async (...set: string[]) => {
            const r = await lab(["matrix", "--stack", "kubernetes", ...set.flatMap((x) => ["--set", x]), "--json"]);
            return (JSON.parse(r.stdout) as ProbeResult[])
                .filter((x) => x.from.startsWith("istio-ingressgateway"))
                .map((x) => [x.to, x.code]);
        };

        it("routes only where the VirtualService sends traffic (all to v1)", async () => {
            expect(await rows()).to.deep.equal([["guestbook-v1.guestbook", "200"]]);
        });

        it("without a route bound to the gateway every version is 404", async () => {
            expect(await rows('stages=["controlPlane","guestbook","gateway","peerAuth"]')).to.deep.equal([
                ["guestbook-v1.guestbook", "404"],
                ["guestbook-v2.guestbook", "404"],
            ]);
        });

        it("a route to a version with no pods is 503", async () => {
            const versions = [
                { name: "v1", image: "ibmcom/guestbook:v1", replicas: 3, version: "1.0" },
                { name: "v2", image: "ibmcom/guestbook:v2", replicas: 0, version: "2.0" },
            ];
            expect(await rows("canaryWeight=20", `guestbook=${JSON.stringify({ versions })}`)).to.deep.equal([
                ["guestbook-v1.guestbook", "200"],
                ["guestbook-v2.guestbook", "503"],
            ]);
        });

        it("round robin reaches every version", async () => {
            expect(await rows("routing=roundRobin")).to.deep.equal([
                ["guestbook-v1.guestbook", "200"],
                ["guestbook-v2.guestbook", "200"],
            ]);
        });
    });

    describe("diff", () => {
        it("says which changes pulumi up leaves alone: a class with attendeeAccess, whose attendees own their VirtualServices", async () => {
            const dir = tempDir("lab-acc-");
            const f = path.join(dir, "Pulumi.acc.yaml");
            writeFileSync(f, "config:\n  istio-lab:recipe: kubernetes\n  istio-lab:attendees: 1\n  istio-lab:attendeeAccess: true\n");
            const r = await lab(["diff", "--config", f, "--set", "canaryWeight=40"]);
            expect(r).to.deep.equal({
                stdout: "= VirtualService guestbook-user1/virtual-service-guestbook (left as it is: pulumi up applies it only at creation; after that its owner, the attendee, sets it)\n    spec.http[1].route[0].weight\n    spec.http[1].route[1]\n",
                stderr: "",
                code: 0,
            });
            const j = JSON.parse((await lab(["diff", "--config", f, "--set", "canaryWeight=40", "--json"])).stdout) as Array<{
                leftAlone?: string[];
            }>;
            expect(j.map((c) => c.leftAlone)).to.deep.equal([["spec.http[1].route[0].weight", "spec.http[1].route[1]"]]);
        });

        it("names the TLS Secret when a host change re-issues the gateway's certificate", async () => {
            const r = await lab(["diff", "--stack", "dev", "--set", 'gateway={"hosts":["guestbook.example.com"]}']);
            expect(r.stdout).to.equal(
                "~ Gateway guestbook/guestbook-gateway\n    spec.servers[0].hosts[0]\n    spec.servers[1].hosts[0]\n~ VirtualService guestbook/virtual-service-guestbook\n    spec.hosts[0]\n~ Secret istio-system/guestbook-gateway-credential\n    stringData.tls.crt (a new certificate for the new hosts)\n",
            );
            const tlsOff = await lab(["diff", "--stack", "dev", "--set", "canaryWeight=50"]);
            expect(tlsOff.stdout).to.not.include("Secret");
        });

        it("the canary shift changes exactly one object: the VirtualService's weights", async () => {
            const r = await lab(["diff", "--stack", "dev", "--set", "istio-lab:canaryWeight=50", "--json"]);
            expect(JSON.parse(r.stdout)).to.deep.equal([
                {
                    object: "VirtualService guestbook/virtual-service-guestbook",
                    change: "changed",
                    fields: ["spec.http[0].route[0].weight", "spec.http[0].route[1].weight"],
                    replace: false,
                },
            ]);
            expect(r.code).to.equal(0);
        });

        it("marks an immutable selector change as a replace, and lists removed objects", async () => {
            const versions = [{ name: "v1", image: "ibmcom/guestbook:v1", replicas: 3, version: "1.1" }];
            // One version cannot take the dev stack's 80/20 canary, so the change also sets the weight to 0.
            const r = await lab([
                "diff",
                "--set",
                `istio-lab:guestbook=${JSON.stringify({ versions })}`,
                "--set",
                "istio-lab:canaryWeight=0",
            ]);
            expect(r.stdout.split("\n")).to.include.members([
                "~ Deployment guestbook/guestbook-v1 (replace)",
                "    spec.selector.matchLabels.version",
                "- Deployment guestbook/guestbook-v2",
            ]);
        });

        it("compares against another config file with --against (the base branch's)", async () => {
            const dir = tempDir("lab-base-");
            const baseFile = path.join(dir, "Pulumi.dev.yaml");
            writeFileSync(baseFile, "config:\n  istio-lab:recipe: kubernetes\n  istio-lab:canaryWeight: 0\n");
            const r = await lab(["diff", "--stack", "dev", "--against", baseFile]);
            expect(r.stdout).to.equal(
                [
                    "~ VirtualService guestbook/virtual-service-guestbook",
                    "    spec.http[0].route[0].weight",
                    "    spec.http[0].route[1]",
                    "",
                ].join("\n"),
            );
        });

        it("keys objects as Pulumi does (kind and logical name): a namespace rename replaces, it does not add and remove", async () => {
            const r = await lab(["diff", "--stack", "kubernetes", "--set", 'guestbook={"namespace":"gb"}', "--json"]);
            const changes = JSON.parse(r.stdout) as Array<{ object: string; change: string; replace: boolean; was?: string }>;
            expect(changes.map((c) => [c.change, c.replace])).to.deep.equal(changes.map(() => ["changed", true]));
            expect(changes.slice(0, 2)).to.deep.equal([
                { object: "Namespace gb", change: "changed", fields: ["metadata.name"], replace: true, was: "Namespace guestbook" },
                {
                    object: "Deployment gb/redis-master",
                    change: "changed",
                    fields: ["metadata.namespace"],
                    replace: true,
                    was: "Deployment guestbook/redis-master",
                },
            ]);
            expect(changes.length).to.equal(11);
        });

        it("reports no changes when nothing changes", async () => {
            expect((await lab(["diff", "--stack", "openshift"])).stdout).to.equal("no changes\n");
        });
    });
});

describe("the project the lab commands act on", () => {
    /** Runs `fn` in directory `dir`, back in the previous one afterwards. */
    async function inDir<T>(dir: string, fn: () => Promise<T> | T): Promise<T> {
        const before = process.cwd();
        process.chdir(dir);
        try {
            return await fn();
        } finally {
            process.chdir(before);
        }
    }

    it("is the current directory when it is a copy of this project (the sandbox's), else this project", async () => {
        const copy = tempDir("lab-project-");
        copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(copy, "Pulumi.yaml"));
        symlinkSync(path.join(PROJECT_ROOT, "package.json"), path.join(copy, "package.json"));
        writeFileSync(path.join(copy, "Pulumi.sbx.yaml"), "config:\n  istio-lab:canaryWeight: 50\n");
        const other = tempDir("lab-other-");
        copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(other, "Pulumi.yaml"));
        writeFileSync(path.join(other, "package.json"), "{}");
        expect(await inDir(copy, () => projectDir())).to.equal(realpathSync(copy));
        expect(await inDir(copy, () => stackFile("dev"))).to.equal(path.join(realpathSync(copy), "Pulumi.dev.yaml"));
        expect(await inDir(other, () => projectDir())).to.equal(PROJECT_ROOT);
        expect(await inDir(tmpdir(), () => projectDir())).to.equal(PROJECT_ROOT);
        const r = await inDir(copy, () => lab(["diff", "--stack", "sbx", "--set", "canaryWeight=50", "--json"]));
        expect({ code: r.code, stdout: JSON.parse(r.stdout) as unknown }).to.deep.equal({ code: 0, stdout: [] });
    });
});
