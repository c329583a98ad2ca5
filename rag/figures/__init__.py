"""Figures: parsing and formatting numbers, labelling them, checking them against sources."""
