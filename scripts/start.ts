// `pnpm start`: the whole system on the embedded default — builds the SPA, starts
// the engine's serving process and the API (SQLite under ./data, demo organization and dataset). The server starts a
// trainer process for each job itself (the local compute provider, server/src/compute).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { DEMO_PASSWORD, DEMO_USERS } from "../server/src/seed.js";

const port = Number(process.env.PORT ?? 4000);
const url = `http://127.0.0.1:${port}`;
const children: ChildProcess[] = [];

function stopAll(code = 0) {
  for (const child of children) child.kill("SIGTERM");
  setTimeout(() => process.exit(code), 3000).unref();
}
process.on("SIGINT", () => stopAll());
process.on("SIGTERM", () => stopAll());

console.log("Building the web app…");
const build = spawnSync("node_modules/.bin/vite", ["build", "--logLevel", "warn"], { cwd: "web", stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);

// The engine's serving process: the built-in models and their adapters for the playground and deployed endpoints.
const servingPort = Number(process.env.SERVING_PORT ?? port + 100);
const serving = spawn("node_modules/.bin/tsx", ["packages/serving/src/main.ts", "--port", String(servingPort)], { stdio: "inherit" });
children.push(serving);
serving.on("exit", (code) => stopAll(code ?? 1));

const server = spawn("node_modules/.bin/tsx", ["server/src/main.ts"], {
  stdio: "inherit",
  env: {
    ...process.env,
    PORT: String(port),
    WEB_DIST: "web/dist",
    SEED_DEMO: process.env.SEED_DEMO ?? "true",
    ENGINE_SERVING_URL: process.env.ENGINE_SERVING_URL ?? `http://127.0.0.1:${servingPort}/v1`,
  },
});
children.push(server);
server.on("exit", (code) => stopAll(code ?? 1));

async function waitForServer() {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${url}/graphql?query=%7B__typename%7D`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the API server did not start");
}

await waitForServer();

console.log(`
Tuneloop is running:
  Web app   ${url}/          (sign in as ${DEMO_USERS.map((u) => u.email).join(", ")}; password "${DEMO_PASSWORD}")
  GraphiQL  ${url}/graphql
  Trainers  one process per job, started by the server (the first job builds the demo base model once, cached under .cache/)
  Serving   the engine's serving process on http://127.0.0.1:${servingPort}/v1 (OpenAI API; playground and deployed models)
Press Ctrl+C to stop.`);
