"""shiftbrief: ask questions of company filings and news, and brief their strategic shifts."""

__version__ = "0.1.0"
