"""Launch GPT-2 Studio from a source checkout: ``python main.py [FILE] [--model PATH_OR_ID]``."""

from gpt2_studio.app import main

if __name__ == "__main__":
    raise SystemExit(main())
