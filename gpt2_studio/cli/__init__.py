"""The command line: `gpt2-studio generate`, `models`, `presets` and `--self-test`."""
