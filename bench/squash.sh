# shellcheck shell=bash disable=SC2154
# `bench/run.sh squash` (issue 13): a sync after an earlier sync was
# squash-merged. Upstream 1.1.0 and 1.2.0 both change line 10 of $SQUASH_PATHS
# files (default 900); production got 1.1.0 as one squash commit (its message
# keeps the `Carto-Upstream:` trailer) and customizes line 25 of 40 of them
# and line 10 of 10. A plain `git merge v1.2.0-stable` uses the six-month-old
# base and conflicts on every file; `git carto sync` merges against 1.1.0 and
# meets only the 10 true conflicts (held for a person: fork-only lines).
#   sync       `git carto sync --no-push` vs `git merge v1.2.0-stable` (goal <= 1.5x)
#   forecast   `git carto sync --dry-run` vs `git merge-tree --write-tree` (goal <= 2x)
# Sourced by bench/run.sh (uses dir, out, ratio, peak, pair); cwd is restored.
n=${SQUASH_PATHS:-900}
s="$dir/squash-$n"
if [ ! -d "$s/work" ]; then
  rm -rf "$s" && mkdir -p "$s"
  python3 - "$s/stream" "$n" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
out = open(path, "w")
mark = 0
def blob_lines(i, l10, l25):
    return "".join(
        (f"{l10} {i}\n" if l == 10 else f"{l25} {i}\n" if l == 25 else f"line {l} of file {i}\n")
        for l in range(1, 31))
def commit(ref, msg, parent, files, t, merge=None):
    out.write(f"commit {ref}\ncommitter bench <bench@example.com> {t} +0000\n")
    data = msg.encode()
    out.write(f"data {len(data)}\n{msg}\n")
    if parent:
        out.write(f"from {parent}\n")
    if merge:
        out.write(f"merge {merge}\n")
    for p, body in files:
        b = body.encode()
        out.write(f"M 100644 inline {p}\ndata {len(b)}\n{body}\n")
    out.write("\n")
names = [f"litellm/mod{i % 30}/file{i}.py" for i in range(n)]
extra = [f"litellm/own{i}.py" for i in range(100)]
t = 1700000000
# Upstream: 1.0.0 (base), 1.1.0, 1.2.0 on one line.
commit("refs/heads/main", "chore: release 1.0.0",
       None, [(p, blob_lines(i, "line 10 of file", "line 25 of file")) for i, p in enumerate(names)]
       + [(p, "x\n") for p in extra] + [("pyproject.toml", 'version = "1.0.0"\n')], t)
out.write(f"reset refs/tags/v1.0.0-stable\nfrom refs/heads/main\n\n")
commit("refs/heads/main", "chore: release 1.1.0", None,
       [(p, blob_lines(i, "upstream 1.1.0 line 10 of file", "line 25 of file")) for i, p in enumerate(names)]
       + [("pyproject.toml", 'version = "1.1.0"\n')], t + 100)
out.write("reset refs/tags/v1.1.0-stable\nfrom refs/heads/main\n\n")
commit("refs/heads/main", "chore: release 1.2.0", None,
       [(p, blob_lines(i, "upstream 1.2.0 line 10 of file", "line 25 of file")) for i, p in enumerate(names)]
       + [("pyproject.toml", 'version = "1.2.0"\n')], t + 200)
out.write("reset refs/tags/v1.2.0-stable\nfrom refs/heads/main\n\n")
# The fork: production from 1.0.0, 40 customizations, then 1.1.0 squashed in.
out.write("reset refs/heads/carto/main\nfrom refs/tags/v1.0.0-stable\n\n")
custom = set(range(0, n, max(1, n // 40)))
# A few customizations sit on the line upstream changes: the true conflicts.
true_conflicts = set(range(1, n, max(1, n // 10)))
def l10(i, upstream):
    return "CARTO line 10 of file" if i in true_conflicts else upstream
commit("refs/heads/carto/main", "feat: fork customizations", "refs/tags/v1.0.0-stable",
       [(names[i], blob_lines(i, l10(i, "line 10 of file"),
                              "CARTO line 25 of file" if i in custom else "line 25 of file"))
        for i in sorted(custom | true_conflicts)], t + 150)
commit("refs/heads/carto/main",
       "Upstream sync 1.1.0 (#12)\n\n* Merge branch 'carto/main' into upstream-sync/v1.1.0\n\n"
       "Carto-Upstream: v1.1.0-stable refs/tags/v1.1.0-stable\n",
       None,
       [(p, blob_lines(i, l10(i, "upstream 1.1.0 line 10 of file"),
                       "CARTO line 25 of file" if i in custom else "line 25 of file"))
        for i, p in enumerate(names)] + [("pyproject.toml", 'version = "1.1.0"\n')], t + 300)
out.close()
PY
  git init -q --bare "$s/upstream.git"
  git -C "$s/upstream.git" fast-import --quiet < "$s/stream"
  # The trailer names the 1.1.0 commit by id, as `git carto sync` writes it.
  id=$(git -C "$s/upstream.git" rev-parse 'v1.1.0-stable^{commit}')
  git init -q --bare "$s/origin.git"
  git -C "$s/upstream.git" push -q "$s/origin.git" main~1:refs/heads/main carto/main:refs/heads/carto/main
  git -C "$s/upstream.git" branch -q -D carto/main
  git clone -q -b carto/main "$s/origin.git" "$s/work"
  (
    cd "$s/work" || exit 1
    git config user.name bench && git config user.email bench@example.com
    git branch -q main origin/main
    # Rewrite the squash message's trailer with the real commit id.
    msg=$(git log -1 --format=%B | sed "s|refs/tags/v1.1.0-stable|$id|")
    git commit -q --amend --no-verify -m "$msg"
    git push -q -f origin carto/main
    git remote add upstream "file://$s/upstream.git"
    git fetch -q --tags upstream
  )
fi
(
  cd "$s/work" || exit 1
  prod=$(git rev-parse carto/main)
  mirror=$(git rev-parse main)
  reset="{ git merge --abort; git checkout -q -f carto/main; git reset -q --hard $prod; git update-ref refs/heads/main $mirror; git branch -q -D upstream-sync/v1.2.0; rm -rf .git/carto; } 2>/dev/null || true"
  eval "$reset"
  plain=$(git merge-tree --write-tree --name-only carto/main v1.2.0-stable | sed -n '2,/^$/p' | grep -c . || true)
  echo "== sync after a squash-merged sync: $n upstream paths, $plain conflicted paths with git's own base"
  hyperfine -i --warmup 1 --min-runs 10 --style basic --export-json "$out/squash.json" \
    --prepare "$reset" \
    -n "git merge" "git merge -q v1.2.0-stable" \
    -n "git carto sync" "git-carto sync --no-push --quiet" || true
  ratio "$out/squash.json" "git carto sync" "git merge"
  pair "sync vs git merge (squash-merged history, $n paths)" --runs 10 --warmup 1 --prepare "$reset" \
    -- git-carto sync --no-push --quiet -- git merge -q v1.2.0-stable
  eval "$reset"
  git-carto sync --no-push --json > "$out/squash-sync.json" || true
  python3 - "$out/squash-sync.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
b = d.get("base") or {}
print(f"  git carto sync: outcome {d['outcome']}, base {b.get('reason')} {b.get('label')}, "
      f"{b.get('plain_merge_conflicts')} conflicts with a plain merge, {len(d['left'])} left for a person")
PY
  eval "$reset"
  peak git-carto sync --no-push --quiet
  eval "$reset"
  echo "   forecast (goal <= 2x git merge-tree --write-tree)"
  hyperfine -i --shell=none --warmup 2 --min-runs 10 --style basic --export-json "$out/squash-forecast.json" \
    -n "git merge-tree" "git merge-tree --write-tree carto/main v1.2.0-stable" \
    -n "git carto sync --dry-run" "git-carto sync --dry-run --quiet" || true
  ratio "$out/squash-forecast.json" "git carto sync --dry-run" "git merge-tree"
  pair "forecast vs git merge-tree (squash-merged history, $n paths)" --runs 20 --warmup 2 \
    -- git-carto sync --dry-run --quiet -- git merge-tree --write-tree carto/main v1.2.0-stable
  peak git-carto sync --dry-run --quiet
)
