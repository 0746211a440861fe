"""A small local HTTP server answering the few GitHub REST endpoints the bot uses, so that
the real github3.py client can be tested here (this machine cannot reach GitHub).

It keeps pull requests, labels and comments in memory. github3 parses responses strictly,
so every object carries the keys github3 reads (collected from github3's own source) with
plausible values; the fields the bot relies on carry real ones.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import github3

TIMESTAMPS = {
    "closed_at",
    "committed_at",
    "completed_at",
    "created_at",
    "due_on",
    "expires_at",
    "last_read_at",
    "merged_at",
    "published_at",
    "pushed_at",
    "starred_at",
    "started_at",
    "timestamp",
    "updated_at",
}
NULLABLE = TIMESTAMPS - {"created_at", "updated_at"}


def github3_keys() -> set[str]:
    root = Path(github3.__file__).parent
    keys: set[str] = set()
    for path in root.rglob("*.py"):
        keys |= set(re.findall(r'\w+\["([a-z_]+)"\]', path.read_text()))
    return keys


class FakeGitHub:
    def __init__(
        self,
        owner: str,
        repo: str,
        releases: dict[str, list[str | dict]] | None = None,
        tags: dict[str, list[str]] | None = None,
    ):
        self.owner, self.repo = owner, repo
        self.pulls: dict[int, dict] = {}
        self.comments: dict[int, list[str]] = {}
        self.labels: dict[int, list[str]] = {}
        # "owner/repo" -> releases: a tag name, or {"tag": ..., "prerelease": ..., "draft": ...}
        self.releases = releases or {}
        self.tags = tags or {}  # "owner/repo" -> tag names
        self.keys = github3_keys()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- objects --------------------------------------------------------------------------

    def _base(self, api: str) -> dict:
        data: dict = {}
        for key in self.keys:
            if key in TIMESTAMPS:
                data[key] = None if key in NULLABLE else "2026-11-01T00:00:00Z"
            elif key.endswith("_url") or key == "url":
                data[key] = f"{api}"
            elif key.endswith("_count") or key in ("id", "number", "size", "position", "line"):
                data[key] = 1
            else:
                data[key] = None
        return data

    def user(self) -> dict:
        api = f"{self.url}/api/v3/users/{self.owner}"
        data = self._base(api)
        data.update(
            login=self.owner,
            id=1,
            type="User",
            site_admin=False,
            avatar_url=api,
            gravatar_id="",
            html_url=api,
        )
        return data

    def repository(self, owner: str | None = None, repo: str | None = None) -> dict:
        owner, repo = owner or self.owner, repo or self.repo
        api = f"{self.url}/api/v3/repos/{owner}/{repo}"
        data = self._base(api)
        for key in list(data):
            if key.endswith("_url"):
                data[key] = f"{api}/{key[:-4].replace('_', '/')}{{/number}}"
        data.update(
            id=7,
            name=repo,
            full_name=f"{owner}/{repo}",
            owner=self.user(),
            private=False,
            fork=False,
            description="",
            url=api,
            html_url=api,
            default_branch="main",
            permissions={"admin": True, "push": True, "pull": True},
        )
        return data

    def add_pull(
        self, title: str, body: str, head: str, head_repo: str | None = None, base: str = "main"
    ) -> int:
        """An open pull request made by someone else (head_repo "owner/name": a fork)."""
        number = len(self.pulls) + 1
        self.pulls[number] = dict(
            title=title,
            body=body,
            head=head,
            base=base,
            state="open",
            head_repo=head_repo or f"{self.owner}/{self.repo}",
        )
        return number

    def pull(self, number: int) -> dict:
        stored = self.pulls[number]
        api = f"{self.url}/api/v3/repos/{self.owner}/{self.repo}/pulls/{number}"
        data = self._base(api)

        def side(ref, full_name=f"{self.owner}/{self.repo}"):
            owner, repo = full_name.split("/")
            repository = self.repository(owner, repo)
            repository["owner"] = dict(repository["owner"], login=owner)
            return {
                "ref": ref,
                "label": f"{owner}:{ref}",
                "sha": "0" * 40,
                "user": self.user(),
                "repo": repository,
            }

        data.update(
            id=number,
            number=number,
            title=stored["title"],
            body=stored["body"],
            state=stored["state"],
            head=side(stored["head"], stored["head_repo"]),
            base=side(stored["base"]),
            user=self.user(),
            html_url=f"{self.url}/{self.owner}/{self.repo}/pull/{number}",
            url=api,
            merged=False,
            locked=False,
            labels=[],
            assignees=[],
            requested_reviewers=[],
            requested_teams=[],
            _links={},
            issue_url=f"{self.url}/api/v3/repos/{self.owner}/{self.repo}/issues/{number}",
        )
        return data

    def issue(self, number: int) -> dict:
        api = f"{self.url}/api/v3/repos/{self.owner}/{self.repo}/issues/{number}"
        data = self._base(api)
        data.update(
            id=number,
            number=number,
            title=self.pulls[number]["title"],
            body="",
            state=self.pulls[number]["state"],
            user=self.user(),
            labels=[],
            assignees=[],
            assignee=None,
            milestone=None,
            locked=False,
            url=api,
            html_url=api,
            pull_request={"url": api},
            closed_by=None,
            comments=0,
            repository_url=f"{self.url}/api/v3/repos/{self.owner}/{self.repo}",
        )
        return data

    def release(self, release: str | dict) -> dict:
        given = release if isinstance(release, dict) else {"tag": release}
        data = self._base(self.url)
        data.update(
            tag_name=given["tag"],
            name=given["tag"],
            prerelease=bool(given.get("prerelease", False)),
            draft=bool(given.get("draft", False)),
            assets=[],
            author=self.user(),
            body="",
        )
        return data

    def tag(self, name: str) -> dict:
        return {
            "name": name,
            "commit": {"sha": "0" * 40, "url": self.url},
            "zipball_url": self.url,
            "tarball_url": self.url,
        }

    # -- HTTP --------------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, payload) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _payload(self):
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def do_GET(self) -> None:
                path = self.path.split("?")[0].removeprefix("/api/v3")
                query = self.path.partition("?")[2]
                match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
                if path == "/user":
                    return self._send(200, fake.user())
                if not match:
                    return self._send(404, {"message": "Not Found"})
                owner, repo, rest = match.group(1), match.group(2), match.group(3) or ""
                if rest == "":
                    return self._send(200, fake.repository(owner, repo))
                if rest == "/pulls":
                    state = "open" if "state=open" in query or "state" not in query else "all"
                    return self._send(
                        200,
                        [
                            fake.pull(n)
                            for n, p in sorted(fake.pulls.items())
                            if state == "all" or p["state"] == "open"
                        ],
                    )
                if m := re.fullmatch(r"/pulls/(\d+)", rest):
                    return self._send(200, fake.pull(int(m.group(1))))
                if m := re.fullmatch(r"/issues/(\d+)", rest):
                    return self._send(200, fake.issue(int(m.group(1))))
                if rest == "/releases":
                    tags = fake.releases.get(f"{owner}/{repo}", [])
                    return self._send(200, [fake.release(t) for t in tags])
                if rest == "/tags":
                    names = fake.tags.get(f"{owner}/{repo}", [])
                    return self._send(200, [fake.tag(n) for n in names])
                return self._send(404, {"message": "Not Found"})

            def do_POST(self) -> None:
                path = self.path.split("?")[0].removeprefix("/api/v3")
                payload = self._payload()
                if path.endswith("/pulls"):
                    if any(
                        p["head"] == payload["head"]
                        and p["state"] == "open"
                        and p["head_repo"] == f"{fake.owner}/{fake.repo}"
                        for p in fake.pulls.values()
                    ):
                        return self._send(
                            422,
                            {
                                "message": "Validation Failed",
                                "errors": [{"message": "already exists"}],
                            },
                        )
                    number = len(fake.pulls) + 1
                    fake.pulls[number] = dict(
                        title=payload["title"],
                        body=payload.get("body"),
                        head=payload["head"],
                        base=payload["base"],
                        state="open",
                        head_repo=f"{fake.owner}/{fake.repo}",
                    )
                    return self._send(201, fake.pull(number))
                if m := re.search(r"/issues/(\d+)/labels$", path):
                    names = payload if isinstance(payload, list) else payload.get("labels", [])
                    fake.labels.setdefault(int(m.group(1)), []).extend(names)
                    return self._send(
                        200,
                        [
                            {
                                "name": n,
                                "color": "fff",
                                "url": fake.url,
                                "id": 1,
                                "description": None,
                                "default": False,
                            }
                            for n in fake.labels[int(m.group(1))]
                        ],
                    )
                if m := re.search(r"/issues/(\d+)/comments$", path):
                    fake.comments.setdefault(int(m.group(1)), []).append(payload["body"])
                    data = fake._base(fake.url)
                    data.update(
                        body=payload["body"], user=fake.user(), id=1, author_association="OWNER"
                    )
                    return self._send(201, data)
                return self._send(404, {"message": "Not Found"})

            def do_PATCH(self) -> None:
                path = self.path.split("?")[0].removeprefix("/api/v3")
                payload = self._payload()
                if m := re.search(r"/pulls/(\d+)$", path):
                    number = int(m.group(1))
                    fake.pulls[number].update(
                        {k: v for k, v in payload.items() if k in ("state", "title", "body")}
                    )
                    return self._send(200, fake.pull(number))
                return self._send(404, {"message": "Not Found"})

        return Handler
