#!/bin/sh
# Installs and enables streambox-console.service (dashboard address and first-boot admin
# password on the console, see that file). Written as a provisioning step: plain sh, runs on
# any Debian root, booted or not, safe to run again. Meant to move into provisioning/ (e.g. as
# 60-console.sh, with the unit in units/) so the container shows the banner too.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

install -D -m 0755 "$here/streambox-console" /usr/local/lib/streambox/streambox-console
install -D -m 0644 "$here/streambox-console.service" /usr/local/lib/systemd/system/streambox-console.service
install -d -m 0755 /etc/issue.d
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
systemctl enable streambox-console.service
echo "install.sh: streambox-console.service enabled"
