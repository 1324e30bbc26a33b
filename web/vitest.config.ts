import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

// Component tests: React components in happy-dom, talking through the real
// urql client to a real API server started for the run (src/testing/).
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react()],
  resolve: {
    // One copy of graphql for the server started in globalSetup (as in the root config):
    // with two, its typed errors are not recognised and reach the client masked. Only the bare
    // specifier: deep imports (graphql/language/parser, used by graphql-armor) resolve as usual.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql", { paths: [new URL("../server", import.meta.url).pathname] }) }],
  },
  test: {
    include: ["src/**/*.test.tsx", "src/**/*.test.ts"],
    environment: "happy-dom",
    setupFiles: ["src/testing/setup.ts"],
    globalSetup: ["src/testing/globalSetup.ts"],
    // One server for the run; files take turns so their live updates and worker claims do not mix.
    fileParallelism: false,
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
