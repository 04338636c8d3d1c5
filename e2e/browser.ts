// `lab status --html`'s page in a real browser: Debian's Chromium, headless, driven by playwright-core
// (no browser of its own is downloaded: the executable is the system's). The page is opened from its file,
// every request it makes is recorded (a self-contained page makes none but its own), a screenshot is taken,
// and the grid is read back off the screenshot's pixels: each cell's background colour, sampled inside its
// padding, mapped to the state whose colour it is. The harness compares that grid with what `lab status
// --json` said.
import { existsSync } from "fs";
import { pathToFileURL } from "url";
import { chromium } from "playwright-core";
import { CellState, STATE_COLORS } from "../tools/status";

/** Debian's Chromium (package chromium), or $ISTIO_LAB_CHROMIUM. */
export const CHROMIUM = process.env.ISTIO_LAB_CHROMIUM ?? "/usr/bin/chromium";

/** What the browser showed. */
export interface SeenPage {
    /** Each row's attendee and its cells' states, as read off the screenshot's colours. */
    readonly grid: ReadonlyArray<{ readonly attendee: string; readonly states: readonly string[] }>;
    /** The text of each cell's difference line (`.why`), in the order the page has them. */
    readonly differences: readonly string[];
    /** Every URL the page requested. */
    readonly requests: readonly string[];
    /** The screenshot, PNG. */
    readonly screenshot: Buffer;
}

/** `#rrggbb` as [r, g, b]. */
const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** The state whose colour `pixel` is (within 3 of each channel), or the pixel as `rgb(r,g,b)` when none is. */
function stateOf(pixel: readonly number[]): string {
    const found = (Object.entries(STATE_COLORS) as Array<[CellState, string]>).find(([, hex]) =>
        rgb(hex).every((v, i) => Math.abs(v - pixel[i]) <= 3),
    );
    return found ? found[0] : `rgb(${pixel.slice(0, 3).join(",")})`;
}

/** Opens the page in headless Chromium and reads its grid off a screenshot. */
export async function seePage(file: string): Promise<SeenPage> {
    if (!existsSync(CHROMIUM)) {
        throw new Error(
            `${CHROMIUM} not found: the status page is checked in Debian's Chromium (apt-get install chromium; .ci/run installs it)`,
        );
    }
    // The flags Chromium needs on a machine with no network beyond loopback (it tries Google's hosts otherwise), as root.
    const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    });
    try {
        const page = await browser.newPage({ viewport: { width: 1600, height: 900 }, deviceScaleFactor: 1 });
        const requests: string[] = [];
        page.on("request", (r) => requests.push(r.url()));
        await page.goto(pathToFileURL(file).href);
        // Where each cell is (its top-left corner, inside the 1 px border and the padding) and whose row it is.
        // (Scripts as text, here and below: this project compiles without the DOM's types.)
        const layout = await page.evaluate<Array<{ attendee: string; points: Array<[number, number]> }>>(`
            [...document.querySelectorAll("tbody tr")].map((tr) => ({
                attendee: (tr.querySelector("th")?.childNodes[0]?.textContent ?? "").trim(),
                points: [...tr.querySelectorAll("td")].map((td) => {
                    const b = td.getBoundingClientRect();
                    return [Math.round(b.x + 3), Math.round(b.y + 3)];
                }),
            }))`);
        const differences = await page.evaluate<string[]>(`[...document.querySelectorAll("td .why")].map((e) => e.textContent.trim())`);
        const screenshot = await page.screenshot({ fullPage: true });
        // The screenshot decoded by the browser itself: drawn on a canvas in a blank page, its pixels read there.
        const decoder = await browser.newPage();
        const points = layout.flatMap((r) => r.points);
        const pixels = await decoder.evaluate<number[][]>(`(async () => {
            const img = new Image();
            img.src = "data:image/png;base64,${screenshot.toString("base64")}";
            await img.decode();
            const canvas = document.createElement("canvas");
            canvas.width = img.width;
            canvas.height = img.height;
            const ctx = canvas.getContext("2d");
            ctx.drawImage(img, 0, 0);
            return ${JSON.stringify(points)}.map(([x, y]) => [...ctx.getImageData(x, y, 1, 1).data]);
        })()`);
        let at = 0;
        const grid = layout.map((r) => ({ attendee: r.attendee, states: r.points.map(() => stateOf(pixels[at++])) }));
        return { grid, differences, requests, screenshot };
    } finally {
        await browser.close();
    }
}
