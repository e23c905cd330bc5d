"""The frame every server-facing command runs in: the common options, one `Cli` object, one-line errors.

``@command(group)`` registers a function whose first parameter is ``cli: Cli``; it adds ``--server``,
``--profile`` and ``--output/-o`` to the command (so they work after the command name too, not only
before it), resolves the settings, and turns every expected failure into one line on stderr and a
documented exit code (``_errors.Exit``) — never a traceback.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

from podium.cli._api import Api
from podium.cli._config import Options, Settings, resolve
from podium.cli._errors import CliError, Exit

ServerOpt = Annotated[
    str | None, typer.Option("--server", "-s", help="Server URL (env CONDUCTOR_SERVER_URL / PODIUM_SERVER_URL)")
]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", "-p", help="Profile of the config file (env PODIUM_PROFILE)")
]
OutputOpt = Annotated[str | None, typer.Option("--output", "-o", help="table or json (env PODIUM_OUTPUT)")]
_COMMON = {"cli_server": ServerOpt, "cli_profile": ProfileOpt, "cli_output": OutputOpt}


class Cli:
    """What a command needs: the settings, the server and the consoles."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.out = Console(highlight=False, soft_wrap=False)
        if not self.out.is_terminal:
            self.out.width = 200  # piped output: whole ids, no wrapping at 80 columns
        self.err = Console(stderr=True, highlight=False)
        self._api: Api | None = None

    @property
    def json(self) -> bool:
        """True when the user asked for the API's JSON."""
        return self.settings.output == "json"

    @property
    def api(self) -> Api:
        if self._api is None:
            self._api = Api(self.settings)
        return self._api

    def close(self) -> None:
        if self._api is not None:
            self._api.close()

    def print_json(self, value: Any) -> None:
        """A JSON document on stdout, exactly (no markup, no wrapping)."""
        sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def say(self, text: str) -> None:
        """A confirmation line on stdout in table mode (nothing in JSON mode, where the API said nothing)."""
        if not self.json:
            self.out.print(text, markup=False)

    def note(self, text: str) -> None:
        """A remark on stderr (never mixed into the output a script reads)."""
        self.err.print(text, markup=False)


def fail(message: str, code: Exit) -> None:
    """Print one error line and exit."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(int(code))


def _root_options(ctx: typer.Context) -> Options:
    """The options given before the command (``podium --server URL workflow ...``)."""
    return ctx.obj if isinstance(ctx.obj, Options) else Options()


def command(group: typer.Typer, name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """Register ``fn(cli, ...)`` as a command of ``group`` with the common options and error handling."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn, eval_str=True)
        params = list(sig.parameters.values())[1:]  # drop `cli`
        extra = [
            inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=a) for k, a in _COMMON.items()
        ]
        extra.append(inspect.Parameter("cli_ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context))

        @functools.wraps(fn)
        def run(*args: Any, **kw: Any) -> Any:
            own = Options(kw.pop("cli_server"), kw.pop("cli_profile"), kw.pop("cli_output"))
            root = _root_options(kw.pop("cli_ctx"))
            cli: Cli | None = None
            try:
                cli = Cli(resolve(own.merged(root)))
                return fn(cli, *args, **kw)
            except CliError as e:
                fail(e.message, e.code)
            except KeyboardInterrupt:
                typer.echo("interrupted", err=True)
                raise typer.Exit(130) from None
            except Exception as e:
                if isinstance(e, typer.Exit | typer.Abort) or hasattr(e, "exit_code") or os.environ.get("PODIUM_DEBUG"):
                    raise  # typer's own exits and usage errors; or a bug of ours, traceback asked for
                # a bug of ours: one line
                fail(f"unexpected {type(e).__name__}: {e} (PODIUM_DEBUG=1 shows the traceback)", Exit.INTERNAL)
            finally:
                if cli is not None:
                    cli.close()

        run.__signature__ = sig.replace(parameters=[*params, *extra])  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in [*params, *extra]}
        group.command(name, **kwargs)(run)
        return fn

    return register
