import { readConfig } from "./config.js";
import { buildApp } from "./app.js";
import { createSetupLink } from "./members/account.js";

const config = readConfig();
const app = await buildApp(config);
const url = await app.start();
console.log(`Tuneloop API on ${url}/graphql (GraphiQL in a browser)`);
const setupLink = await createSetupLink(app.services, {}, url);
if (setupLink) console.log(`No organization yet. Open this one-time link to create it and its admin (valid 24 hours):\n  ${setupLink}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    await app.stop();
    process.exit(0);
  });
}
