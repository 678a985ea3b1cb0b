#!/usr/bin/env bash
# A Docker engine and the test images for Hive's Docker tests, on a machine without
# systemd and without any registry in reach. Idempotent: an engine that answers is used
# as it is, and an image that exists (at the current recipe version) is not built again.
#
#   scripts/docker-test-engine.sh          # start dockerd if needed, build the images
#
# Images, made with `docker import` from root filesystems built here:
#   hive-test/busybox:latest  busybox-static with every applet (sh, wget, httpd, nc, …)
#   hive-test/node:20         the above plus the host's node binary, the libraries `ldd`
#                             lists for it, and the host's npm (so `node` and `npm` work)
#   hive-test/node-slim:20    the above plus the host's git and an unprivileged `node` user
#                             (uid 1000): what Hive's own images (docker/) need of the
#                             official node:20-slim, which their test builds on instead
#
# Environment: HIVE_DOCKERD_LOG (default /var/log/hive-dockerd.log).
set -euo pipefail

SOCKET=/var/run/docker.sock
LOG=${HIVE_DOCKERD_LOG:-/var/log/hive-dockerd.log}
# Bump when the recipe below changes: images with another version are rebuilt.
RECIPE=1

say() { printf '[docker-test-engine] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

ping_engine() {
  if command -v curl >/dev/null; then
    [ "$(curl -s --max-time 2 --unix-socket "$SOCKET" http://localhost/_ping 2>/dev/null)" = OK ]
  else
    docker version >/dev/null 2>&1
  fi
}

wait_for_engine() {
  local pid=$1
  for _ in $(seq 1 240); do
    ping_engine && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.25
  done
  return 1
}

# Starts dockerd detached from this script (CI ends the script, not the engine). The
# default storage driver (overlay2) and iptables work in this sandbox; should overlay2
# not, vfs is slower but works anywhere. iptables must stay on: the embedded DNS that
# makes services reachable by name on user-defined networks depends on it.
start_engine() {
  command -v dockerd >/dev/null || die "dockerd is not installed (Debian: apt-get install docker.io)"
  local attempt
  for attempt in default vfs; do
    local extra=()
    [ "$attempt" = vfs ] && extra=(--storage-driver vfs)
    say "starting dockerd (${attempt} storage; log: $LOG)"
    # A pid file of a dead daemon makes the next one refuse to start.
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi
    setsid dockerd --host "unix://$SOCKET" "${extra[@]}" >>"$LOG" 2>&1 </dev/null &
    local pid=$!
    if wait_for_engine "$pid"; then
      say "dockerd answers (pid $pid)"
      return 0
    fi
    say "dockerd did not come up with ${attempt} storage; last log lines:"
    tail -n 15 "$LOG" >&2 || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  die "could not start a Docker engine"
}

image_current() {
  [ "$(docker image inspect --format '{{ index .Config.Labels "hive.test-image" }}' "$1" 2>/dev/null)" = "$RECIPE" ]
}

# A root filesystem with busybox and its applets, /etc/passwd for root and nobody, /tmp.
make_busybox_root() {
  local root=$1 busybox
  busybox=$(command -v busybox) || die "busybox is not installed (Debian: apt-get install busybox-static)"
  if ldd "$busybox" >/dev/null 2>&1; then die "$busybox is not static; install busybox-static"; fi
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,root,tmp,workspace}
  chmod 1777 "$root/tmp"
  cp "$busybox" "$root/bin/busybox"
  local applet
  for applet in $("$busybox" --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

import_root() {
  local root=$1 image=$2
  shift 2
  tar -C "$root" -c . | docker import \
    --change "LABEL hive.test-image=$RECIPE" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["sh"]' \
    "$@" - "$image" >/dev/null
  say "built $image"
}

build_busybox() {
  local root
  root=$(mktemp -d /tmp/hive-image-busybox.XXXXXX)
  make_busybox_root "$root"
  import_root "$root" hive-test/busybox:latest
  rm -rf "$root"
}

# The host's node binary, the libraries it links against (at the same paths, the loader
# too) and its npm, into a root filesystem.
add_node() {
  local root=$1 node npm_dir lib
  node=$(readlink -f "$(command -v node)") || die "node is not installed"
  npm_dir=$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")
  [ -f "$npm_dir/bin/npm-cli.js" ] || die "cannot find npm's files (looked in $npm_dir)"
  cp "$node" "$root/usr/local/bin/node"
  for lib in $(ldd "$node" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  # As in the official image: npm-cli.js starts with `#!/usr/bin/env node`.
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
}

# The host's git: the command, its helpers (git-core, where clones and fetches run
# upload-pack and remote helpers), its templates, and the libraries of every binary.
add_git() {
  local root=$1 git exec_path f lib
  git=$(command -v git) || die "git is not installed"
  exec_path=$(git --exec-path)
  mkdir -p "$root$(dirname "$exec_path")" "$root/usr/share"
  cp "$git" "$root/usr/bin/git"
  cp -a "$exec_path" "$root$exec_path"
  [ -d /usr/share/git-core ] && cp -a /usr/share/git-core "$root/usr/share/git-core"
  for f in "$git" "$exec_path"/*; do
    [ -f "$f" ] && [ ! -L "$f" ] || continue
    for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
      [ -e "$root$lib" ] && continue
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  done
}

node_version() { "$(readlink -f "$(command -v node)")" --version | tr -d v; }

build_node() {
  local root
  root=$(mktemp -d /tmp/hive-image-node.XXXXXX)
  make_busybox_root "$root"
  add_node "$root"
  import_root "$root" hive-test/node:20 --change "ENV NODE_VERSION=$(node_version)"
  rm -rf "$root"
}

build_node_slim() {
  local root
  root=$(mktemp -d /tmp/hive-image-node-slim.XXXXXX)
  make_busybox_root "$root"
  add_node "$root"
  add_git "$root"
  printf 'node:x:1000:1000:node:/home/node:/bin/sh\n' >>"$root/etc/passwd"
  printf 'node:x:1000:\n' >>"$root/etc/group"
  mkdir -p "$root/home/node"
  chown 1000:1000 "$root/home/node"
  import_root "$root" hive-test/node-slim:20 --change "ENV NODE_VERSION=$(node_version)"
  rm -rf "$root"
}

# A daemon that is still starting (or shutting down) holds the pid file: let it settle.
settle_running_engine() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null) || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  say "dockerd (pid $pid) is running but not answering yet; waiting for it"
  for _ in $(seq 1 120); do
    ping_engine && return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  die "dockerd (pid $pid) neither answers nor exits; see $LOG"
}

ping_engine || settle_running_engine
ping_engine || start_engine
image_current hive-test/busybox:latest || build_busybox
image_current hive-test/node:20 || build_node
image_current hive-test/node-slim:20 || build_node_slim
# The `node` plugin asks for `node:<version>`; with no registry, the local build stands in.
docker tag hive-test/node:20 node:20
say "engine and test images ready"
