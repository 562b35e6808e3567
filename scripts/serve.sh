#!/usr/bin/env bash
# Serves the web app and a real Celery worker (with the periodic sweep) until Ctrl-C, which stops both.
set -euo pipefail
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}

cleanup() {
  trap - INT TERM EXIT
  kill -TERM $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

echo "Starting the worker (queues: default, validation, containers, exports) and the web app on http://127.0.0.1:${PORT}"
"$PY" -m celery -A marketplace_prep worker --beat --loglevel=INFO --concurrency=2 \
  --queues=default,validation,containers,exports --hostname="worker@%h" &
"$PY" manage.py runserver "127.0.0.1:${PORT}" --noreload &
# Whichever stops first (a crash, Ctrl-C) brings the other down with it.
wait -n
