// The Pulumi Automation API as the `lab` commands that act on a deployed stack use it (`promote`,
// `attendees --kubeconfig`): the user's own CLI, backend and secrets, on this project directory.
import { existsSync } from "fs";
import * as path from "path";
import { ConfigMap, LocalWorkspace, OutputMap, Stack } from "@pulumi/pulumi/automation";
import { projectDir, readStackFile } from "./stackConfig";

/** Why a stack could not be opened: the message names the stack, or says the CLI is missing. */
export class StackError extends Error {}

/**
 * Selects stack `stackName` of the project in `cwd` (default: {@link projectDir}). `why` finishes the message
 * when the Pulumi CLI is not on PATH, e.g. "lab promote runs pulumi up through the Automation API"; the error
 * is a {@link StackError} unless `asError` makes the command's own.
 */
export async function openStack(
    stackName: string,
    cwd: string | undefined,
    why: string,
    asError: (message: string) => Error = (m) => new StackError(m),
): Promise<Stack> {
    try {
        return await LocalWorkspace.selectStack({ stackName, workDir: cwd ?? projectDir() });
    } catch (e) {
        const message = String((e as Error).message);
        if (/ENOENT/.test(message)) {
            throw asError(`the Pulumi CLI is not on PATH; ${why}`);
        }
        const first = message.split("\n").find((l) => /error|not found|no stack/i.test(l)) ?? message;
        throw asError(`--stack ${JSON.stringify(stackName)}: cannot select it (${first.trim()})`);
    }
}

/** Stack outputs as plain values (secrets included: the Automation API decrypts them). */
export function plainOutputs(outputs: OutputMap): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value as unknown]));
}

/** A stack's config as the program reads it: every value a string, structured ones as JSON. */
export const configValues = (all: ConfigMap): Record<string, string> =>
    Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));

/** The stack's config as the program reads it (its {@link configValues}). */
export async function stackConfigValues(stack: Stack): Promise<Record<string, string>> {
    return configValues(await stack.getAllConfig());
}

/**
 * The stack's file in the project (`Pulumi.<stack>.yaml` in `cwd`, default {@link projectDir}), when there is one
 * with nothing secret in it; else undefined. A command can then refuse what the file already rules out
 * without the Pulumi CLI.
 */
export function localStackConfig(stackName: string, cwd: string | undefined): Record<string, string> | undefined {
    const file = path.join(cwd ?? projectDir(), `Pulumi.${stackName}.yaml`);
    if (!existsSync(file)) {
        return undefined;
    }
    try {
        const f = readStackFile(file);
        return f.secure.length === 0 ? f.config : undefined;
    } catch {
        return undefined; // the CLI reads it and says what is wrong
    }
}
