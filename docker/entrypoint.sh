#!/usr/bin/env bash
# The image's entry point: starts the server through payara/dstack-server, under Litestream when
# LITESTREAM_REPLICA_URL names a replica of the SQLite database (s3://, gcs://, abs://, …):
# a missing database is first restored from the replica, then Litestream runs the server and
# streams every change of the database to the replica.
#
# Credentials are read by Litestream itself: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the
# task role), GOOGLE_APPLICATION_CREDENTIALS, LITESTREAM_AZURE_ACCOUNT_KEY.
# GOOGLE_APPLICATION_CREDENTIALS_JSON, the key itself, is written to a file first.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
launcher="${DSTACK_LAUNCHER:-$here/payara/dstack-server}"
server_dir="${DSTACK_SERVER_DIR:-$HOME/.dstack/server}"
database="$server_dir/data/sqlite.db"

log() {
  echo "entrypoint: $*" >&2
}

if [[ -n "${GOOGLE_APPLICATION_CREDENTIALS_JSON:-}" ]]; then
  key_file="$HOME/.config/gcloud/application_default_credentials.json"
  mkdir -p "$(dirname "$key_file")"
  (umask 077 && printf '%s' "$GOOGLE_APPLICATION_CREDENTIALS_JSON" >"$key_file")
  export GOOGLE_APPLICATION_CREDENTIALS="${GOOGLE_APPLICATION_CREDENTIALS:-$key_file}"
fi

replica="${LITESTREAM_REPLICA_URL:-}"
if [[ -z "$replica" ]]; then
  exec "$launcher" "$@"
fi
if [[ -n "${DSTACK_DATABASE_URL:-}" ]]; then
  # Litestream copies a SQLite file; with PostgreSQL there is none
  log "LITESTREAM_REPLICA_URL is ignored: the state is in DSTACK_DATABASE_URL, not in SQLite"
  exec "$launcher" "$@"
fi
if [[ "$replica" != *://* ]]; then
  log "LITESTREAM_REPLICA_URL must be a replica URL such as s3://bucket/path, gcs://bucket/path or abs://account@container/path, not '$replica'"
  exit 2
fi

if [[ ! -f "$database" ]]; then
  mkdir -p "$(dirname "$database")"
  log "restoring $database from $replica (if the replica exists)"
  litestream restore -if-replica-exists -o "$database" "$replica"
fi
printf -v server_command '%q ' "$launcher" "$@"
exec litestream replicate -exec "${server_command% }" "$database" "$replica"
