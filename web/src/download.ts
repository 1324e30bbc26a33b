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

export async function downloadWithToken(path: string, token: string | null, filename: string) {
  const response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    let message = text;
    try {
      message = JSON.parse(text).error?.message ?? text;
    } catch {
      // not JSON: keep the text
    }
    throw new Error(response.status === 404 ? "Nothing to export yet, or the export is not available on this server." : `Export failed (${response.status}): ${message || response.statusText}`);
  }
  saveBlob(await response.blob(), filename);
}
