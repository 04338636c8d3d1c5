// e2e scenario 7: a classroom of N (20, or ISTIO_LAB_E2E_CLASS) up (the instructor's own certificate:
// gateway.tls {credentialName}); one attendee's override is one update; destroy.
import { RenderedObject } from "../tools/render";
import { Cluster } from "./cluster";
import { awaitLikeTheProvider } from "./floor";
import { Scenario } from "./scenario";
import { harnessConfig } from "./harnessConfig";
import {
    json,
    rendered,
    engineChanges,
    labIdOf,
    assertLiveApplied,
    withStack,
    assertGone,
    secs,
    preview,
    traced,
    CLASS_SIZE,
} from "./harness";

/** ISTIO_LAB_E2E_PARALLEL=N: the class's up, override and destroy with --parallel N (the CLI's default is 4 per CPU). */
const PARALLEL = process.env.ISTIO_LAB_E2E_PARALLEL ? ["--parallel", process.env.ISTIO_LAB_E2E_PARALLEL] : [];

/**
 * The like-for-like floor of a class, on the same cluster after pulumi destroy: `kubectl apply --server-side`
 * of every object in the attendees' namespaces (the namespaces too), kubectl's waits for what the provider
 * awaits, then `kubectl delete` of those namespaces, waiting until they are gone.
 */
function classFloor(cluster: Cluster, objects: readonly RenderedObject[]): { objects: number; upMs: number; downMs: number } {
    const attendees = objects.filter((o) => {
        const m = o.manifest as { kind: string; metadata: { name: string; namespace?: string } };
        return /^guestbook-/.test(m.metadata.namespace ?? (m.kind === "Namespace" ? m.metadata.name : ""));
    });
    const namespaces = attendees
        .filter((o) => (o.manifest as { kind: string }).kind === "Namespace")
        .map((o) => (o.manifest as { metadata: { name: string } }).metadata.name);
    let start = Date.now();
    cluster.kubectl(
        ["apply", "--server-side", "--field-manager=istio-lab-e2e", "-f", "-"],
        attendees.map((o) => json(o.manifest)).join("\n---\n"),
    );
    awaitLikeTheProvider(cluster, attendees);
    const upMs = Date.now() - start;
    start = Date.now();
    cluster.kubectl(["delete", "namespace", ...namespaces, "--wait=true", "--timeout=300s"]);
    return { objects: attendees.length, upMs, downMs: Date.now() - start };
}

/** Scenario 7. */
export const classroomScenario: Scenario = {
    name: `7 a classroom of ${CLASS_SIZE} up (the instructor's own certificate: gateway.tls {credentialName}); one attendee's override is one update; destroy`,
    run: async (x) => {
        const { cluster, ws, engine, times } = x;
        const base = harnessConfig(engine, "dev", {
            "istio-lab:attendees": String(CLASS_SIZE),
            "istio-lab:gateway":
                '{"serviceType":"NodePort","domain":"lab.example.com","tls":{"credentialName":"wildcard-lab-example-com"}}',
        });
        return withStack(ws, "classroom", base, async () => {
            const upArgs = ["up", "--yes", "--skip-preview", "--stack", "classroom", ...PARALLEL];
            const up = traced(x, `pulumi up, a class of ${CLASS_SIZE}`, upArgs);
            times.push([`pulumi up, a class of ${CLASS_SIZE}`, secs(up.ms)]);
            const objects = await rendered(base, "classroom");
            assertLiveApplied(cluster, objects, labIdOf(ws, "classroom"));
            const after = { ...base, "istio-lab:attendeeOverrides": '{"user7":{"canaryWeight":50}}' };
            ws.configure("classroom", after);
            const engineSaid = engineChanges(preview(ws, "classroom"));
            const want = ["changed VirtualService guestbook-user7/virtual-service-guestbook"];
            if (json(engineSaid) !== json(want)) {
                throw new Error(`user7's override: the engine plans [${engineSaid.join("; ")}]`);
            }
            const one = traced(x, `pulumi up, one attendee's override in a class of ${CLASS_SIZE}`, upArgs);
            const destroy = traced(x, `pulumi destroy, a class of ${CLASS_SIZE}`, [
                "destroy",
                "--yes",
                "--skip-preview",
                "--stack",
                "classroom",
                ...PARALLEL,
            ]);
            times.push([`pulumi destroy, a class of ${CLASS_SIZE}`, secs(destroy.ms)]);
            assertGone(cluster, objects);
            const floor = classFloor(cluster, objects);
            times.push([
                `the floor: kubectl apply of the class's ${floor.objects} attendee objects, then kubectl's waits / kubectl delete of their namespaces --wait`,
                `${secs(floor.upMs)} / ${secs(floor.downMs)}`,
            ]);
            times.push([
                `pulumi up / the floor, pulumi destroy / the floor (pulumi's include the control plane)`,
                `${(up.ms / floor.upMs).toFixed(1)}x / ${(destroy.ms / floor.downMs).toFixed(1)}x`,
            ]);
            return `${objects.length} objects up in ${secs(up.ms)}; override ${secs(one.ms)}; destroyed in ${secs(destroy.ms)}; the floor of the attendees' ${floor.objects} objects: up ${secs(floor.upMs)}, down ${secs(floor.downMs)}`;
        });
    },
};
