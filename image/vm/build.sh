#!/usr/bin/env bash
# Builds the streambox VM image with Packer, for CI and humans. One command, as root:
#
#   image/vm/build.sh                 base disk, admin service bundle, validate, build `local`
#   image/vm/build.sh base            only the base disk of the `local` source (cached)
#   image/vm/build.sh validate        packer validate (both sources)
#   image/vm/build.sh build [local|cloud]   build one source (`cloud` needs internet)
#
# The image ends up in <cache>/vm/output/SOURCE/ (streambox.qcow2, SHA256SUMS, manifest.json);
# Packer's output in <cache>/vm/logs/packer-build-SOURCE.log, its debug log beside it, the
# build machine's serial console in <cache>/vm/output/SOURCE-console.log.
#
# Environment:
#   STREAMBOX_ACCEL   QEMU accelerator, default tcg (software emulation: works anywhere, slow);
#                     set kvm where /dev/kvm works
#   PACKER            the packer binary (default: packer on PATH). Debian 12's packer 1.6.6
#                     (apt-get install packer) has the qemu builder built in and does not know
#                     required_plugins, so it reads every template file but plugins.pkr.hcl;
#                     Packer 1.7 and later read them all, after `packer init`.
#   STREAMBOX_CACHE_DIR   default <repo>/.cache
set -euo pipefail
repo=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cache=${STREAMBOX_CACHE_DIR:-$repo/.cache}
vm=$cache/vm
packer=${PACKER:-packer}
accel=${STREAMBOX_ACCEL:-tcg}
templates=$repo/image/packer

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

export CHECKPOINT_DISABLE=1 # no version check against the internet
export PACKER_CACHE_DIR=$vm/packer_cache

need_tools() {
  local t missing=()
  for t in "$@"; do command -v "$t" >/dev/null || missing+=("$t"); done
  ((${#missing[@]} == 0)) || die "not installed: ${missing[*]} (apt-get install packer qemu-system-x86 qemu-utils openssh-client)"
}

# The template directory this packer can read. 1.6.6 gets a directory of links to every file but
# plugins.pkr.hcl; repo_dir is then passed explicitly (path.root is that directory).
template_dir() {
  local v
  v=$("$packer" version | sed -n 's/^Packer v\([0-9][0-9.]*\).*/\1/p' | head -n 1)
  [[ -n $v ]] || die "cannot tell the version of $packer"
  if [[ $(printf '%s\n' "$v" 1.7.0 | sort -V | head -n 1) == 1.7.0 ]]; then
    "$packer" init "$templates" >&2 || die "packer init failed (it downloads the qemu plugin once)"
    echo "$templates"
  else
    local d=$vm/packer-$v f
    rm -rf "$d"
    mkdir -p "$d"
    for f in "$templates"/*.pkr.hcl; do
      [[ $(basename "$f") == plugins.pkr.hcl ]] || ln -s "$f" "$d/"
    done
    echo "$d"
  fi
}

# A new one-time SSH key per build (validate only needs one to exist).
build_key() {
  mkdir -p "$vm"
  if [[ ${1:-} == new || ! -f $vm/build-key ]]; then
    rm -f "$vm/build-key" "$vm/build-key.pub"
    ssh-keygen -q -t ed25519 -N '' -C streambox-build -f "$vm/build-key"
  fi
}

vars() {
  printf '%s\n' -var "repo_dir=$repo" -var "accelerator=$accel" \
    -var "app_dir=$vm/app" -var "local_base_dir=$vm/base" -var "output_dir=$vm/output" \
    -var "ssh_private_key_file=$vm/build-key"
}

base() {
  "$repo/image/vm/make-base-disk.sh" "$vm/base"
}

# The admin service as image/appliance builds it, in a directory of our own: the container
# appliance binds <cache>/app at boot, and rebuilding that under a running container would
# pull its files away.
bundle() {
  say "admin service bundle"
  STREAMBOX_CACHE_DIR=$vm "$repo/image/appliance" bundle >/dev/null
}

validate() {
  need_tools "$packer" ssh-keygen
  build_key
  # Packer 1.6.6 checks the local source's inputs while validating (the base disk's checksum file,
  # the admin service bundle it uploads): make them first when they are missing.
  [[ -f $vm/base/base.qcow2.sha256 ]] || base
  [[ -d $vm/app ]] || bundle
  local dir args
  dir=$(template_dir)
  # Validation fails when the output directory exists: point it at one that does not.
  rm -rf "$vm/validate-output"
  mapfile -t args < <(vars; printf '%s\n' -var "output_dir=$vm/validate-output")
  say "packer validate (syntax, both sources)"
  "$packer" validate -syntax-only "${args[@]}" "$dir"
  say "packer validate (local)"
  "$packer" validate -only=qemu.local "${args[@]}" "$dir"
  # The cloud source's default checksum is a file: URL that packer fetches while validating;
  # check the rest of its configuration offline.
  say "packer validate (cloud, checksum not fetched)"
  local out status=0
  out=$("$packer" validate -only=qemu.cloud -var cloud_image_checksum=none "${args[@]}" "$dir" 2>&1) || status=$?
  # Drop the warning about checksum "none" that this check asks for.
  grep -v -e "checksum of 'none'" -e 'checksum is highly recommended' -e 'source code not available' \
    -e '^ *on .* line [0-9]*:$' -e '^$' <<<"$out" || true
  return "$status"
}

build() {
  local src=${1:-local}
  case $src in local | cloud) ;; *) die "unknown source '$src' (local or cloud)" ;; esac
  need_tools "$packer" qemu-system-x86_64 qemu-img ssh-keygen
  [[ $(id -u) == 0 || $src == cloud ]] || die "must run as root (the base disk needs debootstrap)"
  if [[ $src == local ]]; then base; fi
  bundle
  build_key new
  local dir args log
  dir=$(template_dir)
  mapfile -t args < <(vars)
  mkdir -p "$vm/logs" "$vm/output"
  rm -rf "${vm:?}/output/$src" "$vm/output/$src-console.log"
  log=$vm/logs/packer-build-$src.log
  say "packer build of the $src source, accelerator $accel (log: $log)"
  local start=$SECONDS status=0
  PACKER_LOG=1 PACKER_LOG_PATH=$vm/logs/packer-debug-$src.log \
    "$packer" build -color=false -timestamp-ui -only="qemu.$src" "${args[@]}" "$dir" 2>&1 | tee "$log" || status=$?
  ((status == 0)) || die "packer build failed (exit $status); see $log, $vm/logs/packer-debug-$src.log and $vm/output/$src-console.log"
  [[ -f $vm/output/$src/streambox.qcow2 && -f $vm/output/$src/SHA256SUMS ]] ||
    die "packer build finished without an image in $vm/output/$src (see $log)"
  rm -f "$vm/build-key" "$vm/build-key.pub" # its public half was deleted from the image too
  say "built in $((SECONDS - start))s: $vm/output/$src/streambox.qcow2"
  cat "$vm/output/$src/SHA256SUMS" >&2 || true
}

case ${1:-all} in
  all) base && validate && build local ;;
  base) base ;;
  validate) validate ;;
  build) build "${2:-local}" ;;
  -h | --help | help) sed -n '2,25p' "$0" >&2 ;;
  *) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac
