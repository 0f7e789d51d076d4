"""Demo data for `make run` (`flask --app wsgi demo load`): users, cases moved through their
history, and two months of posts replayed through triage.

It fills every domain through their own operations, so it sits above them all: no domain
imports it.

- users.py: the demo sign-ins;
- cases.py: demo cases, the default response templates, the workflow history they replay;
- posts.py: demo posts, triaged day by day, moving the cases they open on;
- cli.py: the `demo` command group.
"""
