"""Briefings: select documents, gather passages, facts, render EN + JA."""
