"""`emci recipe new NAME`: a recipe for a PyPI project, in this repository's conventions
(cross-python build for emscripten-wasm32, pytester test in Node, pypi:// source), ready to
edit. The sdist file comes from pip's configured index (pypi.py; its build backend never
runs), giving its sha256 and whether it has C code; about and run
requirements come from py-rattler-build's PyPI recipe generator when PyPI's JSON API answers,
else from the sdist's PKG-INFO, so it works wherever pip does.
"""

from __future__ import annotations

import email.parser
import hashlib
import io
import re
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from emci.errors import EmciError
from emci.pypi import download_sdist

IGNORED_REQUIREMENTS = {"python"}


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


def conda_name(project: str) -> str:
    return re.sub(r"[-_.]+", "-", project).lower()


def from_sdist(project: str, version: str | None) -> ProjectInfo:
    spec = f"{project}=={version}" if version else project
    with tempfile.TemporaryDirectory(prefix="emci-new-") as tmp:
        sdist = download_sdist(spec, Path(tmp))
        metadata, names = _read_sdist(sdist)
        info = ProjectInfo(
            project=metadata.get("Name", project),
            version=metadata.get("Version", version or ""),
            filename=sdist.name,
            sha256=hashlib.sha256(sdist.read_bytes()).hexdigest(),
            summary=metadata.get("Summary", ""),
            license=metadata.get("License-Expression") or metadata.get("License", ""),
            homepage=metadata.get("Home-page", ""),
            requires=[r for r in metadata.get_all("Requires-Dist") or [] if ";" not in r],
            has_c_code=any(n.endswith((".c", ".cpp", ".pyx")) for n in names),
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
    """The sdist's PKG-INFO (top folder) and its member names; an EmciError naming the file
    when it is no readable archive or has no PKG-INFO."""
    try:
        return _read_archive(path)
    except StopIteration:
        raise EmciError(f"{path.name}: the sdist has no PKG-INFO in its top folder") from None
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise EmciError(f"{path.name}: cannot read the sdist: {exc}") from None


def _read_archive(path: Path):
    parser = email.parser.Parser()
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            pkg_info = next(n for n in names if n.count("/") == 1 and n.endswith("PKG-INFO"))
            return parser.parsestr(archive.read(pkg_info).decode()), names
    with tarfile.open(path) as archive:
        names = archive.getnames()
        pkg_info = next(n for n in names if n.count("/") == 1 and n.endswith("PKG-INFO"))
        return parser.parsestr(archive.extractfile(pkg_info).read().decode()), names


def requirement_line(requirement: str) -> str | None:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*(.*)", requirement)
    if not match:
        return None
    name = conda_name(match.group(1))
    if name in IGNORED_REQUIREMENTS:
        return None
    spec = match.group(2).strip().strip("()").replace(" ", "")
    return f"{name} {spec}".strip()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def recipe_data(info: ProjectInfo) -> CommentedMap:
    """The recipe as a ruamel.yaml document: every text from the sdist is a YAML scalar that
    ruamel quotes as it needs (a summary with a colon, quotes or a `#` stays a string)."""
    name = conda_name(info.project)
    filename = info.filename.replace(info.version, "${{ version }}")
    module = module_name(info.project)
    build = CommentedSeq(['${{ compiler("c") }}'] if info.has_c_code else [])
    build.append("cross-python_${{ target_platform }}")
    run = CommentedSeq(["python"])
    run += [line for r in info.requires if (line := requirement_line(r))]
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
    data["requirements"] = CommentedMap(build=build, host=CommentedSeq(["python"]), run=run)
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


def recipe_text(info: ProjectInfo) -> str:
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(recipe_data(info), out)
    return out.getvalue()


def module_name(project: str) -> str:
    return re.sub(r"[-.]", "_", project).lower()


def test_text(info: ProjectInfo) -> str:
    module = module_name(info.project)
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


def create(recipes_dir: Path, project: str, version: str | None = None) -> Path:
    info = from_sdist(project, version)
    enrich_from_generator(info)
    folder = recipes_dir / "recipes_emscripten" / conda_name(info.project)
    if folder.exists():
        raise EmciError(f"{folder}: a recipe with that name already exists")
    folder.mkdir(parents=True)
    module = module_name(info.project)
    (folder / "recipe.yaml").write_text(recipe_text(info))
    (folder / f"test_{module}.py").write_text(test_text(info))
    return folder / "recipe.yaml"
