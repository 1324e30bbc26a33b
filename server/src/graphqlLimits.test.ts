import { request as httpRequest } from "node:http";
import { print, type DocumentNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { subscribeWs, wsClient } from "@tuneloop/testing/subscribers";
import { GRAPHQL_LIMITS, MAX_JSON_BODY_BYTES } from "./graphqlLimits.js";
import * as webOperations from "../../web/src/graphql/graphql.js";
import * as trainerOperations from "../../trainer/src/worker/graphql/graphql.js";

const LIMIT_CODES = [
  "QUERY_TOO_DEEP",
  "TOO_MANY_ALIASES",
  "TOO_MANY_TOKENS",
  "TOO_MANY_DIRECTIVES",
  "QUERY_TOO_COSTLY",
  "REQUEST_TOO_LARGE",
];

/** 50 levels through the schema cycle TrainingJob.retryOf. */
const deepQuery = `query { job(id: "x") { ${"retryOf { ".repeat(50)}id${" }".repeat(50)} } }`;
const manyAliases = `query { ${Array.from({ length: 500 }, (_, i) => `a${i}: setupRequired`).join(" ")} }`;

describe("GraphQL limits", () => {
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    app = await startTestApp();
    token = await app.login("engineer");
  });
  afterAll(() => app?.stop());

  async function post(body: string) {
    const response = await fetch(`${app.url}/graphql`, {
      method: "POST",
      // JSON only: a subscription is then validated (limits included) and refused as not streamable (406,
      // no body) instead of left open.
      headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${token}` },
      body,
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : {}) as { data?: any; errors?: { message: string; extensions?: any }[] },
    };
  }
  const refusal = async (query: string, variables?: Record<string, unknown>) => post(JSON.stringify({ query, variables }));

  async function expectServerStillAnswers() {
    const { status, body } = await refusal("{ me { email } }");
    expect(status).toBe(200);
    expect(body.data.me.email).toBe("engineer@demo.tuneloop.dev");
  }

  it.each([
    ["a query 50 levels deep", deepQuery, "QUERY_TOO_DEEP", `Query depth limit of ${GRAPHQL_LIMITS.depth} exceeded`],
    [
      "a subscription with too many aliases",
      `subscription { jobListChanged { ${Array.from({ length: GRAPHQL_LIMITS.aliases + 1 }, (_, i) => `a${i}: change`).join(" ")} } }`,
      "TOO_MANY_ALIASES",
      `Aliases limit of ${GRAPHQL_LIMITS.aliases} exceeded`,
    ],
    ["500 aliases", manyAliases, "TOO_MANY_ALIASES", `Aliases limit of ${GRAPHQL_LIMITS.aliases} exceeded`],
    [
      "too many tokens",
      `query { me { ${"id ".repeat(GRAPHQL_LIMITS.tokens)} } }`,
      "TOO_MANY_TOKENS",
      `Token limit of ${GRAPHQL_LIMITS.tokens} exceeded`,
    ],
    [
      "too many directives",
      `query { me { ${"id @include(if: true) ".repeat(GRAPHQL_LIMITS.directives + 1)} } }`,
      "TOO_MANY_DIRECTIVES",
      `Directives limit of ${GRAPHQL_LIMITS.directives} exceeded`,
    ],
  ])("refuses %s with a typed error and HTTP 400, then answers normally", async (_what, query, code, message) => {
    const { status, body } = await refusal(query);
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0].extensions?.code).toBe(code);
    expect(body.errors![0].message).toContain(message);
    await expectServerStillAnswers();
  });

  it("prices metric series, playground and pages by the work they ask for", async () => {
    const series = `query($n: Int) { jobs(first: 100) { edges { node { metricSeries(names: ["train_loss", "val_loss"], maxPoints: $n) { points { step value } } } } } }`;
    const costly = await refusal(series, { n: 10_000 });
    expect(costly.status).toBe(400);
    expect(costly.body.errors![0].extensions?.code).toBe("QUERY_TOO_COSTLY");
    expect(costly.body.errors![0].message).toMatch(/Query cost limit of 20000 exceeded, found \d+/);
    // The same document with a small page and few points runs: the cost follows the variables.
    const cheap = await refusal(series.replace("first: 100", "first: 2"), { n: 100 });
    expect(cheap.status).toBe(200);
    expect(cheap.body.errors).toBeUndefined();

    const playgrounds = `query { ${Array.from({ length: 5 }, (_, i) => `p${i}: playground(prompt: "hi") { prompt }`).join(" ")} }`;
    const refused = await refusal(playgrounds);
    expect(refused.status).toBe(400);
    expect(refused.body.errors![0].extensions?.code).toBe("QUERY_TOO_COSTLY");

    const previews = `query { datasets(first: 100) { edges { node { preview(first: 20) { messages { content } } } } } }`;
    expect((await refusal(previews)).body.errors![0].extensions?.code).toBe("QUERY_TOO_COSTLY");
    await expectServerStillAnswers();
  });

  it(`refuses a JSON body over ${MAX_JSON_BODY_BYTES} bytes with 413, then answers normally`, async () => {
    const { status, body } = await post(JSON.stringify({ query: "{ me { id } }", variables: { padding: "x".repeat(2 * 1024 * 1024) } }));
    expect(status).toBe(413);
    expect(body.errors![0].extensions?.code).toBe("REQUEST_TOO_LARGE");
    await expectServerStillAnswers();
  });

  it("applies the same limits over graphql-ws, and the socket stays usable", async () => {
    const client = wsClient(app.url, token);
    try {
      for (const [query, code] of [
        [deepQuery, "QUERY_TOO_DEEP"],
        [manyAliases, "TOO_MANY_ALIASES"],
        [`query { me { ${"id ".repeat(GRAPHQL_LIMITS.tokens)} } }`, "TOO_MANY_TOKENS"],
        [`query { ${Array.from({ length: 5 }, (_, i) => `p${i}: playground(prompt: "hi") { prompt }`).join(" ")} }`, "QUERY_TOO_COSTLY"],
      ]) {
        const results = await subscribeWs(client, query, {}).until((r) => r.length > 0);
        expect(results[0].errors?.[0].extensions?.code).toBe(code);
      }
      const ok = await subscribeWs(client, "{ me { email } }", {}).until((r) => r.length > 0);
      expect(ok[0].data.me.email).toBe("engineer@demo.tuneloop.dev");
    } finally {
      await client.dispose();
    }
  });

  it("lets every operation the SPA and the trainer send through", async () => {
    const documents = [...Object.entries(webOperations), ...Object.entries(trainerOperations)].filter(([name]) =>
      name.endsWith("Document"),
    );
    expect(documents.length).toBeGreaterThan(20);
    for (const [name, document] of documents) {
      const { body } = await refusal(print(document as DocumentNode));
      const limited = body.errors?.filter((e) => LIMIT_CODES.includes(e.extensions?.code)) ?? [];
      expect(limited, name).toEqual([]);
    }
  });
});

describe("upload cap", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ uploadMaxBytes: 1024 * 1024 });
  });
  afterAll(() => app?.stop());

  it("refuses a multipart upload while it is still being sent", async () => {
    const boundary = "tuneloopboundary";
    const head = [
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n`,
      JSON.stringify({ query: 'mutation($f: Upload!) { uploadDataset(name: "big", file: $f) { __typename } }', variables: { f: null } }),
      `\r\n--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.f"]}`,
      `\r\n--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="big.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n`,
    ].join("");
    // A chunked body that never ends: only a cap enforced while reading can answer.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${app.url}/graphql`, {
        method: "POST",
        headers: {
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "graphql-require-preflight": "1",
          "transfer-encoding": "chunked",
        },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => {
          req.destroy();
          resolve({ status: res.statusCode!, body });
        });
      });
      req.on("error", reject);
      req.write(head);
      const line = Buffer.from(`${"x".repeat(1023)}\n`);
      for (let i = 0; i < 3 * 1024; i++) req.write(line);
    });
    // Yoga's multipart parser reports the cap as a bad multipart body.
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).errors[0]).toMatchObject({
      message: expect.stringContaining("Request body too large"),
      extensions: { code: "BAD_REQUEST" },
    });
  });
});
