"""Keeping credentials away from code that does not need them.

Every subprocess the bot starts (git, pip) gets the environment without anything that looks
like a credential; the one git command that needs the bot's token (the push to an https
remote) gets it as an HTTP header in git's environment-only configuration
(`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`), scoped to the remote's host: never
in a command line (other users of the machine can read those) and never in `.git/config`.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from collections.abc import Mapping

# names of environment variables that hold credentials (GITHUB_TOKEN, EMCI_BOT_TOKEN,
# ACTIONS_ID_TOKEN_REQUEST_TOKEN, QUETZ_API_KEY, AWS_SECRET_ACCESS_KEY, ...)
# (SSH_AUTH_SOCK stays: an ssh push may need the agent, and it holds no secret itself)
SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|CREDENTIAL|PRIVATE_?KEY", re.IGNORECASE
)


def without_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` without the variables whose names say they hold a credential."""
    return {k: v for k, v in environ.items() if not SECRET_NAME.search(k)}


def basic_header(token: str) -> str:
    """The header GitHub accepts for a token over git's smart HTTP protocol."""
    pair = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return f"AUTHORIZATION: basic {pair}"


def push_environment(url: str, token: str, environ: Mapping[str, str]) -> dict[str, str]:
    """Extra environment for `git push URL`: the token as an extra header for exactly that
    URL's scheme and host, when it is an http(s) URL and there is a token; else nothing."""
    parts = urllib.parse.urlsplit(url)
    if not token or parts.scheme not in ("http", "https") or not parts.hostname:
        return {}
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    count = int(environ.get("GIT_CONFIG_COUNT") or 0)
    return {
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": f"http.{parts.scheme}://{netloc}/.extraheader",
        f"GIT_CONFIG_VALUE_{count}": basic_header(token),
    }


def token_forms(token: str) -> list[str]:
    """How a token shows up in a git configuration: as is (a URL's password), or inside the
    base64 of a basic authorization header (actions/checkout's persisted credential)."""
    return [token, basic_header(token).split(" ", 2)[2]] if token else []
