# shellcheck shell=sh
# Shared helpers for the provisioning steps. Sourced, not executed.
# Inputs (environment):
#   STREAMBOX_SOURCE_DIR  directory holding units/ and provisioning/ (default: the repo root
#                         this script lives in)
#   STREAMBOX_APP_DIR     built admin service (package.json, dist/, node_modules/, web/);
#                         optional, the admin step skips the copy when it is unset
#   STREAMBOX_HTTP_PORT   HTTP port nginx listens on (default: the value in
#                         /etc/streambox/streambox.env, else 80)
#   STREAMBOX_HTTPS_PORT  HTTPS port nginx listens on (likewise, else 443)

: "${STREAMBOX_SOURCE_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export STREAMBOX_SOURCE_DIR

# Used by the steps that source this file.
STREAMBOX_ETC=/etc/streambox
STREAMBOX_ENV_FILE=$STREAMBOX_ETC/streambox.env
# shellcheck disable=SC2034
STREAMBOX_UNIT_DIR=/usr/local/lib/systemd/system
# shellcheck disable=SC2034
STREAMBOX_HLS_DIR=/run/streambox-hls
# shellcheck disable=SC2034
STREAMBOX_TLS_DIR=/var/lib/streambox/tls
# shellcheck disable=SC2034
STREAMBOX_ACME_WEBROOT=/run/streambox-acme

log() { printf '%s: %s\n' "$(basename "$0")" "$*"; }
die() { log "error: $*" >&2; exit 1; }

# Read one KEY from the streambox.env file (systemd EnvironmentFile syntax, values
# optionally double-quoted). Prints nothing when the file or key is missing.
env_file_get() {
    [ -r "$STREAMBOX_ENV_FILE" ] || return 0
    sed -n "s/^[[:space:]]*$1=//p" "$STREAMBOX_ENV_FILE" | tail -n 1 | sed 's/^"\(.*\)"$/\1/'
}

# Install SRC to DEST with MODE, only when the content differs (keeps mtimes stable on
# re-runs). Prints "changed" to stdout when it wrote the file.
install_file() {
    src=$1 dest=$2 mode=$3
    if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
        chmod "$mode" "$dest"
        return 0
    fi
    install -D -m "$mode" "$src" "$dest"
    echo changed
}

# Are we running under a booted systemd (not a chroot / image build)?
systemd_running() { [ -d /run/systemd/system ]; }
