// The project's test command (`pnpm test`): every suite, in the order CI runs them.
// Server suites run twice: on SQLite (the default) and on PostgreSQL.
// Vitest suites also write a JSON report, so the summary at the end names every
// failed test (CI keeps only the tail of the output).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
// Absolute: vitest resolves a relative outputFile against each config's own root.
const RESULTS_DIR = join(process.cwd(), "test-results");
const bin = (name: string) => `node_modules/.bin/${name}`;

type Step = { name: string; command: string[]; vitest?: boolean; env?: Record<string, string>; when?: () => boolean };
const PYTHON = ["trainer/python", "server/src/delivery/numpyRuntime"];
const steps: Step[] = [
  { name: "TypeScript lint and format (Biome)", command: [bin("biome"), "ci", "."] },
  { name: "Python format (black)", command: ["black", "--check", "--quiet", ...PYTHON] },
  { name: "Python lint (flake8)", command: ["flake8", ...PYTHON] },
  { name: "GraphQL schema is up to date", command: [bin("tsx"), "server/src/printSchema.ts", "--check"] },
  { name: "Typed operations are up to date", command: [bin("tsx"), "scripts/checkCodegen.ts"] },
  { name: "Types check", command: [bin("tsc"), "-p", "tsconfig.json", "--noEmit"] },
  { name: "Web types check", command: [bin("tsc"), "-p", "web/tsconfig.json", "--noEmit"], when: () => existsSync("web/tsconfig.json") },
  { name: "Server and trainer on SQLite", vitest: true, command: [bin("vitest"), "run"] },
  { name: "Server on PostgreSQL", vitest: true, command: [bin("vitest"), "run", "server/src"], env: { TEST_POSTGRES_URL: POSTGRES_URL } },
  {
    name: "Web components",
    vitest: true,
    command: [bin("vitest"), "run", "--config", "web/vitest.config.ts"],
    when: () => existsSync("web/vitest.config.ts"),
  },
  {
    name: "Browser end-to-end",
    vitest: true,
    command: [bin("vitest"), "run", "--config", "web/e2e/vitest.config.ts"],
    when: () => existsSync("web/e2e/vitest.config.ts"),
  },
];

type VitestReport = {
  testResults: { name: string; message?: string; assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
};

/** "file › test: first line of the error" for each failure in a vitest JSON report. */
function failuresIn(reportPath: string): string[] {
  if (!existsSync(reportPath)) return ["(no test report was written)"];
  const report = JSON.parse(readFileSync(reportPath, "utf8")) as VitestReport;
  const firstLine = (text = "") =>
    text
      .split("\n")
      .find((line) => line.trim())
      ?.trim()
      .slice(0, 300) ?? "";
  return report.testResults.flatMap((file) => {
    const where = file.name.replace(`${process.cwd()}/`, "");
    const failed = file.assertionResults.filter((test) => test.status === "failed");
    if (failed.length === 0 && file.message) return [`${where}: ${firstLine(file.message)}`];
    return failed.map((test) => `${where} › ${test.fullName}: ${firstLine(test.failureMessages[0])}`);
  });
}

rmSync(RESULTS_DIR, { recursive: true, force: true });
mkdirSync(RESULTS_DIR, { recursive: true });
const results: { name: string; ok: boolean; seconds: number; failures: string[] }[] = [];
steps.forEach((step, index) => {
  if (step.when && !step.when()) return;
  console.log(`\n━━ ${step.name}`);
  const reportPath = join(RESULTS_DIR, `suite-${index}.json`);
  const command = step.vitest
    ? [...step.command, "--reporter=default", "--reporter=json", `--outputFile.json=${reportPath}`]
    : step.command;
  const started = Date.now();
  const run = spawnSync(command[0], command.slice(1), { stdio: "inherit", env: { ...process.env, ...step.env } });
  const ok = run.status === 0;
  results.push({ name: step.name, ok, seconds: (Date.now() - started) / 1000, failures: ok || !step.vitest ? [] : failuresIn(reportPath) });
});

console.log("\n━━ Summary");
for (const r of results) {
  console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name} (${r.seconds.toFixed(0)} s)`);
  for (const failure of r.failures) console.log(`       ✗ ${failure}`);
}
const failed = results.filter((r) => !r.ok).length;
console.log(`suites: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
