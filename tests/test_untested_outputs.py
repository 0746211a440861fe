"""An output without tests is published with tests "none" (channel metadata and page), never
"passed", and lint warns about it. The build is real (rattler-build, the emci worker, the
py-rattler index) on a two-output recipe that needs no compiler."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import Repo, run_emci

DEMO = """\
recipe:
  name: demo
  version: "1.0"
build:
  number: 0
outputs:
  - package:
      name: demo-tested
    build:
      script:
        - mkdir -p $PREFIX/share/demo && echo tested > $PREFIX/share/demo/tested.txt
    tests:
      - package_contents:
          files:
            - share/demo/tested.txt
  - package:
      name: demo-untested
    build:
      script:
        - mkdir -p $PREFIX/share/demo && echo untested > $PREFIX/share/demo/untested.txt
about:
  license: MIT
  summary: One tested output, one without tests
extra:
  recipe-maintainers: [someone]
"""


def emci(repo: Repo, *args: str) -> subprocess.CompletedProcess:
    return run_emci(repo.root, *args)


def test_lint_warns_about_an_output_without_tests(repo: Repo):
    repo.recipe("demo", DEMO)
    repo.commit()
    done = emci(repo, "lint", "--all")
    assert done.returncode == 0, done.stderr
    assert (
        "WARNING: "
        + str(repo.root / "recipes/recipes_emscripten/demo/recipe.yaml")
        + ': tests: output demo-untested has no tests: it is published with tests "none"'
    ) in done.stderr
    assert "demo-tested has no tests" not in done.stderr
    assert "0 problem(s), 1 warning(s)" in done.stdout


@pytest.mark.e2e
def test_an_untested_output_is_published_with_tests_none(repo: Repo, tmp_path):
    repo.recipe("demo", DEMO)
    repo.commit()
    done = emci(repo, "build", "recipes", "demo")
    assert done.returncode == 0, done.stdout + done.stderr
    metadata = json.loads((repo.root / "output" / "emci-metadata.json").read_text())["packages"]
    tests = {key.split("/")[1].split("-1.0-")[0]: value["tests"] for key, value in metadata.items()}
    assert tests == {"demo-tested": "passed", "demo-untested": "none"}
    # ... carried by an upload, and shown on the channel page
    channel = tmp_path / "channel"
    files = sorted(map(str, (repo.root / "output").glob("*/*.conda")))
    assert emci(repo, "upload", "--to", str(channel), *files).returncode == 0
    assert emci(repo, "channel-page", str(channel)).returncode == 0
    page = (channel / "index.html").read_text()
    row = next(line for line in page.split("<tr") if "demo-untested" in line)
    assert '<span class="t none">none</span>' in row
    row = next(line for line in page.split("<tr") if "demo-tested" in line)
    assert '<span class="t passed">passed</span>' in row
