#!/bin/sh
# Runs inside a fresh Debian root (sbx build-root's setup step): provisions the appliance with
# the repo's provisioning/ scripts, unchanged, as the VM image build does. The repo is bound at
# /mnt/streambox-src. The admin service itself is not copied in: image/appliance binds the built
# service at /opt/streambox when it boots the container, so code changes need no root rebuild.
set -eu
STREAMBOX_SOURCE_DIR=/mnt/streambox-src sh -eu /mnt/streambox-src/provisioning/install.sh
