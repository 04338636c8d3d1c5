// The probe's deadlines (issue 41): a request is bounded in all, not only while silent, so a server that never
// answers or trickles a byte every few hundred milliseconds fails in bounded time; the whole batch stops at the
// check's deadline (--watch --timeout, or 120 s), counting what it could not send.
import { expect } from "chai";
import { Server, createServer } from "http";
import { AddressInfo, Socket } from "net";
import { NOT_SENT, countOutcomes, get } from "../../tools/trafficProbe";

describe("the probe's deadlines", () => {
    let server: Server;
    let base: string;
    const sockets = new Set<Socket>();
    before(async () => {
        server = createServer((req, res) => {
            if (req.url === "/silent") {
                return; // accepts, never answers
            }
            // /trickle: headers at once, then a byte every 200 ms, never the end
            res.writeHead(200, { "content-type": "text/plain" });
            const t = setInterval(() => res.write("x"), 200);
            res.on("close", () => clearInterval(t));
        });
        server.on("connection", (s) => {
            sockets.add(s);
            s.on("close", () => sockets.delete(s));
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
        sockets.forEach((s) => s.destroy());
        await new Promise((r) => server.close(r));
    });

    for (const path of ["/silent", "/trickle"]) {
        it(`${path}: one request ends at its deadline, as an error naming it`, async () => {
            const t = Date.now();
            expect(await get(`${base}${path}`, {}, 800)).to.equal("error no whole answer within 0.8 s");
            expect(Date.now() - t).to.be.within(700, 2500);
        });
    }

    it("a batch stops at the check's deadline and counts what it did not send", async () => {
        const t = Date.now();
        const counts = await countOutcomes(`${base}/trickle`, 40, {}, {}, Date.now() + 1500);
        const elapsed = Date.now() - t;
        expect(elapsed).to.be.within(1300, 3500);
        // Four at a time, each cut off at the deadline: four errors, the other 36 never sent.
        expect(Object.fromEntries(counts)).to.deep.equal({ "error no whole answer within 1.5 s": 4, [NOT_SENT]: 36 });
    });
});
