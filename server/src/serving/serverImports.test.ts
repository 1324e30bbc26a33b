import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// The API server process holds no model: nothing it loads may come from the
// trainer or the engine (docs: DESIGN.md "Where model work runs"). Follows every
// import from the server's entry, as Node would load them.

const ROOT = resolve(import.meta.dirname, "../../..");
const FORBIDDEN = [/^@tuneloop\/(engine|serving)(\/|$)/, /^@tensorflow\//];
const FORBIDDEN_DIRS = ["trainer", "packages"].map((dir) => `${join(ROOT, dir)}/`);

/** Every file reached from `entry` through relative imports, and the package imports that would be loaded. */
function importGraph(entry: string) {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith(".")) {
        packages.set(fileName, relative(ROOT, file));
        continue;
      }
      const path = resolve(dirname(file), fileName);
      // "./x.js" is ./x.ts in TypeScript sources; "./x" is ./x.ts or ./x/index.ts. JSON and text files are data.
      const target = [path.replace(/\.js$/, ".ts"), `${path}.ts`, join(path, "index.ts")].find(
        (candidate) => candidate.endsWith(".ts") && existsSync(candidate),
      );
      if (target) visit(target);
    }
  };
  visit(entry);
  return { files: [...files], packages };
}

describe("the API server's imports", () => {
  it("reach neither the trainer nor the engine, from server/src/main.ts", () => {
    const { files, packages } = importGraph(join(ROOT, "server/src/main.ts"));
    // The walk reaches the whole server, serving included.
    expect(files).toContain(join(ROOT, "server/src/serving/route.ts"));
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((file) => FORBIDDEN_DIRS.some((dir) => file.startsWith(dir))).map((file) => relative(ROOT, file))).toEqual([]);
    expect(
      [...packages].filter(([name]) => FORBIDDEN.some((rule) => rule.test(name))).map(([name, from]) => `${name} (from ${from})`),
    ).toEqual([]);
  });

  it("are walked far enough to catch one: the tests' training helper imports the trainer", () => {
    const { files } = importGraph(join(ROOT, "packages/testing/src/trainedJob.ts"));
    expect(files.some((file) => file.startsWith(`${join(ROOT, "trainer")}/`))).toBe(true);
  });
});
