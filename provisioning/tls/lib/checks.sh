# shellcheck shell=sh
# streambox-tls: certificate checks (can a pair be served?) and what a certificate says.
# Sourced by streambox-tls.

# cert_problem CERT KEY [HOST]: prints why the pair cannot be served (nothing when it can).
cert_problem() {
    c=$1 k=$2 host=${3:-}
    [ -e "$c" ] || { echo "$c does not exist"; return; }
    [ -e "$k" ] || { echo "$k does not exist"; return; }
    { [ -r "$c" ] && [ -f "$c" ]; } || { echo "$c is not a readable file"; return; }
    { [ -r "$k" ] && [ -f "$k" ]; } || { echo "$k is not a readable file"; return; }
    openssl x509 -in "$c" -noout 2>/dev/null || { echo "$c is not a PEM certificate"; return; }
    cpub=$(openssl x509 -in "$c" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | openssl dgst -sha256 -r) || cpub=
    kpub=$(openssl pkey -passin pass: -in "$k" -pubout -outform DER 2>/dev/null | openssl dgst -sha256 -r) || kpub=
    if [ -z "$kpub" ] || ! openssl pkey -passin pass: -in "$k" -noout 2>/dev/null; then
        echo "$k is not a PEM private key (or is encrypted)"; return
    fi
    [ "$cpub" = "$kpub" ] || { echo "the key in $k does not match the certificate in $c"; return; }
    if ! openssl x509 -in "$c" -noout -checkend 0 >/dev/null 2>&1; then
        echo "$c expired on $(not_after_iso "$c")"; return
    fi
    nb=$(openssl x509 -in "$c" -noout -startdate 2>/dev/null | sed 's/^notBefore=//')
    if [ -n "$nb" ] && [ "$(date -u -d "$nb" +%s 2>/dev/null || echo 0)" -gt "$(($(now_s) + 300))" ]; then
        echo "$c is not valid before $(date -u -d "$nb" +%Y-%m-%dT%H:%M:%SZ)"; return
    fi
    if [ -n "$host" ] && ! openssl x509 -in "$c" -noout -checkhost "$host" 2>/dev/null | grep -q 'does match'; then
        echo "$c is not valid for $host"; return
    fi
}

not_after_iso() {
    d=$(openssl x509 -in "$1" -noout -enddate | sed 's/^notAfter=//')
    date -u -d "$d" +%Y-%m-%dT%H:%M:%SZ
}
fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^[^=]*=//'; }
subject_of() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'; }
# The leaf's subjectAltName entries, one per line: DNS names as they are, addresses as written.
san_of() {
    openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | sed 1d | tr ',' '\n' |
        sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e 's/^DNS://' -e 's/^IP Address://' | sed '/^$/d' | ip6_canonical
}

# IPv6 addresses as people write them (RFC 5952: lower case, no leading zeros, longest run of
# zero groups as ::); anything else passes through.
ip6_canonical() {
    awk '{
        if ($0 !~ /^[0-9A-Fa-f:]+$/ || $0 !~ /:.*:/ || $0 ~ /::/) { print tolower($0); next }
        n = split(tolower($0), g, ":")
        for (i = 1; i <= n; i++) { sub(/^0+/, "", g[i]); if (g[i] == "") g[i] = "0" }
        best = 0; bl = 0
        for (i = 1; i <= n; i++) if (g[i] == "0") { j = i; while (j <= n && g[j] == "0") j++; if (j - i > bl) { bl = j - i; best = i }; i = j }
        out = ""
        if (bl < 2) { for (i = 1; i <= n; i++) out = out (i > 1 ? ":" : "") g[i]; print out; next }
        for (i = 1; i < best; i++) out = out (i > 1 ? ":" : "") g[i]
        out = out "::"
        for (i = best + bl; i <= n; i++) out = out g[i] (i < n ? ":" : "")
        print out
    }'
}
