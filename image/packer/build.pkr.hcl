# The one build both sources feed. Everything that changes the machine is a plain script
# (provisioning/ for the appliance, image/vm/guest/ for what only a VM needs); Packer only
# uploads and runs them.

locals {
  stage = "/var/tmp/streambox-build" # on disk: /tmp is a small tmpfs on Debian 13
}

build {
  sources = ["source.qemu.cloud", "source.qemu.local"]

  provisioner "shell" {
    inline = ["rm -rf ${local.stage}", "mkdir -p ${local.stage}/src ${local.stage}/app ${local.stage}/image"]
  }

  # What provisioning/ reads: the units, itself, and the built admin service.
  provisioner "file" {
    sources     = ["${local.repo}/units", "${local.repo}/provisioning"]
    destination = "${local.stage}/src/"
  }
  provisioner "file" {
    source      = "${local.app_dir}/"
    destination = "${local.stage}/app"
  }
  provisioner "file" {
    sources     = ["${local.repo}/image/vm/guest", "${local.repo}/image/vm/console"]
    destination = "${local.stage}/image/"
  }

  # The local base disk has partitions but no bootloader: install GRUB (BIOS and UEFI).
  provisioner "shell" {
    only   = ["qemu.local"]
    inline = ["sh -eu ${local.stage}/image/guest/bootloader.sh"]
  }

  # The appliance, exactly as the container gets it.
  provisioner "shell" {
    environment_vars = [
      "STREAMBOX_SOURCE_DIR=${local.stage}/src",
      "STREAMBOX_APP_DIR=${local.stage}/app",
      "STREAMBOX_HTTP_PORT=${var.http_port}",
      "STREAMBOX_HTTPS_PORT=${var.https_port}",
      "DEBIAN_FRONTEND=noninteractive",
    ]
    inline = ["sh -eu ${local.stage}/src/provisioning/install.sh"]
  }

  # Console banner (to move into provisioning/, see image/vm/console/install.sh), then what only
  # a VM needs, then make the disk a template.
  provisioner "shell" {
    inline = [
      "sh -eu ${local.stage}/image/console/install.sh",
      "sh -eu ${local.stage}/image/guest/vm-setup.sh",
      "sh -eu ${local.stage}/image/guest/finalize.sh",
    ]
  }

  post-processors {
    post-processor "checksum" {
      checksum_types = ["sha256"]
      output         = "${local.output_root}/${source.name}/SHA256SUMS"
    }
    post-processor "manifest" {
      output     = "${local.output_root}/${source.name}/manifest.json"
      strip_path = true
      custom_data = {
        source      = source.name
        accelerator = var.accelerator
        http_port   = var.http_port
        https_port  = var.https_port
        disk_size   = var.disk_size
      }
    }
  }
}
