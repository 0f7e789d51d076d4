"""The WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi run`."""

import gc

from app import create_app

app = create_app()

# What start-up built stays for the life of the process: keep it out of the garbage
# collector's full passes, which otherwise pause a request for about 100 ms at 1M posts
# (bench/hot_topics.py). Under gunicorn's pre-fork this also keeps those pages shared.
gc.collect()
gc.freeze()
