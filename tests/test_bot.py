"""The version-bump bot against real git repositories (a bare remote in a tmp dir), the real
github3.py client talking to a local fake of the GitHub API, and upstream tarballs served
from a local directory (URL probing)."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fake_github import FakeGitHub

from conftest import GIT_ENV, REPO_ROOT, Repo

DATA = Path(__file__).parent / "data" / "bump"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def upstream(tmp_path: Path):
    """A local directory of release tarballs served over HTTP: (folder, base URL)."""
    folder = tmp_path / "upstream"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def release(folder: Path, version: str) -> str:
    path = folder / f"libfoo-{version}.tar.gz"
    path.write_bytes(f"libfoo {version}\n".encode() * 100)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fill(template: Path, **values: str) -> str:
    text = template.read_text()
    for key, value in values.items():
        text = text.replace(f"__{key}__", value)
    return text


@pytest.fixture
def setup(repo: Repo, upstream, tmp_path: Path):
    folder, url = upstream
    shas = {v: release(folder, v) for v in ("1.0.0", "1.0.1", "1.1.0a1")}
    repo.recipe("libfoo", fill(DATA / "libfoo.before.yaml", UPSTREAM=url, SHA_1_0_0=shas["1.0.0"]))
    repo.commit("libfoo 1.0.0")
    remote = tmp_path / "remote.git"
    subprocess.run(
        ["git", "init", "-q", "--bare", str(remote)], check=True, env={**os.environ, **GIT_ENV}
    )
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "origin", "main")
    return repo, folder, url, shas, remote


TOKEN = "ghp_emciTestToken0123456789"


def bot(
    repo: Repo, fake: FakeGitHub, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV, "GITHUB_TOKEN": TOKEN, **(env or {})}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "emci",
            "--root",
            str(repo.root),
            "bot",
            "bump-versions",
            "--repo",
            "org/recipes",
            "--github-url",
            fake.url,
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def remote_file(remote: Path, branch: str) -> str:
    return subprocess.run(
        [
            "git",
            "--git-dir",
            str(remote),
            "show",
            f"{branch}:recipes/recipes_emscripten/libfoo/recipe.yaml",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_bump_opens_one_pull_request_then_none_then_supersedes(setup):
    repo, folder, url, shas, remote = setup
    head_before = repo.git("rev-parse", "HEAD")
    with FakeGitHub("org", "recipes") as fake:
        done = bot(repo, fake)
        assert done.returncode == 0, done.stderr
        assert [p["head"] for p in fake.pulls.values()] == ["bump/libfoo-1.0.1"]
        assert fake.labels == {1: ["automerge"]}
        body = fake.pulls[1]["body"]
        assert "from 1.0.0 to 1.0.1" in body
        # the pushed recipe differs from the original in version, sha256 and build number only
        expected = fill(DATA / "libfoo.after.yaml", UPSTREAM=url, SHA_1_0_1=shas["1.0.1"])
        assert remote_file(remote, "bump/libfoo-1.0.1") == expected
        # the user's checkout and branch are untouched
        assert repo.git("rev-parse", "HEAD") == head_before
        assert repo.git("status", "--porcelain") == ""

        again = bot(repo, fake)
        assert again.returncode == 0
        assert len(fake.pulls) == 1
        assert "bump/libfoo-1.0.1 is already open" in again.stdout

        release(folder, "1.1.0")
        newer = bot(repo, fake)
        assert newer.returncode == 0, newer.stderr
        assert fake.pulls[2]["head"] == "bump/libfoo-1.1.0" and fake.pulls[2]["state"] == "open"
        assert fake.pulls[1]["state"] == "closed"
        assert fake.comments[1] == ["Superseded by #2 (1.1.0)."]


def test_opt_out_and_cap(setup):
    repo, folder, url, shas, remote = setup
    path = repo.root / "recipes/recipes_emscripten/libfoo/recipe.yaml"
    path.write_text(path.read_text().replace("automerge: true", "skip: true"))
    repo.commit("opt out")
    with FakeGitHub("org", "recipes") as fake:
        done = bot(repo, fake)
        assert "extra.bot.skip is set" in done.stdout and fake.pulls == {}
    path.write_text(path.read_text().replace("skip: true", 'max_version: "1.0.1"'))
    repo.commit("cap")
    with FakeGitHub("org", "recipes") as fake:
        done = bot(repo, fake)
        assert "up-to-date" in done.stdout and fake.pulls == {}


def test_dry_run_pushes_and_opens_nothing(setup):
    repo, folder, url, shas, remote = setup
    with FakeGitHub("org", "recipes") as fake:
        done = bot(repo, fake, "--dry-run")
        assert done.returncode == 0, done.stderr
        assert "would open a pull request bump/libfoo-1.0.1" in done.stdout + done.stderr
        assert fake.pulls == {}
    branches = subprocess.run(
        ["git", "--git-dir", str(remote), "branch"], capture_output=True, text=True, check=True
    ).stdout
    assert "bump/" not in branches


def test_only_the_bots_own_pull_requests_for_exactly_this_recipe_are_superseded(setup):
    repo, folder, url, shas, remote = setup
    with FakeGitHub("org", "recipes") as fake:
        # the bot's own bump of another recipe whose name starts with "libfoo-"
        xdist = fake.add_pull(
            "libfoo-xdist 2.0",
            "Bumps ...\n\n<!-- emci-bot bump: recipes_emscripten/libfoo-xdist -->",
            "bump/libfoo-xdist-2.0",
        )
        # forks: a copied marker, and the very branch name the bot is about to use
        copied = fake.add_pull(
            "libfoo 0.9",
            "<!-- emci-bot bump: recipes_emscripten/libfoo -->",
            "bump/libfoo-0.9",
            head_repo="mallory/recipes",
        )
        squatting = fake.add_pull("libfoo 1.0.1", "", "bump/libfoo-1.0.1", "mallory/recipes")
        done = bot(repo, fake)
        assert done.returncode == 0, done.stdout + done.stderr
        (own,) = [n for n, p in fake.pulls.items() if p["head_repo"] == "org/recipes" and n > 3]
        assert fake.pulls[own]["head"] == "bump/libfoo-1.0.1"
        assert "<!-- emci-bot bump: recipes_emscripten/libfoo -->" in fake.pulls[own]["body"]

        release(folder, "1.1.0")
        newer = bot(repo, fake)
        assert newer.returncode == 0, newer.stdout + newer.stderr
        assert fake.pulls[own]["state"] == "closed"
        for number in (xdist, copied, squatting):
            assert fake.pulls[number]["state"] == "open", number
            assert number not in fake.comments
        assert sorted(fake.comments) == [own]


def test_a_branch_of_that_name_opened_by_someone_else_is_not_pushed_over(setup):
    repo, folder, url, shas, remote = setup
    with FakeGitHub("org", "recipes") as fake:
        theirs = fake.add_pull("libfoo 1.0.1 by hand", "", "bump/libfoo-1.0.1")
        done = bot(repo, fake)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"bump/libfoo-1.0.1 is open as #{theirs}, not by the bot" in done.stdout
        assert list(fake.pulls) == [theirs] and fake.comments == {}
    branches = subprocess.run(
        ["git", "--git-dir", str(remote), "branch"], capture_output=True, text=True, check=True
    ).stdout
    assert "bump/" not in branches


# -- version sources, against the local fake API, with this tree's own recipes ----------------


@pytest.fixture(scope="module")
def tree_targets():
    from emci.bot import collect_targets
    from emci.settings import Settings

    return {t.name: t for t in collect_targets(Settings.load(REPO_ROOT))}


def test_every_recipe_the_bot_bumps_uses_a_tested_kind_of_version_source(tree_targets):
    from emci.bot import choose_source

    sources = {"pypi": "pypi", "github": "github", "url": "url"}
    kinds = {name: choose_source(t, sources) for name, t in tree_targets.items()}
    assert set(kinds.values()) == {"pypi", "github", "url"}
    assert kinds["pytest"] == "pypi" and kinds["pluggy"] == "pypi"
    assert kinds["python"] == "github" and kinds["openssl"] == "github"
    assert kinds["bzip2"] == "url"


def test_github_releases_and_prefixed_tags_within_the_trees_caps(tree_targets):
    import github3

    from emci.versions import GitHubSource

    releases = {
        "openssl/openssl": [
            "openssl-3.0.22",
            "openssl-3.0.23",
            {"tag": "openssl-3.0.24", "draft": True},
            {"tag": "openssl-3.6.0-alpha1", "prerelease": True},
            "openssl-3.6.1",
            "OpenSSL_1_1_1w",
        ]
    }
    tags = {"python/cpython": ["v3.11.2", "v3.11.14", "v3.12.0", "v3.14.0", "v3.15.0a1"]}
    with FakeGitHub("org", "recipes", releases=releases, tags=tags) as fake:
        source = GitHubSource(github3.GitHubEnterprise(fake.url))
        # openssl's releases are tagged openssl-X.Y.Z; the recipe stays in the 3.0 series
        assert source.latest_version(tree_targets["openssl"]) == "3.0.23"
        # CPython has tags only; the recipe stays in the 3.11 series (never python 3.14)
        assert source.latest_version(tree_targets["python"]) == "3.11.14"


def test_pypi_versions_through_pip_within_the_trees_cap(tree_targets, tmp_path: Path, monkeypatch):
    from pypi_index import serve

    from emci.versions import PyPISource

    index, server = serve(tmp_path / "index", tmp_path / "backend-ran")
    try:
        for version in ("1.5.0", "1.6.0", "2.0.0", "1.7.0rc1"):
            index.add("pluggy", version)
        monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
        monkeypatch.setenv("PIP_INDEX_URL", index.simple)
        for name in ("PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"):
            monkeypatch.delenv(name, raising=False)
        # pytest requires pluggy <2: the recipe caps it
        assert PyPISource().latest_version(tree_targets["pluggy"]) == "1.6.0"
    finally:
        server.shutdown()
        server.server_close()


def test_a_github_release_with_a_prefix_opens_a_bump(setup):
    repo, folder, url, shas, remote = setup
    path = repo.root / "recipes/recipes_emscripten/libfoo/recipe.yaml"
    path.write_text(
        path.read_text().replace(
            "  summary:", "  repository: https://github.com/up/libfoo\n  summary:"
        )
    )
    repo.commit("libfoo on GitHub")
    releases = {
        "up/libfoo": ["libfoo-1.0.0", "libfoo-1.0.1", {"tag": "libfoo-1.1.0", "draft": True}]
    }
    with FakeGitHub("org", "recipes", releases=releases) as fake:
        done = bot(repo, fake, "--dry-run")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "would-open libfoo" in done.stdout and "1.0.0 -> 1.0.1" in done.stdout


def test_tags_that_name_no_version_are_an_error_not_up_to_date(setup):
    repo, folder, url, shas, remote = setup
    path = repo.root / "recipes/recipes_emscripten/libfoo/recipe.yaml"
    path.write_text(
        path.read_text().replace(
            "  summary:", "  repository: https://github.com/up/libfoo\n  summary:"
        )
    )
    repo.commit("libfoo on GitHub")
    with FakeGitHub("org", "recipes", tags={"up/libfoo": ["latest", "stable"]}) as fake:
        done = bot(repo, fake, "--dry-run")
        assert done.returncode == 1
        assert "up/libfoo: none of its 0 releases and 2 tags names a version" in done.stdout
        assert "up-to-date" not in done.stdout.splitlines()[0]


def checkout_state(repo: Repo) -> dict[str, str]:
    """Everything of the user's checkout the bot could change but objects: refs, HEAD,
    worktrees, local config, index and working tree, FETCH_HEAD."""
    fetch_head = repo.root / ".git" / "FETCH_HEAD"
    return {
        "refs": repo.git("for-each-ref", "--format=%(refname) %(objectname)"),
        "head": repo.git("symbolic-ref", "HEAD") + repo.git("rev-parse", "HEAD"),
        "worktrees": repo.git("worktree", "list", "--porcelain"),
        "config": repo.git("config", "--local", "--list"),
        "index": repo.git("ls-files", "--stage"),
        "status": repo.git("status", "--porcelain", "--ignored"),
        "stash": repo.git("stash", "list"),
        "fetch_head": fetch_head.read_text() if fetch_head.exists() else "",
        "git_dir": " ".join(sorted(p.name for p in (repo.root / ".git").iterdir())),
    }


def test_the_users_checkout_is_left_as_it_was(setup):
    repo, folder, url, shas, remote = setup
    repo.git("fetch", "-q", "origin")  # as a fresh clone would have it
    before = checkout_state(repo)
    with FakeGitHub("org", "recipes") as fake:
        done = bot(repo, fake)
        assert done.returncode == 0, done.stdout + done.stderr
        release(folder, "1.1.0")
        done = bot(repo, fake)
        assert done.returncode == 0, done.stdout + done.stderr
        assert [p["head"] for p in fake.pulls.values()] == [
            "bump/libfoo-1.0.1",
            "bump/libfoo-1.1.0",
        ]
    after = checkout_state(repo)
    assert after == before
    assert "bump/" not in repo.git("branch", "--list", "--all")
    # the pushed branches are on the remote, one commit on top of main each
    for branch in ("bump/libfoo-1.0.1", "bump/libfoo-1.1.0"):
        parent = subprocess.run(
            ["git", "--git-dir", str(remote), "rev-parse", f"{branch}^"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert parent == repo.git("rev-parse", "main")


# -- the token stays with the GitHub API and the push ----------------------------------------

RECORDER = """\
# Loaded by every Python process of the test (PYTHONPATH): records each subprocess it
# starts, and whether the bot's token was in that subprocess's environment or arguments.
import json
import os
import subprocess

_log = os.environ.get("EMCI_TEST_SPAWN_LOG")
_token = os.environ.get("GITHUB_TOKEN", "")
_init = subprocess.Popen.__init__


def _recording(self, args, *rest, **options):
    env = options.get("env")
    seen = os.environ if env is None else env
    text = " ".join(map(str, args)) if isinstance(args, (list, tuple)) else str(args)
    leaked = [k for k, v in seen.items() if _token in str(v)]
    if _token in text:
        leaked.append("(arguments)")
    with open(_log, "a") as handle:
        handle.write(json.dumps({"argv": text, "leaked": leaked}) + "\\n")
    _init(self, args, *rest, **options)


if _log and _token:
    subprocess.Popen.__init__ = _recording
"""


def test_the_token_reaches_no_subprocess_and_no_git_config(setup, tmp_path: Path, monkeypatch):
    from pypi_index import serve

    repo, folder, url, shas, remote = setup
    index, server = serve(tmp_path / "index", tmp_path / "backend-ran")
    old = index.add("emci-probe-tok", "1.0")
    index.add("emci-probe-tok", "1.1")
    repo.recipe(
        "probe",
        f"""\
context:
  version: "1.0"
package:
  name: emci-probe-tok
  version: ${{{{ version }}}}
source:
  url: pypi://emci-probe-tok/emci_probe_tok-${{{{ version }}}}.tar.gz
  sha256: {old.sha256}
build:
  script: [echo hi]
extra:
  sources:
    pypi: emci-probe-tok==${{{{ version }}}}
""",
    )
    repo.commit("probe 1.0")
    repo.git("push", "-q", "origin", "main")
    recorder = tmp_path / "recorder"
    recorder.mkdir()
    (recorder / "sitecustomize.py").write_text(RECORDER)
    log = tmp_path / "spawned.jsonl"
    env = {
        "PYTHONPATH": os.pathsep.join([str(recorder), os.environ.get("PYTHONPATH", "")]),
        "EMCI_TEST_SPAWN_LOG": str(log),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": index.simple,
        "EMCI_BOT_TOKEN": TOKEN,  # as the workflow names it: a secret under another name
    }
    try:
        with FakeGitHub("org", "recipes") as fake:
            done = bot(repo, fake, env=env)
            assert done.returncode == 0, done.stdout + done.stderr
            heads = sorted(p["head"] for p in fake.pulls.values())
            assert heads == ["bump/libfoo-1.0.1", "bump/probe-1.1"]
    finally:
        server.shutdown()
        server.server_close()
    spawned = [json.loads(line) for line in log.read_text().splitlines()]
    commands = " | ".join(s["argv"] for s in spawned)
    for expected in ("pip index versions emci-probe-tok", " fetch ", " push ", " commit-tree "):
        assert expected in commands, commands
    assert [s for s in spawned if s["leaked"]] == []
    assert TOKEN not in (repo.root / ".git" / "config").read_text()
    assert TOKEN not in repo.git("config", "--list", "--show-origin")


def test_a_token_kept_in_the_checkouts_git_config_stops_the_bot(setup):
    from emci.credentials import basic_header

    repo, folder, url, shas, remote = setup
    # what actions/checkout leaves behind unless persist-credentials is false
    repo.git("config", "--local", "http.https://github.com/.extraheader", basic_header(TOKEN))
    with FakeGitHub("org", "recipes") as fake:
        done = bot(repo, fake)
        assert done.returncode == 1
        assert ".git/config holds the bot's token: remove it" in done.stderr
        assert TOKEN not in done.stdout + done.stderr
        assert fake.pulls == {}
    branches = subprocess.run(
        ["git", "--git-dir", str(remote), "branch"], capture_output=True, text=True, check=True
    ).stdout
    assert "bump/" not in branches


def test_the_push_header_is_git_configuration_for_that_host_only(repo: Repo):
    from emci.credentials import push_environment, without_secrets

    url = "https://github.example/org/recipes.git"
    extra = push_environment(url, TOKEN, {"GIT_CONFIG_COUNT": "1"})
    assert extra["GIT_CONFIG_COUNT"] == "2" and "GIT_CONFIG_KEY_1" in extra
    env = {
        **os.environ,
        **GIT_ENV,
        "GIT_CONFIG_KEY_0": "core.x",
        "GIT_CONFIG_VALUE_0": "y",
        **extra,
    }

    def header_for(address: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo.root), "config", "--get-urlmatch", "http.extraheader", address],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        ).stdout.strip()

    scheme, pair = header_for(url).split(" ", 2)[1:]
    assert scheme == "basic"
    assert base64.b64decode(pair).decode() == f"x-access-token:{TOKEN}"
    assert header_for("https://elsewhere.example/org/recipes.git") == ""
    assert push_environment("/srv/git/recipes.git", TOKEN, {}) == {}
    assert push_environment("git@github.example:org/recipes.git", TOKEN, {}) == {}
    kept = without_secrets(
        {
            "GITHUB_TOKEN": "a",
            "EMCI_BOT_TOKEN": "b",
            "QUETZ_API_KEY": "c",
            "PATH": "/bin",
            "SSH_AUTH_SOCK": "/s",
            "PIP_INDEX_URL": "u",
        }
    )
    assert kept == {"PATH": "/bin", "SSH_AUTH_SOCK": "/s", "PIP_INDEX_URL": "u"}
