import type { Api } from "./api";

// Plays a trainer through the real worker and report API: a worker API key
// claims the job, then the run reports stages, metric points, checkpoints,
// interruptions, errors and completion with the job's trainer token — what
// trainer/src/main.ts does, minus the training.

/** Jobs the driver runs use this GPU type, so its claims never take another test's queued job. */
export const DRIVEN_GPU = "L40S_48GB";

const OUTCOME = `__typename ... on AppError { code message field }`;
const REPORT = {
  status: `mutation($j:ID!,$s:Int!,$st:JobStatus!,$m:String,$t:Int){ reportTrainingStatus(jobId:$j, sequence:$s, status:$st, message:$m, totalSteps:$t){ ${OUTCOME} ... on ReportTrainingStatusSuccess { data { id status } } } }`,
  metrics: `mutation($j:ID!,$p:[MetricPointInput!]!,$s:Int){ reportMetrics(jobId:$j, points:$p, sequence:$s){ ${OUTCOME} ... on ReportMetricsSuccess { data } } }`,
  checkpoint: `mutation($j:ID!,$s:Int!,$step:Int!,$e:Float,$tl:Float,$vl:Float){ reportCheckpoint(jobId:$j, sequence:$s, step:$step, epoch:$e, trainLoss:$tl, valLoss:$vl){ ${OUTCOME} ... on ReportCheckpointSuccess { data { id } } } }`,
  interrupted: `mutation($j:ID!,$s:Int!,$step:Int!,$r:String){ reportInterrupted(jobId:$j, sequence:$s, step:$step, reason:$r){ ${OUTCOME} ... on ReportInterruptedSuccess { data { id status } } } }`,
  resumed: `mutation($j:ID!,$s:Int!,$f:Int!){ reportResumed(jobId:$j, sequence:$s, fromStep:$f){ ${OUTCOME} ... on ReportResumedSuccess { data { id status } } } }`,
  error: `mutation($j:ID!,$s:Int!,$t:String!,$m:String!){ reportTrainingError(jobId:$j, sequence:$s, errorType:$t, message:$m){ ${OUTCOME} ... on ReportTrainingErrorSuccess { data { id status } } } }`,
  complete: `mutation($j:ID!,$s:Int!,$sum:JSON){ completeTrainingJob(jobId:$j, sequence:$s, summary:$sum){ ${OUTCOME} ... on CompleteTrainingJobSuccess { data { id status } } } }`,
};
const CLAIM = `mutation($w:String!,$g:[String!]){ claimTrainingJob(workerId:$w, gpuTypes:$g){ ${OUTCOME}
  ... on ClaimTrainingJobSuccess { data { claim { trainerToken lastSequence job { id } } } } } }`;

export type Point = { name: string; step: number; value: number; epoch?: number };

/** A plausible loss curve: falling with noise, the validation loss a little above. */
export function lossPoints(fromStep: number, toStep: number, stepsPerEpoch = 50): Point[] {
  const points: Point[] = [];
  for (let step = fromStep; step <= toStep; step++) {
    const epoch = step / stepsPerEpoch;
    points.push({ name: "train_loss", step, value: 0.6 + 2.4 * Math.exp(-step / 60) + 0.05 * Math.sin(step * 1.7), epoch });
    points.push({ name: "learning_rate", step, value: 2e-4 * Math.min(1, step / 10), epoch });
    if (step % 10 === 0) points.push({ name: "val_loss", step, value: 0.75 + 2.2 * Math.exp(-step / 70), epoch });
  }
  return points;
}

export class TrainerRun {
  private sequence = 0;
  private constructor(
    private readonly api: Api,
    private readonly workerKey: string,
    readonly jobId: string,
    private trainerToken: string,
  ) {}

  /** WORKER keys are for owners and admins. */
  private static async workerKey(api: Api) {
    const data = await api.gql(`mutation { createApiKey(name: "test worker", scopes: [WORKER]) { key } }`, {}, await api.login("owner"));
    return data.createApiKey.key as string;
  }

  private static async claim(api: Api, workerKey: string, jobId: string) {
    const data = await api.gql(CLAIM, { w: "test-worker", g: [DRIVEN_GPU] }, workerKey);
    const claim = api.unwrap<{ claim: { trainerToken: string; lastSequence: number; job: { id: string } } | null }>(
      data.claimTrainingJob,
    ).claim;
    if (claim?.job.id !== jobId) throw new Error(`expected to claim job ${jobId}, got ${claim?.job.id ?? "nothing"}`);
    return claim;
  }

  /** Creates and starts a job as `userToken`'s user, then claims it as a worker. */
  static async start(
    api: Api,
    userToken: string,
    job: { name: string; overrides?: Record<string, unknown>; preset?: string; tags?: string[] },
  ) {
    const jobId = await api.createJob(userToken, { ...job, start: true, gpuType: DRIVEN_GPU });
    const workerKey = await TrainerRun.workerKey(api);
    const claim = await TrainerRun.claim(api, workerKey, jobId);
    const run = new TrainerRun(api, workerKey, jobId, claim.trainerToken);
    run.sequence = claim.lastSequence;
    return run;
  }

  private async report(kind: keyof typeof REPORT, variables: Record<string, unknown>) {
    this.sequence += 1;
    const data = await this.api.gql(REPORT[kind], { j: this.jobId, s: this.sequence, ...variables }, this.trainerToken);
    return this.api.unwrap(Object.values(data)[0] as { __typename: string });
  }

  status(status: string, totalSteps?: number, message?: string) {
    return this.report("status", { st: status, t: totalSteps, m: message });
  }
  /** Through preprocessing and model loading into training. */
  async beginTraining(totalSteps: number) {
    for (const status of ["PREPROCESSING", "MODEL_LOADING"]) await this.status(status);
    await this.status("TRAINING", totalSteps);
  }
  metrics(points: Point[]) {
    return this.report("metrics", { p: points.map((p) => ({ ...p, wallTime: Date.now() / 1000 })) });
  }
  checkpoint(step: number, trainLoss?: number, valLoss?: number) {
    return this.report("checkpoint", { step, e: step / 50, tl: trainLoss, vl: valLoss });
  }
  interrupted(step: number, reason = "spot instance reclaimed") {
    return this.report("interrupted", { step, r: reason });
  }
  /** A worker claims the interrupted job again, resumes it from `fromStep` and goes back to training. */
  async resume(fromStep: number, totalSteps: number) {
    const claim = await TrainerRun.claim(this.api, this.workerKey, this.jobId);
    this.trainerToken = claim.trainerToken;
    this.sequence = Math.max(this.sequence, claim.lastSequence);
    await this.report("resumed", { f: fromStep });
    await this.beginTraining(totalSteps);
  }
  fail(errorType: string, message: string) {
    return this.report("error", { t: errorType, m: message });
  }
  async complete(summary: Record<string, unknown> = {}) {
    await this.status("FINALIZATION");
    return this.report("complete", { sum: summary });
  }
}
