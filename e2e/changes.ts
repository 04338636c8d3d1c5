// e2e scenario 4: config changes: the engine's steps (update, replace, create, delete) are lab diff's
// prediction, both ways, then live as rendered.
import { diffRenders } from "../tools/diff";
import { Scenario } from "./scenario";
import { harnessConfig } from "./harnessConfig";
import { json, rendered, engineChanges, labDiffChanges, labIdOf, assertLiveApplied, preview, CHANGES } from "./harness";

/** Scenario 4. */
export const changesScenario: Scenario = {
    name: "4 config changes: the engine's steps (update, replace, create, delete) are lab diff's prediction, both ways, then live as rendered",
    run: async ({ cluster, ws, engine }) => {
        const base = harnessConfig(engine, "dev");
        const baseObjects = await rendered(base, "dev");
        const lines: string[] = [];
        for (const [what, set] of CHANGES.slice(1)) {
            const after = { ...base, ...set };
            const afterObjects = await rendered(after, "dev");
            for (const [from, to, fromObjects, toObjects, label] of [
                [base, after, baseObjects, afterObjects, what],
                [after, base, afterObjects, baseObjects, `${what}, undone`],
            ] as const) {
                void from;
                ws.configure("dev", to);
                const engineSaid = engineChanges(preview(ws, "dev"));
                const labSaid = labDiffChanges(diffRenders(fromObjects, toObjects));
                if (json(engineSaid) !== json(labSaid)) {
                    throw new Error(`${label}: lab diff predicted [${labSaid.join("; ")}], the engine plans [${engineSaid.join("; ")}]`);
                }
                ws.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
                assertLiveApplied(cluster, toObjects, labIdOf(ws, "dev"));
                if (label === what) {
                    lines.push(`${what}: ${engineSaid.length}`);
                }
            }
        }
        return lines.join(", ");
    },
};
