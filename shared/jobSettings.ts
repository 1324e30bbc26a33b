// Ranges of the job settings that both the server and the trainers check: the
// server refuses a job outside them (server/src/jobs/config.ts), and a trainer
// refuses a configuration outside them (trainer/src/worker/jobConfig.ts).

export type SettingRange = { readonly min: number; readonly max: number };

export const SETTING_RANGES = {
  dropout: { min: 0, max: 0.5 },
  warmupRatio: { min: 0, max: 0.5 },
  weightDecay: { min: 0, max: 0.5 },
} as const satisfies Record<string, SettingRange>;
