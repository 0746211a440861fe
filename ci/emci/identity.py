"""Package identity and the build number rule (docs/maintainers.md, "When a package is built").

A package is identified by (subdir, name, version, build string), and rattler-build's build
string hashes the variant only: a recipe can change what it builds (source, patches, build
script, requirements) and keep its identity. A channel would then hold one name for two
different packages, and skip-existing would never build the change. So:

- `find_unbumped` renders both versions of each changed recipe with rattler-build (the recipe
  and the variant config as they are at the merge base and at HEAD) and reports every package
  identity present at both whose build differs: a rendered field other than tests, about and
  extra (`recipes.NOT_BUILT_FIELDS`), or a file of the recipe folder other than the tests' own
  files (`tests[].files.recipe`). `emci lint BASE HEAD` reports each as "recipe changed
  without a build number bump".
- `published_conflicts` keeps those whose identity exists in the channels: on main
  (`emci build changed --no-rebuild`) they fail the job, naming the recipe, before any build.
"""

from __future__ import annotations

import fnmatch
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from emci.channels import ChannelIndex, PackageId
from emci.errors import RecipeError
from emci.git import Git
from emci.recipes import RECIPE_VARIANTS_FILE, Output, Recipe, Renderer


def identity_of(output: Output) -> PackageId:
    return PackageId(output.subdir, output.name, output.version, output.build_string)


def identity_text(identity: PackageId) -> str:
    return f"{identity.subdir}/{identity.name}-{identity.version}-{identity.build}"


@dataclass(frozen=True)
class Unbumped:
    """A package identity that both revisions produce, built differently."""

    recipe: str  # its id
    path: Path  # the recipe file
    identity: PackageId
    what: tuple[str, ...]  # rendered fields and recipe files that differ

    @property
    def detail(self) -> str:
        return (
            f"{identity_text(self.identity)} keeps its identity but is built differently "
            f"({', '.join(self.what)})"
        )


@dataclass(frozen=True)
class _Side:
    """One recipe as it is at one revision: its outputs and the files of its folder."""

    outputs: dict[PackageId, Output]
    files: dict[str, str]  # path relative to the recipe folder -> git blob id
    test_patterns: tuple[str, ...]


class _Revision:
    """Renders recipes as they are at one revision, with that revision's variant config."""

    def __init__(self, git: Git, rev: str, variant_config: str, workdir: Path) -> None:
        self.git = git
        self.rev = rev
        self.workdir = workdir
        config = workdir / Path(variant_config).name
        workdir.mkdir(parents=True)
        data = git.show(rev, variant_config)
        if data is not None:
            config.write_bytes(data)
        self.renderer = Renderer(config)

    def side(self, recipe: Recipe, directory: str) -> _Side | None:
        data = self.git.show(self.rev, f"{directory}/{recipe.path.name}")
        if data is None:
            return None  # the recipe is new (or moved) at this revision
        path = self.workdir / directory / recipe.path.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        variants = self.git.show(self.rev, f"{directory}/{RECIPE_VARIANTS_FILE}")
        if variants is not None:
            (path.parent / RECIPE_VARIANTS_FILE).write_bytes(variants)
        try:
            rendered = self.renderer.render(recipe.folder, path, recipe.id, fingerprint=True)
        except RecipeError:
            return None  # an unrenderable side cannot be compared; lint reports HEAD's
        listing = self.git.run("ls-tree", "-r", "-z", "--full-name", self.rev, "--", directory)
        files = {}
        for entry in filter(None, listing.split("\0")):
            meta, _, name = entry.partition("\t")
            files[name[len(directory) + 1 :]] = meta.split()[2]
        patterns = tuple(p for output in rendered.outputs for p in output.test_files)
        return _Side({identity_of(o): o for o in rendered.outputs}, files, patterns)


def _is_test_file(name: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatchcase(name, pattern) or name.startswith(pattern + "/"):
            return True
    return False


def find_unbumped(
    git: Git,
    root: Path,
    base: str,
    head: str,
    recipes: Iterable[Recipe],
    variant_config: str,
) -> list[Unbumped]:
    """Identities that `recipes` produce both at the merge base of BASE and HEAD and at HEAD,
    built differently."""
    merge_base = git.merge_base(base, head)
    found: list[Unbumped] = []
    with tempfile.TemporaryDirectory(prefix="emci-identity-") as tmp:
        before_rev = _Revision(git, merge_base, variant_config, Path(tmp) / "base")
        after_rev = _Revision(git, head, variant_config, Path(tmp) / "head")
        for recipe in recipes:
            directory = recipe.directory.resolve().relative_to(root.resolve()).as_posix()
            before = before_rev.side(recipe, directory)
            after = after_rev.side(recipe, directory)
            if before is None or after is None:
                continue
            patterns = before.test_patterns + after.test_patterns
            files = sorted(
                name
                for name in before.files.keys() | after.files.keys()
                if name not in (recipe.path.name, RECIPE_VARIANTS_FILE)  # seen in the render
                and before.files.get(name) != after.files.get(name)
                and not _is_test_file(name, patterns)
            )
            for identity, output in sorted(after.outputs.items(), key=lambda i: str(i[0])):
                previous = before.outputs.get(identity)
                if previous is None:
                    continue  # a new identity: a bump, a new version or a new variant
                old, new = previous.fingerprint, output.fingerprint
                assert old is not None and new is not None  # rendered with fingerprint=True
                fields = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
                what = (*fields, *files)
                if what:
                    found.append(Unbumped(recipe.id, recipe.path, identity, what))
    return found


def published_conflicts(unbumped: Iterable[Unbumped], existing: ChannelIndex) -> list[Unbumped]:
    """The unbumped identities that already exist in the channels."""
    return [item for item in unbumped if item.identity in existing.packages]
