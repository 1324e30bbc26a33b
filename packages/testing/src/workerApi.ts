// Helpers for tests that play a worker against a real test server (server and trainer suites).
import type { TestApp } from "./app.js";
import { createJob, demoDatasetId } from "./fixtures.js";

/** An API key with the WORKER scope, made by the demo owner (WORKER keys are for owners and admins). */
export async function createWorkerKey(app: TestApp, scopes: string[] = ["WORKER"]): Promise<string> {
  const session = await app.session("owner");
  const result = await app.gql(`mutation($s:[ApiKeyScope!]!){ createApiKey(name:"worker", scopes:$s){ key } }`, { s: scopes }, session);
  if (!result.data) throw new Error(`createApiKey failed: ${JSON.stringify(result.errors)}`);
  return result.data.createApiKey.key;
}

/** Creates and queues a job on the demo dataset (or `datasetId`); returns its id. */
export async function queueJob(
  app: TestApp,
  name: string,
  overrides: Record<string, unknown> = {},
  settings: Record<string, unknown> = {},
): Promise<string> {
  const session = await app.session("engineer");
  const datasetId = (settings.datasetId as string | undefined) ?? (await demoDatasetId(app, session));
  const result = await createJob(app, session, { name, start: true, settings: { datasetId, overrides, ...settings } });
  const job = result.data?.createTrainingJob?.data;
  if (!job) throw new Error(`createTrainingJob failed: ${JSON.stringify(result)}`);
  return job.id;
}

export const CLAIM = `mutation($w:String!,$g:[String!],$b:[String!],$j:ID){ claimTrainingJob(workerId:$w, gpuTypes:$g, backends:$b, jobId:$j){
  __typename
  ... on AppError { code message field }
  ... on ClaimTrainingJobSuccess { data { pollAfterSeconds claim { trainerToken leaseExpiresAt lastSequence datasetContent
    job { id status workerId config }
    resumeFrom { step epoch artifactId sha256 sizeBytes downloadUrl } } } }
} }`;

export const HEARTBEAT = `mutation($id:ID!){ heartbeatTrainingJob(jobId:$id){
  __typename ... on AppError { code message field } ... on HeartbeatTrainingJobSuccess { data { leaseExpiresAt status cancelRequested } } } }`;

/** Uploads a file as a trainer (GraphQL multipart request). */
export async function uploadArtifact(
  app: TestApp,
  token: string,
  jobId: string,
  kind: string,
  fileName: string,
  content: Uint8Array | string,
) {
  const form = new FormData();
  form.append(
    "operations",
    JSON.stringify({
      query: `mutation($j:ID!,$k:String!,$f:Upload!){ uploadArtifact(jobId:$j, kind:$k, file:$f){ __typename
        ... on AppError { code message field }
        ... on UploadArtifactSuccess { data { id kind name sizeBytes sha256 contentType createdAt downloadUrl } } } }`,
      variables: { j: jobId, k: kind, f: null },
    }),
  );
  form.append("map", JSON.stringify({ "0": ["variables.f"] }));
  form.append("0", new Blob([typeof content === "string" ? content : new Uint8Array(content)]), fileName);
  const response = await fetch(`${app.url}/graphql`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "graphql-require-preflight": "1" },
    body: form,
  });
  return (await response.json()) as any;
}
