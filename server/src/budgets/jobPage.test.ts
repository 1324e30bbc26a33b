import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { createJob, demoDatasetId } from "@tuneloop/testing/fixtures";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

const PAGE = `query($first: Int!, $after: String) {
  budget { jobPage(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { jobId costUsd } } } }
}`;

describe("the month's jobs on the budget page", () => {
  it("come costliest first, a page at a time, with the month's count", async () => {
    const owner = await app.login("owner");
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const created = await createJob(app, owner, {
        name: `paged ${i}`,
        start: true,
        settings: { datasetId: await demoDatasetId(app, owner) },
      });
      ids.push(created.data.createTrainingJob.data.id);
    }
    // Ended jobs with distinct costs (what reports would have billed).
    await Promise.all(
      ids.map((id, i) =>
        app.services.db.trainingJob.update({ where: { id }, data: { status: "COMPLETED", actualCostUsd: 1 + i, finishedAt: new Date() } }),
      ),
    );

    const first = (await app.gql(PAGE, { first: 3 }, owner)).data.budget.jobPage;
    expect(first.totalCount).toBe(7);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await app.gql(PAGE, { first: 10, after: first.pageInfo.endCursor }, owner)).data.budget.jobPage;
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const costs = [...first.edges, ...rest.edges].map((e: { node: { costUsd: number } }) => e.node.costUsd);
    expect(costs).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });
});
