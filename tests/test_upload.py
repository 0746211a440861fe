"""Publishing to a directory channel: concurrency, immutability, validation, guards."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from emci.upload import UploadError, check_upload_allowed, upload_to_directory


def build_dummies(root: Path, count: int = 50) -> list[Path]:
    """`count` small noarch packages, really built by rattler-build (one multi-output recipe)."""
    import rattler_build

    root.mkdir(parents=True, exist_ok=True)
    outputs = "".join(
        f"  - package: {{name: dummy{i:02d}}}\n"
        f"    build:\n      noarch: generic\n      script:\n"
        f"        - mkdir -p $PREFIX/share/dummy\n"
        f"        - echo {i} > $PREFIX/share/dummy/dummy{i:02d}.txt\n"
        for i in range(count)
    )
    recipe = root / "recipe.yaml"
    recipe.write_text(
        'recipe: {name: dummies, version: "1.0"}\nbuild: {number: 0}\noutputs:\n' + outputs
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        rattler_build.build_recipes(
            [recipe], channel=[str(root / "none")], test="skip", output_dir=root / "out"
        )
    files = sorted((root / "out" / "noarch").glob("*.conda"))
    assert len(files) == count
    return files


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> list[Path]:
    return build_dummies(tmp_path_factory.mktemp("fifty"))


def emci(*args: str, env: dict | None = None, cwd: Path | None = None):
    return subprocess.Popen(
        [sys.executable, "-m", "emci", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )


def repodata(channel: Path) -> dict:
    return json.loads((channel / "noarch" / "repodata.json").read_text())["packages.conda"]


def test_two_concurrent_uploads_lose_nothing(packages: list[Path], tmp_path: Path):
    channel = tmp_path / "channel"
    first = emci("upload", "--to", str(channel), *map(str, packages[:25]))
    second = emci("upload", "--to", str(channel), *map(str, packages[25:]))
    for process in (first, second):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    entries = repodata(channel)
    assert sorted(entries) == sorted(p.name for p in packages)
    for name, entry in entries.items():
        digest = hashlib.sha256((channel / "noarch" / name).read_bytes()).hexdigest()
        assert entry["sha256"] == digest
    leftovers = [p.name for p in channel.rglob("*") if p.name.endswith(".tmp") or p.name == ".tmp"]
    assert leftovers == []


def test_same_bytes_again_is_a_no_op(packages: list[Path], tmp_path: Path):
    channel = tmp_path / "channel"
    assert [r.status for r in upload_to_directory(packages[:2], channel)] == ["added", "added"]
    before = (channel / "noarch" / "repodata.json").read_bytes()
    assert [r.status for r in upload_to_directory(packages[:2], channel)] == [
        "unchanged",
        "unchanged",
    ]
    assert (channel / "noarch" / "repodata.json").read_bytes() == before


def test_changed_bytes_under_the_same_name_are_refused(packages: list[Path], tmp_path: Path):
    channel = tmp_path / "channel"
    upload_to_directory(packages[:1], channel)
    snapshot = {p: p.read_bytes() for p in channel.rglob("*") if p.is_file()}
    impostor = tmp_path / "impostor" / packages[0].name
    impostor.parent.mkdir()
    shutil.copy(packages[1], impostor)  # another package's bytes under the first one's name
    with pytest.raises(UploadError):
        upload_to_directory([impostor], channel)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "emci",
            "upload",
            "--to",
            str(channel),
            str(packages[2]),
            str(impostor.with_name("x.conda")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert {p: p.read_bytes() for p in channel.rglob("*") if p.is_file()} == snapshot


def test_a_different_package_under_a_valid_name_is_immutable(packages: list[Path], tmp_path: Path):
    channel = tmp_path / "channel"
    upload_to_directory(packages[:1], channel)
    target = channel / "noarch" / packages[0].name
    original = target.read_bytes()
    # same name, same metadata, other bytes: a rebuild without a build-number bump
    rebuilt = tmp_path / "rebuilt" / packages[0].name
    rebuilt.parent.mkdir()
    rebuilt.write_bytes(original)
    with rebuilt.open("ab") as handle:
        handle.write(b"\0")  # still readable by the package reader? if not, refused anyway
    with pytest.raises(UploadError, match="(immutable|cannot read)"):
        upload_to_directory([rebuilt], channel)
    assert target.read_bytes() == original


def test_pull_request_runs_refuse_to_upload(packages: list[Path], tmp_path: Path):
    env = {
        **os.environ,
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_REF": "refs/pull/1/merge",
    }
    process = emci("upload", "--to", str(tmp_path / "channel"), str(packages[0]), env=env)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "refusing to upload from a GitHub Actions 'pull_request' run" in err
    assert not (tmp_path / "channel").exists()


@pytest.mark.parametrize(
    "event, ref, allowed",
    [
        ("push", "refs/heads/main", True),
        ("schedule", "refs/heads/main", True),
        ("workflow_dispatch", "refs/heads/main", True),
        ("push", "refs/heads/feature", False),
        ("pull_request_target", "refs/heads/main", False),
    ],
)
def test_upload_guard(event: str, ref: str, allowed: bool):
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event, "GITHUB_REF": ref}
    if allowed:
        check_upload_allowed(env)
    else:
        with pytest.raises(UploadError, match="refusing"):
            check_upload_allowed(env)
    check_upload_allowed({})  # outside GitHub Actions: allowed


def test_metadata_with_short_recipe_names_reads_and_migrates_on_the_next_write(
    packages: list[Path], tmp_path: Path
):
    from emci.channel_meta import read_metadata
    from emci.publish import publish

    channel = tmp_path / "channel"
    (channel / "noarch").mkdir(parents=True)
    old = {"packages": {"noarch/old-1-0.conda": {"recipe": "zlib", "tests": "passed"}}}
    (channel / "emci-metadata.json").write_text(json.dumps(old))
    assert read_metadata(channel)["noarch/old-1-0.conda"]["recipe"] == "zlib"  # still reads
    stage = tmp_path / "stage" / "noarch"
    stage.mkdir(parents=True)
    shutil.copy(packages[0], stage)
    publish(
        stage.parent,
        channel,
        {"recipe": "recipes_emscripten/dummies"},
        {"zlib": "recipes_emscripten/zlib"},
    )
    metadata = read_metadata(channel)
    assert metadata["noarch/old-1-0.conda"] == {
        "recipe": "recipes_emscripten/zlib",
        "tests": "passed",
    }
    assert metadata[f"noarch/{packages[0].name}"]["recipe"] == "recipes_emscripten/dummies"


def published(tmp_path: Path, name: str, files: list[Path], seconds: float) -> Path:
    """A build channel as `emci build` leaves it: packages published with build metadata."""
    from emci.publish import publish

    stage = tmp_path / f"{name}-stage" / "noarch"
    stage.mkdir(parents=True)
    for file in files:
        shutil.copy(file, stage)
    channel = tmp_path / name
    publish(stage.parent, channel, {"recipe": f"recipes/{name}", "build_seconds": seconds})
    return channel


def test_channel_merge_hands_packages_and_build_metadata_on(packages: list[Path], tmp_path):
    from emci.channel_meta import read_metadata

    first = published(tmp_path, "first", packages[:3], 10)
    second = published(tmp_path, "second", packages[2:5], 20)  # packages[2] in both
    target = tmp_path / "merged"
    done = subprocess.run(
        [sys.executable, "-m", "emci", "channel", "merge", str(target), str(first), str(second)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(repodata(target)) == sorted(p.name for p in packages[:5])
    metadata = read_metadata(target)
    assert metadata[f"noarch/{packages[0].name}"] == {
        "recipe": "recipes/first",
        "build_seconds": 10,
    }  # what the build recorded, and no upload time: nothing was uploaded
    assert metadata[f"noarch/{packages[4].name}"]["build_seconds"] == 20
    # merging again changes nothing; no sources gives an empty, valid channel
    before = (target / "noarch" / "repodata.json").read_bytes()
    from emci.upload import merge_channels

    assert {r.status for r in merge_channels([first, second], target)} == {"unchanged"}
    assert (target / "noarch" / "repodata.json").read_bytes() == before
    assert merge_channels([], tmp_path / "empty") == []
    assert json.loads((tmp_path / "empty" / "noarch" / "repodata.json").read_text())


def rezip(package: Path) -> None:
    """The same .conda (a zip) written again with a comment: a valid package, other bytes."""
    import zipfile

    copy = package.with_name(package.name + ".orig")
    package.rename(copy)
    with zipfile.ZipFile(copy) as source, zipfile.ZipFile(package, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.comment = b"rebuilt"
    copy.unlink()


def test_channel_merge_refuses_one_file_name_with_two_contents(packages: list[Path], tmp_path):
    from emci.upload import merge_channels

    first = published(tmp_path, "first", packages[:1], 10)
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(packages[0], other / "x.conda")
    # the same package rebuilt (other bytes) under its name, in another stage's channel
    rebuilt = published(tmp_path, "rebuilt", packages[:1], 10)
    rezip(rebuilt / "noarch" / packages[0].name)  # other bytes; name and metadata the same
    with pytest.raises(UploadError, match="different content"):
        merge_channels([first, rebuilt], tmp_path / "merged")
    assert not (tmp_path / "merged" / "noarch" / packages[0].name).exists()
    done = subprocess.run(
        [sys.executable, "-m", "emci", "channel", "merge", str(tmp_path / "m"), str(other / "x")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "not a channel directory" in done.stderr


def upload_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "emci", "upload", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        check=False,
        timeout=300,
    )


def test_a_server_url_without_kind_is_an_error(packages: list[Path], tmp_path: Path):
    done = upload_cli("--to", "https://channel.example/emci", str(packages[0]), cwd=tmp_path)
    assert done.returncode == 1
    assert "--to https://channel.example/emci is a server URL: give its --kind" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no folder named `https:` or anything else
    done = upload_cli(
        "--kind", "dir", "--to", "https://channel.example/emci", str(packages[0]), cwd=tmp_path
    )
    assert done.returncode == 1 and "--kind dir takes a directory" in done.stderr
    assert list(tmp_path.iterdir()) == []


def documented_uploads() -> list[list[str]]:
    """The `emci upload` command lines of docs/maintainers.md, without their variables."""
    text = (REPO_ROOT / "docs" / "maintainers.md").read_text()
    lines = [ln.split("#")[0] for ln in text.splitlines() if "emci upload" in ln]
    commands = [shlex.split(ln) for ln in lines if ln.lstrip().split(" ")[0].endswith("...")]
    commands += [shlex.split(ln) for ln in lines if ln.startswith("emci upload")]
    return [c[c.index("upload") + 1 :] for c in commands]


def test_the_documented_upload_commands_parse_as_written():
    from emci.cli import upload
    from emci.upload import UploadTarget, resolve_target

    targets = {}
    for args in documented_uploads():
        params = upload.make_context("upload", list(args)).params
        target = resolve_target(params["kind"], params["target"], params["channel_name"])
        targets[target.kind] = target
    assert targets["dir"] == UploadTarget("dir", "channel/")
    # anaconda without --to: rattler-build's own default server, not a folder named `channel`
    assert targets["anaconda"] == UploadTarget("anaconda", None, "OWNER[/LABEL]")
    assert sorted(targets) == ["anaconda", "artifactory", "dir", "prefix", "quetz"]
    assert all(
        t.location.startswith("https://")
        for k, t in targets.items()
        if k not in ("dir", "anaconda")
    )


HOSTED = {
    "prefix": "PREFIX_API_KEY",
    "anaconda": "ANACONDA_API_KEY",
    "artifactory": "ARTIFACTORY_TOKEN",
}


@pytest.mark.parametrize("kind", sorted(HOSTED))
def test_hosted_kinds_upload_to_a_server_speaking_their_api(kind: str, packages: list[Path]):
    from fake_channels import FakeChannels

    files = packages[:2]
    channel = {"anaconda": "emci-org/dev"}.get(kind, "emci-wasm")
    with FakeChannels("t0ken-value") as server:
        done = upload_cli(
            "--kind",
            kind,
            "--to",
            server.url,
            "--channel",
            channel,
            *map(str, files),
            env={HOSTED[kind]: "t0ken-value"},
        )
        assert done.returncode == 0, done.stderr
        where = {
            "prefix": "prefix:emci-wasm",
            "anaconda": "anaconda:emci-org/dev/noarch",
            "artifactory": "artifactory:emci-wasm/noarch",
        }[kind]
        assert server.uploads == {f"{where}/{f.name}": f.read_bytes() for f in files}
        if kind == "anaconda":
            assert (
                server.requests.count(
                    f"POST /commit/emci-org/{files[0].name.split('-')[0]}"
                    f"/1.0/noarch/{files[0].name}"
                )
                == 1
            )
        if kind == "prefix":  # a re-run (main rebuilt nothing new) skips what is there
            again = upload_cli(
                "--kind",
                kind,
                "--to",
                server.url,
                "--channel",
                channel,
                *map(str, packages[:3]),
                env={HOSTED[kind]: "t0ken-value"},
            )
            assert again.returncode == 0, again.stderr
            assert f"{where}/{packages[2].name}" in server.uploads


def test_a_pasted_secret_with_a_trailing_newline_still_uploads(packages: list[Path]):
    from fake_channels import FakeChannels

    with FakeChannels("t0ken-value") as server:
        done = upload_cli(
            "--kind",
            "anaconda",
            "--to",
            server.url,
            "--channel",
            "emci-org",
            str(packages[0]),
            env={"ANACONDA_API_KEY": "t0ken-value\n"},
        )
        assert done.returncode == 0, done.stderr
        assert list(server.uploads) == [f"anaconda:emci-org/main/noarch/{packages[0].name}"]


@pytest.mark.parametrize(
    "kind, status",
    [("quetz", 401), ("prefix", 401), ("prefix", 500), ("anaconda", 403), ("artifactory", 401)],
)
def test_a_server_echoing_the_token_never_gets_it_printed(
    kind: str, status: int, packages: list[Path]
):
    from fake_channels import FakeChannels

    secret = "s3cr3t-token-value"
    credential = {**HOSTED, "quetz": "QUETZ_API_KEY"}[kind]
    with FakeChannels(secret, echo_token=True, status=status) as server:
        done = upload_cli(
            "--kind",
            kind,
            "--to",
            server.url,
            "--channel",
            "chan",
            str(packages[0]),
            env={credential: secret},
        )
        assert server.requests  # the server was asked, and answered with the token
    assert done.returncode == 1
    assert secret not in done.stdout + done.stderr
    errors = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(errors) == 1 and f"upload to {kind} {server.url} failed" in errors[0], errors
    assert "Traceback" not in done.stderr
    missing = upload_cli(
        "--kind",
        kind,
        "--to",
        server.url,
        "--channel",
        "chan",
        str(packages[0]),
        env={credential: ""},
    )
    assert missing.returncode == 1 and f"${credential}" in missing.stderr


@pytest.mark.parametrize("how", ["renamed", "wrong subdir"])
def test_publish_takes_names_from_the_packages_own_metadata(
    how: str, packages: list[Path], tmp_path: Path
):
    from emci.publish import publish

    stage = tmp_path / "stage"
    if how == "renamed":  # a file whose name is not its package's
        staged = stage / "noarch" / "other-9.9-0.conda"
    else:  # a noarch package in another subdir's folder
        staged = stage / "emscripten-wasm32" / packages[0].name
    staged.parent.mkdir(parents=True)
    shutil.copy(packages[0], staged)
    channel = tmp_path / "channel"
    with pytest.raises(UploadError) as error:
        publish(stage, channel, {"recipe": "recipes_emscripten/dummies"})
    assert str(staged) in str(error.value)
    assert not any(p.suffix == ".conda" for p in channel.rglob("*"))
