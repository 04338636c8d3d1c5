// The config contract, round three: values Kubernetes or Istio would refuse later are refused now, at the
// key that chose them, and settings that do nothing are reported where the lab reports the others.
import { expect } from "chai";
import { mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import { parseConfig } from "../../config";
import { itRefuses, tempDir } from "../helpers";

const LONG_LABEL = "a".repeat(64);

describe("config contract, round three: refused now, not later", () => {
    itRefuses([
        [
            { "istio-lab:recipe": "kubernetes", "istio-lab:trafficApi": "gatewayApi", "istio-lab:gateway": '{"name":"1gw"}' },
            'istio-lab:gateway.name: "1gw" is not allowed; expected a name that starts with a letter and has at most 57 characters under the Gateway API (Istio makes the Service "1gw-istio", which must be a DNS-1035 label of at most 63)',
        ],
        [
            {
                "istio-lab:recipe": "kubernetes",
                "istio-lab:trafficApi": "gatewayApi",
                "istio-lab:gateway": JSON.stringify({ name: "g".repeat(58) }),
            },
            `istio-lab:gateway.name: "${"g".repeat(58)}" is not allowed; expected a name that starts with a letter and has at most 57 characters under the Gateway API (Istio makes the Service "${"g".repeat(58)}-istio", which must be a DNS-1035 label of at most 63)`,
        ],
        [
            { "istio-lab:gateway": '{"hosts":["a.example.com","a.example.com"]}' },
            'istio-lab:gateway.hosts: ["a.example.com","a.example.com"] is not allowed; expected a list of distinct hosts (a host twice makes conflicting listeners), e.g. ["*"]',
        ],
        [
            { "istio-lab:gateway": JSON.stringify({ tls: false, hosts: [`${LONG_LABEL}.example.com`] }) },
            `istio-lab:gateway.hosts[0]: "${LONG_LABEL}.example.com" is not allowed; expected a DNS name ("guestbook.example.com", each label at most 63 characters), a wildcard name ("*.example.com") or "*"`,
        ],
        ...(["sail-operator", "istio-cni", "ztunnel"] as const).map((ns): [Record<string, string>, string] => [
            {
                "istio-lab:recipe": "kubernetes",
                "istio-lab:dataplane": "ambient",
                "istio-lab:controlPlane": JSON.stringify({ flavor: "sail", namespace: ns }),
            },
            `istio-lab:controlPlane.namespace: "${ns}" is not allowed; expected a namespace no other stage creates (the "sail" flavour (istio-lab:controlPlane.flavor) creates it for ${{ "sail-operator": "the Sail operator", "istio-cni": "IstioCNI", ztunnel: "ZTunnel" }[ns]})`,
        ]),
    ]);

    itRefuses([
        [
            { "istio-lab:controlPlane": '{"chartRepo":"https://istio release.io/charts"}' },
            'istio-lab:controlPlane.chartRepo: "https://istio release.io/charts" is not allowed; expected a Helm repository URL (https://...), an OCI registry (oci://...) or an existing local directory holding the base, istiod and gateway charts',
        ],
        [
            { "istio-lab:controlPlane": '{"chartRepo":"HTTPS://ISTIO-RELEASE.STORAGE.GOOGLEAPIS.COM/charts"}' },
            'istio-lab:controlPlane.chartRepo: "HTTPS://ISTIO-RELEASE.STORAGE.GOOGLEAPIS.COM/charts" is not allowed; expected a chart source that has Istio 1.31.3: Istio 1.31 and later were never published to this retired location; use "https://blob.istio.io/istio-release/charts"',
        ],
    ]);

    itRefuses([
        [
            { "istio-lab:controlPlane": '{"values":{"global":{"hub":"gcr.io/istio-release"}}}' },
            'istio-lab:controlPlane.values.global.hub: "gcr.io/istio-release" is not allowed; expected an image hub that has Istio 1.31.3: nothing of Istio 1.31 or later is published to gcr.io/istio-release; use "docker.io/istio" (or leave it unset)',
        ],
        [
            {
                "istio-lab:recipe": "kubernetes",
                "istio-lab:trafficApi": "gatewayApi",
                "istio-lab:controlPlane": '{"values":{"pilot":{"env":{"PILOT_ENABLE_GATEWAY_API":"false"}}}}',
            },
            'istio-lab:controlPlane.values.pilot.env.PILOT_ENABLE_GATEWAY_API: "false" is not allowed; expected nothing or "true": this lab\'s Gateway API objects (the Gateway Istio deploys, the HTTPRoute, ambient\'s waypoint) need istiod\'s Gateway API support',
        ],
    ]);

    it("a retired hub with Istio 1.30 is a warning; PILOT_ENABLE_GATEWAY_API=false without the Gateway API is the user's", () => {
        const c = parseConfig({ "istio-lab:controlPlane": '{"istioVersion":"1.30.3","values":{"global":{"hub":"GCR.IO/istio-release"}}}' });
        expect(c.warnings.map((w) => w.message)).to.deep.equal([
            'istio-lab:controlPlane.values.global.hub: "GCR.IO/istio-release" is a retired image hub (gcr.io/istio-release); Istio\'s images are on "docker.io/istio": set that or leave it unset',
        ]);
        expect(() =>
            parseConfig({
                "istio-lab:recipe": "kubernetes",
                "istio-lab:controlPlane": '{"values":{"pilot":{"env":{"PILOT_ENABLE_GATEWAY_API":"false"}}}}',
            }),
        ).to.not.throw();
    });

    it("refuses an experimental-channel Gateway API CRD file", () => {
        const dir = tempDir("crds-");
        const file = path.join(dir, "experimental-install.yaml");
        const crd = (name: string) =>
            `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${name}\n  annotations:\n    gateway.networking.k8s.io/bundle-version: v1.6.3\n    gateway.networking.k8s.io/channel: experimental\n`;
        writeFileSync(file, [crd("gateways.gateway.networking.k8s.io"), crd("httproutes.gateway.networking.k8s.io")].join("---\n"));
        expect(() =>
            parseConfig({ "istio-lab:recipe": "kubernetes", "istio-lab:trafficApi": "gatewayApi", "istio-lab:gatewayApiCrds": file }),
        ).to.throw(
            `istio-lab:gatewayApiCrds: ${JSON.stringify(file)} is not allowed; expected a Gateway API standard-install.yaml (channel "standard"), not the experimental channel's: Istio's ambient and Gateway API support is built against the standard CRDs, and v1.6's standard install refuses experimental CRDs over standard ones`,
        );
    });

    it("a local chart directory for ambient must hold its cni and ztunnel charts too", () => {
        const dir = tempDir("charts-");
        for (const c of ["base", "istiod", "gateway"]) {
            mkdirSync(path.join(dir, c));
            writeFileSync(path.join(dir, c, "Chart.yaml"), `name: ${c}\n`);
        }
        const raw = { "istio-lab:recipe": "kubernetes", "istio-lab:controlPlane": JSON.stringify({ chartRepo: dir }) };
        expect(() => parseConfig(raw)).to.not.throw();
        expect(() => parseConfig({ ...raw, "istio-lab:dataplane": "ambient", "istio-lab:trafficApi": "gatewayApi" })).to.throw(
            `istio-lab:controlPlane.chartRepo: ${JSON.stringify(dir)} is not allowed; expected a Helm repository URL (https://...), an OCI registry (oci://...) or an existing local directory holding the base, istiod, gateway, cni and ztunnel charts (ambient)`,
        );
    });

    it("accepts a Gateway API name of 57 characters, and any name under the Istio API", () => {
        expect(() =>
            parseConfig({
                "istio-lab:recipe": "kubernetes",
                "istio-lab:trafficApi": "gatewayApi",
                "istio-lab:gateway": JSON.stringify({ name: "g".repeat(57) }),
            }),
        ).to.not.throw();
        expect(() => parseConfig({ "istio-lab:recipe": "kubernetes", "istio-lab:gateway": '{"name":"1gw"}' })).to.not.throw();
    });
});

describe("config contract, round three: settings that do nothing are reported", () => {
    const ignored = (raw: Record<string, string>) => parseConfig(raw).ignored.map((n) => n.message);

    it("istioVersion on ossm2, version on ossm3 and helm", () => {
        expect(
            ignored({ "istio-lab:recipe": "openshift", "istio-lab:controlPlane": '{"flavor":"ossm2","istioVersion":"1.31.3"}' }),
        ).to.deep.equal([
            'istio-lab:controlPlane.istioVersion has no effect: the "ossm2" flavour\'s Istio is the one its ServiceMeshControlPlane version ships (set istio-lab:controlPlane.version); remove the setting',
        ]);
        expect(ignored({ "istio-lab:recipe": "openshift", "istio-lab:controlPlane": '{"version":"v2.6"}' })).to.deep.equal([
            'istio-lab:controlPlane.version has no effect: it is the ServiceMeshControlPlane version of the "ossm2" flavour, not read by "ossm3" (set istio-lab:controlPlane.istioVersion); remove the setting',
        ]);
    });

    it("chartRepo with sail, the Sail operator's settings without it", () => {
        expect(
            ignored({
                "istio-lab:recipe": "kubernetes",
                "istio-lab:controlPlane": '{"flavor":"sail","chartRepo":"oci://ghcr.io/istio/release/charts"}',
            }),
        ).to.deep.equal([
            'istio-lab:controlPlane.chartRepo has no effect: with the "sail" flavour the Sail operator installs Istio (its own chart comes from istio-lab:controlPlane.sailChartRepo); remove the setting',
        ]);
        expect(ignored({ "istio-lab:recipe": "kubernetes", "istio-lab:controlPlane": '{"sailVersion":"1.31.2"}' })).to.deep.equal([
            'istio-lab:controlPlane.sailVersion has no effect: it is the Sail operator\'s, which the "helm" flavour does not install; remove the setting',
        ]);
    });

    it("gateway.selector under the Gateway API", () => {
        expect(
            ignored({
                "istio-lab:recipe": "kubernetes",
                "istio-lab:trafficApi": "gatewayApi",
                "istio-lab:gateway": '{"selector":{"istio":"ingressgateway"}}',
            }),
        ).to.deep.equal([
            "istio-lab:gateway.selector has no effect: under the Gateway API Istio deploys the Gateway's own proxy and routes through it, selecting no pods; remove the setting",
        ]);
        expect(ignored({ "istio-lab:recipe": "kubernetes", "istio-lab:gateway": '{"selector":{"istio":"ingressgateway"}}' })).to.deep.equal(
            [],
        );
    });
});
