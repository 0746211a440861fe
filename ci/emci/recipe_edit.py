"""Round-trip recipe edits with ruamel.yaml: comments, key order and quoting are kept."""

from __future__ import annotations

import io
import os
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from emci.errors import RecipeError


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _like(old: object, new: str) -> object:
    """`new` with the quoting style of `old`."""
    if isinstance(old, DoubleQuotedScalarString):
        return DoubleQuotedScalarString(new)
    if isinstance(old, SingleQuotedScalarString):
        return SingleQuotedScalarString(new)
    return new


def bump_text(text: str, path: str, version: str, sha256: str) -> str:
    """The recipe text with a new context version and sha256, and build number 0."""
    yaml = _yaml()
    data = yaml.load(text)
    context = data.get("context") if hasattr(data, "get") else None
    if not context or "version" not in context:
        raise RecipeError(path, "context.version: the bot bumps recipes with a context version")
    context["version"] = _like(context["version"], version)
    sources = data.get("source")
    entries = sources if isinstance(sources, list) else [sources]
    url_sources = [s for s in entries if hasattr(s, "get") and "sha256" in s and "url" in s]
    if len(url_sources) != 1:
        raise RecipeError(path, "source: the bot bumps recipes with exactly one URL source")
    url_sources[0]["sha256"] = _like(url_sources[0]["sha256"], sha256)
    build = data.get("build")
    if hasattr(build, "get") and "number" in build:
        build["number"] = 0
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def bump_file(path: Path, version: str, sha256: str) -> None:
    text = bump_text(path.read_text(), str(path), version, sha256)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
