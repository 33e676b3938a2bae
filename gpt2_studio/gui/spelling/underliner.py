"""Wavy underlines under misspelt words, as a layer of the editor's block formats (no edit, no undo step).

The dictionary loads on a short-lived thread (0.06–0.3 s); until then nothing is underlined. Checking a
block is a few dictionary lookups per word, so an edited block is checked at once on the GUI thread,
and a whole document (on load, a new language, Add to Dictionary) is checked the way the lens tints it:
the blocks on screen at once, the rest in slices of SLICE_SECONDS between other events, so a 10,000-word
document never holds up typing or painting. Blocks' results are cached by their text.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette, QTextBlock, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit

from gpt2_studio.core.spelling.dictionaries import Speller, dictionary
from gpt2_studio.core.spelling.words import WordSpan
from gpt2_studio.gui.editor.block_formats import BlockFormats, Range, utf16_length

SLICE_SECONDS = 0.005
NOW_BLOCKS = 8  # an edit that spans more blocks than this is checked like a new text (in slices)
CACHED_BLOCKS = 4096  # blocks' results kept by text (a long document's paragraphs)


def underline_color(palette: QPalette) -> QColor:
    """Red that reads on the palette's base: darker on a light base, lighter on a dark one."""
    base = palette.color(QPalette.ColorRole.Base)
    return QColor(200, 30, 30) if base.lightnessF() >= 0.5 else QColor(255, 110, 110)


class SpellingUnderliner(QObject):
    """Underlines the editor's misspelt words in one language; a layer of BlockFormats."""

    loaded = Signal(str)  # the language whose dictionary is ready (emitted on the GUI thread)
    _dictionary_ready = Signal(str)

    def __init__(self, editor: QPlainTextEdit, language: str, enabled: bool = True) -> None:
        super().__init__(editor)
        self._editor = editor
        self.speller: Speller | None = None
        self.language = language
        self.enabled = enabled
        self._cache: OrderedDict[str, tuple[WordSpan, ...]] = OrderedDict()
        self._format = QTextCharFormat()
        self._update_format()
        self._pending: tuple[int, int] | None = None
        self._slicer = QTimer(self)
        self._slicer.setSingleShot(True)
        self._slicer.setInterval(0)
        self._slicer.timeout.connect(self._paint_slice)
        self._loader: threading.Thread | None = None
        self._block_formats = BlockFormats.of(editor)
        self._block_formats.add_layer("spelling", self._ranges)
        self._dictionary_ready.connect(self._on_dictionary_ready, Qt.ConnectionType.QueuedConnection)
        editor.document().contentsChange.connect(self._on_contents_change)
        # setPlainText (opening a file) blocks the document's signals: only textChanged tells.
        self._seen_length = -1  # the document's length at the last contentsChange
        editor.textChanged.connect(self._on_text_changed)
        editor.installEventFilter(self)  # a new theme's palette: the underline's colour follows
        self.set_language(language)

    def close(self) -> None:
        """The window closes: stop watching the editor, let the dictionary thread end."""
        self._editor.removeEventFilter(self)
        self.wait_loaded()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Follow the editor's palette (the theme)."""
        if event.type() == QEvent.Type.PaletteChange:
            self.palette_changed()
        return super().eventFilter(watched, event)

    # -- state ----------------------------------------------------------------------------------
    def set_language(self, language: str) -> None:
        """Check in language from now on: load its dictionary off the GUI thread, then check every block."""
        self.language = language
        self.speller = None
        self._cache.clear()
        self.schedule_all()  # the old underlines go at once
        name = f"spelling-{language}"
        loader = threading.Thread(target=self._load, args=(language,), name=name, daemon=True)
        self._loader = loader
        loader.start()

    def _load(self, language: str) -> None:
        dictionary(language)  # the slow part, off the GUI thread
        self._dictionary_ready.emit(language)

    def _on_dictionary_ready(self, language: str) -> None:
        if language != self.language:
            return  # another language was chosen meanwhile
        ignored = self.speller.ignored if self.speller is not None else ()
        self.speller = Speller(language, ignored)
        self._cache.clear()
        self.schedule_all()
        self.loaded.emit(language)

    def wait_loaded(self, timeout: float = 10.0) -> None:
        """Block until the dictionary thread ended (tests, shutdown)."""
        if self._loader is not None:
            self._loader.join(timeout)

    def set_enabled(self, enabled: bool) -> None:
        """Underline or not; the underlines go or come at once."""
        self.enabled = enabled
        self.schedule_all()

    def words_changed(self) -> None:
        """The personal dictionary or the ignore list changed: check every block again."""
        self._cache.clear()
        self.schedule_all()

    def palette_changed(self) -> None:
        """A new theme: the underline's colour follows the palette."""
        self._update_format()
        self.schedule_all()

    def _update_format(self) -> None:
        char_format = QTextCharFormat()
        char_format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SpellCheckUnderline)
        char_format.setUnderlineColor(underline_color(self._editor.palette()))
        self._format = char_format

    # -- what is misspelt -----------------------------------------------------------------------
    def misspelt_in(self, block: QTextBlock) -> tuple[WordSpan, ...]:
        """The misspelt words of block (offsets in the block's text, code points); () until loaded."""
        if not self.enabled or self.speller is None:
            return ()
        text = block.text()
        found = self._cache.get(text)
        if found is None:
            found = tuple(self.speller.misspelt(text))
            self._cache[text] = found
            if len(self._cache) > CACHED_BLOCKS:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(text)
        return found

    def _ranges(self, block: QTextBlock) -> list[Range]:
        words = self.misspelt_in(block)
        if not words:
            return []
        text = block.text()
        ascii_text = text.isascii()
        ranges: list[Range] = []
        for span in words:
            start = span.start if ascii_text else utf16_length(text[: span.start])
            length = len(span.word) if ascii_text else utf16_length(span.word)
            ranges.append((start, length, self._format))
        return ranges

    # -- painting -------------------------------------------------------------------------------
    def _on_text_changed(self) -> None:
        if self._editor.document().characterCount() != self._seen_length:
            self.schedule_all()  # a text that came without contentsChange: check it all

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        # Layout formats stay put in an edited block: check the edited blocks again at once.
        self._seen_length = self._editor.document().characterCount()
        if self._pending is not None and position < self._pending[1]:
            self._pending = (min(self._pending[0], position), self._pending[1] + added - removed)
        document = self._editor.document()
        block = document.findBlock(position)
        last = document.findBlock(min(position + added, document.characterCount() - 1)).blockNumber()
        if last - block.blockNumber() >= NOW_BLOCKS:  # a paste or a new text: on screen now, the rest after
            self.schedule(position, position + added)
            return
        while block.isValid() and block.blockNumber() <= last:
            self._block_formats.paint(block)
            block = block.next()

    @property
    def painting(self) -> bool:
        """Whether some blocks still wait to be checked (they are, between other events)."""
        return self._pending is not None

    def schedule_all(self) -> None:
        """Check every block again: those on screen now, the others in slices after."""
        self.schedule(0, self._editor.document().characterCount())

    def schedule(self, start: int, end: int) -> None:
        """Check the blocks from start to end again: those on screen now, the others in slices after."""
        editor = self._editor
        block = editor.firstVisibleBlock()
        bottom, offset = editor.viewport().height(), editor.contentOffset()
        while block.isValid() and editor.blockBoundingGeometry(block).translated(offset).top() <= bottom:
            if start <= block.position() + block.length() and block.position() <= end:
                self._block_formats.paint(block)
            block = block.next()
        if self._pending is not None:
            start, end = min(start, self._pending[0]), max(end, self._pending[1])
        self._pending = (start, end)
        self._slicer.start()

    def _paint_slice(self) -> None:
        if self._pending is None:
            return
        start, end = self._pending
        deadline = time.perf_counter() + SLICE_SECONDS
        block = self._editor.document().findBlock(start)
        while block.isValid() and block.position() < end:
            self._block_formats.paint(block)
            block = block.next()
            if time.perf_counter() > deadline:
                break
        if block.isValid() and block.position() < end:
            self._pending = (block.position(), end)
            self._slicer.start()
        else:
            self._pending = None

    def misspelt_at(self, position: int) -> tuple[int, int, str] | None:
        """The misspelt word at a document position (Qt units): (start, end, word), else None."""
        block = self._editor.document().findBlock(position)
        if not block.isValid():
            return None
        text = block.text()
        for span in self.misspelt_in(block):
            start = block.position() + utf16_length(text[: span.start])
            end = start + utf16_length(span.word)
            if start <= position <= end:
                return start, end, span.word
        return None
