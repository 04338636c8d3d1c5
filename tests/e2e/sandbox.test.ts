// The sandbox's command line: what each command takes, and refusals that name the argument, the value and
// what is allowed. (Its commands themselves run in the e2e, scenario 17.)
import { expect } from "chai";
import { readlinkSync } from "fs";
import { parseSandboxArgs, processesIn } from "../../e2e/sandbox";

describe("npm run sandbox", () => {
    it("up takes --stack (default dev), run takes a command with or without --", () => {
        expect(parseSandboxArgs(["up"])).to.deep.equal({ command: "up", stack: "dev" });
        expect(parseSandboxArgs(["up", "--stack", "peer-auth"])).to.deep.equal({ command: "up", stack: "peer-auth" });
        expect(parseSandboxArgs(["run", "--", "kubectl", "get", "pods", "-A"])).to.deep.equal({
            command: "run",
            argv: ["kubectl", "get", "pods", "-A"],
        });
        expect(parseSandboxArgs(["run", "pulumi", "up", "--yes"])).to.deep.equal({ command: "run", argv: ["pulumi", "up", "--yes"] });
        for (const c of ["status", "shell", "down"]) {
            expect(parseSandboxArgs([c])).to.deep.equal({ command: c });
        }
    });

    it("refuses what it cannot do, naming the argument, the value and what is allowed", () => {
        const refusal = (argv: string[]) => {
            try {
                parseSandboxArgs(argv);
            } catch (e) {
                return (e as Error).message;
            }
            return "accepted";
        };
        expect(refusal([])).to.equal("no command given; expected one of up, status, run, shell, down");
        expect(refusal(["start"])).to.equal('command "start" is not allowed; expected one of up, status, run, shell, down');
        expect(refusal(["up", "--stack", "nope"])).to.equal(
            '--stack "nope": no Pulumi.nope.yaml here; expected one of ambient, dev, gateway-api, kubernetes, openshift, openshift3, peer-auth',
        );
        expect(refusal(["up", "--stack", "../dev"])).to.match(/^--stack "..\/dev": no Pulumi...\/dev.yaml here; expected one of ambient, /);
        expect(refusal(["down", "--stack", "dev"])).to.equal("down: --stack is allowed only with up (the sandbox runs one stack)");
        expect(refusal(["status", "extra"])).to.equal('status: unexpected argument "extra"');
        expect(refusal(["up", "--stak", "dev"])).to.match(/Unknown option '--stak'/);
        expect(refusal(["run", "--"])).to.equal("run needs a command to run inside the sandbox, e.g. run -- kubectl get pods -A");
    });

    it("finds the processes of a network namespace (this one holds this process)", () => {
        const mine = readlinkSync("/proc/self/ns/net");
        expect(processesIn(mine).map((p) => Number(p.split(" ")[0]))).to.include(process.pid);
        expect(processesIn("net:[0]")).to.deep.equal([]);
    });
});
