"""The command palette (Ctrl+Shift+P): every action of the real window, found at run time, by name."""

from __future__ import annotations

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu

from gpt2_studio.gui.command_palette import match_score, rank_commands
from gpt2_studio.gui.shortcuts_dialog import EXTRA_KEYS, collect_shortcuts
from gpt2_studio.gui.window_actions import WindowAction, plain_text

# The offscreen platform cannot raise a pop-up or give it the keyboard grab; it says so.
pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support grabbing the keyboard", "This plugin does not support raise"
)

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def open_palette(window, qtbot):
    """Press Ctrl+Shift+P in the editor, as a user would."""
    window.activateWindow()  # shortcuts reach the active window only
    qtbot.waitUntil(window.isActiveWindow)
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_P, CTRL_SHIFT)
    palette = window.command_palette
    assert palette is not None
    qtbot.waitUntil(palette.isVisible)
    qtbot.waitUntil(palette.filter.hasFocus)
    return palette


def titles(palette) -> list[str]:
    return [command.title for command in palette.shown_commands()]


def menu_leaves(menu: QMenu, path: tuple[str, ...]) -> list[tuple[str, QAction]]:
    """Every leaf action of a menu, walked here independently of the module under test."""
    menu.aboutToShow.emit()
    found = []
    for action in menu.actions():
        if action.menu() is not None:
            found += menu_leaves(action.menu(), (*path, plain_text(action.menu().title())))
        elif not action.isSeparator() and action.isVisible() and action.text():
            found.append((" → ".join([*path, plain_text(action.text())]), action))
    return found


def test_ctrl_shift_p_lists_every_menu_action_with_its_keys(make_window, qtbot):
    window = make_window(load=False)
    palette = open_palette(window, qtbot)
    shown = {command.title: command for command in palette.shown_commands()}
    assert len(shown) == len(palette.shown_commands())  # each action once
    leaves = []
    for top in window.menuBar().actions():
        leaves += menu_leaves(top.menu(), (plain_text(top.menu().title()),))
    assert len(leaves) > 50
    for title, action in leaves:
        if action is window.main_menu.command_palette_action:
            assert title not in shown  # the palette does not list itself
            continue
        assert title in shown, title
        if shiboken6.isValid(shown[title].action):  # Open Recent is refilled each time it is to show
            assert shown[title].action is action
    assert shown["File → Save"].keys == QKeySequence(QKeySequence.StandardKey.Save).toString(
        QKeySequence.SequenceFormat.NativeText
    )
    assert shown["Generate → Accept"].keys == "Tab"  # keys the editor handles, from the menu text
    assert "Presets → Translate → English → German" in shown  # the presets, as the menu groups them


def test_typing_filters_by_substring_and_by_letters_in_order(make_window, qtbot):
    window = make_window(load=False)
    palette = open_palette(window, qtbot)
    everything = len(palette.shown_commands())
    qtbot.keyClicks(palette.filter, "lens")
    assert palette.current_command().title == "View → Likelihood Lens"
    assert len(palette.shown_commands()) < everything
    palette.filter.clear()
    qtbot.keyClicks(palette.filter, "lkhd lns")  # letters in order, two words
    assert palette.current_command().title == "View → Likelihood Lens"
    palette.filter.clear()
    qtbot.keyClicks(palette.filter, "SAVE AS")  # case is ignored
    assert palette.current_command().title == "File → Save As…"
    palette.filter.clear()
    qtbot.keyClicks(palette.filter, "zqxj")
    assert palette.shown_commands() == []
    assert palette.empty.isVisible()
    qtbot.keyClick(palette.filter, Qt.Key.Key_Return)  # nothing to run: the palette stays
    assert palette.isVisible()
    qtbot.keyClick(palette.filter, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not palette.isVisible())


def test_enter_runs_the_chosen_command_and_the_keyboard_returns_to_the_text(make_window, qtbot):
    window = make_window(load=False)
    window.editor.setPlainText("Kept as it is")
    assert window.panel.isVisible()
    palette = open_palette(window, qtbot)
    qtbot.keyClicks(palette.filter, "sampling panel")
    assert palette.current_command().action is window.panel.toggleViewAction()
    qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.panel.isVisible())
    assert not palette.isVisible()
    assert window.editor.toPlainText() == "Kept as it is"  # nothing typed into the palette reached it
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.editor)
    # The arrow keys choose among the matches; the second Enter runs the second one.
    palette = open_palette(window, qtbot)
    qtbot.keyClicks(palette.filter, "theme dark")
    shown = palette.shown_commands()
    assert shown[0].title == "View → Theme → Dark"
    dark = window.main_menu.theme_actions["dark"]
    assert not dark.isChecked()
    qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(dark.isChecked)
    assert window.settings.theme == "dark"
    window.main_menu.theme_actions["light"].trigger()


def test_disabled_commands_are_shown_greyed_and_cannot_run(make_window, qtbot):
    window = make_window(load=False)
    accept = window.main_menu.accept_action
    assert not accept.isEnabled()  # no suggestion on screen
    runs = []
    accept.triggered.connect(lambda: runs.append(1))
    palette = open_palette(window, qtbot)
    qtbot.keyClicks(palette.filter, "accept")
    rows = [palette.list.topLevelItem(r) for r in range(palette.list.topLevelItemCount())]
    items = {row.text(0): row for row in rows}
    item = items["Generate → Accept"]
    assert not item.flags() & Qt.ItemFlag.ItemIsEnabled
    assert palette.current_command().title == "Generate → Accept Word"  # the first that can run
    for _ in range(5):
        qtbot.keyClick(palette.filter, Qt.Key.Key_Up)
    assert palette.current_command().action is not accept  # the keys pass over it
    rect = palette.list.visualItemRect(item)
    qtbot.mouseClick(palette.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert palette.isVisible()
    QApplication.processEvents()
    assert runs == []


def test_actions_added_at_run_time_are_found_without_edits(make_window, qtbot):
    window = make_window(load=False)
    menu_action = QAction("Zen &Garden", window)  # as another part of the app would add one
    window.main_menu.view_menu.addAction(menu_action)
    context_action = QAction("Reverse the Selection", window.editor)  # a context action with keys only
    context_action.setShortcut(QKeySequence("Ctrl+Alt+Shift+R"))
    window.editor.addAction(context_action)
    runs = []
    context_action.triggered.connect(lambda: runs.append("context"))
    palette = open_palette(window, qtbot)
    shown = {command.title: command for command in palette.shown_commands()}
    assert "View → Zen Garden" in shown
    assert shown["Reverse the Selection"].keys == QKeySequence("Ctrl+Alt+Shift+R").toString(
        QKeySequence.SequenceFormat.NativeText
    )
    qtbot.keyClicks(palette.filter, "reverse sel")
    qtbot.keyClick(palette.filter, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: runs == ["context"])


def test_commands_run_from_the_palette_come_first_next_time(make_window, qtbot):
    window = make_window(load=False)
    palette = open_palette(window, qtbot)
    qtbot.keyClicks(palette.filter, "memory author")
    qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(window.context_dock.isVisible)
    palette = open_palette(window, qtbot)
    assert titles(palette)[0] == "View → Memory and Author's Note"
    checked = palette.list.topLevelItem(0).data(0, Qt.ItemDataRole.CheckStateRole)
    assert checked == Qt.CheckState.Checked  # a toggle shows that it is on
    qtbot.keyClick(palette.filter, Qt.Key.Key_Escape)
    window.context_dock.toggleViewAction().trigger()


def test_the_shortcuts_table_lists_the_palette_and_clashes_with_nothing(make_window):
    window = make_window(load=False)
    rows = collect_shortcuts(window)
    assert [what for keys, what in rows if keys == "Ctrl+Shift+P"] == ["View → Command Palette…"]
    assert rows[-len(EXTRA_KEYS) :] == list(EXTRA_KEYS)  # the keys no action owns, last
    keys = [k for row, _what in rows for k in row.split("  /  ") if "Ctrl" in k]
    assert len(keys) == len(set(keys))


def _command(text: str, path: tuple[str, ...] = ()) -> WindowAction:
    return WindowAction(QAction(text), path)


def test_matching_prefers_whole_words_then_word_starts_then_menu_order(qapp):
    assert match_score("lens", "View → Likelihood Lens") is not None
    assert match_score("lkl", "View → Likelihood Lens") is not None
    assert match_score("snl", "View → Likelihood Lens") is None  # letters out of order
    assert match_score("lens zzz", "View → Likelihood Lens") is None  # every word must match
    commands = [
        _command("Select &All", ("Edit",)),
        _command("&Save", ("File",)),
        _command("Save &As…", ("File",)),
        _command("Pause Before &Suggesting", ("Generate",)),
    ]
    assert [commands[i].label for i in rank_commands("save", commands)] == ["Save", "Save As…"]
    # "sa": the word starts of Select All beat the run inside "Save" only when there is no substring.
    assert rank_commands("sa", commands)[:2] == [1, 2]
    assert rank_commands("slal", commands)[0] == 0
    assert rank_commands("", commands, recent=["File → Save As…"]) == [2, 0, 1, 3]
    assert rank_commands("file", commands) == [1, 2]  # the menu path counts too


@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_the_shortcuts_table_filters_by_keys_or_name(make_window, qtbot):
    window = make_window(load=False)
    window.show_shortcuts()
    dialog = window.shortcuts_dialog
    everything = dialog.rows()
    assert dialog.shown_rows() == everything
    qtbot.keyClicks(dialog.filter, "palette")
    assert dialog.shown_rows() == [("Ctrl+Shift+P", "View → Command Palette…")]
    dialog.filter.clear()
    qtbot.keyClicks(dialog.filter, "ctrl+shift+l")
    assert [what for _keys, what in dialog.shown_rows()] == ["View → Likelihood Lens"]
    dialog.filter.clear()
    assert dialog.shown_rows() == everything
    dialog.close()


def test_a_command_that_opens_a_dialog_gets_the_keyboard_there(make_window, qtbot):
    window = make_window(load=False)
    palette = open_palette(window, qtbot)
    qtbot.keyClicks(palette.filter, "find")
    assert palette.current_command().title == "Edit → Find…"
    qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.find_dialog is not None and window.find_dialog.isVisible())
    qtbot.waitUntil(window.find_dialog.find_text.hasFocus)
    window.find_dialog.close()


def test_a_dialogs_own_actions_are_not_the_windows_commands(make_window, qtbot):
    from PySide6.QtWidgets import QDialog

    window = make_window(load=False)
    dialog = QDialog(window)
    inside = QAction("Only in the Dialog", dialog)
    inside.setShortcut(QKeySequence("Ctrl+Alt+Shift+D"))
    dialog.addAction(inside)
    palette = open_palette(window, qtbot)
    assert not any("Only in the Dialog" in title for title in titles(palette))
    qtbot.keyClick(palette.filter, Qt.Key.Key_Escape)
    dialog.deleteLater()
