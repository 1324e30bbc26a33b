import { defineConfig } from "vitest/config";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One copy of graphql for the server, its plugins and the tests.
    alias: { graphql: require.resolve("graphql", { paths: [new URL("./server", import.meta.url).pathname] }) },
  },
  test: {
    include: ["server/src/**/*.test.ts", "trainer/src/**/*.test.ts", "packages/*/src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two files at a time even on CI's 2 cores (vitest's default there is one): most files spend much of
    // their time waiting on sockets, timers and trainer processes. Six server files took 58–85 s instead of 88–109 s.
    maxWorkers: 2,
  },
});
