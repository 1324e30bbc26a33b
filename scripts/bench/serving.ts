// Serving through an inference backend (the engine's serving process, tiny
// built-in model, a trained adapter):
// 1. Endpoint overhead: the deployed endpoint (API key, rate limit, lookup,
//    fair queue, proxy) beside its baseline in the same run, the same request
//    sent to the backend directly. Requests alternate, one at a time (latency,
//    not queueing); p50/p95. The key and the path are resolved from the
//    database once per cache lifetime (10 s), as in production, and the request
//    counts are written in batches, off the request path.
//    A third path is the floor any proxy pays on this machine: a bare
//    pass-through (node:http server, fetch to the backend, in the same process
//    as the API server) with no auth, lookup, queue or checks.
// 2. Throughput of the backend with several adapters on one base model beside
//    one adapter: the same concurrent load, spread over 4 adapters or all on one.
// Usage: npx tsx scripts/bench/serving.ts
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { startTestApp } from "@tuneloop/testing/app";
import { trainTinyJob } from "@tuneloop/testing/validation";

// Enough requests that p95 is not set by two or three of them.
const ROUNDS = 200;
const ADAPTERS = 4;
const CLIENTS = 8;
const LOAD_REQUESTS = 48;

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

// The serving process, started the way `pnpm start` does.
const serving = spawn("node_modules/.bin/tsx", ["packages/serving/src/main.ts", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
const servingUrl = await new Promise<string>((resolve) =>
  createInterface({ input: serving.stdout! }).on("line", (line) => {
    const match = line.match(/^listening on (http:\S+)/);
    if (match) resolve(`${match[1]}/v1`);
  }),
);

const app = await startTestApp({ modelRateLimitPerMinute: 100_000 });
app.services.config.inference.engineUrl = servingUrl;
try {
  const { jobId, session: engineer } = await trainTinyJob(app, { validationFollows: false, name: "bench advisor" });
  const [qa, owner] = await Promise.all([app.login("qa"), app.login("owner")]);
  const db = app.services.db;
  const gql = async (query: string, variables: Record<string, unknown>, token: string) =>
    Object.values((await app.gql(query, variables, token)).data!)[0] as any;

  // ADAPTERS versions, each its own copy of the adapter files (its own name on the backend).
  const names: string[] = [];
  for (let i = 0; i < ADAPTERS; i++) {
    let job = jobId;
    if (i > 0) {
      const { id: _id, createdAt: _c, updatedAt: _u, config, ...fields } = await db.trainingJob.findUniqueOrThrow({ where: { id: jobId } });
      job = (await db.trainingJob.create({ data: { ...fields, config: config as object } })).id;
      for (const { id: _a, jobId: _j, createdAt: _t, ...artifact } of await db.artifact.findMany({
        where: { jobId, kind: { in: ["adapter_model", "adapter_config"] } },
      })) {
        await db.artifact.create({ data: { ...artifact, jobId: job } });
      }
    }
    const version = (
      await gql(
        `mutation($j:ID!,$n:String!){ registerModelVersion(input:{jobId:$j, name:$n}){ ... on RegisterModelVersionSuccess { data { id } } } }`,
        { j: job, n: `bench-${i}` },
        engineer,
      )
    ).data;
    await gql(`mutation($id:ID!){ approveModelVersion(id:$id){ __typename } }`, { id: version.id }, qa);
    const deployed = await gql(
      `mutation($id:ID!){ deployModelVersion(id:$id, overrideReason:"bench"){ __typename ... on AppError { message } } }`,
      { id: version.id },
      owner,
    );
    if (deployed.__typename !== "DeployModelVersionSuccess") throw new Error(`deploy failed: ${deployed.message}`);
    names.push(`tuneloop-${(await db.artifact.findFirstOrThrow({ where: { jobId: job, kind: "adapter_model" } })).id}`);
  }
  const key = (await gql(`mutation{ createApiKey(name:"bench", scopes:[READ]){ key } }`, {}, engineer)).key;

  const messages = [{ role: "user", content: "How big should my emergency fund be?" }];
  const viaEndpoint = async (i = 0) => {
    const response = await fetch(`${app.url}/api/v1/models/demo/bench-${i}/latest`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ messages, max_tokens: 8 }),
    });
    if (response.status !== 200) throw new Error(`endpoint answered ${response.status}: ${await response.text()}`);
    return (await response.json()).choices[0].message.content as string;
  };
  const direct = async (name: string, maxTokens = 8) => {
    const response = await fetch(`${servingUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: name, messages, max_tokens: maxTokens }),
    });
    if (response.status !== 200) throw new Error(`backend answered ${response.status}: ${await response.text()}`);
    return (await response.json()).choices[0].message.content as string;
  };
  if ((await viaEndpoint()) !== (await direct(names[0]))) throw new Error("the endpoint and the backend answered differently");

  const bareProxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk);
    const answer = await fetch(`${servingUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: Buffer.concat(chunks),
    });
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => bareProxy.listen(0, "127.0.0.1", resolve));
  const bareProxyUrl = `http://127.0.0.1:${(bareProxy.address() as { port: number }).port}`;
  const viaBareProxy = async () => {
    const response = await fetch(bareProxyUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: names[0], messages, max_tokens: 8 }),
    });
    return (await response.json()).choices[0].message.content as string;
  };

  // 1. Endpoint overhead, alternating so that both see the same machine load.
  const endpointMs: number[] = [];
  const directMs: number[] = [];
  const bareProxyMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [run, into] of [
      [() => viaEndpoint(), endpointMs],
      [() => direct(names[0]), directMs],
      [viaBareProxy, bareProxyMs],
    ] as const) {
      const start = performance.now();
      await run();
      into.push(performance.now() - start);
    }
  }
  for (const [label, q] of [
    ["p50", 0.5],
    ["p95", 0.95],
  ] as const) {
    const [e, d, b] = [quantile(endpointMs, q), quantile(directMs, q), quantile(bareProxyMs, q)];
    console.log(
      `endpoint ${label} ${e.toFixed(1)} ms, backend directly ${d.toFixed(1)} ms: overhead ${(e - d).toFixed(1)} ms (${(((e - d) / d) * 100).toFixed(0)}%); a bare pass-through proxy ${b.toFixed(1)} ms: overhead ${(b - d).toFixed(1)} ms  [${ROUNDS} requests each, 8 tokens]`,
    );
  }

  bareProxy.close();

  // 2. Several adapters on one base model vs one adapter: the same load, CLIENTS at a time.
  const load = async (pick: (i: number) => string) => {
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < LOAD_REQUESTS) await direct(pick(next++), 16);
      }),
    );
    return LOAD_REQUESTS / ((performance.now() - start) / 1000);
  };
  const one = await load(() => names[0]);
  const several = await load((i) => names[i % ADAPTERS]);
  console.log(
    `backend throughput, ${CLIENTS} concurrent clients, ${LOAD_REQUESTS} requests of 16 tokens: one adapter ${one.toFixed(1)} req/s, ${ADAPTERS} adapters on one base model ${several.toFixed(1)} req/s (${((several / one) * 100).toFixed(0)}% of one)`,
  );
} finally {
  await app.stop();
  serving.kill("SIGTERM");
}
