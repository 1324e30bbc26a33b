// Entry of a job's training thread. A worker thread starts without the
// parent's TypeScript loader (and under vitest there is none): register tsx first.
import { register } from "tsx/esm/api";

register();
await import(new URL("./trainingThread.ts", import.meta.url).href);
