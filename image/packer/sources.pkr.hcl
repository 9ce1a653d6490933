# Two sources, one build (build.pkr.hcl). Both boot a Debian 13 disk under QEMU, let Packer in
# over SSH as root with a one-time key, and leave a qcow2.
#
# The key reaches the machine as a systemd credential in an SMBIOS OEM string (type 11):
# systemd imports it at boot and systemd-tmpfiles (provision.conf) writes it to
# /root/.ssh/authorized_keys. No password and no build user exist at any point; finalize.sh
# deletes the key. Operators can log in the same way (docs/vm-image.md).

locals {
  repo        = var.repo_dir != "" ? var.repo_dir : abspath("${path.root}/../..")
  app_dir     = var.app_dir != "" ? var.app_dir : "${local.repo}/.cache/app"
  base_dir    = var.local_base_dir != "" ? var.local_base_dir : "${local.repo}/.cache/vm/base"
  output_root = var.output_dir != "" ? var.output_dir : "${local.repo}/.cache/vm/output"
  ssh_key     = var.ssh_private_key_file != "" ? var.ssh_private_key_file : "${local.repo}/.cache/vm/build-key"

  # Commas separate QEMU option values; a literal one is doubled.
  ssh_credential = "type=11,value=io.systemd.credential:ssh.authorized_keys.root=${replace(trimspace(file("${local.ssh_key}.pub")), ",", ",,")}"
}

source "qemu" "cloud" {
  disk_image   = true
  iso_url      = var.cloud_image_url
  iso_checksum = var.cloud_image_checksum

  accelerator      = var.accelerator
  cpus             = var.cpus
  memory           = var.memory
  disk_size        = var.disk_size
  disk_interface   = "virtio"
  disk_discard     = "unmap"
  net_device       = "virtio-net"
  headless         = true
  format           = "qcow2"
  disk_compression = var.compress
  vm_name          = "streambox.qcow2"
  output_directory = "${local.output_root}/cloud"

  # cloud-init's NoCloud seed (image/vm/cloud-init/) from Packer's HTTP server, found through
  # the SMBIOS serial number; the image's own GRUB boots it.
  http_directory = "${local.repo}/image/vm/cloud-init"
  qemuargs = [
    ["-smbios", "type=1,serial=ds=nocloud;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"],
    ["-smbios", local.ssh_credential],
    ["-serial", "file:${local.output_root}/cloud-console.log"],
  ]

  communicator           = "ssh"
  ssh_username           = "root"
  ssh_private_key_file   = local.ssh_key
  ssh_timeout            = var.ssh_timeout
  ssh_handshake_attempts = 100
  shutdown_command       = "systemctl poweroff"
  shutdown_timeout       = "5m"
}

source "qemu" "local" {
  disk_image   = true
  iso_url      = "${local.base_dir}/base.qcow2"
  iso_checksum = "file:${local.base_dir}/base.qcow2.sha256"

  accelerator      = var.accelerator
  cpus             = var.cpus
  memory           = var.memory
  disk_size        = var.disk_size
  disk_interface   = "virtio"
  disk_discard     = "unmap"
  net_device       = "virtio-net"
  headless         = true
  format           = "qcow2"
  disk_compression = var.compress
  vm_name          = "streambox.qcow2"
  output_directory = "${local.output_root}/local"

  # The base disk has no bootloader yet (the build installs GRUB): boot its kernel directly.
  qemuargs = [
    ["-kernel", "${local.base_dir}/vmlinuz"],
    ["-initrd", "${local.base_dir}/initrd.img"],
    ["-append", "root=LABEL=streambox-root rw console=ttyS0,115200n8"],
    ["-smbios", local.ssh_credential],
    ["-serial", "file:${local.output_root}/local-console.log"],
  ]

  communicator           = "ssh"
  ssh_username           = "root"
  ssh_private_key_file   = local.ssh_key
  ssh_timeout            = var.ssh_timeout
  ssh_handshake_attempts = 100
  shutdown_command       = "systemctl poweroff"
  shutdown_timeout       = "5m"
}
