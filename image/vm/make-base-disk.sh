#!/usr/bin/env bash
# Builds the base disk of the Packer `local` source, offline: a Debian 13 (trixie) root made
# with debootstrap (image/container/sbx build-root, cached), turned into a GPT disk image
# without loop devices or root-only mounts beyond what debootstrap needs:
#
#   p1  BIOS boot    1 MiB   (grub-install --target=i386-pc embeds its core here)
#   p2  ESP        127 MiB   (left empty; formatted and filled by image/vm/guest/bootloader.sh)
#   p3  root        rest     ext4 label streambox-root, made with mkfs.ext4 -d ROOT
#
# The disk has no bootloader yet: Packer boots it with -kernel/-initrd/-append using the
# kernel and initrd copied out beside it, and the build installs GRUB (BIOS and UEFI) so the
# finished image boots by itself on any hypervisor.
#
# The root already holds every package provisioning/10-packages.sh installs (that script itself
# runs while the root is built, so the two cannot drift), so provisioning's apt-get is a no-op
# in the Packer build, which runs under software emulation here and without internet.
#
# Usage: image/vm/make-base-disk.sh OUT_DIR
# Writes OUT_DIR/base.qcow2, OUT_DIR/vmlinuz, OUT_DIR/initrd.img, OUT_DIR/base.qcow2.sha256,
# OUT_DIR/base.env (what went in). Rebuilt only when the root changed. Needs root, debootstrap,
# systemd-container, e2fsprogs, fdisk (sfdisk) and qemu-utils.
set -euo pipefail
repo=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
out=$(realpath -m "${1:?usage: make-base-disk.sh OUT_DIR}")
cache=${STREAMBOX_CACHE_DIR:-$repo/.cache}
root=$cache/roots/vm-base

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'make-base-disk: error: %s\n' "$*" >&2; exit 1; }

# What a VM needs on top of the appliance's packages (installed with apt-get, not debootstrap's
# --include, whose resolver fails on chromium's virtual dependencies): a kernel, udev, the network
# (networkd ships in systemd; resolved and timesyncd are packages of their own), SSH for
# Packer, GRUB for both firmware kinds, dosfstools for the ESP, systemd-repart to grow the root.
vm_packages=(
  linux-image-amd64 udev kmod initramfs-tools
  systemd-resolved systemd-timesyncd systemd-repart
  openssh-server
  grub2-common grub-pc-bin grub-efi-amd64-bin dosfstools e2fsprogs
  less
)

for tool in debootstrap systemd-nspawn mkfs.ext4 sfdisk qemu-img; do
  command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install debootstrap systemd-container e2fsprogs fdisk qemu-utils)"
done
[[ $(id -u) == 0 ]] || die "must run as root (debootstrap)"

# base-setup.sh installs the VM packages, then runs provisioning/10-packages.sh itself (the
# repo is bound at /mnt/streambox-src): the appliance's package list lives in one place, and a
# change to it rebuilds this root (it is part of the cache key).
packages=$(printf '%s\n' "${vm_packages[@]}" | LC_ALL=C sort -u | paste -sd' ' -)
SBX_KEY_FILES="$repo/provisioning/10-packages.sh" \
SBX_SETUP_BIND="$repo:/mnt/streambox-src" \
  "$repo/image/container/sbx" build-root "$root" trixie "" "$repo/image/vm/base-setup.sh" \
  "STREAMBOX_VM_PACKAGES=$packages"

key=$(cat "$root/.sbx-key")
if [[ -f $out/base.env && -f $out/base.qcow2 ]] && grep -qx "root_key=$key" "$out/base.env"; then
  say "base disk up to date: $out/base.qcow2"
  exit 0
fi

start=$SECONDS
mkdir -p "$out"
tmp=$(mktemp -d "$out/.tmp.XXXX")
trap 'rm -rf "$tmp"' EXIT

kernel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
[[ -n $kernel ]] || die "no kernel in $root/boot"
version=${kernel##*/vmlinuz-}
[[ -f $root/boot/initrd.img-$version ]] || die "no initrd for $version in $root/boot"

# Size the root file system from its content: used space plus 40% and 512 MiB of room,
# rounded to 256 MiB (the build grows it further to the image's disk_size).
used_mib=$(du -sx --block-size=1M "$root" | cut -f1)
root_mib=$(( (used_mib * 14 / 10 + 512 + 255) / 256 * 256 ))
bios_mib=1 esp_mib=127
disk_mib=$((1 + bios_mib + esp_mib + root_mib + 1)) # 1 MiB alignment before, backup GPT after

say "root file system: ${root_mib} MiB (content ${used_mib} MiB)"
truncate -s "${root_mib}M" "$tmp/root.ext4"
mkfs.ext4 -q -F -L streambox-root -d "$root" -E root_owner=0:0 "$tmp/root.ext4"

truncate -s "${disk_mib}M" "$tmp/disk.raw"
# GPT type GUIDs: BIOS boot, EFI system, Linux root (x86-64) (the Discoverable Partitions
# Specification type, which systemd-repart's Type=root matches).
sfdisk --quiet --label gpt "$tmp/disk.raw" <<SFDISK
start=1MiB, size=${bios_mib}MiB, type=21686148-6449-6E6F-744E-656564454649, name=bios
size=${esp_mib}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp
size=${root_mib}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=root
SFDISK
root_start=$((1 + bios_mib + esp_mib))
dd if="$tmp/root.ext4" of="$tmp/disk.raw" bs=1M seek="$root_start" conv=notrunc,sparse status=none
qemu-img convert -O qcow2 "$tmp/disk.raw" "$tmp/base.qcow2"
cp "$kernel" "$tmp/vmlinuz"
cp "$root/boot/initrd.img-$version" "$tmp/initrd.img"
(cd "$tmp" && sha256sum base.qcow2 >base.qcow2.sha256)
{
  echo "root_key=$key"
  echo "kernel=$version"
  echo "packages=$packages"
  # Always empty (sbx build-root empties it): each machine booted from the disk makes its own.
  echo "machine_id=$(cat "$root/etc/machine-id")"
} >"$tmp/base.env"

for f in base.qcow2 base.qcow2.sha256 vmlinuz initrd.img base.env; do mv -f "$tmp/$f" "$out/$f"; done
say "base disk ready in $((SECONDS - start))s: $out/base.qcow2 ($(du -h --apparent-size "$out/base.qcow2" | cut -f1), kernel $version)"
