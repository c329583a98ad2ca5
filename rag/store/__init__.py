"""Where chunks live: embeddings, the encoder pool, vectors (Chroma), the keyword index (SQLite FTS5)."""
