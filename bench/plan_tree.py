"""Benchmark: planning a generated tree of 1,000 realistic recipes with emci, against
rattler-build's bare render of the same tree. Goal: emci at most 1.5x the bare render.

    python bench/plan_tree.py [--recipes 1000] [--seed 1] [--repeat 3]

The tree has multi-output recipes, python variants, selectors, compilers, pin_subpackage
and host/run/test dependencies on earlier recipes. emci's figure is the whole planning
path (render, typed recipes, DAG, plan of every recipe); the bare figure is only
`Stage0Recipe.from_file(...).render(...)` for each recipe.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ci"))

from rattler_build import Stage0Recipe  # noqa: E402
from rattler_build.render import RenderConfig  # noqa: E402

from emci.channels import ChannelIndex  # noqa: E402
from emci.graph import build_graph  # noqa: E402
from emci.plan import plan_for_recipes  # noqa: E402
from emci.recipes import Renderer, discover  # noqa: E402
from emci.settings import RECIPE_FOLDERS  # noqa: E402

CONFIG = """\
c_compiler:                    # [target_platform == "emscripten-wasm32"]
  - emscripten                 # [target_platform == "emscripten-wasm32"]
c_compiler_version:            # [target_platform == "emscripten-wasm32"]
  - 3.1.6                      # [target_platform == "emscripten-wasm32"]
cxx_compiler:                  # [target_platform == "emscripten-wasm32"]
  - emscripten                 # [target_platform == "emscripten-wasm32"]
cxx_compiler_version:          # [target_platform == "emscripten-wasm32"]
  - 3.1.6                      # [target_platform == "emscripten-wasm32"]
python:
  - "3.11"
  - "3.12"
"""


def recipe_text(rng: random.Random, index: int, earlier: list[str]) -> str:
    name = f"pkg{index:04d}"
    deps = rng.sample(earlier, min(len(earlier), rng.randint(0, 4)))
    uses_python = rng.random() < 0.4
    host = [f"    - {dep}" for dep in deps]
    if uses_python:
        host.append("    - python")
    run = [f"    - {dep}" for dep in deps[:2]]
    test_run = "\n".join(f"        - {dep}" for dep in deps[:1]) or "        - nodejs"
    lines = [
        "context:",
        f'  version: "{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"',
        "recipe:" if index % 5 == 0 else "package:",
        f"  name: {name}",
        "  version: ${{ version }}",
        "source:",
        f"  url: https://example.org/{name}-${{{{ version }}}}.tar.gz",
        f"  sha256: {rng.getrandbits(256):064x}",
        "build:",
        "  number: 0",
    ]
    requirements = [
        "requirements:",
        "  build:",
        '    - ${{ compiler("c") }}',
        '    - if: target_platform == "emscripten-wasm32"',
        '      then: ${{ compiler("cxx") }}',
        "    - if: build_platform != target_platform",
        "      then: cross-python_${{ target_platform }}" if uses_python else "      then: make",
        "  host:" if host else "  host: []",
        *host,
        "  run:" if run else "  run: []",
        *run,
    ]
    tests = [
        "tests:",
        "  - script: [run-node-tests]",
        "    requirements:",
        "      run:",
        test_run,
    ]
    if index % 5 == 0:  # multi-output: a library, its -dev output pinning it
        body = lines + [
            "outputs:",
            f"  - package: {{name: lib{name}}}",
            "    " + "\n    ".join(requirements),
            f"  - package: {{name: lib{name}-dev}}",
            "    requirements:",
            "      run:",
            f'        - ${{{{ pin_subpackage("lib{name}", exact=True) }}}}',
            "    " + "\n    ".join(tests),
        ]
        return "\n".join(body) + "\n"
    return "\n".join(lines + requirements + tests) + "\n"


def generate(root: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    (root / "conda_build_config.yaml").write_text(CONFIG)
    earlier: list[str] = []
    for index in range(count):
        folder = root / "recipes" / "recipes_emscripten" / f"pkg{index:04d}"
        folder.mkdir(parents=True)
        (folder / "recipe.yaml").write_text(recipe_text(rng, index, earlier))
        earlier.append(f"libpkg{index:04d}" if index % 5 == 0 else f"pkg{index:04d}")


def bare_render(root: Path) -> int:
    renderer = Renderer(root / "conda_build_config.yaml")  # only for the same variant config
    variants = renderer.variants_for("emscripten-wasm32")
    config = RenderConfig(platform=renderer.platform_config("emscripten-wasm32"))
    count = 0
    for _folder, path in discover(root / "recipes"):
        count += len(Stage0Recipe.from_file(path).render(variants, config))
    return count


def emci_plan(root: Path) -> int:
    tree = Renderer(root / "conda_build_config.yaml").render_tree(root / "recipes")
    assert not tree.failures, tree.failures[:3]
    graph = build_graph(tree.recipes)
    plan = plan_for_recipes(graph, sorted(tree.recipes), ChannelIndex())
    return len(plan.names)


def timed(function, root: Path, repeat: int) -> tuple[float, int]:
    times = []
    result = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(root)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    assert "recipes_emscripten" in RECIPE_FOLDERS
    with tempfile.TemporaryDirectory(prefix="emci-bench-") as tmp:
        root = Path(tmp)
        generate(root, args.recipes, args.seed)
        bare, variants = timed(bare_render, root, args.repeat)
        ours, planned = timed(emci_plan, root, args.repeat)
    ratio = ours / bare
    print(f"recipes: {args.recipes}, rendered variants: {variants}, planned recipes: {planned}")
    print(f"rattler-build bare render: {bare:.3f} s (median of {args.repeat})")
    print(f"emci plan:                 {ours:.3f} s (median of {args.repeat})")
    print(f"ratio: {ratio:.2f}x (goal <= 1.50x): {'met' if ratio <= 1.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
