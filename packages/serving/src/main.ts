// The engine's serving process (`pnpm serving`, started by `pnpm start`):
//   tsx packages/serving/src/main.ts [--port 4100] [--host 127.0.0.1]
// --exit-with-stdin: stop when stdin closes (the API server that started it is gone).
// Prints "listening on http://HOST:PORT" once it accepts requests (--port 0 picks a free port).
import { parseArgs } from "node:util";
import { initBackend } from "@tuneloop/engine";
import { createServingServer } from "./server";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.SERVING_PORT ?? "4100" },
    host: { type: "string", default: process.env.SERVING_HOST ?? "127.0.0.1" },
    "max-running": { type: "string", default: process.env.SERVING_MAX_RUNNING ?? "4" },
    "max-waiting": { type: "string", default: process.env.SERVING_MAX_WAITING ?? "64" },
    /** Started by an API server: stop when it goes (its end of stdin closes). */
    "exit-with-stdin": { type: "boolean", default: false },
  },
});

await initBackend();
const server = createServingServer(undefined, { maxRunning: Number(values["max-running"]), maxWaiting: Number(values["max-waiting"]) });
server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : values.port;
  console.log(`listening on http://${values.host}:${port}`);
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
if (values["exit-with-stdin"]) process.stdin.on("close", () => process.exit(0)).resume();
