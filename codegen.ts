import type { CodegenConfig } from "@graphql-codegen/cli";

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
    "trainer/src/worker/graphql/": {
      // Every operation the worker sends lives in operations.ts (tests write their own queries as plain strings).
      documents: ["trainer/src/worker/operations.ts"],
      preset: "client",
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: "string", JSON: "unknown", Upload: "File" } },
      presetConfig: { fragmentMasking: false },
    },
  },
};
export default config;
