"""Spelling: misspelt words found with pyspellchecker's dictionaries, suggestions ordered by GPT-2.

words (where the words of a text are, what is skipped), dictionaries (pyspellchecker per language, the
user's personal dictionary, the session's ignore list), ranking (the model's order of the suggestions).
"""
