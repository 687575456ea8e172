//! Line-level helpers of the checks: conflict markers, line ranges, lines a result dropped.

use super::*;

/// Conflict-marker lines: seven or more `<`, `>` or `|` at line start followed
/// by a space or the end of the line, and `=======` only between a `<<<<<<<`
/// and its `>>>>>>>` (a Markdown heading underline is not a marker). Lines
/// that either side already had verbatim are the file's own content.
pub fn conflict_markers(text: &str, sides: &[Option<String>]) -> Vec<(usize, String)> {
    let known: HashSet<&str> = sides.iter().flatten().flat_map(|s| s.lines()).collect();
    let is_marker = |line: &str, c: char| {
        let n = line.chars().take_while(|&x| x == c).count();
        n >= 7
            && line[n..]
                .chars()
                .next()
                .is_none_or(|x| x == ' ' || x == '\r')
    };
    let mut out = Vec::new();
    let mut open = false;
    for (i, line) in text.lines().enumerate() {
        let marker = if is_marker(line, '<') {
            open = true;
            true
        } else if is_marker(line, '>') {
            open = false;
            true
        } else {
            open && (is_marker(line, '=') || is_marker(line, '|'))
        };
        if marker && !known.contains(line) {
            out.push((i + 1, line.chars().take(7).collect()));
        }
    }
    out
}

/// Group line numbers into ranges for display: `3-5, 9`.
pub fn ranges(lines: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut sorted: Vec<usize> = lines.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(", ")
}

/// Lines of `other` (1-based) that its side added relative to `base` and that
/// `result` does not have: the other side's changes a resolution dropped.
pub fn dropped_lines(base: &str, other: &str, result: &str) -> Vec<usize> {
    let added: BTreeSet<usize> = similar::TextDiff::from_lines(base, other)
        .ops()
        .iter()
        .filter(|op| op.tag() != similar::DiffTag::Equal)
        .flat_map(|op| op.new_range())
        .collect();
    let diff = similar::TextDiff::from_lines(other, result);
    let mut gone = BTreeMap::new();
    for op in diff.ops() {
        if matches!(
            op.tag(),
            similar::DiffTag::Delete | similar::DiffTag::Replace
        ) {
            for i in op.old_range() {
                gone.insert(i, ());
            }
        }
    }
    added
        .into_iter()
        .filter(|i| gone.contains_key(i))
        .map(|i| i + 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_underlines_are_not_markers() {
        let md = "Title\n=======\n\ntext\n";
        assert!(conflict_markers(md, &[]).is_empty());
        let c = "a\n<<<<<<< upstream side\nx\n=======\ny\n>>>>>>> fork side\n";
        let found: Vec<usize> = conflict_markers(c, &[]).into_iter().map(|m| m.0).collect();
        assert_eq!(found, vec![2, 4, 6]);
        let long = "<<<<<<<< HEAD:a\nx\n========\ny\n>>>>>>>> b\n";
        assert_eq!(conflict_markers(long, &[]).len(), 3);
        // A file that legitimately contains marker-like lines on a side.
        let own = "<<<<<<< example\n";
        assert!(conflict_markers(own, &[Some(own.to_string())]).is_empty());
        assert!(conflict_markers("<<<<<<<<<<x\n", &[]).is_empty());
    }

    #[test]
    fn ranges_and_dropped_lines() {
        assert_eq!(ranges(&[9, 3, 4, 5]), "3-5, 9");
        let base = "a\nb\nc\n";
        let up = "a\nB\nc\nd\n";
        let result = "a\nb-fork\nc\nd\n";
        assert_eq!(dropped_lines(base, up, result), vec![2]);
    }
}
