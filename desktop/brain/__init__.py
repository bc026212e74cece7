"""The brain: LLM engines, the prompt template (ours, never the model's), guardrails."""
