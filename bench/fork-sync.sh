# shellcheck shell=bash disable=SC2154
# `bench/run.sh fork-sync`: `git carto sync` against a plain `git merge` of the
# same upstream release into production, on the real-fork shape, with 42
# files changed on both sides (conflicts). Sourced by bench/run.sh (uses root,
# bin, dir, out, fork, pair; cwd = the generated repository).
#
# Built once under $BENCH_DIR/fork-sync from the real-fork repository:
#   upstream.git  upstream's branches and tags, plus a new release v1.100.2 that
#                 changes litellm/mod0..41.py
#   origin.git    the fork as published: mirror `main`, production `carto/main`
#                 with a fork commit that changes the same 42 files
#   work          a clone of origin.git with the upstream remote fetched
fs="$dir/fork-sync"
if [ ! -d "$fs/work" ]; then
  rm -rf "$fs" && mkdir -p "$fs"
  export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
  export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
  git init --quiet --bare "$fs/upstream.git"
  git -C "$fork" push --quiet "$fs/upstream.git" \
    refs/heads/upstream-main:refs/heads/main \
    'refs/heads/upstream-release/*:refs/heads/release/*' 'refs/tags/v*:refs/tags/v*'
  git clone --quiet --bare "$fork" "$fs/origin.git"
  git -C "$fs/origin.git" for-each-ref --format='delete %(refname)' refs/heads/upstream-main \
    'refs/heads/upstream-release/' | git -C "$fs/origin.git" update-ref --stdin
  # change <bare repo> <parent> <text>: a commit on <parent> changing the 42 files.
  change() {
    local idx="$fs/tmp.index" i blob
    rm -f "$idx"
    GIT_INDEX_FILE=$idx git -C "$1" read-tree "$2"
    for i in $(seq 0 41); do
      blob=$(printf '# %s %s\n' "$3" "$i" | git -C "$1" hash-object -w --stdin)
      printf '100644 %s\tlitellm/mod%s.py\n' "$blob" "$i"
    done | GIT_INDEX_FILE=$idx git -C "$1" update-index --index-info
    GIT_INDEX_FILE=$idx git -C "$1" commit-tree "$(GIT_INDEX_FILE=$idx git -C "$1" write-tree)" \
      -p "$2" -m "$3"
    rm -f "$idx"
  }
  release=$(change "$fs/upstream.git" main "bump: version 1.100.2")
  git -C "$fs/upstream.git" update-ref refs/heads/release/v1.100.2 "$release"
  git -C "$fs/upstream.git" tag -a -m "Release 1.100.2" v1.100.2 "$release"
  prod=$(change "$fs/origin.git" carto/main "feat(proxy): carto changes to 42 upstream files")
  git -C "$fs/origin.git" update-ref refs/heads/carto/main "$prod"
  git clone --quiet "$fs/origin.git" "$fs/work"
  git -C "$fs/work" remote add upstream "$fs/upstream.git"
  git -C "$fs/work" fetch --quiet --tags upstream
  git -C "$fs/work" branch --quiet main origin/main
  unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
fi
# Keep the shapes: every run leaves loose objects, and once there are enough
# `git gc --auto` (after a fetch or a merge) packs them and writes a
# commit-graph into the clone measured without one.
for d in "$fs/work" "$fs/work-graph"; do
  [ -d "$d" ] && git -C "$d" config gc.auto 0 && git -C "$d" config maintenance.auto false
done
rm -rf "$fs/work/.git/objects/info/commit-graph" "$fs/work/.git/objects/info/commit-graphs"
(
  cd "$fs/work" || exit
  prod=$(git rev-parse refs/remotes/origin/carto/main)
  mirror=$(git rev-parse refs/remotes/origin/main)
  # Back to before the merge: no merge in progress, no sync state or branch,
  # production and the mirror where origin has them.
  prep="{ git merge --abort 2>/dev/null || true; } && rm -rf .git/carto && git checkout --quiet --force carto/main \
    && git reset --quiet --hard $prod && git update-ref refs/heads/main $mirror \
    && git for-each-ref --format='delete %(refname)' refs/heads/upstream-sync/ | git update-ref --stdin"
  eval "$prep"
  n=$( (git merge --no-edit v1.100.2 >/dev/null 2>&1 || true); git diff --name-only --diff-filter=U | wc -l)
  eval "$prep"
  echo "== sync of upstream v1.100.2 into production, real-fork shape: $n conflicted paths in a plain merge"
  pair "sync vs git merge (real-fork, $n conflicts)" --runs 10 --warmup 1 --prepare "$prep" \
    -- git-carto sync --no-push --no-interactive -- git merge --no-edit v1.100.2
  eval "$prep"
  # The same commits and no network on either side: `git merge` does not
  # fetch, and `sync --no-fetch` merges what the last fetch brought.
  pair "sync --no-fetch vs git merge (real-fork, $n conflicts)" --runs 10 --warmup 1 \
    --prepare "$prep" -- git-carto sync --no-fetch --no-push --no-interactive \
    -- git merge --no-edit v1.100.2
  eval "$prep"
  # What the wiki does by hand, which is what sync replaces: both fetches,
  # then the merge. A sync fetches before it merges; `git merge` alone does not.
  by_hand="git fetch --quiet --tags upstream && git fetch --quiet origin && git merge --no-edit v1.100.2"
  pair "sync vs fetch both + git merge (real-fork, $n conflicts)" --runs 10 --warmup 1 \
    --prepare "$prep" -- git-carto sync --no-push --no-interactive -- sh -c "$by_hand"
  eval "$prep"
  # The same with a commit-graph (`git carto doctor`'s advice): git's walks
  # read it, and carto asks git for its merge bases and counts then.
  graph="$fs/work-graph"
  if [ ! -d "$graph" ]; then
    cp -a "$fs/work" "$graph"
    git -C "$graph" commit-graph write --reachable
  fi
  (
    cd "$graph" || exit
    eval "$prep"
    pair "sync vs git merge (real-fork, $n conflicts, commit-graph)" --runs 10 --warmup 1 \
      --prepare "$prep" -- git-carto sync --no-push --no-interactive -- git merge --no-edit v1.100.2
    eval "$prep"
    pair "sync --no-fetch vs git merge (real-fork, $n conflicts, commit-graph)" --runs 10 \
      --warmup 1 --prepare "$prep" -- git-carto sync --no-fetch --no-push --no-interactive \
      -- git merge --no-edit v1.100.2
    eval "$prep"
    pair "sync vs fetch both + git merge (real-fork, $n conflicts, commit-graph)" --runs 10 \
      --warmup 1 --prepare "$prep" -- git-carto sync --no-push --no-interactive -- sh -c "$by_hand"
    eval "$prep"
  )
  git-carto sync --no-push --no-interactive --json > "$out/fork-sync.json" 2>"$out/fork-sync.err" || true
  python3 - "$out/fork-sync.json" "$out/fork-sync.err" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(f"  git carto sync: {', '.join(f'{k}={v}' for k, v in d.items() if isinstance(v, (str, int, bool)))}"[:400])
except Exception:
    print("  git carto sync did not print JSON:", open(sys.argv[2]).read()[:400])
PY
  eval "$prep"
)
