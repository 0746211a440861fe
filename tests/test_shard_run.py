"""A sharded pull-request build, run locally: the jobs of .github/workflows/build-pr.yml and
build-stage.yml, one after another, on a small fixture tree of real recipes (native and
noarch, so no Emscripten is needed), give the same channel as the unsharded build job.

The jobs run here as the workflow declares them: each job in a fresh clone of the fixture
repository, its `run:` steps executed by bash as GitHub runs them, and the few actions a job
uses stood in for by what they do (checkout: a clone; upload/download-artifact: copies into
and out of an artifact store). An expression or action this runner does not know fails the
test, so a change to the workflows is a change this test sees.

It really builds (rattler-build, 2 x 7 small recipes): run it under the build lock,
`flock /work/build.lock python3 -m pytest -m e2e tests/test_shard_run.py`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from conftest import REPO_ROOT, Repo

pytestmark = pytest.mark.e2e

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
# steps that install what this machine has already: apt packages, and the .venv with emci
# (bootstrap.sh), which `venv` stands in for
APT_STEPS = {"git, for a checkout with history", "git, for the checkout"}
SETUP_STEP = "Set up"


def noarch(name: str, host: tuple[str, ...] = (), build: tuple[str, ...] = ()) -> str:
    requirements = "".join(
        f"  {kind}:\n" + "".join(f"    - {item}\n" for item in items)
        for kind, items in (("build", build), ("host", host))
        if items
    )
    return (
        f'package:\n  name: {name}\n  version: "1.0"\n'
        "build:\n  number: 0\n  noarch: generic\n  script:\n"
        f"    - mkdir -p $PREFIX/share/{name}\n"
        f"    - echo {name} > $PREFIX/share/{name}/{name}.txt\n"
        + (f"requirements:\n{requirements}" if requirements else "")
    )


def native(name: str) -> str:
    return (
        f'package:\n  name: {name}\n  version: "1.0"\n'
        "build:\n  number: 0\n  script:\n"
        "    - mkdir -p $PREFIX/bin\n"
        f"    - printf '#!/bin/sh\\necho {name}\\n' > $PREFIX/bin/{name}\n"
        f"    - chmod +x $PREFIX/bin/{name}\n"
    )


# What the published channel's metadata says each recipe took to build: enough for the
# workflow's --shard-above, and uneven, so the shards are balanced by them.
PUBLISHED_SECONDS = {"a": 3000, "b": 1000, "tool": 2500, "d": 900, "e": 1200, "g": 800, "f": 60}


@pytest.fixture
def fixture_repo(tmp_path: Path) -> Path:
    """Generation 1: a, b, tool (native); 2: d (a), e (b, tool), g (tool); 3: f (d, e).
    The `github` channel profile the workflows select is a directory channel that has no
    packages yet, only the build times of an earlier run in its metadata."""
    published = tmp_path / "published"
    (published / "noarch").mkdir(parents=True)
    (published / "noarch" / "repodata.json").write_text('{"info": {"subdir": "noarch"}}')
    metadata = {
        f"noarch/{name}-0.9-0.conda": {
            "recipe": f"recipes/{name}" if name == "tool" else f"recipes_emscripten/{name}",
            "build_seconds": seconds,
        }
        for name, seconds in PUBLISHED_SECONDS.items()
    }
    (published / "emci-metadata.json").write_text(json.dumps({"packages": metadata}))
    repo = Repo(tmp_path / "origin")
    pyproject = (repo.root / "pyproject.toml").read_text()
    repo.write("pyproject.toml", pyproject + f'github = ["{published}"]\n')
    repo.recipe("old", noarch("old"))
    repo.commit("main")
    repo.git("checkout", "-q", "-b", "topic")
    repo.recipe("a", noarch("a"))
    repo.recipe("b", noarch("b"))
    repo.recipe("tool", native("tool"), folder="recipes")
    repo.recipe("d", noarch("d", host=("a",)))
    repo.recipe("e", noarch("e", host=("b",), build=("tool",)))
    repo.recipe("g", noarch("g", build=("tool",)))
    repo.recipe("f", noarch("f", host=("d", "e")))
    repo.commit("seven recipes")
    return repo.root


class Runner:
    """Runs the jobs of a workflow file the way GitHub's runner would, locally."""

    def __init__(self, origin: Path, work: Path) -> None:
        self.origin = origin
        self.work = work
        self.artifacts = work / "artifacts-store"
        self.artifacts.mkdir(parents=True)
        self.jobs = 0
        self.mirror = work / "mirror"
        self.caches = work / "cache-store"  # actions/cache: key -> saved path
        self.caches.mkdir()
        self.saves: list[tuple[Path, dict[str, str]]] = []  # post-job cache saves

    def job(self, workflow: str, job_id: str, context: dict[str, str]) -> dict[str, str]:
        """Run one job in a fresh workspace; returns its steps' outputs (GITHUB_OUTPUT)."""
        data = YAML(typ="safe").load((WORKFLOWS / workflow).read_text())
        job = data["jobs"][job_id]
        self.jobs += 1
        workspace = self.work / f"job{self.jobs}-{job_id}"
        outputs_file = self.work / f"job{self.jobs}.outputs"
        outputs_file.touch()
        env = {
            **os.environ,
            **{k: str(v) for k, v in (data.get("env") or {}).items()},
            **{k: str(v) for k, v in (job.get("env") or {}).items()},
            "EMCI_SOURCE_MIRROR": str(self.mirror),
            "GITHUB_OUTPUT": str(outputs_file),
        }
        env.pop("GITHUB_STEP_SUMMARY", None)
        for step in job["steps"]:
            if "if" in step and not self.condition(step["if"], context):
                continue
            if "uses" in step:
                self.action(step, workspace, context)
            elif step.get("name") == SETUP_STEP:
                venv(workspace)
            elif step.get("name") not in APT_STEPS:
                step_env = {
                    k: self.expand(str(v), context) for k, v in (step.get("env") or {}).items()
                }
                done = subprocess.run(
                    ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                    cwd=workspace,
                    env={**env, **step_env},
                    capture_output=True,
                    text=True,
                    check=False,
                )
                assert done.returncode == 0, f"{job_id}: {step.get('name')}: {done.stderr}"
        for where, options in self.saves:  # actions/cache saves when the job succeeded
            saved = self.caches / options["key"]
            if not saved.exists() and (where / options["path"]).exists():
                shutil.copytree(where / options["path"], saved)
        self.saves.clear()
        outputs = {}
        for line in outputs_file.read_text().splitlines():
            key, _, value = line.partition("=")
            outputs[key] = value
        return outputs

    def expand(self, text: str, context: dict[str, str]) -> str:
        context = {"github.sha": "HEAD", **context}

        def value(match: re.Match) -> str:
            expression = match.group(1).strip()
            assert expression in context, f"unknown expression in a step: {expression}"
            return context[expression]

        return re.sub(r"\$\{\{(.+?)\}\}", value, text)

    def condition(self, expression: str, context: dict[str, str]) -> bool:
        known = {
            "always()": True,
            "inputs.stage > 1": int(context.get("inputs.stage", "0")) > 1,
            # every job of this run passed (a failing one fails the test first)
            "contains(needs.*.result, 'failure') || contains(needs.*.result, 'cancelled')": False,
        }
        assert expression in known, f"unknown step condition: {expression}"
        return known[expression]

    def action(self, step: dict, workspace: Path, context: dict[str, str]) -> None:
        action = step["uses"].split("@")[0]
        options = {k: self.expand(str(v), context) for k, v in (step.get("with") or {}).items()}
        if action == "actions/checkout":
            subprocess.run(
                ["git", "clone", "-q", "-b", "topic", str(self.origin), str(workspace)],
                check=True,
            )
        elif action in ("actions/cache", "actions/cache/restore"):
            prefixes = [p.strip() for p in options.get("restore-keys", "").splitlines()]
            found = self.caches / options["key"]
            if not found.exists():  # the newest cache whose key starts with a restore key
                older = [
                    c
                    for c in sorted(self.caches.iterdir(), key=lambda c: c.stat().st_mtime_ns)
                    if any(p and c.name.startswith(p) for p in prefixes)
                ]
                found = older[-1] if older else found
            if found.exists():
                shutil.copytree(found, workspace / options["path"], dirs_exist_ok=True)
            if action == "actions/cache":
                self.saves.append((workspace, options))
        elif action == "actions/upload-artifact":
            paths = [p.strip() for p in options["path"].splitlines() if p.strip()]
            target = self.artifacts / options["name"]
            assert not target.exists(), f"artifact {options['name']} uploaded twice"
            if len(paths) == 1 and (workspace / paths[0]).is_dir():
                shutil.copytree(workspace / paths[0], target, ignore=_hidden)
            elif len(paths) == 1:  # one file: the artifact holds it at its root
                target.mkdir()
                shutil.copy(workspace / paths[0], target)
            else:  # several paths: kept relative to the workspace
                for path in paths:
                    if (workspace / path).exists():
                        shutil.copytree(workspace / path, target / path, ignore=_hidden)
        elif action == "actions/download-artifact":
            into = workspace / options.get("path", ".")
            if "name" in options:
                shutil.copytree(self.artifacts / options["name"], into, dirs_exist_ok=True)
            else:
                pattern = re.compile(options["pattern"].replace("*", ".*") + "$")
                for artifact in sorted(self.artifacts.iterdir()):
                    if pattern.match(artifact.name):
                        shutil.copytree(artifact, into / artifact.name)
        else:
            raise AssertionError(f"unknown action {action}")


def venv(workspace: Path) -> None:
    """`.venv/bin/emci` as bootstrap.sh leaves it, running this checkout's emci with this
    interpreter."""
    script = workspace / ".venv" / "bin" / "emci"
    script.parent.mkdir(parents=True)
    script.write_text(f'#!/bin/sh\nexec {sys.executable} -m emci "$@"\n')
    script.chmod(0o755)


def _hidden(_folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name.startswith(".")]  # upload-artifact leaves them out


def channel_records(channel: Path) -> dict[str, dict]:
    """Every package of a channel: its repodata record without the times in it (built,
    indexed) and what they change (the archive's digests and size), plus the package's
    files and their sha256."""
    from rattler.package import PathsJson

    records = {}
    for subdir in ("noarch", "linux-64", "emscripten-wasm32"):
        path = channel / subdir / "repodata.json"
        if not path.is_file():
            continue
        data = json.loads(path.read_text())
        for kind in ("packages", "packages.conda"):
            for name, record in data.get(kind, {}).items():
                record = {  # times (the build's, the indexer's) and what hashes them
                    k: v
                    for k, v in record.items()
                    if not k.endswith("timestamp") and k not in ("md5", "sha256", "size")
                }
                paths = PathsJson.from_package_archive(channel / subdir / name)
                record["files"] = sorted(
                    (str(e.relative_path), e.sha256.hex() if e.sha256 else "") for e in paths.paths
                )
                records[f"{subdir}/{name}"] = record
    files = sorted(
        f"{p.parent.name}/{p.name}" for p in channel.glob("*/*") if p.suffix in (".conda", ".bz2")
    )
    assert files == sorted(records)
    return records


def test_sharded_pull_request_build_gives_the_unsharded_channel(fixture_repo: Path, tmp_path):
    runner = Runner(fixture_repo, tmp_path / "runner")
    outputs = runner.job("build-pr.yml", "plan", {})
    assert outputs["sharded"] == "true"  # 9460 s of recorded builds > --shard-above 7200
    stages = json.loads(outputs["stages"])
    assert int(outputs["count"]) == len(stages)
    plan = json.loads((runner.artifacts / "plan" / "plan.json").read_text())
    assert [[s["id"] for s in stage] for stage in plan["shards"]["stages"]] == stages
    assert [[s["recipes"] for s in stage] for stage in plan["shards"]["stages"]] == [
        [["recipes_emscripten/a"], ["recipes/tool"], ["recipes_emscripten/b"]],
        [["recipes_emscripten/e"], ["recipes_emscripten/d"], ["recipes_emscripten/g"]],
        [["recipes_emscripten/f"]],
    ]  # heaviest first, by the published channel's times
    for number, shard_ids in enumerate(stages, 1):
        for shard in shard_ids:
            runner.job(
                "build-stage.yml",
                "shard",
                {"inputs.stage": str(number), "matrix.shard": shard},
            )
    runner.job("build-pr.yml", "collect", {})
    sharded = runner.artifacts / "packages-and-logs"
    # the plan job saved the rendered recipes; every shard job restored them
    assert (runner.caches / "render-cache-HEAD" / "entries").is_file()

    unsharded_runner = Runner(fixture_repo, tmp_path / "unsharded")
    unsharded_runner.job("build-pr.yml", "build", {})
    unsharded = unsharded_runner.artifacts / "packages-and-logs" / "output"

    expected = channel_records(unsharded)
    assert len(expected) == 7
    got = channel_records(sharded)
    assert sorted(got) == sorted(expected)
    differences = [
        f"{name}: {key}: {got[name].get(key)!r} (sharded) != {expected[name].get(key)!r}"
        for name in sorted(expected)
        for key in sorted(set(got[name]) | set(expected[name]))
        if got[name].get(key) != expected[name].get(key)
    ]
    assert differences == []
    metadata = json.loads((sharded / "emci-metadata.json").read_text())["packages"]
    assert {entry["recipe"] for entry in metadata.values()} == {
        f"recipes_emscripten/{n}" for n in "abdefg"
    } | {"recipes/tool"}
