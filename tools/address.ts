// Address options (`--istiod HOST:PORT`, `--server URL`): checked as addresses, a host and a port from 1 to
// 65535, before anything else is said of them.
import { isIP } from "net";
import { isPort } from "../components/lab";
import { linear } from "../components/linear";

const HOSTNAME = linear(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/);

/** True when `host` is a DNS name (at most 253 characters), an IPv4 address, or an IPv6 address in brackets. */
export function isHost(host: string): boolean {
    if (host.startsWith("[") && host.endsWith("]")) {
        return isIP(host.slice(1, -1)) === 6;
    }
    return isIP(host) === 4 || (host.length <= 253 && HOSTNAME.test(host));
}

/** What is wrong with `HOST:PORT`, or undefined: a host (a DNS name, an IPv4 address, [an IPv6 address]) and a port from 1 to 65535. */
export function hostPortProblem(value: string): string | undefined {
    const colon = value.lastIndexOf(":");
    if (colon < 0) {
        return "it has no port";
    }
    const host = value.slice(0, colon);
    const port = value.slice(colon + 1);
    if (!isHost(host)) {
        return `${JSON.stringify(host)} is not a host`;
    }
    if (!isPort(port)) {
        return `port ${JSON.stringify(port)} is not from 1 to 65535`;
    }
    return undefined;
}

/** `value` as an http:// or https:// URL of a host and, if it names one, a port from 1 to 65535; else undefined. */
export function httpUrl(value: string): URL | undefined {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return undefined;
    }
    return ["http:", "https:"].includes(url.protocol) && url.hostname !== "" && (url.port === "" || isPort(url.port)) ? url : undefined;
}

/** True when `value` is an http:// or https:// URL of a host and, if it names one, a port from 1 to 65535. */
export const isHttpUrl = (value: string): boolean => httpUrl(value) !== undefined;
