import { createServer, type IncomingMessage, type Server } from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { V1Job, V1Pod, V1Secret } from "@kubernetes/client-node";

// A loopback stand-in for the part of the Kubernetes API the provider uses,
// with the request and response shapes of the API reference
// (kubernetes.io/docs/reference/kubernetes-api/): workload-resources/job-v1
// (create: POST …/jobs → 201 Job; read: GET …/jobs/{name}; list: GET …/jobs?labelSelector=
// → JobList; delete: DELETE …/jobs/{name}?propagationPolicy= → Status), config-and-storage-resources/secret-v1
// (create), workload-resources/pod-v1 (list by labelSelector → PodList), and
// common-definitions/status (the body of every error: 404 NotFound, 409 AlreadyExists, 429 TooManyRequests).

export type Recorded = { method: string; path: string; query: URLSearchParams; body: unknown };

export type KubernetesStandIn = {
  url: string;
  requests: Recorded[];
  jobs: Map<string, V1Job>;
  secrets: Map<string, V1Secret>;
  pods: V1Pod[];
  /** The next this many requests are throttled (429 with Retry-After). */
  throttle: { count: number; retryAfterSeconds: number };
  close(): Promise<void>;
};

const status = (code: number, reason: string, message: string) => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message,
  reason,
  code,
});

/** `a=b,c=d` equality selectors, the only kind the provider sends. */
function matches(labels: Record<string, string> | undefined, selector: string | null) {
  if (!selector) return true;
  return selector.split(",").every((pair) => {
    const [key, value] = pair.split("=");
    return labels?.[key] === value;
  });
}

async function readBody(request: IncomingMessage) {
  let text = "";
  for await (const chunk of request) text += chunk;
  return text ? JSON.parse(text) : undefined;
}

export async function startKubernetesStandIn(): Promise<KubernetesStandIn> {
  const state = {
    requests: [] as Recorded[],
    jobs: new Map<string, V1Job>(),
    secrets: new Map<string, V1Secret>(),
    pods: [] as V1Pod[],
    throttle: { count: 0, retryAfterSeconds: 7 },
  };
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url!, "http://stand-in");
    const body = await readBody(request);
    state.requests.push({ method: request.method!, path: url.pathname, query: url.searchParams, body });
    const send = (code: number, payload: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(code, { "content-type": "application/json", ...headers });
      response.end(JSON.stringify(payload));
    };
    if (state.throttle.count > 0) {
      state.throttle.count--;
      return send(429, status(429, "TooManyRequests", "Too many requests, please try again later."), {
        "retry-after": String(state.throttle.retryAfterSeconds),
      });
    }
    const route = /^\/(?:apis\/batch\/v1|api\/v1)\/namespaces\/([^/]+)\/(jobs|secrets|pods)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!route) return send(404, status(404, "NotFound", "the server could not find the requested resource"));
    const [, , kind, name] = route;
    const selector = url.searchParams.get("labelSelector");

    if (kind === "pods" && request.method === "GET") {
      return send(200, {
        kind: "PodList",
        apiVersion: "v1",
        metadata: {},
        items: state.pods.filter((p) => matches(p.metadata?.labels, selector)),
      });
    }
    const store = (kind === "jobs" ? state.jobs : state.secrets) as Map<string, V1Job | V1Secret>;
    const group = kind === "jobs" ? "jobs.batch" : "secrets";
    if (request.method === "POST" && !name) {
      const object = body as V1Job;
      const key = object.metadata!.name!;
      if (store.has(key)) return send(409, status(409, "AlreadyExists", `${group} "${key}" already exists`));
      const created = { ...object, metadata: { ...object.metadata, uid: randomUUID() }, ...(kind === "jobs" && { status: {} }) };
      store.set(key, created);
      return send(201, created);
    }
    if (request.method === "GET" && name) {
      const object = store.get(name);
      return object ? send(200, object) : send(404, status(404, "NotFound", `${group} "${name}" not found`));
    }
    if (request.method === "GET") {
      return send(200, {
        kind: "JobList",
        apiVersion: "batch/v1",
        metadata: {},
        items: [...state.jobs.values()].filter((j) => matches(j.metadata?.labels, selector)),
      });
    }
    if (request.method === "DELETE" && name) {
      if (!store.delete(name)) return send(404, status(404, "NotFound", `${group} "${name}" not found`));
      return send(200, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name, group: "batch", kind } });
    }
    send(405, status(405, "MethodNotAllowed", "method not allowed"));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ...state,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
