"""Guard against PySide6 builds that leak references on every signal (6.12.0 on Python 3.11)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    text = Signal(str)


def test_ten_thousand_emits_leave_true_and_none_refcounts_alone(qtbot):
    emitter = Emitter()
    received: list[str] = []
    emitter.text.connect(received.append)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(10_000):
        emitter.text.emit("x")
    qtbot.wait(1)
    # Allow a little noise from the interpreter; the bug drops one reference per emit.
    assert abs(sys.getrefcount(True) - true_before) < 100
    assert abs(sys.getrefcount(None) - none_before) < 100
    assert len(received) == 10_000
