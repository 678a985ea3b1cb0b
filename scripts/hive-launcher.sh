#!/bin/sh
# The `hive` command (npm's bin, `npm start`): Node.js running dist/scripts/hive.js, with
# glibc's malloc told to hand freed memory back to the system and to keep few heaps.
#
# Why: glibc keeps what a process frees unless at least 128 KiB lie free at the top of its
# heap, and after the process freed one large block it raises that bar to twice the
# block's size (up to 64 MiB) and stops giving large blocks their own mappings. A queen
# on the embedded database that took a 50 MB build log kept 50–60 MiB of freed, fragmented
# heap for good (60–95 MiB above its idle size; with this setting 15–20 MiB of heap, and
# 30–40 MiB above). Setting MALLOC_TRIM_THRESHOLD_ keeps both at their small defaults.
# MALLOC_ARENA_MAX=2: glibc gives threads heaps of their own (arenas, up to 8 per core), and
# libuv's pool threads compress and decompress log chunks in theirs; each arena keeps its
# own freed memory. With two, a queen on the embedded database held 154–155 MiB after a
# 50 MB log instead of 170–178 (bench/memory.ts), and took fewer page faults on a 20 MB log
# (4.6–10k against 8.5–13k a build). glibc reads these only when a
# process starts, so they cannot be set from inside Node.js: hence this launcher. `exec`
# replaces it with node, so no extra process stays around, and the queen's children (the
# local drone, the git host) inherit the settings. A value already set is kept; other C
# libraries (musl) ignore it.
self=$(readlink -f "$0" 2>/dev/null || echo "$0")
: "${MALLOC_TRIM_THRESHOLD_:=131072}"
export MALLOC_TRIM_THRESHOLD_
: "${MALLOC_ARENA_MAX:=2}"
export MALLOC_ARENA_MAX
exec node "$(dirname "$self")/hive.js" "$@"
