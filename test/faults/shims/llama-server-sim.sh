#!/usr/bin/env bash
# Stand-in for llama-server, started by the real llama.cpp fixture through LLAMACPP_BIN. It behaves as the
# fault tests ask (FAULT_MODE) and otherwise serves the simulator with FAULT_SIM_ARGS (its fault switches).
# FAULT_ARGV_FILE: where to record the exact argv it received (NUL-separated), to prove no shell touched it.
set -u
root="$(cd "$(dirname "$0")/../../.." && pwd)"
if [ -n "${FAULT_ARGV_FILE:-}" ]; then printf '%s\0' "$@" > "$FAULT_ARGV_FILE"; fi
case "${FAULT_MODE:-serve}" in
  exit)
    echo "llama_model_load: error loading model: tensor 'token_embd.weight' data is not within the file bounds"
    echo "main: exiting due to model loading error" >&2
    exit 1 ;;
esac
host=127.0.0.1
port=0
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --host) host="$2"; shift 2 ;;
    *) shift ;;
  esac
done
read -r -a extra <<< "${FAULT_SIM_ARGS:-}"
cd "$root" || exit 1
exec node --import tsx sim/cli.ts --protocol llamacpp --host "$host" --port "$port" "${extra[@]}"
