"""pluggy in the wasm Python: a hook spec, two plugins, results in LIFO order."""

import pluggy

hookspec = pluggy.HookspecMarker("demo")
hookimpl = pluggy.HookimplMarker("demo")


class Spec:
    @hookspec
    def compute(self, x):
        """Compute something from x."""


class Double:
    @hookimpl
    def compute(self, x):
        return 2 * x


class Square:
    @hookimpl
    def compute(self, x):
        return x * x


def test_hooks_are_called_last_registered_first():
    manager = pluggy.PluginManager("demo")
    manager.add_hookspecs(Spec)
    manager.register(Double())
    manager.register(Square())
    assert manager.hook.compute(x=3) == [9, 6]
