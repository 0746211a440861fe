"""traitlets in the wasm Python: typed attributes, validation, observers, config loading."""

import pytest
from traitlets import HasTraits, Int, TraitError, Unicode, observe, validate
from traitlets.config import Config, Configurable


class Counter(HasTraits):
    count = Int(0)
    label = Unicode("n")
    seen = []

    @validate("count")
    def _not_negative(self, proposal):
        if proposal["value"] < 0:
            raise TraitError("count must be >= 0")
        return proposal["value"]

    @observe("count")
    def _record(self, change):
        self.seen.append((change["old"], change["new"]))


def test_types_validation_and_observers():
    counter = Counter()
    counter.count = 3
    counter.count += 1
    assert counter.seen == [(0, 3), (3, 4)]
    with pytest.raises(TraitError):
        counter.count = "three"
    with pytest.raises(TraitError, match="must be >= 0"):
        counter.count = -1
    assert counter.count == 4


class Greeter(Configurable):
    greeting = Unicode("hello").tag(config=True)


def test_config_reaches_configurables():
    config = Config()
    config.Greeter.greeting = "bonjour"
    assert Greeter(config=config).greeting == "bonjour"
    assert Greeter().greeting == "hello"
