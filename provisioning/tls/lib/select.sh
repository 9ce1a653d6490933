# shellcheck shell=sh disable=SC2154 # acme_cert, acme_key: acme.sh
# streambox-tls select: the best usable certificate, nginx's mode snippets and the status file.
# Sourced by streambox-tls.

operator_stamp() { ls -la --time-style=+%s.%N "$OPERATOR_DIR" 2>/dev/null || true; }

select_cert() {
    install -d -m 0755 "$STATE"
    install -d -m 0755 "$STATE/nginx"
    # One selection at a time (the timer, the path unit and an ACME run may meet).
    exec 9>"$STATE/.lock"
    flock 9
    # Files just written into /etc/streambox/tls (the path unit fired): let a copy of the second
    # file land before judging the pair.
    for f in "$OPERATOR_DIR/fullchain.pem" "$OPERATOR_DIR/privkey.pem"; do
        if [ -e "$f" ] && [ $(($(now_s) - $(stat -c %Y "$f"))) -lt 2 ]; then sleep 2; break; fi
    done
    reason=
    source=
    public_host=$(setting STREAMBOX_PUBLIC_HOST)

    if [ -e "$OPERATOR_DIR/fullchain.pem" ] || [ -e "$OPERATOR_DIR/privkey.pem" ]; then
        p=$(cert_problem "$OPERATOR_DIR/fullchain.pem" "$OPERATOR_DIR/privkey.pem")
        if [ -z "$p" ]; then
            source=operator cert=$OPERATOR_DIR/fullchain.pem key=$OPERATOR_DIR/privkey.pem
        else
            reason="operator certificate not used: $p"
        fi
    fi

    if [ -z "$source" ] && [ -n "$public_host" ]; then
        case $public_host in
            *[!A-Za-z0-9.-]*|*.|.*|*..*|[0-9]*[0-9]) p="STREAMBOX_PUBLIC_HOST='$public_host' is not a DNS name" ;;
            *) p=$(cert_problem "$acme_cert" "$acme_key" "$public_host")
               [ -z "$p" ] || [ -e "$acme_cert" ] || p="no ACME certificate for $public_host yet$(acme_last_error)"
               [ -z "$p" ] || acme_kick ;;
        esac
        if [ -z "$p" ]; then
            source=acme cert=$acme_cert key=$acme_key
        else
            reason="${reason:+$reason; }ACME: $p"
        fi
    fi

    if [ -z "$source" ]; then
        ensure_self
        source=self cert=$STATE/self/fullchain.pem key=$STATE/self/privkey.pem
    fi

    changed=$(activate "$cert" "$key")

    # nginx's mode: a trusted certificate redirects plain HTTP and sends HSTS; the appliance's
    # own CA keeps room pages on plain HTTP too (no warning for people who did not trust it).
    mode=trusted
    [ "$source" = self ] && mode=self
    c1=$(write_if_changed "$STATE/nginx/http.conf" "# written by streambox-tls select: source $source
include $NGINX_SNIPPETS/http-$mode.conf;")
    c2=$(write_if_changed "$STATE/nginx/https.conf" "# written by streambox-tls select: source $source
include $NGINX_SNIPPETS/https-$mode.conf;")

    # The status file (updatedAt moves only when something else in it changed).
    names=$(san_of "$cert" | while IFS= read -r n; do printf '%s,' "$(json_str "$n")"; done)
    ca_fp=null
    [ "$source" = self ] && ca_fp=$(json_str "$(fingerprint "$STATE/ca/ca.crt")")
    body="\"source\":\"$source\",\"reason\":$(json_str "$reason"),\"subject\":$(json_str "$(subject_of "$cert")"),\"names\":[${names%,}],\"notAfter\":\"$(not_after_iso "$cert")\",\"fingerprintSha256\":\"$(fingerprint "$cert")\",\"caFingerprintSha256\":$ca_fp"
    old_body=$(sed -n 's/^{\(.*\),"updatedAt":"[^"]*"}$/\1/p' "$STATE/status.json" 2>/dev/null || true)
    if [ "$body" != "$old_body" ]; then
        old_reason=$(sed -n 's/.*"reason":\(null\|"\([^"\\]\|\\.\)*"\).*/\1/p' "$STATE/status.json" 2>/dev/null || true)
        write_if_changed "$STATE/status.json" "{$body,\"updatedAt\":\"$(iso_now)\"}" >/dev/null
        if [ "$(json_str "$reason")" != "$old_reason" ] && [ -n "$reason" ]; then warn "using the $source certificate: $reason"; fi
        info "serving the $source certificate ($(fingerprint "$cert"), until $(not_after_iso "$cert"))"
    fi
    # Reload when what nginx last loaded differs from what is on disk now (also after a reload
    # that failed last time: it is retried on the next run).
    applied="$(fingerprint "$cert") $mode"
    if [ -n "$changed$c1$c2" ] || [ "$(cat "$STATE/nginx/applied" 2>/dev/null)" != "$applied" ]; then
        if [ -n "${restarted:-}" ] || nginx_reload; then write_if_changed "$STATE/nginx/applied" "$applied" >/dev/null; fi
    fi
}
