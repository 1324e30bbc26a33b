// Direct calls to a test server, to arrange what a test needs: users signed
// in, jobs created or cancelled by "someone else". Used by the component tests
// (server from globalSetup) and the browser tests (their own server).

export type Role = "engineer" | "owner" | "qa" | "admin";

export function makeApi(url: string) {
  async function gql<T = any>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  }

  /** The success's data of a mutation result union, or an error with the AppError's message. */
  function unwrap<T = any>(result: { __typename: string; data?: T; message?: string }): T {
    if (result.__typename === "AppError") throw new Error(`AppError: ${result.message}`);
    return result.data as T;
  }

  async function login(role: Role = "engineer"): Promise<string> {
    const data = await gql<{ login: { token: string } }>(`mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`, {
      e: `${role}@demo.tuneloop.dev`,
      p: "demo",
    });
    return data.login.token;
  }

  async function demoDatasetId(token: string): Promise<string> {
    const data = await gql<{ datasets: { edges: { node: { id: string; name: string; status: string } }[] } }>(
      `{ datasets(first: 100) { edges { node { id name status } } } }`,
      {},
      token,
    );
    const demo =
      data.datasets.edges.find((e) => e.node.name.includes("demo")) ?? data.datasets.edges.find((e) => e.node.status === "VALID")!;
    return demo.node.id;
  }

  type NewJob = {
    name: string;
    notes?: string;
    tags?: string[];
    start?: boolean;
    preset?: string;
    overrides?: Record<string, unknown>;
    gpuType?: string;
  };
  async function createJob(token: string, input: NewJob): Promise<string> {
    const datasetId = await demoDatasetId(token);
    const data = await gql(
      `mutation($input: CreateTrainingJobInput!) { createTrainingJob(input: $input) { __typename ... on AppError { message } ... on CreateTrainingJobSuccess { data { id } } } }`,
      {
        input: {
          name: input.name,
          notes: input.notes,
          tags: input.tags,
          start: input.start ?? false,
          settings: { datasetId, preset: input.preset ?? "BALANCED", overrides: input.overrides, gpuType: input.gpuType },
        },
      },
      token,
    );
    return unwrap<{ id: string }>(data.createTrainingJob).id;
  }

  async function cancelJob(token: string, id: string) {
    const data = await gql(
      `mutation($id: ID!) { cancelTrainingJob(id: $id) { __typename ... on AppError { message } ... on CancelTrainingJobSuccess { data { id status } } } }`,
      { id },
      token,
    );
    unwrap(data.cancelTrainingJob);
  }

  return { url, gql, unwrap, login, demoDatasetId, createJob, cancelJob };
}

export type Api = ReturnType<typeof makeApi>;
