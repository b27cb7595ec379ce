#!/bin/sh
# Wiredesk container entrypoint, started by tini (PID 1) as its only child.
#
#   wiredesk-entrypoint serve      run the API (the image's default CMD)
#   wiredesk-entrypoint CMD ARG..  run anything else as given (bash, wiredesk --help, ...)
#
# `serve` execs uvicorn, so uvicorn becomes tini's direct child and receives SIGTERM
# itself: it stops accepting connections, waits up to UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN
# seconds for open ones, then runs the app's shutdown hook (which writes the FAISS index
# snapshot to WIREDESK_DATA_DIR) and exits.
set -eu

if [ "${1:-serve}" != "serve" ]; then
    exec "$@"
fi

host="${WIREDESK_HOST:-0.0.0.0}"
port="${WIREDESK_PORT:-8000}"
data_dir="${WIREDESK_DATA_DIR:-/data}"
# uvicorn accepts only lower-case level names (critical, error, warning, info, debug, trace);
# WIREDESK_LOG_LEVEL may be given as INFO, Debug, ...
log_level="$(printf '%s' "${WIREDESK_LOG_LEVEL:-info}" | tr '[:upper:]' '[:lower:]')"

# Fail fast, with the fix in the message, when the data directory cannot be written: the
# usual cause is a bind mount owned by root. Without this the app would only fail at
# shutdown, when it tries to write the index snapshot.
mkdir -p "$data_dir" 2>/dev/null || true
if [ ! -d "$data_dir" ] || [ ! -w "$data_dir" ]; then
    echo "wiredesk-entrypoint: WIREDESK_DATA_DIR=$data_dir is not a writable directory" \
        "for uid $(id -u); on the host run: chown -R $(id -u):$(id -g) <mounted dir>" >&2
    exit 1
fi

# Exactly one worker process: the FAISS index lives in the process, and several workers
# would each hold their own copy and overwrite each other's snapshot. `--workers 1` also
# overrides a WEB_CONCURRENCY / UVICORN_WORKERS that may be set in the environment.
exec uvicorn --factory service.api.app:create_app \
    --host "$host" \
    --port "$port" \
    --log-level "$log_level" \
    --workers 1
