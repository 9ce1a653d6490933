#!/bin/sh
# Runs inside the base root of the `local` source while it is built (sbx build-root's setup
# step, a one-shot systemd-nspawn, not a boot): what a Debian cloud image brings and a bare
# debootstrap root lacks, plus the appliance's packages so that the offline Packer build finds
# them installed. Nothing else streambox-specific happens here; provisioning/ does that in the
# Packer build, as on the cloud image.
# Inputs: STREAMBOX_VM_PACKAGES (space-separated), the repo bound at /mnt/streambox-src.
set -eu
export DEBIAN_FRONTEND=noninteractive

apt-get update
# shellcheck disable=SC2086 # a list
apt-get install -y --no-install-recommends $STREAMBOX_VM_PACKAGES
# The appliance's packages: provisioning's own step, so the list lives in one place.
sh -eu /mnt/streambox-src/provisioning/10-packages.sh
apt-get clean
rm -rf /var/lib/apt/lists/*

# Network: DHCP on every ethernet interface (names differ between hypervisors: ens3, enp0s3,
# eth0...). systemd-resolved turns the DHCP lease's DNS servers into /etc/resolv.conf.
mkdir -p /etc/systemd/network
cat >/etc/systemd/network/80-dhcp.network <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=yes
NET
systemctl enable systemd-networkd.service systemd-resolved.service ssh.service

# The disk: GPT with a BIOS boot partition, an EFI system partition and the root (labels set
# by image/vm/make-base-disk.sh). The ESP is formatted and mounted by the bootloader step
# (image/vm/guest/bootloader.sh) during the Packer build.
cat >/etc/fstab <<'FSTAB'
# <file system>          <mount point>  <type>  <options>                           <dump> <pass>
LABEL=streambox-root     /              ext4    errors=remount-ro,x-systemd.growfs  0      1
FSTAB

# Grow the root partition to the end of the disk at boot when the virtual disk was made larger
# (Packer's disk_size, or an operator's `qemu-img resize`); x-systemd.growfs above then grows
# the file system. Type=root matches the existing root partition (its GPT type is root-x86-64).
mkdir -p /etc/repart.d
cat >/etc/repart.d/50-root.conf <<'REPART'
[Partition]
Type=root
REPART

# Kernel command line for GRUB: messages on the screen and on the first serial port, the
# serial one last so /dev/console (and the first-boot banner) is the serial port, which is
# what clouds show as "console output".
mkdir -p /etc/default/grub.d
cat >/etc/default/grub.d/50-streambox.cfg <<'GRUB'
GRUB_TIMEOUT=1
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8"
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB
