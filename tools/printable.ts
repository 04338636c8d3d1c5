// Text from the cluster or a probed server (pod names, env values, headers, bodies) reaches the instructor's
// terminal: with attendeeAccess, attendees own their Deployments, so a workload could name itself with terminal
// escape sequences. Every command's output passes through here: control characters are written as \uXXXX
// (valid inside a JSON string too), newlines and tabs kept.

// C0 controls but tab and newline, DEL, and the C1 controls (U+009B is a one-character CSI on some terminals).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `text` with every control character but newline and tab written as `\uXXXX`. */
export function printable(text: string): string {
    return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
