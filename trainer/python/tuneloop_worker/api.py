"""The trainer's side of the GraphQL API over urllib: requests, uploads (GraphQL
multipart request, streamed from disk) and signed downloads.

Failures come out as one of two kinds, because the report queue treats them
differently: NetworkError (try again later) and RefusedError (the server said
no: do not)."""
import hashlib
import json
import os
import uuid
import urllib.error
import urllib.parse
import urllib.request


class NetworkError(Exception):
    """The server could not be reached, or failed (5xx, no answer): worth retrying."""


class RefusedError(Exception):
    """The server refused the request (typed AppError, auth, validation)."""

    def __init__(self, code, message, field=None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.field = field


def unwrap(result):
    """The data of an `AppError | XSuccess { data }` result, or a RefusedError."""
    if result["__typename"] == "AppError":
        raise RefusedError(result["code"], result["message"], result.get("field"))
    return result["data"]


class ServerClient:
    def __init__(self, server_url, timeout=30):
        self.server_url = server_url.rstrip("/")
        self.graphql_url = self.server_url + "/graphql"
        self.timeout = timeout

    def _post(self, body, headers, token):
        if token:
            headers = {**headers, "authorization": f"Bearer {token}"}
        request = urllib.request.Request(self.graphql_url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            if error.code >= 500 or error.code == 429:
                raise NetworkError(f"{self.server_url} answered {error.code}") from error
            payload = error.read()
        except (urllib.error.URLError, OSError) as error:
            raise NetworkError(f"cannot reach {self.server_url}: {error}") from error
        try:
            answer = json.loads(payload)
        except ValueError as error:
            raise NetworkError(f"{self.server_url} sent an unreadable answer") from error
        errors = answer.get("errors")
        if errors:
            extensions = errors[0].get("extensions") or {}
            raise RefusedError(extensions.get("code", "GRAPHQL_ERROR"), errors[0]["message"], extensions.get("field"))
        if not answer.get("data"):
            raise NetworkError(f"{self.server_url} answered without data")
        return answer["data"]

    def request(self, query, variables, token):
        body = json.dumps({"query": query, "variables": variables}).encode()
        return self._post(body, {"content-type": "application/json"}, token)

    def upload(self, query, variables, path, token):
        """Sends the file at `path` as the `file` variable of `query`, streamed."""
        boundary = uuid.uuid4().hex
        operations = json.dumps({"query": query, "variables": {**variables, "file": None}})
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{operations}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{json.dumps({"0": ["variables.file"]})}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="{os.path.basename(path)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = len(head) + os.path.getsize(path) + len(tail)

        def body():
            yield head
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    yield chunk
            yield tail

        headers = {
            "content-type": f"multipart/form-data; boundary={boundary}",
            "content-length": str(size),
            # Yoga's CSRF guard wants a preflight header on multipart requests.
            "graphql-require-preflight": "1",
        }
        return self._post(body(), headers, token)

    def download(self, url, path, sha256=None):
        """Downloads a signed link to `path` (whole or not at all), checking its SHA-256 when given."""
        url = urllib.parse.urljoin(self.server_url + "/", url)
        digest = hashlib.sha256()
        partial = path + ".part"
        try:
            with urllib.request.urlopen(url, timeout=10 * self.timeout) as response, open(partial, "wb") as out:
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
        except urllib.error.HTTPError as error:
            if error.code >= 500:
                raise NetworkError(f"download answered {error.code}") from error
            raise RefusedError(f"HTTP_{error.code}", f"download refused: {error.read()[:300]!r}") from error
        except (urllib.error.URLError, OSError) as error:
            if os.path.exists(partial):
                os.remove(partial)
            raise NetworkError(f"download interrupted: {error}") from error
        if sha256 and digest.hexdigest() != sha256:
            os.remove(partial)
            raise NetworkError(f"downloaded file has SHA-256 {digest.hexdigest()}, expected {sha256}")
        os.replace(partial, path)
