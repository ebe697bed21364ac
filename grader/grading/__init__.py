"""Grading: run each submission (kernel and function sandbox), judge what it produced, keep the results."""
