"""Sources that build offline: a content-addressed mirror and the providers that fill it.

The mirror is a directory keyed by sha256: `<mirror>/<sha256>/<file name>`. Before a build,
`stage_recipe` copies the recipe folder under `build/` and, for every URL source whose
sha256 is in the mirror, puts the mirror's `file://` URL first in that source's URL list
(rattler-build tries a list of URLs in order and checks the sha256 either way). Recipes in
the repository are never edited.

`fetch` fills the mirror: from the recipe's URL when it is reachable, else through a
provider declared in the recipe's `extra.sources`:

    extra:
      sources:
        debian: zlib            # Debian source package, via `apt-get source --download-only`
        debian: libffi/trixie   # ... from another Debian release than the machine's own
        pypi: PyYAML==6.0.2     # PyPI sdist file from pip's index (pypi.py)

A PyPI sdist's URL is written `pypi://<project>/<file>` (no registry host in the repository);
only the `pypi` provider can fetch it. A file is kept only when its sha256 matches the
recipe's.

Read-only mirrors (settings: EMCI_READONLY_MIRRORS or `[tool.emci] readonly_mirrors`) have
the same layout and are searched after the writable one; nothing is ever written to them.
When a file is in no mirror and neither its URLs nor its providers deliver it, a substitute
listed in a mirror's `substitutes/INDEX.tsv` may stand in for it (see substitutes.py): the
fetch result says so, and staging then points the source at the substitute and records the
substitution in the staged recipe's `extra`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from ruamel.yaml import YAML

from emci.errors import Problems, SourceError, SourceUnavailable
from emci.pypi import download_sdist
from emci.recipes import Recipe, Source
from emci.settings import Settings
from emci.substitutes import EXTRA_KEY, Substitute, load_substitutes

log = logging.getLogger(__name__)

URL_TIMEOUT = 20


@dataclass(frozen=True)
class Mirror:
    """The writable mirror `root`, then read-only mirrors searched in order after it."""

    root: Path
    readonly: tuple[Path, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Mirror:
        return cls(settings.mirror, settings.readonly_mirrors)

    @property
    def roots(self) -> tuple[Path, ...]:
        return (self.root, *self.readonly)

    def path_for(self, sha256: str, file_name: str) -> Path:
        if not is_sha256(sha256):
            raise SourceError(f"{sha256!r} is not a sha256 digest")
        return self.root / sha256.lower() / file_name

    def lookup(self, sha256: str | None) -> Path | None:
        if not sha256 or not is_sha256(sha256):
            return None
        for root in self.roots:
            folder = root / sha256.lower()
            if folder.is_dir():
                for candidate in sorted(folder.iterdir()):
                    if candidate.is_file() and not candidate.name.startswith("."):
                        return candidate
        return None

    def is_readonly(self, path: Path) -> bool:
        return any(path.is_relative_to(root) for root in self.readonly)

    @cached_property
    def substitutes(self) -> dict[str, Substitute]:
        """Substitutes listed by the mirrors, keyed by the upstream sha256 they stand in for."""
        return load_substitutes(self.roots)

    def add(self, recipe: str, source: Source, downloaded: Path) -> Path:
        """Move a downloaded file into the mirror after checking its sha256."""
        actual = sha256_of(downloaded)
        expected = (source.sha256 or "").lower()
        if actual != expected:
            raise SourceError(
                f"{recipe}: sha256 mismatch for {file_name_of(source, recipe)}: "
                f"expected {expected}, got {actual}"
            )
        target = self.path_for(expected, file_name_of(source, recipe))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(downloaded, tmp)
        tmp.replace(target)
        return target


def is_sha256(text: str) -> bool:
    return re.fullmatch(r"[0-9a-fA-F]{64}", text) is not None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_name_problem(source: Source) -> tuple[str, str] | None:
    """(field, reason) when the source's file name could leave the folder it is written
    to (a path, `..`, a separator) or hide in it (a leading dot); None when it is fine."""
    field = "source.file_name" if source.file_name else "source.url"
    name = source.file_name if source.file_name else _url_file_name(source)
    if (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\0" in name
        or name.startswith(".")
    ):
        return field, (
            f"{name!r} is not a plain file name (no folder, separator, '..' or leading dot)"
        )
    return None


def _url_file_name(source: Source) -> str:
    return PurePosixPath(source.urls[0].split("?")[0].split("#")[0]).name or "source"


def file_name_of(source: Source, where: str) -> str:
    """The file name a source is stored under; a SourceError naming `where` (the recipe)
    and the field when it is not a plain file name."""
    problem = file_name_problem(source)
    if problem is not None:
        raise SourceError(f"{where}: {problem[0]}: {problem[1]}")
    return source.file_name or _url_file_name(source)


# -- staging ---------------------------------------------------------------------------------


def stage_recipe(
    recipe: Recipe, mirror: Mirror, stage_root: Path, substitutes: Iterable[Substitute] = ()
) -> Path:
    """A copy of the recipe folder whose URL sources try the mirror first; returns its yaml.

    `substitutes` are the substitutions `fetch` decided for this recipe: a source in no
    mirror whose sha256 one of them stands in for is pointed at the substitute file alone
    (with the substitute's sha256), and the substitution is listed under the staged recipe's
    `extra.emci-source-substitutes`, which the package keeps in `info/about.json`."""
    target = stage_root / recipe.id
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(recipe.directory, target)
    staged = target / recipe.path.name
    yaml = YAML()
    yaml.preserve_quotes = True
    data = yaml.load(staged.read_text())
    by_upstream = {s.upstream_sha256: s for s in substitutes}
    if _point_sources_at_mirror(data, mirror, by_upstream):
        with staged.open("w") as handle:
            yaml.dump(data, handle)
    return staged


def _point_sources_at_mirror(
    data: Any, mirror: Mirror, substitutes: Mapping[str, Substitute]
) -> bool:
    changed = False
    used: list[dict[str, Any]] = []
    containers = []
    if isinstance(data, Mapping):
        containers.append(data.get("source"))
        for output in data.get("outputs", []) or []:
            if isinstance(output, Mapping):
                containers.append(output.get("source"))
    for container in containers:
        entries = container if isinstance(container, list) else [container]
        for entry in entries:
            if not isinstance(entry, Mapping) or "url" not in entry:
                continue
            sha256 = str(entry.get("sha256", "")).lower()
            local = mirror.lookup(sha256)
            if local is None:
                substitute = substitutes.get(sha256)
                if substitute is None:
                    continue
                entry["url"] = [substitute.path.resolve().as_uri()]
                entry["sha256"] = substitute.sha256
                used.append(substitute.record())
                changed = True
                continue
            urls = entry["url"] if isinstance(entry["url"], list) else [entry["url"]]
            # The mirror keeps the URL's file name, so the archive type is still known.
            entry["url"] = [local.resolve().as_uri(), *urls]
            changed = True
    if used:
        extra = data.get("extra")
        if not isinstance(extra, Mapping):
            data["extra"] = extra = {}
        extra[EXTRA_KEY] = used
    return changed


# -- fetching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchResult:
    recipe: str
    file_name: str
    # "mirror" (already there), "read-only mirror", "url", a provider ("debian", "pypi"),
    # or "substitute" (the upstream file cannot be had; `substitute` stands in for it)
    how: str
    substitute: Substitute | None = None


@dataclass
class FetchReport:
    """What `fetch_all` put in (or found in) the mirror, and every recipe it could not."""

    results: list[FetchResult]
    problems: list[str]

    def check(self) -> None:
        if self.problems:
            raise Problems(self.problems, f"{len(self.problems)} recipe(s) cannot be fetched")

    def substitutes(self) -> dict[str, list[Substitute]]:
        """The substitutes chosen for sources that cannot be had, by recipe id."""
        chosen: dict[str, list[Substitute]] = {}
        for result in self.results:
            if result.substitute is not None:
                chosen.setdefault(result.recipe, []).append(result.substitute)
        return chosen


def fetch_all(
    recipes: Mapping[str, Recipe], ids: Iterable[str], mirror: Mirror, not_rendered=None
) -> FetchReport:
    """Fetch the sources of every recipe in `ids`; a failure does not stop the others.
    `not_rendered` (id -> why) explains ids that are not among `recipes`."""
    report = FetchReport([], [])
    for recipe_id in ids:
        recipe = recipes.get(recipe_id)
        if recipe is None:
            why = (not_rendered or {}).get(recipe_id, f"{recipe_id}: no such recipe")
            report.problems.append(f"{why}; its sources cannot be fetched")
            continue
        try:
            report.results += fetch(recipe, mirror)
        except SourceError as exc:
            report.problems.append(str(exc))
    return report


def fetch(recipe: Recipe, mirror: Mirror) -> list[FetchResult]:
    """Make sure every URL source of `recipe` is in a mirror, or else has a substitute."""
    where = str(recipe.path)
    for source in recipe.sources:  # every source checked before anything is written
        if not source.sha256:
            raise SourceError(f"{where}: source {source.urls[0]} has no sha256")
        if not is_sha256(source.sha256):
            raise SourceError(f"{where}: source.sha256: {source.sha256!r} is not a sha256")
        file_name_of(source, where)
    results = []
    for source in recipe.sources:
        found = mirror.lookup(source.sha256)
        if found:
            how = "read-only mirror" if mirror.is_readonly(found) else "mirror"
            results.append(FetchResult(recipe.id, file_name_of(source, where), how))
            continue
        try:
            results.append(_fetch_one(recipe, source, mirror))
        except SourceUnavailable as exc:
            substitute = mirror.substitutes.get(source.sha256.lower())
            if substitute is None:
                raise
            check_substitute(substitute)
            log.warning(
                "%s: using a substitute for %s (sha256 %s): %s, made from %s, without %s; "
                "the upstream file cannot be had: %s",
                recipe.id,
                file_name_of(source, where),
                source.sha256,
                substitute.path,
                substitute.made_from,
                ", ".join(substitute.missing_paths) or "nothing listed",
                exc,
            )
            results.append(
                FetchResult(recipe.id, file_name_of(source, where), "substitute", substitute)
            )
    return results


def check_substitute(substitute: Substitute) -> Path:
    """The substitute file, after checking it exists and has the sha256 its folder names."""
    if not substitute.path.is_file():
        raise SourceError(f"{substitute.index}: substitute {substitute.path} does not exist")
    actual = sha256_of(substitute.path)
    if actual != substitute.sha256:
        raise SourceError(
            f"{substitute.index}: substitute {substitute.path}: expected sha256 "
            f"{substitute.sha256} (its folder name), got {actual}"
        )
    return substitute.path


def _fetch_one(recipe: Recipe, source: Source, mirror: Mirror) -> FetchResult:
    file_name = file_name_of(source, str(recipe.path))
    errors = []
    with tempfile.TemporaryDirectory(prefix="emci-fetch-") as tmp:
        for url in source.urls:
            try:
                downloaded = _download(url, Path(tmp) / file_name)
            except (OSError, urllib.error.URLError) as exc:
                errors.append(f"{url}: {exc}")
                continue
            mirror.add(str(recipe.path), source, downloaded)
            return FetchResult(recipe.id, file_name, "url")
        providers = (recipe.extra or {}).get("sources", {}) or {}
        for kind, spec in providers.items():
            provider = PROVIDERS.get(kind)
            if provider is None:
                raise SourceError(
                    f"{recipe.path}: extra.sources.{kind}: unknown provider "
                    f"(known: {', '.join(sorted(PROVIDERS))})"
                )
            folder = Path(tmp) / kind
            folder.mkdir()
            try:
                candidates = provider(str(spec), folder)
            except SourceError as exc:
                errors.append(str(exc))
                continue
            match = _matching(candidates, source.sha256 or "")
            if match is None:
                same_name = [p for p in candidates if p.name == file_name]
                if same_name:
                    raise SourceError(
                        f"{recipe.path}: sha256 mismatch for {same_name[0].name} "
                        f"(from {kind} {spec}): expected {source.sha256}, "
                        f"got {sha256_of(same_name[0])}"
                    )
                names = ", ".join(p.name for p in candidates) or "no files"
                errors.append(f"{kind} {spec}: none of {names} has sha256 {source.sha256}")
                continue
            mirror.add(str(recipe.path), source, match)
            return FetchResult(recipe.id, file_name, kind)
    detail = "; ".join(errors) if errors else "no URL and no provider in extra.sources"
    raise SourceUnavailable(f"{recipe.path}: cannot fetch {file_name}: {detail}")


def _matching(candidates: list[Path], sha256: str) -> Path | None:
    for candidate in candidates:
        if sha256_of(candidate) == sha256.lower():
            return candidate
    return None


def _download(url: str, target: Path) -> Path:
    if url.startswith("file://"):
        shutil.copyfile(urllib.request.url2pathname(url[len("file://") :]), target)
        return target
    with urllib.request.urlopen(url, timeout=URL_TIMEOUT) as response, target.open("wb") as out:
        shutil.copyfileobj(response, out)
    return target


def _run(command: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> None:
    try:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, check=False, env=env
        )
    except FileNotFoundError:
        raise SourceError(f"{command[0]} is not installed (not found on PATH)") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["failed"]
        raise SourceError(f"{' '.join(command[:3])}: {tail[0]}")


def debian_source(spec: str, folder: Path) -> list[Path]:
    """Files of a Debian source package, using the machine's apt sources as deb-src.

    `spec` is a source package name, or `name/release` for a release other than the
    machine's (the machine's archive locations are reused with that release's name)."""
    release = spec.partition("/")[2]
    state = folder / ".apt"
    parts = state / "sources.list.d"
    lists = state / "lists"
    (lists / "partial").mkdir(parents=True)
    parts.mkdir(parents=True)
    for source_file in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        text = source_file.read_text().replace("Types: deb\n", "Types: deb-src\n")
        (parts / source_file.name).write_text(_with_release(text, release) if release else text)
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        lines = [
            ln.replace("deb ", "deb-src ", 1)
            for ln in legacy.read_text().splitlines()
            if ln.startswith("deb ")
        ]
        if release:
            lines = [_legacy_line_with_release(ln, release) for ln in lines]
        (parts / "legacy.list").write_text("\n".join(lines) + "\n")
    options = [
        "-o",
        "Dir::Etc::SourceList=/dev/null",
        "-o",
        f"Dir::Etc::SourceParts={parts}",
        "-o",
        f"Dir::State::Lists={lists}",
        "-o",
        "APT::Sandbox::User=root",
    ]
    _run(["apt-get", *options, "update", "-qq"], folder)
    try:
        _run(["apt-get", *options, "source", "--download-only", spec], folder)
    except SourceError as newest_failed:
        # apt gives up when one file of a source package is missing from the archive
        # (seen with a .dsc), although the tarballs arrived: keep what was downloaded.
        # An archive can also list a version whose files it does not serve (a security
        # update newer than the mirror's snapshot): the other versions it lists, which
        # usually share the upstream tarball, are tried, newest first.
        if not _downloaded(folder):
            _each_listed_version(spec.partition("/")[0], options, folder, newest_failed)
    return _downloaded(folder)


def _downloaded(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file())


def _each_listed_version(
    name: str, options: list[str], folder: Path, newest_failed: SourceError
) -> None:
    """`apt-get source NAME=VERSION` for each version of source package `name` that the
    archive lists, newest first, until one downloads."""
    listed = subprocess.run(
        ["apt-cache", *options, "showsrc", name],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    versions: list[str] = []
    package = ""
    for line in listed.splitlines():
        key, _, value = line.partition(": ")
        if key == "Package":
            package = value.strip()
        elif key == "Version" and package == name and value.strip() not in versions:
            versions.append(value.strip())
    by_version = functools.cmp_to_key(_compare_debian_versions)
    newest_first = sorted(versions, key=by_version, reverse=True)
    for version in newest_first:
        try:
            _run(["apt-get", *options, "source", "--download-only", f"{name}={version}"], folder)
        except SourceError:
            pass
        if _downloaded(folder):
            return
    raise newest_failed


def _compare_debian_versions(a: str, b: str) -> int:
    """Debian's version order (`dpkg --compare-versions`)."""
    if a == b:
        return 0
    less = subprocess.run(["dpkg", "--compare-versions", a, "lt", b], check=False)
    return -1 if less.returncode == 0 else 1


def _machine_release() -> str:
    """The machine's Debian codename (e.g. bookworm), from /etc/os-release."""
    for line in Path("/etc/os-release").read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "VERSION_CODENAME" and value.strip('"'):
            return value.strip('"')
    raise SourceError("/etc/os-release: no VERSION_CODENAME; cannot pick a Debian release")


def _with_release(deb822: str, release: str) -> str:
    """deb822 sources where the machine's own suite (e.g. bookworm) is replaced by `release`;
    -updates, -security and other archives' suites stay as they are."""
    own = _machine_release()
    lines = []
    for line in deb822.splitlines():
        if line.startswith("Suites:"):
            suites = [release if suite == own else suite for suite in line.split()[1:]]
            line = "Suites: " + " ".join(suites)
        lines.append(line)
    return "\n".join(lines) + "\n"


def _legacy_line_with_release(line: str, release: str) -> str:
    """A one-line `deb-src [OPTIONS] URI SUITE COMPONENTS...` entry moved to `release` when
    its suite is the machine's own."""
    fields = line.split()
    uri_at = 1
    if len(fields) > 1 and fields[1].startswith("["):  # options: [a=b c=d]
        uri_at = next((i for i, f in enumerate(fields) if f.endswith("]")), len(fields)) + 1
    suite_at = uri_at + 1
    if len(fields) > suite_at and fields[suite_at] == _machine_release():
        fields[suite_at] = release
    return " ".join(fields)


def pypi_sdist(requirement: str, folder: Path) -> list[Path]:
    """A PyPI sdist file from pip's configured index (pypi.py: its build backend never runs)."""
    return [download_sdist(requirement, folder)]


PROVIDERS = {"debian": debian_source, "pypi": pypi_sdist}
