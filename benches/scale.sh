#!/usr/bin/env bash
# Scaling figures of issue 15: `fix` on one large file (1,250 vs 5,000 services, time and peak
# memory), `fix` of every pack's fixes on small services (1k vs 8k: the linearity the test
# suite used to time), `extends` fan-in (1k vs 4k services on one base), directory mode (5k vs
# 20k files).
# Inputs come from benches/generate.py into a temporary directory; nothing is kept.
#
#   benches/scale.sh                   # release build, then every measurement
#   BIN=path/to/shipshape benches/scale.sh   # measure another binary (e.g. an older build)
#
# Needs hyperfine and GNU time (/usr/bin/time). Wall-clock figures depend on the machine's
# load: read them with the user/system times hyperfine prints.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v hyperfine >/dev/null || { echo "needs hyperfine: apt-get install hyperfine" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }
if [[ -z ${BIN:-} ]]; then
  cargo build --release -q
  BIN=$PWD/target/release/shipshape
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
benches/generate.py large 1250 "$work/large-1250.yaml"
benches/generate.py large 5000 "$work/large-5000.yaml"
benches/generate.py extends 1000 "$work/extends-1000.yaml"
benches/generate.py extends 4000 "$work/extends-4000.yaml"
benches/generate.py secrets 1000 "$work/secrets-1000.yaml"
benches/generate.py secrets 8000 "$work/secrets-8000.yaml"
benches/generate.py tree 4000 "$work/tree-5k"     # 5,000 files
benches/generate.py tree 16000 "$work/tree-20k"   # 20,000 files
echo "$(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

fix="fix --no-config -q --policy production --unsafe-fixes"
cd "$work"
hyperfine -N -i --warmup 1 --runs "${RUNS:-5}" --export-json "$work/scale.json" \
  -n "fix 1,250 services" "$BIN $fix large-1250.yaml" \
  -n "fix 5,000 services" "$BIN $fix large-5000.yaml" \
  -n "fix 1k small services" "$BIN $fix secrets-1000.yaml" \
  -n "fix 8k small services" "$BIN $fix secrets-8000.yaml" \
  -n "extends fan-in 1k" "$BIN check --no-config -q extends-1000.yaml" \
  -n "extends fan-in 4k" "$BIN check --no-config -q extends-4000.yaml" \
  -n "directory 5k files" "$BIN check --no-config -q tree-5k" \
  -n "directory 20k files" "$BIN check --no-config -q tree-20k"

echo
# Ratios of user + system time (the load-independent part of the figures above): linear is
# the input ratio (4x, 8x, 4x, 4x), quadratic its square.
python3 - "$work/scale.json" <<'PY'
import json, sys
cpu = {r["command"]: r["user"] + r["system"] for r in json.load(open(sys.argv[1]))["results"]}
for small, large, n in [("fix 1,250 services", "fix 5,000 services", 4),
                        ("fix 1k small services", "fix 8k small services", 8),
                        ("extends fan-in 1k", "extends fan-in 4k", 4),
                        ("directory 5k files", "directory 20k files", 4)]:
    print(f"{large:22} / {small:22}: CPU {cpu[large] / cpu[small]:5.1f}x for {n}x the input")
PY
echo
for size in 1250 5000; do
  bytes=$(wc -c <"large-$size.yaml")
  /usr/bin/time -f %M -o rss "$BIN" $fix "large-$size.yaml" >/dev/null 2>&1 || true
  kb=$(tail -1 rss)
  printf 'fix %5s services: input %6.1f MB, peak RSS %6.1f MB, budget (10x input + 100 MB) %6.1f MB\n' \
    "$size" "$(echo "$bytes / 1000000" | bc -l)" "$(echo "$kb / 1000" | bc -l)" \
    "$(echo "$bytes * 10 / 1000000 + 100" | bc -l)"
done
