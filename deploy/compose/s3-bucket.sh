#!/bin/sh
# One-shot: waits until the S3 store accepts writes, creates the documents bucket when missing and proves it with
# a signed PUT and DELETE of a probe object (SeaweedFS answers its health endpoint well before it can store
# anything). Idempotent; a refusal (wrong credentials, a bucket owned by someone else) stops the job.
#
# S3_ENDPOINT, S3_BUCKET, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; WAIT_ATTEMPTS / WAIT_SECONDS.
set -eu

: "${S3_ENDPOINT:?}" "${S3_BUCKET:?}" "${S3_REGION:?}" "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"
attempts=${WAIT_ATTEMPTS:-60}
pause=${WAIT_SECONDS:-2}
bucket_url="${S3_ENDPOINT%/}/$S3_BUCKET"
body=$(mktemp)
trap 'rm -f "$body"' EXIT

fail() {
  echo "s3-bucket: $*" >&2
  exit 1
}

# Prints the HTTP status of a SigV4-signed request ("000" when nothing answered); the body lands in $body.
signed() {
  method=$1
  url=$2
  shift 2
  curl --silent --show-error --output "$body" --write-out '%{http_code}' --max-time 10 \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    --header 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --request "$method" "$@" "$url" 2>/dev/null || true
}

try=1
while :; do
  status=$(signed PUT "$bucket_url")
  case "$status" in
    200) echo "s3-bucket: created bucket $S3_BUCKET"; break ;;
    409)
      # BucketAlreadyOwnedByYou, or BucketAlreadyExists: ours only if our credentials can read it.
      [ "$(signed HEAD "$bucket_url")" = 200 ] || fail "bucket $S3_BUCKET exists but these credentials cannot use it"
      echo "s3-bucket: bucket $S3_BUCKET exists"
      break
      ;;
    401 | 403) fail "the store at $S3_ENDPOINT refused the credentials ($status): $(cat "$body")" ;;
  esac
  [ "$try" -lt "$attempts" ] || fail "the store at $S3_ENDPOINT did not accept a bucket after $attempts attempts (last status $status)"
  try=$((try + 1))
  sleep "$pause"
done

probe="$bucket_url/.compose-write-probe"
try=1
until [ "$(signed PUT "$probe" --data-binary probe)" = 200 ]; do
  [ "$try" -lt "$attempts" ] || fail "the store at $S3_ENDPOINT does not accept writes to $S3_BUCKET: $(cat "$body")"
  try=$((try + 1))
  sleep "$pause"
done
status=$(signed DELETE "$probe")
case "$status" in
  200 | 204) ;;
  *) fail "could not delete the write probe ($status): $(cat "$body")" ;;
esac
echo "s3-bucket: $S3_BUCKET accepts writes"
