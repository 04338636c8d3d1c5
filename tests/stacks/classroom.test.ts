// Classrooms (issue 9): one guestbook lab per attendee on a shared cluster.
import { expect } from "chai";
import { writeFileSync } from "fs";
import * as path from "path";
import { LabResource, runLab } from "../../tools/engine";
import { lab } from "../../tools/lab";
import { ProbeResult } from "../../tools/matrix";
import { itRefuses, named, objects, spec, stackConfig, tempDir, lessImageNotes } from "../helpers";

const ATTENDEE_APP = (ns: string) => [
    `Namespace ${ns}`,
    `Deployment ${ns}/redis-master`,
    `Service ${ns}/redis-master`,
    `Deployment ${ns}/redis-slave`,
    `Service ${ns}/redis-slave`,
    `Deployment ${ns}/guestbook-v1`,
    `Deployment ${ns}/guestbook-v2`,
    `Service ${ns}/guestbook`,
    `DestinationRule ${ns}/destination-rule-guestbook`,
    `VirtualService ${ns}/virtual-service-guestbook`,
];
const DOMAIN = '{"domain":"lab.example.com"}';

/** What changes between two runs, by resource key: added, removed, and changed inputs. */
async function delta(before: Record<string, string>, after: Record<string, string>) {
    const a = await runLab(before);
    const b = await runLab(after);
    const old = new Map(a.resources.map((r) => [r.key, JSON.stringify(r.inputs)]));
    const now = new Map(b.resources.map((r) => [r.key, JSON.stringify(r.inputs)]));
    const names = (rs: readonly LabResource[], keep: (r: LabResource) => boolean) => rs.filter(keep).map((r) => r.name);
    return {
        added: names(b.resources, (r) => !old.has(r.key)),
        removed: names(a.resources, (r) => !now.has(r.key)),
        changed: names(b.resources, (r) => old.has(r.key) && old.get(r.key) !== now.get(r.key)),
    };
}

describe("classroom", () => {
    describe("a class of 3 on plain Kubernetes, without a domain", () => {
        let run: Awaited<ReturnType<typeof runLab>>;
        before(async () => {
            run = await runLab({ ...stackConfig("kubernetes"), "istio-lab:attendees": "3" });
        });

        it("shares the control plane and one Gateway; each attendee gets their own namespace, app and routing", () => {
            expect(objects(run.resources)).to.deep.equal([
                "Namespace istio-system",
                "Release istio-system/istio-base",
                "Release istio-system/istiod",
                "Release istio-system/istio-ingressgateway",
                "Secret istio-system/guestbook-gateway-credential",
                "Gateway istio-system/guestbook-gateway",
                ...ATTENDEE_APP("guestbook-user1"),
                ...ATTENDEE_APP("guestbook-user2"),
                ...ATTENDEE_APP("guestbook-user3"),
                "PeerAuthentication istio-system/default",
            ]);
        });

        it("routes each attendee under their own path prefix on the shared Gateway", () => {
            expect(spec(named(run.resources, "attendee-user2-traffic-virtual-service"))).to.deep.equal({
                hosts: ["*"],
                gateways: ["istio-system/guestbook-gateway"],
                http: [
                    { match: [{ uri: { exact: "/user2" } }], redirect: { uri: "/user2/" } },
                    {
                        match: [{ uri: { prefix: "/user2/" } }],
                        rewrite: { uri: "/" },
                        route: [{ destination: { host: "guestbook", subset: "v1" } }],
                    },
                ],
            });
            expect(spec(named(run.resources, "gateway-gateway")).servers).to.deep.equal([
                { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"], tls: { httpsRedirect: true } },
                {
                    port: { number: 443, name: "https", protocol: "HTTPS" },
                    hosts: ["*"],
                    tls: { mode: "SIMPLE", credentialName: "guestbook-gateway-credential" },
                },
            ]);
        });

        it("labels every attendee namespace for injection and with the lab id", () => {
            expect(named(run.resources, "attendee-user3-guestbook-namespace").inputs.metadata).to.deep.equal({
                name: "guestbook-user3",
                labels: {
                    "app.kubernetes.io/part-of": "istio-lab",
                    "app.kubernetes.io/managed-by": "pulumi",
                    "istio-lab/lab-id": run.outputs.labId,
                    "istio-injection": "enabled",
                },
            });
        });

        it("exports one row per attendee", () => {
            expect(run.outputs.attendees).to.deep.equal(
                [1, 2, 3].map((i) => ({
                    attendee: `user${i}`,
                    namespace: `guestbook-user${i}`,
                    url: `https://<pending load balancer address>/user${i}/`,
                    weights: { v1: 100 },
                })),
            );
            expect(run.outputs.namespaces).to.deep.equal(["istio-system", "guestbook-user1", "guestbook-user2", "guestbook-user3"]);
        });
    });

    describe("with a domain", () => {
        it("gives each attendee their own host under one wildcard certificate", async () => {
            const run = await runLab({ ...stackConfig("kubernetes"), "istio-lab:attendees": '["ann","bob"]', "istio-lab:gateway": DOMAIN });
            expect(spec(named(run.resources, "attendee-bob-traffic-virtual-service"))).to.deep.equal({
                hosts: ["bob.lab.example.com"],
                gateways: ["istio-system/guestbook-gateway"],
                http: [{ route: [{ destination: { host: "guestbook", subset: "v1" } }] }],
            });
            expect(named(run.resources, "gateway-server-csr").inputs.dnsNames).to.deep.equal(["*.lab.example.com"]);
            expect((run.outputs.attendees as Array<{ url: string }>).map((a) => a.url)).to.deep.equal([
                "https://ann.lab.example.com/",
                "https://bob.lab.example.com/",
            ]);
        });

        it("on OpenShift (OSSM 3), one Route per attendee host and no shared Route", async () => {
            const run = await runLab({ ...stackConfig("openshift3"), "istio-lab:attendees": "3", "istio-lab:gateway": DOMAIN });
            const routes = run.resources.filter((r) => r.type === "kubernetes:route.openshift.io/v1:Route");
            expect(routes.map((r) => [r.name, (r.inputs.metadata as { name: string }).name, spec(r).host])).to.deep.equal([
                ["attendee-user1-route", "guestbook-user1", "user1.lab.example.com"],
                ["attendee-user2-route", "guestbook-user2", "user2.lab.example.com"],
                ["attendee-user3-route", "guestbook-user3", "user3.lab.example.com"],
            ]);
            expect(spec(routes[0])).to.deep.equal({
                host: "user1.lab.example.com",
                to: { kind: "Service", name: "istio-ingressgateway", weight: 100 },
                port: { targetPort: "https" },
                tls: { termination: "passthrough" },
            });
            // Namespaces join OSSM 3 by label: no member roll, no ServiceMeshMember.
            expect(objects(run.resources).filter((o) => o.startsWith("ServiceMeshMember"))).to.deep.equal([]);
        });
    });

    describe("a class of 3 on OpenShift (OSSM 2, the lab documents' system)", () => {
        it("shares operators, control plane, member roll and one Gateway with one Route; each attendee gets their own objects", async () => {
            const run = await runLab({ ...stackConfig("openshift"), "istio-lab:attendees": "3" });
            expect(objects(run.resources)).to.deep.equal([
                "Subscription openshift-operators/kiali-ossm",
                "Subscription openshift-operators/servicemeshoperator",
                "Namespace istio-system",
                "ServiceMeshControlPlane istio-system/basic",
                "ServiceMeshMemberRoll istio-system/default",
                "Secret istio-system/guestbook-gateway-credential",
                "Gateway istio-system/guestbook-gateway",
                "Route istio-system/guestbook",
                ...ATTENDEE_APP("guestbook-user1"),
                ...ATTENDEE_APP("guestbook-user2"),
                ...ATTENDEE_APP("guestbook-user3"),
                "PeerAuthentication istio-system/default",
                "DestinationRule istio-system/destinationrule-mtls-istio-mutual",
            ]);
            // OSSM 2 injects per workload: each attendee's pods ask for their sidecar.
            const template = (
                spec(named(run.resources, "attendee-user2-guestbook-guestbook-v1")) as { template: { metadata: { annotations?: unknown } } }
            ).template;
            expect(template.metadata.annotations).to.deep.equal({ "sidecar.istio.io/inject": "true" });
        });
    });

    describe("membership on OSSM 2", () => {
        it("a class within the member roll's limit joins through the member roll", async () => {
            const run = await runLab({ ...stackConfig("openshift"), "istio-lab:attendees": "3" });
            expect(spec(named(run.resources, "control-plane-smmr"))).to.deep.equal({
                members: ["guestbook-user1", "guestbook-user2", "guestbook-user3"],
            });
            expect(objects(run.resources).filter((o) => o.startsWith("ServiceMeshMember "))).to.deep.equal([]);
        });

        it("a class of 51 joins one ServiceMeshMember per namespace, awaited before the attendee's pods", async () => {
            const run = await runLab({ ...stackConfig("openshift"), "istio-lab:attendees": "51" });
            expect(spec(named(run.resources, "control-plane-smmr"))).to.deep.equal({ members: [] });
            const members = run.resources.filter((r) => r.type === "kubernetes:maistra.io/v1:ServiceMeshMember");
            expect(members.length).to.equal(51);
            const member = named(run.resources, "attendee-user51-guestbook-member");
            expect(member.inputs.metadata).to.deep.equal({
                name: "default",
                namespace: "guestbook-user51",
                labels: { "app.kubernetes.io/part-of": "istio-lab", "app.kubernetes.io/managed-by": "pulumi" },
                annotations: { "pulumi.com/waitFor": "condition=Ready" },
            });
            expect(spec(member)).to.deep.equal({ controlPlaneRef: { name: "basic", namespace: "istio-system" } });
            expect(named(run.resources, "attendee-user51-guestbook-guestbook-v1").dependsOn).to.include(member.key);
            // The namespace itself does not wait for the member-of label: its member object is created after it.
            expect(
                (named(run.resources, "attendee-user51-guestbook-namespace").inputs.metadata as { annotations?: unknown }).annotations,
            ).to.equal(undefined);
        });
    });

    describe("behaviour instructors rely on", () => {
        const CLASS = { ...stackConfig("kubernetes"), "istio-lab:attendees": "3" };

        it("one attendee's override touches exactly that attendee's VirtualService", async () => {
            expect(await delta(CLASS, { ...CLASS, "istio-lab:attendeeOverrides": '{"user2":{"canaryWeight":50}}' })).to.deep.equal({
                added: [],
                removed: [],
                changed: ["attendee-user2-traffic-virtual-service"],
            });
        });

        it("adding attendee 4 adds only their objects; removing one removes only theirs", async () => {
            const four = { ...CLASS, "istio-lab:attendees": "4" };
            const user4 = [
                "attendee-user4",
                "attendee-user4-guestbook",
                "attendee-user4-guestbook-namespace",
                "attendee-user4-guestbook-redis-master",
                "attendee-user4-guestbook-redis-master-service",
                "attendee-user4-guestbook-redis-slave",
                "attendee-user4-guestbook-redis-slave-service",
                "attendee-user4-guestbook-guestbook-v1",
                "attendee-user4-guestbook-guestbook-v2",
                "attendee-user4-guestbook-guestbook-service",
                "attendee-user4-traffic",
                "attendee-user4-traffic-destination-rule",
                "attendee-user4-traffic-virtual-service",
            ];
            expect(await delta(CLASS, four)).to.deep.equal({ added: user4, removed: [], changed: [] });
            expect(await delta(four, CLASS)).to.deep.equal({ added: [], removed: user4, changed: [] });
        });

        it("on OSSM 2 adding an attendee also changes the member roll, and nothing else", async () => {
            const os = { ...stackConfig("openshift"), "istio-lab:attendees": "2" };
            const d = await delta(os, { ...os, "istio-lab:attendees": "3" });
            expect(d.changed).to.deep.equal(["control-plane-smmr"]);
            expect(d.removed).to.deep.equal([]);
            expect(d.added.every((n) => n.startsWith("attendee-user3"))).to.equal(true);
        });

        it("a lab without attendees is the one lab as before", async () => {
            const run = await runLab(stackConfig("kubernetes"));
            expect(run.outputs.attendees).to.equal(null);
            expect(run.resources.some((r) => r.name.startsWith("attendee-"))).to.equal(false);
        });

        it("a policy may name an attendee's namespace", async () => {
            const run = await runLab({
                ...CLASS,
                "istio-lab:peerAuth": '[{"mode":"STRICT","scope":"workload","namespace":"guestbook-user2","selector":{"app":"guestbook"}}]',
            });
            expect(spec(named(run.resources, "peer-auth-guestbook-user2-guestbook-dr"))).to.deep.equal({
                host: "guestbook.guestbook-user2.svc.cluster.local",
                trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
            });
        });
    });

    describe("refusals", () => {
        const refused: Array<[Record<string, string>, string]> = [
            [
                { "istio-lab:attendees": "0" },
                "istio-lab:attendees: 0 is not allowed; expected a count from 1 to 500 (attendees user1 to userN) or a list of 1 to 500 distinct names (DNS-1123 labels)",
            ],
            [
                { "istio-lab:attendees": "501" },
                "istio-lab:attendees: 501 is not allowed; expected a count from 1 to 500 (attendees user1 to userN) or a list of 1 to 500 distinct names (DNS-1123 labels)",
            ],
            [
                { "istio-lab:attendees": '["ann","bob","ann"]' },
                'istio-lab:attendees[2]: "ann" is not allowed; expected a name not listed before ("ann" is)',
            ],
            [
                { "istio-lab:attendees": '["ann","Bob"]' },
                `istio-lab:attendees[1]: "Bob" is not allowed; expected a DNS-1123 label (at most 63 characters: lower-case letters, digits and '-', starting and ending with a letter or digit)`,
            ],
            [
                { "istio-lab:attendees": "3", "istio-lab:attendeeOverrides": '{"user9":{"canaryWeight":50}}' },
                'istio-lab:attendeeOverrides: "user9" is not allowed; expected an attendee of this class (user1, user2, user3)',
            ],
            [
                { "istio-lab:attendees": "3", "istio-lab:attendeeOverrides": '{"user2":{"guestbook":{}}}' },
                'istio-lab:attendeeOverrides.user2: key "guestbook" is not allowed; expected one of canaryWeight, abTest, routing, clientTls, circuitBreaker',
            ],
            [
                { "istio-lab:attendees": "3", "istio-lab:attendeeOverrides": '{"user2":{"canaryWeight":150}}' },
                "istio-lab:attendeeOverrides.user2.canaryWeight: 150 is not allowed; expected an integer from 0 to 100",
            ],
            [
                { "istio-lab:attendees": "3", "istio-lab:attendeeOverrides": '{"user2":{"routing":"roundRobin","canaryWeight":20}}' },
                'istio-lab:attendeeOverrides.user2.canaryWeight: 20 is not allowed; expected 0 with routing "roundRobin" (its one route names no subset; set routing to "weighted" for a canary)',
            ],
            [
                { "istio-lab:attendeeOverrides": '{"user2":{"canaryWeight":50}}' },
                'istio-lab:attendeeOverrides: "user2" is not allowed; expected overrides for attendees only when istio-lab:attendees is set',
            ],
            [
                { "istio-lab:attendees": `["${"a".repeat(60)}"]` },
                `istio-lab:attendees: "${"a".repeat(60)}" is not allowed; expected a name short enough for its namespace "guestbook-${"a".repeat(60)}" to be a DNS-1123 label (at most 63 characters: lower-case letters, digits and '-', starting and ending with a letter or digit)`,
            ],
            [
                { "istio-lab:gateway": '{"domain":"*.example.com"}' },
                'istio-lab:gateway.domain: "*.example.com" is not allowed; expected a DNS domain such as "lab.example.com"',
            ],
        ];
        itRefuses(refused);
    });

    describe("lab commands", () => {
        it("attendees prints the table to hand out, and --json", async () => {
            const set = ["--set", "attendees=2", "--set", 'attendeeOverrides={"user2":{"canaryWeight":50}}'];
            expect(await lab(["attendees", ...set])).to.deep.equal({
                stdout: [
                    "ATTENDEE  NAMESPACE        URL                                             WEIGHTS",
                    "user1     guestbook-user1  https://<pending load balancer address>/user1/  v1 80, v2 20",
                    "user2     guestbook-user2  https://<pending load balancer address>/user2/  v1 50, v2 50",
                    "",
                ].join("\n"),
                stderr: "",
                code: 0,
            });
            const json = await lab(["attendees", ...set, "--json"]);
            expect(JSON.parse(json.stdout)).to.deep.equal([
                {
                    attendee: "user1",
                    namespace: "guestbook-user1",
                    url: "https://<pending load balancer address>/user1/",
                    weights: { v1: 80, v2: 20 },
                },
                {
                    attendee: "user2",
                    namespace: "guestbook-user2",
                    url: "https://<pending load balancer address>/user2/",
                    weights: { v1: 50, v2: 50 },
                },
            ]);
            expect(await lab(["attendees"])).to.deep.equal({
                stdout: "",
                stderr: "this lab has no attendees (set istio-lab:attendees to a count or a list of names)\n",
                code: 1,
            });
        });

        it("diff of one attendee's override names one object", async () => {
            const dir = tempDir("lab-class-");
            const file = path.join(dir, "Pulumi.class.yaml");
            writeFileSync(file, "config:\n  istio-lab:recipe: kubernetes\n  istio-lab:canaryWeight: 20\n  istio-lab:attendees: 3\n");
            const r = await lab(["diff", "--config", file, "--set", 'attendeeOverrides={"user3":{"canaryWeight":50}}', "--json"]);
            expect(JSON.parse(r.stdout)).to.deep.equal([
                {
                    object: "VirtualService guestbook-user3/virtual-service-guestbook",
                    change: "changed",
                    fields: ["spec.http[1].route[0].weight", "spec.http[1].route[1].weight"],
                    replace: false,
                },
            ]);
        });

        it("matrix probes the ingress gateway to each attendee's guestbook versions", async () => {
            const r = await lab([
                "matrix",
                "--stack",
                "kubernetes",
                "--set",
                "attendees=2",
                "--set",
                'attendeeOverrides={"user2":{"canaryWeight":100}}',
                "--json",
            ]);
            const rows = (JSON.parse(r.stdout) as ProbeResult[])
                .filter((x) => x.from.startsWith("istio-ingressgateway"))
                .map((x) => [x.to, x.code]);
            expect(rows).to.deep.equal([
                ["guestbook-v1.guestbook-user1", "200"],
                ["guestbook-v2.guestbook-user2", "200"],
            ]);
        });

        it("validate finds no problem in a class of 100", async () => {
            expect(lessImageNotes(await lab(["validate", "--set", "attendees=100"]))).to.deep.equal({
                stdout: "no problems\n",
                stderr: "",
                code: 0,
            });
        }).timeout(60000);
    });
});
