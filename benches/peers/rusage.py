# Runs a command and writes what it cost: wall seconds and the CPU seconds (user + system) of the command and of
# every process below it. This process becomes a child subreaper (Linux prctl PR_SET_CHILD_SUBREAPER), so a worker
# its parent never waited for is handed to us when the parent exits and reaped here; RUSAGE_CHILDREN then counts
# every process of the tool, not only those it reaped itself (inference-perf leaves its workers as zombies).
# usage: python rusage.py <out.json> <command> [args...]   (exit status: the command's)
import ctypes
import json
import os
import resource
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36

if len(sys.argv) < 3:
    raise SystemExit("usage: rusage.py <out.json> <command> [args...]")
subreaper = False
try:
    subreaper = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
except (OSError, AttributeError):
    pass
t0 = time.monotonic()
code = subprocess.run(sys.argv[2:]).returncode
wall = time.monotonic() - t0
# orphans handed to us: reap them (a straggler still running after 30 s is left alone and not counted)
orphans = 0
deadline = time.monotonic() + 30
while subreaper and time.monotonic() < deadline:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid == 0:
        time.sleep(0.05)
    else:
        orphans += 1
u = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    json.dump(
        {"exit": code, "wallS": wall, "userS": u.ru_utime, "sysS": u.ru_stime, "maxRssKb": u.ru_maxrss, "subreaper": subreaper, "orphansReaped": orphans},
        f,
    )
sys.exit(code)
