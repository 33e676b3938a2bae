"""Recovery that always comes back: an early copy, written off the GUI thread, a warning when it fails,
and a restored document saved back in its own encoding without overwriting others' changes unasked."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import threading

import pytest
from PySide6.QtGui import QTextCursor

from gpt2_studio import paths
from gpt2_studio.gui.editor.document_text import exact_text

# Opens a cp1252/CRLF file, types a few keys and dies about 1.5 s later, before the 5 s autosave
# interval: only the early first copy can save this work. write_recovery is never called by hand.
CRASH_SOON_AFTER_TYPING = textwrap.dedent(
    """
    import os, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from gpt2_studio.gui.launch import create_window, parse_args

    app = QApplication([])
    window, worker, _ = create_window(parse_args([]))
    window.show()
    assert window.open_file(sys.argv[1], ask=False, encoding="cp1252")
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    QTest.keyClicks(window.editor, "Fin")
    QTimer.singleShot(1800, lambda: os._exit(9))  # a crash, with no clean-up
    app.exec()
    """
)


def _copies():
    return list((paths.data_dir() / "recovery").glob("*.recovery"))


def test_work_typed_just_before_a_crash_is_restored_in_its_encoding_and_saved_without_clobbering(
    make_window, tmp_path
):
    target = tmp_path / "lettre.txt"
    original = "Prix\u00a0: 10\u00a0€\r\nDéjà\r\n".encode("cp1252")
    target.write_bytes(original)
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH_SOON_AFTER_TYPING, str(target)],
        env=dict(os.environ),
        capture_output=True,
        timeout=120,
    )
    assert crashed.returncode == 9, crashed.stderr.decode()
    assert len(_copies()) == 1
    assert target.read_bytes() == original

    target.write_bytes(original + "Ajouté par un autre programme".encode("cp1252"))
    window = make_window(load=False)
    window.questions.answer("ask_restore", True)
    assert window.offer_recovery()
    assert exact_text(window.editor.document()) == "Prix\u00a0: 10\u00a0€\nDéjà\nFin"
    assert (window.encoding, window.newline) == ("cp1252", "\r\n")
    assert window.windowTitle().startswith("*lettre.txt [Windows-1252")

    # restored work is copied again at once: a second crash before any edit would not lose it
    window.session.recovery_writer.wait(30)
    (copy,) = _copies()
    assert copy.read_bytes().endswith("Déjà\nFin".encode())

    window.questions.answer("ask_overwrite_changed", False)
    assert not window.save()
    assert target.read_bytes() == original + "Ajouté par un autre programme".encode("cp1252")
    window.questions.answer("ask_overwrite_changed", True)
    assert window.save()
    assert target.read_bytes() == original + b"Fin"
    window.session.recovery_writer.wait(30)
    assert _copies() == []


def test_the_first_copy_is_written_about_a_second_after_the_first_edit(window, qtbot):
    window.session.recovery_timer.setInterval(600_000)  # only the early copy can explain a file now
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "early words")
    assert window.session.first_copy_timer.isActive()
    qtbot.waitUntil(lambda: len(_copies()) == 1, timeout=5_000)
    assert _copies()[0].read_bytes().endswith(b"\nearly words")


def test_copies_are_written_off_the_gui_thread(window, qtbot, monkeypatch):
    threads: list[threading.Thread] = []
    real_write = window.session.recovery.write

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_write(*args, **kwargs)

    monkeypatch.setattr(window.session.recovery, "write", spy)
    qtbot.keyClicks(window.editor, "text")
    window.write_recovery()
    window.session.recovery_writer.wait(10)
    assert threads
    assert threads[0] is not threading.main_thread()
    assert len(_copies()) == 1


def test_a_failing_copy_shows_a_lasting_warning_until_copies_work_again(window, qtbot, tmp_path):
    blocker = tmp_path / "a-file-not-a-folder"
    blocker.write_text("x")
    good_folder = window.session.recovery.folder
    window.session.recovery.folder = blocker / "recovery"
    qtbot.keyClicks(window.editor, "words at risk")
    window.write_recovery()
    qtbot.waitUntil(lambda: window.status_bar.recovery_warning.isVisible(), timeout=5_000)
    assert "not being backed up" in window.status_bar.recovery_warning.toolTip()
    window.statusBar().showMessage("something else", 10)  # other messages come and go
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "", timeout=5_000)
    assert window.status_bar.recovery_warning.isVisible()

    window.session.recovery.folder = good_folder
    qtbot.keyClicks(window.editor, "!")
    window.write_recovery()
    qtbot.waitUntil(lambda: not window.status_bar.recovery_warning.isVisible(), timeout=5_000)
    assert len(_copies()) == 1


def test_saving_discards_the_copy_even_when_a_write_was_still_queued(window, qtbot, tmp_path):
    qtbot.keyClicks(window.editor, "draft")
    window.write_recovery()
    window.questions.answer("save_path", str(tmp_path / "draft.txt"))
    assert window.save()
    window.session.recovery_writer.wait(10)
    assert _copies() == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saving_a_read_only_file_is_refused_and_the_text_stays(window, qtbot, tmp_path):
    target = tmp_path / "frozen.txt"
    target.write_text("as it was")
    target.chmod(0o444)
    assert window.open_file(target)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(window.editor, " and more")
    window.questions.answer("error", None)
    assert not window.save()
    message = window.questions.asked[-1][1][1]
    assert "it is read-only; use Save As" in message
    assert target.read_text() == "as it was"
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
    assert window.editor.toPlainText() == "as it was and more"
    assert window.editor.document().isModified()


def test_a_large_documents_copy_waits_for_a_pause_in_typing(window, qtbot):
    from gpt2_studio.gui.editor import document_session
    from gpt2_studio.gui.editor.document_text import set_exact_text

    set_exact_text(window.editor, "word " * (document_session.LARGE_DOCUMENT_CHARS // 5 + 1))
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(window.editor, "typing")
    window.write_recovery()  # mid-typing: postponed, not skipped
    assert _copies() == []
    assert window.session.first_copy_timer.isActive()
    qtbot.waitUntil(lambda: len(_copies()) == 1, timeout=10_000)
    window.session.recovery_writer.wait(30)
    assert _copies()[0].read_bytes().endswith(b"word typing")
