"""Fixed-window rate limits per client address: a Redis counter, or memory without Redis."""

import hashlib
import threading
import time

from flask import current_app, request

_memory: dict[str, tuple[int, int]] = {}
_lock = threading.Lock()


def client_key() -> str:
    """A hash of the client's address (the proxy's X-Forwarded-For is not trusted here)."""
    address = request.remote_addr or "unknown"
    return hashlib.sha256(address.encode()).hexdigest()[:32]


def hit(action: str, limit: int, window_seconds: int = 3600) -> bool:
    """Count one `action` from this client; False when it went over `limit` in the window."""
    window = int(time.time()) // window_seconds
    key = f"socialbeat:public:rate:{action}:{client_key()}:{window}"
    connection = current_app.extensions.get("socialbeat_redis")
    if connection is not None:
        count = connection.incr(key)
        if count == 1:
            connection.expire(key, window_seconds)
        return count <= limit
    with _lock:
        for stale in [k for k, (w, _) in _memory.items() if w != window]:
            del _memory[stale]
        _, count = _memory.get(key, (window, 0))
        _memory[key] = (window, count + 1)
    return count + 1 <= limit
