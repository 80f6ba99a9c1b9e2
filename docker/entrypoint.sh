#!/bin/sh
# hashfed container entrypoint. First start: `hashfed init` in /data (key, config, federation
# file, store). Every start: with HASHFED_SHARED set (docker/compose.yml), exchange member
# entries with the other containers through that shared folder; then run the node in the
# foreground (`exec`, so `docker stop`'s SIGTERM reaches it and it stops cleanly).
# Any other command runs the CLI:  docker run … hashfed-image status
set -eu

APP="${HASHFED_APP:-/app}"
DATA="${HASHFED_DIR:-/data}"
P2P_PORT="${HASHFED_P2P_PORT:-4001}"
API_PORT="${HASHFED_API_PORT:-8480}"
CHECK_PORT="${HASHFED_CHECK_PORT:-8481}"
CLI="$APP/dist/src/cli/main.js"

if [ "${1:-start}" != "start" ]; then
  exec node "$CLI" "$@"
fi

if [ ! -f "$DATA/config.json" ]; then
  : "${HASHFED_NAME:?set HASHFED_NAME: this hotline's name in the federation}"
  : "${HASHFED_COUNTRY:?set HASHFED_COUNTRY: the countries it is responsible for, e.g. NL or NL,BE}"
  ANNOUNCE="${HASHFED_ANNOUNCE:-/dns4/$(hostname)/tcp/$P2P_PORT}"
  echo "hashfed: first start, creating node $HASHFED_NAME ($HASHFED_COUNTRY) in $DATA"
  node "$CLI" init --dir "$DATA" --name "$HASHFED_NAME" --country "$HASHFED_COUNTRY" \
    --listen "/ip4/0.0.0.0/tcp/$P2P_PORT" --announce "$ANNOUNCE" \
    --api-port "$API_PORT" --check-port "$CHECK_PORT"
  # hosters reach the check API from outside the container; it always requires a check token
  node -e '
    const fs = require("fs"); const p = process.argv[1]
    const c = JSON.parse(fs.readFileSync(p, "utf8"))
    c.check = { ...c.check, host: process.argv[2] }
    fs.writeFileSync(p + ".tmp", JSON.stringify(c, null, 2) + "\n", { mode: fs.statSync(p).mode })
    fs.renameSync(p + ".tmp", p)' "$DATA/config.json" "${HASHFED_CHECK_HOST:-0.0.0.0}"
  if [ -n "${HASHFED_ADMIN_HOST:-}" ]; then
    # off loopback the admin API needs a token: generated into config.json, never printed to the log
    node "$CLI" config set-api-host "$HASHFED_ADMIN_HOST" --dir "$DATA" > /dev/null
    echo "hashfed: admin API and dashboard on $HASHFED_ADMIN_HOST:$API_PORT; the token is api.token in $DATA/config.json"
  fi
fi

# the admin API answers only to its own host names (DNS rebinding); a port published under
# another number, or a proxy's name, is listed here, e.g. "127.0.0.1:8490,localhost:8490"
if [ -n "${HASHFED_ADMIN_ALLOWED_HOSTS:-}" ]; then
  node -e '
    const fs = require("fs"); const p = process.argv[1]
    const c = JSON.parse(fs.readFileSync(p, "utf8"))
    c.api = { ...c.api, allowedHosts: process.argv[2].split(",").map(s => s.trim()).filter(s => s !== "") }
    fs.writeFileSync(p + ".tmp", JSON.stringify(c, null, 2) + "\n", { mode: fs.statSync(p).mode })
    fs.renameSync(p + ".tmp", p)' "$DATA/config.json" "$HASHFED_ADMIN_ALLOWED_HOSTS"
fi

if [ -n "${HASHFED_SHARED:-}" ]; then
  node "$APP/docker/exchange-members.mjs" "$DATA" "$HASHFED_SHARED" "${HASHFED_MEMBERS:-0}"
fi

exec node "$CLI" start --dir "$DATA"
