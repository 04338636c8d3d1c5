// The files the commands write (`status --html FILE`, `render --out DIR`, `attendees --kubeconfig DIR`): a
// directory, FIFO, device or socket is refused naming the path (writing to a FIFO would block forever); an
// existing file is replaced only when this command wrote it; each file is written whole or not at all (a
// temporary file beside it, then a rename). What goes in has passed the same redaction as what is printed.
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "fs";
import * as path from "path";
import { kindOf } from "./stackConfig";

/** A refused output path: the message names the option and the path. */
export class OutputFileError extends Error {}

/** The first `bytes` bytes of a regular file, as text. */
function head(file: string, bytes: number): string {
    const fd = openSync(file, "r");
    try {
        const buffer = Buffer.alloc(bytes);
        return buffer.subarray(0, readSync(fd, buffer, 0, bytes, 0)).toString("utf8");
    } finally {
        closeSync(fd);
    }
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** What a file this command writes is, and how to tell one it wrote before. */
export interface OwnFile {
    /** How messages name what the file should be, e.g. "a new file or a page lab status wrote before". */
    readonly expected: string;
    /** True when the start of an existing file (its first 1 KiB) shows this command wrote it. */
    readonly ours: (start: string) => boolean;
}

/**
 * Writes `text` to `file` whole (a temporary file in the same directory, renamed over it), with `mode`. The path
 * must be new, or a regular file `own` recognises; anything else is refused naming `option` and the path.
 */
export function writeOutputFile(option: string, file: string, text: string, own: OwnFile, mode = 0o644): void {
    if (existsSync(file)) {
        const st = statSync(file);
        if (!st.isFile()) {
            throw new OutputFileError(`${option} ${file}: it is ${kindOf(st)}; expected ${own.expected}`);
        }
        if (!own.ours(head(file, 1024))) {
            throw new OutputFileError(`${option} ${file}: it holds a file this command did not write; expected ${own.expected}`);
        }
    }
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    try {
        writeFileSync(temporary, text, { mode, flag: "wx" });
        renameSync(temporary, file);
    } catch (e) {
        rmSync(temporary, { force: true });
        throw new OutputFileError(
            `${option} ${file}: cannot write it (${errno(e)}); expected ${own.expected} in a directory this user can write`,
        );
    }
}

/** Refuses `dir` for an option that writes files into it when it exists and is not a directory; true when it exists. */
export function checkOutputDirectory(option: string, dir: string): boolean {
    if (existsSync(dir)) {
        const st = statSync(dir);
        if (!st.isDirectory()) {
            throw new OutputFileError(
                `${option} ${dir}: it is ${st.isFile() ? "a file" : kindOf(st)}; expected a directory (new or existing)`,
            );
        }
        return true;
    }
    return false;
}

/** Makes `dir` (and its missing parents) for an option that writes files into it, or says why it cannot be. */
export function outputDirectory(option: string, dir: string): void {
    if (checkOutputDirectory(option, dir)) {
        return;
    }
    try {
        // One level at a time: Node's recursive mkdir loops forever under /proc (mkdir says ENOENT, the parent exists).
        const missing: string[] = [];
        for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) {
            missing.unshift(d);
        }
        missing.forEach((d) => mkdirSync(d));
    } catch (e) {
        throw new OutputFileError(`${option} ${dir}: cannot be created (${errno(e)}); expected a directory (new or existing)`);
    }
}
