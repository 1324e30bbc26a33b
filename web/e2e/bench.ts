// Web dashboard figures, each beside a baseline measured in the same run (this
// machine is noisy: compare ratios, not absolute numbers):
//   1. jobs page with 1,000 jobs, production build in headless Chromium:
//      navigation start → table rendered with rows, and when the main thread is
//      free (no long task after that), vs the same server serving a bare static
//      HTML page with the same 50-row table;
//   2. production bundle, raw and gzip, vs a bare React "hello" app built the same way;
//   3. a trainer's report → the job page shows it, vs a bare graphql-ws client
//      subscribed to the same job on the same server.
// Usage: npx tsx scripts/bench/web.ts (which runs this file from web/, where its packages are)
import { createRequire } from "node:module";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "vite";
import react from "@vitejs/plugin-react";
import { chromium } from "playwright-core";
import { createClient } from "graphql-ws";
import { makeApi } from "../src/testing/api";
import { TrainerRun, lossPoints } from "../src/testing/trainer";
import { CHROMIUM_ARGS } from "./browser";

const WEB = new URL("../", import.meta.url).pathname;
// Server code and its `ws` are loaded by path and typed here, so that the SPA's typecheck stays out of the server.
const fromServer = createRequire(new URL("../../server/package.json", import.meta.url));
const WebSocket = (await import(fromServer.resolve("ws"))).default as unknown;
type TestApp = {
  url: string;
  stop(): Promise<void>;
  services: {
    db: { trainingJob: { findUniqueOrThrow(args: object): Promise<Record<string, unknown>>; createMany(args: object): Promise<unknown> } };
  };
};
const { startTestApp } = (await import(new URL("../../packages/testing/src/app.ts", import.meta.url).pathname)) as {
  startTestApp(overrides: object): Promise<TestApp>;
};

const JOBS = 1000;
const PAGE_LOADS = 7;
const REPORTS = 25;

type Row = { measure: string; value: string; baseline: string; ratio: string };
const rows: Row[] = [];
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const median = (xs: number[]) => quantile(xs, 0.5);
const kb = (bytes: number) => `${fmt(bytes / 1024, 1)} kB`;

/** A production build (Vitest or a shell may have left NODE_ENV at something else). */
async function productionBuild(options: Parameters<typeof build>[0]) {
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ mode: "production", logLevel: "warn", ...options });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

function bundleSize(dir: string) {
  let raw = 0;
  let gzip = 0;
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const file = join(path, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (/\.(js|css|html)$/.test(name) && !name.startsWith("bench-")) {
        const bytes = readFileSync(file);
        raw += bytes.length;
        gzip += gzipSync(bytes).length;
      }
    }
  };
  walk(dir);
  return { raw, gzip };
}

// ── Builds: the SPA, and a bare React app as the size baseline ──────────────
await productionBuild({ configFile: join(WEB, "vite.config.ts") });
const spaSize = bundleSize(join(WEB, "dist"));
const bareDir = mkdtempSync(join(WEB, ".bench-bare-react-"));
try {
  writeFileSync(
    join(bareDir, "index.html"),
    `<!doctype html><html><body><div id="root"></div><script type="module" src="./main.tsx"></script></body></html>`,
  );
  writeFileSync(
    join(bareDir, "main.tsx"),
    `import { createRoot } from "react-dom/client";\ncreateRoot(document.getElementById("root")!).render(<p>hello</p>);\n`,
  );
  await productionBuild({ configFile: false, root: bareDir, plugins: [react()], build: { outDir: join(bareDir, "dist") } });
  const bare = bundleSize(join(bareDir, "dist"));
  rows.push({
    measure: "bundle raw (js+css+html)",
    value: kb(spaSize.raw),
    baseline: `${kb(bare.raw)} (bare React)`,
    ratio: `${fmt(spaSize.raw / bare.raw, 2)}×`,
  });
  rows.push({
    measure: "bundle gzip",
    value: kb(spaSize.gzip),
    baseline: `${kb(bare.gzip)} (bare React)`,
    ratio: `${fmt(spaSize.gzip / bare.gzip, 2)}×`,
  });
} finally {
  rmSync(bareDir, { recursive: true, force: true });
}

// ── The static baseline page (written first: the server lists its files at start), then the server with 1,000 jobs
const sampleRows = Array.from(
  { length: 50 },
  (_, i) =>
    `<tr><td><input type="checkbox"></td><td><a href="#">Bench job ${i + 1}</a></td><td>Completed</td><td>100%</td><td>$1.00</td><td>5 min</td><td>Balanced</td><td>today</td></tr>`,
).join("");
writeFileSync(
  join(WEB, "dist", "bench-baseline.html"),
  `<!doctype html><html><head><meta charset="utf-8"><title>baseline</title></head><body><table class="jobs-table"><tbody>${sampleRows}</tbody></table></body></html>`,
);

const app = await startTestApp({ webDist: join(WEB, "dist"), leaseSeconds: 600 });
const api = makeApi(app.url);
const engineer = await api.login("engineer");
const statuses = ["COMPLETED", "FAILED", "CANCELLED", "TRAINING", "QUEUED", "PENDING"] as const;
const template = await app.services.db.trainingJob.findUniqueOrThrow({
  where: { id: await api.createJob(engineer, { name: "bench template" }) },
});
const { id: _id, createdAt: _c, updatedAt: _u, ...row } = template;
await app.services.db.trainingJob.createMany({
  data: Array.from({ length: JOBS - 1 }, (_, i) => ({
    ...row,
    name: `Bench job ${i + 1}`,
    status: statuses[i % statuses.length],
    progress: (i * 7) % 101,
    actualCostUsd: (i % 50) * 0.37,
    createdAt: new Date(Date.now() - i * 60_000),
  })),
});
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
try {
  // ── 1. Jobs page load ───────────────────────────────────────────────────
  /** ms from navigation start until the table has rows, and until the main thread is free after that. */
  async function loadTimes(path: string, signedIn: boolean) {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    if (signedIn) await context.addInitScript((token) => window.localStorage.setItem("tuneloop.token", token), engineer);
    await context.addInitScript(() => {
      const w = window as unknown as { longTasks: { start: number; end: number }[] };
      w.longTasks = [];
      new PerformanceObserver((list) =>
        list.getEntries().forEach((e) => w.longTasks.push({ start: e.startTime, end: e.startTime + e.duration })),
      ).observe({ type: "longtask", buffered: true });
    });
    const page = await context.newPage();
    await page.goto(`${app.url}${path}`, { waitUntil: "commit" });
    const rowsAt = (await (
      await page.waitForFunction(() => document.querySelectorAll("table.jobs-table tbody tr").length >= 50 && performance.now(), null, {
        polling: "raf",
      })
    ).jsonValue()) as number;
    await page.waitForTimeout(300);
    const { longTasks, domReady, query, assets } = await page.evaluate(() => {
      const resources = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
      // urql sends queries as GET requests named by their operation.
      const jobsQuery = resources.find((r) => r.name.includes("/graphql") && r.name.includes("JobsPage"));
      return {
        longTasks: (window as unknown as { longTasks: { start: number; end: number }[] }).longTasks,
        domReady: (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).domContentLoadedEventEnd,
        query: jobsQuery ? jobsQuery.responseEnd - jobsQuery.startTime : 0,
        assets: resources.filter((r) => /\.(js|css)$/.test(r.name)).reduce((sum, r) => sum + r.decodedBodySize, 0),
      };
    });
    await context.close();
    const freeAt = Math.max(rowsAt, ...longTasks.map((t) => t.end));
    return { rowsAt, freeAt, domReady, query, assets };
  }
  await loadTimes("/jobs", true); // warm the server's first queries
  const spa = [];
  const bare = [];
  for (let i = 0; i < PAGE_LOADS; i++) {
    spa.push(await loadTimes("/jobs", true));
    bare.push(await loadTimes("/bench-baseline.html", false));
  }
  const spaRows = median(spa.map((s) => s.rowsAt));
  const spaFree = median(spa.map((s) => s.freeAt));
  const bareRows = median(bare.map((s) => s.rowsAt));
  rows.push({
    measure: `jobs page (${JOBS} jobs): nav → rows, p50`,
    value: `${fmt(spaRows)} ms`,
    baseline: `${fmt(bareRows)} ms (static HTML)`,
    ratio: `${fmt(spaRows / bareRows, 1)}×`,
  });
  rows.push({
    measure: "jobs page: nav → interactive (rows, no long task after), p50",
    value: `${fmt(spaFree)} ms`,
    baseline: `${fmt(bareRows)} ms (static HTML)`,
    ratio: `${fmt(spaFree / bareRows, 1)}×`,
  });
  rows.push({
    measure: "jobs page: nav → interactive, worst of runs",
    value: `${fmt(Math.max(...spa.map((s) => s.freeAt)))} ms`,
    baseline: "target < 1,000 ms",
    ratio: "",
  });
  rows.push({
    measure: "  of which: nav → DOMContentLoaded, p50",
    value: `${fmt(median(spa.map((s) => s.domReady)))} ms`,
    baseline: `${fmt(median(bare.map((s) => s.domReady)))} ms (static HTML)`,
    ratio: "",
  });
  rows.push({
    measure: "  of which: the jobs query's round trip, p50",
    value: `${fmt(median(spa.map((s) => s.query)))} ms`,
    baseline: "",
    ratio: "",
  });
  rows.push({
    measure: "jobs page: JS+CSS loaded",
    value: kb(spa[0].assets),
    baseline: `${kb(spaSize.raw)} (whole build)`,
    ratio: `${fmt(spa[0].assets / spaSize.raw, 2)}×`,
  });

  // ── 3. Report → screen ──────────────────────────────────────────────────
  const run = await TrainerRun.start(api, engineer, { name: "Bench live job" });
  await run.beginTraining(1000);
  await run.metrics(lossPoints(1, 10));
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  await context.addInitScript((token) => window.localStorage.setItem("tuneloop.token", token), engineer);
  const page = await context.newPage();
  await page.goto(`${app.url}/jobs/${run.jobId}`);
  await page.getByTestId("current-step").filter({ hasText: "10 of 1,000" }).waitFor();
  await page.evaluate(() => {
    const w = window as unknown as { shown: Record<string, number> };
    w.shown = {};
    const target = document.querySelector('[data-testid="current-step"]')!;
    new MutationObserver(() => (w.shown[target.textContent ?? ""] = Date.now())).observe(target, {
      subtree: true,
      characterData: true,
      childList: true,
    });
  });
  const received: Record<number, number> = {};
  const ws = createClient({
    url: `${app.url.replace("http", "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${engineer}` },
  });
  const stop = ws.subscribe(
    { query: `subscription($id: ID!) { trainingJobUpdated(id: $id) { currentStep } }`, variables: { id: run.jobId } },
    {
      next: (result) =>
        (received[(result.data as { trainingJobUpdated: { currentStep: number } }).trainingJobUpdated.currentStep] ??= Date.now()),
      error: () => {},
      complete: () => {},
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  const screenMs: number[] = [];
  const bareMs: number[] = [];
  for (let step = 11; step < 11 + REPORTS; step++) {
    const sent = Date.now();
    await run.metrics(lossPoints(step, step));
    const label = `${step} of 1,000`;
    const shownAt = (await (
      await page.waitForFunction((l) => (window as unknown as { shown: Record<string, number> }).shown[l], label)
    ).jsonValue()) as number;
    while (!received[step]) await new Promise((resolve) => setTimeout(resolve, 5));
    screenMs.push(shownAt - sent);
    bareMs.push(received[step] - sent);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stop();
  await ws.dispose();
  await context.close();
  rows.push({
    measure: "report → job page shows it, p50",
    value: `${fmt(median(screenMs))} ms`,
    baseline: `${fmt(median(bareMs))} ms (bare graphql-ws client)`,
    ratio: `${fmt(median(screenMs) / Math.max(1, median(bareMs)), 1)}×`,
  });
  rows.push({
    measure: "report → job page shows it, p95",
    value: `${fmt(quantile(screenMs, 0.95))} ms`,
    baseline: `${fmt(quantile(bareMs, 0.95))} ms (bare graphql-ws client)`,
    ratio: "target < 1,000 ms",
  });
} finally {
  await browser.close();
  await app.stop();
  rmSync(join(WEB, "dist", "bench-baseline.html"), { force: true });
}

console.table(rows);
