// The lab's whole config, as parseConfig (config/index.ts) returns it: one type, kept apart from the code
// that builds it so the modules that check the whole lab (namespaces.ts) can name it without importing that code.
import type { ImageSet } from "./images";
import type { Dataplane, Platform } from "../components/lab";
import type { PeerAuthPolicy } from "../components/peerAuth";
import type { AccessConfig, AttendeeConfig } from "./classroom";
import type { ControlPlaneConfig, OperatorsConfig } from "./controlPlane";
import type { GatewayConfig } from "./gateway";
import type { GuestbookConfig } from "./guestbook";
import type { GatewayApiCrds } from "./mesh";
import type { Stage } from "./recipes";
import type { MtlsLabConfig } from "./security";
import type { Notice } from "./stages";
import type { TrafficApi, TrafficSettings } from "./traffic";

/** The whole config, checked and with every default applied. */
export interface LabConfig extends TrafficSettings {
    /** Which lab: a recipe from `config/recipes.ts`. */
    readonly recipe: string;
    /** Which platform. */
    readonly platform: Platform;
    /** The stages this lab has, in build order. */
    readonly stages: readonly Stage[];
    /** Istio's routing API or the Kubernetes Gateway API for the ingress and the routes. */
    readonly trafficApi: TrafficApi;
    /** Sidecars in every pod, or ambient mode (ztunnel, waypoints). */
    readonly dataplane: Dataplane;
    /** Where the Gateway API CRDs come from, when the lab uses the Gateway API (its routes, or ambient's waypoints). */
    readonly gatewayApiCrds?: GatewayApiCrds;
    /** Install the tracing operators (OSSM 2: Elasticsearch and Jaeger, traced by the SMCP; OSSM 3: Tempo and OpenTelemetry). */
    readonly tracing: boolean;
    /** Peer authentication policies. */
    readonly peerAuth: readonly PeerAuthPolicy[];
    /** How long the provider waits for each awaited object (`pulumi.com/timeoutSeconds`); absent, the provider's own limit. */
    readonly waitTimeoutSeconds?: number;
    /** A classroom: one guestbook lab per attendee, each with its traffic settings; absent, the one lab as before. */
    readonly attendees?: readonly AttendeeConfig[];
    /** Each attendee's own access, budget and isolation; absent, attendees get a URL only. */
    readonly access?: AccessConfig;
    /** Guestbook stage settings. */
    readonly guestbook: GuestbookConfig;
    /** Gateway stage settings. */
    readonly gateway: GatewayConfig;
    /** Control plane stage settings. */
    readonly controlPlane: ControlPlaneConfig;
    /** Operator stage settings. */
    readonly operators: OperatorsConfig;
    /** Peer authentication lab workloads' settings. */
    readonly mtlsLab: MtlsLabConfig;
    /** The image set: the documents' images, or today's multi-arch ones (`istio-lab:images`). */
    readonly images: ImageSet;
    /** Settings made for a stage this lab does not have, which Pulumi prints as warnings and `lab validate` reports. */
    readonly ignored: readonly Notice[];
    /** The leaves of the values the stack marks secret: whatever carries one is secret in state, diffs and messages. */
    readonly secrets: ReadonlyArray<string | number>;
    /** Settings that work today but are known to stop working (a retired chart location), warned about the same way. */
    readonly warnings: readonly Notice[];
}
