import archiver from "archiver";
import { PassThrough } from "node:stream";

export type ZipEntry = { name: string; content: Buffer | string } | { name: string; file: string };

/** A ZIP of the entries, streamed (archiver) into one buffer: delivery bundles are small (adapter-sized). */
export async function zipToBuffer(entries: ZipEntry[]): Promise<Buffer> {
  const archive = archiver("zip", { zlib: { level: 6 } });
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    sink.on("end", resolve);
    archive.on("error", reject);
    archive.on("warning", reject);
  });
  archive.pipe(sink);
  for (const entry of entries) {
    if ("file" in entry) archive.file(entry.file, { name: entry.name });
    else archive.append(entry.content, { name: entry.name });
  }
  await archive.finalize();
  await done;
  return Buffer.concat(chunks);
}
