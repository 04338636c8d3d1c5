// `lab check --probe`: the seed lab's own method on a real cluster. Each `sleep` calls each `httpbin` with
// the document's command (`curl http://httpbin.<to>:8000/headers -s -w "response code: %{http_code}\n"`,
// through `kubectl exec`), and the code and whether `X-Forwarded-Client-Cert` came back are held against
// `lab matrix`'s row for the step. Pods run only on a real cluster (the harness's are played by kwok), so this
// level is tested on recorded output. The traffic lab's probe (requests through the lab's URL, counted by
// version) is trafficProbe.ts.
import type { LevelReport } from "./check";
import type { Kube } from "./live";
import { ProbeResult, probeMatrix } from "./matrix";
import { RenderedObject, metaOf } from "./render";

/** What one probe showed. */
export interface ProbeOutcome {
    /** The HTTP status curl printed: `200`, `000` (connection reset), `503`, ... */
    readonly code: string;
    /** Whether httpbin echoed an `X-Forwarded-Client-Cert` header (a sidecar terminated mutual TLS). */
    readonly xfcc: boolean;
}

/** The seed's curl command, run in the caller's `sleep` container; `; true` keeps curl's output when the call fails (exit 56 on a reset). */
export const probeCommand = (to: string) => [
    "sh",
    "-c",
    `curl http://httpbin.${to}:8000/headers -s -w "response code: %{http_code}\\n"; true`,
];

/** Reads one probe's output: httpbin's JSON of the request headers (when it answered), then `response code: NNN`. */
export function parseProbe(output: string): ProbeOutcome | string {
    const line = /response code: (\d{3})\s*$/.exec(output);
    if (!line) {
        return `no "response code:" line in the output (${JSON.stringify(output.trim().slice(-120))})`;
    }
    const body = output.slice(0, line.index);
    let xfcc = false;
    if (body.trim() !== "") {
        try {
            const headers = (JSON.parse(body) as { headers?: Record<string, unknown> }).headers ?? {};
            xfcc = Object.keys(headers).some((h) => h.toLowerCase() === "x-forwarded-client-cert");
        } catch {
            xfcc = /"x-forwarded-client-cert"\s*:/i.test(body);
        }
    }
    return { code: line[1], xfcc };
}

/** Where an outcome differs from the matrix's row (the header is compared only where both got through). */
export function probeDifference(want: ProbeResult, got: ProbeOutcome): string | undefined {
    const what = `probe sleep.${want.from} to httpbin.${want.to}`;
    if (got.code !== want.code) {
        return `${what}: expected ${want.code}, got ${got.code}`;
    }
    // Ambient's mutual TLS is ztunnel's HBONE, which adds no header: there the header says nothing.
    if (want.code === "200" && want.dataplane === "sidecar" && got.xfcc !== want.mtls) {
        return `${what}: expected ${want.mtls ? "mutual TLS (X-Forwarded-Client-Cert)" : "plain text (no X-Forwarded-Client-Cert)"}, got ${
            got.xfcc ? "mutual TLS" : "plain text"
        }`;
    }
    return undefined;
}

/** The namespaces with a `sleep` Deployment to probe from (the peer authentication lab's mtlsLab stage). */
export function sleepNamespaces(objects: readonly RenderedObject[]): Set<string> {
    return new Set(
        objects.filter((o) => o.manifest.kind === "Deployment" && metaOf(o).name === "sleep").map((o) => metaOf(o).namespace ?? ""),
    );
}

/** The probes level: every sleep -> httpbin row of the step's matrix, probed from the caller's sleep Deployment. */
export function probesLevel(objects: readonly RenderedObject[], root: string, kube: Kube): LevelReport {
    const from = sleepNamespaces(objects);
    const rows = probeMatrix(objects, root).filter((r) => from.has(r.from));
    const differences: string[] = [];
    for (const r of rows) {
        const out = kube.kubectl(["exec", "-n", r.from, "deploy/sleep", "-c", "sleep", "--", ...probeCommand(r.to)]);
        const got = parseProbe(out);
        const d = typeof got === "string" ? `probe sleep.${r.from} to httpbin.${r.to}: ${got}` : probeDifference(r, got);
        if (d !== undefined) {
            differences.push(d);
        }
    }
    return { checked: rows.length, differences, source: "kubectl exec of each sleep (curl, as the seed lab does)" };
}
