// e2e scenario 2: pulumi up of dev: live objects as rendered, labUrl the node port the API server assigned, no
// private key or Secret value in the state, then up --expect-no-changes.
import { Scenario } from "./scenario";
import { harnessConfig } from "./harnessConfig";
import { rendered, labIdOf, assertLiveApplied, secs, traced, verifyCertificate } from "./harness";

/** Scenario 2. */
export const upScenario: Scenario = {
    name: "2 pulumi up of dev: live objects as rendered, labUrl the node port the API server assigned, no private key or Secret value in the state, then up --expect-no-changes",
    run: async (x) => {
        const { cluster, ws, engine, times } = x;
        const config = harnessConfig(engine, "dev");
        ws.stack("dev", config);
        const up = traced(x, "pulumi up, dev", ["up", "--yes", "--skip-preview", "--stack", "dev"]);
        times.push(["pulumi up, dev (29 resources, 3 Helm releases, TLS with the stand-ins)", secs(up.ms)]);
        const objects = await rendered(config, "dev");
        assertLiveApplied(cluster, objects, labIdOf(ws, "dev"));
        for (const [kind, ns, name] of [
            ["deployment", "istio-system", "istiod"],
            ["deployment", "istio-system", "istio-ingressgateway"],
        ]) {
            cluster.kubectl(["get", kind, name, "-n", ns]);
        }
        const svc = JSON.parse(cluster.kubectl(["get", "service", "istio-ingressgateway", "-n", "istio-system", "-o", "json"]).stdout) as {
            spec: { ports: Array<{ port: number; nodePort: number }> };
        };
        const nodePort = svc.spec.ports.find((p) => p.port === 443)?.nodePort;
        const labUrl = ws.pulumi(["stack", "output", "labUrl", "--stack", "dev"]).stdout.trim();
        if (!nodePort || labUrl !== `https://<any node's address>:${nodePort}`) {
            throw new Error(`labUrl ${labUrl}, the Service's node port for 443 is ${nodePort}`);
        }
        // Secrets: the exported state holds neither the private keys nor the Secret's values in plain text.
        const state = ws.exportState("dev");
        const secret = JSON.parse(
            cluster.kubectl(["get", "secret", "guestbook-gateway-credential", "-n", "istio-system", "-o", "json"]).stdout,
        ) as {
            data: Record<string, string>;
        };
        const key = Buffer.from(secret.data["tls.key"], "base64").toString();
        // The stand-in tls plugin's certificate is real X.509: it verifies against the caCert output.
        const caCert = ws.pulumi(["stack", "output", "caCert", "--stack", "dev"]).stdout.trim();
        const verified = verifyCertificate(caCert, Buffer.from(secret.data["tls.crt"], "base64").toString());
        if (verified !== "OK guestbook.istio-lab.local") {
            throw new Error(`the gateway certificate against caCert: ${verified}`);
        }
        const leaks = [
            state.includes("PRIVATE KEY") ? "a PEM private key" : "",
            state.includes(key.trim().split("\n")[1] ?? "<none>") ? "the Secret's tls.key" : "",
            state.includes(secret.data["tls.key"]) ? "the Secret's tls.key (base64)" : "",
        ].filter(Boolean);
        if (leaks.length > 0 || !state.includes("4dabf18193072939515e22adb298388d")) {
            throw new Error(`the exported state holds ${leaks.join(", ") || "no secret at all"} in plain text`);
        }
        const again = traced(x, "pulumi up, dev, nothing changed", [
            "up",
            "--yes",
            "--skip-preview",
            "--expect-no-changes",
            "--stack",
            "dev",
        ]);
        times.push(["pulumi up, dev, nothing changed", secs(again.ms)]);
        return `${objects.length} objects live as rendered; labUrl ${labUrl}; certificate verifies against caCert (stand-in tls); state encrypted; second up ${secs(again.ms)} with no changes`;
    },
};
