#!/bin/sh
# What a VM image needs beyond provisioning/ (which also serves the container): SSH host keys
# made on the machine's first boot, and a host name. Runs as root on the booted build machine,
# for both sources; safe to run again.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

log() { printf 'vm-setup.sh: %s\n' "$*"; }

# finalize.sh deletes the build's SSH host keys; this unit makes new ones before sshd starts
# (on clouds, cloud-init replaces them again per instance, which is fine).
install -D -m 0644 "$here/streambox-ssh-host-keys.service" /usr/local/lib/systemd/system/streambox-ssh-host-keys.service
systemctl daemon-reload
systemctl enable streambox-ssh-host-keys.service
log "SSH host keys will be generated at first boot"

# A debootstrap root has no host name (cloud images get theirs from cloud-init).
if [ ! -s /etc/hostname ]; then
    echo streambox >/etc/hostname
    log "host name: streambox"
fi
