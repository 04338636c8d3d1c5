// The harness's additions to a shipped stack's config: the charts from the local chart directory the
// toolchain writes, istiod's webhooks by URL and its release's images (or, without the real istiod, its
// webhooks kept out of the API server's way), and node ports where no load balancer answers. The e2e and
// the sandbox stand stacks up with it; no shipped stack holds any of it.
import * as path from "path";
import { parseConfig } from "../config";
import { PROJECT_ROOT, readStackConfig } from "../tools/stackConfig";
import { HARNESS_ISTIOD_VALUES } from "./istiod";
import type { Config } from "./scenario";
import type { EngineTools } from "./toolchain";

/**
 * The real istiod runs by default (every scenario passes with it; scenario 14 needs it).
 * ISTIO_LAB_E2E_ISTIOD=0 runs the harness without it: istiod's webhooks kept out of the API server's way,
 * the Gateway controller played, and scenario 14 left out.
 */
export const REAL_ISTIOD = process.env.ISTIO_LAB_E2E_ISTIOD !== "0";
const NO_ISTIOD_VALUES = {
    global: { operatorManageWebhooks: true, configValidation: false, tag: "1.31.0" },
};

const json = (v: unknown) => JSON.stringify(v);
const parseObject = (v: string | undefined): Record<string, unknown> => (v ? (JSON.parse(v) as Record<string, unknown>) : {});

/** A shipped stack's config (the work tree's file) with what the harness needs: local charts, istiod's values, a node port. */
export function harnessConfig(engine: EngineTools, stack: string, extra: Config = {}): Config {
    const base = { ...readStackConfig(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`)), ...extra };
    if ((base["istio-lab:platform"] ?? "kubernetes") !== "kubernetes") {
        return base;
    }
    const cp = parseObject(base["istio-lab:controlPlane"]);
    const gw = parseObject(base["istio-lab:gateway"]);
    const stages = parseConfig(base).stages;
    return {
        ...base,
        ...(stages.includes("controlPlane")
            ? {
                  "istio-lab:controlPlane": json({
                      chartRepo: engine.charts,
                      values: REAL_ISTIOD ? HARNESS_ISTIOD_VALUES : NO_ISTIOD_VALUES,
                      ...cp,
                  }),
              }
            : {}),
        // No load balancer answers here: the control plane's ingress gateway Service gets a node port.
        ...(stages.includes("gateway") || stages.includes("controlPlane")
            ? { "istio-lab:gateway": json({ serviceType: "NodePort", ...gw }) }
            : {}),
    };
}
