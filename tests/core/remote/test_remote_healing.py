"""Token healing on a real llama.cpp server (`logit_bias`), against the local engine's healing of the same
model; and the healer's whole-character rules, which need no server."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
import torch

from gpt2_studio.core.generation.engine import Engine
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.text_stream import token_byte_table
from gpt2_studio.core.models.tokenizer import load_tokenizer
from gpt2_studio.core.remote.engine import RemoteEngine
from gpt2_studio.core.remote.healing import BIAS, ServerHealer
from tests.core.real_vocab import real_tokenizer_files
from tests.llama_server import LlamaServer

GREEDY = SamplingSettings(temperature=0.0, max_new_tokens=8, seed=1, token_healing=True)
# Mid-word, a short word start with many extensions, a trailing space (most of the vocabulary allowed),
# and a text that is all tail (the healed prompt is empty: <|endoftext|> on both).
PROMPTS = ("The capital of France is Par", "She opened the door and sa", "He said: ", "Par")
SAMPLES = 200
Z = 4.5  # standard errors a frequency may stray from its probability (a false alarm: ~1 in 10^5 each)


@pytest.fixture(scope="module")
def local(server_model_dir: Path) -> Engine:
    """The server's model on this computer (the GGUF was converted from it)."""
    from gpt2_studio.core.models.loading import load_model

    return Engine(load_model(server_model_dir, device="cpu", precision="fp32"))


@pytest.fixture
def remote(llama_server: LlamaServer, server_model_dir: Path):
    engine = RemoteEngine.connect(llama_server.url, tokenizer=load_tokenizer(server_model_dir))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def healer(tmp_path_factory) -> ServerHealer:
    folder = real_tokenizer_files(tmp_path_factory.mktemp("vocab") / "gpt2-vocab")
    return ServerHealer(token_byte_table(load_tokenizer(folder)), {50256})


# -- against the server ------------------------------------------------------------------------------
@pytest.mark.server
@pytest.mark.parametrize("prompt", PROMPTS)
def test_greedy_healing_on_the_server_writes_what_the_local_engine_writes(
    remote: RemoteEngine, local: Engine, prompt: str
) -> None:
    assert "token_healing" not in remote.ignored_settings()
    got = remote.complete(prompt, GREEDY)
    want = local.complete(prompt, GREEDY)
    assert got.healed_tokens == want.healed_tokens == 1
    assert got.text == want.text
    # The removed tail was written again first: the text goes on from the writer's half word (no space
    # after " Par" or "sa"; none doubled after the trailing space).
    assert not got.text[:1].isspace()
    unhealed = remote.complete(prompt, GREEDY.replace(token_healing=False))
    assert unhealed.healed_tokens == 0
    assert unhealed.text != got.text


@pytest.mark.server
@pytest.mark.parametrize("prompt", ["They went to wond", "It was diff", "It was hist"])
def test_a_tail_the_model_writes_over_several_tokens_is_healed_step_by_step(
    remote: RemoteEngine, local: Engine, prompt: str
) -> None:
    """Greedy, the model prefers a token that writes only the start of the tail (" w" of " wond"), then
    one that finishes it: each step is one constrained request, as the local model's argmax says."""
    healer = remote._server_healer()
    ids = local.tokenize(prompt)
    count, owed = healer.healed_tail(ids, len(ids))
    context, steps, new_text = ids[: len(ids) - count], 0, ""
    while owed:  # the local model's greedy choice among the allowed tokens, step by step
        allowed = sorted(healer.allowed(owed))
        token = allowed[int(torch.argmax(local.next_token_logprobs(context)[allowed]))]
        new_text = healer.new_text(owed, token)
        owed, context, steps = healer.owed_after(owed, token), [*context, token], steps + 1
    assert steps == 2
    got = remote.complete(prompt, GREEDY)
    assert got.healed_tokens == count
    assert got.text.startswith(new_text)
    # What follows may differ from this computer's: the server reads the healed text in its own tokens
    # (" wondon" whole), where the local engine goes on from the two tokens it generated.


@pytest.mark.server
def test_the_servers_healing_token_follows_the_local_models_distribution_on_the_allowed_tokens(
    remote: RemoteEngine, local: Engine
) -> None:
    """Sampled over many seeds, the constrained token's frequencies match the local model's probabilities
    restricted to the allowed tokens (each within Z standard errors), and no other token ever comes."""
    prompt, temperature = PROMPTS[0], 0.1  # sharp enough that a few tokens carry most of the mass
    healer = remote._server_healer()
    ids = local.tokenize(prompt)
    count, tail = healer.healed_tail(ids, len(ids))
    assert (count, tail) == (1, b" Par")
    healed_text = local.detokenize(ids[:-1])
    allowed = sorted(healer.allowed(tail))
    logprobs = local.next_token_logprobs(ids[:-1])
    expected = torch.softmax(logprobs[allowed] / temperature, 0).tolist()
    settings = SamplingSettings(temperature=temperature, top_k=0, top_p=1.0)
    seen: Counter[int] = Counter()
    for seed in range(SAMPLES):
        payload = remote._payload(healed_text, settings, seed, 1)
        text, token = healer.constrained_token(remote.client, payload, tail, settings.repetition_penalty)
        assert token in allowed
        assert text.encode() == healer._token_bytes[token]
        seen[token] += 1
    ranked = sorted(zip(expected, allowed, strict=True), reverse=True)
    assert ranked[0][0] > 0.2  # the test has teeth: the top tokens are far from uniform (1/46)
    groups = [[token] for _p, token in ranked[:3]] + [[token for _p, token in ranked[3:]]]
    probability = dict(zip(allowed, expected, strict=True))
    for group in groups:
        p = sum(probability[token] for token in group)
        frequency = sum(seen[token] for token in group) / SAMPLES
        error = math.sqrt(p * (1 - p) / SAMPLES)
        assert abs(frequency - p) <= Z * error, (group, frequency, p)


@pytest.mark.server
def test_healing_with_alternatives_and_a_repetition_penalty_keeps_each_alternatives_tail(
    remote: RemoteEngine,
) -> None:
    settings = GREEDY.replace(temperature=1.0, num_alternatives=3, seed=4, repetition_penalty=1.3)
    result = remote.complete(PROMPTS[0], settings)
    assert result.healed_tokens == 1
    assert len(result.alternatives) == 3
    allowed_rests = {
        remote._server_healer().new_text(b" Par", token) for token in remote._server_healer().allowed(b" Par")
    }
    for text in result.alternatives:
        assert any(text.startswith(rest) for rest in allowed_rests if rest)  # each finished " Par…"
    assert remote.complete(PROMPTS[0], settings).alternatives == result.alternatives  # seeded


@pytest.mark.server
def test_healing_is_unavailable_without_a_local_gpt2_or_on_a_server_with_other_tokens(
    llama_server: LlamaServer, tiny_model_dir: Path
) -> None:
    bare = RemoteEngine.connect(llama_server.url)  # no tokenizer: no token ids to bias
    other = RemoteEngine.connect(llama_server.url, tokenizer=load_tokenizer(tiny_model_dir))
    try:
        assert "token_healing" in bare.ignored_settings()
        assert bare.complete(PROMPTS[0], GREEDY).healed_tokens == 0  # ignored, as the panel says
        # A local tokenizer with another vocabulary stands for a server whose model is not GPT-2 (the
        # tiny tokenizer hands back "a" of "sa": its ids for tokens starting with "a" are others here).
        # The server's answer breaks the constraint: said once, and the suggestion goes on unhealed.
        assert "token_healing" not in other.ignored_settings()
        got = other.complete(PROMPTS[1], GREEDY)
        assert got.healed_tokens == 0
        (notice,) = other.notices
        assert notice.startswith(f"Token healing is unavailable for the server at {llama_server.url}: ")
        assert notice.endswith("Suggestions from it go on without token healing.")
        assert got.text == other.complete(PROMPTS[1], GREEDY.replace(token_healing=False)).text
        again = other.complete(PROMPTS[1], GREEDY)
        assert (again.text, again.healed_tokens, other.notices) == (got.text, 0, [])  # not tried again
        assert "token_healing" in other.ignored_settings()
    finally:
        bare.close()
        other.close()


# -- the healer's rules ------------------------------------------------------------------------------
def test_a_tail_that_starts_inside_a_character_heals_fewer_tokens(healer: ServerHealer) -> None:
    table = healer._token_bytes
    # "å" written as two byte tokens, "\xc3" then "\xa5"; "\xa5" starts longer tokens (and "å" none),
    # so the local healer hands it back alone, which would leave a prompt ending in half a character.
    lead, rest = table.index(b"\xc3"), table.index(b"\xa5")
    ids = [table.index(b"The"), table.index(b" caf"), lead, rest]
    assert healer._healer.healed_tail(ids)[0] == 1
    assert healer.healed_tail(ids, len(ids)) == (0, b"")
    # A whole-character tail heals as on this computer; only the text's own end (the last `end`) may.
    ids = [table.index(b"The"), table.index(b" Par")]
    assert healer.healed_tail(ids, 2) == (1, b" Par")
    assert healer.healed_tail(ids, 0) == (0, b"")


def test_allowed_tokens_are_whole_characters_and_the_bias_takes_the_smaller_side(
    healer: ServerHealer,
) -> None:
    table = healer._token_bytes
    allowed = healer.allowed(b" ")
    assert all(table[i].startswith(b" ") for i in allowed)
    assert all(table[i].decode("utf-8") for i in allowed)  # none ends inside a character
    assert table.index(b" \xe2\x80") not in allowed  # " —" begins with this half-character token
    assert 50256 not in allowed
    few = healer.allowed(b" Par")
    assert healer.bias(few, 1.0) == {str(i): BIAS for i in sorted(few)}
    many = healer.bias(allowed, 1.0)  # more than half the vocabulary: the others are lowered instead
    assert set(many.values()) == {-BIAS}
    assert len(many) == len(table) - len(allowed)
    # With a repetition penalty the allowed logits must stay as they are (the penalty divides them).
    assert set(healer.bias(few, 1.3).values()) == {-BIAS}
