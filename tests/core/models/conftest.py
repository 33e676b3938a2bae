"""Fixtures for the model tests: the hub stand-in serving the tiny GPT-2 under GPT-2's own repo id."""

from __future__ import annotations

import pytest

from tests.hub_stand_in import HubStandIn, serve_tiny_gpt2

REPO = "openai-community/gpt2"


@pytest.fixture
def hub(hub_stand_in: HubStandIn, tmp_path, monkeypatch: pytest.MonkeyPatch) -> HubStandIn:
    """The stand-in serving the tiny GPT-2 as openai-community/gpt2, with HF_ENDPOINT pointing at it."""
    serve_tiny_gpt2(hub_stand_in, tmp_path, REPO)
    monkeypatch.setenv("HF_ENDPOINT", hub_stand_in.url)
    return hub_stand_in
