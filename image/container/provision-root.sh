#!/bin/sh
# Runs inside a fresh Debian root (sbx build-root's setup step): provisions the appliance with
# the repo's provisioning/ scripts, unchanged, exactly as the VM image build does.
# The repo is bound at /mnt/streambox-src and the built admin service at /mnt/streambox-app.
set -eu
STREAMBOX_SOURCE_DIR=/mnt/streambox-src STREAMBOX_APP_DIR=/mnt/streambox-app \
    sh -eu /mnt/streambox-src/provisioning/install.sh
