#!/bin/sh
set -e
if [ "$(id -u)" = 0 ]; then exec gosu app "$0" "$@"; fi
exec "$@"
