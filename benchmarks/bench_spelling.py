"""How often the intended word is the first spelling suggestion: the library's order vs GPT-2's.

pyspellchecker orders its candidates by word frequency; GPT-2 Studio re-orders them by the model's
log-probability of each candidate with a few tokens of the text after it (core/spelling/ranking.py).
The cases are misspellings in context: the hand-built ones of the tests (tests/core/spelling/trained.py,
ten of them chosen where frequency picks the wrong word) and typos made here from every longer word of
the same sentences (two letters swapped, a letter dropped or doubled), kept when the dictionary does
not know the typo and lists the intended word among its candidates.

    .venv/bin/python benchmarks/bench_spelling.py --model /path/to/demo-model   # a model folder
    .venv/bin/python benchmarks/bench_spelling.py                               # trains the tests' tiny model

Without --model it trains the tests' tiny model on the intended sentences themselves (a sanity check:
it has read them); a model trained on other English text (the demo model) is the fair measure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

from gpt2_studio.core.spelling.dictionaries import Speller  # noqa: E402
from gpt2_studio.core.spelling.ranking import rank_suggestions  # noqa: E402
from tests.core.spelling.trained import CASES, Case, train_tiny_model  # noqa: E402


def typos(word: str) -> list[str]:
    """A few deterministic typos of word: middle letters swapped, one dropped, one doubled."""
    middle = len(word) // 2
    return [
        word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :],
        word[:middle] + word[middle + 1 :],
        word[:middle] + word[middle] + word[middle:],
    ]


def made_cases(speller: Speller) -> list[Case]:
    """Typos of every word of five letters or more in the cases' intended sentences."""
    out: list[Case] = []
    for case in CASES:
        sentence = case.text.replace(case.typo, case.intended, 1)
        for word in {w.strip(".,") for w in sentence.split()}:
            if len(word) < 5 or not word.isalpha():
                continue
            for typo in typos(word):
                if speller.is_correct(typo) or sentence.count(word) != 1:
                    continue
                if word in speller.candidates(typo):
                    out.append(Case(sentence.replace(word, typo, 1), typo, word))
                    break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="a GPT-2 model folder (default: train the tests' tiny model)")
    parser.add_argument("--precision", default="fp32")
    args = parser.parse_args()
    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.models.loading import load_model

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.model) if args.model else train_tiny_model(Path(scratch) / "tiny")
        engine = Engine(load_model(folder, device="cpu", precision=args.precision))
        speller = Speller("en")
        sets = {"hand-built": list(CASES), "made typos": made_cases(speller)}
        print(f"model: {args.model or 'tiny model trained on the intended sentences'}")
        for name, cases in sets.items():
            library_first = model_first = 0
            seconds: list[float] = []
            for case in cases:
                before, word, after = case.split()
                candidates = speller.candidates(word)
                started = time.perf_counter()
                ranked = rank_suggestions(engine, before, word, after, candidates)
                seconds.append(time.perf_counter() - started)
                library_first += candidates[:1] == [case.intended]
                model_first += ranked.suggestions[:1] == (case.intended,)
            seconds.sort()
            median_ms = 1000 * seconds[len(seconds) // 2] if seconds else 0.0
            print(
                f"{name}: {len(cases)} cases; intended word first: library {library_first}, "
                f"model {model_first}; ranking median {median_ms:.1f} ms"
            )


if __name__ == "__main__":
    main()
