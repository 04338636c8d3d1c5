import { expect } from "chai";
import { mkdirSync, rmSync, writeFileSync } from "fs";
import * as path from "path";
import { lab } from "../../tools/lab";
import { LabResource } from "../../tools/engine";
import { RenderedObject, render } from "../../tools/render";
import { schemaProblems } from "../../tools/schemas";
import { bypassedRuleProblems, meshProblems, orderingProblems } from "../../tools/validate";
import { tempDir, lessImageNotes } from "../helpers";

const obj = (kind: string, name: string, spec: Record<string, unknown>, namespace = "guestbook"): RenderedObject => ({
    type: `kubernetes:x:${kind}`,
    name,
    parent: null,
    manifest: { kind, metadata: { name, namespace }, spec },
});

describe("lab validate", () => {
    for (const stack of ["dev", "kubernetes", "openshift", "openshift3", "peer-auth", "gateway-api", "ambient"]) {
        it(`finds no problem in the ${stack} recipe`, async () => {
            expect(lessImageNotes(await lab(["validate", "--stack", stack]))).to.deep.equal({
                stdout: "no problems\n",
                stderr: "",
                code: 0,
            });
        });
    }

    it("reports a selector that matches nothing, with exit status 1", async () => {
        const r = await lab(["validate", "--set", 'istio-lab:gateway={"selector":{"istio":"other"}}', "--json"]);
        expect(r.code).to.equal(1);
        expect(JSON.parse(r.stdout)).to.deep.equal([
            {
                object: "Gateway guestbook/guestbook-gateway",
                field: "spec.selector",
                code: "IST0101",
                reason: 'Referenced selector not found: "istio=other"',
            },
        ]);
    });

    it("reports what the policy pack's mandatory policies would block at pulumi preview", async () => {
        const disable = await lab(["validate", "--set", 'istio-lab:peerAuth=[{"mode":"DISABLE","scope":"mesh"}]', "--json"]);
        const lb = await lab(["validate", "--set", 'istio-lab:guestbook={"serviceType":"LoadBalancer"}', "--json"]);
        expect([disable.code, JSON.parse(disable.stdout), lb.code, JSON.parse(lb.stdout)]).to.deep.equal([
            1,
            [
                {
                    object: "PeerAuthentication istio-system/default",
                    field: "-",
                    code: "policy:mtls-strict-enough",
                    reason: "mesh-wide peer authentication must not DISABLE mutual TLS (the policy pack blocks this at pulumi preview)",
                },
            ],
            1,
            [
                {
                    object: "Service guestbook/guestbook",
                    field: "-",
                    code: "policy:no-bypass-load-balancer",
                    reason: 'Service of type LoadBalancer in "guestbook" bypasses the gateway; use ClusterIP (the policy pack blocks this at pulumi preview)',
                },
            ],
        ]);
    });

    it("finds the ingress gateway's chart from an OCI registry and from a local directory (no false IST0101)", async () => {
        const dir = tempDir("istio-lab-charts-");
        for (const chart of ["base", "istiod", "gateway"]) {
            mkdirSync(path.join(dir, chart));
            writeFileSync(path.join(dir, chart, "Chart.yaml"), `name: ${chart}\n`);
        }
        for (const repo of ["oci://ghcr.io/istio/release/charts", dir]) {
            expect(
                lessImageNotes(await lab(["validate", "--set", `istio-lab:controlPlane=${JSON.stringify({ chartRepo: repo })}`])),
            ).to.deep.equal({
                stdout: "no problems\n",
                stderr: "",
                code: 0,
            });
        }
        rmSync(dir, { recursive: true });
    });

    it("reports HTTPRoute references Istio cannot resolve, backends all weighing 0, and an ambient namespace labelled for injection", () => {
        const api = (kind: string, name: string, spec: Record<string, unknown>, namespace = "guestbook"): RenderedObject => ({
            type: `kubernetes:gateway.networking.k8s.io/v1:${kind}`,
            name,
            parent: null,
            manifest: { apiVersion: "gateway.networking.k8s.io/v1", kind, metadata: { name, namespace }, spec },
        });
        const objects = [
            {
                type: "kubernetes:core/v1:Namespace",
                name: "ns",
                parent: null,
                manifest: {
                    kind: "Namespace",
                    metadata: { name: "guestbook", labels: { "istio.io/dataplane-mode": "ambient", "istio-injection": "enabled" } },
                },
            },
            api("Gateway", "gw", { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] }, "istio-system"),
            obj("Service", "guestbook-v1", { ports: [{ name: "http", port: 80 }] }),
            api("HTTPRoute", "guestbook", {
                parentRefs: [
                    { name: "gw", namespace: "istio-system", sectionName: "https" },
                    { name: "gone", namespace: "istio-system" },
                ],
                rules: [
                    {
                        backendRefs: [
                            { name: "guestbook-v1", port: 8080, weight: 0 },
                            { name: "guestbook-v9", port: 80, weight: 0 },
                        ],
                    },
                    { backendRefs: [{ name: "guestbook-v1", port: 80 }] },
                ],
            }),
        ];
        expect(meshProblems(objects)).to.deep.equal([
            {
                object: "Namespace guestbook",
                field: "metadata.labels.istio-injection",
                code: "-",
                reason: "an ambient namespace (istio.io/dataplane-mode: ambient) also labelled for sidecar injection: its pods would get sidecars and leave ztunnel's capture",
            },
            {
                object: "HTTPRoute guestbook/guestbook",
                field: "spec.parentRefs[0].sectionName",
                code: "-",
                reason: 'Gateway "istio-system/gw" has no listener "https" (it has http)',
            },
            {
                object: "HTTPRoute guestbook/guestbook",
                field: "spec.parentRefs[1]",
                code: "-",
                reason: 'Referenced Gateway not found: "istio-system/gone"',
            },
            {
                object: "HTTPRoute guestbook/guestbook",
                field: "spec.rules[0].backendRefs[0].port",
                code: "-",
                reason: 'Service "guestbook/guestbook-v1" has no port 8080 (it has 80)',
            },
            {
                object: "HTTPRoute guestbook/guestbook",
                field: "spec.rules[0].backendRefs[1]",
                code: "-",
                reason: 'Referenced Service not found: "guestbook/guestbook-v9"',
            },
            {
                object: "HTTPRoute guestbook/guestbook",
                field: "spec.rules[0].backendRefs",
                code: "-",
                reason: "every backend weighs 0: the rule answers 500 (weights are relative; give one backend more than 0)",
            },
        ]);
    });

    it("checks Gateway API objects against the published Gateway API schema, and the ambient resources against the kept ones", () => {
        const gateway: RenderedObject = {
            type: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
            name: "gw",
            parent: null,
            manifest: {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "Gateway",
                metadata: { name: "gw", namespace: "istio-system" },
                spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: "eighty", protocol: "HTTP" }] },
            },
        };
        const ztunnel: RenderedObject = {
            type: "kubernetes:sailoperator.io/v1:ZTunnel",
            name: "zt",
            parent: null,
            manifest: {
                apiVersion: "sailoperator.io/v1",
                kind: "ZTunnel",
                metadata: { name: "default" },
                spec: { version: "v1.31.3", profile: "ambient" },
            },
        };
        expect(schemaProblems([gateway, ztunnel]).map((p) => `${p.object} ${p.field}: ${p.reason}`)).to.deep.equal([
            "Gateway istio-system/gw spec.listeners[0].port: schema: must be integer",
            "ZTunnel default spec.namespace: is required",
            "ZTunnel default spec.profile: is not a field this project's schema knows",
        ]);
    });

    it("reports missing subsets and gateways, weights that do not sum to 100, unnamed ports and port policies without a selector", () => {
        const objects = [
            obj("Deployment", "web", { template: { metadata: { labels: { app: "web", version: "1" } } } }),
            obj("DestinationRule", "dr", { host: "web", subsets: [{ name: "v1", labels: { version: "1" } }] }),
            obj("VirtualService", "vs", {
                gateways: ["missing-gateway"],
                http: [
                    {
                        route: [
                            { destination: { host: "web", subset: "v1" }, weight: 70 },
                            { destination: { host: "web", subset: "v9" }, weight: 20 },
                        ],
                    },
                ],
            }),
            obj("Service", "web", { ports: [{ port: 80 }] }),
            obj("PeerAuthentication", "pa", { mtls: { mode: "STRICT" }, portLevelMtls: { "80": { mode: "DISABLE" } } }),
        ];
        expect(meshProblems(objects)).to.deep.equal([
            {
                object: "VirtualService guestbook/vs",
                field: "spec.gateways[0]",
                code: "IST0101",
                reason: 'Referenced gateway not found: "missing-gateway"',
            },
            { object: "VirtualService guestbook/vs", field: "spec.http[0].route", code: "-", reason: "weights sum to 90, not 100" },
            {
                object: "VirtualService guestbook/vs",
                field: "spec.http[0].route[1].destination.subset",
                code: "IST0101",
                reason: 'Referenced host+subset in destinationrule not found: "web+v9"',
            },
            {
                object: "Service guestbook/web",
                field: "spec.ports[0]",
                code: "IST0118",
                reason: "port has neither a name nor appProtocol, so Istio cannot tell its protocol",
            },
            {
                object: "PeerAuthentication guestbook/pa",
                field: "spec.portLevelMtls",
                code: "-",
                reason: "Istio's admission refuses it: portLevelMtls requires selector (its CRD rule; a namespace- or mesh-wide policy cannot have port-level modes)",
            },
        ]);
    });

    it("reports an Istio object that does not wait for the control plane", () => {
        const resources: LabResource[] = [
            {
                type: "kubernetes:helm.sh/v3:Release",
                name: "istiod",
                key: "r",
                custom: true,
                read: false,
                dependsOn: [],
                aliasTypes: [],
                ignoreChanges: [],
                deleteBeforeReplace: false,
                inputs: { name: "istiod", namespace: "istio-system", chart: "istiod" },
            },
            {
                type: "kubernetes:networking.istio.io/v1beta1:Gateway",
                name: "gw",
                key: "g",
                custom: true,
                read: false,
                dependsOn: [],
                aliasTypes: [],
                ignoreChanges: [],
                deleteBeforeReplace: false,
                inputs: { kind: "Gateway", metadata: { name: "gw", namespace: "guestbook" }, spec: {} },
            },
        ];
        expect(orderingProblems(resources, render(resources))).to.deep.equal([
            {
                object: "Gateway guestbook/gw",
                field: "dependsOn",
                code: "-",
                reason: "created without waiting for istiod, which installs its definition",
            },
        ]);
        const ordered = resources.map((r) => (r.key === "g" ? { ...r, dependsOn: ["r"] } : r));
        expect(orderingProblems(ordered, render(ordered))).to.deep.equal([]);
    });

    it("reports injected gateway pods that do not wait for the Istio, and pods that do not wait for their namespace", () => {
        const resource = (key: string, type: string, inputs: Record<string, unknown>, deps: string[] = []): LabResource => ({
            type,
            name: key,
            key,
            custom: true,
            read: false,
            dependsOn: deps,
            aliasTypes: [],
            ignoreChanges: [],
            deleteBeforeReplace: false,
            inputs,
        });
        const gatewayPods = { metadata: { annotations: { "inject.istio.io/templates": "gateway" } } };
        const resources: LabResource[] = [
            resource("ns", "kubernetes:core/v1:Namespace", { kind: "Namespace", metadata: { name: "istio-system" } }),
            resource("istio", "kubernetes:sailoperator.io/v1:Istio", { kind: "Istio", metadata: { name: "default" }, spec: {} }),
            resource("gw", "kubernetes:apps/v1:Deployment", {
                kind: "Deployment",
                metadata: { name: "istio-ingressgateway", namespace: "istio-system" },
                spec: { template: gatewayPods },
            }),
        ];
        expect(orderingProblems(resources, render(resources))).to.deep.equal([
            {
                object: "Deployment istio-system/istio-ingressgateway",
                field: "dependsOn",
                code: "-",
                reason: 'gateway pods created without waiting for istio, whose injector fills in their image ("auto")',
            },
            {
                object: "Deployment istio-system/istio-ingressgateway",
                field: "dependsOn",
                code: "-",
                reason: "pods created without waiting for ns, whose labels decide their sidecars",
            },
        ]);
        const ordered = resources.map((r) => (r.key === "gw" ? { ...r, dependsOn: ["istio", "ns"] } : r));
        expect(orderingProblems(ordered, render(ordered))).to.deep.equal([]);
    });

    it("checks core and Istio objects against their published schemas", () => {
        const bad: RenderedObject[] = [
            {
                type: "t",
                name: "d",
                parent: null,
                manifest: {
                    apiVersion: "apps/v1",
                    kind: "Deployment",
                    metadata: { name: "d", namespace: "g" },
                    spec: {
                        selector: { matchLabels: { a: "b" } },
                        template: { spec: { containers: [{ name: "c", image: "i", ports: [{ containerPort: "80" }] }] } },
                    },
                },
            },
            {
                type: "t",
                name: "vs",
                parent: null,
                manifest: {
                    apiVersion: "networking.istio.io/v1beta1",
                    kind: "VirtualService",
                    metadata: { name: "vs", namespace: "g" },
                    spec: { hosts: ["*"], http: [{ route: [{ destination: { host: "g" }, weight: "80" }] }] },
                },
            },
            { type: "t", name: "ns", parent: null, manifest: { apiVersion: "v1", kind: "Namespace", metadata: { name: "ok" } } },
        ];
        expect(schemaProblems(bad)).to.deep.equal([
            {
                object: "Deployment g/d",
                field: "spec.template.spec.containers[0].ports[0].containerPort",
                code: "-",
                reason: "schema: must be integer",
            },
            { object: "VirtualService g/vs", field: "spec.http[0].route[0].weight", code: "IST0106", reason: "schema: must be integer" },
        ]);
    });

    it("checks OLM, Maistra, Route and Helm objects against the schemas the project keeps", () => {
        const bad: RenderedObject[] = [
            {
                type: "t",
                name: "s",
                parent: null,
                manifest: {
                    apiVersion: "operators.coreos.com/v1alpha1",
                    kind: "Subscription",
                    metadata: { name: "s", namespace: "o" },
                    spec: { name: "p", source: "x", sourceNamespace: "y", installPlanApproval: "Later", chanel: "stable" },
                },
            },
            {
                type: "t",
                name: "r",
                parent: null,
                manifest: {
                    apiVersion: "helm.sh/v3",
                    kind: "Release",
                    metadata: { name: "r", namespace: "n" },
                    chart: "base",
                    repositoryOpts: {},
                },
            },
        ];
        expect(schemaProblems(bad)).to.deep.equal([
            { object: "Subscription o/s", field: "spec.channel", code: "-", reason: "is required" },
            { object: "Subscription o/s", field: "spec.installPlanApproval", code: "-", reason: "must be one of Automatic, Manual" },
            { object: "Subscription o/s", field: "spec.chanel", code: "-", reason: "is not a field this project's schema knows" },
            { object: "Release n/r", field: "version", code: "-", reason: "is required" },
        ]);
    });

    it("render redacts Secret values", () => {
        const secret: LabResource = {
            type: "kubernetes:core/v1:Secret",
            name: "s",
            key: "s",
            custom: true,
            read: false,
            dependsOn: [],
            aliasTypes: [],
            ignoreChanges: [],
            deleteBeforeReplace: false,
            inputs: {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: "s", namespace: "n" },
                type: "kubernetes.io/tls",
                stringData: { "tls.key": "PRIVATE", "tls.crt": "CERT" },
            },
        };
        expect(render([secret])[0].manifest).to.deep.equal({
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "s", namespace: "n" },
            type: "kubernetes.io/tls",
            stringData: { "tls.key": "<redacted>", "tls.crt": "<redacted>" },
        });
    });
});

describe("lab validate: a DestinationRule policy the routed traffic bypasses", () => {
    const service = (name: string, selector: Record<string, string>) =>
        obj("Service", name, { selector, ports: [{ name: "http", port: 80 }] });
    const breaker = { connectionPool: { tcp: { maxConnections: 1 } }, outlierDetection: { consecutive5xxErrors: 1 } };
    const route = obj("HTTPRoute", "guestbook", {
        rules: [
            {
                backendRefs: [
                    { name: "guestbook-v1", port: 80, weight: 80 },
                    { name: "guestbook-v2", port: 80, weight: 20 },
                ],
            },
        ],
    });
    const lab = [
        service("guestbook", { app: "guestbook" }),
        service("guestbook-v1", { app: "guestbook", version: "1.0" }),
        service("guestbook-v2", { app: "guestbook", version: "2.0" }),
        route,
    ];

    it("reports the breaker on host guestbook while the HTTPRoute sends to guestbook-v1 and guestbook-v2 (the Gateway API bug Istio showed)", () => {
        const objects = [...lab, obj("DestinationRule", "destination-rule-guestbook", { host: "guestbook", trafficPolicy: breaker })];
        expect(bypassedRuleProblems(objects)).to.deep.equal([
            {
                object: "DestinationRule guestbook/destination-rule-guestbook",
                field: "spec.host",
                code: "-",
                reason: "its connectionPool, outlierDetection never apply to the lab's routed traffic: the routes send this host's pods their traffic through guestbook-v1.guestbook.svc.cluster.local, guestbook-v2.guestbook.svc.cluster.local, never through guestbook.guestbook.svc.cluster.local (Istio applies a DestinationRule by the destination's host)",
            },
        ]);
    });

    it("says nothing once each routed host has a rule with the same policy (the one on guestbook then serves calls inside the mesh)", () => {
        const objects = [
            ...lab,
            obj("DestinationRule", "destination-rule-guestbook", { host: "guestbook", trafficPolicy: breaker }),
            obj("DestinationRule", "destination-rule-guestbook-v1", { host: "guestbook-v1", trafficPolicy: breaker }),
            obj("DestinationRule", "destination-rule-guestbook-v2", {
                host: "guestbook-v2.guestbook.svc.cluster.local",
                trafficPolicy: breaker,
            }),
        ];
        expect(bypassedRuleProblems(objects)).to.deep.equal([]);
    });

    it("says nothing of a rule without a policy, or of one whose host the routes send to", () => {
        const vs = obj("VirtualService", "vs", { hosts: ["*"], http: [{ route: [{ destination: { host: "guestbook", subset: "v1" } }] }] });
        expect(
            bypassedRuleProblems([
                ...lab.slice(0, 3),
                vs,
                obj("DestinationRule", "dr", {
                    host: "guestbook",
                    trafficPolicy: breaker,
                    subsets: [{ name: "v1", labels: { version: "1.0" } }],
                }),
            ]),
        ).to.deep.equal([]);
        expect(
            bypassedRuleProblems([
                ...lab,
                obj("DestinationRule", "dr", { host: "guestbook", subsets: [{ name: "v1", labels: { version: "1.0" } }] }),
            ]),
        ).to.deep.equal([]);
    });
});
