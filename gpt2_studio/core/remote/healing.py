"""Token healing on a completions server: the local healer's constraint, sent as `logit_bias`.

The local engine (core/generation/healing.py) hands the prompt's last, possibly partial, token(s) back
and masks every token that would not write the removed bytes again. A server cannot be handed a mask,
but it takes `logit_bias` ({token id: bias}, ids as strings), so the same constraint is one request per
constrained token (usually one): ask for one token with every disallowed token's logit lowered by 100,
or, when there are fewer allowed tokens and no repetition penalty, every allowed one raised by 100.
A constant bias on one side keeps the allowed tokens' relative probabilities, so the server samples
from the model's own distribution restricted to them, as the local engine does; e^-100 leaves nothing
to the others. Lowering the disallowed side leaves the allowed logits untouched, so a repetition
penalty (which divides a positive logit) acts on them as on this computer.

What differs from the local engine: the server takes the prompt as text, so the healed prompt must end
on a whole character (a tail that starts inside one heals fewer tokens) and tokens that end inside a
character are not allowed; and the continuation is asked for from the healed text, which the server
tokenizes afresh. 100 is the largest bias the OpenAI API allows (vLLM clamps to it; llama-cpp-python
0.3.36 adds any value to the logits before its other samplers and reports unbiased log-probabilities).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gpt2_studio.core.generation.healing import TokenHealer
from gpt2_studio.core.remote.errors import UnavailableError

if TYPE_CHECKING:
    from gpt2_studio.core.remote.client import CompletionsClient

BIAS = 100.0  # the OpenAI API's bound on |logit_bias|


def _whole(data: bytes) -> bool:
    """Whether data is whole UTF-8 characters (a text prompt can hold it)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class ServerHealer:
    """The local healer's tail and allowed tokens, kept to whole characters, as `logit_bias` requests.

    token_bytes: the raw bytes of every GPT-2 token id; excluded: ids never allowed (<|endoftext|>).
    """

    def __init__(self, token_bytes: Sequence[bytes], excluded: set[int]) -> None:
        self._token_bytes = token_bytes
        self._healer = TokenHealer(token_bytes, excluded, len(token_bytes))
        self._whole = [_whole(data) for data in token_bytes]

    def healed_tail(self, ids: Sequence[int], end: int) -> tuple[int, bytes]:
        """How many of ids' last tokens to hand back (only among the last `end`), and their bytes.

        As the local healer, but never a tail that starts inside a character: the prompt left must be
        whole text.
        """
        count, _tail = self._healer.healed_tail(ids[len(ids) - end :])
        while count and not _whole(b"".join(self._token_bytes[i] for i in ids[: len(ids) - count])):
            count -= 1  # any shorter tail of a healable tail is healable too
        return count, b"".join(self._token_bytes[i] for i in ids[len(ids) - count :])

    def allowed(self, need: bytes) -> set[int]:
        """The tokens that may come next while need bytes are owed, less those ending inside a character."""
        return {token for token in self._healer.allowed_ids(need) if self._whole[token]}

    def bias(self, allowed: set[int], repetition_penalty: float) -> dict[str, float]:
        """`logit_bias` that leaves the server only the allowed tokens (see the module's docstring)."""
        vocab = len(self._token_bytes)
        if repetition_penalty == 1.0 and len(allowed) <= vocab // 2:
            return {str(token): BIAS for token in sorted(allowed)}
        return {str(token): -BIAS for token in range(vocab) if token not in allowed}

    def chosen(self, text: str, allowed: set[int], url: str) -> int:
        """The token the server wrote as text; UnavailableError when it is not an allowed one."""
        token = self._healer.token_of(text.encode("utf-8", "surrogatepass"))
        if token is None or token not in allowed:
            raise UnavailableError(
                f"Token healing is unavailable for the server at {url}: it answered the constrained "
                f"request with {text!r}, outside the tokens asked for, so it ignores logit_bias or its "
                "model's tokens are not GPT-2's."
            )
        return token

    def owed_after(self, need: bytes, token: int) -> bytes:
        """The bytes still owed once token is written (b"" when it wrote them all)."""
        return self._healer.owed_after(need, token)

    def new_text(self, need: bytes, token: int) -> str:
        """What token writes past the owed bytes (the continuation's own first text)."""
        return self._token_bytes[token][len(need) :].decode("utf-8") if self._whole[token] else ""

    def constrained_token(
        self,
        client: CompletionsClient,
        payload: dict[str, Any],
        need: bytes,
        repetition_penalty: float,
        cancel: threading.Event | None = None,
    ) -> tuple[str, int | None]:
        """Ask the server for one token that writes (the start of) need: its text and id.

        payload: the completion request for the prompt so far (model, prompt, sampling, seed); its
        max_tokens, stop and logit_bias are set here. (text, None) when cancelled; raises RemoteError
        when the request fails and UnavailableError when the server's token is not an allowed one.
        """
        allowed = self.allowed(need)
        payload = {k: v for k, v in payload.items() if k != "stop"}  # stops apply after the tail, here
        payload |= {"max_tokens": 1, "logit_bias": self.bias(allowed, repetition_penalty)}
        chunks = client.stream(payload, cancel=cancel)
        try:
            text = "".join(
                str(choice.get("text") or "")
                for chunk in chunks
                for choice in chunk.get("choices") or ()
                if isinstance(choice, dict)
            )
        finally:
            chunks.close()
        if cancel is not None and cancel.is_set():
            return text, None
        return text, self.chosen(text, allowed, client.url)
