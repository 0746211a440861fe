"""A static page for a directory channel: every package with its versions, builds, sizes,
dependencies, build and upload times and test result; searchable; readable on a phone."""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path

from emci.channel_meta import read_metadata
from emci.errors import EmciError

PAGE = "index.html"


@dataclass(frozen=True)
class Row:
    name: str
    version: str
    build: str
    subdir: str
    filename: str
    size: int
    depends: tuple[str, ...]
    built_at: str
    uploaded_at: str
    tests: str


def collect_rows(channel: Path) -> list[Row]:
    metadata = read_metadata(channel)
    rows = []
    for repodata_path in sorted(channel.glob("*/repodata.json")):
        try:
            rows += _rows_of(repodata_path, metadata)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
            raise EmciError(f"{repodata_path}: not a readable repodata.json ({reason})") from None
    return sorted(rows, key=lambda r: (r.name, r.subdir, r.version, r.build))


def _rows_of(repodata_path: Path, metadata: dict) -> list[Row]:
    subdir = repodata_path.parent.name
    data = json.loads(repodata_path.read_text())
    rows = []
    for key in ("packages", "packages.conda"):
        for filename, record in (data.get(key) or {}).items():
            meta = metadata.get(f"{subdir}/{filename}", {})
            if not isinstance(meta, dict):
                meta = {}
            rows.append(
                Row(
                    name=str(record["name"]),
                    version=str(record["version"]),
                    build=str(record["build"]),
                    subdir=subdir,
                    filename=filename,
                    size=int(record.get("size", 0)),
                    depends=tuple(map(str, record.get("depends", []))),
                    built_at=str(meta.get("built_at", "")),
                    uploaded_at=str(meta.get("uploaded_at", "")),
                    tests=str(meta.get("tests", "unknown")),
                )
            )
    return rows


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)


def _when(stamp: str) -> str:
    return f"{stamp.replace('T', ' ')[:16]} UTC" if stamp else ""


def render_page(rows: list[Row], title: str) -> str:
    e = html.escape
    body = []
    for row in rows:
        deps = ", ".join(e(d) for d in row.depends) or "—"
        search = e(f"{row.name} {row.version} {row.build} {row.subdir}".lower())
        body.append(
            f'<tr data-search="{search}">'
            f'<td data-label="Package"><strong>{e(row.name)}</strong></td>'
            f'<td data-label="Version">{e(row.version)}</td>'
            f'<td data-label="Build">{e(row.build)}</td>'
            f'<td data-label="Platform">{e(row.subdir)}</td>'
            f'<td data-label="Size">{_size(row.size)}</td>'
            f'<td data-label="Depends" class="deps">{deps}</td>'
            f'<td data-label="Built">{e(_when(row.built_at)) or "—"}</td>'
            f'<td data-label="Uploaded">{e(_when(row.uploaded_at)) or "—"}</td>'
            f'<td data-label="Tests"><span class="t {e(row.tests)}">{e(row.tests)}</span></td>'
            "</tr>"
        )
    names = len({row.name for row in rows})
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; padding: 1rem; color: #1d2330; }}
h1 {{ font-size: 1.4rem; margin: 0 0 .25rem; }}
p.sub {{ margin: 0 0 1rem; color: #5b6475; }}
input {{ width: 100%; max-width: 32rem; font-size: 1rem; padding: .5rem .7rem;
  border: 1px solid #b8c0cc; border-radius: .4rem; box-sizing: border-box; }}
table {{ border-collapse: collapse; width: 100%; margin-top: 1rem; font-size: .9rem; }}
th, td {{ text-align: left; padding: .45rem .5rem; border-bottom: 1px solid #e3e7ee;
  vertical-align: top; }}
th {{ background: #f3f5f9; position: sticky; top: 0; }}
td.deps {{ color: #5b6475; font-size: .8rem; max-width: 22rem; }}
td:nth-child(4), td:nth-child(5), td:nth-child(7), td:nth-child(8) {{ white-space: nowrap; }}
.t {{ padding: .1rem .45rem; border-radius: .8rem; font-size: .8rem; }}
.t.passed {{ background: #dff5e3; color: #16632a; }}
.t.failed {{ background: #fde2e1; color: #9b1c17; }}
.t.unknown {{ background: #eceff3; color: #5b6475; }}
.t.none {{ background: #fff4d6; color: #7a5300; }}
@media (max-width: 700px) {{
  thead {{ display: none; }}
  table, tbody, tr, td {{ display: block; width: 100%; }}
  tr {{ border: 1px solid #e3e7ee; border-radius: .5rem; margin-bottom: .75rem;
    padding: .4rem .6rem; box-sizing: border-box; }}
  td {{ border: none; padding: .2rem 0; }}
  td::before {{ content: attr(data-label) ": "; font-weight: 600; color: #5b6475; }}
  td.deps {{ max-width: none; }}
}}
</style></head>
<body>
<h1>{e(title)}</h1>
<p class="sub">{names} packages, {len(rows)} files</p>
<input id="q" type="search" placeholder="Search packages, versions, platforms…"
  aria-label="Search packages">
<table><thead><tr><th>Package</th><th>Version</th><th>Build</th><th>Platform</th><th>Size</th>
<th>Depends</th><th>Built</th><th>Uploaded</th><th>Tests</th></tr></thead>
<tbody id="rows">
{chr(10).join(body)}
</tbody></table>
<script>
document.getElementById("q").addEventListener("input", function (event) {{
  var words = event.target.value.toLowerCase().split(/\\s+/).filter(Boolean);
  document.querySelectorAll("#rows tr").forEach(function (row) {{
    var text = row.getAttribute("data-search");
    row.style.display = words.every(function (w) {{ return text.indexOf(w) >= 0; }}) ? "" : "none";
  }});
}});
</script>
</body></html>
"""


def write_channel_page(channel: Path, title: str | None = None) -> Path:
    if not (channel / "noarch" / "repodata.json").is_file():
        raise EmciError(f"{channel}: not a channel (no noarch/repodata.json)")
    page = channel / PAGE
    tmp = page.with_name(f".{PAGE}.{os.getpid()}.tmp")
    tmp.write_text(render_page(collect_rows(channel), title or f"{channel.name} channel"))
    tmp.replace(page)
    return page
