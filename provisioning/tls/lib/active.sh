# shellcheck shell=sh
# streambox-tls: the active pair nginx serves, and having nginx load it (reload, then stop the
# old workers). Sourced by streambox-tls.

# activate CERT KEY: copies the pair into a new generation directory and points $STATE/active at
# it with one rename (nginx never reads half a pair). Prints "changed" when it did.
activate() {
    if [ -e "$STATE/active/fullchain.pem" ] && cmp -s "$1" "$STATE/active/fullchain.pem" && cmp -s "$2" "$STATE/active/privkey.pem"; then
        return 0
    fi
    install -d -m 0700 "$STATE/pairs"
    gen=$(mktemp -d "$STATE/pairs/XXXXXXXX")
    cp "$2" "$gen/privkey.pem"
    cp "$1" "$gen/fullchain.pem"
    chmod 0600 "$gen/privkey.pem"
    chmod 0644 "$gen/fullchain.pem"
    old=$(readlink "$STATE/active" 2>/dev/null || true)
    ln -sfn "pairs/${gen##*/}" "$STATE/active.new"
    mv -fT "$STATE/active.new" "$STATE/active"
    for d in "$STATE"/pairs/*; do # keep the previous generation (an nginx reload may be under way)
        [ "$d" = "$gen" ] || [ "pairs/${d##*/}" = "$old" ] || rm -rf "$d"
    done
    echo changed
}

# write_if_changed FILE CONTENT: prints "changed" when it wrote.
write_if_changed() {
    if [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; then return 0; fi
    printf '%s\n' "$2" >"$1.new"
    chmod 0644 "$1.new"
    mv -f "$1.new" "$1"
    echo changed
}

# Reload nginx for a new certificate or mode, and make sure the old worker goes within seconds.
# worker_shutdown_timeout (5 s, streambox-rtmp.conf) closes its HTTP connections and proxied
# WebSockets, but nginx-rtmp ignores it: the old worker would keep the rooms' RTMP publishers
# (and so every stream's RTMP players; HLS too) for as long as they stay connected, while new
# RTMP players reach the new worker and get nothing. So a worker still there after 8 s is
# stopped: the encoders (Restart=always) publish again to the new worker within ~2 s.
nginx_workers() {
    for d in /proc/[0-9]*; do
        [ "$(cat "$d/comm" 2>/dev/null)" = nginx ] || continue
        case $(tr '\000' ' ' 2>/dev/null <"$d/cmdline") in "nginx: worker process"*) echo "${d#/proc/}" ;; esac
    done
}
# Returns 0 when nginx serves (or will serve when it starts) what is on disk now.
nginx_reload() {
    [ "${no_reload:-}" = 1 ] && return 1
    [ -d /run/systemd/system ] || return 1
    systemctl -q is-active nginx.service || return 0
    # Not `systemctl reload`: this unit is ordered Before=nginx.service, so a reload job would
    # wait for this very run to finish. Test the configuration, then signal the master.
    if ! out=$(nginx -t -q 2>&1); then
        warn "nginx rejects the new configuration (it keeps the previous one): $out"
        return 1
    fi
    master=$(cat /run/nginx.pid 2>/dev/null || true)
    case $master in ''|*[!0-9]*) warn "no nginx master PID in /run/nginx.pid: not reloaded"; return 1 ;; esac
    old_workers=$(nginx_workers)
    kill -HUP "$master" || { warn "could not signal nginx ($master)"; return 1; }
    info "nginx reloaded"
    [ -n "$old_workers" ] || return 0
    # Wait for the old workers in a unit of their own, so this run ends now (and the path unit
    # can start the next one at once); inline where systemd-run is missing.
    # shellcheck disable=SC2086
    if systemd-run --quiet --no-block --collect --unit="streambox-tls-reap-$$" \
        --description="Stop the old nginx workers after a certificate reload" "$0" reap-workers $old_workers 2>/dev/null; then
        return 0
    fi
    # shellcheck disable=SC2086
    reap_workers $old_workers
}

reap_workers() {
    old_workers=$*
    i=0
    while [ "$i" -lt 16 ]; do
        alive=
        for p in $old_workers; do
            case $(tr '\000' ' ' 2>/dev/null <"/proc/$p/cmdline") in "nginx: worker process"*) alive="$alive $p" ;; esac
        done
        [ -n "$alive" ] || return 0
        sleep 0.5
        i=$((i + 1))
    done
    info "stopping the old nginx worker(s)$alive (RTMP publishers keep them; the encoders reconnect)"
    # shellcheck disable=SC2086
    kill -TERM $alive 2>/dev/null || true
    return 0
}
