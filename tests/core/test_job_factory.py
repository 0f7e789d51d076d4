"""A job run outside an app context builds the app with the factory create_app recorded."""

from flask import current_app

from app import jobs


def test_create_app_records_its_factory_for_jobs(app):
    assert jobs._factory is app.extensions["socialbeat_app_factory"]


def test_a_job_outside_an_app_context_builds_the_app_with_the_factory(app, monkeypatch):
    built = []

    def factory():
        built.append(True)
        return app

    monkeypatch.setattr(jobs, "_factory", factory)
    monkeypatch.setattr(jobs, "_app", None)
    monkeypatch.setattr(jobs, "_app_pid", None)

    @jobs.job()
    def which_app():
        return current_app._get_current_object()

    assert which_app() is app
    assert which_app() is app
    assert built == [True]  # built once per process
