"""The hub's side of a download: its settings for one operation, and its errors as one sentence each.

huggingface_hub and the network raise many kinds of exceptions; ``translate_hub_errors`` turns each
into a DownloadError whose message says what happened and what to do.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

from gpt2_studio.core.errors import StudioError
from gpt2_studio.core.models.hub_transfer import TransferError, answer_sentence


class DownloadError(StudioError):
    """A download could not be planned or completed; the message says why and what to do."""


class DownloadCancelled(DownloadError):
    """The user cancelled; verified files are kept for the next attempt."""


def hub_endpoint() -> str | None:
    """HF_ENDPOINT (a mirror), read now rather than when huggingface_hub was imported.

    Raises DownloadError when it is not an http(s) address (huggingface_hub would fail at import).
    """
    from urllib.parse import urlsplit

    value = os.environ.get("HF_ENDPOINT") or None
    try:
        parts = urlsplit(value) if value else None
        usable = parts is None or (parts.scheme in ("http", "https") and bool(parts.hostname))
    except ValueError:
        usable = False
    if not usable:
        raise DownloadError(
            f"HF_ENDPOINT is set to {(value or '')[:200]!r}, which is not an http or https address; "
            "correct it or unset it to use the Hugging Face Hub."
        )
    return value


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE switches downloads off (read now, as hub_endpoint is)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


@contextlib.contextmanager
def translate_hub_errors(repo_id: str) -> Iterator[None]:
    """Turn huggingface_hub's and the network's exceptions into one sentence each."""
    from huggingface_hub import errors

    try:
        yield
    except DownloadError:
        raise
    except TransferError as exc:
        raise DownloadError(str(exc)) from exc
    except errors.GatedRepoError as exc:
        raise DownloadError(
            f"{repo_id} needs permission: accept its terms on the Hugging Face website "
            "and give an access token."
        ) from exc
    except errors.RepositoryNotFoundError as exc:
        raise DownloadError(
            f"{repo_id} was not found on the Hugging Face Hub "
            "(check the name; a private repo needs an access token)."
        ) from exc
    except errors.RevisionNotFoundError as exc:
        raise DownloadError(f"{repo_id} has no such revision.") from exc
    except errors.EntryNotFoundError as exc:
        raise DownloadError(
            f"The hub answered 404 Not Found for a file of {repo_id} it had just listed: "
            "the repo may have changed, so try again."
        ) from exc
    except errors.OfflineModeIsEnabled as exc:
        raise DownloadError("Downloads are off because HF_HUB_OFFLINE is set; unset it to download.") from exc
    except errors.HfHubHTTPError as exc:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        if not status:
            raise DownloadError(
                f"The hub's answer about {repo_id} could not be understood; try again later."
            ) from exc
        headers = getattr(response, "headers", {}) or {}
        raise DownloadError(
            answer_sentence(
                status,
                f"the file list of {repo_id}",
                repo_id,
                error_code=headers.get("X-Error-Code", ""),
                error_message=headers.get("X-Error-Message", ""),
            )
        ) from exc
    except (RecursionError, json.JSONDecodeError) as exc:  # a hostile or broken server's answer
        raise DownloadError(f"The hub's answer about {repo_id} is not valid JSON; try again later.") from exc
    except errors.HFValidationError as exc:
        raise DownloadError(f"{repo_id!r} is not a Hugging Face repo id like owner/name.") from exc
    except OSError as exc:
        raise DownloadError(
            f"Could not reach the Hugging Face Hub ({exc.__class__.__name__}); check the internet connection."
        ) from exc
    except Exception as exc:  # httpx's transport errors are not OSErrors
        if type(exc).__module__.startswith(("httpx", "httpcore", "requests", "urllib3")):
            raise DownloadError(
                f"Could not reach the Hugging Face Hub ({exc.__class__.__name__}); "
                "check the internet connection."
            ) from exc
        if _raised_in_hub_library(exc):  # it could not parse what the server sent
            raise DownloadError(
                f"The hub's answer about {repo_id} could not be understood; try again later."
            ) from exc
        raise


def _raised_in_hub_library(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and str(tb.tb_frame.f_globals.get("__name__", "")).startswith("huggingface_hub")


# huggingface_hub settings for our requests. No telemetry: with it on, the first request also goes to
# huggingface.co even when a mirror is set. (Files are fetched by hub_transfer, over plain HTTP.)
_HUB_SETTINGS = {"HF_HUB_DISABLE_TELEMETRY": True}


@contextlib.contextmanager
def hub_session() -> Iterator[None]:
    """Apply _HUB_SETTINGS to huggingface_hub (it reads them as module constants) for one operation."""
    from huggingface_hub import constants

    saved = {name: getattr(constants, name) for name in _HUB_SETTINGS}
    for name, value in _HUB_SETTINGS.items():
        setattr(constants, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(constants, name, value)
