"""The English month names, once, for every rule that reads or writes a date."""

from __future__ import annotations

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
MONTHS_LOWER = tuple(m.lower() for m in MONTHS)
