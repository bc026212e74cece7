"""The brain: the language engines (llama.cpp here, an OpenAI-compatible server on the network)
behind the LanguageEngine protocol, and the prompt template (ours, never the model's)."""
