#!/bin/sh
# Step 10: Debian packages. No recommended packages: everything the appliance needs is
# named here, so an upgrade of a recommends list cannot pull a desktop in.
set -eu
. "$(dirname "$0")/lib.sh"

export DEBIAN_FRONTEND=noninteractive

packages="
  ca-certificates
  dbus
  iproute2
  procps
  libnss-systemd
  nftables
  polkitd
  nodejs
  nginx
  openssl
  certbot
  libnginx-mod-rtmp
  xvfb
  x11vnc
  xclip
  x11-utils
  x11-xkb-utils
  pulseaudio
  pulseaudio-utils
  chromium
  ffmpeg
  fonts-dejavu-core
  fonts-liberation
"
# libnss-systemd: resolves the rooms' DynamicUser= names (sbr-ROOMID) to their UIDs, so
#   ps, ls and Chromium's getpwuid() see a user name instead of a bare number.
# polkitd: lets the admin service (user streambox, not root) start and stop the rooms' units
#   and nothing else (provisioning/admin/streambox-admin.rules).
# nftables: the room browsers' egress rules (streambox-kiosk-fence: no loopback, no address
#   of this machine, no link-local/metadata, no private ranges by default).
# openssl, certbot: the HTTPS certificate (streambox-tls: the appliance's own CA, ACME).
# xclip, x11-utils (xprop), x11-xkb-utils (xkbbell; xvfb needs it too): x11vnc@'s clipboard
#   relay (provisioning/kiosk/x11vnc-clipboard), without which a driver's second paste gives the
#   first one again, and whose bell tells the gateway that a paste is in place.
# fonts-dejavu-core, fonts-liberation: chromium only recommends fonts; without them pages
#   render with boxes. Liberation is metric-compatible with Arial/Times/Courier.

missing=
for p in $packages; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing="$missing $p"
done

if [ -z "$missing" ]; then
    log "all packages already installed"
    exit 0
fi

log "installing:$missing"
apt-get update
# shellcheck disable=SC2086 # word splitting wanted
apt-get install -y --no-install-recommends $missing
