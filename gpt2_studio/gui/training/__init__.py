"""File → Learn a Style…: the dialog that runs ``gpt2-studio train --json`` in its own process."""
