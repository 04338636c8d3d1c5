// Stand-in resource plugins for `random` and `tls`, served by the Node SDK's provider server. Their real
// providers cannot be built here (the Go module proxy refuses pulumi-random, pulumi-tls and the Terraform
// providers under them at any recent version), so the e2e harness installs these instead, implementing
// exactly the resource types, inputs and outputs the program uses: RandomString with real randomness;
// PrivateKey (ECDSA P-256, RSA), SelfSignedCert, CertRequest and LocallySignedCert with real X.509 made by
// OpenSSL. They test the program, the engine and the kubernetes provider, not random or tls. Every line
// they log says "stand-in".
import { execFileSync } from "child_process";
import { createHash, generateKeyPairSync, randomInt } from "crypto";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import * as provider from "@pulumi/pulumi/provider";

type Props = Record<string, unknown>;

/** The signature the engine puts on a secret value. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** A value with the engine's secret wrappers removed, at any depth. */
export function plain(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(plain);
    }
    if (value !== null && typeof value === "object") {
        const v = value as Props;
        if (v[SIG_KEY] === SECRET_SIG) {
            return plain(v.value);
        }
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    }
    return value;
}

/** The type token's last part (`tls:index/privateKey:PrivateKey` to `PrivateKey`). */
function typeOf(urn: string): string {
    const type = urn.split("::")[2] ?? "";
    return type.split(":").pop() ?? "";
}

/** A string input, or the default when it is absent. */
const text = (value: unknown, fallback: string): string => (typeof value === "string" ? value : fallback);

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

/** `random.RandomString`: `length` characters from the enabled classes, drawn with crypto.randomInt. */
export function randomString(inputs: Props): string {
    const length = Number(inputs.length);
    if (!Number.isInteger(length) || length < 1) {
        throw new Error(`stand-in random: length must be a positive integer, not ${JSON.stringify(inputs.length)}`);
    }
    const on = (key: string) => inputs[key] !== false;
    const charset =
        (on("lower") ? LOWER : "") +
        (on("upper") ? UPPER : "") +
        (on("numeric") && on("number") ? DIGITS : "") +
        (on("special") ? text(inputs.overrideSpecial, SPECIAL) : "");
    return Array.from({ length }, () => charset[randomInt(charset.length)]).join("");
}

/** Runs openssl with files written to a temporary directory; returns stdout. */
function openssl(args: (dir: string) => string[], files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), "standin-tls-"));
    try {
        for (const [name, text] of Object.entries(files)) {
            writeFileSync(path.join(dir, name), text, { mode: 0o600 });
        }
        return execFileSync("openssl", args(dir), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

const USES: Readonly<Record<string, { kind: "key" | "ext"; name: string }>> = {
    cert_signing: { kind: "key", name: "keyCertSign" },
    crl_signing: { kind: "key", name: "cRLSign" },
    digital_signature: { kind: "key", name: "digitalSignature" },
    key_encipherment: { kind: "key", name: "keyEncipherment" },
    server_auth: { kind: "ext", name: "serverAuth" },
    client_auth: { kind: "ext", name: "clientAuth" },
};

/** The OpenSSL extension lines for a certificate's allowed uses (and CA flag). */
function extensions(allowedUses: unknown, isCa: boolean): string[] {
    const uses = (Array.isArray(allowedUses) ? allowedUses : []).map((u) => {
        const use = USES[String(u)];
        if (!use) {
            throw new Error(`stand-in tls: allowed use ${JSON.stringify(u)} is not one the stand-in implements`);
        }
        return use;
    });
    const key = uses.filter((u) => u.kind === "key").map((u) => u.name);
    const ext = uses.filter((u) => u.kind === "ext").map((u) => u.name);
    return [
        `basicConstraints=critical,CA:${isCa ? "TRUE" : "FALSE"}`,
        ...(key.length > 0 ? [`keyUsage=critical,${key.join(",")}`] : []),
        ...(ext.length > 0 ? [`extendedKeyUsage=${ext.join(",")}`] : []),
    ];
}

function subjectOf(subject: unknown): string {
    const s = (subject ?? {}) as { commonName?: string; organization?: string };
    const part = (k: string, v?: string) => (v ? `/${k}=${v.replace(/[/\\]/g, "\\$&")}` : "");
    return part("CN", s.commonName) + part("O", s.organization) || "/";
}

const days = (hours: unknown) => String(Math.max(1, Math.ceil(Number(hours ?? 24) / 24)));

/** `tls.PrivateKey`. */
export function privateKey(inputs: Props): Props {
    const algorithm = text(inputs.algorithm, "RSA");
    const pair =
        algorithm === "ECDSA"
            ? generateKeyPairSync("ec", {
                  namedCurve: ({ P224: "secp224r1", P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" } as Record<string, string>)[
                      text(inputs.ecdsaCurve, "P224")
                  ],
              })
            : algorithm === "RSA"
              ? generateKeyPairSync("rsa", { modulusLength: Number(inputs.rsaBits ?? 2048) })
              : undefined;
    if (!pair) {
        throw new Error(`stand-in tls: algorithm ${JSON.stringify(algorithm)} is not one the stand-in implements (ECDSA, RSA)`);
    }
    const privateKeyPem = pair.privateKey.export({ type: algorithm === "ECDSA" ? "sec1" : "pkcs1", format: "pem" }).toString();
    const publicKeyPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
    return {
        ...inputs,
        privateKeyPem,
        privateKeyPemPkcs8: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        publicKeyPem,
        publicKeyFingerprintSha256: createHash("sha256").update(publicKeyPem).digest("base64"),
    };
}

/** `tls.SelfSignedCert`. */
export function selfSignedCert(inputs: Props): Props {
    const exts = extensions(inputs.allowedUses, inputs.isCaCertificate === true);
    const certPem = openssl(
        (d) => [
            "req",
            "-x509",
            "-new",
            "-key",
            path.join(d, "key.pem"),
            "-subj",
            subjectOf(inputs.subject),
            "-days",
            days(inputs.validityPeriodHours),
            ...exts.flatMap((e) => ["-addext", e]),
        ],
        { "key.pem": String(inputs.privateKeyPem) },
    );
    return { ...inputs, certPem };
}

/** `tls.CertRequest`. */
export function certRequest(inputs: Props): Props {
    const names = (Array.isArray(inputs.dnsNames) ? inputs.dnsNames : []).map(String);
    const certRequestPem = openssl(
        (d) => [
            "req",
            "-new",
            "-key",
            path.join(d, "key.pem"),
            "-subj",
            subjectOf(inputs.subject),
            ...(names.length > 0 ? ["-addext", `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`] : []),
        ],
        { "key.pem": String(inputs.privateKeyPem) },
    );
    return { ...inputs, certRequestPem };
}

/** `tls.LocallySignedCert`: the request signed by the CA, keeping its names and adding the allowed uses. */
export function locallySignedCert(inputs: Props): Props {
    const exts = extensions(inputs.allowedUses, inputs.isCaCertificate === true);
    const certPem = openssl(
        (d) => [
            "x509",
            "-req",
            "-in",
            path.join(d, "req.pem"),
            "-CA",
            path.join(d, "ca.pem"),
            "-CAkey",
            path.join(d, "ca-key.pem"),
            "-CAcreateserial",
            "-CAserial",
            path.join(d, "ca.srl"),
            "-days",
            days(inputs.validityPeriodHours),
            "-copy_extensions",
            "copy",
            "-extfile",
            path.join(d, "ext.cnf"),
        ],
        {
            "req.pem": String(inputs.certRequestPem),
            "ca.pem": String(inputs.caCertPem),
            "ca-key.pem": String(inputs.caPrivateKeyPem),
            "ext.cnf": `${exts.join("\n")}\n`,
        },
    );
    return { ...inputs, certPem };
}

const MAKERS: Readonly<Record<string, Readonly<Record<string, (inputs: Props) => Props>>>> = {
    random: { RandomString: (inputs) => ({ ...inputs, result: randomString(inputs) }) },
    tls: {
        PrivateKey: privateKey,
        SelfSignedCert: selfSignedCert,
        CertRequest: certRequest,
        LocallySignedCert: locallySignedCert,
    },
};

/** Every input of these resources forces a replacement, as in the real providers. */
function changedInputs(olds: Props, news: Props, outputs: readonly string[]): string[] {
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)].filter((k) => !outputs.includes(k) && !k.startsWith("__")));
    return [...keys].filter((k) => JSON.stringify(plain(olds[k])) !== JSON.stringify(plain(news[k]))).sort();
}

const OUTPUTS = [
    "result",
    "privateKeyPem",
    "privateKeyPemPkcs8",
    "publicKeyPem",
    "publicKeyFingerprintSha256",
    "certPem",
    "certRequestPem",
];

/** The stand-in provider for `name` (`random` or `tls`) at `version`. */
export function standIn(name: string, version: string): provider.Provider {
    const makers = MAKERS[name];
    if (!makers) {
        throw new Error(`no stand-in for ${name}`);
    }
    const log = (line: string) => process.stderr.write(`stand-in ${name}: ${line}\n`);
    return {
        version,
        check: (_urn, _olds, news: Props) => Promise.resolve({ inputs: news }),
        diff: (_id, _urn, olds: Props, news: Props) => {
            const replaces = changedInputs(olds, news, OUTPUTS);
            return Promise.resolve({ changes: replaces.length > 0, replaces, deleteBeforeReplace: false });
        },
        create: (urn, inputs: Props) => {
            const make = makers[typeOf(urn)];
            if (!make) {
                throw new Error(
                    `stand-in ${name}: resource type ${typeOf(urn)} is not one the stand-in implements (${Object.keys(makers).join(", ")})`,
                );
            }
            const outs = make(plain(inputs) as Props);
            const id = createHash("sha256").update(JSON.stringify(outs)).digest("hex").slice(0, 20);
            log(`created ${typeOf(urn)} ${id}`);
            return Promise.resolve({ id, outs });
        },
        read: (id, _urn, props?: Props) => Promise.resolve({ id, props }),
        delete: () => Promise.resolve(),
    };
}

/** The plugin's entry point: `node standins.js <name> <version> [engine arguments]`. */
export function main(argv: readonly string[]): Promise<void> {
    const [name, version, ...rest] = argv;
    return provider.main(standIn(name, version), rest);
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((e: Error) => {
        process.stderr.write(`stand-in: ${e.message}\n`);
        process.exit(1);
    });
}
