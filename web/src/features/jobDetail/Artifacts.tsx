import { formatBytes, humanize } from "../../format";
import type { JobDetailFieldsFragment } from "../../graphql/graphql";

type Artifact = JobDetailFieldsFragment["artifacts"][number];

/** The files the run produced; the links are signed for the viewer and valid for a day. */
export function Artifacts({ artifacts, status }: { artifacts: Artifact[]; status: string }) {
  const files = artifacts.filter((a) => a.kind !== "checkpoint");
  return (
    <section className="card" aria-labelledby="artifacts-title">
      <h2 id="artifacts-title">Artifacts</h2>
      {files.length === 0 ? (
        <p className="muted">
          {status === "COMPLETED" ? "This job uploaded no files." : "The adapter and its files appear here when training finishes."}
        </p>
      ) : (
        <ul className="artifact-list">
          {files.map((a) => (
            <li key={a.id}>
              <span>
                <strong>{a.name}</strong> <span className="muted small">{humanize(a.kind)}</span>
              </span>
              <a className="button" href={a.downloadUrl} download={a.name}>
                Download <span className="visually-hidden">{a.name}</span> ({formatBytes(a.sizeBytes)})
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
