"""Instructor tools: build the student notebooks, execute solutions, write the student release."""
