"""Git through one small wrapper: argument lists in, GitError with stderr out."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from emci.errors import GitError


@dataclass(frozen=True)
class Git:
    repo: Path
    # git's whole environment (None: this process's); per-call `env` entries go on top
    env: Mapping[str, str] | None = field(default=None, compare=False, hash=False, repr=False)

    def run(
        self, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        """Git's output as text. File names and contents are bytes to git: bytes that are
        not UTF-8 are kept as surrogate escapes (as `os.fsdecode` does), never an error."""
        return self.run_bytes(*args, input=input, env=env).decode("utf-8", "surrogateescape")

    def run_bytes(
        self, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> bytes:
        command = ["git", "-C", str(self.repo), *args]
        environment = None
        if self.env is not None or env:
            environment = {**(os.environ if self.env is None else self.env), **(env or {})}
        try:
            done = subprocess.run(
                command, capture_output=True, check=False, input=input, env=environment
            )
        except OSError as exc:
            raise GitError(f"cannot run git: {exc}") from exc
        if done.returncode != 0:
            stderr = done.stderr.decode(errors="replace").strip().splitlines()
            raise GitError(f"git {' '.join(args)}: {stderr[-1] if stderr else 'failed'}")
        return done.stdout

    def merge_base(self, base: str, head: str) -> str:
        return self.run("merge-base", base, head).strip()

    def changed_files(self, base: str, head: str) -> list[tuple[str, str, str | None]]:
        """(status letter, path, old path for renames) between two commits."""
        out = self.run("diff", "--name-status", "-M", "-z", base, head)
        fields = out.split("\0")
        changes: list[tuple[str, str, str | None]] = []
        i = 0
        while i < len(fields) and fields[i]:
            status = fields[i][0]
            if status in "RC":
                changes.append((status, fields[i + 2], fields[i + 1]))
                i += 3
            else:
                changes.append((status, fields[i + 1], None))
                i += 2
        return changes

    def show(self, rev: str, path: str) -> bytes | None:
        """A file's content at a revision (bytes: it need not be text), or None when it does
        not exist there."""
        try:
            return self.run_bytes("show", f"{rev}:{path}")
        except GitError:
            return None
