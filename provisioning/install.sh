#!/bin/sh
# Turn a Debian 13 (trixie) root into a streambox appliance.
# Runs the numbered steps beside this script in order; each step can also be run alone.
# Works in a chroot, in an image build or on a booted system; safe to run again.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${STREAMBOX_SOURCE_DIR:=$(cd "$here/.." && pwd)}"
export STREAMBOX_SOURCE_DIR

[ "$(id -u)" = 0 ] || { echo "install.sh: must run as root" >&2; exit 1; }

for step in "$here"/[0-9][0-9]-*.sh; do
    echo "==> $(basename "$step")"
    sh -eu "$step"
done
echo "==> streambox provisioning done"
