"""The command line's side of remote servers: `generate --server` and `models add-server|remove-server`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, TextIO

from gpt2_studio.core.documents.text_input import argument_text
from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.generation.sampling_fields import SAMPLING_FIELDS

if TYPE_CHECKING:
    from gpt2_studio.core.remote.engine import RemoteEngine


def _warn(text: str) -> None:
    print(f"gpt2-studio: warning: {text}", file=sys.stderr, flush=True)


def window_value(text: str) -> int:
    """--window: a whole number of tokens in the range a saved server's window may take."""
    from gpt2_studio.core.remote.servers import WINDOW_RANGE

    low, high = WINDOW_RANGE
    try:
        window = int(text.strip())
    except ValueError:
        window = 0
    if not low <= window <= high:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of tokens from {low} to {high:,}, not {text!r}"
        )
    return window


def _key_from_env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise SettingsError(f"--api-key-env names ${name}, which is not set.")
    return value


def connect_remote(args: argparse.Namespace) -> RemoteEngine:
    """The RemoteEngine that --server (an address or a saved server's name) and its options ask for.

    Warns on standard error about sampling options the server ignores, and about each notice while it
    runs (a 429 retried, a stream cut short).
    """
    from gpt2_studio.core.remote.client import normalise_url
    from gpt2_studio.core.remote.engine import RemoteEngine
    from gpt2_studio.core.remote.servers import api_key_for, find_server
    from gpt2_studio.core.remote.tokenizer import local_tokenizer

    target = argument_text(args.server, "--server", normalise=False).strip()
    url, model, window, api_key = target, args.model, args.window, None
    if "@" in target:
        normalise_url(target)  # refuses credentials in an address without repeating them
    if not target.lower().startswith(("http://", "https://")):
        saved = find_server(target)
        if saved is None:
            raise SettingsError(
                f"--server takes an address such as http://gpu-box:8000/v1 or the name of a saved server "
                f"(`gpt2-studio models list`); there is no server named {target!r}."
            )
        url, model, window = saved.url, model or saved.model, window or saved.window
        api_key = None if args.api_key_env else api_key_for(saved)
    if args.api_key_env:
        api_key = _key_from_env(args.api_key_env)
    engine = RemoteEngine.connect(
        url, model, api_key=api_key, window=window, tokenizer=local_tokenizer(args.tokenizer), on_notice=_warn
    )
    asked = {
        field.name for field in SAMPLING_FIELDS if getattr(args, _flag_dest(field.flag), None) is not None
    }
    if getattr(args, "token_healing", None):  # `score` has no sampling options
        asked.add("token_healing")
    ignored = [name for name in engine.ignored_settings() if name in asked]
    if ignored:
        _warn(f"the server at {engine.model.url} ({engine.model.kind.label}) ignores {', '.join(ignored)}.")
    return engine


def _flag_dest(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_")


def add_server_parsers(actions: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register `models add-server` and `models remove-server`."""
    add = actions.add_parser(
        "add-server",
        parents=parents,
        help="remember an OpenAI-compatible completions server (llama.cpp, vLLM, TGI)",
        description="Ask the server at URL for its models and remember it; `generate --server NAME` then "
        "uses it. An API key is kept in the system keyring, never in a settings file.",
    )
    add.add_argument("url", help="the API's address, such as http://gpu-box:8000/v1")
    add.add_argument(
        "--name",
        help="the name to use it by: letters, digits, '.', '_' or '-', not a local model's (default: the "
        "server's host and port, such as gpu-box-8000)",
    )
    add.add_argument("--replace", action="store_true", help="replace a saved server of that name")
    add.add_argument("--model", help="the server's model to use (default: its only one)")
    add.add_argument(
        "--window", type=window_value, metavar="TOKENS", help="the model's window if the server does not say"
    )
    add.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="the environment variable that holds the API key; with --store-key the key is copied into "
        "the keyring, otherwise the variable is read each time",
    )
    add.add_argument(
        "--store-key", action="store_true", help="keep the key from --api-key-env in the system keyring"
    )
    add.set_defaults(handler=run_add_server)
    remove = actions.add_parser("remove-server", parents=parents, help="forget a saved server and its key")
    remove.add_argument("name")
    remove.set_defaults(handler=run_remove_server)


def run_add_server(args: argparse.Namespace, stdout: TextIO, stdin: TextIO) -> int:
    """Check the server answers, then save it (its key in the keyring when asked)."""
    from gpt2_studio.core.remote.client import normalise_url
    from gpt2_studio.core.remote.engine import RemoteEngine
    from gpt2_studio.core.remote.servers import (
        SavedServer,
        add_server,
        check_server_name,
        default_server_name,
        require_os_keyring,
    )

    url = normalise_url(argument_text(args.url, "URL", normalise=False))
    api_key = _key_from_env(args.api_key_env) if args.api_key_env else None
    if args.store_key and not args.api_key_env:
        raise SettingsError("--store-key keeps the key given by --api-key-env VAR, so it needs that option.")
    name = (
        argument_text(args.name, "--name", normalise=False).strip() if args.name else default_server_name(url)
    )
    check_server_name(name, replace=args.replace)  # before asking the server: a bad name is the user's
    if args.store_key:
        require_os_keyring(url)
    engine = RemoteEngine.connect(url, args.model, api_key=api_key, window=args.window)
    try:
        model = engine.model
    finally:
        engine.close()
    server = SavedServer(
        name=name,
        url=model.url,
        model=model.name,
        window=args.window,
        api_key_env=None if args.store_key else args.api_key_env,
    )
    add_server(server, api_key=api_key if args.store_key else None, replace=args.replace)
    window = f"{model.n_positions} tokens" + ("" if model.window_reported else " (not reported; a setting)")
    kind = model.kind.label
    stdout.write(f"Added server {server.name!r}: {model.url}, model {model.name} ({kind}), window {window}\n")
    return 0


def run_remove_server(args: argparse.Namespace, stdout: TextIO, stdin: TextIO) -> int:
    """Forget a saved server and its key."""
    from gpt2_studio.core.remote.servers import remove_server

    remove_server(args.name)
    stdout.write(f"Removed server {args.name}\n")
    return 0


def list_servers(stdout: TextIO) -> None:
    """The saved servers under `models list` (nothing when there are none)."""
    from gpt2_studio.core.remote.servers import load_servers

    servers, warnings = load_servers()
    for warning in warnings:
        _warn(warning)
    if not servers:
        return
    stdout.write("\nServers (use with `gpt2-studio generate --server NAME`):\n")
    for server in servers:
        key = f", key from ${server.api_key_env}" if server.api_key_env else ""
        window = f", window {server.window}" if server.window else ""
        stdout.write(
            f"  {server.name:<24}{server.url}  model {server.model or '(its only one)'}{window}{key}\n"
        )
