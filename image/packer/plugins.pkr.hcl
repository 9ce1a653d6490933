# Only current Packer (1.7 and later) understands this block. Debian 12's packer 1.6.6, which CI
# installs, has the qemu builder built in and rejects `required_plugins`: image/vm/build.sh runs
# it on the other three files only (see docs/vm-image.md).
#
#   packer init image/packer       # once: installs the qemu plugin
packer {
  required_version = ">= 1.7.0"
  required_plugins {
    qemu = {
      version = ">= 1.1.0"
      source  = "github.com/hashicorp/qemu"
    }
  }
}
