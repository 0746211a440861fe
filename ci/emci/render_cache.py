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
from pathlib import Path
from typing import Any

from emci import __version__
from emci.recipes import Output, Recipe, Requirement, Requirements, RunExports, Source
from emci.settings import RECIPE_FOLDERS

log = logging.getLogger(__name__)

FORMAT = 5
KINDS = ("build", "host", "run", "test_build", "test_run")
RUN_EXPORTS = ("strong", "weak", "ignore_by_name", "ignore_from_package")
# Every field of the types an entry holds, in their order (a test checks them against the
# dataclasses: a new field must be stored and read here too, or be listed in NOT_STORED).
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
# An entry's body: a Recipe's stored fields but its id and path (the entry's id and the file
# it was found at), with the recipe's requirements listed once; an output's `requirements`
# are five lists (KINDS) of indices into that list.
BODY = ("name", "folder", "target_platform", "requirements", "outputs", "sources", "extra")
# Fields a cached recipe leaves out, and why.
NOT_STORED = {
    # made only by the build number rule's own renders (identity.py), never by a tree's
    "Output": ("fingerprint",),
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


# one encoder for every entry (json.dumps with options makes a new one per call); the bodies
# are trees of lists without cycles
_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


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
            with open(path, "rb", buffering=0) as handle:  # one read, no buffer object
                data = handle.readall()
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
            body = _ENCODER.encode(recipe_to_json(recipe)).encode()
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


def recipe_to_json(recipe) -> list[Any]:
    """The body of an entry: lists in `STORED_FIELDS` order, not objects (less to write,
    parse and check). Requirements are listed once per recipe (name, spec, pin) and each
    output's kinds refer to them by index."""
    table: dict[tuple[str, str, str], int] = {}

    def indices(requirements) -> list[int]:
        return [table.setdefault((r.name, r.spec, r.pin), len(table)) for r in requirements]

    outputs = []
    for output in recipe.outputs:
        kinds = output.requirements
        outputs.append(
            [
                output.name,
                output.version,
                output.build_string,
                output.subdir,
                output.variant,
                [
                    indices(kinds.build),
                    indices(kinds.host),
                    indices(kinds.run),
                    indices(kinds.test_build),
                    indices(kinds.test_run),
                ],
                output.test_files,
                output.has_tests,
                output.build_number,
                [list(getattr(output.run_exports, kind)) for kind in RUN_EXPORTS],
            ]
        )
    return [
        recipe.name,
        recipe.folder,
        recipe.target_platform,
        list(table),
        outputs,
        [[s.urls, s.sha256, s.file_name] for s in recipe.sources],
        recipe.extra,
    ]


def recipe_from_json(data: list[Any], recipe_id: str, path: Path) -> Recipe:
    """A Recipe from an entry's body; ValueError (or TypeError/IndexError) on a malformed
    one. The checksum proved the body is what was stored; these checks catch an entry of
    another shape, cheaply (containers and scalars, not every string of every map): this
    runs for every recipe of a warm plan."""
    name, folder, target, requirements, stored_outputs, stored_sources, extra = data
    table = []
    for req_name, spec, pin in requirements:
        if type(req_name) is not str or type(spec) is not str or type(pin) is not str:
            raise ValueError("requirements: not [name, spec, pin] strings")
        table.append(Requirement(req_name, spec, pin))
    get = table.__getitem__
    outputs = []
    for item in stored_outputs:
        (
            out_name,
            version,
            build_string,
            subdir,
            variant,
            kinds,
            test_files,
            has_tests,
            number,
            exports,
        ) = item
        if type(exports) is not list or len(exports) != len(RUN_EXPORTS):
            raise ValueError(f"outputs: {out_name!r}: run_exports is not what emci stores")
        for names in exports:
            if type(names) is not list or not all(type(n) is str for n in names):
                raise ValueError(f"outputs: {out_name!r}: run_exports is not lists of names")
        if not (
            type(out_name) is str
            and type(version) is str
            and type(build_string) is str
            and type(subdir) is str
            and type(variant) is dict
            and type(test_files) is list
            and type(has_tests) is bool
            and type(number) is int
        ):
            raise ValueError(f"outputs: {out_name!r} is not what emci stores")
        build, host, run, test_build, test_run = kinds
        requirements_by_kind = Requirements(
            tuple(map(get, build)),
            tuple(map(get, host)),
            tuple(map(get, run)),
            tuple(map(get, test_build)),
            tuple(map(get, test_run)),
        )
        outputs.append(
            Output(
                out_name,
                version,
                build_string,
                subdir,
                variant,
                requirements_by_kind,
                None,  # fingerprint: not stored (NOT_STORED)
                tuple(test_files),
                has_tests,
                number,
                RunExports(*map(tuple, exports)),
            )
        )
    sources = []
    for urls, sha256, file_name in stored_sources:
        if type(urls) is not list:
            raise ValueError("sources: urls is not a list")
        sources.append(Source(tuple(urls), sha256, file_name))
    if not (type(name) is str and type(folder) is str and type(target) is str):
        raise ValueError("name, folder or target_platform is not a string")
    if type(extra) is not dict:
        raise ValueError("extra: not a mapping")
    return Recipe(recipe_id, name, folder, path, target, tuple(outputs), tuple(sources), extra)
