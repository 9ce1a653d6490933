# shellcheck shell=bash
# Host-side container tooling: build a cached Debian root with debootstrap and
# boot it with systemd-nspawn, so tests get a real systemd without a VM.
#
# Source this file; every public function is prefixed sbx_. It is written for
# `set -euo pipefail` callers, and checks the steps that matter explicitly so a
# failure also stops a caller that runs it under `if` or `||`. Needs root,
# debootstrap, systemd-container (systemd-nspawn) and util-linux (nsenter).
#
# Quirks of this host (measured; the team's platform notes have the details):
# - The host's PID 1 is not systemd: nspawn always needs --register=no
#   --keep-unit, and machinectl / systemd-run -M do not work. We enter a
#   container with nsenter, or talk to its system bus through a socket.
# - Two nspawn processes started from the same cgroup share its "payload"
#   child and their units collide: each one is launched from its own cgroup.
# - nspawn locks its root directory: exclusively for a writable boot, shared
#   with --volatile=overlay (the root stays read-only under a tmpfs), so any
#   number of --volatile=overlay containers can share one cached root, and a
#   writable boot of it fails with "Directory tree ... is currently busy".
#
# State directory of a booted container (STATE_DIR):
#   nspawn.pid   PID of systemd-nspawn on the host
#   name         machine name (names the cgroups to remove at stop)
#   console.log  the container's console (boot messages) and nspawn's output
#   dbus/        bound over the container's /run/dbus: the system bus is at
#                STATE_DIR/dbus/system_bus_socket whatever the container's PID

# Bump to rebuild every cached root when the way roots are built changes.
SBX_LIB_VERSION=1

SBX_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

_sbx_log() { printf '==> %s\n' "$*" >&2; }
_sbx_err() { printf 'sbx: error: %s\n' "$*" >&2; }

# sbx_mirror: the Debian mirror URL this host's apt uses (so no mirror host is
# ever written in code), or $STREAMBOX_DEBIAN_MIRROR when set.
sbx_mirror() {
  local url=${STREAMBOX_DEBIAN_MIRROR:-}
  if [[ -z $url && -r /etc/apt/sources.list.d/debian.sources ]]; then
    url=$(awk '$1 == "URIs:" { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z $url && -r /etc/apt/sources.list ]]; then
    # "deb [options] URL suite components": drop the options, take the URL.
    url=$(awk '{ sub(/\[[^]]*\]/, "") } $1 == "deb" { print $2; exit }' /etc/apt/sources.list)
  fi
  [[ -n $url ]] || { _sbx_err "no Debian mirror in the host's apt config; set STREAMBOX_DEBIAN_MIRROR"; return 1; }
  printf '%s\n' "$url"
}

# ---------------------------------------------------------------- cgroups
# Each nspawn runs from its own cgroup sbx-NAME in the v1 named "systemd"
# hierarchy and in the v2 "unified" one (hybrid layout of this host). Where a
# hierarchy is absent nothing is done for it.
_sbx_cgroup_dirs() {
  local h
  for h in systemd unified; do
    if mountpoint -q "/sys/fs/cgroup/$h"; then printf '%s\n' "/sys/fs/cgroup/$h/sbx-$1"; fi
  done
}

# Move the calling (sub)shell into sbx-NAME; its children inherit it.
_sbx_cgroup_enter() {
  local d
  for d in $(_sbx_cgroup_dirs "$1"); do
    mkdir -p "$d" && echo "$BASHPID" >"$d/cgroup.procs" || return 1
  done
}

# Remove sbx-NAME (deepest first). A process still inside (only after a
# SIGKILL of nspawn) is killed by its PID first, or the rmdir would fail.
_sbx_cgroup_remove() {
  local d pid i
  for d in $(_sbx_cgroup_dirs "$1"); do
    [[ -d $d ]] || continue
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r pid; do
      kill -KILL "$pid" 2>/dev/null || true
    done || true
    for ((i = 0; i < 50; i++)); do # killed processes take a moment to leave
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null && break
      sleep 0.1
    done
    [[ ! -d $d ]] || _sbx_err "could not remove cgroup $d"
  done
}

# ---------------------------------------------------------------- build
# Content hash of a file, or of every file under a directory (sorted, with
# relative names, so a rename also changes it).
_sbx_hash_path() {
  if [[ -d $1 ]]; then
    printf 'dir %s\n' "$1"
    (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
  elif [[ -f $1 ]]; then
    printf 'file %s %s\n' "$1" "$(sha256sum <"$1")"
  else
    _sbx_err "SBX_KEY_FILES: no such file or directory: $1"
    return 1
  fi
}

# _sbx_root_key SUITE PACKAGES SCRIPT [KEY=VALUE...]: the cache key of a root.
_sbx_root_key() {
  local f
  {
    printf 'lib %s\nsuite %s\npackages %s\n' "$SBX_LIB_VERSION" "$1" "$2"
    if [[ -n $3 ]]; then printf 'script %s\n' "$(sha256sum <"$3")"; fi
    shift 3
    printf 'env %s\n' "$@"
    for f in ${SBX_KEY_FILES:-}; do _sbx_hash_path "$f" || return 1; done
  } | sha256sum | cut -d' ' -f1
}

# sbx_build_root OUT_DIR SUITE PACKAGES_CSV [SETUP_SCRIPT [KEY=VALUE...]]
# Builds a Debian root with systemd, systemd-sysv, dbus and PACKAGES, then runs
# SETUP_SCRIPT inside it (a one-shot nspawn, not a boot) with the KEY=VALUE
# pairs in its environment and the SBX_SETUP_BIND dirs (HOST:GUEST ...) bound.
# Cached: rebuilt only when the key (suite, packages, script content, setup
# env, SBX_KEY_FILES content, SBX_LIB_VERSION) changes. Runs in a subshell so
# its lock, traps and cgroup stay its own.
sbx_build_root() (
  if (($# < 3)); then
    _sbx_err "usage: sbx_build_root OUT_DIR SUITE PACKAGES_CSV [SETUP_SCRIPT [KEY=VALUE...]]"
    exit 2
  fi
  out=$(realpath -m "$1") suite=$2 script=${4:-}
  packages=$(tr ', ' '\n' <<<"$3" | sed '/^$/d' | LC_ALL=C sort -u | paste -sd, -)
  shift 3
  (($# == 0)) || shift
  setup_env=("$@")
  if [[ -n $script ]]; then
    [[ -f $script ]] || { _sbx_err "no setup script $script"; exit 1; }
    script=$(realpath "$script")
  fi
  key=$(_sbx_root_key "$suite" "$packages" "$script" "${setup_env[@]}") || exit 1

  up_to_date() { [[ -f $out/.sbx-key && $(<"$out/.sbx-key") == "$key" ]]; }
  if up_to_date; then _sbx_log "root up to date: $out"; exit 0; fi

  # One build per root at a time (vitest runs test files in parallel); after
  # the wait, another process may have built it already.
  mkdir -p "$(dirname "$out")"
  exec 9>"$out.lock"
  flock 9
  if up_to_date; then _sbx_log "root up to date: $out"; exit 0; fi

  mirror=$(sbx_mirror) || exit 1
  log=$out.build.log
  start=$SECONDS
  # Leftovers of an interrupted build (we hold the lock, so none is running).
  # --one-file-system: never descend into a /proc or /sys still mounted there.
  rm -rf --one-file-system "$out".tmp.* "$out".old.*
  tmp=$(mktemp -d "$out.tmp.XXXX")
  cgroup=build-$BASHPID
  trap 'rm -rf --one-file-system "$tmp"; _sbx_cgroup_remove "$cgroup"' EXIT
  trap 'exit 1' INT TERM HUP
  chmod 755 "$tmp" # mktemp makes it 0700; this becomes the container's /

  _sbx_log "debootstrap $suite from $mirror (~1 min; log: $log)..."
  if ! debootstrap --variant=minbase --include="systemd,systemd-sysv,dbus${packages:+,$packages}" \
    "$suite" "$tmp" "$mirror" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    _sbx_err "debootstrap failed (full log: $log)"
    exit 1
  fi

  # apt inside the root uses the same mirror as the build.
  printf 'deb %s %s main\n' "$mirror" "$suite" >"$tmp/etc/apt/sources.list"

  if [[ -n $script ]]; then
    _sbx_log "setup script $script..."
    install -m 0755 "$script" "$tmp/sbx-setup"
    # No daemon may start while packages install (policy-rc.d(8)).
    printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
    chmod 0755 "$tmp/usr/sbin/policy-rc.d"
    # nspawn rather than chroot: it mounts /proc, /sys, /dev itself, and when
    # it exits the kernel drops those mounts and kills anything the script
    # left running (a chroot would leak both onto the host).
    args=(--directory="$tmp" --register=no --keep-unit --pipe --quiet --as-pid2
      --setenv=DEBIAN_FRONTEND=noninteractive)
    for kv in "${setup_env[@]}"; do args+=(--setenv="$kv"); done
    for b in ${SBX_SETUP_BIND:-}; do args+=(--bind="$b"); done
    if ! (_sbx_cgroup_enter "$cgroup" && exec systemd-nspawn "${args[@]}" /sbx-setup) \
      </dev/null >>"$log" 2>&1; then
      tail -n 50 "$log" >&2
      _sbx_err "setup script failed (full log: $log)"
      exit 1
    fi
    rm -f "$tmp/sbx-setup" "$tmp/usr/sbin/policy-rc.d"
  fi

  # Empty machine-id: each boot generates its own (the content "uninitialized"
  # would also make every boot a first boot, which we do not want).
  : >"$tmp/etc/machine-id"
  ln -sfn /etc/machine-id "$tmp/var/lib/dbus/machine-id" # dbus made its own at install
  # debootstrap copied the host's hostname; without one the container keeps
  # the name nspawn gives it (--machine=NAME).
  rm -f "$tmp/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$tmp/etc/hosts"
  rm -rf "$tmp"/var/cache/apt/archives/*.deb

  echo "$key" >"$tmp/.sbx-key"
  # Swap: the old root moves aside first, so OUT_DIR is never half-written.
  old=$out.old.$BASHPID
  if [[ -e $out ]]; then mv "$out" "$old" || exit 1; fi
  mv "$tmp" "$out" || exit 1
  rm -rf --one-file-system "$old"
  _sbx_log "root ready in $((SECONDS - start))s: $out"
)

# ---------------------------------------------------------------- run
# Is PID alive? A zombie is not: this host's PID 1 reaps orphans only now
# and then, so an exited nspawn can linger as one for a few seconds.
_sbx_alive() {
  local stat
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) } # the state letter follows "(comm) "
  [[ ${stat:0:1} != Z ]]
}

# PID of the container's systemd-nspawn, if it is running.
_sbx_nspawn_pid() {
  local pid
  pid=$(cat "$1/nspawn.pid" 2>/dev/null) || return 1
  _sbx_alive "$pid" || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == systemd-nspawn ]] || return 1
  echo "$pid"
}

# PID (on the host) of the container's PID 1: the child of nspawn that lives
# in another PID namespace.
_sbx_init_pid() {
  local npid c
  npid=$(_sbx_nspawn_pid "$1") || return 1
  for c in $(pgrep -P "$npid" || true); do
    if [[ $(readlink "/proc/$c/ns/pid") != $(readlink "/proc/$npid/ns/pid") ]]; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

# sbx_boot ROOT NAME STATE_DIR [nspawn args...]
# Boots ROOT's systemd in the background and returns once nspawn is running
# (use sbx_wait_running to wait for the boot to finish). Extra args go to
# nspawn, e.g. --volatile=overlay, --bind-ro=HOST:GUEST, --private-network.
sbx_boot() {
  if (($# < 3)); then
    _sbx_err "usage: sbx_boot ROOT NAME STATE_DIR [nspawn args...]"
    return 2
  fi
  local root name state pid i
  root=$(realpath -m "$1") name=$2 state=$(realpath -m "$3")
  shift 3
  [[ -x $root/usr/lib/systemd/systemd ]] || { _sbx_err "no systemd in $root (build it with sbx_build_root)"; return 1; }
  if pid=$(_sbx_nspawn_pid "$state"); then
    _sbx_err "a container already runs from $state (nspawn pid $pid); stop it: sbx stop $state"
    return 1
  fi
  mkdir -p "$state/dbus" || return 1
  rm -f "$state/nspawn.pid" "$state/dbus/system_bus_socket"
  echo "$name" >"$state/name"

  # setsid detaches nspawn from our session and terminal; the inner bash
  # writes its own PID, which exec makes nspawn's (setsid may fork first).
  # --console=read-only, not pipe: with pipe the container has no
  # /dev/console and its systemd writes nothing, so console.log stayed empty;
  # read-only gives it a pty whose output nspawn copies to console.log.
  # TERM=dumb and SYSTEMD_COLORS=0 keep escape codes out of that log.
  (
    _sbx_cgroup_enter "$name" || exit 1
    # shellcheck disable=SC2016 # $$ and $@ are for the inner bash
    exec setsid env TERM=dumb SYSTEMD_COLORS=0 bash -c 'echo $$ >"$0"; exec "$@"' "$state/nspawn.pid" \
      systemd-nspawn --directory="$root" --boot --machine="$name" \
      --register=no --keep-unit --console=read-only --setenv=SYSTEMD_COLORS=0 \
      --bind="$state/dbus:/run/dbus" "$@"
  ) </dev/null >"$state/console.log" 2>&1 &

  # Return once the PID is nspawn's (not the bash before the exec), or fail
  # as soon as the launch died (e.g. "Directory tree ... is currently busy").
  for ((i = 0; i < 100; i++)); do
    if pid=$(_sbx_nspawn_pid "$state"); then
      echo "$pid"
      return 0
    fi
    pid=$(cat "$state/nspawn.pid" 2>/dev/null) || pid=$!
    _sbx_alive "$pid" || break
    sleep 0.05
  done
  tail -n 50 "$state/console.log" >&2
  _sbx_err "systemd-nspawn did not start (console: $state/console.log)"
  _sbx_cgroup_remove "$name"
  return 1
}

# sbx_exec STATE_DIR CMD...: runs CMD inside the container, in all of its
# namespaces, its root and a clean environment (systemctl and journalctl work).
sbx_exec() {
  local state=${1:?usage: sbx_exec STATE_DIR CMD...} pid
  shift
  pid=$(_sbx_init_pid "$state") || { _sbx_err "no container running from $state"; return 1; }
  nsenter --target="$pid" --mount --uts --ipc --net --pid --cgroup --root --wd -- \
    env -i PATH="$SBX_PATH" HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
}

# sbx_wait_running STATE_DIR [TIMEOUT_S]: waits for the boot to finish; prints
# "running" or "degraded" (and the failed units on stderr).
sbx_wait_running() {
  local state=${1:?usage: sbx_wait_running STATE_DIR [TIMEOUT_S]} timeout=${2:-120} st="" deadline
  deadline=$((SECONDS + timeout))
  while :; do
    if ! _sbx_nspawn_pid "$state" >/dev/null; then
      tail -n 50 "$state/console.log" >&2
      _sbx_err "the container from $state is not running (nspawn exited?)"
      return 1
    fi
    st=$(sbx_exec "$state" systemctl is-system-running 2>/dev/null) || true
    case $st in running | degraded) break ;; esac
    if ((SECONDS >= deadline)); then
      tail -n 50 "$state/console.log" >&2
      _sbx_err "not running after ${timeout}s (is-system-running: ${st:-no answer})"
      return 1
    fi
    sleep 0.2
  done
  echo "$st"
  if [[ $st == degraded ]]; then
    sbx_exec "$state" systemctl --failed --no-legend --plain >&2 || true
  fi
}

# sbx_stop STATE_DIR [TIMEOUT_S]: SIGTERM to nspawn (it halts the container),
# SIGKILL after TIMEOUT_S (default 30), then removes the cgroups and PID file.
# Safe to call when nothing runs.
sbx_stop() {
  local state=${1:?usage: sbx_stop STATE_DIR [TIMEOUT_S]} timeout=${2:-30} pid name deadline
  if pid=$(_sbx_nspawn_pid "$state"); then
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + timeout))
    while _sbx_nspawn_pid "$state" >/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if _sbx_nspawn_pid "$state" >/dev/null; then
      _sbx_log "nspawn $pid still running after ${timeout}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 10))
      while _sbx_nspawn_pid "$state" >/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    fi
  fi
  if pid=$(_sbx_nspawn_pid "$state"); then _sbx_err "nspawn $pid survived SIGKILL"; return 1; fi
  name=$(cat "$state/name" 2>/dev/null) || true
  if [[ -n $name ]]; then _sbx_cgroup_remove "$name"; fi
  # No stale socket: a client of a stopped container gets ENOENT, not ECONNREFUSED.
  rm -f "$state/nspawn.pid" "$state/dbus/system_bus_socket"
}
