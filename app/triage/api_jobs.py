"""Triage jobs of the API: a large POST /api/v1/triage call, run by the worker in chunks.

    job = start(connection, user_id, texts, scope)   # enqueues the chunks; -> job id
    state(connection, job_id, user_id)                # -> {"status": "pending" | "done" | "failed", …}

The texts are cut into chunks of `CHUNK` texts, each one RQ job on the
``triage-api`` queue. The worker takes that queue after every other one, so a
citizen's report (``triage`` queue) waits for at most one chunk, never for a
whole large call. Each chunk writes its results under the job's key; the job is
done when every chunk has. Everything expires `TTL` seconds after the call:
results are kept for an hour, then the job is gone (404).

Only the user whose token started a job may read it; to anyone else it does
not exist.
"""

import json
import re
import secrets
import time

#: Texts per chunk: about a second of the model's time for the longest texts.
CHUNK = 32
#: Seconds a job and its results are kept.
TTL = 3600
PREFIX = "socialbeat:triage:job"
JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def _meta_key(job_id: str) -> str:
    return f"{PREFIX}:{job_id}"


def _results_key(job_id: str) -> str:
    return f"{PREFIX}:{job_id}:results"


def chunks(texts: list[str], size: int = CHUNK) -> list[list[str]]:
    return [texts[start : start + size] for start in range(0, len(texts), size)]


def start(connection, user_id: int, texts: list[str], scope: str, enqueue_chunk, ttl=None):
    """Record a job for `user_id` and hand its chunks to `enqueue_chunk(job_id, index, texts, scope)`.

    Returns ``(job_id, expires_at)`` (a Unix time). Raises what the connection
    raises when Redis is down (the caller answers 503).
    """
    ttl = TTL if ttl is None else ttl
    job_id = secrets.token_hex(16)
    parts = chunks(texts)
    expires_at = int(time.time()) + ttl
    meta = {
        "user_id": str(user_id),
        "total": str(len(texts)),
        "chunks": str(len(parts)),
        "expires_at": str(expires_at),
    }
    with connection.pipeline() as pipe:
        pipe.hset(_meta_key(job_id), mapping=meta)
        pipe.expire(_meta_key(job_id), ttl)
        pipe.execute()
    for index, part in enumerate(parts):
        enqueue_chunk(job_id, index, part, scope)
    return job_id, expires_at


def record_chunk(
    connection, job_id: str, index: int, items: list[dict] | None = None, error: str | None = None
) -> bool:
    """Store one chunk's results (or its error); False when the job has expired meanwhile."""
    ttl = connection.ttl(_meta_key(job_id))
    if ttl is None or ttl <= 0:
        return False
    # ASCII: a lone surrogate in a text must not stop the results from being stored.
    value = json.dumps({"items": items} if error is None else {"error": error})
    with connection.pipeline() as pipe:
        pipe.hset(_results_key(job_id), str(index), value)
        pipe.expire(_results_key(job_id), ttl)
        pipe.execute()
    return True


def state(connection, job_id: str, user_id: int) -> dict | None:
    """The job as its owner sees it, or None when it does not exist, expired or is not theirs."""
    if not JOB_ID.match(job_id or ""):
        return None
    meta = {
        key.decode(): value.decode() for key, value in connection.hgetall(_meta_key(job_id)).items()
    }
    if not meta or meta.get("user_id") != str(user_id):
        return None
    total, parts = int(meta["total"]), int(meta["chunks"])
    stored = {
        int(key): json.loads(value)
        for key, value in connection.hgetall(_results_key(job_id)).items()
    }
    body = {
        "job_id": job_id,
        "total": total,
        "processed": sum(len(chunk.get("items") or []) for chunk in stored.values()),
        "expires_at": int(meta["expires_at"]),
    }
    errors = [chunk["error"] for chunk in stored.values() if "error" in chunk]
    if errors:
        return {**body, "status": "failed", "error": errors[0]}
    if len(stored) < parts:
        return {**body, "status": "pending"}
    items = [item for index in range(parts) for item in stored[index]["items"]]
    return {**body, "status": "done", "items": items}
