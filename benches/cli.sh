#!/usr/bin/env bash
# Times `shipshape check` and `shipshape fix` over ../shared/corpus, side by side in the same
# run with the peers compose-lint (PyPI) and dclint (npm) on the same files, and prints the
# ratios. Needs hyperfine (apt-get install hyperfine), python3 and npm.
#
#   benches/cli.sh            # all four
#   PEERS=0 benches/cli.sh    # shipshape only
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
corpus=${SHIPSHAPE_SHARED:-../shared}/corpus
[[ -d $corpus ]] || { echo "corpus not found at $corpus (set SHIPSHAPE_SHARED)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "needs hyperfine: apt-get install hyperfine" >&2; exit 2; }

cargo build --release -q
bin=$PWD/target/release/shipshape
cache=${XDG_CACHE_HOME:-$HOME/.cache}/shipshape-bench
mkdir -p "$cache"
list=$(mktemp); trap 'rm -f "$list"' EXIT
(cd "$corpus" && find . -type f \( -name '*.yml' -o -name '*.yaml' \) | sort) >"$list"
count=$(wc -l <"$list")
echo "corpus: $count files, $(cd "$corpus" && xargs -d '\n' cat <"$list" | wc -c) bytes; $(nproc) cores"

runs=(
  -n "shipshape check" "xargs -d '\n' -a $list $bin check --no-config -q >/dev/null; true"
  -n "shipshape fix (production)" "xargs -d '\n' -a $list $bin fix --no-config -q --policy production --unsafe-fixes >/dev/null 2>&1; true"
  -n "shipshape check (one small file)" "$bin check --no-config -q docker__awesome-compose/nginx-golang/compose.yaml >/dev/null; true"
)
if [[ ${PEERS:-1} == 1 ]]; then
  [[ -x $cache/venv/bin/compose-lint ]] || { python3 -m venv "$cache/venv" && "$cache/venv/bin/pip" install -q compose-lint; }
  [[ -x $cache/npm/node_modules/.bin/dclint ]] || (mkdir -p "$cache/npm" && cd "$cache/npm" && npm install --silent dclint >/dev/null)
  runs+=(
    -n "compose-lint check" "xargs -d '\n' -a $list $cache/venv/bin/compose-lint check >/dev/null 2>&1; true"
    -n "dclint" "xargs -d '\n' -a $list $cache/npm/node_modules/.bin/dclint --color false >/dev/null 2>&1; true"
  )
fi
cd "$corpus"
hyperfine --warmup 1 --min-runs 3 --export-json "$cache/results.json" "${runs[@]}"
python3 - "$cache/results.json" <<'PY'
import json, sys
results = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
base = results.get("shipshape check")
print()
for name, mean in results.items():
    ratio = f"  ({mean / base:.1f}x shipshape check)" if base and name != "shipshape check" else ""
    print(f"{name:34} {mean * 1000:9.1f} ms{ratio}")
PY
