"""``gpt2-studio models list|download|import|remove|add-server|remove-server``: the model manager."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from gpt2_studio.core.documents.text_input import argument_text
from gpt2_studio.core.errors import StudioError
from gpt2_studio.core.models.catalog import CATALOG
from gpt2_studio.core.models.memory import format_bytes, free_ram_bytes

if TYPE_CHECKING:
    from gpt2_studio.core.models.downloads import DownloadProgress


def add_models_parser(
    subparsers: argparse._SubParsersAction, parents: list[argparse.ArgumentParser] | None = None
) -> None:
    """Register ``models`` and its subcommands; ``parents`` bring the options every command takes."""
    parents = parents or []
    models = subparsers.add_parser("models", parents=parents, help="list, download, import or remove models")
    actions = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    actions.add_parser(
        "list", parents=parents, help="the GPT-2 family and the models on this computer"
    ).set_defaults(handler=run_list)
    download = actions.add_parser(
        "download", parents=parents, help="download a model from the Hugging Face Hub"
    )
    download.add_argument("name", help="gpt2, gpt2-medium, gpt2-large, gpt2-xl, distilgpt2, or owner/repo")
    download.add_argument("--token", help="Hugging Face access token (for gated or private repos)")
    download.set_defaults(handler=run_download)
    imported = actions.add_parser(
        "import", parents=parents, help="copy a local GPT-2 checkpoint folder into the models folder"
    )
    imported.add_argument("path")
    imported.add_argument("--name", help="name to list it under (default: the folder's name)")
    imported.set_defaults(handler=run_import)
    remove = actions.add_parser("remove", parents=parents, help="delete a model from the models folder")
    remove.add_argument("name")
    remove.set_defaults(handler=run_remove)
    from gpt2_studio.cli.remote import add_server_parsers

    add_server_parsers(actions, parents)


def run_list(args: argparse.Namespace, stdout: TextIO, stdin: TextIO) -> int:
    """Print the catalog with costs, then every installed model."""
    from gpt2_studio.core.models.store import list_installed

    listed = list_installed(include_damaged=True)
    installed = {model.name: model for model in listed if not model.problem}
    damaged = [model for model in listed if model.problem]
    free = free_ram_bytes()
    stdout.write(f"{'MODEL':<13}{'PARAMS':>8}{'DOWNLOAD':>11}{'RAM NEEDED':>12}  {'FITS':<5}STATUS\n")
    for entry in CATALOG:
        need = entry.cpu_memory_bytes()
        fits = "?" if free is None else ("yes" if need <= free else "no")
        status = "-"
        if entry.name in installed:
            status = "installed" + _copies(installed[entry.name].cache_bytes)
        stdout.write(
            f"{entry.name:<13}{entry.parameters / 1e6:>7.0f}M{format_bytes(entry.download_bytes):>11}"
            f"{format_bytes(need):>12}  {fits:<5}{status}\n"
        )
    others = [model for name, model in installed.items() if name not in {e.name for e in CATALOG}]
    if others:
        stdout.write("\nOther installed models:\n")
        for model in others:
            copies = _copies(model.cache_bytes)
            stdout.write(
                f"  {model.name:<24}{format_bytes(model.size_bytes):>10}{copies}  from {model.source}\n"
            )
    if damaged:
        stdout.write("\nFolders that cannot be used (remove them with `gpt2-studio models remove NAME`):\n")
        for model in damaged:
            stdout.write(f"  {model.name:<24}{model.problem}\n")
    from gpt2_studio.cli.remote import list_servers

    list_servers(stdout)
    stdout.write(f"\nModels folder: {args.models_folder}\nFree memory: {format_bytes(free)}\n")
    return 0


def _copies(cache_bytes: int) -> str:
    """What a model's quantized copies take in the cache folder (", +164 MB quantized copies"), or ""."""
    return f", +{format_bytes(cache_bytes)} quantized copies" if cache_bytes else ""


def _progress_printer(stream: TextIO) -> Callable[[DownloadProgress], None]:
    broken = False

    def show(progress: DownloadProgress) -> None:
        nonlocal broken
        if broken:
            return
        try:
            _show(progress)
        except (OSError, ValueError):  # stderr closed (`2>&1 | head`): the download itself goes on
            broken = True

    def _show(progress: DownloadProgress) -> None:
        speed = f"{format_bytes(int(progress.bytes_per_second))}/s" if progress.bytes_per_second else ""
        left = ""
        if progress.seconds_left is not None:
            minutes, seconds = divmod(int(progress.seconds_left), 60)
            left = f"{minutes}:{seconds:02d} left"
        percent = 100 * progress.done_bytes / progress.total_bytes if progress.total_bytes else 100
        stream.write(
            f"\r{percent:5.1f}%  {format_bytes(progress.done_bytes)} of {format_bytes(progress.total_bytes)}"
            f"  {speed:>10}  {left:<10}  {progress.file:<24}"
        )
        stream.flush()

    return show


def run_download(args: argparse.Namespace, stdout: TextIO, stdin: TextIO) -> int:
    """Plan, then download with a progress line; Ctrl+C cancels and keeps verified files."""
    from gpt2_studio.core.models.downloads import DownloadCancelled, download_model, plan_download

    token = argument_text(args.token, "--token", normalise=False) if args.token is not None else None
    plan = plan_download(argument_text(args.name, "NAME", normalise=False), token=token)
    stdout.write(f"Downloading {plan.repo_id} ({len(plan.files)} files, {format_bytes(plan.total_bytes)})\n")
    cancel = threading.Event()
    try:
        folder = download_model(plan, token=token, progress=_progress_printer(sys.stderr), cancel=cancel)
    except StudioError:
        with contextlib.suppress(OSError, ValueError):  # not on the progress line
            sys.stderr.write("\n")
        raise
    except KeyboardInterrupt:
        cancel.set()
        sys.stderr.write("\nCancelled; run the same command again to continue.\n")
        return 130
    except DownloadCancelled:
        sys.stderr.write("\nCancelled; run the same command again to continue.\n")
        return 130
    with contextlib.suppress(OSError, ValueError):  # ends the progress line; stderr may be closed
        sys.stderr.write("\n")
        sys.stderr.flush()
    stdout.write(f"Installed {plan.name} in {folder}\n")
    return 0


def run_import(args: argparse.Namespace, stdout: TextIO, stdin: TextIO) -> int:
    """Validate and copy a local checkpoint."""
    from gpt2_studio.core.models.store import import_checkpoint

    model = import_checkpoint(args.path, args.name)
    stdout.write(f"Imported {model.name} ({format_bytes(model.size_bytes)}) into {model.folder}\n")
    return 0


def run_remove(args: argparse.Namespace, stdout: TextIO, stdin: TextIO) -> int:
    """Delete an installed model."""
    from gpt2_studio.core.models.store import remove_model

    remove_model(args.name)
    stdout.write(f"Removed {args.name}\n")
    return 0
