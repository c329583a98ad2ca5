"""Hybrid retrieval: vector and keyword lists, routed, fused, rescored and diversified."""
