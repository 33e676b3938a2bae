"""Presets that continue the writer's text (Continue, Point of view) see the document's Memory and
Author's note as the ghost suggestions do; presets about the text (TL;DR, Q&A…) do not. A long text
is fitted into what the notes leave, so the preset's own words at the start of its prompt are kept."""

from __future__ import annotations

from gpt2_studio.core.generation.context import Prompt, fit_context
from gpt2_studio.core.presets.templates import Preset, continues_text
from tests.gui.editor.test_context_dock import _open_dock, _requests, _type_into
from tests.gui.presets.test_presets_gui import click, put_cursor, start_with, wait_done

MEMORY = "Ada Lovelace narrates. She writes to Babbage."
NOTE = "[Style: terse]"


def _with_notes(window, qtbot) -> None:
    _open_dock(window, qtbot)
    _type_into(qtbot, window.context_dock.memory_edit, MEMORY)
    _type_into(qtbot, window.context_dock.note_edit, NOTE)


def test_continue_sends_the_memory_and_note_and_tldr_does_not(window, qtbot, monkeypatch):
    requests = _requests(window, monkeypatch)
    _with_notes(window, qtbot)
    start_with(window, "Dear Charles,\nThe engine")
    put_cursor(window, len("Dear Charles,\nThe engine"))
    click(qtbot, window, "Continue")
    wait_done(qtbot, window)
    assert requests[-1].prompt == Prompt("Dear Charles,\nThe engine", memory=MEMORY, authors_note=NOTE)
    assert window.editor.ghost_text()
    window.editor.clear_ghost()
    click(qtbot, window, "TL;DR")
    wait_done(qtbot, window)
    assert isinstance(requests[-1].prompt, str)  # a summary is of the text alone
    assert MEMORY not in requests[-1].prompt


def test_point_of_view_keeps_its_own_words_when_a_long_text_and_the_notes_fill_the_window(
    window, qtbot, monkeypatch
):
    requests = _requests(window, monkeypatch)
    _with_notes(window, qtbot)
    text = "The sea was grey and the wind was cold. " * 60  # far more than the 128-token window
    start_with(window, text)
    put_cursor(window, len(text))
    window.questions.answer("ask_text", "a sailor")
    click(qtbot, window, "Point of view")
    wait_done(qtbot, window)
    prompt = requests[-1].prompt
    assert isinstance(prompt, Prompt)
    assert (prompt.memory, prompt.authors_note) == (MEMORY, NOTE)
    assert prompt.text.startswith("As a sailor, I think that ")
    engine = window.worker._engine
    budget = engine.model.n_positions - requests[-1].settings.max_new_tokens
    fitted = fit_context(prompt, engine.tokenize, budget)  # as the engine fits it
    assert not fitted.trimmed  # nothing more is cut: the preset's words stay
    assert "As a sailor, I think that" in engine.detokenize(fitted.ids)
    assert window.editor.ghost_text()


def test_which_templates_continue_the_text():
    assert continues_text(Preset("a", "{before_cursor}"))
    assert continues_text(Preset("b", "As {input}, I think that {before_cursor}"))
    assert not continues_text(Preset("c", "{before_cursor}\n\nTL;DR:"))
    assert not continues_text(Preset("d", "{document}"))
    assert not continues_text(Preset("e", ""))
