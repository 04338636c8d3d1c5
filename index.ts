// istio-lab: read the stack's config, build the lab its recipe describes, export what a user needs.
import { loadConfig } from "./config";
import { buildLab } from "./stacks/lab";

const lab = buildLab(loadConfig());

/** The recipe this stack runs. */
export const recipe = lab.recipe;
/** Where a browser reaches the guestbook (null without a gateway stage). */
export const labUrl = lab.labUrl;
/** The share of guestbook traffic per version and the A/B rule. */
export const trafficSplit = lab.trafficSplit;
/** The peer authentication policies in force. */
export const mtlsPolicies = lab.mtlsPolicies;
/** The namespaces the lab created. */
export const namespaces = lab.namespaces;
/** The stack's lab id, a label on every namespace it created. */
export const labId = lab.labId;
/** The lab CA's certificate: `pulumi stack output caCert > ca.pem; curl --cacert ca.pem ...`. */
export const caCert = lab.caCert;
/** A classroom's attendees: namespace, URL and split, one row each (`npm run --silent lab -- attendees` prints them). */
export const attendees = lab.attendees;
/** With `attendeeAccess` on Kubernetes, each attendee's ServiceAccount token (a secret): `npm run --silent lab -- attendees --kubeconfig DIR` writes their kubeconfigs. */
export const attendeeTokens = lab.attendeeTokens;
