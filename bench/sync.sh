# Group `sync` of bench/run.sh (sourced: uses $dir, $out, hf, ratio, peak).
# A generated merge with 2,000 conflicted paths, all covered by an automatic
# policy (`litellm/**` is `upstream` by default): `git carto sync --resolve`
# against `git checkout --theirs -- <paths> && git add -A` on the same merge.
n=${SYNC_PATHS:-2000}
m="$dir/sync-merge-$n"
if [ ! -d "$m" ]; then
  git init -q -b main "$m"
  (
    cd "$m"
    git config user.name bench && git config user.email bench@example.com
    gen() { # gen <branch> <parent-or-empty> <line-10> <line-25>
      local i l
      echo "commit refs/heads/$1"
      echo "committer bench <bench@example.com> 1700000000 +0000"
      echo "data $(( ${#1} + 1 ))"; echo "$1"
      [ -n "$2" ] && echo "from $2"
      for ((i = 0; i < n; i++)); do
        echo "M 100644 inline litellm/mod$((i % 50))/file$i.py"
        body=$(for ((l = 1; l <= 30; l++)); do
          case $l in 10) echo "$3 $i";; 25) echo "$4 $i";; *) echo "line $l of file $i";; esac
        done)
        echo "data $(( ${#body} + 1 ))"; echo "$body"
      done
      echo
    }
    { gen base "" "line 10 of file" "line 25 of file"
      gen main refs/heads/base "upstream 10 of file" "line 25 of file"
      gen fork refs/heads/base "fork 10 of file" "fork 25 of file"
    } | git fast-import --quiet
    git reset -q --hard main
  )
fi
cd "$m"
prep="git reset -q --hard main && rm -f .git/carto/sync.json && (git merge -q fork >/dev/null 2>&1 || true) && git diff --name-only --diff-filter=U > ../paths-$n"
eval "$prep"
echo "== sync --resolve over $(wc -l < ../paths-$n) conflicted paths"
# -i: a sync that leaves paths for a person exits 1 (counted below).
hyperfine -i --warmup 1 --min-runs 10 --style basic --export-json "$out/sync.json" \
  --prepare "$prep" \
  -n "git checkout --theirs && git add -A" "git checkout --theirs --pathspec-from-file=../paths-$n && git add -A" \
  -n "git carto sync --resolve" "git-carto sync --resolve --no-interactive"
ratio "$out/sync.json" "git carto sync --resolve" "git checkout --theirs && git add -A"
eval "$prep"
peak git-carto sync --resolve --no-interactive
eval "$prep"
git-carto sync --resolve --no-interactive --json > "$out/sync-resolved.json" || true
python3 - "$out/sync-resolved.json" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(f"  resolved by policy: {len(d['by_policy'])}, left: {len(d['left'])}")
except (ValueError, KeyError) as e:
    print(f"  git carto sync --resolve --json printed no result ({e})")
PY
cd "$repo"
