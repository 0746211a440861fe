"""A conda package file's identity, read from its own metadata and checked against its file
name, before anything copies it into a channel (a build's publish or an upload)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emci.errors import UploadError
from emci.settings import CHANNEL_SUBDIRS

SUFFIXES = (".conda", ".tar.bz2")


@dataclass(frozen=True)
class PackageFile:
    path: Path
    name: str
    version: str
    build: str
    subdir: str

    @property
    def filename(self) -> str:
        return self.path.name


def read_package(path: Path) -> PackageFile:
    """A package file's identity, validated against its name: the file name is exactly
    `<name>-<version>-<build><suffix>` of its metadata and the metadata's subdir is one a
    channel of this repository serves, so neither can place a file outside its subdir."""
    from rattler_build import Package

    name = path.name
    if "/" in name or "\\" in name or name.startswith("."):
        raise UploadError(f"{path}: not a valid package file name")
    if not name.endswith(SUFFIXES):
        raise UploadError(f"{path}: not a conda package (.conda or .tar.bz2)")
    if not path.is_file():
        raise UploadError(f"{path}: no such file")
    try:
        package = Package.from_file(path)
    except Exception as exc:  # a broken archive
        raise UploadError(f"{path}: cannot read the package: {str(exc).splitlines()[0]}") from exc
    subdir = package.subdir or "noarch"
    expected = f"{package.name}-{package.version}-{package.build_string}"
    stem = name[: -len(".conda")] if name.endswith(".conda") else name[: -len(".tar.bz2")]
    if stem != expected:
        raise UploadError(f"{path}: file name does not match its metadata ({expected})")
    if subdir not in CHANNEL_SUBDIRS:
        raise UploadError(f"{path}: subdir {subdir!r} is not one this channel serves")
    return PackageFile(path, package.name, str(package.version), package.build_string, subdir)
