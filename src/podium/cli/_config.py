"""Where the CLI connects and how it prints: flags, environment variables and profiles in a config file.

Precedence, strongest first: a flag (``--server``, ``--output``); a profile chosen on purpose
(``--profile`` or ``PODIUM_PROFILE``); the environment (``CONDUCTOR_SERVER_URL`` as the SDKs read it,
``PODIUM_SERVER_URL``, ``CONDUCTOR_AUTH_KEY``/``CONDUCTOR_AUTH_SECRET``, ``PODIUM_TOKEN``,
``PODIUM_OUTPUT``); the config file's default profile; ``http://localhost:8080``. A chosen profile
beats the environment so that ``--profile prod`` never lands on a local server because a shell
exported ``CONDUCTOR_SERVER_URL`` for the SDKs.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from podium.cli._errors import BadInput

DEFAULT_SERVER = "http://localhost:8080"
OUTPUTS = ("table", "json")
_FIELDS = ("server", "key_id", "key_secret", "token", "output")
# Environment variables per field, first found wins.
_ENV: dict[str, tuple[str, ...]] = {
    "server": ("PODIUM_SERVER_URL", "CONDUCTOR_SERVER_URL"),
    "key_id": ("CONDUCTOR_AUTH_KEY",),
    "key_secret": ("CONDUCTOR_AUTH_SECRET",),
    "token": ("PODIUM_TOKEN",),
    "output": ("PODIUM_OUTPUT",),
}


@dataclass(slots=True)
class Options:
    """What the user said on the command line (None: not said)."""

    server: str | None = None
    profile: str | None = None
    output: str | None = None

    def merged(self, other: Options) -> Options:
        """These options, with ``other``'s where these are unset (a command's flags over the root's)."""
        return Options(self.server or other.server, self.profile or other.profile, self.output or other.output)


@dataclass(slots=True)
class Settings:
    """The resolved connection and output settings of one command."""

    server: str = DEFAULT_SERVER
    key_id: str | None = None
    key_secret: str | None = None
    token: str | None = None
    output: str = "table"
    profile: str | None = None
    sources: dict[str, str] = field(default_factory=dict)  # field -> where its value came from


def config_path(env: Mapping[str, str]) -> Path:
    """``PODIUM_CONFIG``, else ``$XDG_CONFIG_HOME/podium/config.toml`` (``~/.config`` by default)."""
    explicit = env.get("PODIUM_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "podium" / "config.toml"


def read_config(path: Path) -> dict[str, Any]:
    """The config file's contents ({} when there is none)."""
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise BadInput(f"cannot read the config file {path}: {e}") from None
    return data


def _profile(config: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    profiles = config.get("profiles", {})
    prof = profiles.get(name) if isinstance(profiles, dict) else None
    if not isinstance(prof, dict):
        known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) and profiles else "none"
        raise BadInput(f"no profile {name!r} in {path} (profiles: {known})")
    unknown = set(prof) - set(_FIELDS)
    if unknown:
        raise BadInput(f"profile {name!r} in {path}: unknown setting(s) {', '.join(sorted(unknown))}")
    return prof


def resolve(opts: Options, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from flags, the environment and the config file (see the module's docstring)."""
    env = os.environ if environ is None else environ
    path = config_path(env)
    config = read_config(path)
    chosen = opts.profile or env.get("PODIUM_PROFILE")
    default = config.get("default_profile") or ("default" if "default" in config.get("profiles", {}) else None)
    layers: list[tuple[str, dict[str, Any]]] = []
    if default and not chosen:
        layers.append((f"profile {default}", _profile(config, str(default), path)))
    env_values = {k: next((env[v] for v in names if env.get(v)), None) for k, names in _ENV.items()}
    layers.append(("environment", {k: v for k, v in env_values.items() if v}))
    if chosen:
        layers.append((f"profile {chosen}", _profile(config, chosen, path)))
    layers.append(("flag", {"server": opts.server, "output": opts.output}))
    out = Settings(profile=chosen or (str(default) if default else None))
    if out.profile:
        out.sources["profile"] = "flag" if opts.profile else "environment" if chosen else "config file"
    for source, values in layers:  # weakest first: later layers overwrite
        for key in _FIELDS:
            value = values.get(key)
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise BadInput(f"{source}: {key} must be a string")
            setattr(out, key, value)
            out.sources[key] = source
    if "://" not in out.server:  # `--server localhost:8080` means what it says
        out.server = "http://" + out.server
    parts = urlsplit(out.server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"the server URL must be http(s)://host[:port] (got {out.server!r})")
    if out.output not in OUTPUTS:
        raise BadInput(f"--output must be one of {', '.join(OUTPUTS)} (got {out.output!r})")
    if (out.key_id is None) != (out.key_secret is None):
        raise BadInput("an application key needs both its id and its secret (CONDUCTOR_AUTH_KEY/_SECRET)")
    return out
