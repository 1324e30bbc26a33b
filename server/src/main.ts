import { readConfig } from "./config.js";
import { buildApp } from "./app.js";

const config = readConfig();
const app = await buildApp(config);
const url = await app.start();
console.log(`Tuneloop API on ${url}/graphql (GraphiQL in a browser)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    await app.stop();
    process.exit(0);
  });
}
