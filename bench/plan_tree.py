"""Benchmark: planning a generated tree of 1,000 real-shaped recipes, three figures.

    python bench/plan_tree.py [--recipes 1000] [--seed 1] [--repeat 5] [--profile]

1. Cold plan of every recipe (render with an empty cache, which it fills; typed recipes,
   DAG, plan), in this process after imports, against rattler-build's bare render of the
   same recipes (`Stage0Recipe.from_file(...).render(...)` each). Goal: at most 1.2x. The
   same plan with --no-cache is printed beside it.
2. Warm plan of a one-recipe change (`Workspace.plan_changes(main, HEAD)`, the render cache
   filled except for the changed recipe), in this process after imports. Goal: <= 0.3 s.
3. The no-op `emci plan HEAD HEAD` as a whole process against `python -c "import emci.cli"`,
   on the generated tree and on this repository. Goal: at most 0.2 s more.

The tree: single- and multi-output recipes (a library and its -dev output pinning it),
python variants, selectors, compilers, host/run/test dependencies on earlier recipes;
alternative producers (a library kept in a 6.x and a 7.x recipe, consumers asking for
either; one version built two ways, with and without BLAS); the same folder name in
`recipes/` (a native tool) and `recipes_emscripten/` (its wasm build, which uses the tool);
and a recipe that fails to render. Medians of --repeat runs; the machine's load average is
printed with the figures (a busy 2-core machine inflates every number). --profile prints
cProfile's top functions for the cold and the warm plan.

Where the cold plan's time went (200 generated recipes under callgrind, instructions after
imports, so free of the machine's load; bare render = 1.00): rattler-build's own parse and
render are the same in both. Before: 1.27x with the cache filled, 1.20x without. The
largest cost was not an instruction count: py-rattler-build links the variants it returns
in a reference cycle, and a tree renders with the cycle collector paused, so every rendered
variant stayed alive until the end (+30 MB, page faults, cache misses); the render now
empties that list as it reads it. Then: per-field fingerprints (a JSON encoding and a
sha256 per rendered field, needed only by the build number rule's own renders), the cache
body as objects, repeated requirement lists parsed again, a match call per candidate of a
requirement of a name alone, a match spec parsed per outside requirement. After: 1.18x
with the cache filled (its keys, which read every file of every folder, and its entries'
encoding about 0.05x), 1.14x without: rattler-build's rendered recipes converted to Python
(`to_dict`, the variant) about 0.03x, typed outputs 0.02x, the DAG 0.03x, the plan 0.01x.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ci"))

from rattler_build import Stage0Recipe  # noqa: E402

from emci.recipes import Renderer, discover  # noqa: E402
from emci.settings import RECIPE_FOLDERS, Settings  # noqa: E402
from emci.workspace import Workspace  # noqa: E402

COLD_GOAL, WARM_GOAL, PROCESS_GOAL = 1.2, 0.3, 0.2

CONFIG = """\
c_compiler:                    # [target_platform == "emscripten-wasm32"]
  - emscripten                 # [target_platform == "emscripten-wasm32"]
c_compiler_version:            # [target_platform == "emscripten-wasm32"]
  - 3.1.69                     # [target_platform == "emscripten-wasm32"]
cxx_compiler:                  # [target_platform == "emscripten-wasm32"]
  - emscripten                 # [target_platform == "emscripten-wasm32"]
cxx_compiler_version:          # [target_platform == "emscripten-wasm32"]
  - 3.1.69                     # [target_platform == "emscripten-wasm32"]
python:
  - "3.11"
  - "3.12"
"""

PYPROJECT = """\
[tool.emci]
output = "output"
build = "build"

[tool.emci.channels]
local = []
"""

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


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


def simple(name: str, version: str, *, host=(), build=(), string: str = "") -> str:
    lines = [
        "package:",
        f"  name: {name}",
        f'  version: "{version}"',
        "build:",
        "  number: 0",
        *([f"  string: {string}"] if string else []),
        "requirements:",
        "  build:" if build else "  build: []",
        *(f"    - {item}" for item in build),
        "  host:" if host else "  host: []",
        *(f"    - {item}" for item in host),
    ]
    return "\n".join(lines) + "\n"


def real_tree_cases() -> dict[str, str]:
    """Folder (relative to recipes/) -> recipe.yaml: the cases real trees hold on purpose."""
    cases = {
        # a library kept side by side in two versions, and consumers of either or both
        "recipes_emscripten/libalt6": simple("libalt", "6.4.0"),
        "recipes_emscripten/libalt7": simple("libalt", "7.1.0"),
        "recipes_emscripten/uses-libalt": simple("uses-libalt", "1.0", host=["libalt"]),
        "recipes_emscripten/uses-libalt7": simple("uses-libalt7", "1.0", host=["libalt >=7"]),
        "recipes_emscripten/uses-libalt6": simple("uses-libalt6", "1.0", host=["libalt <7"]),
        # one version built two ways
        "recipes_emscripten/blasish-openblas": simple("blasish", "2.0", string="openblas_0"),
        "recipes_emscripten/blasish-noblas": simple("blasish", "2.0", string="noblas_0"),
        "recipes_emscripten/uses-blasish": simple("uses-blasish", "1.0", host=["blasish"]),
        # the same folder in both trees: a native tool and its wasm build, which uses it
        "recipes/flatc": simple("flatc", "24.3.25"),
        "recipes_emscripten/flatc": simple("flatc", "24.3.25", build=["flatc"]),
        # a recipe this rattler-build no longer accepts
        "recipes_emscripten/oldschool": simple("oldschool", "1.0").replace(
            "  number: 0\n", "  number: 0\n  skip_compile_pyc: [x]\n"
        ),
    }
    return cases


def generate(root: Path, count: int, seed: int) -> None:
    """`count` recipes in all: the generated ones and the real-tree cases."""
    rng = random.Random(seed)
    (root / "conda_build_config.yaml").write_text(CONFIG)
    (root / "pyproject.toml").write_text(PYPROJECT)
    cases = real_tree_cases()
    earlier: list[str] = []
    for index in range(count - len(cases)):
        folder = root / "recipes" / "recipes_emscripten" / f"pkg{index:04d}"
        folder.mkdir(parents=True)
        (folder / "recipe.yaml").write_text(recipe_text(rng, index, earlier))
        earlier.append(f"libpkg{index:04d}" if index % 5 == 0 else f"pkg{index:04d}")
    for relative, text in cases.items():
        folder = root / "recipes" / relative
        folder.mkdir(parents=True)
        (folder / "recipe.yaml").write_text(text)


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), *args],
        check=True,
        capture_output=True,
        env={**os.environ, **GIT_ENV},
    )


def make_repository(root: Path) -> str:
    """main holds the tree; `topic` changes one recipe in the middle of the DAG."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "tree")
    git(root, "checkout", "-q", "-b", "topic")
    changed = sorted(discover(root / "recipes"))[len(list(discover(root / "recipes"))) // 2]
    path = changed[1]
    path.write_text(path.read_text().replace("  number: 0", "  number: 1", 1))
    git(root, "commit", "-q", "-am", "bump one recipe")
    return f"{changed[0]}/{path.parent.name}"


# -- the figures ----------------------------------------------------------------------------


def bare_render(root: Path) -> int:
    """rattler-build's own render of every recipe, as the bench's baseline."""
    renderer = Renderer(root / "conda_build_config.yaml")  # only for the same variant config
    count = 0
    for folder, path in discover(root / "recipes"):
        platform = RECIPE_FOLDERS[folder]
        try:
            rendered = Stage0Recipe.from_file(path).render(
                renderer.variants_for(platform), renderer.render_config(platform)
            )
        except Exception:  # the recipe that fails to render fails here too
            continue
        count += len(rendered)
    return count


def empty_render_cache(root: Path) -> None:
    shutil.rmtree(Settings.load(root).render_cache, ignore_errors=True)


def cold_plan(root: Path, cache: bool = True) -> int:
    """A plan of every recipe with an empty render cache (which it fills), or none."""
    settings = Settings.load(root)
    workspace = Workspace(settings, cache=cache)
    plan = workspace.plan_recipes(sorted(workspace.graph.recipes), with_dependents=False)
    return len(plan.names)


def warm_plan(root: Path) -> int:
    workspace = Workspace(Settings.load(root))
    return len(workspace.plan_changes("main", "HEAD", with_dependents=False).names)


def median_time(function, repeat: int, before=None) -> tuple[float, object]:
    times = []
    result = None
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def process_time(command: list[str], repeat: int, cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "ci")}
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr.decode()}")
    return statistics.median(times)


def profile(function, label: str) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(function)
    print(f"\n--- profile: {label} (cProfile, top by own time) ---")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; before: {load()}")
    with tempfile.TemporaryDirectory(prefix="emci-bench-") as tmp:
        root = Path(tmp)
        generate(root, args.recipes, args.seed)
        changed = make_repository(root)

        # 1. cold: interleaved with the bare render so that both see the same machine
        bare_times, cold_times, uncached_times = [], [], []
        variants = planned = 0
        for _ in range(args.repeat):
            seconds, variants = median_time(lambda: bare_render(root), 1)
            bare_times.append(seconds)
            emptied = functools.partial(empty_render_cache, root)
            seconds, planned = median_time(lambda: cold_plan(root), 1, before=emptied)
            cold_times.append(seconds)
            seconds, _planned = median_time(lambda: cold_plan(root, cache=False), 1, before=emptied)
            uncached_times.append(seconds)
        bare, cold = statistics.median(bare_times), statistics.median(cold_times)
        uncached = statistics.median(uncached_times)

        # 2. warm: the cache filled on main, so the recipe the topic branch changed is stale
        entries = Settings.load(root).render_cache / "entries"
        stale = root / "entries.main"  # outside the cache folder, which cold plans remove
        git(root, "checkout", "-q", "main")
        Workspace(Settings.load(root)).tree  # noqa: B018 - renders main's tree into the cache
        shutil.copy(entries, stale)
        git(root, "checkout", "-q", "topic")
        warm, warm_planned = median_time(
            lambda: warm_plan(root), args.repeat, before=lambda: shutil.copy(stale, entries)
        )

        # 3. whole processes
        python = sys.executable
        import_only = [python, "-c", "import emci.cli"]
        noop = [python, "-m", "emci", "plan", "HEAD", "HEAD"]
        processes = []
        for label, where in (("generated tree", root), ("this repository", ROOT)):
            base = process_time(import_only, args.repeat * 2, where)
            plan = process_time(noop, args.repeat * 2, where)
            processes.append((label, base, plan))

        if args.profile:
            cold = lambda: (empty_render_cache(root), cold_plan(root))  # noqa: E731
            profile(cold, "cold plan of every recipe")
            profile(lambda: (shutil.copy(stale, entries), warm_plan(root)), "warm one-recipe plan")

    print(
        f"recipes: {args.recipes} (rendered variants {variants}; planned {planned}); "
        f"changed on topic: {changed}"
    )
    print(
        f"1. cold plan of every recipe (empty render cache, filled): {cold:.3f} s; "
        f"rattler-build bare render {bare:.3f} s"
    )
    print(
        f"   ratio {cold / bare:.2f}x (goal <= {COLD_GOAL:.1f}x): "
        f"{verdict(cold / bare <= COLD_GOAL)}; with --no-cache {uncached:.3f} s "
        f"({uncached / bare:.2f}x)"
    )
    print(
        f"2. warm plan of a one-recipe change: {warm:.3f} s, {warm_planned} recipe(s) planned "
        f"(goal <= {WARM_GOAL:.1f} s): {verdict(warm <= WARM_GOAL)}"
    )
    for label, base, plan in processes:
        extra = plan - base
        print(
            f"3. no-op `emci plan HEAD HEAD` ({label}): {plan:.3f} s; `import emci.cli` "
            f"{base:.3f} s; +{extra:.3f} s (goal <= +{PROCESS_GOAL:.1f} s): "
            f"{verdict(extra <= PROCESS_GOAL)}"
        )
    print(f"medians of {args.repeat} runs ({args.repeat * 2} for processes); after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
