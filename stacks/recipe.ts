import { Platform } from "../components/lab";

/** The lab stages, in the order a lab builds them. */
export const STAGES = ["operators", "controlPlane", "guestbook", "gateway", "traffic", "peerAuth", "mtlsLab"] as const;
/** One lab stage. */
export type Stage = (typeof STAGES)[number];

/** A lab recipe: which platform it runs on by default and which stages it has. */
export interface Recipe {
    /** Name, the value of `istio-lab:recipe`. */
    readonly name: string;
    /** One line on what the recipe stands up. */
    readonly description: string;
    /** Platforms the recipe runs on; the first is its default. */
    readonly platforms: readonly Platform[];
    /** The stages the recipe has on a platform, unless `istio-lab:stages` says otherwise. */
    stages(platform: Platform): Stage[];
}
