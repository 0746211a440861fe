"""GitHub behind an interface: github3.py for real, and a dry run that prints what it would
do. Tokens are read when a backend is made, never at import."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from emci.errors import EmciError

log = logging.getLogger(__name__)


class GitHubError(EmciError):
    pass


@dataclass(frozen=True)
class PullRequest:
    number: int
    title: str
    head: str
    url: str = ""
    body: str = ""
    head_repo: str = ""  # "owner/name" of the repository the head branch lives in


class GitHub(Protocol):
    repository: str  # "owner/name": where the bot pushes and opens pull requests

    def open_pulls(self) -> list[PullRequest]: ...

    def create_pull(
        self, title: str, body: str, head: str, base: str, labels: list[str]
    ) -> PullRequest: ...

    def close_pull(self, number: int, comment: str) -> None: ...


class GitHub3Backend:
    """The real thing: github3.py against github.com or a GitHub Enterprise URL."""

    def __init__(self, owner: str, repo: str, token: str, url: str | None = None) -> None:
        import github3

        if not token:
            raise GitHubError("a GitHub token is needed (GITHUB_TOKEN)")
        session = (
            github3.enterprise_login(token=token, url=url) if url else github3.login(token=token)
        )
        self._repo = session.repository(owner, repo)
        if self._repo is None:
            raise GitHubError(f"repository {owner}/{repo} not found")
        self.session = session
        self.repository = f"{owner}/{repo}"

    def open_pulls(self) -> list[PullRequest]:
        return [
            PullRequest(
                p.number,
                p.title,
                p.head.ref,
                p.html_url,
                body=p.body or "",
                head_repo="/".join(p.head.repo) if all(p.head.repo) else "",
            )
            for p in self._repo.pull_requests(state="open")
        ]

    def create_pull(
        self, title: str, body: str, head: str, base: str, labels: list[str]
    ) -> PullRequest:
        import github3

        try:
            pull = self._repo.create_pull(title, base, head, body)
        except github3.exceptions.UnprocessableEntity as exc:
            raise GitHubError(f"cannot open a pull request for {head}: {exc.msg}") from None
        if labels:
            self._repo.issue(pull.number).add_labels(*labels)
        return PullRequest(
            pull.number, pull.title, head, pull.html_url, body=body, head_repo=self.repository
        )

    def close_pull(self, number: int, comment: str) -> None:
        self._repo.issue(number).create_comment(comment)
        self._repo.pull_request(number).close()


class DryRunBackend:
    """Prints what it would do; knows of no open pull request."""

    def __init__(self, repository: str = "") -> None:
        self.repository = repository

    def open_pulls(self) -> list[PullRequest]:
        return []

    def create_pull(
        self, title: str, body: str, head: str, base: str, labels: list[str]
    ) -> PullRequest:
        log.info(
            "would open a pull request %s -> %s: %s (labels: %s)",
            head,
            base,
            title,
            ", ".join(labels) or "none",
        )
        return PullRequest(0, title, head)

    def close_pull(self, number: int, comment: str) -> None:
        log.info("would close pull request #%d: %s", number, comment)
