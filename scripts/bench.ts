// `pnpm bench`: runs every benchmark in scripts/bench/ in turn. Each prints its
// figures next to a baseline measured in the same run (this machine is noisy:
// compare ratios, not absolute numbers).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const only = process.argv[2];
const files = readdirSync("scripts/bench")
  .filter((f) => f.endsWith(".ts") && (!only || f.includes(only)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n━━ ${file}`);
  const run = spawnSync("node_modules/.bin/tsx", [`scripts/bench/${file}`], { stdio: "inherit" });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
