"""Allow ``python -m gpt2_studio``."""

from gpt2_studio.app import main

raise SystemExit(main())
