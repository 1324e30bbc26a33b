import { parse, validate } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GRAPHIQL_DEFAULT_HEADERS, GRAPHIQL_DEFAULT_QUERY } from "./graphiql.js";
import { schema } from "./schema.js";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

const run = async (operationName: string, token?: string, variables?: Record<string, unknown>) => {
  const response = await fetch(`${app.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query: GRAPHIQL_DEFAULT_QUERY, operationName, variables }),
  });
  return response.json();
};

describe("GraphiQL", () => {
  it("opens on this API's example and says where the token goes", async () => {
    const response = await fetch(`${app.url}/graphql`, { headers: { accept: "text/html" } });
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    const html = await response.text();
    // The options the page hands GraphiQL (the bundle itself holds the stock welcome text, unused).
    const options = JSON.parse(html.match(/renderYogaGraphiQL\(\s*window\.document\.querySelector\('#root'\),\s*(\{.*\}),\s*\)/s)![1]);
    expect(options.defaultQuery).toBe(GRAPHIQL_DEFAULT_QUERY);
    expect(options.defaultQuery).toMatch(/query RecentJobs[\s\S]*fragment JobSummary on TrainingJob[\s\S]*subscription JobMetrics/);
    expect(options.defaultQuery).toContain(`"Authorization": "Bearer`);
    expect(JSON.parse(options.headers)).toEqual({ Authorization: "Bearer paste-your-token-here" });
  });

  it("the example is valid against the schema, and runs", async () => {
    expect(validate(schema, parse(GRAPHIQL_DEFAULT_QUERY))).toEqual([]);
    // The placeholder header counts as no token: the schema still loads, and signing in works.
    const anonymous = await fetch(`${app.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...JSON.parse(GRAPHIQL_DEFAULT_HEADERS) },
      body: JSON.stringify({ query: "{ __schema { queryType { name } } }" }),
    }).then((r) => r.json());
    expect(anonymous.data.__schema.queryType.name).toBe("Query");
    const token = (await run("Login")).data.login.token;
    const jobs = await run("RecentJobs", token);
    expect(jobs.errors).toBeUndefined();
    expect(jobs.data.jobs.totalCount).toBeGreaterThanOrEqual(0);
  });
});
