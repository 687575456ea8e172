#!/usr/bin/env bash
# Whole-process benchmarks of git-carto against git itself, on generated
# large repositories (see tests/src/bin/carto-gen.rs): the default shape
# (100k commits, 20k tags, commit-graph) and the real-fork shape (32k commits,
# 1k tags, upstream tags 20k commits behind HEAD, no commit-graph). Each
# comparison runs both commands in one hyperfine invocation and prints the
# ratio the issues set as a target, and peak memory. Each row of issue 11's
# table is also measured by bench/pair.py (the two commands alternating,
# medians, our peak memory) and the table is printed at the end.
#
#   bench/run.sh            # all groups
#   bench/run.sh tags       # one group: tags | status | fork | hooks | notes | sync | fork-sync
# BENCH_DIR (default /tmp/carto-bench) keeps the generated repositories between runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
command -v hyperfine >/dev/null || { echo "bench/run.sh needs hyperfine: apt-get install hyperfine" >&2; exit 2; }
cd "$root"
cargo build --release --quiet -p git-carto -p carto-tests --bin git-carto --bin git-carto-commit-msg --bin carto-gen
bin="$root/target/release"
export PATH="$bin:$PATH"
dir=${BENCH_DIR:-/tmp/carto-bench}
repo="$dir/repo"
[ -d "$repo" ] || "$bin/carto-gen" "$repo"
# The real-fork shape, and the same history with a commit-graph written.
fork="$dir/real-fork"
[ -d "$fork" ] || "$bin/carto-gen" "$fork" --shape real-fork
fork_graph="$dir/real-fork-graph"
if [ ! -d "$fork_graph" ]; then
  cp -a "$fork" "$fork_graph"
  git -C "$fork_graph" commit-graph write --reachable
fi
out="$dir/results"
mkdir -p "$out"
groups=${*:-tags status fork hooks notes sync fork-sync squash}
table="$out/table.tsv"
: > "$table"

# pair <row name> [--runs N] [--warmup N] [--prepare CMD] -- <ours...> -- <git's...>
pair() { python3 "$root/bench/pair.py" "$table" "$@"; }

# ratio <json> <name-of-ours> <name-of-git>: mean(ours)/mean(git)
ratio() {
  python3 - "$@" <<'PY'
import json, sys
data = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
ours, base = data[sys.argv[2]], data[sys.argv[3]]
print(f"  ratio {sys.argv[2]} / {sys.argv[3]} = {ours / base:.2f}  ({ours*1000:.1f} ms vs {base*1000:.1f} ms)")
PY
}

# peak <cmd...>: maximum resident set size of one run
peak() {
  /usr/bin/time -o "$out/peak.txt" -f '%M' "$@" >/dev/null 2>&1 || true
  echo "  peak RSS of '$*': $(( $(tail -n1 "$out/peak.txt") / 1024 )) MB"
}

cd "$repo"
latest=$(git carto next-tag --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["upstream"])')
hf() { hyperfine --shell=none --warmup 3 --min-runs 20 --style basic "$@"; }

for g in $groups; do
  case $g in
  tags)
    echo "== next-tag over $(git tag | wc -l) tags, $(git rev-list --count --all) commits"
    hf --export-json "$out/tags.json" \
      -n "git tag -l" "git tag -l carto-v*" \
      -n "next-tag --upstream" "git-carto next-tag patch --upstream $latest" \
      -n "next-tag derived" "git-carto next-tag patch"
    ratio "$out/tags.json" "next-tag --upstream" "git tag -l"
    ratio "$out/tags.json" "next-tag derived" "git tag -l"
    peak git-carto next-tag patch --upstream "$latest"
    peak git-carto next-tag patch
    ;;
  status)
    echo "== status (goal <= 4x git status)"
    hf --export-json "$out/status.json" -n "git status" "git status" -n "git carto status" "git-carto status"
    ratio "$out/status.json" "git carto status" "git status"
    peak git-carto status
    pair "status vs git status (generated)" -- git-carto status -- git status
    ;;
  fork)
    (
      cd "$fork"
      echo "== real-fork shape: $(git rev-list --count --all) commits, $(git tag | wc -l) tags, no commit-graph"
      echo "   status (goal <= 2x git status)"
      hf --export-json "$out/fork-status.json" -n "git status" "git status" -n "git carto status" "git-carto status"
      ratio "$out/fork-status.json" "git carto status" "git status"
      peak git-carto status
      pair "status vs git status (real-fork)" -- git-carto status -- git status
      # The first status after a fetch moved the refs it depends on:
      # nothing remembered in .git/carto/mirror and .git/carto/production.
      pair "status, nothing remembered (real-fork)" --runs 20 \
        --prepare "rm -f .git/carto/mirror .git/carto/production" -- git-carto status -- git status
      echo "   next-tag, upstream derived (goal <= 0.25x git tag --merged HEAD)"
      hf --export-json "$out/fork-next-tag.json" \
        -n "git tag --merged HEAD" "git tag --merged HEAD" \
        -n "next-tag derived" "git-carto next-tag patch"
      ratio "$out/fork-next-tag.json" "next-tag derived" "git tag --merged HEAD"
      peak git-carto next-tag patch
      pair "next-tag vs git tag --merged HEAD (real-fork)" \
        -- git-carto next-tag patch -- git tag --merged HEAD
      # The first run after a fetch moved a tip away, or in a fresh clone:
      # nothing remembered in .git/carto/checked, every fork commit checked.
      pair "next-tag, nothing remembered (real-fork)" --runs 15 \
        --prepare "rm -f .git/carto/checked" \
        -- git-carto next-tag patch -- git tag --merged HEAD
    )
    (
      cd "$fork_graph"
      echo "   next-tag with a commit-graph (goal: faster still)"
      hf --export-json "$out/fork-next-tag-graph.json" \
        -n "git tag --merged HEAD" "git tag --merged HEAD" \
        -n "next-tag derived" "git-carto next-tag patch"
      ratio "$out/fork-next-tag-graph.json" "next-tag derived" "git tag --merged HEAD"
      peak git-carto next-tag patch
      pair "next-tag vs git tag --merged HEAD (real-fork, commit-graph)" \
        -- git-carto next-tag patch -- git tag --merged HEAD
    )
    ;;
  *)
    if [ -x "$root/bench/$g.sh" ]; then
      . "$root/bench/$g.sh"
    else
      echo "unknown group $g (tags, status, fork, or bench/<group>.sh)" >&2
    fi
    ;;
  esac
done

# Issue 11's table, from this run.
echo
echo "== issue 11 rows (medians of alternating runs; peak = our peak RSS)"
python3 - "$table" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
print(f"| {'work':<62} | {'ours ms':>8} | {'git ms':>8} | {'ratio':>6} | {'peak MB':>7} |")
print(f"|{'-' * 64}|{'-' * 10}|{'-' * 10}|{'-' * 8}|{'-' * 9}|")
for name, _, _, ours, base, ratio, mb in rows:
    print(f"| {name:<62} | {ours:>8} | {base:>8} | {ratio + 'x':>6} | {mb:>7} |")
PY
