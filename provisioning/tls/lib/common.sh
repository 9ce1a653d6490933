# shellcheck shell=sh disable=SC2034 # the settings below are used by the other libraries
# streambox-tls: its settings (environment overrides for tests), messages and small helpers.
# Sourced first by streambox-tls; the other libraries use what is here.

ENV_FILE=${STREAMBOX_ENV_FILE:-/etc/streambox/streambox.env}
OPERATOR_DIR=${STREAMBOX_TLS_OPERATOR_DIR:-/etc/streambox/tls}
STATE=${STREAMBOX_TLS_DIR:-/var/lib/streambox/tls}
ACME_DIR=${STREAMBOX_ACME_DIR:-/var/lib/streambox/acme}
ACME_WEBROOT=${STREAMBOX_ACME_WEBROOT:-/run/streambox-acme}
NGINX_SNIPPETS=${STREAMBOX_NGINX_SNIPPETS:-/etc/nginx/streambox}
LETSENCRYPT=https://acme-v02.api.letsencrypt.org/directory
RENEW_DAYS=30
SELF_DAYS=397   # the server certificate (what browsers accept for a leaf, Apple included)
CA_DAYS=3650

umask 077
prog=streambox-tls

# Messages: to stderr; under systemd (journal) with a syslog priority prefix.
say() { # PRIORITY MESSAGE
    if [ -n "${INVOCATION_ID:-}" ]; then printf '<%s>%s\n' "$1" "$2" >&2; else printf '%s: %s\n' "$prog" "$2" >&2; fi
}
info() { say 6 "$*"; }
warn() { say 4 "$*"; }
die() { say 3 "error: $*"; exit 1; }

setting() { # KEY [DEFAULT]: from the environment, else streambox.env (EnvironmentFile syntax)
    eval "v=\${$1:-}"
    if [ -z "$v" ] && [ -r "$ENV_FILE" ]; then
        v=$(sed -n "s/^[[:space:]]*$1=//p" "$ENV_FILE" | tail -n 1 | sed 's/^"\(.*\)"$/\1/')
    fi
    printf '%s\n' "${v:-${2:-}}"
}

now_s() { date -u +%s; }
iso_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

json_str() { # a JSON string literal (or null for an empty value)
    if [ -z "$1" ]; then printf 'null'; return; fi
    printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}
