#!/bin/sh
# Last step of the image build: turns the build machine back into a template. Everything a
# machine must own alone is removed here and made again on its first boot: the machine-id,
# SSH host keys, the admin password, cookie keys and VNC passwords (the admin service made
# them when provisioning started it), the journal that recorded them, the build's SSH key.
# Runs as root on the booted build machine; plain sh, no Packer knowledge.
set -eu

log() { printf 'finalize.sh: %s\n' "$*"; }

# Printed for the boot test: a booted image must not have this id.
log "build machine-id: $(cat /etc/machine-id)"

# streambox's state from the build: stop the services first so nothing writes it back.
# (The TLS units too: the appliance makes its own CA at first boot, never shared between machines.)
systemctl stop streambox-tls.timer streambox-tls.path streambox-acme.timer 2>/dev/null || true
systemctl stop streambox-admin.service nginx.service streambox-tls.service streambox-acme.service 2>/dev/null || true
rm -rf /var/lib/streambox
find /etc/streambox/rooms -mindepth 1 -delete 2>/dev/null || true
rm -f /etc/issue.d/streambox.issue
log "streambox state removed (the admin service makes its secrets again at first start)"

# SSH: the build logged in as root with a one-time key given as a systemd credential.
rm -f /root/.ssh/authorized_keys
rmdir /root/.ssh 2>/dev/null || true
rm -f /etc/ssh/ssh_host_*
passwd -l root >/dev/null
log "build SSH key and SSH host keys removed, root password locked"

# cloud-init (cloud source): forget this instance so the first boot is a new one.
if command -v cloud-init >/dev/null; then
    cloud-init clean --logs --seed
    log "cloud-init state cleaned"
fi

# Package caches (provisioning's 90-cleanup does it too; a no-op then).
apt-get clean
rm -rf /var/lib/apt/lists/*

# Logs and temporary files of the build: the journal holds the build's admin password.
# journald writes on to /var until the build machine powers off (units it stops log their end):
# --relinquish-var sends it to /run first, so no journal of the build machine's id comes back.
journalctl --rotate >/dev/null 2>&1 || true
journalctl --relinquish-var >/dev/null 2>&1 || true
rm -rf /var/log/journal/* /var/tmp/* /tmp/*
find /var/log -type f \( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' \) -delete
find /var/log -type f -exec truncate -s 0 {} +
rm -f /root/.bash_history

# Per-machine systemd state: the random seed and the credential key must not be shared.
rm -f /var/lib/systemd/random-seed /var/lib/systemd/credential.secret
# Empty, not absent and not "uninitialized": systemd makes a new id at boot and
# systemd-machine-id-commit.service writes it to disk.
: >/etc/machine-id
if [ -d /var/lib/dbus ]; then ln -sfn /etc/machine-id /var/lib/dbus/machine-id; fi
log "machine-id emptied"

sync
fstrim -av || log "fstrim failed (the disk may not support discard); the image is only bigger"
