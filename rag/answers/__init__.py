"""Answers: the chat model, prompts, grounding checks, extractive quotes, the answer path."""
