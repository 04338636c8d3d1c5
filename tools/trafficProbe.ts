// `lab check --probe --url URL` on the traffic lab: what the seed document asks the learner to do by hand
// ("the guestbook should swap between V1 or V2 at about the weight you specified"), counted. N requests to
// the guestbook's `/env` through the lab's URL (the gateway); each answer names the pod that served it
// (`HOSTNAME`, which the guestbook's `/env` returns), and so its version, by the version's Deployment name.
// The counts are held against the step's `trafficSplit`, each version's share within three standard
// deviations of the binomial count (about 99.7% of honest runs pass; a version the split gives 0% or 100%
// must get exactly none or all). Where `lab matrix` says the gateway's call to a version fails (a 503 from a
// TLS mismatch), that version's share is expected as that code. With an A/B rule, a second batch carries
// the rule's header and must all reach the newest version.
import * as http from "http";
import * as https from "https";
import type { LevelReport } from "./check";
import type { ProbeResult } from "./matrix";
import { RenderedObject, metaOf } from "./render";
import { RE2JS } from "re2js";
import { LinearPattern, linear } from "../components/linear";

const POD_PATTERNS = new Map<string, LinearPattern>();

/** A pattern of a pod name of Deployment `d` standing alone in a text, compiled once per Deployment (every answer is matched). */
function podOf(d: string): LinearPattern {
    let p = POD_PATTERNS.get(d);
    if (p === undefined) {
        p = linear(`(^|[^a-z0-9-])${RE2JS.quote(d)}-[a-z0-9]+-[a-z0-9]+($|[^a-z0-9-])`);
        POD_PATTERNS.set(d, p);
    }
    return p;
}

/** The step's split, as `trafficSplit` gives it. */
export interface ProbeSplit {
    readonly weights: Readonly<Record<string, number>>;
    readonly abTest: { readonly header: string; readonly regex: string } | null;
}

/** What the probe sends and what it holds the answers against. */
export interface TrafficProbe {
    /** The lab's URL (the gateway's address, as `labUrl` or the learner's route gives it). */
    readonly url: string;
    /** How many requests per batch. */
    readonly requests: number;
    /** The guestbook's namespace (an attendee's in a class). */
    readonly namespace: string;
    readonly split: ProbeSplit;
    /** `lab matrix`'s rows for the step (the gateway's calls to each version among them). */
    readonly rows: readonly ProbeResult[];
    /** The guestbook's versions, oldest first (the A/B rule's go to the newest). */
    readonly versions: readonly string[];
    /** Each version's Deployment name (`v1` -> `guestbook-v1`). */
    readonly deployments: Readonly<Record<string, string>>;
}

/** Each version of the split by the Deployment that runs it in `namespace`: the one whose name ends in `-<version>`. */
export function versionDeployments(
    objects: readonly RenderedObject[],
    namespace: string,
    versions: readonly string[],
): Record<string, string> {
    const names = objects.filter((o) => o.manifest.kind === "Deployment" && metaOf(o).namespace === namespace).map((o) => metaOf(o).name);
    return Object.fromEntries(versions.flatMap((v) => names.filter((n) => n.endsWith(`-${v}`)).map((n) => [v, n])));
}

/** How far a count of `n` draws at share `p` may stray: none at 0 or 1, else three binomial standard deviations, rounded up. */
export function tolerance(n: number, p: number): number {
    return p <= 0 || p >= 1 ? 0 : Math.ceil(3 * Math.sqrt(n * p * (1 - p)));
}

/**
 * What one answer was: the version whose Deployment's pod served it (`v2`), `code NNN` for another status,
 * `200 from <host>` when the pod is none of the versions', or the error.
 */
export function outcomeOf(status: number, body: string, deployments: Readonly<Record<string, string>>): string {
    if (status !== 200) {
        return `code ${status}`;
    }
    let host: string | undefined;
    try {
        host = (JSON.parse(body) as { HOSTNAME?: unknown }).HOSTNAME as string | undefined;
    } catch {
        host = undefined;
    }
    const name = typeof host === "string" ? host : body;
    // A pod of Deployment d is named d-<ReplicaSet hash>-<suffix>.
    const found = Object.entries(deployments).find(([, d]) => podOf(d).test(name));
    return found ? found[0] : `200 from ${typeof host === "string" ? host : "a page naming no pod of the lab's"}`;
}

/** The share of each outcome the step expects: each version's weight, as that version or as the code the matrix predicts for it. */
export function expectedShares(
    x: Pick<TrafficProbe, "split" | "rows" | "deployments" | "namespace">,
    versions: readonly string[],
): Map<string, number> {
    const shares = new Map<string, number>();
    const total = versions.reduce((s, v) => s + (x.split.weights[v] ?? 0), 0);
    for (const v of versions) {
        const w = x.split.weights[v] ?? 0;
        const row = x.rows.find((r) => r.to === `${x.deployments[v]}.${x.namespace}`);
        const outcome = row && row.code !== "200" ? `code ${row.code}` : v;
        shares.set(outcome, (shares.get(outcome) ?? 0) + (total > 0 ? w / total : 0));
    }
    return shares;
}

/** The differences between the counts of `n` answers and the expected shares. */
export function countDifferences(
    what: string,
    expected: ReadonlyMap<string, number>,
    counts: ReadonlyMap<string, number>,
    n: number,
): string[] {
    const got = [...counts.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([o, c]) => `${o} ${c}`)
        .join(", ");
    const out: string[] = [];
    for (const outcome of [...new Set([...expected.keys(), ...counts.keys()])].sort()) {
        const p = expected.get(outcome) ?? 0;
        const tol = tolerance(n, p);
        const c = counts.get(outcome) ?? 0;
        if (Math.abs(c - n * p) > tol) {
            const want = p === 0 ? "none" : `${round(n * p)}${tol > 0 ? ` ± ${tol}` : ""}`;
            out.push(`${what}: ${outcome} answered ${c} of ${n}, expected ${want} (got ${got})`);
        }
    }
    return out;
}

const round = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** A header value the A/B rule's regex matches: Firefox's User-Agent for the lab's rule, a literal regex as it is, else undefined. */
export function abValue(regex: string): string | undefined {
    const core = regex.replace(/^\^?(\.\*)?/, "").replace(/(\.\*)?\$?$/, "");
    if (/[\\^$.|?*+()[\]{}]/.test(core)) {
        return undefined;
    }
    return core === "Firefox" ? "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0" : core;
}

/** How long one request of the probe may take in all, from connecting to the last byte of its answer. */
export const REQUEST_DEADLINE_MS = 5000;

/**
 * One GET of `url` (TLS not verified: a lab's gateway certificate is its own CA's); its status and body, or the
 * error. `timeoutMs` bounds the whole request, not only silences: a server that trickles a byte every few
 * seconds is cut off at it.
 */
export function get(
    url: string,
    headers: Readonly<Record<string, string>>,
    timeoutMs = REQUEST_DEADLINE_MS,
): Promise<{ status: number; body: string } | string> {
    return new Promise((resolve) => {
        let settled = false;
        const settle = (r: { status: number; body: string } | string) => {
            if (!settled) {
                settled = true;
                clearTimeout(timer);
                resolve(r);
            }
        };
        const u = new URL(url);
        const client = u.protocol === "https:" ? https : http;
        const req = client.get(u, { headers: { ...headers }, rejectUnauthorized: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => {
                if (body.length < 65536) {
                    body += d; // enough for /env's JSON; the rest is not read
                }
            });
            res.on("end", () => settle({ status: res.statusCode ?? 0, body }));
            res.on("error", (e: NodeJS.ErrnoException) => settle(`error ${e.code ?? e.message}`));
        });
        const timer = setTimeout(() => {
            settle(`error no whole answer within ${(timeoutMs / 1000).toFixed(1)} s`);
            req.destroy();
        }, timeoutMs);
        req.on("error", (e: NodeJS.ErrnoException) => settle(`error ${e.code ?? e.message}`));
    });
}

/** The outcome of a request the check's deadline left no time for. */
export const NOT_SENT = "not sent: the check's deadline had passed";

/** Sends `n` requests, four at a time, and counts the outcomes; none is sent after `deadline` (epoch ms), and none outlasts it. */
export async function countOutcomes(
    url: string,
    n: number,
    headers: Readonly<Record<string, string>>,
    deployments: Readonly<Record<string, string>>,
    deadline = Infinity,
): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let next = 0;
    const worker = async () => {
        while (next < n) {
            next++;
            const left = deadline - Date.now();
            if (left <= 0) {
                counts.set(NOT_SENT, (counts.get(NOT_SENT) ?? 0) + 1);
                continue;
            }
            const r = await get(url, headers, Math.min(REQUEST_DEADLINE_MS, left));
            const outcome = typeof r === "string" ? r : outcomeOf(r.status, r.body, deployments);
            counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
        }
    };
    await Promise.all(Array.from({ length: Math.min(4, n) }, worker));
    return counts;
}

/** The probes level of the traffic lab: the default route's batch, then the A/B rule's. */
export async function trafficProbeLevel(p: TrafficProbe, deadline = Infinity): Promise<LevelReport> {
    const versions = p.versions;
    const target = `${p.url.replace(/\/$/, "")}/env`;
    const differences: string[] = [];
    const defaultCounts = await countOutcomes(target, p.requests, {}, p.deployments, deadline);
    differences.push(...countDifferences(`${p.requests} requests to ${target}`, expectedShares(p, versions), defaultCounts, p.requests));
    let checked = p.requests;
    const notes: string[] = [];
    if (p.split.abTest) {
        const value = abValue(p.split.abTest.regex);
        if (value === undefined) {
            notes.push(`the A/B rule's regex ${JSON.stringify(p.split.abTest.regex)} is not a literal: its batch was not sent`);
        } else {
            // The A/B rule sends its matches to the newest version.
            const newest = versions[versions.length - 1];
            const ab = await countOutcomes(target, p.requests, { [p.split.abTest.header]: value }, p.deployments, deadline);
            const expected = expectedShares({ ...p, split: { weights: { [newest]: 100 }, abTest: null } }, [newest]);
            differences.push(
                ...countDifferences(`${p.requests} requests with ${p.split.abTest.header}: ${value}`, expected, ab, p.requests),
            );
            checked += p.requests;
        }
    }
    return {
        checked,
        differences,
        source: `requests through ${p.url} (each version's share within 3 standard deviations${notes.length > 0 ? `; ${notes.join("; ")}` : ""})`,
    };
}
