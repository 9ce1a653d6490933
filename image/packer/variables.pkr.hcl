# Inputs of the streambox VM image. Paths left empty default to places under the repository
# (<repo>/.cache/...), where image/vm/build.sh puts things.

variable "repo_dir" {
  type        = string
  default     = ""
  description = "The streambox repository (units/, provisioning/, image/vm/). Empty: two levels above this template. Set it when the template files are read from another directory (image/vm/build.sh does, for packer 1.6.6)."
}

variable "app_dir" {
  type        = string
  default     = ""
  description = "The built admin service (package.json, dist/, node_modules/, web/dist/), as `image/appliance bundle` makes it. Empty: <repo>/.cache/app."
}

variable "accelerator" {
  type        = string
  default     = "kvm"
  description = "QEMU accelerator: kvm where /dev/kvm works (fast), tcg (software emulation; slow but works anywhere, what CI uses here), hvf on macOS, whpx on Windows."
  validation {
    condition     = contains(["kvm", "tcg", "hvf", "whpx", "hax", "xen", "none"], var.accelerator)
    error_message = "The accelerator must be one of kvm, tcg, hvf, whpx, hax, xen, none."
  }
}

variable "cpus" {
  type        = number
  default     = 2
  description = "Virtual CPUs of the build machine."
}

variable "memory" {
  type        = number
  default     = 2048
  description = "Memory of the build machine, in MiB."
}

variable "disk_size" {
  type        = string
  default     = "8G"
  description = "Virtual size of the image's disk (QEMU size syntax, e.g. 8G). The root partition and file system grow to fill it at boot; grow it later with `qemu-img resize` and a reboot."
}

variable "http_port" {
  type        = number
  default     = 80
  description = "The port nginx serves the dashboard on in the image (STREAMBOX_HTTP_PORT for provisioning/)."
  validation {
    condition     = var.http_port >= 1 && var.http_port <= 65535
    error_message = "The http_port must be a TCP port number (1-65535)."
  }
}

variable "https_port" {
  type        = number
  default     = 443
  description = "The port nginx serves HTTPS on in the image (STREAMBOX_HTTPS_PORT for provisioning/)."
  validation {
    condition     = var.https_port >= 1 && var.https_port <= 65535
    error_message = "The https_port must be a TCP port number (1-65535)."
  }
}

variable "ssh_private_key_file" {
  type        = string
  default     = ""
  description = "Private half of a one-time SSH key for the build (ed25519, no passphrase); its public half, the same path plus .pub, goes to the build machine as the systemd credential ssh.authorized_keys.root and is deleted from the disk by finalize.sh. Empty: <repo>/.cache/vm/build-key. image/vm/build.sh makes a new one per build."
}

variable "ssh_timeout" {
  type        = string
  default     = "30m"
  description = "How long Packer waits for the build machine's SSH (boots take a minute or two under software emulation)."
}

variable "output_dir" {
  type        = string
  default     = ""
  description = "Where the finished images go: one directory per source (local/, cloud/) with streambox.qcow2, SHA256SUMS and manifest.json, which must not exist yet (or pass -force); beside them SOURCE-console.log, the build machine's serial console. Empty: <repo>/.cache/vm/output."
}

variable "compress" {
  type        = bool
  default     = true
  description = "Compress the qcow2 (smaller download, a little slower to write)."
}

# ---- source "cloud": what an operator with internet runs.

variable "cloud_image_url" {
  type        = string
  default     = "https://cloud.debian.org/images/cloud/trixie/latest/debian-13-generic-amd64.qcow2"
  description = "Debian 13 (trixie) generic cloud image (qcow2, with cloud-init). For a reproducible build pin a dated release, e.g. https://cloud.debian.org/images/cloud/trixie/20250814-2204/debian-13-generic-amd64-20250814-2204.qcow2 (browse the directory for the current one), with its checksum."
}

variable "cloud_image_checksum" {
  type        = string
  default     = "file:https://cloud.debian.org/images/cloud/trixie/latest/SHA512SUMS"
  description = "Checksum of cloud_image_url: \"sha512:HEX\", or \"file:URL\" of the release's SHA512SUMS (Packer picks the line for the image's file name)."
}

# ---- source "local": offline, what CI runs. Its base disk comes from image/vm/make-base-disk.sh.

variable "local_base_dir" {
  type        = string
  default     = ""
  description = "Directory with base.qcow2, base.qcow2.sha256, vmlinuz and initrd.img from image/vm/make-base-disk.sh. Empty: <repo>/.cache/vm/base."
}
