# shellcheck shell=sh
# streambox-tls: the appliance's own CA and its server certificate for this machine.
# Sourced by streambox-tls.

# This machine's names and addresses, sorted: host names, localhost, every global and loopback
# address (IPv4 and IPv6).
host_names() {
    h=$(hostname 2>/dev/null || cat /etc/hostname 2>/dev/null || echo streambox)
    f=$(hostname -f 2>/dev/null || true)
    {
        echo "DNS:$h"
        [ -n "$f" ] && [ "$f" != "$h" ] && case $f in *[!A-Za-z0-9.-]*) ;; *) echo "DNS:$f" ;; esac
        echo "DNS:localhost"
        ip -o addr show 2>/dev/null | awk '{
            scope = ""
            for (i = 1; i <= NF; i++) if ($i == "scope") scope = $(i + 1)
            if (scope != "global" && scope != "host") next
            a = $4; sub(/\/.*/, "", a); print "IP:" a
        }'
        echo "IP:127.0.0.1"
    } | LC_ALL=C sort -u
}

# Name constraints: what the CA may ever vouch for. Trusting it then cannot let it (or a thief of
# its key) impersonate any public site: private, loopback, link-local, CGNAT, documentation and
# benchmark ranges, and local names, plus this machine's own names and public addresses as they
# were when the CA was made.
name_constraints() {
    printf '%s' "critical"
    for r in 10.0.0.0/255.0.0.0 172.16.0.0/255.240.0.0 192.168.0.0/255.255.0.0 127.0.0.0/255.0.0.0 \
        169.254.0.0/255.255.0.0 100.64.0.0/255.192.0.0 192.0.2.0/255.255.255.0 198.51.100.0/255.255.255.0 \
        203.0.113.0/255.255.255.0 198.18.0.0/255.254.0.0 \
        ::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff fc00::/fe00:: fe80::/ffc0:: 2001:db8::/ffff:ffff::; do
        printf ',permitted;IP:%s' "$r"
    done
    for d in localhost local lan home.arpa internal; do printf ',permitted;DNS:%s' "$d"; done
    host_names | while IFS= read -r n; do
        case $n in
            DNS:*) case ${n#DNS:} in localhost|*.local|*.lan|*.home.arpa|*.internal|local|lan) ;; *) printf ',permitted;DNS:%s' "${n#DNS:}" ;; esac ;;
            IP:*:*) in_constrained_ranges "${n#IP:}" || printf ',permitted;IP:%s/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' "${n#IP:}" ;;
            IP:*) in_constrained_ranges "${n#IP:}" || printf ',permitted;IP:%s/255.255.255.255' "${n#IP:}" ;;
        esac
    done
}

# Is an address inside the fixed permitted ranges above? (used to list public ones separately)
in_constrained_ranges() {
    case $1 in
        10.*|127.*|192.168.*|169.254.*|192.0.2.*|198.51.100.*|203.0.113.*) return 0 ;;
        172.1[6-9].*|172.2[0-9].*|172.3[01].*) return 0 ;;
        100.6[4-9].*|100.[7-9][0-9].*|100.1[01][0-9].*|100.12[0-7].*) return 0 ;;
        198.18.*|198.19.*) return 0 ;;
        ::1|[fF][cCdD]*|[fF][eE][89aAbB]*|2001:[dD][bB]8:*|2001:0[dD][bB]8:*) return 0 ;;
    esac
    return 1
}

# Is NAME (DNS:x or IP:x) covered by the CA's permitted subtrees? Names outside them would make
# browsers refuse the whole certificate, so they are left out of the leaf (and logged).
ca_covers() {
    n=$1
    case $n in
        IP:*) in_constrained_ranges "${n#IP:}" && return 0
              grep -qxF "${n#IP:}" "$STATE/ca/public-addresses" 2>/dev/null ;;
        DNS:*) d=${n#DNS:}
               for s in localhost local lan home.arpa internal; do
                   [ "$d" = "$s" ] && return 0
                   case $d in *."$s") return 0 ;; esac
               done
               grep -qxF "$d" "$STATE/ca/names" 2>/dev/null ;;
    esac
}

ensure_ca() {
    ca=$STATE/ca
    if [ -s "$ca/ca.key" ] && [ -s "$ca/ca.crt" ] && openssl x509 -in "$ca/ca.crt" -noout -checkend $((RENEW_DAYS * 86400)) >/dev/null 2>&1; then
        return 0
    fi
    install -d -m 0755 "$STATE"
    install -d -m 0700 "$ca"
    tmp=$(mktemp -d "$ca/.new.XXXXXX")
    host=$(hostname 2>/dev/null || echo streambox)
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca.key" 2>/dev/null
    cat >"$tmp/ca.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = streambox appliance CA $host
O = streambox
[ext]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
nameConstraints = $(name_constraints)
EOF
    openssl req -new -x509 -key "$tmp/ca.key" -sha256 -days "$CA_DAYS" -config "$tmp/ca.cnf" -extensions ext -out "$tmp/ca.crt" 2>"$tmp/err" ||
        { cat "$tmp/err" >&2; rm -rf "$tmp"; die "could not make the appliance CA"; }
    host_names | sed -n 's/^DNS://p' >"$tmp/names"
    host_names | sed -n 's/^IP://p' | while IFS= read -r a; do in_constrained_ranges "$a" || echo "$a"; done >"$tmp/public-addresses"
    chmod 0600 "$tmp/ca.key"
    chmod 0644 "$tmp/ca.crt" "$tmp/names" "$tmp/public-addresses"
    rm -f "$tmp/ca.cnf" "$tmp/err"
    for f in ca.key names public-addresses ca.crt; do mv -f "$tmp/$f" "$ca/$f"; done
    rmdir "$tmp"
    chmod 0755 "$ca" # ca.crt is public; ca.key stays 0600 root
    rm -f "$STATE/self/names" # a new CA: the server certificate is made again
    info "made the appliance CA ($(fingerprint "$ca/ca.crt"))"
}

# ensure_self: the server certificate signed by the appliance CA, for this machine's names.
ensure_self() {
    ensure_ca
    self=$STATE/self
    install -d -m 0700 "$self"
    want=$(host_names | while IFS= read -r n; do if ca_covers "$n"; then echo "$n"; else echo "# $n" ; fi; done)
    if [ -s "$self/fullchain.pem" ] && [ -s "$self/privkey.pem" ] && [ "$(cat "$self/names" 2>/dev/null)" = "$want" ] &&
        openssl x509 -in "$self/fullchain.pem" -noout -checkend $((RENEW_DAYS * 86400)) >/dev/null 2>&1; then
        return 0
    fi
    left_out=$(printf '%s\n' "$want" | sed -n 's/^# //p' | tr '\n' ' ')
    [ -z "$left_out" ] || warn "left out of the appliance certificate (outside what its CA may vouch for): $left_out"
    san=$(printf '%s\n' "$want" | grep -v '^#' | paste -sd, -)
    host=$(hostname 2>/dev/null || echo streambox)
    tmp=$(mktemp -d "$self/.new.XXXXXX")
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/privkey.pem" 2>/dev/null
    cat >"$tmp/leaf.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $host
O = streambox
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $san
EOF
    if ! openssl req -new -key "$tmp/privkey.pem" -config "$tmp/leaf.cnf" -out "$tmp/leaf.csr" 2>"$tmp/err" ||
        ! openssl x509 -req -in "$tmp/leaf.csr" -CA "$STATE/ca/ca.crt" -CAkey "$STATE/ca/ca.key" -CAcreateserial \
            -CAserial "$tmp/serial" -sha256 -days "$SELF_DAYS" -extfile "$tmp/leaf.cnf" -extensions ext -out "$tmp/leaf.pem" 2>>"$tmp/err"; then
        cat "$tmp/err" >&2; rm -rf "$tmp"; die "could not make the server certificate"
    fi
    cat "$tmp/leaf.pem" "$STATE/ca/ca.crt" >"$tmp/fullchain.pem"
    printf '%s\n' "$want" >"$tmp/names"
    mv -f "$tmp/privkey.pem" "$self/privkey.pem.new"
    mv -f "$tmp/fullchain.pem" "$self/fullchain.pem.new"
    mv -f "$self/privkey.pem.new" "$self/privkey.pem"
    mv -f "$self/fullchain.pem.new" "$self/fullchain.pem"
    mv -f "$tmp/names" "$self/names"
    rm -rf "$tmp"
    info "made the appliance's server certificate for $(printf '%s' "$san" | sed 's/DNS://g; s/IP://g')"
}
