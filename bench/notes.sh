# shellcheck shell=bash
# `bench/run.sh notes`: `cargo xtask notes` over the generated fork's 20k fork
# commits, against `git log --format=%s` over the same range and git-cliff with
# an equivalent grouping config (installed with cargo under $BENCH_DIR/tools).
# Sourced by bench/run.sh (uses root, bin, dir, out, hf, ratio, peak; cwd = repo).

cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p xtask
# git-cliff is compared only when installed (BENCH_CLIFF=1 installs it once:
# a long compile, and not one of issue 11's rows).
cliff="$dir/tools/bin/git-cliff"
[ -x "$cliff" ] || cliff=$(command -v git-cliff || true)
if [ -z "$cliff" ] && [ "${BENCH_CLIFF:-0}" = 1 ]; then
  echo "installing git-cliff 2.14.2 into $dir/tools (once)"
  cargo install --quiet --locked git-cliff --version 2.14.2 --root "$dir/tools"
  cliff="$dir/tools/bin/git-cliff"
fi
[ -n "$cliff" ] || echo "   (git-cliff not installed: BENCH_CLIFF=1 installs it; its rows are skipped)"
cat > "$dir/cliff.toml" <<'TOML'
[changelog]
header = ""
body = """
{% for group, commits in commits | group_by(attribute="group") %}
### {{ group | striptags | trim }}
{% for commit in commits %}
- {% if commit.scope %}**{{ commit.scope }}:** {% endif %}{{ commit.message | split(pat="\n") | first | trim }} ({{ commit.id | truncate(length=7, end="") }}){% endfor %}
{% endfor %}
"""
footer = ""
trim = true

[git]
conventional_commits = true
filter_unconventional = false
split_commits = false
protect_breaking_commits = true
filter_commits = false
topo_order = false
sort_commits = "newest"
commit_parsers = [
  { message = "^Merge", skip = true },
  { message = "^[a-z]+(\\(.*\\))?!:", group = "<!-- 0 -->Breaking Changes" },
  { body = "BREAKING CHANGE", group = "<!-- 0 -->Breaking Changes" },
  { message = "^feat", group = "<!-- 1 -->Features" },
  { message = "^fix", group = "<!-- 2 -->Bug Fixes" },
  { message = "^perf", group = "<!-- 3 -->Performance" },
  { message = "^revert", group = "<!-- 4 -->Reverts" },
  { message = "^refactor", group = "<!-- 5 -->Refactoring" },
  { message = "^docs", group = "<!-- 6 -->Documentation" },
  { message = "^test", group = "<!-- 7 -->Tests" },
  { message = "^build", group = "<!-- 8 -->Build" },
  { message = "^ci", group = "<!-- 9 -->CI" },
  { message = "^chore", group = "<!-- 10 -->Chores" },
  { message = "^style", group = "<!-- 11 -->Style" },
  { message = "^resolve", group = "<!-- 12 -->Conflict Resolutions" },
  { message = ".*", group = "<!-- 13 -->Other" },
]
TOML

# A release-sized range: since the last release, as `cargo xtask notes` does by default.
last=$("$bin/xtask" notes --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["from"])')
echo "== notes since the last release ($last..carto/main)"
hf --export-json "$out/notes-release.json" \
  -n "git log --format=%s" "git log --format=%s $last..carto/main" \
  -n "xtask notes" "$bin/xtask notes $last..carto/main" \
  ${cliff:+-n "git-cliff" "$cliff --config $dir/cliff.toml $last..carto/main"}
ratio "$out/notes-release.json" "xtask notes" "git log --format=%s"
[ -z "$cliff" ] || ratio "$out/notes-release.json" "xtask notes" "git-cliff"

# A 3-commit release (issue 11's row): the fixed cost of the command.
three="$(git rev-parse carto/main~3)..carto/main"
pair "xtask notes of a 3-commit release vs git log (generated)" \
  -- "$bin/xtask" notes "$three" -- git log --format=%s "$three"
peak "$bin/xtask" notes "$three"

# The whole fork: every fork commit since the root (20k by default).
base=$(git rev-list --max-parents=0 carto/main | tail -n1)
range="$base..carto/main"
n_fork=$("$bin/xtask" notes "$range" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["commits"])')
echo "== notes over $range: $(git rev-list --count "$range") commits in range, $n_fork listed (fork, non-merge)"
hf --export-json "$out/notes.json" \
  -n "git log --format=%s" "git log --format=%s $range" \
  -n "xtask notes" "$bin/xtask notes $range"
ratio "$out/notes.json" "xtask notes" "git log --format=%s"
peak "$bin/xtask" notes "$range"
# git-cliff takes minutes over this range: one run, bounded.
if [ -n "$cliff" ]; then
  echo "  git-cliff, one run (bounded at ${CLIFF_TIMEOUT:-2400} s):"
  /usr/bin/time -f "  git-cliff: %e s, peak RSS %M KB" timeout "${CLIFF_TIMEOUT:-2400}" \
    "$cliff" --config "$dir/cliff.toml" "$range" >/dev/null || echo "  git-cliff did not finish (timeout or error)"
fi
