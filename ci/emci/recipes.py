"""Recipes: discovered on disk, rendered by rattler-build, kept as typed objects.

Every `recipe.yaml` under `recipes/recipes_emscripten/` renders for emscripten-wasm32 (built
on linux-64); every one under `recipes/recipes/` renders natively for linux-64. Rendering is
rattler-build's own (py-rattler-build): this module evaluates no Jinja and no selectors.
A `variants.yaml` beside a recipe adds variant keys for that recipe only, as rattler-build's
build reads it: the repository's variant config wins for keys both files name.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import rattler
from rattler_build import JinjaConfig, PlatformConfig, Stage0Recipe, VariantConfig
from rattler_build.render import RenderConfig
from ruamel.yaml import YAML

from emci.errors import ConfigError, RecipeError, UnknownRecipeError, one_line
from emci.settings import BUILD_PLATFORM, RECIPE_FOLDERS

if TYPE_CHECKING:
    from emci.render_cache import RenderCache

# rattler-build's per-recipe variant file, read from the recipe's folder by its builds
RECIPE_VARIANTS_FILE = "variants.yaml"

REQUIREMENT_KINDS = ("build", "host", "run", "test_build", "test_run")
# Requirement kinds resolved for the build platform; the others are for the target.
BUILD_SIDE_KINDS = frozenset({"build", "test_build"})


class PackageKey(NamedTuple):
    """A package's identity: a native `python` and a wasm `python` are different packages.
    (A named tuple: hashed and compared in C, and the graph looks keys up often.)"""

    subdir: str
    name: str

    def __str__(self) -> str:
        return f"{self.subdir}/{self.name}"


@dataclass(frozen=True)
class Requirement:
    """One rendered requirement: its package name and its match spec as rendered
    (`libfoo >=7`, `python 3.11.* *_cpython`). A pin (`pin_subpackage`, `pin_compatible`)
    is kept as its name: the pinned version is decided when the package is built."""

    name: str
    spec: str
    pin: str = ""  # "pin_subpackage" | "pin_compatible" | ""

    def __str__(self) -> str:
        return self.spec


@dataclass(frozen=True)
class Requirements:
    """What a recipe output needs, by kind."""

    build: tuple[Requirement, ...] = ()
    host: tuple[Requirement, ...] = ()
    run: tuple[Requirement, ...] = ()
    test_build: tuple[Requirement, ...] = ()
    test_run: tuple[Requirement, ...] = ()

    def by_kind(self) -> dict[str, tuple[Requirement, ...]]:
        return {kind: getattr(self, kind) for kind in REQUIREMENT_KINDS}

    def names(self, kind: str) -> tuple[str, ...]:
        return tuple(requirement.name for requirement in getattr(self, kind))


@dataclass(frozen=True)
class RunExports:
    """An output's run_exports (what packages built with it in their build or host
    environment depend on) and ignore_run_exports (what it refuses of its own requirements'),
    by package name: rattler-build applies strong exports of direct build requirements and
    weak and strong ones of direct host requirements."""

    strong: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    ignore_by_name: tuple[str, ...] = ()
    ignore_from_package: tuple[str, ...] = ()

    def exported(self, kind: str) -> tuple[str, ...]:
        """What a requirement of `kind` on this output passes on."""
        if kind == "host":
            return self.strong + self.weak
        return self.strong if kind == "build" else ()


@dataclass(frozen=True)
class Output:
    """One package a recipe produces for one variant."""

    name: str
    version: str
    build_string: str
    subdir: str
    variant: Mapping[str, str] = field(hash=False, compare=False)
    requirements: Requirements = field(default_factory=Requirements)
    # what is built: per rendered field but tests, about and extra, a sha256; made only by
    # a render that asks for it (the build number rule's, identity.py), else None
    fingerprint: Mapping[str, str] | None = field(default=None, hash=False, compare=False)
    test_files: tuple[str, ...] = field(default=(), compare=False)  # tests' files.recipe
    has_tests: bool = field(default=True, compare=False)
    build_number: int = 0
    run_exports: RunExports = field(default_factory=RunExports)

    @property
    def key(self) -> PackageKey:
        return PackageKey(self.subdir, self.name)

    @property
    def filename_stem(self) -> str:
        return f"{self.name}-{self.version}-{self.build_string}"

    def record(self) -> rattler.PackageRecord:
        """This output as a package record, for py-rattler's `MatchSpec.matches`."""
        return rattler.PackageRecord(
            name=self.name,
            version=self.version,
            build=rattler.BuildString(self.build_string),
            build_number=self.build_number,
            subdir=self.subdir,
        )

    def __str__(self) -> str:
        return f"{self.name} {self.version} {self.build_string}"


@dataclass(frozen=True)
class Source:
    """A URL source of a recipe, as rendered (all its mirror URLs, its sha256)."""

    urls: tuple[str, ...]
    sha256: str | None
    file_name: str | None = None


@dataclass(frozen=True)
class Recipe:
    """A rendered recipe: the node type of the DAG.

    `id` is the recipe folder's path relative to `recipes/` (`recipes_emscripten/zlib`): the
    same folder name may exist in both trees. `name` is that folder's own name."""

    id: str
    name: str
    folder: str
    path: Path
    target_platform: str
    outputs: tuple[Output, ...]
    sources: tuple[Source, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def build_platform(self) -> str:
        return BUILD_PLATFORM

    def produced(self) -> set[PackageKey]:
        return {output.key for output in self.outputs}

    def variant_keys(self) -> set[str]:
        return {key for output in self.outputs for key in output.variant}

    def needs(self) -> set[PackageKey]:
        """Every package key this recipe's outputs need, platform-aware."""
        return {need.package for need in self.requirements()}

    def requirements(self) -> list[RecipeNeed]:
        """Every requirement of every output, with the package key it asks for: build-side
        kinds resolve for the build platform, the others for the target platform."""
        result: list[RecipeNeed] = []
        for output in self.outputs:
            for kind, requirements in output.requirements.by_kind().items():
                subdir = self.build_platform if kind in BUILD_SIDE_KINDS else self.target_platform
                for requirement in requirements:
                    key = PackageKey(subdir, requirement.name)
                    result.append(RecipeNeed(output, kind, key, requirement))
        return result


@dataclass(frozen=True)
class RecipeNeed:
    """One requirement of one output of a recipe, resolved to a package key."""

    output: Output
    kind: str
    package: PackageKey
    requirement: Requirement


@dataclass(frozen=True)
class RecipeTree:
    """Every recipe of a repository that rendered (by id), and the ones that did not."""

    recipes: dict[str, Recipe]
    failures: tuple[RecipeError, ...] = ()

    def ids(self) -> set[str]:
        return set(self.recipes) | {f.recipe for f in self.failures if f.recipe}

    def resolve(self, names: Iterable[str]) -> list[str]:
        """Recipe ids for ids or unambiguous short folder names."""
        return resolve_ids(names, self.ids())


def recipe_id(folder: str, path: Path) -> str:
    """`recipes_emscripten/zlib` for `recipes/recipes_emscripten/zlib/recipe.yaml`."""
    return f"{folder}/{path.parent.name}"


def short_name(recipe: str) -> str:
    """The folder name of a recipe id (`zlib` for `recipes_emscripten/zlib`)."""
    return recipe.rsplit("/", 1)[-1]


def short_aliases(ids: Iterable[str]) -> dict[str, str]:
    """Short folder name -> id, for the names only one recipe folder has."""
    by_name: dict[str, list[str]] = {}
    for item in ids:
        by_name.setdefault(short_name(item), []).append(item)
    return {name: found[0] for name, found in by_name.items() if len(found) == 1}


def resolve_ids(names: Iterable[str], known: Iterable[str]) -> list[str]:
    """Map each name to a recipe id: an id as is, a short folder name when only one recipe
    folder has it. Unknown or ambiguous names are a one-line error listing candidates."""
    known = set(known)
    result = []
    for name in names:
        cleaned = name.strip().strip("/")
        if cleaned.startswith("recipes/") and cleaned not in known:
            cleaned = cleaned[len("recipes/") :]  # a path relative to the repository root
        if cleaned in known:
            result.append(cleaned)
            continue
        candidates = sorted(item for item in known if short_name(item) == cleaned)
        if len(candidates) == 1:
            result.append(candidates[0])
        elif candidates:
            raise UnknownRecipeError(
                f"recipe name {name!r} is ambiguous: {', '.join(candidates)} (give the id)"
            )
        else:
            close = difflib.get_close_matches(cleaned, sorted(known), n=3)
            close += difflib.get_close_matches(cleaned, sorted({short_name(k) for k in known}), n=3)
            hint = f" (did you mean {', '.join(dict.fromkeys(close))}?)" if close else ""
            raise UnknownRecipeError(f"no recipe named {name!r}{hint}")
    return result


def discover(recipes_dir: Path) -> list[tuple[str, Path]]:
    """(folder, recipe.yaml path) for every recipe under the known recipe folders."""
    found = []
    for folder in RECIPE_FOLDERS:
        base = recipes_dir / folder
        if not base.is_dir():
            continue
        with os.scandir(base) as entries:  # as glob("*/recipe.yaml"), without its cost
            names = sorted(e.name for e in entries if not e.name.startswith(".") and e.is_dir())
        for name in names:
            path = base / name / "recipe.yaml"
            if os.path.isfile(path):
                found.append((folder, path))
    return found


class Renderer:
    """Renders recipes with rattler-build against one variant config file."""

    def __init__(self, variant_config: Path) -> None:
        self.variant_config = variant_config
        self._variants: dict[str, VariantConfig] = {}
        self._render_configs: dict[str, RenderConfig] = {}

    def platform_config(self, target_platform: str) -> PlatformConfig:
        return PlatformConfig(
            target_platform=target_platform,
            build_platform=BUILD_PLATFORM,
            host_platform=target_platform,
        )

    def render_config(self, target_platform: str) -> RenderConfig:
        """One per platform: rattler-build adds each recipe's path to a copy of it."""
        if target_platform not in self._render_configs:
            platform = self.platform_config(target_platform)
            self._render_configs[target_platform] = RenderConfig(platform=platform)
        return self._render_configs[target_platform]

    def variants_for(self, target_platform: str) -> VariantConfig:
        if target_platform not in self._variants:
            self._variants[target_platform] = load_variant_config(
                self.variant_config, self.platform_config(target_platform)
            )
        return self._variants[target_platform]

    def variants_for_recipe(self, target_platform: str, path: Path) -> VariantConfig:
        """The variant config one recipe renders with: its own variants.yaml, if any,
        under the repository's (which wins for keys both name, as in rattler-build)."""
        repository = self.variants_for(target_platform)
        local = os.path.join(os.path.dirname(path), RECIPE_VARIANTS_FILE)
        if not os.path.isfile(local):
            return repository
        own = load_variant_config(Path(local), self.platform_config(target_platform))
        return own.merge(repository)

    def render(
        self, folder: str, path: Path, id: str | None = None, *, fingerprint: bool = False
    ) -> Recipe:
        """Render one recipe; `id` defaults to the one its path gives. With `fingerprint`,
        each output carries the fingerprint of what it builds (the build number rule's
        renders); a plan needs none, so the tree's renders skip that work."""
        id = id or recipe_id(folder, path)
        target = RECIPE_FOLDERS[folder]
        self.variants_for(target)  # the repository's config: a ConfigError for every recipe
        try:
            stage0 = parse_recipe(path if path.is_absolute() else path.resolve())
            variants = self.variants_for_recipe(target, path)
            rendered = stage0.render(variants, self.render_config(target))
        except RecipeError:
            raise
        except Exception as exc:  # rattler-build raises several types; all mean "bad recipe"
            check_text(path, id)  # a file that is not UTF-8 text: say so, naming it
            raise RecipeError(str(path), one_line(exc), recipe=id) from exc
        outputs: list[Output] = []
        sources: list[Source] = []
        extra: dict[str, Any] = {}
        duplicate = _duplicate_output_name(stage0)
        seen_sources: list[Any] = []  # rendered source lists already read
        # py-rattler-build links the variants it returns into a cycle (each one's siblings
        # are the list): emptying the list frees them by reference count as soon as they
        # are read, without waiting for the cycle collector (paused while a tree renders)
        try:
            for variant in rendered:
                data = _with_staging(variant.recipe.to_dict())
                try:
                    output = _output_from(data, variant.variant, target, fingerprint)
                except ValueError as exc:
                    raise RecipeError(str(path), str(exc), recipe=id) from exc
                # rattler-build renders an output once per variant of the recipe, even when
                # that output uses none of the variant's keys: keep one of identical packages.
                if any(_same_package(output, other) for other in outputs):
                    continue
                duplicate = duplicate or _clashing_output(output, outputs)
                outputs.append(output)
                rendered_sources = data.get("source")
                if rendered_sources and rendered_sources not in seen_sources:
                    seen_sources.append(rendered_sources)
                    for source in rendered_sources:
                        parsed = _source_from(source)
                        if parsed and parsed not in sources:
                            sources.append(parsed)
                extra = data.get("extra", extra) or extra
        finally:
            rendered.clear()
        if duplicate:
            raise RecipeError(str(path), f"outputs: two outputs are named {duplicate!r}", recipe=id)
        return Recipe(
            id=id,
            name=path.parent.name,
            folder=folder,
            path=path,
            target_platform=target,
            outputs=tuple(outputs),
            sources=tuple(sources),
            extra=extra,
        )

    def render_tree(
        self,
        recipes_dir: Path,
        only: Iterable[str] | None = None,
        cache: RenderCache | None = None,
        found: list[tuple[str, Path]] | None = None,
    ) -> RecipeTree:
        """Every recipe under `recipes_dir` (or the ids in `only`); with a cache, a recipe
        whose folder, variant config and tools are unchanged is read from it. `found` is
        `discover(recipes_dir)` when the caller has it already."""
        wanted = set(only) if only is not None else None
        selected = []
        for folder, path in discover(recipes_dir.resolve()) if found is None else found:
            id = recipe_id(folder, path)
            if wanted is None or id in wanted:
                selected.append((folder, path, id))
        recipes: dict[str, Recipe] = {}
        keys: dict[str, str] = {}
        missing = selected
        if cache is not None:  # every key and lookup first, then the renders the cache lacks
            missing = []
            for folder, path, id in selected:
                key = keys[id] = cache.key(folder, RECIPE_FOLDERS[folder], path.parent)
                cached = cache.load(id, key, path)
                if cached is None:
                    missing.append((folder, path, id))
                else:
                    recipes[id] = cached
        failures: list[RecipeError] = []
        for folder, path, id in missing:
            try:
                recipes[id] = self.render(folder, path, id)
            except RecipeError as exc:
                exc.names = written_names(path)
                failures.append(_without_tracebacks(exc))
                continue
            if cache is not None:
                cache.store(recipes[id], keys[id])
        if cache is not None:
            cache.save(whole_tree=wanted is None)
        ordered = {id: recipes[id] for _folder, _path, id in selected if id in recipes}
        return RecipeTree(recipes=ordered, failures=tuple(failures))


def parse_recipe(path: Path) -> Stage0Recipe:
    """`Stage0Recipe.from_file(path)` for an absolute path, without from_file's own
    `Path.resolve()`: a tree's paths are resolved once by `discover`, and a realpath per
    recipe (a stat call per path component) was a twentieth of a tree's render. The parse is
    rattler-build's (its `from_yaml` and recipe classes, as from_file uses them); with a
    rattler-build whose classes differ, from_file itself."""
    try:
        from rattler_build import stage0 as stage0_module

        native = stage0_module._stage0.Stage0Recipe
        single, multi = stage0_module.SingleOutputRecipe, stage0_module.MultiOutputRecipe
        revision = stage0_module.RepodataRevision.LEGACY  # from_file's default
    except (ImportError, AttributeError):
        return Stage0Recipe.from_file(path)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    wrapper = native.from_yaml(text, repodata_revision=revision)
    if wrapper.is_single_output():
        return single(wrapper.as_single_output(), wrapper, path, repodata_revision=revision)
    return multi(wrapper.as_multi_output(), wrapper, path, repodata_revision=revision)


def _without_tracebacks(error: RecipeError) -> RecipeError:
    """A render failure kept in the tree, without the tracebacks of it and its causes: a
    traceback holds the frames it passed through, and they hold the whole tree being
    rendered, in a reference cycle only the cycle collector could free (never, once the
    workspace has frozen what it built). The message is what a failure reports."""
    seen: set[int] = set()
    item: BaseException | None = error
    while item is not None and id(item) not in seen:
        seen.add(id(item))
        item.__traceback__ = None
        item = item.__cause__ or item.__context__
    return error


def check_text(path: Path, recipe: str | None = None) -> None:
    """A recipe file must be readable UTF-8 text; otherwise a RecipeError naming it."""
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecipeError(
            str(path),
            f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
            recipe=recipe,
        ) from None
    except OSError as exc:
        raise RecipeError(str(path), f"cannot be read: {exc.strerror}", recipe=recipe) from None


def written_names(path: Path) -> tuple[str, ...]:
    """The package names a recipe file spells out without templates (and its folder name):
    what a recipe that does not render would probably produce."""
    names = [path.parent.name]
    try:
        data = YAML(typ="safe").load(path.read_bytes())
    except Exception:  # unreadable or not YAML: the folder name is all there is
        return tuple(names)
    if not isinstance(data, Mapping):
        return tuple(names)
    sections = [data.get("package"), data.get("recipe")]
    sections += [o.get("package") for o in data.get("outputs") or () if isinstance(o, Mapping)]
    for section in sections:
        name = section.get("name") if isinstance(section, Mapping) else None
        if isinstance(name, str) and "${{" not in name:
            names.append(name)
    return tuple(dict.fromkeys(names))


def _duplicate_output_name(stage0: Any) -> str | None:
    """A package name written twice in a multi-output recipe's `outputs` (as written,
    templates unevaluated: two identical templates are the same name)."""
    seen: set[str] = set()
    for output in getattr(stage0, "outputs", None) or ():
        package = getattr(output, "package", None)  # a staging output has none
        if package is None:
            continue
        name = str(package.name)
        if name in seen:
            return name
        seen.add(name)
    return None


def _same_package(a: Output, b: Output) -> bool:
    return (a.subdir, a.name, a.version, a.build_string) == (
        b.subdir,
        b.name,
        b.version,
        b.build_string,
    )


def _clashing_output(output: Output, earlier: Iterable[Output]) -> str | None:
    """Two rendered packages of one name whose variants agree on every key both use are
    two outputs of that name (variants of one output differ in some key's value)."""
    for other in earlier:
        if other.key != output.key:
            continue
        common = other.variant.keys() & output.variant.keys()
        if all(other.variant[k] == output.variant[k] for k in common):
            return output.name
    return None


def load_variant_config(path: Path, platform: PlatformConfig) -> VariantConfig:
    if not path.is_file():
        return VariantConfig()
    try:
        if path.name == "conda_build_config.yaml":
            return VariantConfig.from_conda_build_config(path, JinjaConfig(platform=platform))
        return VariantConfig.from_file_with_context(path, JinjaConfig(platform=platform))
    except Exception as exc:
        raise ConfigError(f"{path}: {one_line(exc)}") from exc


def variant_values(path: Path, target_platform: str) -> dict[str, list[Any]]:
    """The variant config's values as rattler-build reads them for one target platform."""
    platform = PlatformConfig(
        target_platform=target_platform,
        build_platform=BUILD_PLATFORM,
        host_platform=target_platform,
    )
    return load_variant_config(path, platform).to_dict()


# rendered spec string -> its Requirement (a tree repeats the same specs many times)
_SPECS: dict[str, Requirement | None] = {}
# a rendered list of spec strings -> its requirements (whole lists repeat too: the same
# compilers, the same python): one lookup instead of one per entry
_LISTS: dict[tuple[str, ...], tuple[Requirement, ...]] = {}


def parse_requirement(entry: Any, where: str) -> Requirement | None:
    """One rendered requirement (a spec string or a pin); None for virtual packages."""
    if isinstance(entry, str):
        try:
            return _SPECS[entry]
        except KeyError:
            pass
        spec = entry.strip()
        if not spec or spec.startswith("__"):
            _SPECS[entry] = None
            return None
        try:
            name = rattler.MatchSpec(spec).name.normalized
        except Exception as exc:  # py-rattler's InvalidMatchSpecError
            raise ValueError(
                f"{where}: {spec!r} is not a valid match spec ({one_line(exc)})"
            ) from exc
        requirement = _SPECS[entry] = Requirement(name, spec)
        return requirement
    if isinstance(entry, Mapping):
        for pin in ("pin_subpackage", "pin_compatible"):
            if pin in entry:
                name = str(entry[pin]["name"])
                return Requirement(name, name, pin)
    return None


def _requirements(entries: list[Any] | None, where: str) -> tuple[Requirement, ...]:
    """A rendered list's requirements, each once, in order."""
    if not entries:
        return ()
    try:
        key = tuple(entries)
        return _LISTS[key]
    except TypeError:  # a pin (a mapping) in the list: not kept
        key = None
    except KeyError:
        pass
    parsed = [parse_requirement(entry, where) for entry in entries]
    result = tuple(dict.fromkeys(item for item in parsed if item))
    if key is not None:
        _LISTS[key] = result
    return result


def _with_staging(data: dict[str, Any]) -> dict[str, Any]:
    """An output that inherits a staging output (`inherit: NAME`) is built by that output's
    script, from its sources, with its build and host requirements: they count as the
    output's own (what the graph must build first, what sources.fetch must fetch), after the
    output's own requirements."""
    inherited = data.get("inherits_from") or {}
    caches = {cache.get("name"): cache for cache in data.get("staging_caches") or []}
    cache = caches.get(inherited.get("cache_name"))
    if not cache:
        return data
    merged = dict(data)
    requirements = dict(data.get("requirements") or {})
    for kind in ("build", "host"):
        own = list(requirements.get(kind) or [])
        staged = [spec for spec in (cache.get("requirements") or {}).get(kind) or []]
        requirements[kind] = own + [spec for spec in staged if spec not in own]
    merged["requirements"] = requirements
    sources = list(data.get("source") or [])
    merged["source"] = sources + [s for s in cache.get("source") or [] if s not in sources]
    return merged


def _output_from(
    data: Mapping[str, Any], variant: Mapping[str, Any], target: str, fingerprint: bool = False
) -> Output:
    requirements = data.get("requirements") or {}
    tests = data.get("tests") or ()
    test_build: list[Any] = []
    test_run: list[Any] = []
    test_files: list[str] = []
    for test in tests:
        test_requirements = test.get("requirements")
        if test_requirements:
            test_build.extend(test_requirements.get("build") or ())
            test_run.extend(test_requirements.get("run") or ())
        if "python" in test:
            test_run.append("python")
        files = test.get("files")
        if files:
            test_files.extend(str(item) for item in files.get("recipe") or ())
    build = data.get("build") or {}
    package = data["package"]
    return Output(
        name=str(package["name"]),
        version=str(package["version"]),
        build_string=str(build.get("string", "")),
        subdir="noarch" if build.get("noarch") else target,
        variant={k: str(v) for k, v in variant.items() if k != "target_platform"},
        requirements=Requirements(
            build=_requirements(requirements.get("build"), "requirements.build"),
            host=_requirements(requirements.get("host"), "requirements.host"),
            run=_requirements(requirements.get("run"), "requirements.run"),
            test_build=_requirements(test_build, "tests.requirements.build"),
            test_run=_requirements(test_run, "tests.requirements.run"),
        ),
        fingerprint=build_fingerprint(data) if fingerprint else None,
        test_files=tuple(dict.fromkeys(test_files)),
        has_tests=bool(tests),
        build_number=_build_number(build.get("number")),
        run_exports=_run_exports(requirements),
    )


NO_RUN_EXPORTS = RunExports()


def _run_exports(requirements: Mapping[str, Any]) -> RunExports:
    """The rendered `run_exports` (a list: weak; or a mapping by kind) and
    `ignore_run_exports` of an output, as package names (constraints are not dependencies)."""
    exports = requirements.get("run_exports") or {}
    ignore = requirements.get("ignore_run_exports") or {}
    if not exports and not ignore:
        return NO_RUN_EXPORTS  # most outputs: one shared (frozen) value
    if not isinstance(exports, Mapping):
        exports = {"weak": exports}

    def names(entries: Any, where: str) -> tuple[str, ...]:
        found = _requirements(entries if isinstance(entries, list) else [], where)
        return tuple(dict.fromkeys(requirement.name for requirement in found))

    return RunExports(
        strong=names(exports.get("strong"), "requirements.run_exports.strong"),
        weak=names(exports.get("weak"), "requirements.run_exports.weak"),
        ignore_by_name=names(ignore.get("by_name"), "requirements.ignore_run_exports.by_name"),
        ignore_from_package=names(
            ignore.get("from_package"), "requirements.ignore_run_exports.from_package"
        ),
    )


# Rendered fields that do not change what is built: a change to them alone needs no new
# package identity (the rule in docs/maintainers.md).
NOT_BUILT_FIELDS = frozenset({"tests", "about", "extra", "context", "schema_version"})


_CANONICAL = json.JSONEncoder(sort_keys=True, default=str)


def build_fingerprint(data: Mapping[str, Any]) -> dict[str, str]:
    """Per rendered field of an output (but those that do not change what is built), the
    sha256 of its value."""
    return {
        key: hashlib.sha256(_CANONICAL.encode(value).encode()).hexdigest()
        for key, value in data.items()
        if key not in NOT_BUILT_FIELDS
    }


def _build_number(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _source_from(source: Mapping[str, Any]) -> Source | None:
    url = source.get("url")
    if not url:
        return None
    urls = tuple(url) if isinstance(url, list) else (str(url),)
    return Source(urls=urls, sha256=source.get("sha256"), file_name=source.get("file_name"))
