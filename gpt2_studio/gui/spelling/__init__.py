"""Spelling in the editor: wavy underlines as you type, the right-click suggestions, language per document."""
