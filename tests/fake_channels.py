"""A small local HTTP server answering the part of the hosted channels' APIs that
rattler-build's upload uses (read from rattler's `rattler_upload` crate), so that
`emci upload --kind prefix|anaconda|artifactory` runs here against something that parses
the requests as those servers do:

- prefix:      POST /api/v1/upload/<channel>, bearer token, multipart part "file" (its
               headers carry X-File-Name and X-File-SHA256); 409 when the file exists.
- artifactory: PUT /<channel>/<subdir>/<file>, bearer token, the file as the body.
- anaconda:    GET/POST/PATCH /package/<owner>/<name> and /release/<owner>/<name>/<version>,
               POST /stage/<owner>/<name>/<version>/<subdir>/<file> (answers with a
               post_url, form data and a dist id; 409 when the file exists), the multipart
               POST to that post_url (an object store in real life), then POST /commit/...;
               header `Authorization: token <key>`.

Files land in `uploads` keyed "<kind>:<channel path>/<file>". With `echo_token=True` every
request fails with an error body that repeats the credential it was sent, as a careless
server would.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeChannels:
    def __init__(self, token: str, *, echo_token: bool = False, status: int = 401) -> None:
        self.token = token
        self.echo_token = echo_token
        self.status = status  # the failing status when echo_token is set
        self.uploads: dict[str, bytes] = {}
        self.requests: list[str] = []  # "METHOD path" in arrival order
        self.anaconda_packages: set[str] = set()
        self.anaconda_releases: set[str] = set()
        self.staged: dict[str, tuple[str, str]] = {}  # dist id -> (key, sha256)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeChannels:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _send(self, status: int, payload=None) -> None:
                body = json.dumps(payload if payload is not None else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _file_parts(self, body: bytes) -> list:
                """The multipart body's parts named "file"."""
                head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
                message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
                return [
                    part
                    for part in message.iter_parts()
                    if part.get_param("name", header="content-disposition") == "file"
                ]

            def _authorized(self, kind: str) -> bool:
                sent = self.headers.get("Authorization", "")
                if fake.echo_token:
                    self._send(fake.status, {"error": f"bad credentials: {sent!r} ({kind})"})
                    return False
                expected = {"anaconda": f"token {fake.token}"}.get(kind, f"Bearer {fake.token}")
                if sent != expected:
                    self._send(401, {"error": "unauthorized"})
                    return False
                return True

            def _handle(self) -> None:
                path = self.path.split("?")[0]
                fake.requests.append(f"{self.command} {path}")
                body = self._body()
                if m := re.fullmatch(r"/api/v1/upload/([^/]+)", path):
                    return self._prefix(m.group(1), body)
                if m := re.fullmatch(r"/(package|release)/(.+)", path):
                    return self._anaconda_meta(m.group(1), m.group(2))
                if m := re.fullmatch(r"/stage/([^/]+)/([^/]+)/([^/]+)/([^/]+)/([^/]+)", path):
                    return self._anaconda_stage(m.groups(), body)
                if m := re.fullmatch(r"/s3/([0-9a-f]+)", path):
                    return self._anaconda_store(m.group(1), body)
                if path.startswith("/commit/"):
                    if not self._authorized("anaconda"):
                        return None
                    return self._send(200, {})
                if self.command == "PUT" and (m := re.fullmatch(r"/(.+)/([^/]+)/([^/]+)", path)):
                    if not self._authorized("artifactory"):
                        return None
                    fake.uploads[f"artifactory:{'/'.join(m.groups())}"] = body
                    return self._send(201, {})
                return self._send(404, {"error": "not found"})

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def _prefix(self, channel: str, body: bytes) -> None:
                if not self._authorized("prefix"):
                    return None
                parts = self._file_parts(body)
                if len(parts) != 1:
                    return self._send(400, {"error": "one file part expected"})
                part = parts[0]
                data = part.get_payload(decode=True)
                name = part["X-File-Name"]
                if hashlib.sha256(data).hexdigest() != part["X-File-SHA256"]:
                    return self._send(400, {"error": "sha256 mismatch"})
                key = f"prefix:{channel}/{name}"
                if key in fake.uploads:
                    return self._send(409, {"error": f"{name} already exists"})
                fake.uploads[key] = data
                return self._send(200, {})

            def _anaconda_meta(self, what: str, rest: str) -> None:
                if not self._authorized("anaconda"):
                    return None
                known = fake.anaconda_packages if what == "package" else fake.anaconda_releases
                if self.command == "GET":
                    return self._send(200 if rest in known else 404, {})
                known.add(rest)
                return self._send(200, {})

            def _anaconda_stage(self, parts: tuple[str, ...], body: bytes) -> None:
                if not self._authorized("anaconda"):
                    return None
                owner, name, version, subdir, filename = parts
                payload = json.loads(body)
                if f"{owner}/{name}" not in fake.anaconda_packages or (
                    f"{owner}/{name}/{version}" not in fake.anaconda_releases
                ):
                    return self._send(400, {"error": "package or release missing"})
                labels = "+".join(payload["channels"])
                key = f"anaconda:{owner}/{labels}/{subdir}/{filename}"
                if key in fake.uploads:
                    return self._send(409, {"error": "exists"})
                dist_id = hashlib.sha256(key.encode()).hexdigest()[:16]
                fake.staged[dist_id] = (key, payload["sha256"])
                return self._send(
                    200,
                    {
                        "post_url": f"{fake.url}/s3/{dist_id}",
                        "form_data": {"key": key, "policy": "p"},
                        "dist_id": dist_id,
                    },
                )

            def _anaconda_store(self, dist_id: str, body: bytes) -> None:
                if "Authorization" in self.headers:  # the token is for the API only
                    return self._send(400, {"error": "credential sent to the object store"})
                key, sha256 = fake.staged[dist_id]
                files = self._file_parts(body)
                data = files[0].get_payload(decode=True)
                if hashlib.sha256(data).hexdigest() != sha256:
                    return self._send(400, {"error": "sha256 mismatch"})
                fake.uploads[key] = data
                return self._send(201, {})

        return Handler
