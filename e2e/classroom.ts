// e2e scenario 7: a classroom of N (20, or ISTIO_LAB_E2E_CLASS) up (the instructor's own certificate:
// gateway.tls {credentialName}); one attendee's override is one update; destroy.
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
            const up = traced(x, `pulumi up, a class of ${CLASS_SIZE}`, ["up", "--yes", "--skip-preview", "--stack", "classroom"]);
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
            const one = traced(x, `pulumi up, one attendee's override in a class of ${CLASS_SIZE}`, [
                "up",
                "--yes",
                "--skip-preview",
                "--stack",
                "classroom",
            ]);
            const destroy = traced(x, `pulumi destroy, a class of ${CLASS_SIZE}`, [
                "destroy",
                "--yes",
                "--skip-preview",
                "--stack",
                "classroom",
            ]);
            times.push([`pulumi destroy, a class of ${CLASS_SIZE}`, secs(destroy.ms)]);
            assertGone(cluster, objects);
            return `${objects.length} objects up in ${secs(up.ms)}; override ${secs(one.ms)}; destroyed in ${secs(destroy.ms)}`;
        });
    },
};
