"""The keyword_classifier fixture lives in tests/conftest.py (the demo and stats tests use it too)."""
