"""GPT-2 Studio: a desktop writing assistant that drafts text with a local GPT-2 model.

The scripting API lives in :mod:`gpt2_studio.core`::

    from gpt2_studio.core import Engine, SamplingSettings, load_model

    engine = Engine(load_model("gpt2"))
    result = engine.complete("The meaning of life is", SamplingSettings(num_alternatives=3))
    print(result.alternatives)
"""

__version__ = "0.1.0"
