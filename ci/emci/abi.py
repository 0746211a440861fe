"""The tree's Emscripten ABI (docs/maintainers.md, "Moving to a new Emscripten").

Every compiled emscripten-wasm32 package depends on the ABI package (`emscripten-abi`): the
compiler package pins it into what it builds through run_exports. `[tool.emci.abi]` in
pyproject.toml names that package, the variant key holding the tree's ABI and the variant
keys that pick the compiler. A change of any of those keys rebuilds exactly the recipes
whose packages carry the pin (changes.py, through the DAG's run_exports), and `emci env
create` pins the ABI package to the tree's ABI unless asked for another (env.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emci.errors import ConfigError

if TYPE_CHECKING:
    from emci.graph import RecipeGraph


@dataclass(frozen=True)
class AbiSettings:
    package: str  # the package the compiler pins into everything it compiles
    key: str  # the variant key holding the tree's ABI (its version)
    compiler_keys: tuple[str, ...]  # variant keys that pick the compiler package

    @property
    def keys(self) -> frozenset[str]:
        """Every variant key whose change moves compiled packages to another ABI."""
        return frozenset((self.key, *self.compiler_keys))

    @classmethod
    def from_table(cls, table: object, where: str) -> AbiSettings:
        """From `[tool.emci.abi]`; a ConfigError naming the field when it is malformed."""
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: expected a table")
        for field in ("package", "key"):
            if not isinstance(table.get(field), str) or not table[field]:
                raise ConfigError(f"{where}: {field}: expected a non-empty string")
        keys = table.get("compiler_keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
            raise ConfigError(f"{where}: compiler_keys: expected a list of variant keys")
        unknown = sorted(set(table) - {"package", "key", "compiler_keys"})
        if unknown:
            raise ConfigError(f"{where}: unknown field {unknown[0]!r}")
        return cls(table["package"], table["key"], tuple(keys))


def tree_abi(abi: AbiSettings, variant_config: Path, target_platform: str) -> str:
    """The tree's ABI: the one value of `abi.key` in the variant config, which every compiler
    key that the config sets for `target_platform` must equal (a half-done move is an
    error naming the key)."""
    from emci.recipes import variant_values

    values = variant_values(variant_config, target_platform)
    found = values.get(abi.key)
    if not isinstance(found, list) or len(found) != 1:
        raise ConfigError(f"{variant_config}: {abi.key}: expected one version, found {found!r}")
    version = str(found[0])
    for key in abi.compiler_keys:
        compiler = values.get(key)
        if compiler is not None and [str(v) for v in compiler] != [version]:
            shown = ", ".join(map(str, compiler))
            raise ConfigError(
                f"{variant_config}: {key}: {shown} is not the ABI {abi.key} {version} "
                "(move the ABI and the compiler versions together)"
            )
    return version


def restrict_to_carriers(
    marked: Mapping[str, tuple[str, ...]],
    changed: Iterable[str],
    abi: AbiSettings,
    graph: RecipeGraph,
) -> dict[str, tuple[str, ...]]:
    """The recipes a variant change rebuilds (`marked`: recipe -> changed keys its variant
    uses), under the ABI rule: a changed compiler key rebuilds a recipe only when its
    packages carry the ABI pin (they get the ABI package through run_exports, graph.py), and
    its reason then names the ABI key too when that changed. Pure-Python packages, header-only
    and noarch packages that ignore the compiler's run_exports, and recipes that compile only
    in their tests keep their packages: nothing in them depends on the ABI."""
    changed = set(changed)
    result: dict[str, tuple[str, ...]] = {}
    for recipe, keys in marked.items():
        others = [key for key in keys if key not in abi.keys]
        moved = [key for key in keys if key in abi.keys]
        if moved and abi.package in graph.received_exports(recipe):
            if abi.key in changed:
                moved.append(abi.key)
            others += moved
        if others:
            result[recipe] = tuple(sorted(set(others)))
    return result
