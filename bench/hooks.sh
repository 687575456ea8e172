# shellcheck shell=bash disable=SC2154
# Sourced by bench/run.sh: the commit-msg and pre-push hooks (uses root, dir, repo, out, hf,
# ratio, peak, pair; cwd = repo).
echo "== hooks"
msg="$dir/msg.txt"
printf 'fix(proxy): handle empty bodies\n\nBody text.\n\nSigned-off-by: A <a@example.com>\n' > "$msg"
hf --export-json "$out/hook.json" \
  -n "git rev-parse HEAD" "git rev-parse HEAD" \
  -n "hook commit-msg" "git-carto hook commit-msg $msg" \
  -n "git-carto-commit-msg" "git-carto-commit-msg $msg"
ratio "$out/hook.json" "hook commit-msg" "git rev-parse HEAD"
ratio "$out/hook.json" "git-carto-commit-msg" "git rev-parse HEAD"
peak git-carto hook commit-msg "$msg"

# git commit with and without the installed hooks, in a shared clone so the
# benchmark repository itself is left alone: the hooks as `git carto hooks
# install` writes them (commit-msg a link to git-carto-commit-msg), and the shell shim
# as people copy it by hand.
clone="$dir/commit-clone"
[ -d "$clone" ] || git clone --quiet --shared "$repo" "$clone"
# Every run commits: without this, `git gc --auto` starts in the background
# once loose objects pile up, and its pack-refs locks the branch a commit is
# moving (exit 128) or takes a core from the measured commits.
git -C "$clone" config gc.auto 0
git -C "$clone" config maintenance.auto false
rm -rf "$dir/no-hooks" "$dir/with-hooks" "$dir/shim-hooks" "$dir/true-hooks"
mkdir -p "$dir/no-hooks" "$dir/shim-hooks" "$dir/true-hooks"
# The floor any hook pays: git forks itself and execs the hook even when it
# does nothing (/bin/true). `type -P`, not `command -v`: the latter names the
# shell builtin ("true"), and a link to that dangles, so git runs no hook at
# all and the floor reads as free.
ln -s "$(type -P true)" "$dir/true-hooks/commit-msg"
[ -x "$dir/true-hooks/commit-msg" ] || { echo "no true(1) to use as the floor hook" >&2; exit 1; }
cp "$root/hooks/commit-msg" "$dir/shim-hooks/commit-msg"
chmod +x "$dir/shim-hooks/commit-msg"
(
  cd "$clone" || exit
  git config user.name bench && git config user.email bench@example.com
  git -c core.hooksPath="$dir/with-hooks" carto --quiet hooks install
  echo "   installed: commit-msg -> $(readlink "$dir/with-hooks/commit-msg")"
  hyperfine --shell=none --warmup 3 --min-runs 30 --style basic --export-json "$out/commit.json" \
    -n "git commit (no hook)" "git -c core.hooksPath=$dir/no-hooks commit -q --allow-empty -m 'fix: bench'" \
    -n "git commit (hook)" "git -c core.hooksPath=$dir/with-hooks commit -q --allow-empty -m 'fix: bench'" \
    -n "git commit (shim)" "git -c core.hooksPath=$dir/shim-hooks commit -q --allow-empty -m 'fix: bench'"
  ratio "$out/commit.json" "git commit (hook)" "git commit (no hook)"
  ratio "$out/commit.json" "git commit (shim)" "git commit (no hook)"
  pair "git commit with the hook vs none (generated)" --runs 40 \
    -- git -c core.hooksPath="$dir/with-hooks" commit -q --allow-empty -m 'fix: bench' \
    -- git -c core.hooksPath="$dir/no-hooks" commit -q --allow-empty -m 'fix: bench'
  pair "git commit, /bin/true as the hook vs none (generated)" --runs 40 \
    -- git -c core.hooksPath="$dir/true-hooks" commit -q --allow-empty -m 'fix: bench' \
    -- git -c core.hooksPath="$dir/no-hooks" commit -q --allow-empty -m 'fix: bench'
  pair "git commit, the hook vs /bin/true as the hook (generated)" --runs 40 \
    -- git -c core.hooksPath="$dir/with-hooks" commit -q --allow-empty -m 'fix: bench' \
    -- git -c core.hooksPath="$dir/true-hooks" commit -q --allow-empty -m 'fix: bench'
  git reset -q --hard "$(git rev-parse origin/HEAD)"
)

# pre-push of ~50k upstream commits to the mirror branch.
old=$(git rev-parse main~169)
new=$(git rev-parse main)
count=$(git rev-list --count "$old..$new")
echo "   pre-push range: $count commits"
printf 'refs/heads/main %s refs/heads/main %s\n' "$new" "$old" > "$dir/push.txt"
# Through a shell for both, since the hook reads git's ref lines on stdin.
hyperfine --warmup 2 --min-runs 10 --style basic --export-json "$out/prepush.json" \
  -n "git rev-list --count" "git rev-list --count $old..$new < $dir/push.txt" \
  -n "hook pre-push" "git-carto hook pre-push origin $repo < $dir/push.txt"
ratio "$out/prepush.json" "hook pre-push" "git rev-list --count"
