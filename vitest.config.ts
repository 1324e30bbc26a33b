import { defineConfig } from "vitest/config";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One copy of graphql for the server, its plugins and the tests.
    alias: { graphql: require.resolve("graphql", { paths: [new URL("./server", import.meta.url).pathname] }) },
  },
  test: {
    include: ["server/src/**/*.test.ts", "trainer/src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
