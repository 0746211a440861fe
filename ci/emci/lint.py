"""Recipe lint: checks on the raw YAML and on rattler-build's render, so that one bad field
does not hide the others. Every problem of every recipe is collected, then reported once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from license_expression import get_spdx_licensing
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from emci.changes import find_changes
from emci.errors import RecipeError
from emci.git import Git
from emci.identity import Unbumped, find_unbumped
from emci.recipes import Recipe, Renderer, check_text, discover, recipe_id
from emci.settings import Settings
from emci.sources import file_name_problem


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    field: str
    message: str
    warning: bool = False  # reported, but lint still passes

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


def lint_raw(path: Path) -> list[Problem]:
    """Checks that need no rendering: YAML, license, sha256 of URL sources, maintainers, tests."""
    where = str(path)
    try:
        check_text(path)
    except RecipeError as exc:
        return [Problem(where, "(file)", exc.reason)]
    try:
        data = YAML(typ="safe").load(path.read_text())
    except (OSError, YAMLError) as exc:
        reason = " ".join(str(exc).split())[:300]
        return [Problem(where, "(yaml)", f"cannot be parsed: {reason}")]
    if not isinstance(data, Mapping):
        return [Problem(where, "(yaml)", "a recipe must be a mapping")]
    problems: list[Problem] = []
    problems += _check_license(where, data)
    problems += _check_sources(where, data)
    maintainers = (data.get("extra") or {}).get("recipe-maintainers")
    if not maintainers:
        problems.append(Problem(where, "extra.recipe-maintainers", "no maintainers listed"))
    if not _has_tests(data):
        problems.append(Problem(where, "tests", "the recipe has no tests"))
    return problems


def _check_license(where: str, data: Mapping[str, Any]) -> list[Problem]:
    license_text = (data.get("about") or {}).get("license")
    if not license_text:
        return [Problem(where, "about.license", "missing")]
    license_text = str(license_text)
    if "${{" in license_text:
        return []  # templated: checked on the render
    errors = get_spdx_licensing().validate(license_text, strict=True).errors
    if errors:
        return [
            Problem(
                where,
                "about.license",
                f"{license_text!r} is not a valid SPDX expression ({'; '.join(errors)})",
            )
        ]
    return []


def _sources(data: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    containers = [("source", data.get("source"))]
    for index, output in enumerate(data.get("outputs") or []):
        if isinstance(output, Mapping):
            containers.append((f"outputs[{index}].source", output.get("source")))
    for field, container in containers:
        if container is None:
            continue
        entries = container if isinstance(container, list) else [container]
        for index, entry in enumerate(entries):
            name = field if not isinstance(container, list) else f"{field}[{index}]"
            if isinstance(entry, Mapping) and "then" in entry:  # if/then selector
                for branch in ("then", "else"):
                    if isinstance(entry.get(branch), Mapping):
                        yield f"{name}.{branch}", entry[branch]
            else:
                yield name, entry


def _check_sources(where: str, data: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for field, source in _sources(data):
        if isinstance(source, Mapping) and "url" in source and source.get("sha256") in (None, ""):
            problems.append(Problem(where, f"{field}.sha256", "URL source without a sha256"))
    return problems


def _has_tests(data: Mapping[str, Any]) -> bool:
    if data.get("tests"):
        return True
    return any(isinstance(o, Mapping) and o.get("tests") for o in data.get("outputs") or [])


def _check_file_names(recipe: Recipe) -> list[Problem]:
    """Source file names (rendered) that could leave the mirror or build folder."""
    problems = []
    for source in recipe.sources:
        problem = file_name_problem(source)
        if problem is not None:
            problems.append(Problem(str(recipe.path), *problem))
    return problems


def _untested_outputs(recipe: Recipe) -> list[Problem]:
    """A warning per output without tests (published with tests "none", never "passed")."""
    names = sorted({o.name for o in recipe.outputs if not o.has_tests})
    return [
        Problem(
            str(recipe.path),
            "tests",
            f'output {name} has no tests: it is published with tests "none"',
            warning=True,
        )
        for name in names
    ]


def lint_tree(
    recipes_dir: Path, renderer: Renderer, names: Iterable[str] | None = None
) -> list[Problem]:
    """Lint the recipes with these ids (all when None): raw checks, the render, duplicate
    outputs."""
    wanted = None if names is None else set(names)
    problems: list[Problem] = []
    rendered: dict[str, Recipe] = {}
    for folder, path in discover(recipes_dir):
        name = recipe_id(folder, path)
        selected = wanted is None or name in wanted
        raw = lint_raw(path) if selected else []
        problems += raw
        try:
            rendered[name] = renderer.render(folder, path, name)
            if selected:
                problems += _check_file_names(rendered[name])
            if selected and not any(p.field == "tests" for p in raw):
                problems += _untested_outputs(rendered[name])
        except RecipeError as exc:
            # rattler-build also rejects a bad license: the raw check already said so
            explained = any(p.field == "about.license" for p in raw) and "license" in exc.reason
            explained = explained or any(p.field == "(file)" for p in raw)
            if selected and not explained:
                problems.append(Problem(str(path), "(render)", exc.reason))
    # Several recipes may produce one package name (alternatives by version or build
    # variant); the very same package file from two recipes is a problem.
    producers: dict[Any, str] = {}
    for name in sorted(rendered):
        for output in rendered[name].outputs:
            identity = (output.subdir, output.filename_stem)
            other = producers.setdefault(identity, name)
            if other != name and (wanted is None or {name, other} & wanted):
                problems.append(
                    Problem(
                        str(rendered[name].path),
                        "package.name",
                        f"{output.subdir}/{output.filename_stem} is also produced by "
                        f"{rendered[other].path}",
                    )
                )
    return sorted(problems)


def unbumped_problems(items: Iterable[Unbumped]) -> list[Problem]:
    """`identity.find_unbumped` results as lint problems (the rule in docs/maintainers.md)."""
    return [
        Problem(
            str(item.path),
            "build.number",
            f"recipe changed without a build number bump: {item.detail}",
        )
        for item in items
    ]


@dataclass(frozen=True)
class LintReport:
    problems: list[Problem]  # errors and warnings
    checked: str  # "every recipe" or "N changed recipe(s)"

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.warning]


def lint_repository(
    settings: Settings, base: str | None = None, head: str | None = None
) -> LintReport:
    """Lint every recipe, or with BASE HEAD the changed ones plus the build number rule."""
    renderer = Renderer(settings.variant_config)
    names = None
    bumps: list[Unbumped] = []
    if base is not None and head is not None:
        git = Git(settings.root)
        tree = renderer.render_tree(settings.recipes_dir)
        config = str(settings.variant_config.relative_to(settings.root))
        changes = find_changes(git, base, head, tree.recipes, config)
        names = set(changes.recipes)
        compared = sorted((names | set(changes.config_marked)) & set(tree.recipes))
        recipes = [tree.recipes[name] for name in compared]
        bumps = find_unbumped(git, settings.root, base, head, recipes, config)
    problems = sorted(lint_tree(settings.recipes_dir, renderer, names) + unbumped_problems(bumps))
    checked = "every recipe" if names is None else f"{len(names)} changed recipe(s)"
    return LintReport(problems, checked)
