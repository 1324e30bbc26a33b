import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// The test kits start servers, stand-ins and real workers: only tests, benches
// and the web suite's own helpers (web/src/testing) may load them.

const ROOT = resolve(import.meta.dirname, "../../..");
const KITS = `${join(ROOT, "packages/testing")}/`;
const PRODUCTION_DIRS = [
  "server/src",
  "trainer/src",
  "web/src",
  ...readdirSync(join(ROOT, "packages")).map((name) => `packages/${name}/src`),
];

/** The source files that ship: no tests, no test kits. */
function productionFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => /\.tsx?$/.test(file) && !/\.test\.tsx?$/.test(file))
    .filter((file) => !file.startsWith(KITS) && !file.startsWith(join(ROOT, "web/src/testing/")));
}

describe("the test kits", () => {
  it("are imported by no production code", () => {
    const files = PRODUCTION_DIRS.flatMap(productionFiles);
    expect(files).toContain(join(ROOT, "server/src/main.ts"));
    const offenders = files.flatMap((file) =>
      ts
        .preProcessFile(readFileSync(file, "utf8"), true, true)
        .importedFiles.map(({ fileName }) => fileName)
        .filter(
          (name) => /^@tuneloop\/testing(\/|$)/.test(name) || (name.startsWith(".") && `${resolve(dirname(file), name)}/`.startsWith(KITS)),
        )
        .map((name) => `${relative(ROOT, file)} imports ${name}`),
    );
    expect(offenders).toEqual([]);
  });
});
