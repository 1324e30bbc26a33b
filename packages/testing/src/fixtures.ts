import type { TestApp } from "./app.js";
import { hashPassword } from "../../../server/src/auth/tokens.js";
import type { Db } from "../../../server/src/db/client.js";

/** The viewer of a user's session in the first organization they joined, for calling services directly. */
export async function viewerOf(db: Pick<Db, "membership">, email: string) {
  const m = await db.membership.findFirstOrThrow({ where: { user: { email } }, orderBy: { createdAt: "asc" } });
  return { kind: "user" as const, userId: m.userId, orgId: m.orgId, role: m.role, scopes: null, credentialId: "test" };
}

/** A second organization with its own engineer, to prove isolation. Returns that engineer's session token. */
export async function createOtherOrganization(app: TestApp): Promise<string> {
  await app.services.db.organization.create({
    data: {
      name: "Rival Corp",
      slug: `rival-${Math.random().toString(36).slice(2, 8)}`,
      memberships: {
        create: {
          role: "ENGINEER",
          user: {
            create: {
              email: `eng-${Math.random().toString(36).slice(2, 8)}@rival.test`,
              name: "Rival Engineer",
              passwordHash: await hashPassword("rival-pass", app.services.config.passwordHashCost),
            },
          },
        },
      },
    },
  });
  const user = await app.services.db.user.findFirstOrThrow({ where: { name: "Rival Engineer" }, orderBy: { createdAt: "desc" } });
  const result = await app.gql(`mutation($e:String!){ login(email:$e,password:"rival-pass"){ token } }`, { e: user.email });
  return result.data.login.token;
}

/** Uploads a file through the GraphQL multipart request spec, as a browser would. */
export async function uploadDataset(app: TestApp, token: string, name: string, content: string | Uint8Array, fileName = "data.jsonl") {
  const form = new FormData();
  form.append(
    "operations",
    JSON.stringify({
      query: `mutation($name:String!,$file:Upload!){ uploadDataset(name:$name,file:$file){ __typename ... on UploadDatasetSuccess { data { id name status conversationCount pairCount tokenCount validationReport { valid errors { line field message } truncatedErrors } } } ... on AppError { code message field } } }`,
      variables: { name, file: null },
    }),
  );
  form.append("map", JSON.stringify({ "0": ["variables.file"] }));
  form.append("0", new Blob([Buffer.from(content)]), fileName);
  const response = await fetch(`${app.url}/graphql`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "graphql-require-preflight": "1" },
    body: form,
  });
  return (await response.json()) as any;
}

export async function demoDatasetId(app: TestApp, token: string): Promise<string> {
  const result = await app.gql(`{ datasets { edges { node { id name } } } }`, {}, token);
  return result.data.datasets.edges.find((e: any) => e.node.name.includes("demo")).node.id;
}

export const JOB_FIELDS = `id name status stage preset tags estimatedCostUsd estimatedCostLowUsd estimatedCostHighUsd estimatedDurationSec config retryCount`;

export async function createJob(app: TestApp, token: string, input: Record<string, unknown>) {
  return app.gql(
    `mutation($input: CreateTrainingJobInput!){ createTrainingJob(input:$input){ __typename ... on CreateTrainingJobSuccess { data { ${JOB_FIELDS} } } ... on AppError { code message field } } }`,
    { input },
    token,
  );
}
