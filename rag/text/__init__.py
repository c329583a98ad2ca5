"""Text helpers shared by every stage: language, normalisation, sentences, tokens, safe display."""
