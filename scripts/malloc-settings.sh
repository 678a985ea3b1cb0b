# glibc's malloc settings of every Hive process npm's `hive` starts (hive-launcher.sh sources
# this; the benches that run a queen in their own process start it with them too:
# bench/product-malloc.ts). glibc reads them only when a process starts, so they cannot be
# set from inside Node.js. A value already set is kept; other C libraries (musl) ignore them.
#
# MALLOC_TRIM_THRESHOLD_: glibc keeps what a process frees unless at least 128 KiB lie free
# at the top of its heap, and after the process freed one large block it raises that bar to
# twice the block's size (up to 64 MiB) and stops giving large blocks their own mappings. A
# queen on the embedded database that took a 50 MB build log kept 50–60 MiB of freed,
# fragmented heap for good (60–95 MiB above its idle size; with this setting 15–20 MiB of
# heap, and 30–40 MiB above). Setting it keeps both at their small defaults.
: "${MALLOC_TRIM_THRESHOLD_:=131072}"
export MALLOC_TRIM_THRESHOLD_
# MALLOC_MMAP_THRESHOLD_=1 MiB: setting the trim threshold (above) also fixes the size from
# which glibc gives a block a mapping of its own at its default, 128 KiB, and every such
# block is fresh memory, a page fault per 4 KiB touched. The queen's log compressor asks
# for two such blocks per chunk (brotli's 512 KiB hash table, which it clears, and its
# command buffer): most of a queen's 0.5–25k faults per 50 MB log, on libuv's pool
# threads. From the heap instead, a freed table is the next one's: with this, 0.1–2.9k
# after the first such log, stored at 145–171 MB/s median instead of 132–148
# (bench/log-bench.ts, alternately); `hive start` held about as much after a 50 MB log
# (bench/memory.ts). Larger blocks (a few per log) still get their own mappings. An
# empty value is replaced too: glibc would read it as 0, every block its own mapping.
: "${MALLOC_MMAP_THRESHOLD_:=1048576}"
export MALLOC_MMAP_THRESHOLD_
# MALLOC_ARENA_MAX=2: glibc gives threads heaps of their own (arenas, up to 8 per core), and
# libuv's pool threads compress and decompress log chunks in theirs; each arena keeps its
# own freed memory. With two, a queen on the embedded database held 154–155 MiB after a
# 50 MB log instead of 170–178 (bench/memory.ts), and took fewer page faults on a 20 MB log
# (4.6–10k against 8.5–13k a build).
: "${MALLOC_ARENA_MAX:=2}"
export MALLOC_ARENA_MAX
# glibc.malloc.hugetlb=1 (glibc 2.35 and later; older ones ignore it): the heap grows in
# transparent huge pages where the kernel gives them on request (its default,
# /sys/kernel/mm/transparent_hugepage/enabled = madvise). Handing memory back (above) means
# a large log's buffers are fresh memory again at the next one, and every first touch of a
# 4 KiB page is a fault — ~12 µs each on the VMs measured. With 2 MiB pages a queen took
# 1.2–5.3k faults per 20 MB or 2M-line log instead of 5–13k, and those logs were stored in
# 244–401 ms instead of 314–504 (bench/compare-buildbot.ts, two rounds alternately);
# `hive start` held 2–13 MiB more at rest, and as much after a 50 MB log (bench/memory.ts).
case ":${GLIBC_TUNABLES:-}" in
  *:glibc.malloc.hugetlb=*) ;;
  *) GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1" ;;
esac
export GLIBC_TUNABLES
