"""Per-user folders (settings, models, cache), resolved in one place.

Set ``GPT2_STUDIO_HOME`` to move all of them under one folder (tests, portable installs).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "GPT-2 Studio"
APP_SLUG = "gpt2-studio"
HOME_ENV = "GPT2_STUDIO_HOME"


def _home_override() -> Path | None:
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """Settings and user presets."""
    home = _home_override()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_SLUG, appauthor=False))


def data_dir() -> Path:
    """Large per-user data: downloaded models, recovery files."""
    home = _home_override()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_SLUG, appauthor=False))


def cache_dir() -> Path:
    """Disposable files."""
    home = _home_override()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_SLUG, appauthor=False))


def models_dir() -> Path:
    """Where downloaded and imported models live, one folder each."""
    return data_dir() / "models"
