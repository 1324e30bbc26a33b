import type { TestProject } from "vitest/node";

// Component tests talk to a real API server (real database, real GraphQL over
// HTTP and WebSocket), started once for the run on a free port.
declare module "vitest" {
  export interface ProvidedContext {
    apiUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const harness = new URL("../../../packages/testing/src/app.ts", import.meta.url).pathname;
  // Typed here rather than imported: the SPA's typecheck stays out of the server's code.
  const { startTestApp } = (await import(/* @vite-ignore */ harness)) as {
    startTestApp(overrides: object): Promise<{ url: string; stop(): Promise<void> }>;
  };
  // Long leases: jobs a test leaves running must not come back, lease expired, to be claimed by a later test.
  // Plain http:// webhooks to an allowed loopback address: the settings tests post to a receiver on this machine.
  const app = await startTestApp({ leaseSeconds: 600, notifyAllowHttp: true, notifyAllowedHosts: ["127.0.0.1"] });
  project.provide("apiUrl", app.url);
  return () => app.stop();
}
