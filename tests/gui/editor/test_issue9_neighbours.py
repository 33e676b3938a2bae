"""Issue 9's examples' neighbours, tried as an independent tester would (real window, keys, files)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication

from gpt2_studio.gui.editor.document_text import exact_text


def _end(window) -> None:
    window.editor.moveCursor(QTextCursor.MoveOperation.End)


def test_cut_and_paste_keeps_no_break_spaces(window, qtbot, tmp_path):
    target = tmp_path / "prix.txt"
    target.write_bytes("Prix\u00a0: 10\u00a0€\nLigne\u2028suite\n".encode())
    assert window.open_file(target)
    editor = window.editor
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    editor.moveCursor(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
    qtbot.keyClick(editor, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == "Prix\u00a0: 10\u00a0€"
    _end(window)
    qtbot.keyClick(editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert exact_text(editor.document()) == "\nLigne\u2028suite\nPrix\u00a0: 10\u00a0€"


def test_copy_of_a_line_separator_keeps_it(window, qtbot, tmp_path):
    target = tmp_path / "sep.txt"
    target.write_bytes("a\u2028b\u00a0c\n".encode())
    assert window.open_file(target)
    editor = window.editor
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == "a\u2028b\u00a0c\n"


def _open_type_save(window, qtbot, target, typed: str = "!") -> None:
    assert window.open_file(target)
    _end(window)
    qtbot.keyClicks(window.editor, typed)
    assert window.save()


BYTE_CASES = {
    "crlf with nbsp": ("Prix\u00a0: 10\u00a0€\r\nLigne\u2028suite\r\n".encode(), None),
    "cp1252 with nbsp": ("Prix\u00a0: 10\u00a0€\r\n".encode("cp1252"), "cp1252"),
    "utf-16 bom": (b"\xff\xfe" + "Prix\u00a0: 10\u00a0€\n\u2028x".encode("utf-16-le"), None),
    "utf-16 big-endian bom": (b"\xfe\xff" + "Prix\u00a0: 10\u00a0€\n\u2028x".encode("utf-16-be"), None),
    "utf-8 bom": (b"\xef\xbb\xbf" + "\u00a0début\n".encode(), None),
    "nbsp at start": ("\u00a0\u00a0x".encode(), None),
    "zero-width joiner": ("👩\u200d💻 ok\n".encode(), None),
    "lone cr": (b"one\rtwo\rthree", None),
    "no final newline": ("fin\u00a0!".encode(), None),
    "only newlines": (b"\n\n\n", None),
    "empty": (b"", None),
}


@pytest.mark.parametrize("name", list(BYTE_CASES))
def test_open_type_save_changes_only_the_typed_byte(window, qtbot, tmp_path, name):
    original, encoding = BYTE_CASES[name]
    target = tmp_path / "f.txt"
    target.write_bytes(original)
    if encoding:
        window.questions.answer("choose_encoding", encoding)
    _open_type_save(window, qtbot, target)
    wide = {"utf-16": "utf-16-le", "utf-16-be-sig": "utf-16-be", "utf-8-sig": "utf-8"}
    codec = wide.get(window.encoding, window.encoding)
    expected_tail = "!".encode(codec)
    assert target.read_bytes() == original + expected_tail


def test_undo_redo_round_trip_keeps_bytes(window, qtbot, tmp_path):
    target = tmp_path / "u.txt"
    original = "a\u00a0b\u2028c\u2029d\ufdd0e\n".encode()
    target.write_bytes(original)
    assert window.open_file(target)
    _end(window)
    qtbot.keyClicks(window.editor, "xyz")
    qtbot.keyClick(window.editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.save()
    assert target.read_bytes() == original
    redo = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.editor, Qt.Key.Key_Z, redo)
    assert window.save()
    assert target.read_bytes() == original + b"xyz"


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen: show_find raises it
def test_replace_all_leaves_other_special_characters(window, qtbot, tmp_path):
    target = tmp_path / "r.txt"
    original = "chat\u00a0: chat\u2028chien\u2029chat\n".encode()
    target.write_bytes(original)
    assert window.open_file(target)
    window.show_find()
    dialog = window.find_dialog
    dialog.find_text.setText("chien")
    dialog.replace_text.setText("loup")
    assert dialog.replace_all() == 1
    assert window.save()
    assert target.read_bytes() == original.replace(b"chien", b"loup")


@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_find_a_no_break_space_selected_in_the_editor(window, qtbot, tmp_path):
    target = tmp_path / "f.txt"
    target.write_bytes("10\u00a0€ et 10 € et 10\u00a0€".encode())
    assert window.open_file(target)
    cursor = window.editor.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(4, QTextCursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)
    window.show_find()
    dialog = window.find_dialog
    assert dialog.find_text.text() == "10\u00a0€"
    assert dialog.find()
    assert window.editor.textCursor().selectionStart() == 16
    dialog.replace_text.setText("X")
    assert dialog.replace_all() == 2
    assert exact_text(window.editor.document()) == "X et 10 € et X"


@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_replacing_plain_spaces_leaves_no_break_spaces(window, qtbot):
    window.editor.setPlainText("")
    window.editor.insertPlainText("10 € et 10\u00a0€")  # QTest types ASCII only
    window.show_find()
    dialog = window.find_dialog
    dialog.find_text.setText("10 €")
    dialog.replace_text.setText("dix euros")
    assert dialog.replace_all() == 1
    assert exact_text(window.editor.document()) == "dix euros et 10\u00a0€"
    dialog.find_text.setText("absent")
    cursor_before = window.editor.textCursor().position()
    assert not dialog.find()
    assert window.editor.textCursor().position() == cursor_before


# -- undo steps: neighbours of "Once" + Tab " upon" + " a time" ----------------------------------
CTRL = Qt.KeyboardModifier.ControlModifier


def _show(editor, *alternatives: str) -> None:
    editor.start_ghost(len(alternatives))
    for index, text in enumerate(alternatives):
        editor.append_ghost(index, text)
    editor.finish_ghost(list(alternatives))


def _undo(qtbot, editor) -> str:
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL)
    return exact_text(editor.document())


def _redo(qtbot, editor) -> str:
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    return exact_text(editor.document())


def test_backspace_after_an_acceptance_is_undone_on_its_own(window, qtbot):
    editor = window.editor
    qtbot.keyClicks(editor, "Once")
    _show(editor, " upon")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert exact_text(editor.document()) == "Once up"
    assert _undo(qtbot, editor) == "Once upon"
    assert _undo(qtbot, editor) == "Once"


def test_enter_after_an_acceptance_is_undone_on_its_own(window, qtbot):
    editor = window.editor
    qtbot.keyClicks(editor, "Once")
    _show(editor, " upon")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "a")
    assert exact_text(editor.document()) == "Once upon\na"
    assert _undo(qtbot, editor) in ("Once upon\n", "Once upon")
    while exact_text(editor.document()) not in ("Once upon", "Once"):
        _undo(qtbot, editor)
    assert exact_text(editor.document()) == "Once upon"


def test_typing_after_undo_then_redo_of_an_acceptance_is_its_own_step(window, qtbot):
    editor = window.editor
    qtbot.keyClicks(editor, "Once")
    _show(editor, " upon")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert _undo(qtbot, editor) == "Once"
    assert _redo(qtbot, editor) == "Once upon"
    qtbot.keyClicks(editor, " a time")
    assert _undo(qtbot, editor) == "Once upon"
    assert _undo(qtbot, editor) == "Once"


def test_two_ctrl_rights_then_typing_then_undo_three_times(window, qtbot):
    editor = window.editor
    qtbot.keyClicks(editor, "Il etait")
    _show(editor, " une fois un roi")
    qtbot.keyClick(editor, Qt.Key.Key_Right, CTRL)
    qtbot.keyClick(editor, Qt.Key.Key_Right, CTRL)
    qtbot.keyClicks(editor, " un")
    assert exact_text(editor.document()) == "Il etait une fois un"
    assert _undo(qtbot, editor) == "Il etait une fois"
    assert _undo(qtbot, editor) == "Il etait une"
    assert _undo(qtbot, editor) == "Il etait"


def test_accepting_twice_in_a_row_is_two_steps(window, qtbot):
    editor = window.editor
    qtbot.keyClicks(editor, "Once")
    _show(editor, " upon")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    _show(editor, " a time")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert _undo(qtbot, editor) == "Once upon"
    assert _undo(qtbot, editor) == "Once"


def test_escape_during_a_composition_leaves_no_ghost_and_no_text(window, qtbot):
    from PySide6.QtGui import QInputMethodEvent

    editor = window.editor
    qtbot.keyClicks(editor, "Tokyo ")
    QApplication.sendEvent(editor, QInputMethodEvent("とう", []))
    assert editor.is_composing()
    _show(editor, " late")
    assert editor.ghost is None
    QApplication.sendEvent(editor, QInputMethodEvent("", []))  # the input method cancels on Esc
    assert not editor.is_composing()
    assert exact_text(editor.document()) == "Tokyo "
    _show(editor, " again")
    assert editor.ghost_text() == " again"


# -- recovery neighbours: a real process killed with SIGKILL -------------------------------------
CRASH_AFTER_A_COPY = """
import os, signal, sys
from PySide6.QtWidgets import QApplication
from gpt2_studio.gui.launch import create_window, parse_args

app = QApplication([])
window, worker, _ = create_window(parse_args([]))
window.show()
from gpt2_studio.gui.editor.document_text import exact_text, set_exact_text
if sys.argv[1]:
    assert window.open_file(sys.argv[1], ask=False)
else:  # characters Qt would turn into line breaks if they were typed in
    set_exact_text(window.editor, sys.argv[2])
    sys.argv[2] = ""
cursor = window.editor.textCursor()
cursor.movePosition(cursor.MoveOperation.End)
cursor.insertText(sys.argv[2] + "!")
window.write_recovery()
window.session.recovery_writer.wait(30)
assert any(window.session.recovery.folder.glob("*.recovery"))
os.kill(os.getpid(), signal.SIGKILL)
"""


def _crash(path: str, typed: str) -> None:
    import os
    import signal
    import subprocess
    import sys

    crashed = subprocess.run(
        [sys.executable, "-c", CRASH_AFTER_A_COPY, path, typed],
        env=dict(os.environ),
        capture_output=True,
        timeout=60,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()


def test_an_untitled_document_with_special_characters_comes_back_exactly(make_window, tmp_path):
    typed = "Prix\u00a0: 10\u00a0€\u2028ligne\u2029para\ufdd0x\nfin"
    _crash("", typed)
    window = make_window(load=False)
    window.questions.answer("ask_restore", True)
    assert window.offer_recovery()
    assert window.path is None
    assert exact_text(window.editor.document()) == typed + "!"
    target = tmp_path / "saved.txt"
    window.questions.answer("save_path", str(target))
    assert window.save()
    assert target.read_bytes() == (typed + "!").encode()


def test_a_file_deleted_since_the_crash_is_saved_again_where_it_was(make_window, tmp_path):
    target = tmp_path / "gone.txt"
    original = "ligne\u00a0un\r\n".encode()
    target.write_bytes(original)
    _crash(str(target), "deux")
    target.unlink()
    window = make_window(load=False)
    window.questions.answer("ask_restore", True)
    assert window.offer_recovery()
    assert exact_text(window.editor.document()) == "ligne\u00a0un\ndeux!"
    assert window.save()
    assert target.read_bytes() == original + b"deux!"


def test_saving_into_a_folder_deleted_meanwhile_keeps_the_text(window, qtbot, tmp_path):
    import shutil

    folder = tmp_path / "sub"
    folder.mkdir()
    target = folder / "f.txt"
    target.write_bytes(b"hello")
    assert window.open_file(target)
    _end(window)
    qtbot.keyClicks(window.editor, " world")
    shutil.rmtree(folder)
    window.questions.answer("error", None)
    assert not window.save()
    message = window.questions.asked[-1][1][1]
    assert "does not exist" in message
    assert "Traceback" not in message
    assert exact_text(window.editor.document()) == "hello world"
    assert window.editor.document().isModified()


def test_open_recent_of_a_vanished_file_says_so_and_keeps_the_document(window, qtbot, tmp_path):
    gone = tmp_path / "vanished.txt"
    window.settings.recent_files = [str(gone)]
    qtbot.keyClicks(window.editor, "mine")
    window.editor.document().setModified(False)
    window.main_menu._fill_recent_menu()
    action = window.main_menu.recent_menu.actions()[0]
    window.questions.answer("error", None)
    action.trigger()
    assert "does not exist" in window.questions.asked[-1][1][1]
    assert exact_text(window.editor.document()) == "mine"


@pytest.mark.parametrize("char", ["\u2029", "\ufdd0", "\ufdd1", "\u2028", "\u00a0"])
def test_a_pasted_character_qt_would_rewrite_is_saved_as_pasted(window, qtbot, tmp_path, char):
    target = tmp_path / "p.txt"
    original = "d\u2029ja\n".encode()  # the document already uses a stand-in
    target.write_bytes(original)
    assert window.open_file(target)
    _end(window)
    QApplication.clipboard().setText(f"a{char}b\u2029c")
    qtbot.keyClick(window.editor, Qt.Key.Key_V, CTRL)
    assert window.save()
    assert target.read_bytes() == original + f"a{char}b\u2029c".encode()
    assert _undo(qtbot, window.editor) == "d\u2029ja\n"


def test_a_suggestion_holding_a_paragraph_separator_is_inserted_as_it_is(window, qtbot):
    editor = window.editor
    qtbot.keyClicks(editor, "Once")
    _show(editor, " upon\u2029a")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert exact_text(editor.document()) == "Once upon\u2029a"


RESULT = "Bonjour\u00a0! Voici\u2028la suite\u2029et\ufdd0 la fin"


def test_a_side_panel_result_is_inserted_and_copied_exactly(window, qtbot):
    panel = window.presets.panel
    panel.show_result("TL;DR", RESULT)
    assert panel.text() == RESULT
    panel.copy()
    assert QApplication.clipboard().text() == RESULT
    window.editor.setFocus()
    panel.insert()
    assert exact_text(window.editor.document()) == RESULT


def test_a_streamed_side_panel_result_is_inserted_exactly(window, qtbot):
    panel = window.presets.panel
    panel.start("TL;DR")
    for piece in ("Bonjour\u00a0! ", "Voici\u2028la suite\u2029", "et\ufdd0 la fin"):
        panel.append(piece)
    assert panel.text() == RESULT
    panel.insert()
    assert exact_text(window.editor.document()) == RESULT


def test_the_preset_editor_keeps_a_templates_and_stop_strings_characters(qtbot):
    from gpt2_studio.core.generation.sampling import SamplingSettings
    from gpt2_studio.core.presets.templates import Preset
    from gpt2_studio.gui.presets.form import PresetForm

    form = PresetForm()
    qtbot.addWidget(form)
    stops = ("a\u2028b", "\r\n", "fin\u00a0!", "\u2029")
    preset = Preset(
        "Résumé",
        "Résumé\u00a0:\u2028{selection}\u2029\nFin\u00a0»",
        sampling=SamplingSettings(stop_strings=stops),
    )
    form.fill(preset)
    edited = form.preset()
    assert edited.template == preset.template
    assert edited.sampling.stop_strings == stops


@pytest.mark.parametrize("themes", [("dark", "light"), ("light", "dark")])
def test_the_recovery_warning_is_readable_in_both_themes(window, qtbot, themes):
    from tests.gui.test_themes import MIN_CONTRAST, drawn_contrast, palette_contrast

    warning = window.status_bar.recovery_warning
    warning.show_failure("Unsaved work is not being backed up: test.")
    window.statusBar().clearMessage()
    try:
        for theme in themes:
            window.main_menu.theme_actions[theme].trigger()
            QApplication.processEvents()
            bar = window.statusBar()
            assert palette_contrast(warning, bar) >= MIN_CONTRAST, theme
            image = bar.grab(warning.geometry()).toImage()
            assert drawn_contrast(image) >= MIN_CONTRAST, theme
    finally:
        window.main_menu.theme_actions["light"].trigger()
        QApplication.processEvents()


# Ctrl+Shift+= (the "+" above "=") is matched to Ctrl++ by the platform's key mapper (xcb, Windows);
# the offscreen platform has none, so it is not tried here.
KEYPAD = Qt.KeyboardModifier.KeypadModifier


@pytest.mark.parametrize(
    ("key", "mods", "step"),
    [
        (Qt.Key.Key_Equal, CTRL, 1),
        (Qt.Key.Key_Plus, CTRL | KEYPAD, 1),
        (Qt.Key.Key_Minus, CTRL, -1),
        (Qt.Key.Key_Minus, CTRL | KEYPAD, -1),
    ],
)
def test_font_size_keys_and_their_neighbours(window, qtbot, key, mods, step):
    before = window.settings.font_size
    qtbot.keyClick(window.editor, key, mods)
    assert window.settings.font_size == before + step
    assert exact_text(window.editor.document()) == ""


def test_a_read_only_editor_takes_no_paste(window, qtbot):
    window.editor.setReadOnly(True)
    QApplication.clipboard().setText("pasted")
    window.editor.paste()
    assert exact_text(window.editor.document()) == ""


@pytest.mark.parametrize("where", ["end of the first wrapped line", "start of the second wrapped line"])
def test_a_ghost_at_a_wrap_point_hides_no_text(qtbot, where):
    from PySide6.QtGui import QPalette

    from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
    from tests.gui.editor.test_editor_keys import _dark_pixels

    editor = GhostTextEdit()
    qtbot.addWidget(editor)
    editor.resize(300, 260)
    editor.show()
    editor.setFocus()
    text = "Once upon a time there lived a king who had three daughters and a very old dog.\nEnd."
    editor.setPlainText(text)
    layout = editor.document().firstBlock().layout()
    assert layout.lineCount() >= 2  # the paragraph wraps
    first_line_end = layout.lineAt(0).textLength()
    cursor = editor.textCursor()
    cursor.setPosition(first_line_end - 1 if where.startswith("end") else first_line_end)
    editor.setTextCursor(cursor)
    editor.setCursorWidth(0)
    text_color = editor.palette().color(QPalette.ColorRole.Text)
    before = editor.viewport().grab().toImage()
    _show(editor, " (a suggestion long enough to wrap on its own)")
    with_ghost = editor.viewport().grab().toImage()
    # No glyph of the user's text is hidden (re-wrapped glyphs may rasterise a few pixels differently).
    assert _dark_pixels(with_ghost, text_color) > _dark_pixels(before, text_color) - 20
    assert with_ghost != before
    assert exact_text(editor.document()) == text
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert editor.viewport().grab().toImage() == before


def test_a_damaged_recovery_record_naming_no_usable_file_is_restored_as_untitled(make_window, tmp_path):
    import json

    from gpt2_studio import paths

    folder = paths.data_dir() / "recovery"
    folder.mkdir(parents=True, exist_ok=True)
    header = {
        "version": 2, "doc_id": "damaged", "source_path": "/tmp/a\x00b.txt", "encoding": "utf-8",
        "newline": "\n", "stamp": None, "saved_at": 1.0, "instance": "gone-instance", "pid": 1,
    }  # fmt: skip
    (folder / "damaged.recovery").write_bytes(json.dumps(header).encode() + b"\nmy words")
    window = make_window(load=False)
    window.questions.answer("ask_restore", True)
    assert window.offer_recovery()
    assert exact_text(window.editor.document()) == "my words"
    assert window.path is None
    target = tmp_path / "kept.txt"
    window.questions.answer("save_path", str(target))
    assert window.save()
    assert target.read_bytes() == b"my words"
