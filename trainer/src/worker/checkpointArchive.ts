// A checkpoint travels as one .tar.gz of the engine's checkpoint folder (PEFT
// adapter + optimizer state + trainer_state.json), so it can be uploaded as a
// single artifact and opened with any tar.
import { mkdir, rm } from "node:fs/promises";
import * as tar from "tar";
import { loadCheckpoint, saveCheckpoint, type TrainingCheckpoint } from "@tuneloop/engine";

export async function packCheckpoint(checkpoint: TrainingCheckpoint, scratchDir: string, archive: string): Promise<void> {
  await rm(scratchDir, { recursive: true, force: true });
  await saveCheckpoint(checkpoint, scratchDir);
  // No timestamps or owners: the same state packs to the same bytes, so a re-sent upload is recognised.
  await tar.c({ file: archive, cwd: scratchDir, gzip: true, portable: true, noMtime: true }, ["."]);
  await rm(scratchDir, { recursive: true, force: true });
}

export async function unpackCheckpoint(archive: string, dir: string): Promise<TrainingCheckpoint> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await tar.x({ file: archive, cwd: dir });
  return loadCheckpoint(dir);
}
