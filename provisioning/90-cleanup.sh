#!/bin/sh
# Step 90: drop downloaded package files and lists (they are re-fetched by apt-get update).
# Set STREAMBOX_KEEP_APT_CACHE=1 to keep them (e.g. when more packages follow).
set -eu
. "$(dirname "$0")/lib.sh"

if [ "${STREAMBOX_KEEP_APT_CACHE:-0}" = 1 ]; then
    log "keeping apt caches (STREAMBOX_KEEP_APT_CACHE=1)"
    exit 0
fi
apt-get clean
rm -rf /var/lib/apt/lists/*
log "apt caches cleaned"
