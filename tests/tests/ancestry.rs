//! Merge bases and ahead/behind counts (`repo::bases`) and ranges
//! (`repo::range`) on generated histories against the truth (ancestor sets computed here) and against git
//! itself: criss-cross merges, unrelated roots, clock skew, with and without
//! a commit-graph, and commits newer than the graph.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use carto_tests::{Fixture, Run};
use git2::Oid;
use git_carto::repo::git::Git;

/// A deterministic generator (no dependency for a few random numbers).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// A history of `n` commits: mostly chains, some merges of two earlier
/// commits (criss-crosses among them), a few new roots. `skew` moves some
/// commit dates far back, below their parents'.
fn shape(seed: u64, n: usize, skew: bool) -> (Vec<Vec<usize>>, Vec<i64>) {
    let mut rng = Lcg(seed);
    let mut parents = Vec::new();
    let mut dates = Vec::new();
    for i in 0..n {
        let mut p = Vec::new();
        if i > 0 && rng.below(12) != 0 {
            p.push(i - 1 - rng.below(i.min(6)));
            if rng.below(3) == 0 {
                let other = rng.below(i);
                if !p.contains(&other) {
                    p.push(other);
                }
            }
        }
        parents.push(p);
        let mut date = 1_700_000_000 + 100 * i as i64;
        if skew && rng.below(5) == 0 {
            date -= 5_000 + rng.below(20_000) as i64;
        }
        dates.push(date);
    }
    (parents, dates)
}

/// Import commits `range` of the shape with `git fast-import`, each on its
/// own branch `c<i>`; returns their ids.
fn import(repo: &Path, parents: &[Vec<usize>], dates: &[i64], range: std::ops::Range<usize>) {
    let mut stream = String::new();
    for i in range {
        stream.push_str(&format!(
            "commit refs/heads/c{i}\nmark :{}\ncommitter T <t@example.com> {} +0000\n\
             data 2\nc\n",
            i + 1,
            dates[i]
        ));
        for (k, p) in parents[i].iter().enumerate() {
            let kind = if k == 0 { "from" } else { "merge" };
            stream.push_str(&format!("{kind} refs/heads/c{p}\n"));
        }
        stream.push_str(&format!(
            "deleteall\nM 644 inline f\ndata {}\n{i}\n\n",
            format!("{i}\n").len()
        ));
    }
    let mut import = Command::new("git");
    import.args(["fast-import", "--quiet"]).current_dir(repo);
    Run::with_input(&mut import, &stream).ok();
}

fn ancestors(parents: &[Vec<usize>]) -> Vec<BTreeSet<usize>> {
    let mut all: Vec<BTreeSet<usize>> = Vec::new();
    for (i, ps) in parents.iter().enumerate() {
        let mut set = BTreeSet::from([i]);
        for &p in ps {
            set.extend(all[p].iter().copied());
        }
        all.push(set);
    }
    all
}

/// The commit ids a git command prints, a line each.
fn git_ids(repo: &Path, args: &[&str]) -> Vec<Oid> {
    let out = Command::new("git")
        .args(args)
        .current_dir(repo)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| Oid::from_str(l).unwrap())
        .collect()
}

/// `prefetch`: the walks take the headers helpers read ahead from the packs
/// (as a sync does), checked here against the same truth.
fn check(seed: u64, skew: bool, graph: bool, prefetch: bool) {
    let fx = Fixture::new();
    let repo = fx.path(&format!("h{seed}"));
    std::fs::create_dir_all(&repo).unwrap();
    fx.git(&repo, &["init", "-q"]);
    let n = 70;
    let (parents, dates) = shape(seed, n, skew);
    import(&repo, &parents, &dates, 0..50);
    if graph {
        fx.git(&repo, &["commit-graph", "write", "--reachable"]);
    }
    // Newer than the graph, if any: walks mix graph and object reads.
    import(&repo, &parents, &dates, 50..n);
    let refs = fx.git(
        &repo,
        &["for-each-ref", "--format=%(refname:short) %(objectname)"],
    );
    let mut ids = vec![Oid::ZERO_SHA1; n];
    for line in refs.lines() {
        let (name, id) = line.split_once(' ').unwrap();
        ids[name[1..].parse::<usize>().unwrap()] = Oid::from_str(id).unwrap();
    }
    let anc = ancestors(&parents);
    let git = Git::discover(&repo).unwrap();
    if prefetch {
        // The first import is packed, every commit whole; the second one is
        // too small for a pack (fastimport.unpackLimit), so its commits are
        // loose: the walks read those themselves.
        let packed: BTreeSet<Oid> = git.packed_commits().into_iter().collect();
        let first: BTreeSet<Oid> = ids[..50].iter().copied().collect();
        assert_eq!(packed, first, "seed {seed}: the packed commits");
        assert_eq!(git.packed_commits().len(), 50, "seed {seed}: each once");
        git.prefetch_headers();
    }
    let mut rng = Lcg(seed ^ 0xabcdef);
    for _ in 0..60 {
        let (a, b) = (rng.below(n), rng.below(n));
        let what = format!("seed {seed} skew {skew} graph {graph}: c{a} c{b}");
        let common: BTreeSet<usize> = anc[a].intersection(&anc[b]).copied().collect();
        let best: BTreeSet<usize> = common
            .iter()
            .copied()
            .filter(|&c| !common.iter().any(|&d| d != c && anc[d].contains(&c)))
            .collect();
        let ours = git.merge_bases(ids[a], ids[b]);
        let as_index: BTreeSet<usize> = ours
            .iter()
            .map(|o| ids.iter().position(|i| i == o).unwrap())
            .collect();
        assert_eq!(as_index, best, "merge bases, {what}");
        let gits = git_ids(
            &repo,
            &[
                "merge-base",
                "--all",
                &ids[a].to_string(),
                &ids[b].to_string(),
            ],
        );
        assert_eq!(ours, gits, "git's merge bases in git's order, {what}");
        // Without generation numbers a count is bounded by dates, as git's
        // and libgit2's are: exact only where dates do not go backwards.
        if !skew || graph {
            let truth = (
                anc[a].difference(&anc[b]).count(),
                anc[b].difference(&anc[a]).count(),
            );
            // The first reads the marks the merge-base walk left, the
            // other way round; the second walks afresh.
            let reversed = git.ahead_behind(ids[b], ids[a]).unwrap();
            assert_eq!(
                (reversed.1, reversed.0),
                truth,
                "counts after the walk, {what}"
            );
            assert_eq!(
                git.ahead_behind(ids[a], ids[b]).unwrap(),
                truth,
                "counts, {what}"
            );
            // The range walk (`git rev-list --date-order a ^b ^c`): the
            // commits a reaches and neither b nor c does, in git's order.
            let c = rng.below(n);
            let mut truth: BTreeSet<usize> = anc[a].difference(&anc[b]).copied().collect();
            truth.retain(|x| !anc[c].contains(x));
            let ours = git.walk(ids[a], &[ids[b], ids[c]]).unwrap();
            let as_index: BTreeSet<usize> = ours
                .iter()
                .map(|o| ids.iter().position(|i| i == o).unwrap())
                .collect();
            assert_eq!(as_index, truth, "range c{a} ^c{b} ^c{c}, {what}");
            let (hide_b, hide_c) = (format!("^{}", ids[b]), format!("^{}", ids[c]));
            let range = [
                "rev-list",
                "--date-order",
                &ids[a].to_string(),
                &hide_b,
                &hide_c,
            ];
            let gits = git_ids(&repo, &range);
            assert_eq!(
                ours, gits,
                "git's range in git's order, c{a} ^c{b} ^c{c}, {what}"
            );
        }
    }
}

#[test]
fn merge_bases_and_counts_match_the_history_without_a_commit_graph() {
    for seed in 1..=4 {
        check(seed, false, false, seed % 2 == 0);
        check(seed, true, false, seed % 2 == 1);
    }
}

#[test]
fn merge_bases_and_counts_match_the_history_with_a_commit_graph() {
    for seed in 5..=8 {
        check(seed, false, true, false);
        check(seed, true, true, false);
    }
}
