import { build } from "vite";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

const web = new URL("..", import.meta.url).pathname;

/** Builds the SPA for production, then starts the API server that serves it (same origin, like a deployment). */
export default async function setup(project: TestProject) {
  // Vitest runs with NODE_ENV=test, which would give React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile: `${web}vite.config.ts`, mode: "production", logLevel: "warn" });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  const harness = new URL("../../packages/testing/src/app.ts", import.meta.url).pathname;
  const { startTestApp } = (await import(/* @vite-ignore */ harness)) as {
    startTestApp(overrides: Record<string, unknown>): Promise<{ url: string; stop(): Promise<void> }>;
  };
  // Long leases: a test that pauses between reports must not lose its job to the lease watch.
  const app = await startTestApp({ webDist: `${web}dist`, leaseSeconds: 600 });
  project.provide("baseUrl", app.url);
  return () => app.stop();
}
