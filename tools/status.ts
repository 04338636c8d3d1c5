// `lab status --stack CLASS`: a classroom at a glance. One read of the live cluster, then each attendee held
// against each of their traffic steps' expected states (the same `lab check` logic, tools/check.ts): the step
// whose state holds is where they are, the steps before it are done, the ones after not yet; when no step
// holds, the attendee has diverged, shown at the step the class's config puts them at, with its first
// difference. As a terminal table, `--json`, or `--html FILE`, a page an instructor keeps open.
import type { LabConfig } from "../config";
import { ClusterRead, Level, attendeeScope, evaluateStep, passed } from "./check";
import type { RenderedObject } from "./render";
import type { LabStep } from "./steps";

/** Where one attendee is against one step. */
export type CellState = "done" | "here" | "not yet" | "diverged";

/** One attendee's row. */
export interface StatusRow {
    readonly attendee: string;
    readonly namespace: string;
    /** The step whose state holds now, if any. */
    readonly here: string | null;
    /** The step the class's config puts the attendee at (their attendeeOverrides), if it is one. */
    readonly configured: string | null;
    readonly cells: ReadonlyArray<{ readonly step: string; readonly state: CellState; readonly difference?: string }>;
}

/** The class's grid. */
export interface ClassStatus {
    readonly stack: string;
    readonly steps: readonly string[];
    readonly levels: readonly Level[];
    readonly source: string;
    readonly rows: readonly StatusRow[];
}

/** A step's expected state for the whole class (every attendee at that step): what `attendeeScope` cuts each attendee's part from. */
export interface ClassStep {
    readonly step: LabStep;
    readonly objects: readonly RenderedObject[];
    readonly config: LabConfig;
    readonly rows: ReadonlyArray<{ attendee: string; weights: Record<string, number> | null }> | null;
}

/**
 * The grid from one read: for each attendee, each step checked on the attendee's part of the read. `configured`
 * gives the step the class's config puts an attendee at (or null).
 */
export function classStatus(x: {
    stack: string;
    attendees: ReadonlyArray<{ name: string; namespace: string }>;
    steps: readonly ClassStep[];
    read: ClusterRead;
    levels: readonly Level[];
    configured: (attendee: string) => string | null;
}): ClassStatus {
    const rows = x.attendees.map((a): StatusRow => {
        const reports = x.steps.map((s) => {
            const scoped = attendeeScope(s, x.read, a.name);
            return evaluateStep(s.step, x.stack, scoped.want, scoped.read, x.levels);
        });
        const holding = reports.map(passed);
        const hereIndex = holding.lastIndexOf(true);
        const configured = x.configured(a.name);
        const names = x.steps.map((s) => s.step.name);
        if (hereIndex >= 0) {
            return {
                attendee: a.name,
                namespace: a.namespace,
                here: names[hereIndex],
                configured,
                cells: names.map((step, i) => ({ step, state: i < hereIndex ? "done" : i === hereIndex ? "here" : "not yet" })),
            };
        }
        // Nothing holds: diverged at the step the class's config expects (else the first), with its first difference.
        const at = Math.max(0, configured === null ? 0 : names.indexOf(configured));
        const first = Object.values(reports[at].levels)
            .flatMap((l) => l.differences)
            .at(0);
        return {
            attendee: a.name,
            namespace: a.namespace,
            here: null,
            configured,
            cells: names.map((step, i) =>
                i === at ? { step, state: "diverged", difference: first } : { step, state: i < at ? "done" : "not yet" },
            ),
        };
    });
    return { stack: x.stack, steps: x.steps.map((s) => s.step.name), levels: x.levels, source: x.read.source, rows };
}

/** Which levels were read, and where the mesh level's configuration came from. */
const levelsRead = (s: ClassStatus) => `levels ${s.levels.join(", ")}${s.levels.includes("mesh") ? `; mesh from ${s.source}` : ""}`;

/** The grid as a terminal table, then each diverged attendee's first difference. */
export function formatStatus(s: ClassStatus): string {
    const mark = (state: CellState) => (state === "here" ? "HERE" : state === "diverged" ? "DIVERGED" : state);
    const table = [["ATTENDEE", ...s.steps], ...s.rows.map((r) => [r.attendee, ...r.cells.map((c) => mark(c.state))])];
    const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    const lines = [
        `class ${s.stack}: ${s.rows.length} attendees, ${s.steps.length} steps each (${levelsRead(s)})`,
        ...table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")),
    ];
    const diverged = s.rows.filter((r) => r.here === null);
    if (diverged.length > 0) {
        lines.push("");
        for (const r of diverged) {
            const c = r.cells.find((x) => x.state === "diverged")!;
            lines.push(`${r.attendee} diverged at ${c.step}: ${c.difference ?? "(no difference recorded)"}`);
        }
    }
    const counts = s.steps.map((step) => `${step} ${s.rows.filter((r) => r.here === step).length}`);
    lines.push("", `here: ${counts.join(", ")}; diverged ${diverged.length}`);
    return lines.join("\n");
}

const escape = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Each state's cell background on the page (the e2e reads them back off a screenshot in Chromium). */
export const STATE_COLORS: Readonly<Record<CellState, string>> = {
    done: "#d8f0d8",
    here: "#3a9a3a",
    "not yet": "#f4f4f4",
    diverged: "#c62828",
};

/** The line that marks a page `lab status --html` wrote, so that a later run replaces only such a file. */
export const STATUS_PAGE_GENERATOR = '<meta name="generator" content="istio-lab lab status">';

/** The grid as a self-contained page (no script, no outside resource), refreshed by the browser every `refresh` seconds. */
export function statusHtml(s: ClassStatus, readAt: string, refresh = 30): string {
    const cell = (c: StatusRow["cells"][number]) =>
        `<td class="${c.state.replace(" ", "-")}"${c.difference ? ` title="${escape(c.difference)}"` : ""}>${escape(c.state)}${
            c.difference ? `<div class="why">${escape(c.difference)}</div>` : ""
        }</td>`;
    const rows = s.rows.map(
        (r) => `<tr><th>${escape(r.attendee)}<div class="ns">${escape(r.namespace)}</div></th>${r.cells.map(cell).join("")}</tr>`,
    );
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${refresh}">${STATUS_PAGE_GENERATOR}
<title>lab status: ${escape(s.stack)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1b1b}
table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:.35rem .6rem;text-align:left;vertical-align:top}
thead th{background:#eee}.ns,.why{font-size:.75rem;color:#555;max-width:22rem}
td.done{background:${STATE_COLORS.done}}td.here{background:${STATE_COLORS.here};color:#fff;font-weight:bold}
td.not-yet{background:${STATE_COLORS["not yet"]};color:#777}
td.diverged{background:${STATE_COLORS.diverged};color:#fff;font-weight:bold}td.diverged .why{color:#fff}
</style></head><body>
<h1>lab status: ${escape(s.stack)}</h1>
<p>${s.rows.length} attendees, ${s.steps.length} steps each; read ${escape(readAt)} (${escape(levelsRead(s))}); this page reloads every ${refresh} s, the grid changes when <code>lab status --html</code> runs again.</p>
<table><thead><tr><th>attendee</th>${s.steps.map((x) => `<th>${escape(x)}</th>`).join("")}</tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>
</body></html>
`;
}
