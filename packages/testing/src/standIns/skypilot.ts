import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "yaml";

// A loopback stand-in for a SkyPilot API server's managed-jobs REST API, with
// the shapes of skypilot-org/skypilot: routes in sky/jobs/server/server.py
// (POST /jobs/launch, /jobs/queue/v2, /jobs/cancel, each scheduling a request
// whose id is sent back in the X-Skypilot-Request-ID header), bodies in
// sky/server/requests/payloads.py (JobsLaunchBody {task, name},
// JobsQueueV2Body {job_ids, name_match, skip_finished, …}, JobsCancelBody
// {job_ids}), GET /api/get?request_id= in sky/server/server.py (waits for the
// request, then {request_id, name, status, return_value: "<json>", error: "<json>"}),
// the queue/v2 return value {jobs, total, total_no_filter, status_counts}, and
// FastAPI's {detail} body for HTTP errors.

export type ManagedJobRecord = {
  job_id: number;
  job_name: string;
  status: string;
  region: string | null;
  cloud: string | null;
  recovery_count: number;
  failure_reason: string | null;
};
export type SkyRequest = { method: string; path: string; body: Record<string, unknown> | undefined; authorization: string | undefined };

type Scheduled = {
  name: string;
  status: "PENDING" | "SUCCEEDED" | "FAILED";
  return_value: string | null;
  error: string | null;
  done: Promise<void>;
  finish: () => void;
};

const TERMINAL = new Set([
  "SUCCEEDED",
  "CANCELLED",
  "FAILED",
  "FAILED_SETUP",
  "FAILED_PRECHECKS",
  "FAILED_NO_RESOURCE",
  "FAILED_CONTROLLER",
]);

export type SkyPilotStandIn = Awaited<ReturnType<typeof startSkyPilotStandIn>>;

async function readBody(request: IncomingMessage) {
  let text = "";
  for await (const chunk of request) text += chunk;
  return text ? JSON.parse(text) : undefined;
}

export async function startSkyPilotStandIn() {
  const state = {
    requests: [] as SkyRequest[],
    jobs: [] as ManagedJobRecord[],
    /** Task YAMLs received, parsed. */
    tasks: [] as Record<string, unknown>[],
    /** Launch requests stay PENDING until released (the jobs controller starting). */
    holdLaunches: false,
    /** The next launch request fails with this error (e.g. an invalid task). */
    failNextLaunch: null as { type: string; message: string } | null,
    /** The next queue request fails with this error (the controller unreachable). */
    failNextQueue: null as { type: string; message: string } | null,
    /** The next this many calls answer 503 with Retry-After. */
    busy: { count: 0, retryAfterSeconds: 11 },
  };
  const scheduled = new Map<string, Scheduled>();
  let nextRequest = 0;

  function schedule(name: string, work: () => unknown, hold = false): string {
    const id = `req-${++nextRequest}`;
    let finish = () => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    const entry: Scheduled = { name, status: "PENDING", return_value: null, error: null, done, finish: () => {} };
    entry.finish = () => {
      try {
        entry.return_value = JSON.stringify(work() ?? null);
        entry.status = "SUCCEEDED";
      } catch (error) {
        entry.error = JSON.stringify(error);
        entry.status = "FAILED";
      }
      finish();
    };
    scheduled.set(id, entry);
    if (!hold) entry.finish();
    return id;
  }

  const server = createServer(async (request, response) => {
    const url = new URL(request.url!, "http://stand-in");
    const body = await readBody(request);
    state.requests.push({ method: request.method!, path: url.pathname, body, authorization: request.headers.authorization });
    const send = (code: number, payload: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(code, { "content-type": "application/json", ...headers });
      response.end(JSON.stringify(payload));
    };
    if (state.busy.count > 0) {
      state.busy.count--;
      return send(503, { detail: "Server is busy, please retry later" }, { "retry-after": String(state.busy.retryAfterSeconds) });
    }
    const accepted = (id: string) => send(200, {}, { "X-Skypilot-Request-ID": id });

    if (request.method === "POST" && url.pathname === "/jobs/launch") {
      const { task, name } = body as { task: string; name: string };
      const failure = state.failNextLaunch;
      state.failNextLaunch = null;
      return accepted(
        schedule(
          "jobs.launch",
          () => {
            if (failure) throw failure;
            state.tasks.push(parse(task));
            const job = {
              job_id: state.jobs.length + 1,
              job_name: name,
              status: "PENDING",
              region: null,
              cloud: null,
              recovery_count: 0,
              failure_reason: null,
            };
            state.jobs.push(job);
            return [job.job_id, null];
          },
          state.holdLaunches,
        ),
      );
    }
    if (request.method === "POST" && url.pathname === "/jobs/queue/v2") {
      const filter = body as { job_ids?: number[]; name_match?: string; skip_finished?: boolean };
      const failure = state.failNextQueue;
      state.failNextQueue = null;
      return accepted(
        schedule("jobs.queue_v2", () => {
          if (failure) throw failure;
          const jobs = state.jobs.filter(
            (j) =>
              (!filter.job_ids || filter.job_ids.includes(j.job_id)) &&
              (!filter.name_match || j.job_name.includes(filter.name_match)) &&
              !(filter.skip_finished && TERMINAL.has(j.status)),
          );
          return { jobs, total: jobs.length, total_no_filter: state.jobs.length, status_counts: {} };
        }),
      );
    }
    if (request.method === "POST" && url.pathname === "/jobs/cancel") {
      const { job_ids } = body as { job_ids: number[] };
      return accepted(
        schedule("jobs.cancel", () => {
          for (const job of state.jobs) if (job_ids.includes(job.job_id) && !TERMINAL.has(job.status)) job.status = "CANCELLED";
          return null;
        }),
      );
    }
    if (request.method === "GET" && url.pathname === "/api/get") {
      const id = url.searchParams.get("request_id")!;
      const entry = scheduled.get(id);
      if (!entry) return send(404, { detail: `Request ${id!} not found` });
      await entry.done;
      return send(200, { request_id: id, name: entry.name, status: entry.status, return_value: entry.return_value, error: entry.error });
    }
    send(404, { detail: "Not Found" });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Lets held launch requests finish. */
    releaseLaunches() {
      state.holdLaunches = false;
      for (const entry of scheduled.values()) if (entry.status === "PENDING") entry.finish();
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((done) => server.close(() => done()));
    },
  });
}
