#!/usr/bin/env node
// Runs a compiled tool from bin/, compiling first only when a TypeScript source is newer than the
// last build (so `npm ci && npm run lab -- render` works on a fresh clone, and later runs type-check nothing).
"use strict";
// On a Node.js older than the project supports (22), run this again on the release .nvmrc names.
require("./supportedNode").reexecIfUnsupported();
const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const stamp = path.join(root, "bin", ".tsbuildinfo");

function newestSource(dir) {
    let newest = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (entry.name === "node_modules" || entry.name === "bin" || entry.name.startsWith(".")) continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
        else if (entry.name.endsWith(".ts") || entry.name === "tsconfig.json") newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
    return newest;
}

const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
if (built < newestSource(root)) {
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", root], { stdio: ["ignore", "ignore", "inherit"] });
    // tsc leaves the build info untouched when nothing needed emitting; mark this build as current.
    const now = new Date();
    fs.utimesSync(stamp, now, now);
}
const [tool, ...args] = process.argv.slice(2);
require(path.join(root, "bin", "tools", `${tool}.js`)).main(args);
