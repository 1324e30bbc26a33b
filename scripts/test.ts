// The project's test command (`pnpm test`): every suite, in the order CI runs them.
// Server suites run twice: on SQLite (the default) and on PostgreSQL.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const bin = (name: string) => `node_modules/.bin/${name}`;

type Step = { name: string; command: string[]; env?: Record<string, string>; when?: () => boolean };
const steps: Step[] = [
  { name: "GraphQL schema is up to date", command: [bin("tsx"), "server/src/printSchema.ts", "--check"] },
  { name: "Typed operations are up to date", command: [bin("tsx"), "scripts/checkCodegen.ts"] },
  { name: "Types check", command: [bin("tsc"), "-p", "tsconfig.json", "--noEmit"] },
  { name: "Web types check", command: [bin("tsc"), "-p", "web/tsconfig.json", "--noEmit"], when: () => existsSync("web/tsconfig.json") },
  { name: "Server and trainer on SQLite", command: [bin("vitest"), "run"] },
  { name: "Server on PostgreSQL", command: [bin("vitest"), "run", "server/src"], env: { TEST_POSTGRES_URL: POSTGRES_URL } },
  { name: "Web components", command: [bin("vitest"), "run", "--config", "web/vitest.config.ts"], when: () => existsSync("web/vitest.config.ts") },
  { name: "Browser end-to-end", command: [bin("vitest"), "run", "--config", "web/e2e/vitest.config.ts"], when: () => existsSync("web/e2e/vitest.config.ts") },
];

const results: { name: string; ok: boolean; seconds: number }[] = [];
for (const step of steps) {
  if (step.when && !step.when()) continue;
  console.log(`\n━━ ${step.name}`);
  const started = Date.now();
  const run = spawnSync(step.command[0], step.command.slice(1), { stdio: "inherit", env: { ...process.env, ...step.env } });
  results.push({ name: step.name, ok: run.status === 0, seconds: (Date.now() - started) / 1000 });
}

console.log("\n━━ Summary");
for (const r of results) console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name} (${r.seconds.toFixed(0)} s)`);
const failed = results.filter((r) => !r.ok).length;
console.log(`suites: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
