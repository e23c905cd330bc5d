"""Where the CLI connects: flags, profiles in a config file, the SDKs' environment variables, keys and tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from clikit import Podium

from conftest import ServerProcess, free_port
from integration.test_auth import make_key
from podium.cli._config import Options, resolve
from podium.cli._errors import BadInput

DEAD = f"http://127.0.0.1:{free_port()}"  # nothing listens here


def _config(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_resolution_order(tmp_path: Path) -> None:
    cfg = _config(
        tmp_path / "c.toml",
        'default_profile = "home"\n'
        '[profiles.home]\nserver = "http://home:1"\noutput = "json"\n'
        '[profiles.prod]\nserver = "http://prod:1"\nkey_id = "k"\nkey_secret = "s"\n',
    )
    env = {"PODIUM_CONFIG": str(cfg)}
    assert resolve(Options(), env).server == "http://home:1"  # the default profile
    assert resolve(Options(), env).output == "json"
    sdk = {**env, "CONDUCTOR_SERVER_URL": "http://sdk:1/api"}
    assert resolve(Options(), sdk).server == "http://sdk:1/api"  # the environment beats the default profile
    chosen = resolve(Options(profile="prod"), sdk)  # a chosen profile beats the environment
    assert (chosen.server, chosen.key_id, chosen.key_secret) == ("http://prod:1", "k", "s")
    assert resolve(Options(), {**sdk, "PODIUM_PROFILE": "prod"}).server == "http://prod:1"
    assert resolve(Options(server="http://flag:1", profile="prod"), sdk).server == "http://flag:1"  # flags win
    assert resolve(Options(output="table"), env).output == "table"
    assert resolve(Options(), {"PODIUM_CONFIG": str(tmp_path / "none.toml")}).server == "http://localhost:8080"
    assert resolve(
        Options(), {**env, "PODIUM_SERVER_URL": "http://a:1", "CONDUCTOR_SERVER_URL": "http://b:1"}
    ).server == ("http://a:1")
    assert resolve(Options(server="localhost:9"), env).server == "http://localhost:9"  # the scheme is implied
    for bad_opts, bad_env, says in [
        (Options(profile="nope"), env, "no profile 'nope'"),
        (Options(output="yaml"), env, "--output"),
        (Options(server="ftp://files:21"), env, "must be http"),
        (Options(server="http://"), env, "must be http"),
        (Options(), {**env, "CONDUCTOR_AUTH_KEY": "only-the-id"}, "both its id and its secret"),
    ]:
        with pytest.raises(BadInput, match=says):
            resolve(bad_opts, bad_env)
    broken = _config(tmp_path / "broken.toml", "[profiles.x\n")
    with pytest.raises(BadInput, match="cannot read the config file"):
        resolve(Options(), {"PODIUM_CONFIG": str(broken)})
    typo = _config(tmp_path / "typo.toml", '[profiles.x]\nsever = "http://x"\n')
    with pytest.raises(BadInput, match="unknown setting"):
        resolve(Options(profile="x"), {"PODIUM_CONFIG": str(typo)})


def test_profiles_and_sdk_variables_against_a_server(server: ServerProcess, tmp_path: Path) -> None:
    cfg = _config(
        tmp_path / "config.toml",
        f'default_profile = "down"\n[profiles.down]\nserver = "{DEAD}"\n'
        f'[profiles.live]\nserver = "{server.url}"\noutput = "json"\n',
    )
    podium = Podium(DEAD, cfg, env={"PODIUM_SERVER_URL": None})
    assert "cannot reach" in podium.fails(3, "secret", "list")  # the default profile
    assert isinstance(json.loads(podium.ok("--profile", "live", "secret", "list")), list)
    assert isinstance(json.loads(podium.ok("secret", "list", "-p", "live")), list)  # after the command too
    sdk = {"CONDUCTOR_SERVER_URL": f"{server.url}/api"}  # as the SDKs spell it
    assert podium.ok("secret", "list", "-o", "json", env=sdk).startswith("[")
    assert podium.ok("--server", server.url, "secret", "list", "--output", "json").startswith("[")
    assert "no profile 'gone'" in podium.fails(2, "secret", "list", "--profile", "gone")
    assert "--output" in podium.fails(2, "--server", server.url, "secret", "list", "-o", "xml")
    # XDG_CONFIG_HOME is honoured when PODIUM_CONFIG is not set
    (tmp_path / "xdg" / "podium").mkdir(parents=True)
    (tmp_path / "xdg" / "podium" / "config.toml").write_text(f'[profiles.default]\nserver = "{server.url}"\n')
    xdg = {"PODIUM_CONFIG": None, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert podium.ok("secret", "list", "-o", "json", env=xdg).startswith("[")


def test_config_show_says_where_each_value_comes_from(tmp_path: Path) -> None:
    cfg = _config(
        tmp_path / "c.toml",
        '[profiles.default]\nserver = "http://home:1"\n[profiles.ops]\nkey_id = "kid"\nkey_secret = "very-secret"\n',
    )
    podium = Podium(DEAD, cfg, env={"PODIUM_SERVER_URL": None})
    doc = podium.json("config", "show")
    assert doc["settings"]["server"] == "http://home:1" and doc["sources"]["server"] == "profile default"
    assert doc["settings"]["config_file"] == str(cfg) and doc["sources"]["profile"] == "config file"
    chosen = podium.json("config", "show", "-p", "ops", env={"CONDUCTOR_SERVER_URL": "http://sdk:1"})
    assert chosen["settings"]["key_id"] == "kid" and chosen["settings"]["key_secret"] == "(set)"
    assert chosen["sources"] == {"profile": "flag", "server": "environment", "key_id": "profile ops",
                                 "key_secret": "profile ops", "output": "flag"}  # fmt: skip
    table = podium.ok("config", "show", "-p", "ops")
    assert "very-secret" not in table and "kid" in table and "profile ops" in table


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, dict[str, str]]]]:
    db = tmp_path_factory.mktemp("cliauth") / "podium.db"
    keys = {role: make_key(f"sqlite:///{db}", role) for role in ("admin", "viewer")}
    srv = ServerProcess(db, env={"PODIUM_AUTH": "on"}).start()
    try:
        yield srv, keys
    finally:
        srv.stop()


def test_keys_and_tokens_for_a_server_with_auth(
    auth_server: tuple[ServerProcess, dict[str, dict[str, str]]], tmp_path: Path
) -> None:
    srv, keys = auth_server
    admin, viewer = keys["admin"], keys["viewer"]
    podium = Podium(srv.url, tmp_path / "none.toml")
    assert "401" in podium.fails(4, "env", "list")
    as_admin = {"CONDUCTOR_AUTH_KEY": admin["keyId"], "CONDUCTOR_AUTH_SECRET": admin["keySecret"]}
    assert podium.ok("env", "put", "cli_auth", "v", env=as_admin) == "stored cli_auth\n"
    as_viewer = {"CONDUCTOR_AUTH_KEY": viewer["keyId"], "CONDUCTOR_AUTH_SECRET": viewer["keySecret"]}
    assert podium.json("env", "list", env=as_viewer)["cli_auth"] == "v"
    assert "403" in podium.fails(4, "env", "put", "cli_auth", "w", env=as_viewer)
    wrong = {**as_admin, "CONDUCTOR_AUTH_SECRET": "not-the-secret"}
    assert "401" in podium.fails(4, "env", "list", env=wrong)
    token = httpx.post(f"{srv.url}/api/token", json={"keyId": admin["keyId"], "keySecret": admin["keySecret"]})
    assert podium.json("env", "get", "cli_auth", env={"PODIUM_TOKEN": token.json()["token"]}) == "v"
    cfg = _config(
        tmp_path / "auth.toml",
        f'[profiles.ops]\nserver = "{srv.url}"\nkey_id = "{admin["keyId"]}"\nkey_secret = "{admin["keySecret"]}"\n',
    )
    assert podium.ok("env", "get", "cli_auth", "-p", "ops", env={"PODIUM_CONFIG": str(cfg)}) == "v\n"
