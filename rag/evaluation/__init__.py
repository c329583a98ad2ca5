"""Evaluation: question sets, metrics, the runner and its reports."""
