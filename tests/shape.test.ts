// The code's shape: no module of the program, the `lab` command or the e2e harness imports itself back
// through others (an import circle makes load order matter and hides which module owns what), and no
// function of the program or the `lab` command runs past 80 lines (a feature is a function or a module of
// its own, not another branch in a long one).
import { expect } from "chai";
import { existsSync, readFileSync, readdirSync, statSync } from "fs";
import * as path from "path";
import * as ts from "typescript";
import { PROJECT_ROOT } from "../tools/stackConfig";

/** The TypeScript files under the given roots (directories or files), relative to the project. */
function sources(roots: readonly string[]): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
        const abs = path.join(PROJECT_ROOT, rel);
        if (!existsSync(abs)) {
            return;
        }
        if (statSync(abs).isDirectory()) {
            readdirSync(abs)
                .sort()
                .forEach((f) => walk(path.join(rel, f)));
        } else if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) {
            out.push(rel);
        }
    };
    roots.forEach(walk);
    return out;
}

/** Each file's relative imports and re-exports (type-only ones too), as project-relative paths. */
export function importGraph(files: readonly string[]): Map<string, string[]> {
    const graph = new Map<string, string[]>();
    for (const file of files) {
        const info = ts.preProcessFile(readFileSync(path.join(PROJECT_ROOT, file), "utf8"), true, false);
        const targets = info.importedFiles
            .map((i) => i.fileName)
            .filter((n) => n.startsWith("."))
            .map((n) => path.join(path.dirname(file), n))
            .map((n) => [`${n}.ts`, path.join(n, "index.ts")].find((c) => existsSync(path.join(PROJECT_ROOT, c))))
            .filter((n): n is string => n !== undefined);
        graph.set(file, targets);
    }
    return graph;
}

/** The import circles of a graph: its strongly connected components of more than one file (Tarjan's algorithm). */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const circles: string[][] = [];
    const visit = (v: string) => {
        index.set(v, next);
        low.set(v, next++);
        stack.push(v);
        onStack.add(v);
        for (const w of graph.get(v) ?? []) {
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (onStack.has(w)) {
                low.set(v, Math.min(low.get(v)!, index.get(w)!));
            }
        }
        if (low.get(v) === index.get(v)) {
            const component: string[] = [];
            let w: string;
            do {
                w = stack.pop()!;
                onStack.delete(w);
                component.push(w);
            } while (w !== v);
            if (component.length > 1 || (graph.get(v) ?? []).includes(v)) {
                circles.push(component.sort());
            }
        }
    };
    [...graph.keys()].forEach((v) => index.has(v) || visit(v));
    return circles;
}

/** Every function, method, constructor and arrow function of `file` longer than `max` lines, as `file name lines`. */
export function longFunctions(file: string, max: number): string[] {
    const src = ts.createSourceFile(file, readFileSync(path.join(PROJECT_ROOT, file), "utf8"), ts.ScriptTarget.Latest, true);
    const out: string[] = [];
    const visit = (n: ts.Node) => {
        if (ts.isFunctionLike(n) && "body" in n && n.body !== undefined) {
            const lines = src.getLineAndCharacterOfPosition(n.getEnd()).line - src.getLineAndCharacterOfPosition(n.getStart()).line + 1;
            if (lines > max) {
                const named = (n as ts.SignatureDeclaration).name ?? (ts.isVariableDeclaration(n.parent) ? n.parent.name : undefined);
                out.push(`${file} ${named ? named.getText(src) : ts.isConstructorDeclaration(n) ? "constructor" : "(anonymous)"} ${lines}`);
            }
        }
        ts.forEachChild(n, visit);
    };
    visit(src);
    return out;
}

/** How many unbounded quantifiers (`*`, `+`, `{n,}`) a regex source has outside escapes and character classes. */
export function unboundedQuantifiers(source: string): number {
    const bare = source.replace(/\\./g, "e").replace(/\[[^\]]*\]/g, "c");
    return (bare.match(/[*+]|\{\d+,\}/g) ?? []).length;
}

/**
 * Every regex of `file` with two or more unbounded quantifiers (where a backtracking engine can take more than
 * linear time) that is not handed to `linear()` (RE2), as `file:line /source/`; a `new RegExp` is one too.
 */
export function backtrackingRegexes(file: string): string[] {
    const src = ts.createSourceFile(file, readFileSync(path.join(PROJECT_ROOT, file), "utf8"), ts.ScriptTarget.Latest, true);
    const out: string[] = [];
    const inLinear = (n: ts.Node) => ts.isCallExpression(n.parent) && n.parent.expression.getText(src) === "linear";
    const visit = (n: ts.Node) => {
        const literal = n.kind === ts.SyntaxKind.RegularExpressionLiteral;
        const built = (ts.isNewExpression(n) || ts.isCallExpression(n)) && n.expression.getText(src) === "RegExp";
        const source = literal ? n.getText(src).slice(1, n.getText(src).lastIndexOf("/")) : "";
        if ((built || (literal && unboundedQuantifiers(source) >= 2)) && !inLinear(n)) {
            out.push(`${file}:${src.getLineAndCharacterOfPosition(n.getStart()).line + 1} ${n.getText(src)}`);
        }
        ts.forEachChild(n, visit);
    };
    visit(src);
    return out;
}

describe("the code's shape", () => {
    it("finds a circle where there is one (the finder itself)", () => {
        const graph = new Map([
            ["a.ts", ["b.ts"]],
            ["b.ts", ["c.ts"]],
            ["c.ts", ["a.ts"]],
            ["d.ts", ["a.ts"]],
        ]);
        expect(importCircles(graph)).to.deep.equal([["a.ts", "b.ts", "c.ts"]]);
    });

    it("has no import circles in components/, config/, stacks/, tools/, e2e/ and index.ts", () => {
        const graph = importGraph(sources(["index.ts", "components", "config", "stacks", "tools", "e2e"]));
        expect(graph.size).to.be.greaterThan(60);
        expect(graph.get("config/index.ts")).to.include("config/labConfig.ts");
        expect(importCircles(graph)).to.deep.equal([]);
    });

    it("has no function over 80 lines in components/, config/, stacks/ and tools/ (and finds one where there is one)", () => {
        const files = sources(["components", "config", "stacks", "tools"]);
        expect(files.length).to.be.greaterThan(50);
        expect(files.flatMap((f) => longFunctions(f, 80))).to.deep.equal([]);
        expect(longFunctions("e2e/promote.ts", 80)).to.include("e2e/promote.ts promotions 177");
    });

    it("matches every regex that can backtrack super-linearly with RE2 (linear), in the program and the lab command", () => {
        expect(unboundedQuantifiers("^[a-z0-9]+([._-][a-z0-9]+)*$")).to.equal(3);
        expect(unboundedQuantifiers("^[+*]\\+x$")).to.equal(0);
        expect(backtrackingRegexes("e2e/toolchain.ts").map((r) => r.split(" ")[0])).to.include("e2e/toolchain.ts:31");
        const files = sources(["index.ts", "components", "config", "stacks", "tools", "policy"]);
        // The one exception: redact's pattern is a number's text (digits, '.', '+', '-', 'e') between lookarounds
        // RE2 lacks, and has no quantifier.
        const allowed = ["components/secrets.ts"];
        const found = files.flatMap((f) => backtrackingRegexes(f)).filter((r) => !allowed.some((a) => r.startsWith(`${a}:`)));
        expect(found).to.deep.equal([]);
    });
});
