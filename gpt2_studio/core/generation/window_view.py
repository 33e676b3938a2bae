"""Where the model's view of a long text begins: the characters of the text a fitted prompt keeps."""

from __future__ import annotations

from collections.abc import Callable

from gpt2_studio.core.generation.context import FittedPrompt, Prompt


def chars_in_view(
    fitted: FittedPrompt, prompt: str | Prompt, detokenize: Callable[[list[int]], str]
) -> int | None:
    """How many characters at the end of the prompt's text the fitted prompt keeps; None: all of them.

    The Memory's and the Author's note's tokens are left out of the count (they are not the document's
    text). A first kept token that starts inside a character does not count that character.
    """
    text = prompt.text if isinstance(prompt, Prompt) else prompt
    if not fitted.trimmed:
        return None
    kept = detokenize(fitted.ids[fitted.memory_tokens :])
    note = prompt.parts()[2] if isinstance(prompt, Prompt) and fitted.note_tokens else ""
    return max(0, min(len(text), len(kept) - len(note)))
