// Web dashboard bench: jobs page with 1,000 jobs in Chromium, bundle size, and
// report → screen latency, each with a baseline from the same run. The bench
// lives in web/e2e/bench.ts, next to the browser helpers and packages it uses.
// Usage: npx tsx scripts/bench/web.ts
import { spawnSync } from "node:child_process";

const run = spawnSync("node_modules/.bin/tsx", ["web/e2e/bench.ts"], {
  stdio: "inherit",
  cwd: new URL("../../", import.meta.url).pathname,
});
process.exit(run.status ?? 1);
