// Fails when the committed typed operations differ from what codegen makes
// from schema.graphql and the documents (someone forgot `pnpm codegen`), the python
// worker's operations.py included.
import { execFileSync } from "node:child_process";

execFileSync("node_modules/.bin/graphql-codegen", ["--config", "codegen.ts", "--silent"], { stdio: "inherit" });
const GENERATED = ["web/src/graphql", "trainer/src/worker/graphql", "trainer/python/tuneloop_worker/operations.py"];
const changed = execFileSync("git", ["status", "--porcelain", "--", ...GENERATED], {
  encoding: "utf8",
}).trim();
if (changed) {
  console.error(`Generated operations are out of date; run \`pnpm codegen\` and commit:\n${changed}`);
  process.exit(1);
}
