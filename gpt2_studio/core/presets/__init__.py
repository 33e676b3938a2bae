"""Presets: templates that give GPT-2 a task by the shape of the prompt, and their files."""
