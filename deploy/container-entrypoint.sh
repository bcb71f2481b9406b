#!/bin/sh
# The container's entry: the database password from a secret file (never in the URL, never in
# the image or the compose file), then the command itself in this process's place, so that
# `docker stop`'s SIGTERM reaches it (`discretion-review app` in turn execs Streamlit).
set -eu
if [ -n "${DISCRETION_DB_PASSWORD_FILE:-}" ]; then
    PGPASSWORD=$(cat "$DISCRETION_DB_PASSWORD_FILE")
    export PGPASSWORD
fi
exec "$@"
