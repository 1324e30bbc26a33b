// Files the browser saves: exports the server makes (fetched with the session
// token, which a plain link cannot send) and files made here (compare export).

export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `body`: POST it as JSON (an export made from what the page shows, such as the comparison PDF). */
export async function downloadWithToken(path: string, token: string | null, filename: string, body?: unknown) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const response = await fetch(
    path,
    body === undefined
      ? { headers }
      : { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) },
  );
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    let message = text;
    try {
      message = JSON.parse(text).error?.message ?? text;
    } catch {
      // not JSON: keep the text
    }
    throw new Error(
      response.status === 404
        ? "Nothing to export yet, or the export is not available on this server."
        : `Export failed (${response.status}): ${message || response.statusText}`,
    );
  }
  saveBlob(await response.blob(), filename);
}
