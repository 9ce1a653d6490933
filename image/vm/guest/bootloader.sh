#!/bin/sh
# Makes the disk boot by itself: GRUB for BIOS (embedded in the BIOS boot partition) and for
# UEFI (the removable path EFI/BOOT/BOOTX64.EFI on the ESP, which firmware finds without an
# NVRAM entry). Used by the `local` source, whose base disk (image/vm/make-base-disk.sh) has
# the partitions but no bootloader; a cloud image brings its own. Runs as root on the booted
# machine; safe to run again.
set -eu

log() { printf 'bootloader.sh: %s\n' "$*"; }
die() { log "error: $*" >&2; exit 1; }

root_part=$(findmnt -no SOURCE /)
disk=/dev/$(lsblk -no PKNAME "$root_part" | head -n 1)
[ -b "$disk" ] || die "cannot find the disk holding / ($root_part)"

# The ESP is the partition of that disk with the EFI system type.
esp=$(lsblk -lnpo NAME,PARTTYPE "$disk" | awk 'tolower($2) == "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" { print $1; exit }')
[ -n "$esp" ] || die "no EFI system partition on $disk"
if [ -z "$(blkid -o value -s TYPE "$esp" || true)" ]; then
    mkfs.vfat -F 32 -n EFI "$esp" >/dev/null
    log "formatted $esp (FAT32)"
fi
esp_uuid=$(blkid -o value -s UUID "$esp")
if ! grep -q '[[:space:]]/boot/efi[[:space:]]' /etc/fstab; then
    printf 'UUID=%-19s /boot/efi      vfat    umask=0077                          0      1\n' "$esp_uuid" >>/etc/fstab
    log "added /boot/efi to /etc/fstab"
fi
mkdir -p /boot/efi
mountpoint -q /boot/efi || mount /boot/efi

grub-install --target=i386-pc "$disk"
grub-install --target=x86_64-efi --efi-directory=/boot/efi --removable --no-nvram
update-grub
log "GRUB installed on $disk for BIOS and UEFI"
