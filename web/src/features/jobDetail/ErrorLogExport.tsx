import { useState } from "react";
import { useSession } from "../../session";
import { downloadWithToken } from "../../download";

/** One download for a support ticket: the failure and its guidance, settings, event log and the trainer's last lines (no secrets). */
export function ErrorLogExport({ jobId }: { jobId: string }) {
  const { token } = useSession();
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    setError(null);
    try {
      await downloadWithToken(`/api/jobs/${jobId}/error-log.json`, token, `job-${jobId}-error-log.json`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <p className="error-log-export">
      <button type="button" className="button" onClick={download}>
        Export error log
      </button>{" "}
      <span className="muted small">
        For a support ticket: the failure, its guidance, the settings, the event log and the trainer's last output.
      </span>
      {error && (
        <span className="field-error block" role="alert">
          {error}
        </span>
      )}
    </p>
  );
}
