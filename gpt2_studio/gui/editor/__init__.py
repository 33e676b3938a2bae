"""The editor: ghost suggestions, the exact document text, find/replace, document questions, recovery."""
