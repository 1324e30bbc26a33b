import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";

// Who may mint which API keys, for how long, and who may revoke them.

const CREATE = `mutation($n:String!,$s:[ApiKeyScope!]!,$x:DateTime){ createApiKey(name:$n, scopes:$s, expiresAt:$x){ key apiKey { id expiresAt } } }`;
const REVOKE = `mutation($id:ID!){ revokeApiKey(id:$id){ __typename ... on AppError { code } ... on RevokeApiKeySuccess { data { revokedAt } } } }`;
const SET_MAX = `mutation($d:Int){ setApiKeyMaxLifetime(days:$d){ __typename ... on AppError { code field } ... on SetApiKeyMaxLifetimeSuccess { data { apiKeyMaxLifetimeDays } } } }`;

describe("API keys", () => {
  let app: TestApp;
  let tokens: Record<"qa" | "engineer" | "owner" | "admin", string>;
  const create = async (who: string, scopes: string[], expiresAt?: Date) => {
    const result = await app.gql(CREATE, { n: "key", s: scopes, x: expiresAt?.toISOString() }, who);
    return result.data?.createApiKey ?? { error: result.errors![0].extensions };
  };
  beforeAll(async () => {
    app = await startTestApp();
    const [qa, engineer, owner, admin] = await Promise.all((["qa", "engineer", "owner", "admin"] as const).map((r) => app.login(r)));
    tokens = { qa, engineer, owner, admin };
  });
  afterAll(() => app.stop());

  it("grants only the scopes a role allows: QA reads, WORKER keys are for owners and admins", async () => {
    expect(await create(tokens.qa, ["READ", "WRITE"])).toMatchObject({ error: { code: "FORBIDDEN", field: "scopes" } });
    expect(await create(tokens.qa, ["WORKER"])).toMatchObject({ error: { code: "FORBIDDEN", field: "scopes" } });
    expect((await create(tokens.qa, ["READ"])).key).toMatch(/^tlk_/);
    expect(await create(tokens.engineer, ["WORKER"])).toMatchObject({ error: { code: "FORBIDDEN", field: "scopes" } });
    expect((await create(tokens.engineer, ["READ", "WRITE"])).key).toMatch(/^tlk_/);
    expect((await create(tokens.owner, ["WORKER"])).key).toMatch(/^tlk_/);
    expect((await create(tokens.admin, ["WORKER"])).key).toMatch(/^tlk_/);
    // A key cannot mint a key with more than it has itself.
    const writeKey = (await create(tokens.owner, ["READ", "WRITE"])).key;
    expect(await create(writeKey, ["WORKER"])).toMatchObject({ error: { code: "FORBIDDEN", field: "scopes" } });
  });

  it("revokes one's own keys; owners and admins revoke any key of the organization", async () => {
    const qaKey = (await create(tokens.qa, ["READ"])).apiKey.id;
    const engineerKey = (await create(tokens.engineer, ["READ"])).apiKey.id;
    expect((await app.gql(REVOKE, { id: qaKey }, tokens.engineer)).data.revokeApiKey).toEqual({
      __typename: "AppError",
      code: "NOT_FOUND",
    });
    expect((await app.gql(REVOKE, { id: engineerKey }, tokens.engineer)).data.revokeApiKey.__typename).toBe("RevokeApiKeySuccess");
    expect((await app.gql(REVOKE, { id: qaKey }, tokens.owner)).data.revokeApiKey.__typename).toBe("RevokeApiKeySuccess");
  });

  it("bounds every key's lifetime by the organization's maximum, when one is set, old keys included", async () => {
    const before = await create(tokens.engineer, ["READ"]);
    expect(before.apiKey.expiresAt).toBeNull();
    expect((await app.gql(SET_MAX, { d: 30 }, tokens.engineer)).errors![0].extensions.code).toBe("FORBIDDEN");
    expect((await app.gql(SET_MAX, { d: 0 }, tokens.owner)).data.setApiKeyMaxLifetime).toEqual({
      __typename: "AppError",
      code: "VALIDATION",
      field: "days",
    });
    expect((await app.gql(SET_MAX, { d: 30 }, tokens.owner)).data.setApiKeyMaxLifetime.data).toEqual({ apiKeyMaxLifetimeDays: 30 });

    const day = 86400_000;
    const defaulted = await create(tokens.engineer, ["READ"]);
    expect(Math.abs(new Date(defaulted.apiKey.expiresAt).getTime() - (Date.now() + 30 * day))).toBeLessThan(60_000);
    expect(await create(tokens.engineer, ["READ"], new Date(Date.now() + 60 * day))).toMatchObject({
      error: { code: "VALIDATION", field: "expiresAt" },
    });
    expect((await create(tokens.engineer, ["READ"], new Date(Date.now() + 7 * day))).key).toMatch(/^tlk_/);

    // The key made before the limit still works while younger than it, and is refused once older.
    expect((await app.gql(`{ me { email } }`, {}, before.key)).data.me.email).toBe("engineer@demo.tuneloop.dev");
    await app.services.db.apiKey.update({ where: { id: before.apiKey.id }, data: { createdAt: new Date(Date.now() - 31 * day) } });
    expect((await app.gql(`{ me { email } }`, {}, before.key)).data.me).toBeNull();
    await app.gql(SET_MAX, { d: null }, tokens.owner);
    expect((await app.gql(`{ me { email } }`, {}, before.key)).data.me.email).toBe("engineer@demo.tuneloop.dev");
  });
});
