// `lab attendees --kubeconfig DIR`: after `pulumi up` of a class with `attendeeAccess` on Kubernetes, one
// kubeconfig per attendee from the stack's outputs (read through the Automation API, so the user's own CLI,
// backend and passphrase decrypt the tokens). The API server and its CA come from `--server`, or from the
// current context of the kubeconfig the instructor uses. Tokens are written to files of mode 0600, never printed.
import { chmodSync, readFileSync, statSync } from "fs";
import { homedir } from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import type { AttendeeToken } from "../stacks/lab";
import { StackError, openStack, plainOutputs } from "./automation";
import { OutputFileError, OwnFile, checkOutputDirectory, outputDirectory, writeOutputFile } from "./outputFile";
import { httpUrl } from "./address";
import { kindOf, stackNameProblem } from "./stackConfig";
import { strictArgs } from "./strictArgs";

/** Where attendees' kubectl reaches the API server. */
export interface ClusterEndpoint {
    readonly server: string;
    /** The CA's PEM, base64 (as `certificate-authority-data`), if the server's certificate needs one. */
    readonly caData?: string;
    /** The instructor's own kubeconfig skips TLS verification (a throwaway cluster): the attendees' do too. */
    readonly insecure?: boolean;
}

class KubeconfigError extends Error {}

/** The API server of the current context of a kubeconfig's text; a problem names the file, never echoes its content. */
export function currentCluster(text: string, file: string): ClusterEndpoint {
    let parsed: unknown;
    try {
        parsed = parse(text) ?? {};
    } catch (e) {
        const line = (e as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
        throw new KubeconfigError(`${file}: not a kube config (YAML that does not parse${line ? ` at line ${line}` : ""}); ${SERVER_HINT}`);
    }
    const doc = parsed as {
        "current-context"?: string;
        contexts?: Array<{ name: string; context?: { cluster?: string } }>;
        clusters?: Array<{
            name: string;
            cluster?: {
                server?: string;
                "certificate-authority-data"?: string;
                "certificate-authority"?: string;
                "insecure-skip-tls-verify"?: boolean;
            };
        }>;
    };
    const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);
    const context = list(doc.contexts).find((c) => c?.name === doc["current-context"]);
    const cluster = list(doc.clusters).find((c) => c?.name === context?.context?.cluster)?.cluster;
    if (typeof cluster?.server !== "string" || cluster.server === "") {
        throw new KubeconfigError(`${file}: its current context names no cluster with a server; give --server URL`);
    }
    const caFile = cluster["certificate-authority"];
    let caData = cluster["certificate-authority-data"];
    if (caData === undefined && typeof caFile === "string") {
        const ca = path.resolve(path.dirname(file), caFile);
        try {
            caData = readFileSync(ca).toString("base64");
        } catch (e) {
            throw new KubeconfigError(
                `${file}: its cluster's certificate-authority ${ca} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${SERVER_HINT}`,
            );
        }
    }
    return { server: cluster.server, caData, ...(cluster["insecure-skip-tls-verify"] === true ? { insecure: true } : {}) };
}

const SERVER_HINT = "fix it, point KUBECONFIG at the instructor's kube config, or give --server https://HOST:PORT";

/** `--server`: an https URL of a host and a port from 1 to 65535 (the attendees' kubectl talks TLS to the API server). */
export function serverOf(value: string): string {
    const url = httpUrl(value);
    if (url === undefined || url.protocol !== "https:" || url.username !== "" || url.search !== "") {
        throw new KubeconfigError(
            `--server ${JSON.stringify(value)} is not allowed; expected the API server's https URL, a host and a port from 1 to 65535, e.g. https://203.0.113.10:6443`,
        );
    }
    return value;
}

/** The instructor's kube config: the first file of KUBECONFIG, else ~/.kube/config; read as a regular file of at most 1 MiB. */
function instructorKubeconfig(): ClusterEndpoint {
    const file = (process.env.KUBECONFIG || path.join(homedir(), ".kube", "config")).split(path.delimiter).find((f) => f !== "")!;
    const where = process.env.KUBECONFIG ? "KUBECONFIG's first file" : "the default kube config";
    let st;
    try {
        st = statSync(file);
    } catch (e) {
        throw new KubeconfigError(
            `--kubeconfig-dir needs the API server's address: ${where} ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${SERVER_HINT}`,
        );
    }
    if (!st.isFile() || st.size > 1024 * 1024) {
        throw new KubeconfigError(
            `${file} (${where}): not a kube config (it is ${st.isFile() ? "larger than 1 MiB" : kindOf(st)}); ${SERVER_HINT}`,
        );
    }
    return currentCluster(readFileSync(file, "utf8"), file);
}

/** One attendee's kubeconfig: their token, their namespace as the context's default. */
export function attendeeKubeconfig(t: AttendeeToken, endpoint: ClusterEndpoint, clusterName: string): string {
    return `${KUBECONFIG_MARK}\n${stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
            {
                name: clusterName,
                cluster: {
                    server: endpoint.server,
                    ...(endpoint.caData ? { "certificate-authority-data": endpoint.caData } : {}),
                    ...(endpoint.insecure ? { "insecure-skip-tls-verify": true } : {}),
                },
            },
        ],
        users: [{ name: t.attendee, user: { token: t.token } }],
        contexts: [{ name: `${t.attendee}@${clusterName}`, context: { cluster: clusterName, user: t.attendee, namespace: t.namespace } }],
        "current-context": `${t.attendee}@${clusterName}`,
    })}`;
}

/** The first line of each kubeconfig `lab attendees --kubeconfig` writes: a later run replaces only such a file. */
const KUBECONFIG_MARK = "# an attendee's kubeconfig, written by lab attendees --kubeconfig (istio-lab)";
const ATTENDEE_KUBECONFIG: OwnFile = {
    expected: "a new file or an attendee's kubeconfig lab attendees --kubeconfig wrote before (it is replaced)",
    ours: (start) => start.startsWith(KUBECONFIG_MARK),
};

export const KUBECONFIGS_OPTIONS = {
    stack: { type: "string" },
    "kubeconfig-dir": { type: "string" },
    kubeconfig: { type: "string" },
    server: { type: "string" },
    cwd: { type: "string" },
    help: { type: "boolean", short: "h" },
} as const;

/** `lab attendees --kubeconfig-dir DIR [--stack S] [--server URL] [--cwd DIR]`: the exit status. */
export async function kubeconfigsMain(
    argv: readonly string[],
    out: (l: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
    try {
        const values = strictArgs(argv, KUBECONFIGS_OPTIONS, (m) => new KubeconfigError(m), "attendees --kubeconfig-dir");
        if (values === "help") {
            out(KUBECONFIGS_USAGE);
            return 0;
        }
        if (values.kubeconfig !== undefined && values["kubeconfig-dir"] !== undefined) {
            throw new KubeconfigError("--kubeconfig and --kubeconfig-dir are not allowed together; give --kubeconfig-dir DIR");
        }
        const dir = values["kubeconfig-dir"] ?? values.kubeconfig;
        if (dir === undefined) {
            throw new KubeconfigError("--kubeconfig-dir is missing; give the directory to write the attendees' kubeconfigs into");
        }
        if (values.kubeconfig !== undefined) {
            process.stderr.write(
                "note: attendees --kubeconfig DIR is now --kubeconfig-dir DIR (--kubeconfig is a kube config file in check and status); the old spelling still works\n",
            );
        }
        checkOutputDirectory("--kubeconfig-dir", dir);
        const stackName = values.stack ?? "dev";
        const stackProblem = stackNameProblem(stackName);
        if (stackProblem) {
            throw new KubeconfigError(stackProblem);
        }
        // The API server's address first: a missing or broken kube config is said before the CLI is looked for.
        const endpoint: ClusterEndpoint = values.server !== undefined ? { server: serverOf(values.server) } : instructorKubeconfig();
        const stack = await openStack(stackName, values.cwd, "--kubeconfig-dir reads the stack's outputs (its tokens) through it");
        const tokens = plainOutputs(await stack.outputs()).attendeeTokens as AttendeeToken[] | null | undefined;
        if (!tokens || tokens.length === 0) {
            throw new KubeconfigError(
                `stack ${stackName} has no attendee tokens: they exist after pulumi up with istio-lab:attendees and istio-lab:attendeeAccess on Kubernetes (on OpenShift attendees log in as their own users with oc login)`,
            );
        }
        outputDirectory("--kubeconfig-dir", dir);
        for (const t of tokens) {
            const file = path.join(dir, `${t.attendee}.kubeconfig`);
            writeOutputFile(
                "--kubeconfig-dir",
                file,
                attendeeKubeconfig(t, endpoint, `istio-lab-${stackName}`),
                ATTENDEE_KUBECONFIG,
                0o600,
            );
            chmodSync(file, 0o600);
        }
        out(
            `wrote ${tokens.length} kubeconfigs to ${dir} (one per attendee, mode 0600; server ${endpoint.server}); tokens are not printed`,
        );
        return 0;
    } catch (e) {
        if (e instanceof KubeconfigError || e instanceof OutputFileError || e instanceof StackError) {
            process.stderr.write(`${e.message}\n`);
            return 2;
        }
        throw e;
    }
}

/** What `lab attendees --kubeconfig-dir --help` prints. */
export const KUBECONFIGS_USAGE = `usage: npm run --silent lab -- attendees --kubeconfig-dir DIR [options]

After pulumi up of a class with istio-lab:attendeeAccess on Kubernetes: one kubeconfig per attendee,
DIR/<attendee>.kubeconfig (mode 0600), from the stack's secret tokens (read through the Pulumi CLI).

options:
  --kubeconfig-dir DIR  where to write them (new, or one this command wrote into; --kubeconfig DIR still works)
  --stack NAME          the class's stack (default: dev)
  --server URL          the API server's https URL for the attendees (default: the current context of
                        KUBECONFIG's first file, else ~/.kube/config, with its CA)
  --cwd DIR             the Pulumi project's directory (default: this one)
  -h, --help            print this text`;
