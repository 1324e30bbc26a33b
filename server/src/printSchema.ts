// Prints the SDL that codegen and reviewers read (schema.graphql, checked in).
// `--check` fails when the checked-in file has drifted from the code.
import { lexicographicSortSchema, printSchema } from "graphql";
import { readFileSync, writeFileSync } from "node:fs";
import { schema } from "./schema.js";

const file = new URL("../../schema.graphql", import.meta.url);
const sdl = `${printSchema(lexicographicSortSchema(schema))}\n`;
if (process.argv.includes("--check")) {
  if (readFileSync(file, "utf8") !== sdl) {
    console.error("schema.graphql is out of date: run `pnpm schema:print` and commit it");
    process.exit(1);
  }
} else {
  writeFileSync(file, sdl);
}
