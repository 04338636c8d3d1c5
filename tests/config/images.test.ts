// istio-lab:images and istio-lab:guestbookRegistry: the mTLS lab on today's multi-arch images (go-httpbin
// listens on 8080, so the Service, the Deployment, peer authentication's port map and step 12's port-level
// policy move with it, and lab matrix says the same as with the documents' images), the guestbook from the
// user's own registry, and lab validate's notes on images known not to pull everywhere.
import { expect } from "chai";
import { parseConfig } from "../../config";
import { runLab } from "../../tools/engine";
import { lab } from "../../tools/lab";
import { render } from "../../tools/render";
import { STEPS, stepConfig } from "../../tools/steps";
import { itRefuses, named, spec, stackConfig } from "../helpers";

const at = (config: Record<string, string>, step: string) => stepConfig(config, parseConfig(config), STEPS.find((s) => s.name === step)!);
const peerAuth = stackConfig("peer-auth");
const multiarch = { ...peerAuth, "istio-lab:images": "multiarch" };

describe("images", () => {
    it("multiarch: go-httpbin v2.15.0 on port 8080 behind the Service's 8000, curl 8.16.0", async () => {
        const run = await runLab(multiarch);
        const pod = (name: string) =>
            (spec(named(run.resources, name)) as { template: { spec: { containers: Array<{ image: string; ports?: unknown }> } } }).template
                .spec.containers[0];
        expect(pod("mtls-lab-bar-httpbin")).to.deep.include({
            image: "docker.io/mccutchen/go-httpbin:v2.15.0",
            ports: [{ containerPort: 8080 }],
        });
        expect(pod("mtls-lab-legacy-sleep").image).to.equal("docker.io/curlimages/curl:8.16.0");
        expect(spec(named(run.resources, "mtls-lab-foo-httpbin-service")).ports).to.deep.equal([
            { name: "http", port: 8000, targetPort: 8080 },
        ]);
        const documents = await runLab(peerAuth);
        expect(spec(named(documents.resources, "mtls-lab-foo-httpbin-service")).ports).to.deep.equal([
            { name: "http", port: 8000, targetPort: 80 },
        ]);
    });

    it("httpbin's port is the image's (go-httpbin 8080, else 80) unless mtlsLab.httpbinPort says", () => {
        const port = (ml: object, images?: string) =>
            parseConfig({ ...peerAuth, "istio-lab:mtlsLab": JSON.stringify(ml), ...(images ? { "istio-lab:images": images } : {}) }).mtlsLab
                .httpbinPort;
        expect([
            port({}),
            port({}, "multiarch"),
            port({ httpbinImage: "docker.io/mccutchen/go-httpbin:v2.16.0" }),
            port({ httpbinImage: "registry.example.com/mirror/httpbin:1" }, "multiarch"),
            port({ httpbinImage: "registry.example.com/httpbin:1", httpbinPort: 9090 }),
        ]).to.deep.equal([80, 8080, 8080, 80, 9090]);
    });

    it("step 12's port-level DISABLE is keyed by httpbin's port, and lab matrix says the same with either image set", async () => {
        const twelve = at(multiarch, "step-12");
        expect(JSON.parse(twelve["istio-lab:peerAuth"])).to.deep.equal([
            {
                mode: "STRICT",
                scope: "port",
                namespace: "bar",
                selector: { app: "httpbin" },
                portLevelMtls: { "8080": { mode: "DISABLE" } },
            },
        ]);
        const pa = render((await runLab(twelve)).resources).find((o) => o.manifest.kind === "PeerAuthentication")!;
        expect((pa.manifest.spec as { portLevelMtls: unknown }).portLevelMtls).to.deep.equal({ 8080: { mode: "DISABLE" } });
        const matrix = async (c: Record<string, string>) =>
            (await lab(["matrix", "--json", ...Object.entries(c).flatMap(([k, v]) => ["--set", `${k}=${v}`])])).stdout;
        const today = JSON.parse(await matrix(twelve)) as Array<{ from: string; to: string; code: string; mtls: boolean }>;
        expect(today).to.deep.equal(JSON.parse(await matrix(at(peerAuth, "step-12"))));
        // What the document shows at step 12: httpbin.bar takes plain text from legacy (port 80, now 8080, DISABLE).
        expect(today.find((r) => r.from === "legacy" && r.to === "bar")).to.deep.include({ code: "200", mtls: false });
    });

    it("guestbookRegistry: the guestbook's images are the user's builds there; explicit images win", async () => {
        const images = async (extra: Record<string, string>) => {
            const run = await runLab({ ...stackConfig("dev"), ...extra });
            return ["guestbook-guestbook-v1", "guestbook-guestbook-v2", "guestbook-redis-master", "guestbook-redis-slave"].map(
                (n) =>
                    (spec(named(run.resources, n)) as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec
                        .containers[0].image,
            );
        };
        expect(await images({ "istio-lab:guestbookRegistry": "ghcr.io/you/istio-lab" })).to.deep.equal([
            "ghcr.io/you/istio-lab/guestbook:v1",
            "ghcr.io/you/istio-lab/guestbook:v2",
            "redis:3.2.9",
            "ghcr.io/you/istio-lab/guestbook-redis-slave:v2",
        ]);
        expect(
            await images({
                "istio-lab:guestbookRegistry": "registry.example.com:5000/lab",
                "istio-lab:guestbook": '{"redisSlaveImage":"docker.io/bitnami/redis:7.4"}',
            }),
        ).to.deep.equal([
            "registry.example.com:5000/lab/guestbook:v1",
            "registry.example.com:5000/lab/guestbook:v2",
            "redis:3.2.9",
            "docker.io/bitnami/redis:7.4",
        ]);
    });

    describe("refusals", () => {
        itRefuses([
            [{ "istio-lab:images": "arm64" }, 'istio-lab:images: "arm64" is not allowed; expected one of documents, multiarch'],
            [
                { "istio-lab:guestbookRegistry": "ghcr.io/you/lab:v1" },
                'istio-lab:guestbookRegistry: "ghcr.io/you/lab:v1" is not allowed; expected a registry and path to push images under, without a tag (a lower-case path, a port from 1 to 65535, at most 200 characters), e.g. "ghcr.io/you/istio-lab" or "registry.example.com:5000/lab"',
            ],
            [
                { "istio-lab:mtlsLab": '{"httpbinPort":0}' },
                "istio-lab:mtlsLab.httpbinPort: 0 is not allowed; expected an integer from 1 to 65535",
            ],
        ]);
    });

    it("lab validate notes each image known not to pull everywhere, once per reason, and none of today's", async () => {
        const notes = async (...args: string[]) => (await lab(["validate", ...args])).stderr;
        const ibm =
            "note: images ibmcom/guestbook-redis-slave:v2 (Deployment guestbook/redis-slave), ibmcom/guestbook:v1 (Deployment guestbook/guestbook-v1), ibmcom/guestbook:v2 (Deployment guestbook/guestbook-v2) are from Docker Hub's ibmcom namespace, which IBM has been emptying since 2022, amd64-only on a 2015 base; build the guestbook from its public source into your registry and set istio-lab:guestbookRegistry (docs/cluster.md)\n";
        expect(await notes("--stack", "dev")).to.equal(ibm);
        expect(await notes("--stack", "dev", "--set", "guestbookRegistry=ghcr.io/you/istio-lab")).to.equal("");
        expect(await notes("--stack", "peer-auth")).to.equal(
            "note: image docker.io/kennethreitz/httpbin (Deployment foo/httpbin and 2 more) is amd64-only (an arm64 node cannot run it); istio-lab:images multiarch uses docker.io/mccutchen/go-httpbin:v2.15.0 (port 8080)\n",
        );
        expect(await notes("--stack", "peer-auth", "--set", "images=multiarch")).to.equal("");
        expect(
            await notes(
                "--stack",
                "dev",
                "--set",
                'guestbook={"versions":[{"name":"v1","image":"registry.k8s.io/guestbook:v3","replicas":1,"version":"1.0"}]}',
                "--set",
                "canaryWeight=0",
            ),
        ).to.contain(
            "note: image registry.k8s.io/guestbook:v3 (Deployment guestbook/guestbook-v1) is a Docker schema-1 image, which containerd 2.0 refuses (kind v0.27 and later, GKE 1.33 nodes)\n",
        );
        expect(await notes("--stack", "dev", "--set", 'attendees=["a","b","c"]')).to.contain(
            "ibmcom/guestbook:v1 (Deployment guestbook-a/guestbook-v1 and 2 more)",
        );
    });
});
