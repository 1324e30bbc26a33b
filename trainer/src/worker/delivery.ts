// Turns a queued report into its GraphQL mutation.
import { type ServerClient, unwrap } from "./api";
import {
  CompleteTrainingJob,
  ReportCheckpoint,
  ReportInterrupted,
  ReportMetrics,
  ReportResumed,
  ReportTrainingError,
  ReportTrainingStatus,
  UploadArtifact,
} from "./operations";
import type { Deliver, QueuedReport } from "./reportQueue";

export function deliverTo(client: ServerClient): Deliver {
  return async ({ jobId, token, sequence, report }: QueuedReport) => {
    const seq = sequence!;
    switch (report.type) {
      case "metrics":
        unwrap((await client.request(ReportMetrics, { jobId, points: report.points }, token)).reportMetrics);
        return;
      case "status":
        unwrap(
          (
            await client.request(
              ReportTrainingStatus,
              {
                jobId,
                sequence: seq,
                status: report.status,
                message: report.message,
                totalSteps: report.totalSteps,
                stagePercent: report.stagePercent,
                stageSecondsLeft: report.stageSecondsLeft,
                unbilledSeconds: report.unbilledSeconds,
              },
              token,
            )
          ).reportTrainingStatus,
        );
        return;
      case "artifact":
        unwrap((await client.upload(UploadArtifact, { jobId, kind: report.kind }, report.file, token)).uploadArtifact);
        return;
      case "checkpoint": {
        // Upload, then report. A retry after a lost answer uploads again; the server
        // recognises the same bytes and returns the same artifact.
        const artifact = unwrap((await client.upload(UploadArtifact, { jobId, kind: "checkpoint" }, report.file, token)).uploadArtifact);
        const { step, epoch, trainLoss, valLoss } = report;
        unwrap(
          (
            await client.request(
              ReportCheckpoint,
              { jobId, sequence: seq, step, epoch, trainLoss, valLoss, artifactId: artifact.id },
              token,
            )
          ).reportCheckpoint,
        );
        return;
      }
      case "interrupted":
        unwrap(
          (await client.request(ReportInterrupted, { jobId, sequence: seq, step: report.step, reason: report.reason }, token))
            .reportInterrupted,
        );
        return;
      case "resumed":
        unwrap((await client.request(ReportResumed, { jobId, sequence: seq, fromStep: report.fromStep }, token)).reportResumed);
        return;
      case "error":
        unwrap(
          (
            await client.request(
              ReportTrainingError,
              {
                jobId,
                sequence: seq,
                errorType: report.errorType,
                message: report.message,
                details: report.details,
                facts: report.facts,
                outputLines: report.outputLines ?? null,
              },
              token,
            )
          ).reportTrainingError,
        );
        return;
      case "completed":
        unwrap(
          (
            await client.request(
              CompleteTrainingJob,
              { jobId, sequence: seq, summary: report.summary, validationFollows: report.validationFollows },
              token,
            )
          ).completeTrainingJob,
        );
        return;
    }
  };
}
