import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

// Browser tests: the production build of the SPA, served by a real API server,
// driven in headless Chromium (Debian's /usr/bin/chromium) with playwright-core.
export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  resolve: {
    // One copy of graphql for the server the setup starts (see web/vitest.config.ts); only the bare
    // specifier, so that deep imports (graphql-armor's graphql/language/parser) still resolve.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql", { paths: [new URL("../../server", import.meta.url).pathname] }) }],
  },
  test: {
    include: ["e2e/**/*.test.ts"],
    environment: "node",
    globalSetup: ["e2e/globalSetup.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
