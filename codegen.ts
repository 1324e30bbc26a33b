import type { CodegenConfig } from "@graphql-codegen/cli";
import * as pythonOperations from "./trainer/src/codegen/pythonOperations";

// Every operation the TypeScript and python workers send lives in this file (tests write their own queries as plain strings).
const WORKER_OPERATIONS = ["trainer/src/worker/operations.ts"];
/** The python worker's operations module: a plugin of ours (trainer/src/codegen/pythonOperations.ts), not a package. */
const PYTHON_OPERATIONS_PLUGIN = "tuneloop-python-operations";

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
    // The schema for the SPA's normalized cache (Graphcache): keys, interfaces and unions from the SDL.
    "web/src/graphql/introspection.ts": { plugins: ["urql-introspection"], config: { module: "es2015", useTypeImports: true } },
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
  pluginLoader: (name) => (name.endsWith(PYTHON_OPERATIONS_PLUGIN) ? Promise.resolve(pythonOperations) : import(name)),
};
export default config;
