// The zod builders every area's shape check uses: each schema carries the words for "what is allowed",
// which become the second half of the project's one message shape.
import { z } from "zod";
import { linear } from "../components/linear";
import {
    DNS1123_ALLOWED,
    HOST_ALLOWED,
    IMAGE_ALLOWED,
    INT32_MAX,
    MTLS_MODES,
    QUANTITY_ALLOWED,
    isDns1123Label,
    isGatewayHost,
    isImageReference,
    isQuantity,
} from "../components/lab";

/** The config namespace. */
export const NAMESPACE = "istio-lab";

/** `istio-lab:<path>`, the key a message names. */
export const keyAt = (path: string) => `${NAMESPACE}:${path}`;

export const allowed = (text: string) => ({ errorMap: () => ({ message: text }) });
export const oneOf = <T extends string>(values: readonly T[]) =>
    z.enum(values as unknown as [T, ...T[]], allowed(`one of ${values.join(", ")}`));
export const int = (min: number, max?: number) => {
    const text = max === undefined ? `an integer of ${min} or more` : `an integer from ${min} to ${max}`;
    const schema = z.number(allowed(text)).int(text).min(min, text);
    return max === undefined ? schema : schema.max(max, text);
};
export const text = (what = "a non-empty string") => z.string(allowed(what)).min(1, what);
/** A string with something in it besides spaces. */
export const nonBlank = (what: string) => z.string(allowed(what)).refine((v) => v.trim() !== "", `${what} (not blank)`);
export const bool = z.boolean(allowed("true or false"));
export const dnsLabel = z.string(allowed(DNS1123_ALLOWED)).refine(isDns1123Label, DNS1123_ALLOWED);
const DNS_SUBDOMAIN = linear(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
/** True for a DNS-1123 subdomain (a Kubernetes object name). */
export const isDnsSubdomain = (v: string) => v.length <= 253 && DNS_SUBDOMAIN.test(v);
export const labels = z.record(z.string(allowed("a string label value")), allowed('labels, e.g. {"app": "httpbin"}'));
export const obj = <S extends z.ZodRawShape>(shape: S) =>
    z.object(shape, allowed(`an object with keys ${Object.keys(shape).join(", ")}`)).strict();
export const list = <T extends z.ZodTypeAny>(item: T, what: string) => z.array(item, allowed(what));
export const mode = oneOf(MTLS_MODES);
export const image = text(IMAGE_ALLOWED).refine(isImageReference, IMAGE_ALLOWED);
export const host = text(HOST_ALLOWED).refine(isGatewayHost, HOST_ALLOWED);
export const int32 = (min: number) => int(min, INT32_MAX);
export const quantity = text(QUANTITY_ALLOWED).refine(isQuantity, QUANTITY_ALLOWED);
