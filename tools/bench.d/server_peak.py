#!/usr/bin/python3
"""tools/bench.d/server_peak.py: sample a PostgreSQL server's memory until told to stop.

Usage: server_peak.py POSTMASTER_PID OUT_FILE   (stop it with SIGTERM)
Every 0.1 s sums Pss (proportional set size: shared buffers counted once) over the postmaster
and its children, and tracks the largest VmHWM of any one of them (the backend running the
query, or a parallel worker), and the server's CPU time (user + system of the postmaster and its
live children, plus what exited children left in the postmaster's cutime/cstime) from the first
sample to the last. On SIGTERM writes `pss_peak_kb K hwm_peak_kb H cpu_s C samples S`.
"""
import os
import signal
import sys
import time

stop = False


def on_term(signum, frame):
    global stop
    stop = True


def field_kb(path, name):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(ppid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            if int(parts[1]) == ppid:
                kids.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return kids


def cpu_ticks(pid, with_children):
    try:
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # after the command: state ppid ... utime stime cutime cstime are fields 12-15 (from 1)
    ticks = int(parts[11]) + int(parts[12])
    if with_children:
        ticks += int(parts[13]) + int(parts[14])
    return ticks


def server_cpu(master, kids):
    return cpu_ticks(master, True) + sum(cpu_ticks(p, False) for p in kids)


def main():
    master, out = int(sys.argv[1]), sys.argv[2]
    signal.signal(signal.SIGTERM, on_term)
    pss_peak = hwm_peak = samples = 0
    cpu_first = cpu_last = None
    while not stop:
        kids = children(master)
        pids = [master] + kids
        cpu_last = server_cpu(master, kids)
        if cpu_first is None:
            cpu_first = cpu_last
        pss = sum(field_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
        hwm = max(field_kb(f"/proc/{p}/status", "VmHWM:") for p in pids)
        pss_peak = max(pss_peak, pss)
        hwm_peak = max(hwm_peak, hwm)
        samples += 1
        time.sleep(0.1)
    with open(out, "w") as f:
        cpu = (cpu_last - cpu_first) / os.sysconf("SC_CLK_TCK") if samples else 0.0
        f.write(f"pss_peak_kb {pss_peak} hwm_peak_kb {hwm_peak} cpu_s {cpu:.2f} samples {samples}\n")


if __name__ == "__main__":
    main()
