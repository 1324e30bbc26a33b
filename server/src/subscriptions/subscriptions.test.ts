import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { outcome, REPORT, startRunningJob, trainingPoints, type RunningJob } from "@tuneloop/testing/trainerReports";
import { CLOSE_REVOKED, CLOSE_TOO_SLOW, MAX_QUEUED_RESULTS, MAX_SUBSCRIPTIONS_PER_CONNECTION } from "./guard.js";

// Subscriptions against hostile and careless clients, over a real WebSocket
// (graphql-ws, spoken by hand to control reading) and over SSE.

const JOB_LIST = `subscription { jobListChanged { jobId change } }`;
const POINTS = `subscription($j:ID!,$a:Int){ metricPointsAdded(jobId:$j, afterStep:$a){ points { name step } } }`;

type Message = { type: string; id?: string; payload?: any };

/** A graphql-ws connection spoken by hand: what the server sent, how it closed, and the raw socket. */
async function connect(app: TestApp, token: string) {
  const socket = new WebSocket(`${app.url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
  const messages: Message[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  socket.on("message", (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
  await until(() => messages.some((m) => m.type === "connection_ack"));
  let next = 0;
  const subscribe = (query: string, variables: Record<string, unknown> = {}) => {
    const id = String(++next);
    socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
    return id;
  };
  return { socket, messages, closed, subscribe };
}

async function until(test: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An SSE subscription read to its end; resolves with how many events arrived once the server ends the stream. */
async function sseStream(app: TestApp, token: string, query: string) {
  const response = await fetch(`${app.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  expect(response.status).toBe(200);
  let text = "";
  const ended = (async () => {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) text += Buffer.from(chunk).toString();
    return text;
  })();
  return { ended, received: () => text };
}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms))]);

let app: TestApp;
let job: RunningJob;
beforeAll(async () => {
  app = await startTestApp();
  job = await startRunningJob(app, "subscription limits");
});
afterAll(() => app.stop());

describe("authorization follows revocation", () => {
  it("ends a session's graphql-ws and SSE subscriptions when it signs out (4403, stream closed)", async () => {
    const session = await app.login("engineer");
    const ws = await connect(app, session);
    ws.subscribe(JOB_LIST);
    const sse = await sseStream(app, session, JOB_LIST);
    // Both are live: a job change reaches them.
    await app.gql(`mutation($id:ID!){ updateTrainingJob(id:$id, notes:"live"){ __typename } }`, { id: job.jobId }, job.session);
    await until(() => ws.messages.some((m) => m.type === "next") && sse.received().includes("jobListChanged"));

    expect((await app.gql(`mutation { logout }`, {}, session)).data).toEqual({ logout: true });
    expect(await withTimeout(ws.closed, 5000, "the WebSocket")).toMatchObject({ code: CLOSE_REVOKED });
    await withTimeout(sse.ended, 5000, "the SSE stream");
    // Signing in again with the ended session is refused.
    expect((await app.gql(`{ me { id } }`, {}, session)).data.me).toBeNull();
  });

  it("ends an API key's subscriptions when the key is revoked", async () => {
    const engineer = await app.login("engineer");
    const created = (await app.gql(`mutation { createApiKey(name:"dashboard", scopes:[READ]) { key apiKey { id } } }`, {}, engineer)).data
      .createApiKey;
    const ws = await connect(app, created.key);
    ws.subscribe(JOB_LIST);
    const sse = await sseStream(app, created.key, JOB_LIST);
    await new Promise((r) => setTimeout(r, 200)); // both subscribed
    const revoked = await app.gql(`mutation($id:ID!){ revokeApiKey(id:$id){ __typename } }`, { id: created.apiKey.id }, engineer);
    expect(revoked.data.revokeApiKey.__typename).toBe("RevokeApiKeySuccess");
    expect(await withTimeout(ws.closed, 5000, "the WebSocket")).toMatchObject({ code: CLOSE_REVOKED });
    await withTimeout(sse.ended, 5000, "the SSE stream");
  });
});

describe("limits of one connection", () => {
  it(`refuses a subscription beyond ${MAX_SUBSCRIPTIONS_PER_CONNECTION} on one connection with RATE_LIMITED, and keeps the others`, async () => {
    const ws = await connect(app, job.session);
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_CONNECTION; i++) ws.subscribe(JOB_LIST);
    const extra = ws.subscribe(JOB_LIST);
    await until(() => ws.messages.some((m) => m.id === extra));
    const refusal = ws.messages.find((m) => m.id === extra)!;
    expect(refusal).toMatchObject({ type: "error", payload: [{ extensions: { code: "RATE_LIMITED" } }] });
    expect(ws.messages.filter((m) => m.type === "error")).toHaveLength(1);
    ws.socket.close();
  });

  it("closes a connection that sends a message larger than a request body may be (1009)", async () => {
    const ws = await connect(app, job.session);
    ws.socket.send(
      JSON.stringify({ id: "big", type: "subscribe", payload: { query: JOB_LIST, variables: { pad: "x".repeat(2 * 1024 * 1024) } } }),
    );
    expect((await withTimeout(ws.closed, 5000, "the WebSocket")).code).toBe(1009);
  });

  it("disconnects a subscriber that never reads (1013); it resumes with afterStep and misses nothing", async () => {
    await app.gql(REPORT.metrics, { j: job.jobId, p: trainingPoints(1, 5) }, job.trainerToken).then(outcome);
    const ws = await connect(app, job.session);
    ws.subscribe(POINTS, { j: job.jobId });
    await new Promise((r) => setTimeout(r, 300)); // subscribed
    // The client stops reading: the kernel's buffers fill, then the server's queue for it.
    (ws.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const batch = Array.from({ length: 500 }, (_, i) => ({ name: `series_${i}`, step: 6, value: i, epoch: null, wallTime: 1_700_000_000 }));
    for (let i = 0; i < MAX_QUEUED_RESULTS * 20 && ws.socket.readyState === WebSocket.OPEN; i++) {
      app.services.pubsub.publish("job:metrics", job.jobId, { jobId: job.jobId, points: batch });
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    (ws.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await withTimeout(ws.closed, 20_000, "the WebSocket")).code).toBe(CLOSE_TOO_SLOW);
    // The server is fine, and a new subscription picks up from the last step the client had.
    const again = await connect(app, job.session);
    again.subscribe(POINTS, { j: job.jobId, a: 3 });
    await until(() => again.messages.some((m) => m.type === "next"));
    expect(
      again.messages.find((m) => m.type === "next")!.payload.data.metricPointsAdded.points.map((p: { step: number }) => p.step),
    ).toContain(4);
    again.socket.close();
  });
});
