"""The document's bytes are the user's: open, type, save changes only what was typed.

Qt's toPlainText() rewrites U+00A0 and U+2028/U+2029, and putting text in turns U+2029, U+FDD0 and
U+FDD1 into paragraph breaks; every one of them must survive open → type → save, the recovery copy,
restore, suggestions and presets.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from gpt2_studio.core.documents.recovery import RecoveryStore
from gpt2_studio.core.presets.templates import Preset
from gpt2_studio.gui.editor.document_text import exact_text
from gpt2_studio.gui.editor.suggestions import text_before_cursor

# Every character Qt rewrites on the way out or in, plus neighbours that must stay untouched.
SPECIAL = {
    "no-break space": "\u00a0",
    "narrow no-break space": "\u202f",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "frame start (U+FDD0)": "\ufdd0",
    "frame end (U+FDD1)": "\ufdd1",
    "noncharacter U+FDD2": "\ufdd2",
    "zero-width no-break space": "\ufeff",
    "zero-width space": "\u200b",
    "tab": "\t",
    "form feed": "\x0c",
    "next line (U+0085)": "\x85",
}


def _end(window) -> None:
    window.editor.moveCursor(QTextCursor.MoveOperation.End)


def test_french_typography_survives_open_type_save(window, qtbot, tmp_path):
    target = tmp_path / "prix.txt"
    original = "Prix\u00a0: 10\u00a0€\nLigne\u2028suite « citée\u00a0»".encode()
    target.write_bytes(original)
    assert window.open_file(target)
    _end(window)
    qtbot.keyClicks(window.editor, "!")
    assert window.save()
    assert target.read_bytes() == original + b"!"


@pytest.mark.parametrize("name", list(SPECIAL))
def test_each_character_qt_rewrites_survives_a_round_trip(window, qtbot, tmp_path, name):
    char = SPECIAL[name]
    target = tmp_path / "special.txt"
    original = f"before{char}after\nsecond{char}{char}line\n{char}".encode()
    target.write_bytes(original)
    assert window.open_file(target)
    _end(window)
    qtbot.keyClicks(window.editor, "x")
    assert window.save()
    assert target.read_bytes() == original + b"x"


def test_cp1252_crlf_file_keeps_every_byte(window, qtbot, tmp_path):
    target = tmp_path / "legacy.txt"
    original = "Prix\u00a0: 10\u00a0€\r\nDéjà vu\r\n".encode("cp1252")
    target.write_bytes(original)
    window.questions.answer("choose_encoding", "cp1252")
    assert window.open_file(target)
    assert window.windowTitle() == "legacy.txt [Windows-1252 (cp1252), CRLF] — GPT-2 Studio"
    _end(window)
    qtbot.keyClicks(window.editor, "Fin")
    assert window.save()
    assert target.read_bytes() == original + b"Fin"


def test_suggestions_and_presets_read_the_exact_text(window, qtbot, tmp_path):
    target = tmp_path / "doc.txt"
    target.write_bytes("Prix\u00a0: 10\u00a0€\u2028ok\u2029fin".encode())
    assert window.open_file(target)
    _end(window)
    assert text_before_cursor(window.editor) == "Prix\u00a0: 10\u00a0€\u2028ok\u2029fin"
    runner = window.presets.runner
    context = runner._context(Preset("whole", "{document}"))
    assert context.document == "Prix\u00a0: 10\u00a0€\u2028ok\u2029fin"
    cursor = window.editor.textCursor()
    cursor.setPosition(0)
    cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)
    context = runner._context(Preset("sel", "{selection}"))
    assert context.selection == "Prix\u00a0: 10\u00a0€\u2028ok\u2029fin"


def test_typed_no_break_space_is_saved_as_typed(window, qtbot, tmp_path):
    target = tmp_path / "typed.txt"
    qtbot.keyClicks(window.editor, "Oui\u00a0!")
    qtbot.keyClick(window.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(window.editor, "Non")
    window.questions.answer("save_path", str(target))
    assert window.save()
    assert target.read_bytes() == "Oui\u00a0!\nNon".encode()


def test_the_recovery_copy_holds_the_exact_text_and_the_files_format(window, qtbot, tmp_path):
    target = tmp_path / "legacy.txt"
    target.write_bytes("Prix\u00a0: 10\u00a0€\r\n".encode("cp1252"))
    window.questions.answer("choose_encoding", "cp1252")
    assert window.open_file(target)
    _end(window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(window.editor, "x")
    window.write_recovery()
    window.session.recovery_writer.wait()
    (copy,) = window.session.recovery.folder.glob("*.recovery")
    document = RecoveryStore._load(copy)
    assert document.text == "Prix\u00a0: 10\u00a0€\n\nx"
    assert document.text == exact_text(window.editor.document())
    assert (document.encoding, document.newline, document.stamp) == ("cp1252", "\r\n", window.session.stamp)


def test_save_with_encoding_writes_the_chosen_encoding_and_line_ending(window, tmp_path):
    source = tmp_path / "ru.txt"
    text = "Съешь же ещё этих мягких французских булок\r\nда выпей чаю\r\n"
    source.write_bytes(text.encode("cp1251"))
    window.questions.answer("choose_encoding", "cp1251")
    assert window.open_file(source)
    assert window.editor.toPlainText() == text.replace("\r\n", "\n")
    copy = tmp_path / "ru-utf8.txt"
    window.questions.answer("choose_save_format", ("utf-8", "\n"))
    window.questions.answer("save_path", str(copy))
    from gpt2_studio.gui.editor.document_dialogs import save_with_encoding

    assert save_with_encoding(window)
    assert copy.read_bytes() == text.replace("\r\n", "\n").encode("utf-8")
    assert window.windowTitle() == "ru-utf8.txt — GPT-2 Studio"
    assert source.read_bytes() == text.encode("cp1251")


def test_cp1251_is_offered_first_for_russian_text_and_reopen_switches_encoding(window, tmp_path):
    source = tmp_path / "ru.txt"
    text = "Привет, как дела? Это проверка кодировки файла."
    source.write_bytes(text.encode("cp1251"))
    window.questions.answer("choose_encoding", "cp1252")  # the user first picks the wrong one
    assert window.open_file(source)
    question = window.questions.asked[-1]
    assert question[0] == "choose_encoding"
    assert question[1][1][0] == "cp1251"  # the guess comes first
    assert window.editor.toPlainText() != text
    from gpt2_studio.gui.editor.document_dialogs import reopen_with_encoding

    window.questions.answer("choose_encoding", "cp1251")
    assert reopen_with_encoding(window)
    assert window.editor.toPlainText() == text
    assert window.encoding == "cp1251"


def test_text_the_chosen_encoding_cannot_hold_is_refused_and_kept(window, tmp_path):
    window.editor.setPlainText("日本語")
    copy = tmp_path / "latin.txt"
    window.questions.answer("choose_save_format", ("cp1252", "\n"))
    window.questions.answer("save_path", str(copy))
    window.questions.answer("error", None)
    from gpt2_studio.gui.editor.document_dialogs import save_with_encoding

    assert not save_with_encoding(window)
    assert "cannot be encoded" in window.questions.asked[-1][1][1]
    assert not copy.exists()
    assert window.encoding == "utf-8"
    assert window.editor.toPlainText() == "日本語"


def test_cancelling_the_encoding_choice_leaves_the_editor_alone(window, tmp_path):
    source = tmp_path / "bad.txt"
    source.write_bytes(b"caf\xe9")
    window.editor.setPlainText("kept")
    window.editor.document().setModified(False)
    window.questions.answer("choose_encoding", None)
    assert not window.open_file(source)
    assert window.editor.toPlainText() == "kept"


def test_the_real_encoding_dialogs_offer_the_guess_first_with_a_preview(qtbot, tmp_path):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QComboBox, QWidget

    from gpt2_studio.gui.editor.document_dialogs import DocumentDialogs

    source = tmp_path / "ru.txt"
    source.write_bytes("Привет, как дела? Это проверка кодировки файла.".encode("cp1251"))
    parent = QWidget()
    qtbot.addWidget(parent)
    dialogs = DocumentDialogs(parent)
    seen: list[list[str]] = []

    def answer(pick: int | None) -> None:
        dialog = QApplication.activeModalWidget()
        boxes = dialog.findChildren(QComboBox)
        seen.append([boxes[0].itemText(i) for i in range(boxes[0].count())])
        if pick is None:
            dialog.reject()
            return
        boxes[0].setCurrentIndex(pick)
        dialog.accept()

    QTimer.singleShot(0, lambda: answer(0))
    assert dialogs.choose_encoding("Which encoding?", ["cp1251", "cp1252"], str(source)) == "cp1251"
    assert seen[-1][0].startswith("Windows-1251 (Cyrillic, cp1251) — Привет, как дела?")
    QTimer.singleShot(0, lambda: answer(None))
    assert dialogs.choose_encoding("Which encoding?", ["cp1251"], str(source)) is None
    QTimer.singleShot(0, lambda: answer(0))
    assert dialogs.choose_save_format("cp1251", "\r\n") == ("cp1251", "\r\n")
    assert "UTF-8" in seen[-1]
