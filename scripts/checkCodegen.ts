// Fails when the committed typed operations differ from what codegen makes
// from schema.graphql and the documents (someone forgot `pnpm codegen`).
import { execFileSync } from "node:child_process";

execFileSync("node_modules/.bin/graphql-codegen", ["--config", "codegen.ts", "--silent"], { stdio: "inherit" });
const changed = execFileSync("git", ["status", "--porcelain", "--", "web/src/graphql", "trainer/src/worker/graphql"], {
  encoding: "utf8",
}).trim();
if (changed) {
  console.error(`Generated operations are out of date; run \`pnpm codegen\` and commit:\n${changed}`);
  process.exit(1);
}
