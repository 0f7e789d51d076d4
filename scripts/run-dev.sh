#!/usr/bin/env bash
# Start the web app on http://$HOST:$PORT (127.0.0.1:5000 unless set), plus an RQ worker when
# Redis answers. Without a trained triage model, train one in the background (low priority,
# log in instance/logs/triage-train.log, progress on /admin/model): triage serves the TF-IDF
# fallback meanwhile, and the app and worker switch to the model when it lands.
set -euo pipefail
FLASK=".venv/bin/flask --app wsgi"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-5000}"
INSTANCE_DIR="${SOCIALBEAT_INSTANCE_DIR:-instance}"
worker_pid=""
if [ ! -e "$INSTANCE_DIR/models/triage/current" ]; then
  mkdir -p "$INSTANCE_DIR/logs"
  # --if-idle: a training that is already running (flock in models/triage) is left alone.
  # --no-fallback: `demo load` has just trained the TF-IDF fallback (it is retrained by itself
  # when the data changes); the model lands a minute sooner.
  nohup nice -n 10 $FLASK triage train --if-idle --no-fallback >>"$INSTANCE_DIR/logs/triage-train.log" 2>&1 &
  echo "No triage model yet: training it in the background (pid $!, log $INSTANCE_DIR/logs/triage-train.log)."
  echo "Until it lands, triage uses the TF-IDF fallback; progress and ETA on /admin/model."
fi
if .venv/bin/python -c "import redis,sys; redis.Redis.from_url('$REDIS_URL', socket_connect_timeout=1).ping()" 2>/dev/null; then
  $FLASK worker &
  worker_pid=$!
  echo "RQ worker started (pid $worker_pid)"
else
  echo "Redis is not reachable at $REDIS_URL: background jobs run inline in the web app"
fi
trap '[ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null' EXIT
case "$HOST" in
  0.0.0.0 | "::") echo "Social Beat: http://127.0.0.1:$PORT (listening on all interfaces, $HOST:$PORT)" ;;
  *:*) echo "Social Beat: http://[$HOST]:$PORT" ;;
  *) echo "Social Beat: http://$HOST:$PORT" ;;
esac
$FLASK run --host "$HOST" --port "$PORT"
