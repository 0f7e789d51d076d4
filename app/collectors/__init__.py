"""Collectors: one adapter per source, turning source payloads into `PostData`.

Adapters know sources, not cases or the database; persistence, jobs and the CLI
live outside this package's source-facing modules.
"""
