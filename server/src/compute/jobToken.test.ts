// A machine launched for one job holds that job's token: it can claim that job and no other.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { createTrainerToken } from "../auth/service.js";
import { queueJob } from "@tuneloop/testing/workerApi";

const CLAIM = `mutation($w:String!,$j:ID){ claimTrainingJob(workerId:$w, jobId:$j){
  __typename ... on AppError { code field } ... on ClaimTrainingJobSuccess { data { claim { trainerToken job { id status } } } } } }`;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ seedDemo: true });
});
afterAll(() => app?.stop());

describe("claims with a job token", () => {
  it("claims only the job the token was made for", async () => {
    const [mine, other] = [await queueJob(app, "mine"), await queueJob(app, "other")];
    const org = await app.services.db.organization.findUniqueOrThrow({ where: { slug: "demo" } });
    const token = await createTrainerToken(app.services.db, org.id, mine);

    for (const jobId of [other, null]) {
      const refused = await app.gql(CLAIM, { w: "machine-1", j: jobId }, token);
      expect(refused.data.claimTrainingJob).toMatchObject({ __typename: "AppError", code: "FORBIDDEN", field: "jobId" });
    }
    expect((await app.services.db.trainingJob.findUniqueOrThrow({ where: { id: other } })).status).toBe("QUEUED");

    const claimed = await app.gql(CLAIM, { w: "machine-1", j: mine }, token);
    expect(claimed.data.claimTrainingJob.data.claim.job).toEqual({ id: mine, status: "PROVISIONING" });
    // A job token made outside a launch is spent by the claim (a launch's token lasts until the launch ends: remoteProviders.test.ts).
    const again = await app.gql(CLAIM, { w: "machine-1", j: mine }, token);
    expect(again.errors?.[0]?.extensions?.code ?? again.data?.claimTrainingJob?.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
  });
});
