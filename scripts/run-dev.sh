#!/usr/bin/env bash
# Start the web app on http://127.0.0.1:$PORT (5000 unless set), plus an RQ worker when Redis answers.
set -euo pipefail
FLASK=".venv/bin/flask --app wsgi"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
worker_pid=""
if .venv/bin/python -c "import redis,sys; redis.Redis.from_url('$REDIS_URL', socket_connect_timeout=1).ping()" 2>/dev/null; then
  $FLASK worker &
  worker_pid=$!
  echo "RQ worker started (pid $worker_pid)"
else
  echo "Redis is not reachable at $REDIS_URL: background jobs run inline in the web app"
fi
trap '[ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null' EXIT
PORT="${PORT:-5000}"
echo "Social Beat: http://127.0.0.1:$PORT"
$FLASK run --host 127.0.0.1 --port "$PORT"
