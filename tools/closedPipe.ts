// Writing to a closed pipe (`lab render | head -1`) ends the command quietly with exit 0, as Unix tools do,
// instead of Node's unhandled 'error' event and its stack trace.

/** Ends the process with exit 0 when standard output or standard error is a pipe whose reader has gone. */
export function quietOnClosedPipe(): void {
    for (const stream of [process.stdout, process.stderr]) {
        stream.on("error", (e: NodeJS.ErrnoException) => {
            if (e.code === "EPIPE") {
                process.exit(0);
            }
            throw e;
        });
    }
}
