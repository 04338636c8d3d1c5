// The e2e harness's stand-in random and tls plugins make real randomness and real X.509, and the
// harness reads the engine's plan in lab diff's words.
import { expect } from "chai";
import { X509Certificate } from "crypto";
import { certRequest, locallySignedCert, plain, privateKey, randomString, selfSignedCert, standIn } from "../../e2e/standins";

describe("e2e stand-in plugins", () => {
    it("random: a RandomString of the asked length from the enabled classes, different each time", () => {
        const draws = Array.from({ length: 20 }, () => randomString({ length: 8, special: false, upper: false }));
        for (const d of draws) {
            expect(d).to.match(/^[a-z0-9]{8}$/);
        }
        expect(new Set(draws).size).to.be.greaterThan(15);
        expect(() => randomString({ length: 0 })).to.throw("stand-in random: length must be a positive integer, not 0");
    });

    it("tls: the lab's CA signs a server certificate for its names that verifies against it", () => {
        const caKey = privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        expect(String(caKey.privateKeyPem)).to.contain("BEGIN EC PRIVATE KEY");
        const ca = selfSignedCert({
            privateKeyPem: caKey.privateKeyPem,
            isCaCertificate: true,
            validityPeriodHours: 24 * 365,
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            subject: { commonName: "istio-lab CA", organization: "istio-lab" },
        });
        const serverKey = privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        const csr = certRequest({
            privateKeyPem: serverKey.privateKeyPem,
            dnsNames: ["guestbook.istio-lab.local"],
            subject: { commonName: "guestbook.istio-lab.local", organization: "istio-lab" },
        });
        const server = locallySignedCert({
            certRequestPem: csr.certRequestPem,
            caPrivateKeyPem: caKey.privateKeyPem,
            caCertPem: ca.certPem,
            validityPeriodHours: 24 * 90,
            allowedUses: ["server_auth", "digital_signature", "key_encipherment"],
        });
        const caCert = new X509Certificate(String(ca.certPem));
        const cert = new X509Certificate(String(server.certPem));
        expect(caCert.ca).to.equal(true);
        expect(cert.ca).to.equal(false);
        expect(cert.verify(caCert.publicKey)).to.equal(true);
        expect(cert.checkHost("guestbook.istio-lab.local")).to.equal("guestbook.istio-lab.local");
        expect(cert.subject).to.equal("CN=guestbook.istio-lab.local\nO=istio-lab");
        expect(cert.keyUsage).to.deep.equal(["1.3.6.1.5.5.7.3.1"]);
    });

    it("unwraps the engine's secret values, and answers a diff with a replace of every changed input", async () => {
        const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "pem" };
        expect(plain({ privateKeyPem: secret, list: [secret] })).to.deep.equal({ privateKeyPem: "pem", list: ["pem"] });
        const random = standIn("random", "4.21.2");
        expect(random.version).to.equal("4.21.2");
        const diff = await random.diff!("id", "urn", { length: 8, upper: false, result: "abc" }, { length: 10, upper: false });
        expect(diff).to.deep.equal({ changes: true, replaces: ["length"], deleteBeforeReplace: false });
        const same = await random.diff!("id", "urn", { length: 8, result: "abc" }, { length: 8 });
        expect(same.changes).to.equal(false);
    });
});
