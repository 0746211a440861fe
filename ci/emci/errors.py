"""Errors with a message for the user. Only the CLI turns them into exit codes."""


class EmciError(Exception):
    """Base class: `str(error)` is a complete one-line message for the user."""


class Problems(EmciError):
    """Several one-line problems found together: every one is printed, then `summary`
    (validate everything, then fail once)."""

    def __init__(self, problems: list[str], summary: str = "") -> None:
        super().__init__("; ".join(problems) or summary)
        self.problems = list(problems)
        self.summary = summary


class ConfigError(EmciError):
    """The repository settings or the variant config are wrong."""


class RecipeError(EmciError):
    """A recipe cannot be read or rendered. `recipe` is its id when known."""

    def __init__(self, path: str, reason: str, recipe: str | None = None) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.recipe = recipe
        # package names the recipe file spells out, for a recipe that does not render
        self.names: tuple[str, ...] = ()


class UnknownRecipeError(EmciError):
    """A recipe name given on the command line names no recipe, or more than one."""


class GraphError(EmciError):
    """The recipes do not form a buildable DAG (duplicate producers, cycles, missing deps)."""


class CycleError(GraphError):
    def __init__(self, cycle: list[str]) -> None:
        super().__init__("dependency cycle: " + " -> ".join([*cycle, cycle[0]]))
        self.cycle = cycle


class ChannelError(EmciError):
    """A directory channel cannot be created, locked, written or indexed."""


class GitError(EmciError):
    pass


class SourceError(EmciError):
    """A source cannot be fetched or does not match its sha256."""


class UploadError(EmciError):
    """A package cannot be published: a bad package file, a refused or failed upload."""


class SourceUnavailable(SourceError):
    """No mirror, URL or provider delivers a source (a substitute may stand in for it)."""


class BuildError(EmciError):
    pass


def one_line(exc: BaseException) -> str:
    """A one-line reason from an exception whose text may be a multi-line diagnostic."""
    lines = [line.strip(" │×╭╰└├─┬┴┼") for line in str(exc).splitlines()]
    lines = [line for line in lines if line]
    text = "; ".join(dict.fromkeys(lines)) or type(exc).__name__
    return text[:400]
