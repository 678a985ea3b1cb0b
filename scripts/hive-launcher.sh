#!/bin/sh
# The `hive` command (npm's bin, `npm start`): Node.js running dist/scripts/hive.js, with
# glibc's malloc told to hand freed memory back to the system, to keep few heaps and to
# grow them in huge pages (malloc-settings.sh says why). glibc reads these only when a
# process starts, so they cannot be set from inside Node.js: hence this launcher. `exec`
# replaces it with node, so no extra process stays around, and the queen's children (the
# local drone, the git host) inherit the settings.
self=$(readlink -f "$0" 2>/dev/null || echo "$0")
. "$(dirname "$self")/malloc-settings.sh"
exec node "$(dirname "$self")/hive.js" "$@"
