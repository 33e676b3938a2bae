"""Per-user folders: platformdirs by default, one variable moves them all."""

from __future__ import annotations

from gpt2_studio import paths


def test_home_variable_moves_every_folder(isolated_home):
    for folder in (paths.config_dir(), paths.data_dir(), paths.cache_dir(), paths.models_dir()):
        assert folder.is_relative_to(isolated_home)
    assert paths.models_dir() == paths.data_dir() / "models"


def test_without_the_variable_platformdirs_decides(monkeypatch):
    import platformdirs

    monkeypatch.delenv(paths.HOME_ENV)
    assert str(paths.config_dir()) == platformdirs.user_config_dir("gpt2-studio", appauthor=False)
    assert str(paths.data_dir()) == platformdirs.user_data_dir("gpt2-studio", appauthor=False)
