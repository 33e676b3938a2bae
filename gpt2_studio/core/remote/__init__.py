"""Remote engines: generation on an OpenAI-compatible *completions* server (llama.cpp, vLLM, TGI).

client: the HTTP conversation (httpx2, server-sent events, retries, errors as one sentence each);
kinds: which sampling settings each kind of server honours; text: one alternative's text as it streams;
engine: RemoteEngine, the GenerationEngine that the GUI and CLI use; tokenizer: the local GPT-2 tokenizer
it counts tokens with; servers: the saved servers list and their API keys (kept in the operating
system's keyring); errors: RemoteError and its kinds.
"""
