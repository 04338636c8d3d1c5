import { expect } from "chai";
import { mtlsLabServices } from "../../components/mtlsLab";
import { PeerAuth, PeerAuthPolicy } from "../../components/peerAuth";
import { record } from "../../tools/engine";
import { objects, rejects, spec } from "../helpers";

const services = mtlsLabServices(["foo", "bar", "legacy"]);

async function build(policies: PeerAuthPolicy[]) {
    const { resources, outputs } = await record(() => {
        const pa = new PeerAuth("peer-auth", { policies, rootNamespace: "istio-system", services });
        return { policies: pa.policies };
    });
    const custom = resources.filter((r) => r.custom);
    return { custom, objects: objects(resources), specs: custom.map(spec), outputs };
}

describe("PeerAuth", () => {
    it("mesh scope: `default` in the root namespace, no selector, no DestinationRule (step 9)", async () => {
        const r = await build([{ mode: "STRICT", scope: "mesh" }]);
        expect(r.objects).to.deep.equal(["PeerAuthentication istio-system/default"]);
        expect(r.custom[0].type).to.equal("kubernetes:security.istio.io/v1:PeerAuthentication");
        expect(r.specs).to.deep.equal([{ mtls: { mode: "STRICT" } }]);
        expect(r.outputs.policies).to.deep.equal([{ policy: "istio-system/default", scope: "mesh", mode: "STRICT" }]);
    });

    it("mesh scope with destinationRule: the OpenShift lab's *.svc.cluster.local ISTIO_MUTUAL rule", async () => {
        const r = await build([{ mode: "STRICT", scope: "mesh", destinationRule: true }]);
        expect(r.objects).to.deep.equal([
            "PeerAuthentication istio-system/default",
            "DestinationRule istio-system/destinationrule-mtls-istio-mutual",
        ]);
        expect(r.specs[1]).to.deep.equal({ host: "*.svc.cluster.local", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } });
    });

    it("namespace scope: the lab's namespace-wide-policy (step 10)", async () => {
        const r = await build([{ mode: "STRICT", scope: "namespace", namespace: "foo" }]);
        expect(r.objects).to.deep.equal(["PeerAuthentication foo/namespace-wide-policy"]);
        expect(r.specs).to.deep.equal([{ mtls: { mode: "STRICT" } }]);
    });

    it("workload scope: the policy and its ISTIO_MUTUAL DestinationRule (step 11)", async () => {
        const r = await build([{ mode: "STRICT", scope: "workload", namespace: "bar", selector: { app: "httpbin" } }]);
        expect(r.objects).to.deep.equal(["PeerAuthentication bar/workload-httpbin-policy", "DestinationRule bar/httpbin"]);
        expect(r.specs).to.deep.equal([
            { selector: { matchLabels: { app: "httpbin" } }, mtls: { mode: "STRICT" } },
            { host: "httpbin.bar.svc.cluster.local", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } },
        ]);
        expect(r.outputs.policies).to.deep.equal([
            {
                policy: "bar/workload-httpbin-policy",
                scope: "workload",
                mode: "STRICT",
                selector: { app: "httpbin" },
                destinationRule: "bar/httpbin",
            },
        ]);
    });

    it("port scope: container port 80 in the policy, service port 8000 in the DestinationRule (step 12)", async () => {
        const r = await build([
            {
                mode: "STRICT",
                scope: "port",
                namespace: "bar",
                selector: { app: "httpbin" },
                portLevelMtls: { "80": { mode: "DISABLE" } },
            },
        ]);
        expect(r.objects).to.deep.equal(["PeerAuthentication bar/port-workload-httpbin-policy", "DestinationRule bar/httpbin"]);
        expect(r.specs).to.deep.equal([
            {
                selector: { matchLabels: { app: "httpbin" } },
                mtls: { mode: "STRICT" },
                portLevelMtls: { "80": { mode: "DISABLE" } },
            },
            {
                host: "httpbin.bar.svc.cluster.local",
                trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" }, portLevelSettings: [{ port: { number: 8000 }, tls: { mode: "DISABLE" } }] },
            },
        ]);
    });

    it("precedence: namespace STRICT plus a named workload DISABLE with its DISABLE rule (step 13)", async () => {
        const r = await build([
            { mode: "STRICT", scope: "namespace", namespace: "foo", name: "namespace-peer-auth-policy-foo" },
            {
                mode: "DISABLE",
                scope: "workload",
                namespace: "foo",
                selector: { app: "httpbin" },
                name: "workload-peer-auth-policy-httpbin-foo",
            },
        ]);
        expect(r.objects).to.deep.equal([
            "PeerAuthentication foo/namespace-peer-auth-policy-foo",
            "PeerAuthentication foo/workload-peer-auth-policy-httpbin-foo",
            "DestinationRule foo/httpbin",
        ]);
        expect(r.specs[2]).to.deep.equal({ host: "httpbin.foo.svc.cluster.local", trafficPolicy: { tls: { mode: "DISABLE" } } });
    });

    it("workload scope with destinationRule: false creates the policy alone", async () => {
        const r = await build([
            { mode: "PERMISSIVE", scope: "workload", namespace: "foo", selector: { app: "httpbin" }, destinationRule: false },
        ]);
        expect(r.objects).to.deep.equal(["PeerAuthentication foo/workload-httpbin-policy"]);
    });

    const bad: Array<[string, PeerAuthPolicy, string]> = [
        [
            "mode STRICTT",
            { mode: "STRICTT" as "STRICT", scope: "mesh" },
            'PeerAuth args.policies[0].mode: "STRICTT" is not allowed; expected one of STRICT, PERMISSIVE, DISABLE, UNSET',
        ],
        [
            "workload without selector",
            { mode: "STRICT", scope: "workload", namespace: "bar" },
            'PeerAuth args.policies[0].selector: nothing is not allowed; expected workload labels, e.g. {"app": "httpbin"}, for scope "workload"',
        ],
        [
            "port without portLevelMtls",
            { mode: "STRICT", scope: "port", namespace: "bar", selector: { app: "httpbin" } },
            'PeerAuth args.policies[0].portLevelMtls: nothing is not allowed; expected container ports with their modes, e.g. {"80": {"mode": "DISABLE"}}, for scope "port"',
        ],
        [
            "portLevelMtls on workload scope",
            {
                mode: "STRICT",
                scope: "workload",
                namespace: "bar",
                selector: { app: "httpbin" },
                portLevelMtls: { "80": { mode: "DISABLE" } },
            },
            'PeerAuth args.policies[0].portLevelMtls: {"80":{"mode":"DISABLE"}} is not allowed; expected no portLevelMtls for scope "workload" (use scope "port")',
        ],
        [
            "a port no Service forwards to",
            {
                mode: "STRICT",
                scope: "port",
                namespace: "bar",
                selector: { app: "httpbin" },
                portLevelMtls: { "8080": { mode: "DISABLE" } },
            },
            'PeerAuth args.policies[0].portLevelMtls: "8080" is not allowed; expected a container port that a Service of the lab forwards to in "bar" (Istio ignores ports no Service is bound to), or destinationRule: false',
        ],
        [
            "namespace scope without namespace",
            { mode: "STRICT", scope: "namespace" },
            'PeerAuth args.policies[0].namespace: nothing is not allowed; expected a namespace for scope "namespace"',
        ],
        [
            "mesh scope outside the root namespace",
            { mode: "STRICT", scope: "mesh", namespace: "foo" },
            'PeerAuth args.policies[0].namespace: "foo" is not allowed; expected the root namespace "istio-system" (or nothing) for scope "mesh"',
        ],
        [
            "a selector on mesh scope",
            { mode: "STRICT", scope: "mesh", selector: { app: "x" } },
            'PeerAuth args.policies[0].selector: {"app":"x"} is not allowed; expected no selector for scope "mesh" (use scope "workload")',
        ],
    ];
    for (const [what, policy, message] of bad) {
        it(`rejects ${what} before creating anything`, () => rejects(() => new PeerAuth("p", { policies: [policy], services }), message));
    }

    it("rejects two namespace-wide policies in one namespace", () => {
        expect(
            () =>
                new PeerAuth("p", {
                    policies: [
                        { mode: "STRICT", scope: "namespace", namespace: "foo" },
                        { mode: "DISABLE", scope: "namespace", namespace: "foo", name: "other" },
                    ],
                }),
        ).to.throw(
            'PeerAuth args.policies[1].scope: "namespace" is not allowed; expected one policy without a selector per namespace (PeerAuth args.policies[0] is the one for "foo")',
        );
    });
});
