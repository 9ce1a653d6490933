#!/usr/bin/env bash
# The OCI images for rooms on Kubernetes (docs/kubernetes.md), from the same provisioning as the
# appliance: the appliance root (debootstrap + provisioning/, image/appliance root) imported as is.
#
#   image/oci/build.sh            build both (cached), print their references
#   image/oci/build.sh room       only the room image
#   image/oci/build.sh push REG   tag both for REG (e.g. registry.example.org/streambox) and push
#
# streambox-room:TAG   Xvfb, PulseAudio, Chromium, x11vnc, ffmpeg and the units' helpers: the five
#                      members of a room Pod (server/runtime/kubernetes/members.ts) and its recorder.
# streambox-admin:TAG  the same root with the admin service at /opt/streambox (what the appliance
#                      binds there), for the admin StatefulSet and nginx-rtmp (Debian's nginx with
#                      libnginx-mod-rtmp) of deploy/kubernetes/.
# TAG is the first 12 characters of the inputs' keys (the root's, and for the admin image the admin
# service build's too), so an unchanged tree builds nothing and a changed one gets a new tag.
# Needs root and podman (Debian's). Environment: STREAMBOX_CACHE_DIR, as for image/appliance.
set -euo pipefail
repo=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'oci: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root (podman's images here are root's, as the appliance root is)"
command -v podman >/dev/null || die "podman is missing: apt-get install podman"

has_image() { podman image exists "$1"; }

# Older builds of the same image (other tags) only take disk: each room image is the whole root.
prune_others() {
  local keep=$1 ref
  podman images --format '{{.Repository}}:{{.Tag}}' "${keep%:*}" | while read -r ref; do
    [[ $ref == "$keep" ]] || podman rmi "$ref" >/dev/null 2>&1 || true
  done
}

# The room image: the root's files as one layer. The Pod sets every command, user and mount, so the
# image needs no config beyond the PATH a shell needs.
room_image() {
  local root key ref
  root=$("$repo/image/appliance" root)
  key=$(<"$root/.sbx-key")
  ref=localhost/streambox-room:${key:0:12}
  if has_image "$ref"; then
    say "room image up to date ($ref)"
  else
    say "importing the appliance root as $ref (~1 min)"
    # --numeric-owner: the root's owners are its own passwd's, not this machine's.
    tar --numeric-owner --exclude=./.sbx-key -C "$root" -c . |
      podman import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change 'CMD ["/bin/sh"]' - "$ref" >/dev/null
  fi
  prune_others "$ref"
  echo "$ref"
}

# The admin image: the room image plus the admin service bundle (compiled, production modules).
admin_image() {
  local room=$1 app key ref ctx
  app=$("$repo/image/appliance" bundle)
  key=$(printf '%s %s' "$room" "$(<"$app/.build-key")" | sha256sum | cut -c1-12)
  ref=localhost/streambox-admin:$key
  if has_image "$ref"; then
    say "admin image up to date ($ref)"
  else
    say "building $ref"
    ctx=$(mktemp -d)
    trap 'rm -rf "$ctx"' RETURN
    printf 'FROM %s\nCOPY app /opt/streambox\nWORKDIR /opt/streambox\nCMD ["/usr/bin/node", "/opt/streambox/dist/server/main.js"]\n' "$room" >"$ctx/Containerfile"
    cp -a "$app" "$ctx/app"
    podman build --quiet --network=none --pull=never -t "$ref" "$ctx" >/dev/null
  fi
  prune_others "$ref"
  echo "$ref"
}

push() {
  local registry=${1:?usage: image/oci/build.sh push REGISTRY}
  local ref name
  for ref in "$(room_image)" "$(admin_image "$(room_image)")"; do
    name=${ref#localhost/}
    podman tag "$ref" "$registry/$name"
    podman push "$registry/$name"
    echo "$registry/$name"
  done
}

case ${1:-all} in
  all) room=$(room_image) && echo "$room" && admin_image "$room" ;;
  room) room_image ;;
  push) push "${2:-}" ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
