"""Generation: sampling settings, logits, context fitting, plain-text tokens, the engine, its stream."""
