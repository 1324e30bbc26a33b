// Entry of an engine worker thread. The server runs TypeScript through tsx,
// but a worker thread starts without the parent's loader (and under vitest
// there is none), so register tsx here before loading the real module.
import { register } from "tsx/esm/api";

register();
await import(new URL("./engineWorker.ts", import.meta.url).href);
