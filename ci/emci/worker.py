"""One recipe's build, run as a child process whose whole output is that recipe's log.

    python -m emci.worker RECIPE_YAML --target-platform P --variant-config F \
        --stage-output DIR [--channel C ...]

Builds every output with rattler-build into the stage directory (never into the channel),
copies rattler-build's build log into this process's output, then runs each package's
tests (Node tests included) with their output logged. Exit status 0 means built and tested.
"""

from __future__ import annotations

import argparse
import shutil
import warnings
from pathlib import Path

from emci.exiting import leave
from emci.settings import BUILD_PLATFORM


class _LogCallback:
    """Streams rattler-build's test log into stdout (the recipe's log file)."""

    def on_download_start(self, event) -> None:
        print(f"download {event.url}", flush=True)

    def on_download_progress(self, event) -> None:
        pass

    def on_download_complete(self, event) -> None:
        pass

    def on_build_step(self, event) -> None:
        print(f"== {event.step_name}: {event.message}", flush=True)

    def on_log(self, event) -> None:
        print(event.message, flush=True)


def _print_build_logs(stage: Path) -> None:
    for log in sorted(stage.glob("bld/*/work/conda_build.log")):
        print(f"== build log {log.parent.parent.name}", flush=True)
        print(log.read_text(errors="replace"), flush=True)


def build(args: argparse.Namespace) -> int:
    import rattler_build

    stage = Path(args.stage_output)
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    print(f"== building {args.recipe} for {args.target_platform}", flush=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            rattler_build.build_recipes(
                [Path(args.recipe)],
                target_platform=args.target_platform,
                build_platform=BUILD_PLATFORM,
                channel=args.channel,
                variant_config=[args.variant_config],
                test="skip",
                output_dir=stage,
                keep_build=True,
            )
    except Exception as exc:
        _print_build_logs(stage)
        print(f"BUILD FAILED: {exc}", flush=True)
        return 1
    _print_build_logs(stage)
    shutil.rmtree(stage / "bld", ignore_errors=True)
    return test(stage, args.channel)


def test(stage: Path, channels: list[str]) -> int:
    from rattler_build import Package

    packages = sorted(stage.glob("*/*.conda"))
    if not packages:
        print("BUILD FAILED: rattler-build produced no package", flush=True)
        return 1
    failed = 0
    for path in packages:
        package = Package.from_file(path)
        for index in range(package.test_count):
            print(f"== test {index} of {path.name}", flush=True)
            try:
                result = package.run_test(
                    index, channel=[str(stage), *channels], progress_callback=_LogCallback()
                )
                ok = result.success
                if not ok and result.output:
                    print(f"error: {result.output[-1].strip()}", flush=True)
            except Exception as exc:
                print(f"error: {exc}", flush=True)
                ok = False
            print(f"== test {index} of {path.name}: {'PASSED' if ok else 'FAILED'}", flush=True)
            failed += 0 if ok else 1
    if failed:
        print(f"TESTS FAILED: {failed}", flush=True)
        return 1
    print(f"== all tests passed for {len(packages)} package(s)", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emci.worker")
    parser.add_argument("recipe")
    parser.add_argument("--target-platform", required=True)
    parser.add_argument("--variant-config", required=True)
    parser.add_argument("--stage-output", required=True)
    parser.add_argument("--channel", action="append", default=[])
    return build(parser.parse_args(argv))


if __name__ == "__main__":
    leave(main())
