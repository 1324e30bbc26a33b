import { z } from "zod";
import type { Db } from "../db/client.js";

// What a trainer measured when a job failed, reported with the error (GraphQL
// `facts` or the webhook's `facts`) so the guidance works from numbers, not prose.

const bytes = z.number().finite().min(0);
const seconds = z.number().finite().min(0);

/** The coefficients of shared/memoryModel.ts for the run that failed. */
const memoryProfileSchema = z.object({
  fixedBytes: bytes,
  bytesPerRank: bytes,
  bytesPerToken: bytes,
  bytesPerTokenPosition: bytes,
  fourBitSavingBytes: bytes.nullish().transform((v) => v ?? null),
});

export const MEMORY_LIMITS = ["WORKER_BUDGET", "GPU_MEMORY"] as const;

export const failureFactsSchema = z.object({
  /** Where it ran, in words: 'worker "gpu-box-1" (CPU)', "NVIDIA A10G". */
  where: z.string().min(1).max(200),
  memory: z
    .object({
      requiredBytes: bytes,
      availableBytes: bytes.positive(),
      /** Whether the limit was the worker's own memory budget or the GPU's memory. */
      limit: z.enum(MEMORY_LIMITS),
      /** The sequence length the run used (the job's, capped at the model's context). */
      seqLength: z.number().int().positive(),
      profile: memoryProfileSchema,
    })
    .nullish(),
  time: z
    .object({
      limitSeconds: seconds.positive(),
      /** Before the first step: loading the model and the data. */
      overheadSeconds: seconds,
      secondsPerStep: seconds.positive(),
      stepsDone: z.number().int().min(0),
      totalSteps: z.number().int().positive(),
    })
    .nullish(),
});

export type FailureFacts = z.infer<typeof failureFactsSchema>;

/** The facts of the job's last accepted error report, if its trainer sent any. */
export async function failureFactsOf(db: Db, jobId: string): Promise<FailureFacts | null> {
  const event = await db.jobEvent.findFirst({
    where: { jobId, type: "error", processingError: null },
    orderBy: { id: "desc" },
    select: { payload: true },
  });
  const parsed = failureFactsSchema.safeParse((event?.payload as { facts?: unknown } | undefined)?.facts);
  return parsed.success ? parsed.data : null;
}
