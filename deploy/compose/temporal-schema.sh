#!/bin/sh
# One-shot: creates Temporal's two PostgreSQL databases when missing and brings both schemas to the version the
# server image expects. Safe to run on every `docker compose up`: setup-schema skips a database already past
# 0.0 and update-schema applies only newer versions. Any other failure stops the job, and so the stack.
#
# Connection: SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD (read by temporal-sql-tool itself, so the
# password never appears in a process list). Names: TEMPORAL_DB, VISIBILITY_DB. Schemas: SCHEMA_DIR.
set -eu

: "${SQL_PLUGIN:?}" "${SQL_HOST:?}" "${SQL_PORT:?}" "${SQL_USER:?}" "${SQL_PASSWORD:?}"
: "${TEMPORAL_DB:?}" "${VISIBILITY_DB:?}" "${SCHEMA_DIR:?}"

fail() {
  echo "temporal-schema: $*" >&2
  exit 1
}

sql_tool() {
  temporal-sql-tool --plugin "$SQL_PLUGIN" --endpoint "$SQL_HOST" --port "$SQL_PORT" --user "$SQL_USER" "$@"
}

# The tool leaves an existing database alone (postgres12 treats "already exists" as done), so this is idempotent.
create_database() {
  output=$(sql_tool --database "$1" create-database 2>&1) || fail "could not create database $1: $output"
  echo "temporal-schema: database $1 is there"
}

set_up() {
  database=$1
  versioned_dir=$2
  [ -d "$versioned_dir" ] || fail "no schema directory $versioned_dir in this image"
  create_database "$database"
  sql_tool --database "$database" setup-schema --version 0.0 || fail "setup-schema failed on $database"
  sql_tool --database "$database" update-schema --schema-dir "$versioned_dir" ||
    fail "update-schema failed on $database"
  echo "temporal-schema: $database is up to date"
}

set_up "$TEMPORAL_DB" "$SCHEMA_DIR/temporal/versioned"
set_up "$VISIBILITY_DB" "$SCHEMA_DIR/visibility/versioned"
