import { expect } from "chai";
import { ATTENDEE_RULES, labNeeds, quantityValue } from "../../components/access";
import { parseConfig } from "../../config";
import { LabResource, runLab } from "../../tools/engine";
import { attendeeKubeconfig, currentCluster } from "../../tools/kubeconfigs";
import { lab } from "../../tools/lab";
import { parse } from "yaml";

const byName = (resources: readonly LabResource[], name: string) => resources.find((r) => r.name === name)!;
const base = { "istio-lab:attendees": '["ann","bob"]', "istio-lab:attendeeAccess": "true" };

describe("attendee access, budgets and isolation", () => {
    it("Kubernetes: per attendee a ServiceAccount, its token Secret, and a Role bound to it in their namespace only", async () => {
        const run = await runLab({ ...base, "istio-lab:attendeeBudget": '{"cpu":"3","memory":"4Gi","pods":12}' });
        const access = run.resources.filter((r) => r.parent === "istio-lab:classroom:AttendeeAccess::attendee-ann-access");
        expect(
            access.map(
                (r) =>
                    `${r.type.split(":")[1]}:${r.type.split(":")[2]} ${String((r.inputs.metadata as { namespace: string }).namespace)}/${String((r.inputs.metadata as { name: string }).name)}`,
            ),
        ).to.deep.equal([
            "core/v1:ServiceAccount guestbook-ann/attendee",
            "core/v1:Secret guestbook-ann/attendee-token",
            "rbac.authorization.k8s.io/v1:Role guestbook-ann/attendee",
            "rbac.authorization.k8s.io/v1:RoleBinding guestbook-ann/attendee",
            "core/v1:LimitRange guestbook-ann/attendee-defaults",
            "core/v1:ResourceQuota guestbook-ann/attendee-budget",
            "security.istio.io/v1:AuthorizationPolicy guestbook-ann/attendee-isolation",
            "networking.k8s.io/v1:NetworkPolicy guestbook-ann/attendee-isolation",
        ]);
        expect(byName(run.resources, "attendee-ann-access-token").inputs).to.deep.equal({
            apiVersion: "v1",
            kind: "Secret",
            metadata: {
                name: "attendee-token",
                namespace: "guestbook-ann",
                labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "istio-lab" },
                annotations: { "kubernetes.io/service-account.name": "attendee" },
            },
            type: "kubernetes.io/service-account-token",
        });
        const binding = byName(run.resources, "attendee-ann-access-rolebinding").inputs;
        expect([binding.roleRef, binding.subjects]).to.deep.equal([
            { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "attendee" },
            [{ kind: "ServiceAccount", name: "attendee", namespace: "guestbook-ann" }],
        ]);
        expect(byName(run.resources, "attendee-ann-access-role").inputs.rules).to.deep.equal(ATTENDEE_RULES);
        expect(byName(run.resources, "attendee-ann-access-quota").inputs.spec).to.deep.equal({
            hard: { "requests.cpu": "3", "requests.memory": "4Gi", pods: "12" },
        });
        expect(byName(run.resources, "attendee-ann-access-limits").inputs.spec).to.deep.equal({
            limits: [{ type: "Container", defaultRequest: { cpu: "50m", memory: "64Mi" } }],
        });
        expect(byName(run.resources, "attendee-ann-access-isolation").inputs.spec).to.deep.equal({
            action: "ALLOW",
            rules: [{ from: [{ source: { namespaces: ["istio-system", "guestbook-ann"] } }] }],
        });
        expect(byName(run.resources, "attendee-ann-access-network").inputs.spec).to.deep.equal({
            podSelector: {},
            policyTypes: ["Ingress"],
            ingress: [
                { from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } } }] },
            ],
        });
    });

    it("binds nothing outside the attendee's namespace: only Roles and RoleBindings, each in its attendee's namespace, none cluster-wide", async () => {
        const run = await runLab(base);
        const rbac = run.resources.filter((r) => r.type.includes("rbac.authorization.k8s.io"));
        expect(rbac.map((r) => `${r.type.split(":")[2]} ${String((r.inputs.metadata as { namespace: string }).namespace)}`)).to.deep.equal([
            "Role guestbook-ann",
            "RoleBinding guestbook-ann",
            "Role guestbook-bob",
            "RoleBinding guestbook-bob",
        ]);
        expect(run.resources.filter((r) => /ClusterRole|ClusterRoleBinding/.test(r.type))).to.deep.equal([]);
        // Nothing an attendee may do reaches RBAC, namespaces, quotas or secrets.
        const resources = ATTENDEE_RULES.flatMap((r) => r.resources);
        expect(resources.filter((r) => /roles|rolebindings|namespaces|secrets|serviceaccounts/.test(r))).to.deep.equal([]);
        const writable = ATTENDEE_RULES.filter((r) => r.verbs.includes("update") || r.verbs.includes("create")).flatMap((r) => r.resources);
        expect(writable).to.deep.equal([
            "virtualservices",
            "destinationrules",
            "peerauthentications",
            "httproutes",
            "deployments",
            "deployments/scale",
            "services",
        ]);
    });

    it("OpenShift: binds the same Role to the cluster's user by pattern; no ServiceAccount, no token", async () => {
        const run = await runLab({
            ...base,
            "istio-lab:recipe": "openshift",
            "istio-lab:attendeeAccess": '{"userPattern":"lab-<attendee>"}',
        });
        const names = run.resources
            .filter((r) => r.parent === "istio-lab:classroom:AttendeeAccess::attendee-bob-access")
            .map((r) => r.type.split(":")[2]);
        expect(names).to.deep.equal(["Role", "RoleBinding", "AuthorizationPolicy", "NetworkPolicy"]);
        expect(byName(run.resources, "attendee-bob-access-rolebinding").inputs.subjects).to.deep.equal([
            { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "lab-bob" },
        ]);
        expect(run.outputs.attendeeTokens).to.equal(null);
    });

    it("leaves what the attendee owns to them: the routing objects' spec and the guestbook's replicas are ignored after creation", async () => {
        const run = await runLab(base);
        const ignored = (name: string) => byName(run.resources, name).ignoreChanges;
        expect([
            ignored("attendee-ann-traffic-virtual-service"),
            ignored("attendee-ann-traffic-destination-rule"),
            ignored("attendee-ann-guestbook-guestbook-v1"),
            ignored("attendee-ann-guestbook-redis-master"),
        ]).to.deep.equal([["spec"], ["spec"], ["spec.replicas"], []]);
        // Replaced by lab reset --attendee: deleted first, as the attendee's field manager owns fields of it.
        const dbr = (name: string) => byName(run.resources, name).deleteBeforeReplace;
        expect([
            dbr("attendee-ann-traffic-virtual-service"),
            dbr("attendee-ann-traffic-destination-rule"),
            dbr("attendee-ann-guestbook-guestbook-v1"),
        ]).to.deep.equal([true, true, false]);
        const without = await runLab({ "istio-lab:attendees": '["ann"]' });
        expect(byName(without.resources, "attendee-ann-traffic-virtual-service").ignoreChanges).to.deep.equal([]);
        expect(byName(without.resources, "attendee-ann-traffic-virtual-service").deleteBeforeReplace).to.equal(false);
    });

    it("counts what a lab requests: pods, each container's requests or the defaults, and a sidecar per pod", () => {
        expect(quantityValue("1500m")).to.equal(1.5);
        expect(quantityValue("2Gi")).to.equal(2 * 1024 ** 3);
        expect(quantityValue("lots")).to.equal(undefined);
        expect(
            labNeeds([
                { name: "a", replicas: 2 },
                { name: "b", replicas: 1, requests: { cpu: "200m", memory: "256Mi" } },
            ]),
        ).to.deep.equal({
            pods: 3,
            cpuMillis: 2 * 150 + 300,
            memoryMi: 2 * 192 + 384,
            breakdown: "a 2, b 1",
            sidecars: true,
        });
        // Ambient: no sidecars; a waypoint is one more pod, its proxy requesting what a sidecar would.
        const ambient = (waypoint: boolean) => labNeeds([{ name: "a", replicas: 2 }], { dataplane: "ambient", waypoint });
        expect([ambient(false), ambient(true)]).to.deep.equal([
            { pods: 2, cpuMillis: 2 * 50, memoryMi: 2 * 64, breakdown: "a 2", sidecars: false },
            { pods: 3, cpuMillis: 2 * 50 + 100, memoryMi: 2 * 64 + 128, breakdown: "a 2, waypoint 1", sidecars: false },
        ]);
    });

    const refusals: Array<[string, Record<string, string>, string]> = [
        [
            "access without attendees",
            { "istio-lab:attendeeAccess": "true" },
            "istio-lab:attendeeAccess: true is not allowed; expected false or nothing without istio-lab:attendees (access is each attendee's own)",
        ],
        [
            "a budget without access",
            { "istio-lab:attendees": "2", "istio-lab:attendeeBudget": '{"pods":20}' },
            'istio-lab:attendeeBudget: {"pods":20} is not allowed; expected nothing without istio-lab:attendeeAccess (a budget is part of an attendee\'s own lane; set attendeeAccess to true)',
        ],
        [
            "a budget of fewer pods than the lab runs",
            { ...base, "istio-lab:attendeeBudget": '{"pods":5}' },
            "istio-lab:attendeeBudget.pods: 5 is not allowed; expected at least 9, what each attendee's lab requests (9 pods: redis-master 1, redis-slave 2, guestbook-v1 3, guestbook-v2 3; a container without requests gets 50m and 64Mi, each sidecar 100m and 128Mi)",
        ],
        [
            "a CPU budget below the lab's requests",
            { ...base, "istio-lab:attendeeBudget": '{"cpu":"1"}' },
            'istio-lab:attendeeBudget.cpu: "1" is not allowed; expected at least 1500m, what each attendee\'s lab requests (9 pods: redis-master 1, redis-slave 2, guestbook-v1 3, guestbook-v2 3; a container without requests gets 50m and 64Mi, each sidecar 100m and 128Mi)',
        ],
        [
            "a memory budget below the lab's requests",
            { ...base, "istio-lab:attendeeBudget": '{"memory":"1Gi"}' },
            'istio-lab:attendeeBudget.memory: "1Gi" is not allowed; expected at least 1836Mi, what each attendee\'s lab requests (9 pods: redis-master 1, redis-slave 2, guestbook-v1 3, guestbook-v2 3; a container without requests gets 50m and 64Mi, each sidecar 100m and 128Mi)',
        ],
        [
            "a user pattern without the attendee",
            { ...base, "istio-lab:recipe": "openshift", "istio-lab:attendeeAccess": '{"userPattern":"lab"}' },
            "istio-lab:attendeeAccess.userPattern: \"lab\" is not allowed; expected a user name pattern with \"<attendee>\" in it, e.g. \"<attendee>\" or \"lab-<attendee>\" (letters, digits, '.', '_', '@', '-')",
        ],
        [
            "a user pattern with a character no user name has",
            { ...base, "istio-lab:recipe": "openshift", "istio-lab:attendeeAccess": '{"userPattern":"lab/<attendee>"}' },
            "istio-lab:attendeeAccess.userPattern: \"lab/<attendee>\" is not allowed; expected a user name pattern with \"<attendee>\" in it, e.g. \"<attendee>\" or \"lab-<attendee>\" (letters, digits, '.', '_', '@', '-')",
        ],
        [
            "a user pattern on Kubernetes",
            { ...base, "istio-lab:attendeeAccess": '{"userPattern":"<attendee>"}' },
            'istio-lab:attendeeAccess.userPattern: "<attendee>" is not allowed; expected nothing on Kubernetes (each attendee gets a ServiceAccount token there; the pattern names OpenShift users)',
        ],
    ];
    for (const [what, raw, message] of refusals) {
        it(`refuses ${what}`, () => {
            expect(() => parseConfig(raw)).to.throw(message);
        });
    }
});

describe("lab attendees --kubeconfig: the files it writes", () => {
    it("takes the server and CA of the current context, and writes the attendee's token and namespace", () => {
        const text = [
            "apiVersion: v1",
            "clusters:",
            "- name: lab",
            "  cluster: {server: 'https://127.0.0.1:6443', certificate-authority-data: Q0EK}",
            "- name: other",
            "  cluster: {server: 'https://10.0.0.1'}",
            "contexts:",
            "- name: admin",
            "  context: {cluster: lab, user: admin}",
            "current-context: admin",
        ].join("\n");
        const endpoint = currentCluster(text, "kubeconfig");
        expect(endpoint).to.deep.equal({ server: "https://127.0.0.1:6443", caData: "Q0EK" });
        expect(
            parse(attendeeKubeconfig({ attendee: "ann", namespace: "guestbook-ann", token: "t0k3n" }, endpoint, "istio-lab-class")),
        ).to.deep.equal({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "istio-lab-class", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": "Q0EK" } }],
            users: [{ name: "ann", user: { token: "t0k3n" } }],
            contexts: [{ name: "ann@istio-lab-class", context: { cluster: "istio-lab-class", user: "ann", namespace: "guestbook-ann" } }],
            "current-context": "ann@istio-lab-class",
        });
        expect(() => currentCluster("current-context: none\n", "kc")).to.throw(
            "kc: its current context names no cluster with a server; give --server URL",
        );
    });

    it("lab attendees shows who each attendee is and what they own", async () => {
        const r = await lab(["attendees", "--set", 'attendees=["ann"]', "--set", "attendeeAccess=true"]);
        expect(r.stdout).to.equal(
            [
                "ATTENDEE  NAMESPACE      URL                                           WEIGHTS       ACCESS",
                "ann       guestbook-ann  https://<pending load balancer address>/ann/  v1 80, v2 20  ServiceAccount guestbook-ann/attendee",
                "",
                "each attendee owns (the class's pulumi up leaves them as the attendee sets them): VirtualService virtual-service-guestbook, DestinationRule destination-rule-guestbook, the guestbook Deployments' replicas; everything else in their namespace is the instructor's",
                "",
            ].join("\n"),
        );
    });
});
