import pytest

from tests.fakes import KeywordClassifier


@pytest.fixture
def keyword_classifier(monkeypatch):
    """Serve the keyword classifier wherever the pipeline loads its model."""
    classifier = KeywordClassifier()
    monkeypatch.setattr("app.triage.model.inference.load_classifier", lambda path=None: classifier)
    return classifier
