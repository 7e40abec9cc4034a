#!/bin/sh
# One-shot: waits for the Temporal frontend, creates the namespace when missing and registers every custom search
# attribute the workflow upserts. Idempotent: an attribute already registered with the right type is fine; one
# registered with another type, or any command that fails, stops the job with a message, so the API and the
# workers (which depend on this job) never start against a namespace that would refuse their first upsert.
#
# TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, NAMESPACE_RETENTION (e.g. 720h), SEARCH_ATTRIBUTES ("Name=Type ...",
# types as the Temporal CLI spells them). WAIT_ATTEMPTS / WAIT_SECONDS bound every wait.
set -eu

: "${TEMPORAL_ADDRESS:?}" "${TEMPORAL_NAMESPACE:?}" "${NAMESPACE_RETENTION:?}" "${SEARCH_ATTRIBUTES:?}"
attempts=${WAIT_ATTEMPTS:-60}
pause=${WAIT_SECONDS:-2}

fail() {
  echo "temporal-namespace: $*" >&2
  exit 1
}

# Runs "$@" until it succeeds, at most $attempts times; its last output (the error, on failure) is kept.
retry() {
  try=1
  until last_output=$("$@" 2>&1); do
    [ "$try" -lt "$attempts" ] || return 1
    try=$((try + 1))
    sleep "$pause"
  done
}

temporal_cli() {
  temporal "$@" --address "$TEMPORAL_ADDRESS"
}

retry temporal_cli operator cluster health ||
  fail "the frontend at $TEMPORAL_ADDRESS did not answer after $attempts attempts: $last_output"
echo "temporal-namespace: frontend $TEMPORAL_ADDRESS is serving"

# "exists" or "missing"; any other answer (a frontend still joining its cluster, say) is an error to retry.
namespace_state() {
  if output=$(temporal_cli operator namespace describe --namespace "$TEMPORAL_NAMESPACE" 2>&1); then
    echo exists
  else
    case "$output" in
      *"not found"*) echo missing ;;
      *) echo "$output" && return 1 ;;
    esac
  fi
}

# A create that timed out may still have happened: then the namespace exists, which is the point.
create_namespace() {
  temporal_cli operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$NAMESPACE_RETENTION" ||
    [ "$(namespace_state)" = exists ]
}

retry namespace_state || fail "could not describe namespace $TEMPORAL_NAMESPACE: $last_output"
if [ "$last_output" = exists ]; then
  echo "temporal-namespace: namespace $TEMPORAL_NAMESPACE exists"
else
  retry create_namespace || fail "could not create namespace $TEMPORAL_NAMESPACE: $last_output"
  echo "temporal-namespace: created namespace $TEMPORAL_NAMESPACE"
fi

# The type an attribute has now ("" when it is not registered). The CLI prints a table: name, type.
registered_type() {
  temporal_cli operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" >"$listing" 2>&1 ||
    fail "could not list the search attributes of $TEMPORAL_NAMESPACE: $(cat "$listing")"
  awk -v name="$1" '$1 == name { print $2 }' "$listing"
}

has_type() {
  [ "$(registered_type "$1")" = "$2" ]
}

listing=$(mktemp)
trap 'rm -f "$listing"' EXIT

# A namespace created a moment ago may not be visible to every frontend yet: wait until it answers, bounded.
retry temporal_cli operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" ||
  fail "namespace $TEMPORAL_NAMESPACE does not answer: $last_output"

for spec in $SEARCH_ATTRIBUTES; do
  name=${spec%%=*}
  type=${spec#*=}
  [ -n "$name" ] && [ -n "$type" ] && [ "$name" != "$spec" ] || fail "malformed search attribute '$spec' (Name=Type)"
  current=$(registered_type "$name")
  if [ "$current" = "$type" ]; then
    echo "temporal-namespace: search attribute $name ($type) exists"
    continue
  fi
  [ -z "$current" ] || fail "search attribute $name is registered as $current, the workflow needs $type"
  if ! retry temporal_cli operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$name" --type "$type"; then
    # An attempt that timed out may still have registered it; anything else is a failure.
    has_type "$name" "$type" || fail "could not create search attribute $name ($type): $last_output"
  fi
  echo "temporal-namespace: created search attribute $name ($type)"
done

# Read back: what the workers will rely on, not what the commands said.
for spec in $SEARCH_ATTRIBUTES; do
  name=${spec%%=*}
  type=${spec#*=}
  retry has_type "$name" "$type" ||
    fail "search attribute $name is not registered as $type after creation"
done
echo "temporal-namespace: namespace $TEMPORAL_NAMESPACE has every search attribute"
