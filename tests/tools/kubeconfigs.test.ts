// lab attendees --kubeconfig-dir DIR (issue 41): every problem with the instructor's kube config or --server is
// refused with the option or file named, exit 2, before the Pulumi CLI is looked for; a file's content is never
// echoed; the old spelling --kubeconfig DIR still works, with a note.
import { expect } from "chai";
import { writeFileSync } from "fs";
import * as path from "path";
import { kubeconfigsMain } from "../../tools/kubeconfigs";
import { tempDir, withEnv } from "../helpers";

/** kubeconfigsMain's exit status and what it printed. */
async function run(argv: string[], kubeconfig: string | undefined): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const saved = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => err.push(chunk) > 0) as typeof process.stderr.write;
    try {
        const code = await withEnv("KUBECONFIG", kubeconfig, () =>
            withEnv("PATH", "/nonexistent", () => kubeconfigsMain(argv, (l) => out.push(l))),
        );
        return { code, out: out.join("\n"), err: err.join("") };
    } finally {
        process.stderr.write = saved;
    }
}

describe("lab attendees --kubeconfig-dir", () => {
    const dir = tempDir("lab-kubeconfigs-");
    const out = path.join(dir, "out");
    const HINT = "fix it, point KUBECONFIG at the instructor's kube config, or give --server https://HOST:PORT";
    const SERVER = "expected the API server's https URL, a host and a port from 1 to 65535, e.g. https://203.0.113.10:6443";

    it("no kube config: names the file and what to do", async () => {
        const missing = path.join(dir, "none", "config");
        expect(await run(["--kubeconfig-dir", out, "--stack", "class"], missing)).to.deep.equal({
            code: 2,
            out: "",
            err: `--kubeconfig-dir needs the API server's address: KUBECONFIG's first file ${missing} cannot be read (ENOENT); ${HINT}\n`,
        });
    });

    it("a broken KUBECONFIG: names the file and the line, never echoes its content", async () => {
        const broken = path.join(dir, "broken");
        writeFileSync(broken, "apiVersion: v1\nusers:\n- name: admin\n  user: {token: s3cr3t-t0ken\n");
        const r = await run(["--kubeconfig-dir", out], broken);
        expect(r.code).to.equal(2);
        expect(r.err).to.match(new RegExp(`^${broken}: not a kube config \\(YAML that does not parse at line \\d+\\); `));
        expect(r.err).to.not.include("s3cr3t");
    });

    it("a missing CA file: names it", async () => {
        const config = path.join(dir, "with-ca");
        writeFileSync(
            config,
            "apiVersion: v1\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: 'https://127.0.0.1:6443', certificate-authority: ca.crt}}]\n",
        );
        expect((await run(["--kubeconfig-dir", out], config)).err).to.equal(
            `${config}: its cluster's certificate-authority ${path.join(dir, "ca.crt")} cannot be read (ENOENT); ${HINT}\n`,
        );
    });

    for (const server of [
        "http://203.0.113.10:6443",
        "https://203.0.113.10:70000",
        "https://203.0.113.10:0",
        "203.0.113.10:6443",
        "https://",
    ]) {
        it(`--server ${server}: refused as an address`, async () => {
            expect((await run(["--kubeconfig-dir", out, "--server", server], undefined)).err).to.equal(
                `--server ${JSON.stringify(server)} is not allowed; ${SERVER}\n`,
            );
        });
    }

    it("--server twice, an unknown option, --kubeconfig with --kubeconfig-dir: refused, naming them", async () => {
        const twice = ["--kubeconfig-dir", out, "--server", "https://a:6443", "--server", "https://b:6443"];
        expect((await run(twice, undefined)).err).to.equal("--server is given twice; give it once\n");
        expect((await run(["--kubeconfig-dir", out, "--bogus"], undefined)).err).to.equal(
            "option --bogus is not allowed for attendees --kubeconfig-dir; expected one of --stack, --kubeconfig-dir, --kubeconfig, --server, --cwd, --help\n",
        );
        expect((await run(["--kubeconfig-dir", out, "--kubeconfig", out], undefined)).err).to.equal(
            "--kubeconfig and --kubeconfig-dir are not allowed together; give --kubeconfig-dir DIR\n",
        );
    });

    it("--help prints its usage with every option", async () => {
        const r = await run(["--kubeconfig-dir", out, "--help"], undefined);
        expect(r.code).to.equal(0);
        for (const option of ["--kubeconfig-dir", "--stack", "--server", "--cwd", "--help"]) {
            expect(r.out).to.include(option);
        }
    });

    it("the old spelling --kubeconfig DIR works with a note; past the checks it needs the Pulumi CLI", async () => {
        const r = await run(["--kubeconfig", out, "--server", "https://127.0.0.1:6443"], undefined);
        expect(r.code).to.equal(2);
        expect(r.err.split("\n")[0]).to.equal(
            "note: attendees --kubeconfig DIR is now --kubeconfig-dir DIR (--kubeconfig is a kube config file in check and status); the old spelling still works",
        );
        expect(r.err.split("\n")[1]).to.match(/pulumi/i);
    });
});
