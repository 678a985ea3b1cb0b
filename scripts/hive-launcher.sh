#!/bin/sh
# The `hive` command (npm's bin, `npm start`): Node.js running dist/scripts/hive.js, with
# glibc's malloc told to hand freed memory back to the system.
#
# Why: glibc keeps what a process frees unless at least 128 KiB lie free at the top of its
# heap, and after the process freed one large block it raises that bar to twice the
# block's size (up to 64 MiB) and stops giving large blocks their own mappings. A queen
# on the embedded database that took a 50 MB build log kept 50–60 MiB of freed, fragmented
# heap for good (60–95 MiB above its idle size; with this setting 15–20 MiB of heap, and
# 30–40 MiB above). Setting MALLOC_TRIM_THRESHOLD_ keeps both at their small defaults. glibc reads it only when a
# process starts, so it cannot be set from inside Node.js: hence this launcher. `exec`
# replaces it with node, so no extra process stays around, and the queen's children (the
# local drone, the git host) inherit the setting. A value already set is kept; other C
# libraries (musl) ignore it.
self=$(readlink -f "$0" 2>/dev/null || echo "$0")
: "${MALLOC_TRIM_THRESHOLD_:=131072}"
export MALLOC_TRIM_THRESHOLD_
exec node "$(dirname "$self")/hive.js" "$@"
