"""`emci lint`: raw and rendered checks, every problem reported, exit 1 once."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import Repo

GOOD = """\
context:
  version: "1.0"
package:
  name: good
  version: ${{ version }}
source:
  url: https://example.org/good-${{ version }}.tar.gz
  sha256: 0000000000000000000000000000000000000000000000000000000000000000
build:
  script: [echo]
tests:
  - script: [echo ok]
about:
  license: MIT OR Apache-2.0
extra:
  recipe-maintainers: [someone]
"""

BAD = """\
package:
  name: bad
  version: "1.0"
source:
  - url: https://example.org/bad-1.0.tar.gz
build:
  script: [echo]
about:
  license: GPL-9000-or-something
extra:
  recipe-maintainers: [someone]
"""


def lint(repo: Repo, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emci", "--root", str(repo.root), "lint", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_clean_tree_passes(repo: Repo):
    repo.recipe("good", GOOD)
    repo.commit()
    done = lint(repo, "--all")
    assert done.returncode == 0, done.stderr
    assert "0 problem(s)" in done.stdout


def test_a_bad_recipe_on_a_branch_reports_every_problem(repo: Repo):
    repo.recipe("good", GOOD)
    repo.commit()
    repo.git("checkout", "-q", "-b", "add-bad")
    repo.recipe("bad", BAD)
    repo.commit()
    done = lint(repo, "main", "HEAD")
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 3, done.stderr
    text = "\n".join(errors)
    assert "bad/recipe.yaml: about.license: 'GPL-9000-or-something' is not a valid SPDX" in text
    assert "bad/recipe.yaml: source[0].sha256: URL source without a sha256" in text
    assert "bad/recipe.yaml: tests: the recipe has no tests" in text
    assert "Traceback" not in done.stderr


def test_unparsable_and_unrenderable_recipes(repo: Repo):
    repo.recipe("broken", "package: [\n")
    no_maintainers = GOOD.replace("good", "nomaint").replace(
        "extra:\n  recipe-maintainers: [someone]\n", ""
    )
    repo.recipe("nomaint", no_maintainers + "requirements:\n  host:\n    - ${{ nope() }}\n")
    repo.commit()
    done = lint(repo, "--all")
    assert done.returncode == 1
    assert "broken/recipe.yaml: (yaml): cannot be parsed" in done.stderr
    assert "nomaint/recipe.yaml: extra.recipe-maintainers: no maintainers listed" in done.stderr
    assert "nomaint/recipe.yaml: (render):" in done.stderr


def test_duplicate_outputs_name_both_recipes(repo: Repo):
    repo.recipe("good", GOOD)
    repo.recipe("good2", GOOD)
    repo.commit()
    done = lint(repo, "--all")
    assert done.returncode == 1
    assert "good2/recipe.yaml: package.name: emscripten-wasm32/good-1.0-" in done.stderr
    assert "is also produced by" in done.stderr


def test_another_version_of_a_package_is_an_alternative_not_a_duplicate(repo: Repo):
    repo.recipe("good", GOOD)
    repo.recipe("good-old", GOOD.replace('version: "1.0"', 'version: "0.9"'))
    repo.commit()
    assert lint(repo, "--all").returncode == 0


@pytest.mark.e2e
def test_recipe_new_writes_a_recipe_that_lints(repo: Repo):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "emci",
            "--root",
            str(repo.root),
            "recipe",
            "new",
            "six",
            "--version",
            "1.16.0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    folder = repo.root / "recipes" / "recipes_emscripten" / "six"
    text = (folder / "recipe.yaml").read_text()
    assert "sha256: 1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926" in text
    assert "url: pypi://six/six-${{ version }}.tar.gz" in text
    assert "pytester test_six.py" in text and (folder / "test_six.py").is_file()
    repo.commit("six")
    done = lint(repo, "--all")
    assert done.returncode == 0, done.stderr  # valid YAML, an SPDX license, a test, ...
