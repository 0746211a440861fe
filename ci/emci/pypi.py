"""PyPI sdists as plain files from pip's configured index: no code of the sdist ever runs.

`pip download --no-binary :all:` prepares an sdist's metadata by running its build backend
(arbitrary code of the release, next to whatever credentials the process holds; for numpy a
full native build). Here pip is only asked *where* it looks: its own option parser resolves
pip.conf, `PIP_INDEX_URL`, `PIP_EXTRA_INDEX_URL`, `PIP_FIND_LINKS`, `PIP_NO_INDEX`, `PIP_CERT`
and `PIP_DEFAULT_TIMEOUT` exactly as `pip download` would. The project's page is read through
the simple repository API (PEP 691 JSON, or PEP 503 HTML, `file://` indexes included), the
sdist is chosen by its file name and version (PEP 592: yanked files only for an exact pin),
downloaded, and checked against the sha256 the index publishes. No registry host is written
here: the index is whatever pip is configured with.

`download_sdist` is the one way emci fetches a PyPI sdist: the `pypi` source provider, the
version-bump bot and `emci recipe new` all call it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    canonicalize_name,
    parse_sdist_filename,
)
from packaging.version import Version

from emci.errors import SourceError

ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.1"
)
JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class IndexConfig:
    """Where pip looks for distributions, and how it connects."""

    index_urls: tuple[str, ...]  # the index URL first, then the extra index URLs
    find_links: tuple[str, ...] = ()
    cert: str | None = None
    timeout: float = 60.0


@dataclass(frozen=True)
class SdistLink:
    filename: str
    url: str
    sha256: str | None
    yanked: bool = False
    requires_python: str | None = None  # the index's data-requires-python (PEP 503/691)

    @property
    def local(self) -> bool:
        return self.url.startswith("file:")


def pip_index_config() -> IndexConfig:
    """The index settings `pip download` would use, read by pip's own option parser."""
    try:
        from pip._internal.commands import create_command

        options, _ = create_command("download").parse_args([])
    except (Exception, SystemExit) as exc:  # pip missing, or pip rejecting its own config
        raise SourceError(f"cannot read pip's index configuration: {exc}") from exc
    indexes = () if options.no_index else (options.index_url, *options.extra_index_urls)
    return IndexConfig(
        index_urls=tuple(u for u in indexes if u),
        find_links=tuple(options.find_links or ()),
        cert=options.cert or None,
        timeout=float(options.timeout or 60),
    )


# -- reading an index ------------------------------------------------------------------------


class _Anchors(HTMLParser):
    """The `<a>` elements of a PEP 503 page (and a `<base href>` if present)."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))
        elif tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")


def _link(
    filename: str, url: str, sha256: str | None, yanked: bool, requires_python: str | None = None
) -> SdistLink:
    return SdistLink(filename, url, sha256.lower() if sha256 else None, yanked, requires_python)


def parse_html(text: str, page_url: str) -> list[SdistLink]:
    parser = _Anchors()
    parser.feed(text)
    base = urllib.parse.urljoin(page_url, parser.base) if parser.base else page_url
    links = []
    for anchor in parser.anchors:
        href = anchor.get("href")
        if not href:
            continue
        url, _, fragment = urllib.parse.urljoin(base, href).partition("#")
        filename = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        algorithm, _, digest = fragment.partition("=")
        sha256 = digest if algorithm == "sha256" and digest else None
        requires_python = anchor.get("data-requires-python")  # already unescaped
        links.append(_link(filename, url, sha256, "data-yanked" in anchor, requires_python))
    return links


def parse_json(text: str, page_url: str) -> list[SdistLink]:
    try:
        files = json.loads(text).get("files", [])
    except (ValueError, AttributeError) as exc:
        raise SourceError(f"{_public(page_url)}: not a PEP 691 project page: {exc}") from exc
    links = []
    for entry in files:
        url = urllib.parse.urljoin(page_url, entry.get("url", ""))
        yanked = entry.get("yanked", False)
        sha256 = (entry.get("hashes") or {}).get("sha256")
        links.append(
            _link(
                entry.get("filename", ""),
                url,
                sha256,
                yanked not in (False, None),
                entry.get("requires-python"),
            )
        )
    return links


def _public(url: str) -> str:
    """A URL without the user name and password it may carry."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.hostname or ""))


def _request(url: str, accept: str | None) -> urllib.request.Request:
    parts = urllib.parse.urlsplit(url)
    headers = {"Accept": accept} if accept else {}
    if parts.username is not None:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return urllib.request.Request(url, headers=headers)


def _open(url: str, config: IndexConfig, accept: str | None = None):
    context = ssl.create_default_context(cafile=config.cert) if config.cert else None
    request = _request(url, accept)
    if url.startswith("file:"):
        return urllib.request.urlopen(request, timeout=config.timeout)
    return urllib.request.urlopen(request, timeout=config.timeout, context=context)


def _read_page(url: str, config: IndexConfig) -> list[SdistLink]:
    """The files a project page (or a find-links page / directory) lists; [] when absent."""
    if url.startswith("file:"):
        path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
        if path.is_dir() and not (path / "index.html").is_file():
            return [
                _link(p.name, p.resolve().as_uri(), None, False)
                for p in sorted(path.iterdir())
                if p.is_file()
            ]
        page = path / "index.html" if path.is_dir() else path
        if not page.is_file():
            return []
        return parse_html(page.read_text(errors="replace"), page.resolve().as_uri())
    try:
        with _open(url, config, ACCEPT) as response:
            body = response.read().decode(response.headers.get_content_charset() or "utf-8")
            final = response.geturl()
            kind = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise SourceError(f"{_public(url)}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise SourceError(f"{_public(url)}: {getattr(exc, 'reason', exc)}") from exc
    if kind == JSON_TYPE:
        return parse_json(body, final)
    return parse_html(body, final)


def _as_url(location: str) -> str:
    if "://" in location or location.startswith("file:"):
        return location
    return Path(location).resolve().as_uri()


def project_links(project: str, config: IndexConfig) -> list[SdistLink]:
    """Every file the configured indexes (in pip's order) and find-links list for `project`."""
    name = canonicalize_name(project)
    links: list[SdistLink] = []
    for index in config.index_urls:
        links += _read_page(f"{_as_url(index).rstrip('/')}/{name}/", config)
    for location in config.find_links:
        links += _read_page(_as_url(location), config)
    return links


# -- choosing and downloading ----------------------------------------------------------------


def _sdist_version(link: SdistLink, name: str) -> Version | None:
    try:
        project, version = parse_sdist_filename(link.filename)
    except InvalidSdistFilename:
        return None
    return version if project == name else None


def _pinned(requirement: Requirement) -> bool:
    specs = list(requirement.specifier)
    return len(specs) == 1 and (
        specs[0].operator == "===" or (specs[0].operator == "==" and "*" not in specs[0].version)
    )


def _supports(link: SdistLink, python_version: str | None) -> bool:
    """Whether the file's requires-python admits `python_version` (as pip decides: a file
    with no requires-python, or one that is not a valid specifier, admits every Python). A
    version given as X.Y is compared as X.Y.0, as environment markers see it."""
    if python_version is None or not link.requires_python:
        return True
    try:
        return SpecifierSet(link.requires_python).contains(python_version, prereleases=True)
    except InvalidSpecifier:
        return True


def choose_sdist(
    links: list[SdistLink],
    requirement: Requirement,
    filename: str | None = None,
    python_version: str | None = None,
) -> SdistLink:
    """The sdist to fetch: the newest version the requirement allows (pre-releases only when
    it names one, yanked files only for an exact pin) whose requires-python admits
    `python_version` (when given), `.tar.gz` before `.zip`, the first index first; or exactly
    `filename` when given."""
    name = canonicalize_name(requirement.name)
    pinned = _pinned(requirement)
    allow_pre = requirement.specifier.prereleases is True  # it names a pre-release
    candidates = []
    excluded: dict[Version, str] = {}  # release -> requires-python, for files left out for it
    for order, link in enumerate(links):
        version = _sdist_version(link, name)
        if version is None or (version.is_prerelease and not allow_pre):
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            continue
        if link.yanked and not pinned:
            continue
        if not _supports(link, python_version):
            excluded[version] = link.requires_python or ""
            continue
        candidates.append((version, link.filename.endswith(".tar.gz"), -order, link))
    if filename is not None:
        for *_, link in candidates:
            if link.filename == filename:
                return link
        listed = ", ".join(sorted({c[3].filename for c in candidates})) or "no sdist"
        for_python = f" for Python {python_version}" if python_version else ""
        raise SourceError(
            f"{requirement}: the index has no {filename}{for_python} (it has {listed})"
        )
    if not candidates and excluded:
        newest = sorted(excluded, reverse=True)[:3]
        needs = "; ".join(f"{v} needs Python {excluded[v]}" for v in newest)
        more = f"; {len(excluded) - 3} more" if len(excluded) > 3 else ""
        raise SourceError(f"{requirement}: no sdist for Python {python_version} ({needs}{more})")
    if not candidates:
        raise SourceError(f"{requirement}: pip's index has no sdist for it")
    return max(candidates, key=lambda c: c[:3])[3]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_link(link: SdistLink, folder: Path, config: IndexConfig) -> Path:
    """Download one file into `folder` and check it against the index's sha256."""
    if link.sha256 is None and not link.local:
        raise SourceError(f"{_public(link.url)}: the index gives no sha256 to check it against")
    if "/" in link.filename or link.filename in ("", ".", ".."):
        raise SourceError(f"{_public(link.url)}: not a file name: {link.filename!r}")
    target = folder / link.filename
    partial = folder / f".{link.filename}.part"
    try:
        with _open(link.url, config) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise SourceError(f"{_public(link.url)}: {getattr(exc, 'reason', exc)}") from exc
    actual = _sha256(partial)
    if link.sha256 is not None and actual != link.sha256:
        partial.unlink()
        raise SourceError(
            f"{link.filename}: sha256 mismatch: the index says {link.sha256}, got {actual}"
        )
    os.replace(partial, target)
    return target


def download_sdist(
    requirement: str,
    folder: Path,
    *,
    filename: str | None = None,
    config: IndexConfig | None = None,
    python_version: str | None = None,
) -> Path:
    """Download the sdist `requirement` names (e.g. `PyYAML==6.0.2`, or just `six` for the
    newest) from pip's configured index into `folder`; its build backend never runs. With
    `python_version`, only files whose requires-python admits it are candidates."""
    try:
        parsed = Requirement(requirement)
    except InvalidRequirement as exc:
        raise SourceError(f"not a requirement: {requirement!r} ({exc})") from exc
    config = config or pip_index_config()
    if not config.index_urls and not config.find_links:
        raise SourceError("pip is configured with no index (--no-index) and no find-links")
    link = choose_sdist(project_links(parsed.name, config), parsed, filename, python_version)
    return fetch_link(link, folder, config)
