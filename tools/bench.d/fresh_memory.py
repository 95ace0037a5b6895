#!/usr/bin/python3
"""tools/bench.d/fresh_memory.py: what first-touching memory costs on this machine right now.

Usage: fresh_memory.py MB [huge|small]
Maps MB of anonymous memory (advised for transparent huge pages with `huge`, the default),
writes one byte in every 4 KiB page and prints `fresh_memory mb MB pages KIND touch_s S`.

Why the bench asks: some virtual machines hand memory their guest has freed back to the host
(free page reporting, a few seconds after the free); the guest's next first touch of that memory
then waits for the host to back it again. A program that takes its memory in huge pages (regrev
does) pays that per byte; one whose pages come from the kernel's small free fragments (most
others, PostgreSQL too) does not. Timing the same touch after the machine has idled and right
after another process freed memory shows whether this machine does it, and what it costs.
"""
import mmap
import sys
import time


def main():
    mb = int(sys.argv[1])
    kind = sys.argv[2] if len(sys.argv) > 2 else "huge"
    if kind not in ("huge", "small"):
        sys.exit("fresh_memory.py: the kind of pages is huge or small")
    size = mb << 20
    m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    # huge: asked for (the kernel's setting `madvise` or `always` gives them); small: refused,
    # also where the setting is `always`
    advice = "MADV_HUGEPAGE" if kind == "huge" else "MADV_NOHUGEPAGE"
    if hasattr(mmap, advice):
        m.madvise(getattr(mmap, advice))
    t0 = time.perf_counter()
    for off in range(0, size, 4096):
        m[off] = 1
    touch = time.perf_counter() - t0
    m.close()
    print(f"fresh_memory mb {mb} pages {kind} touch_s {touch:.3f}")


if __name__ == "__main__":
    main()
