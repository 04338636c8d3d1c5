// `lab attendees --kubeconfig DIR`: after `pulumi up` of a class with `attendeeAccess` on Kubernetes, one
// kubeconfig per attendee from the stack's outputs (read through the Automation API, so the user's own CLI,
// backend and passphrase decrypt the tokens). The API server and its CA come from `--server`, or from the
// current context of the kubeconfig the instructor uses. Tokens are written to files of mode 0600, never printed.
import { chmodSync, readFileSync } from "fs";
import { homedir } from "os";
import * as path from "path";
import { parseArgs } from "util";
import { parse, stringify } from "yaml";
import type { AttendeeToken } from "../stacks/lab";
import { StackError, openStack, plainOutputs } from "./automation";
import { OutputFileError, OwnFile, checkOutputDirectory, outputDirectory, writeOutputFile } from "./outputFile";
import { stackNameProblem } from "./stackConfig";

/** Where attendees' kubectl reaches the API server. */
export interface ClusterEndpoint {
    readonly server: string;
    /** The CA's PEM, base64 (as `certificate-authority-data`), if the server's certificate needs one. */
    readonly caData?: string;
    /** The instructor's own kubeconfig skips TLS verification (a throwaway cluster): the attendees' do too. */
    readonly insecure?: boolean;
}

class KubeconfigError extends Error {}

/** The API server of the current context of a kubeconfig's text. */
export function currentCluster(text: string, file: string): ClusterEndpoint {
    const doc = (parse(text) ?? {}) as {
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
    const context = doc.contexts?.find((c) => c.name === doc["current-context"]);
    const cluster = doc.clusters?.find((c) => c.name === context?.context?.cluster)?.cluster;
    if (!cluster?.server) {
        throw new KubeconfigError(`${file}: its current context names no cluster with a server; give --server URL`);
    }
    const caFile = cluster["certificate-authority"];
    const caData =
        cluster["certificate-authority-data"] ??
        (caFile ? readFileSync(path.resolve(path.dirname(file), caFile)).toString("base64") : undefined);
    return { server: cluster.server, caData, ...(cluster["insecure-skip-tls-verify"] === true ? { insecure: true } : {}) };
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

/** `lab attendees --kubeconfig DIR [--stack S] [--server URL] [--cwd DIR]`: the exit status. */
export async function kubeconfigsMain(
    argv: readonly string[],
    out: (l: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
    try {
        const { values } = parseArgs({
            args: [...argv],
            options: { stack: { type: "string" }, kubeconfig: { type: "string" }, server: { type: "string" }, cwd: { type: "string" } },
            strict: true,
        });
        const dir = values.kubeconfig;
        if (!dir) {
            throw new KubeconfigError("--kubeconfig is empty; give the directory to write the attendees' kubeconfigs into");
        }
        checkOutputDirectory("--kubeconfig", dir);
        const stackName = values.stack ?? "dev";
        const stackProblem = stackNameProblem(stackName);
        if (stackProblem) {
            throw new KubeconfigError(stackProblem);
        }
        const stack = await openStack(stackName, values.cwd, "--kubeconfig reads the stack's outputs (its tokens) through it");
        const tokens = plainOutputs(await stack.outputs()).attendeeTokens as AttendeeToken[] | null | undefined;
        if (!tokens || tokens.length === 0) {
            throw new KubeconfigError(
                `stack ${stackName} has no attendee tokens: they exist after pulumi up with istio-lab:attendees and istio-lab:attendeeAccess on Kubernetes (on OpenShift attendees log in as their own users with oc login)`,
            );
        }
        const kubeconfig = (process.env.KUBECONFIG ?? path.join(homedir(), ".kube", "config")).split(path.delimiter)[0];
        const endpoint: ClusterEndpoint = values.server
            ? { server: values.server }
            : currentCluster(readFileSync(kubeconfig, "utf8"), kubeconfig);
        outputDirectory("--kubeconfig", dir);
        for (const t of tokens) {
            const file = path.join(dir, `${t.attendee}.kubeconfig`);
            writeOutputFile("--kubeconfig", file, attendeeKubeconfig(t, endpoint, `istio-lab-${stackName}`), ATTENDEE_KUBECONFIG, 0o600);
            chmodSync(file, 0o600);
        }
        out(
            `wrote ${tokens.length} kubeconfigs to ${dir} (one per attendee, mode 0600; server ${endpoint.server}); tokens are not printed`,
        );
        return 0;
    } catch (e) {
        if (
            e instanceof KubeconfigError ||
            e instanceof OutputFileError ||
            e instanceof StackError ||
            (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
        ) {
            process.stderr.write(`${(e as Error).message}\n`);
            return 2;
        }
        throw e;
    }
}
