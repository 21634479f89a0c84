# Runs a command and writes what it cost: wall seconds and the CPU seconds (user + system) of the command and of
# every process below it that was waited for (RUSAGE_CHILDREN: a tool's worker processes are counted once their
# parent reaps them, which every tool here does on a clean exit).
# usage: python rusage.py <out.json> <command> [args...]   (exit status: the command's)
import json
import resource
import subprocess
import sys
import time

if len(sys.argv) < 3:
    raise SystemExit("usage: rusage.py <out.json> <command> [args...]")
t0 = time.monotonic()
code = subprocess.run(sys.argv[2:]).returncode
wall = time.monotonic() - t0
u = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    json.dump({"exit": code, "wallS": wall, "userS": u.ru_utime, "sysS": u.ru_stime, "maxRssKb": u.ru_maxrss}, f)
sys.exit(code)
