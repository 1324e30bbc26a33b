// Organizations' own provider credentials (Settings → Compute) and the quote a
// New job page shows: stored encrypted, never returned, used by the reconciler
// in place of the server's (absent here) env settings.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { queueJob } from "@tuneloop/testing/workerApi";
import { reconcile } from "./reconciler.js";
import { LocalProvider } from "./local.js";
import { decryptSecret } from "./secrets.js";
import { startSkyPilotStandIn, type SkyPilotStandIn } from "@tuneloop/testing/standIns/skypilot";

const SET = `mutation($p:ComputeProviderName!,$u:String!,$t:String,$n:String){ setComputeCredential(provider:$p, apiUrl:$u, token:$t, namespace:$n){
  __typename ... on AppError { code field message } ... on SetComputeCredentialSuccess { data { provider apiUrl namespace tokenSet tokenLast4 } } } }`;
const QUOTE = `query($i:JobSettingsInput!){ computeQuote(input:$i){ __typename ... on AppError { code field message }
  ... on ComputeQuoteSuccess { data { provider region instanceType tier pricePerHourUsd simulated fallback { tier pricePerHourUsd when } } } } }`;
const TOKEN = "sky-service-account-token-9f3a";

let app: TestApp;
let sky: SkyPilotStandIn;
beforeAll(async () => {
  [app, sky] = await Promise.all([startTestApp({ seedDemo: true }), startSkyPilotStandIn()]);
});
afterAll(async () => {
  await Promise.all([app?.stop(), sky?.close()]);
});

describe("compute credentials and quotes", () => {
  it("quotes the local provider as simulated, with the fallback, and refuses an unknown GPU before anything runs", async () => {
    const engineer = await app.login("engineer");
    const datasetId = (await app.services.db.dataset.findFirstOrThrow({ where: { status: "VALID" } })).id;
    const local = (
      await app.gql(
        QUOTE,
        { i: { datasetId, gpuType: "H100_PCIE_80GB", pricingTier: "SPOT", onDemandFallback: true, onDemandAfterPreemptions: 3 } },
        engineer,
      )
    ).data.computeQuote;
    expect(local.data).toMatchObject({
      provider: "LOCAL",
      region: "local",
      tier: "SPOT",
      simulated: true,
      fallback: { tier: "ON_DEMAND", when: "after 3 preemptions" },
    });
    expect(local.data.fallback.pricePerHourUsd).toBeGreaterThan(local.data.pricePerHourUsd);
    const unknown = (await app.gql(QUOTE, { i: { datasetId, gpuType: "TPU_V9" } }, engineer)).data.computeQuote;
    expect(unknown).toMatchObject({ __typename: "AppError", code: "VALIDATION", field: "gpuType" });
  });

  it("stores a SkyPilot token encrypted, shows only its last four, and launches with it", async () => {
    const owner = await app.login("owner");
    const engineer = await app.login("engineer");
    const refused = await app.gql(SET, { p: "SKYPILOT", u: sky.url, t: TOKEN }, engineer);
    expect(refused.data?.setComputeCredential?.__typename ?? refused.errors?.[0]?.extensions?.code).not.toBe("SetComputeCredentialSuccess");
    expect((await app.gql(SET, { p: "LOCAL", u: sky.url, t: TOKEN }, owner)).data.setComputeCredential).toMatchObject({
      code: "VALIDATION",
      field: "provider",
    });
    expect((await app.gql(SET, { p: "SKYPILOT", u: "not a url", t: TOKEN }, owner)).data.setComputeCredential).toMatchObject({
      code: "VALIDATION",
      field: "apiUrl",
    });
    expect((await app.gql(SET, { p: "SKYPILOT", u: sky.url }, owner)).data.setComputeCredential).toMatchObject({
      code: "VALIDATION",
      field: "token",
    });

    const set = await app.gql(SET, { p: "SKYPILOT", u: sky.url, t: TOKEN }, owner);
    expect(set.data.setComputeCredential.data).toEqual({
      provider: "SKYPILOT",
      apiUrl: sky.url,
      namespace: "",
      tokenSet: true,
      tokenLast4: "9f3a",
    });
    const stored = await app.services.db.computeCredential.findFirstOrThrow({ where: { provider: "SKYPILOT" } });
    expect(stored.tokenCipher).not.toContain(TOKEN);
    expect(decryptSecret(stored.tokenCipher, app.services.keys.computeSecrets)).toBe(TOKEN);
    // Changing the URL without a token keeps the stored one.
    await app.gql(SET, { p: "SKYPILOT", u: sky.url, t: null }, owner);
    expect((await app.services.db.computeCredential.findFirstOrThrow({ where: { provider: "SKYPILOT" } })).tokenLast4).toBe("9f3a");

    // The server has no SkyPilot settings: the organization's credentials make the provider available.
    const switched = await app.gql(`mutation { setComputeProvider(provider: SKYPILOT) { __typename } }`, {}, owner);
    expect(switched.data.setComputeProvider.__typename).toBe("SetComputeProviderSuccess");
    const listed = await app.gql(
      `{ me { organization { computeProvider computeCredentials { provider apiUrl tokenSet tokenLast4 } } } }`,
      {},
      owner,
    );
    expect(listed.data.me.organization).toEqual({
      computeProvider: "SKYPILOT",
      computeCredentials: [{ provider: "SKYPILOT", apiUrl: sky.url, tokenSet: true, tokenLast4: "9f3a" }],
    });
    expect(JSON.stringify(listed)).not.toContain(TOKEN);

    const datasetId = (await app.services.db.dataset.findFirstOrThrow({ where: { status: "VALID" } })).id;
    const quote = (await app.gql(QUOTE, { i: { datasetId, pricingTier: "SPOT", onDemandFallback: true } }, engineer)).data.computeQuote
      .data;
    expect(quote).toMatchObject({
      provider: "SKYPILOT",
      instanceType: "H100:1",
      simulated: false,
      fallback: { tier: "ON_DEMAND", when: "when no spot capacity is left" },
    });

    const jobId = await queueJob(app, "with the org's skypilot");
    await reconcile(app.services, { LOCAL: new LocalProvider(app.services.config.dataDir, app.services.gpus) });
    expect(await app.services.db.computeLaunch.findMany({ where: { jobId } })).toEqual([
      expect.objectContaining({ provider: "SKYPILOT", state: "RUNNING" }),
    ]);
    const launch = sky.requests.find((r) => r.path === "/jobs/launch")!;
    expect(launch.authorization).toBe(`Bearer ${TOKEN}`);

    await app.gql(`mutation($id:ID!){ cancelTrainingJob(id:$id){ __typename } }`, { id: jobId }, engineer);
    expect(
      (
        await app.gql(
          `mutation { deleteComputeCredential(provider: SKYPILOT) { __typename ... on DeleteComputeCredentialSuccess { data } } }`,
          {},
          owner,
        )
      ).data.deleteComputeCredential.data,
    ).toBe(true);
    await app.services.db.organization.updateMany({ data: { computeProvider: "LOCAL" } });
  });
});
