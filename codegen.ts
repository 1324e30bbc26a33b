import type { CodegenConfig } from "@graphql-codegen/cli";
import * as pythonOperations from "./trainer/src/codegen/pythonOperations";
import * as graphcacheSchema from "./web/codegen/graphcacheSchema";

// Every operation the TypeScript and python workers send lives in this file (tests write their own queries as plain strings).
const WORKER_OPERATIONS = ["trainer/src/worker/operations.ts"];
/** The python worker's operations module: a plugin of ours (trainer/src/codegen/pythonOperations.ts), not a package. */
const PYTHON_OPERATIONS_PLUGIN = "tuneloop-python-operations";
const GRAPHCACHE_SCHEMA_PLUGIN = "tuneloop-graphcache-schema";

// Typed operations for the SPA and the trainer, generated from the checked-in
// SDL (never from a running server). Run `pnpm codegen` after changing either.
const config: CodegenConfig = {
  schema: "schema.graphql",
  ignoreNoDocuments: true,
  generates: {
    "web/src/graphql/": {
      documents: ["web/src/**/*.{ts,tsx}", "!web/src/graphql/**", "!web/src/testing/**", "!web/src/**/*.test.{ts,tsx}"],
      preset: "client",
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: "string", JSON: "unknown", Upload: "File" } },
      presetConfig: { fragmentMasking: false },
    },
    // What the SPA's normalized cache (Graphcache) needs of the schema: abstract types and types without an id.
    "web/src/graphql/graphcacheSchema.ts": { plugins: [GRAPHCACHE_SCHEMA_PLUGIN] },
    "trainer/src/worker/graphql/": {
      documents: WORKER_OPERATIONS,
      preset: "client",
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: "string", JSON: "unknown", Upload: "File" } },
      presetConfig: { fragmentMasking: false },
    },
    // The same documents, for the python worker: one source for both trainers.
    "trainer/python/tuneloop_worker/operations.py": { documents: WORKER_OPERATIONS, plugins: [PYTHON_OPERATIONS_PLUGIN] },
  },
  // Codegen looks a plugin up under several package names first; any of them that ends in ours is ours.
  pluginLoader: (name) => {
    if (name.endsWith(PYTHON_OPERATIONS_PLUGIN)) return Promise.resolve(pythonOperations);
    if (name.endsWith(GRAPHCACHE_SCHEMA_PLUGIN)) return Promise.resolve(graphcacheSchema);
    return import(name);
  },
};
export default config;
