"""Rendered recipes kept on disk (`build/render-cache/entries`), so a plan renders only the
recipes that changed since the last run.

An entry is used only when its key matches, and the key covers everything a render depends
on: every file of the recipe's folder (names and bytes: recipe.yaml, a variants.yaml, build
scripts, patches), the repository's variant config, the target platform, the rattler-build
installed (its version and its library file) and emci itself (its version and the source
of the code that renders and stores recipes). An entry that does not match, does not parse,
or fails its own checksum is ignored and replaced by a fresh render: nothing read from the
cache is trusted beyond what the key and the checksum prove. Recipes that fail to render are
not stored. Only JSON is read, never pickles: a tampered file cannot run code.

The entries live in one file, one line each (`id TAB key TAB sha256 TAB body`, the body the
recipe as JSON and the sha256 over its bytes), read once and written once per command (a
temporary file renamed over the old one), only when an entry changed: a thousand files
would cost a thousand creations on a cold run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emci import __version__
from emci.recipes import Output, Recipe, Requirement, Requirements, RunExports, Source
from emci.settings import RECIPE_FOLDERS

log = logging.getLogger(__name__)

FORMAT = 4
KINDS = ("build", "host", "run", "test_build", "test_run")
RUN_EXPORTS = ("strong", "weak", "ignore_by_name", "ignore_from_package")
# Every field of the types an entry holds, in their order (a test checks them against the
# dataclasses: a new field must be stored and read here too).
STORED_FIELDS = {
    "Recipe": (
        "id",
        "name",
        "folder",
        "path",
        "target_platform",
        "outputs",
        "sources",
        "extra",
    ),
    "Output": (
        "name",
        "version",
        "build_string",
        "subdir",
        "variant",
        "requirements",
        "fingerprint",
        "test_files",
        "has_tests",
        "build_number",
        "run_exports",
    ),
    "RunExports": RUN_EXPORTS,
    "Requirements": KINDS,
    "Requirement": ("name", "spec", "pin"),
    "Source": ("urls", "sha256", "file_name"),
}


def rattler_build_identity() -> str:
    """The installed rattler-build: its distribution's version and its native library's size
    and modification time (a reinstall or upgrade changes them), found without importing it."""
    spec = importlib.util.find_spec("rattler_build")
    if spec is None or spec.origin is None:
        return "rattler-build: not installed"
    package = Path(spec.origin).parent
    parts = sorted(p.name for p in package.parent.glob("py_rattler_build-*.dist-info"))
    for library in sorted(package.glob("_rattler_build*.so")):
        stat = library.stat()
        parts.append(f"{library.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return ";".join(parts) or str(package)


def _code_identity() -> bytes:
    """emci's version and the source of the modules whose code shapes a cached entry."""
    from emci import recipes

    digest = hashlib.sha256(f"{FORMAT}:{__version__}".encode())
    for module_file in (recipes.__file__, __file__):
        digest.update(Path(module_file).read_bytes())
    return digest.digest()


class RenderCache:
    """The entries of `directory`, valid for one variant config file."""

    def __init__(self, directory: Path, variant_config: Path) -> None:
        self.directory = directory
        base = hashlib.sha256(_code_identity())
        base.update(rattler_build_identity().encode())
        try:
            base.update(variant_config.read_bytes())
        except OSError:
            base.update(b"no variant config")
        self._base = base
        self.hits = 0
        self.misses = 0
        self._stored: dict[str, list[bytes]] | None = None  # id -> [key, sha256, body]
        self._fresh: dict[str, list[bytes]] = {}  # entries to write

    @property
    def path(self) -> Path:
        return self.directory / "entries"

    def key(self, folder: str, target_platform: str, recipe_dir: Path) -> str:
        """The key of a recipe folder's render: its files' names and bytes, with the base."""
        digest = self._base.copy()
        digest.update(f"\0{folder}\0{target_platform}\0".encode())
        for relative, path in _files(str(recipe_dir)):
            with open(path, "rb") as handle:
                data = handle.read()
            digest.update(f"{relative}\0{len(data)}\0".encode())
            digest.update(data)
        return digest.hexdigest()

    def _entries(self) -> dict[str, list[bytes]]:
        """The stored entries by id, read once; a line that is not an entry is skipped."""
        if self._stored is None:
            self._stored = {}
            try:
                with open(self.path, "rb") as handle:
                    raw = handle.read()
            except OSError:
                return self._stored
            header, _, lines = raw.partition(b"\n")
            if header != f"emci-render-cache {FORMAT}".encode():
                return self._stored
            for line in lines.split(b"\n"):
                parts = line.split(b"\t", 3)
                if len(parts) == 4:
                    self._stored[parts[0].decode(errors="replace")] = parts[1:]
        return self._stored

    def load(self, recipe_id: str, key: str, recipe_path: Path) -> Recipe | None:
        """The cached recipe for `recipe_id` if its entry has this key and is intact."""
        entry = self._entries().get(recipe_id)
        try:
            if entry is None:
                raise ValueError("no entry")
            stored_key, checksum, body = entry
            if stored_key != key.encode():
                raise ValueError("another key")
            if hashlib.sha256(body).hexdigest().encode() != checksum:
                raise ValueError("checksum mismatch")
            recipe: Recipe = recipe_from_json(json.loads(body), recipe_id, recipe_path)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            log.debug("render cache: %s: not used (%s)", recipe_id, exc)
            self.misses += 1
            return None
        self.hits += 1
        self._fresh[recipe_id] = entry
        return recipe

    def store(self, recipe, key: str) -> None:
        """Keep a fresh render's entry for `save`."""
        try:
            body = json.dumps(recipe_to_json(recipe), separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:  # a value JSON cannot hold: render it each time
            log.debug("render cache: %s not stored: %s", recipe.id, exc)
            return
        checksum = hashlib.sha256(body).hexdigest().encode()
        self._fresh[recipe.id] = [key.encode(), checksum, body]

    def save(self, whole_tree: bool) -> None:
        """Write the entries used or made by this run (with the other stored ones unless
        this run saw the whole tree: entries of recipes that are gone are dropped), when
        anything changed. A cache that cannot be written is only a slower next run."""
        stored = self._entries()
        entries = dict(self._fresh) if whole_tree else {**stored, **self._fresh}
        if entries == stored:
            return
        for folder in RECIPE_FOLDERS:  # the one-file-per-recipe layout of earlier versions
            shutil.rmtree(self.directory / folder, ignore_errors=True)
        lines = [f"emci-render-cache {FORMAT}".encode()]
        lines += [b"\t".join([i.encode(), *entry]) for i, entry in sorted(entries.items())]
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(b"\n".join(lines) + b"\n")
            tmp.replace(self.path)
        except OSError as exc:
            log.debug("render cache: %s not written: %s", self.path, exc)
            tmp.unlink(missing_ok=True)
            return
        self._stored = entries


def _files(folder: str) -> list[tuple[str, str]]:
    """Every file under a recipe folder: (relative path, path), sorted; links followed."""
    found: list[tuple[str, str]] = []
    pending = [(folder, "")]
    while pending:
        directory, prefix = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir():
                    pending.append((entry.path, prefix + entry.name + "/"))
                elif entry.is_file():
                    found.append((prefix + entry.name, entry.path))
    found.sort()
    return found


# -- the entry format -----------------------------------------------------------------------


def recipe_to_json(recipe) -> dict[str, Any]:
    """The body of an entry. Requirements are listed once per recipe (`requirements`: name,
    spec, pin) and each output's kinds refer to them by index: less to parse and build."""
    table: dict[tuple[str, str, str], int] = {}

    def indices(requirements) -> list[int]:
        return [table.setdefault((r.name, r.spec, r.pin), len(table)) for r in requirements]

    outputs = [
        {
            "name": output.name,
            "version": output.version,
            "build_string": output.build_string,
            "subdir": output.subdir,
            "variant": dict(output.variant),
            "requirements": [indices(getattr(output.requirements, kind)) for kind in KINDS],
            "fingerprint": dict(output.fingerprint),
            "test_files": list(output.test_files),
            "has_tests": output.has_tests,
            "build_number": output.build_number,
            "run_exports": [list(getattr(output.run_exports, kind)) for kind in RUN_EXPORTS],
        }
        for output in recipe.outputs
    ]
    return {
        "name": recipe.name,
        "folder": recipe.folder,
        "target_platform": recipe.target_platform,
        "requirements": [list(triple) for triple in table],
        "outputs": outputs,
        "sources": [
            {"urls": list(s.urls), "sha256": s.sha256, "file_name": s.file_name}
            for s in recipe.sources
        ],
        "extra": recipe.extra,
    }


def recipe_from_json(data: Mapping[str, Any], recipe_id: str, path: Path) -> Recipe:
    """A Recipe from an entry's body; ValueError (or KeyError/TypeError/IndexError) on a
    malformed one. The checksum proved the body is what was stored; these checks catch an
    entry of another shape, cheaply (containers and scalars, not every string of every map):
    this runs for every recipe of a warm plan."""
    table = []
    for name, spec, pin in data["requirements"]:
        if type(name) is not str or type(spec) is not str or type(pin) is not str:
            raise ValueError("requirements: not [name, spec, pin] strings")
        table.append(Requirement(name, spec, pin))
    get = table.__getitem__
    outputs = []
    for item in data["outputs"]:
        build, host, run, test_build, test_run = item["requirements"]
        name, version = item["name"], item["version"]
        build_string, subdir = item["build_string"], item["subdir"]
        variant, fingerprint = item["variant"], item["fingerprint"]
        test_files, has_tests, number = item["test_files"], item["has_tests"], item["build_number"]
        exports = item["run_exports"]
        if type(exports) is not list or len(exports) != len(RUN_EXPORTS):
            raise ValueError(f"outputs: {name!r}: run_exports is not what emci stores")
        for names in exports:
            if type(names) is not list or not all(type(n) is str for n in names):
                raise ValueError(f"outputs: {name!r}: run_exports is not lists of names")
        if not (
            type(name) is str
            and type(version) is str
            and type(build_string) is str
            and type(subdir) is str
            and type(variant) is dict
            and type(fingerprint) is dict
            and type(test_files) is list
            and type(has_tests) is bool
            and type(number) is int
        ):
            raise ValueError(f"outputs: {name!r} is not what emci stores")
        requirements = Requirements(
            tuple(map(get, build)),
            tuple(map(get, host)),
            tuple(map(get, run)),
            tuple(map(get, test_build)),
            tuple(map(get, test_run)),
        )
        outputs.append(
            Output(
                name,
                version,
                build_string,
                subdir,
                variant,
                requirements,
                fingerprint,
                tuple(test_files),
                has_tests,
                number,
                RunExports(*map(tuple, exports)),
            )
        )
    sources = []
    for item in data["sources"]:
        urls = item["urls"]
        if type(urls) is not list:
            raise ValueError("sources: urls is not a list")
        sources.append(Source(tuple(urls), item["sha256"], item["file_name"]))
    name, folder, target, extra = (
        data["name"],
        data["folder"],
        data["target_platform"],
        data["extra"],
    )
    if not (type(name) is str and type(folder) is str and type(target) is str):
        raise ValueError("name, folder or target_platform is not a string")
    if type(extra) is not dict:
        raise ValueError("extra: not a mapping")
    return Recipe(recipe_id, name, folder, path, target, tuple(outputs), tuple(sources), extra)
