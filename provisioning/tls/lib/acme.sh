# shellcheck shell=sh
# streambox-tls acme: obtain or renew the ACME certificate (certbot, webroot HTTP-01), with
# backoff after failures. Sourced by streambox-tls.

acme_cert=$ACME_DIR/config/live/streambox/fullchain.pem
acme_key=$ACME_DIR/config/live/streambox/privkey.pem
acme_state=$ACME_DIR/state
acme_get() { sed -n "s/^$1=//p" "$acme_state" 2>/dev/null | tail -n 1; }
acme_last_error() { e=$(acme_get last_error); [ -z "$e" ] || printf ' (last attempt: %s)' "$e"; }

# select starts an ACME attempt when none is due to wait (backoff): no certificate yet, or a
# certificate that is no longer usable for the host name.
acme_kick() {
    [ "${STREAMBOX_TLS_NO_ACME_KICK:-}" = 1 ] && return 0
    [ -d /run/systemd/system ] || return 0
    next=$(acme_get next_attempt); next=${next:-0}
    [ "$(now_s)" -ge "$next" ] || return 0
    systemctl start --no-block streambox-acme.service 2>/dev/null || true
}

acme_set_state() { # failures next_attempt last_error
    install -d -m 0700 "$ACME_DIR"
    printf 'failures=%s\nnext_attempt=%s\nnext_attempt_iso=%s\nlast_error=%s\nupdated=%s\n' "$1" "$2" \
        "$(date -u -d "@$2" +%Y-%m-%dT%H:%M:%SZ)" "$3" "$(iso_now)" >"$acme_state.new"
    mv -f "$acme_state.new" "$acme_state"
}

acme() {
    force=
    [ "${1:-}" = --force ] && force=1
    public_host=$(setting STREAMBOX_PUBLIC_HOST)
    [ -n "$public_host" ] || { info "STREAMBOX_PUBLIC_HOST is not set in $ENV_FILE: no ACME"; exit 0; }
    case $public_host in *[!A-Za-z0-9.-]*|*.|.*|*..*|[0-9]*[0-9]) die "STREAMBOX_PUBLIC_HOST='$public_host' is not a DNS name" ;; esac
    command -v certbot >/dev/null || die "certbot is not installed"
    server=$(setting STREAMBOX_ACME_SERVER "$LETSENCRYPT")
    email=$(setting STREAMBOX_ACME_EMAIL)
    bundle=$(setting STREAMBOX_ACME_CA_BUNDLE)

    # One ACME run at a time (the timer, select's retry and a person may meet; certbot itself
    # refuses a second instance): the later one waits, then usually finds nothing to do.
    install -d -m 0700 "$ACME_DIR"
    exec 8>"$ACME_DIR/.lock"
    flock 8

    if [ -z "$force" ]; then
        if [ -z "$(cert_problem "$acme_cert" "$acme_key" "$public_host")" ] &&
            openssl x509 -in "$acme_cert" -noout -checkend $((RENEW_DAYS * 86400)) >/dev/null 2>&1; then
            info "the ACME certificate for $public_host is good until $(not_after_iso "$acme_cert"): nothing to do"
            STREAMBOX_TLS_NO_ACME_KICK=1 select_cert
            return 0
        fi
        next=$(acme_get next_attempt); next=${next:-0}
        if [ "$(now_s)" -lt "$next" ]; then
            info "ACME: waiting after a failure until $(acme_get next_attempt_iso) (--force to try now)"
            return 0
        fi
    fi

    install -d -m 0700 "$ACME_DIR" "$ACME_DIR/config" "$ACME_DIR/work" "$ACME_DIR/logs"
    install -d -m 0755 "$ACME_WEBROOT"
    set -- certonly --non-interactive --agree-tos --quiet \
        --config-dir "$ACME_DIR/config" --work-dir "$ACME_DIR/work" --logs-dir "$ACME_DIR/logs" \
        --server "$server" --webroot --webroot-path "$ACME_WEBROOT" \
        --cert-name streambox -d "$public_host" --key-type ecdsa --elliptic-curve secp256r1
    if [ -n "$email" ]; then set -- "$@" --email "$email"; else set -- "$@" --register-unsafely-without-email; fi
    if [ -n "$force" ]; then set -- "$@" --force-renewal; else set -- "$@" --keep-until-expiring; fi
    info "ACME: asking $server for $public_host${force:+ (forced renewal)}"
    if out=$(if [ -n "$bundle" ]; then REQUESTS_CA_BUNDLE=$bundle certbot "$@"; else certbot "$@"; fi 2>&1); then
        acme_set_state 0 0 ""
        info "ACME: certificate for $public_host until $(not_after_iso "$acme_cert")"
        STREAMBOX_TLS_NO_ACME_KICK=1 select_cert
        return 0
    fi
    failures=$(acme_get failures); failures=$((${failures:-0} + 1))
    # Backoff: 2 min, 4, 8, ... up to 6 h between attempts.
    delay=120 i=1
    while [ "$i" -lt "$failures" ] && [ "$delay" -lt 21600 ]; do delay=$((delay * 2)); i=$((i + 1)); done
    [ "$delay" -le 21600 ] || delay=21600
    err=$(printf '%s\n' "$out" | grep -v '^[[:space:]]*$' | tail -n 3 | tr '\n' ' ' | cut -c1-400)
    acme_set_state "$failures" $(($(now_s) + delay)) "$err"
    warn "ACME for $public_host failed (attempt $failures; next in ${delay}s; the current certificate stays): $err"
    STREAMBOX_TLS_NO_ACME_KICK=1 select_cert
    return 1
}
