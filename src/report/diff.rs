//! Unified diffs of fixes, colored on a terminal.
//!
//! Promises: the same unified diff as a line diff of the two whole texts (`similar`'s Myers,
//! 3 lines of context), in time linear in the file plus the size of the changes. The engine
//! says which byte ranges it spliced ([`Change`]); only the lines around them are diffed, and
//! the lines between are checked to be equal before they are trusted. Refuses nothing: when
//! the ranges are missing or do not hold, the whole texts are diffed.

use std::ops::Range;
use std::path::Path;

use similar::{DiffOp, DiffTag, TextDiff};

use super::{Style, redact};
use crate::document::Change;

/// Lines of context around each change, and the gap below which two hunks merge (twice this).
const CONTEXT: usize = 3;

/// A unified diff between `old` and `new` for `path`, with secrets redacted. `changes`, when
/// known, are the byte ranges outside which the texts are equal.
pub fn unified(
    path: &Path,
    old: &str,
    new: &str,
    changes: Option<&[Change]>,
    secrets: &super::Redactor,
    style: &Style,
) -> String {
    let name = path.display().to_string();
    let old_lines = Lines::new(old);
    let new_lines = Lines::new(new);
    let ops = changes
        .and_then(|changes| ops_around(&old_lines, &new_lines, changes))
        .unwrap_or_else(|| TextDiff::from_lines(old, new).ops().to_vec());
    let mut body = String::new();
    let mut redacted = false;
    for hunk in similar::group_diff_ops(ops, CONTEXT) {
        if hunk.is_empty() {
            continue;
        }
        body.push_str(&paint(&format!("{}\n", header(&hunk)), "36", style));
        for op in &hunk {
            let (tag, old_range, new_range) = op.as_tag_tuple();
            let mut emit = |sign: char, color: &str, line: &str| {
                let shown = redact(line, secrets, style);
                redacted |= shown != line;
                let mut line = format!("{sign}{shown}");
                if !line.ends_with('\n') {
                    line.push_str("\n\\ No newline at end of file\n");
                }
                body.push_str(&paint(&line, color, style));
            };
            match tag {
                DiffTag::Equal => old_range.for_each(|i| emit(' ', "", old_lines.line(i))),
                DiffTag::Delete => old_range.for_each(|i| emit('-', "31", old_lines.line(i))),
                DiffTag::Insert => new_range.for_each(|i| emit('+', "32", new_lines.line(i))),
                DiffTag::Replace => {
                    old_range.for_each(|i| emit('-', "31", old_lines.line(i)));
                    new_range.for_each(|i| emit('+', "32", new_lines.line(i)));
                }
            }
        }
    }
    let mut out = String::new();
    if redacted {
        // A patch with `<redacted>` in it would write the placeholder if applied.
        out.push_str(&paint(
            "# secrets are redacted below: this diff cannot be applied; `--show-secrets` prints a patch\n",
            "1",
            style,
        ));
    }
    out.push_str(&paint(&format!("--- {name}\n"), "1", style));
    out.push_str(&paint(&format!("+++ {name}\n"), "1", style));
    out.push_str(&body);
    out
}

/// The line ops of the whole texts, computed only around `changes`: each change widened to
/// whole lines and `CONTEXT` lines either side, close ones merged, each region diffed alone
/// and the lines between taken as equal. `None` when the changes do not describe the texts.
fn ops_around(old: &Lines<'_>, new: &Lines<'_>, changes: &[Change]) -> Option<Vec<DiffOp>> {
    // Line regions touched by a change, merged when they overlap or touch.
    let mut regions: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for change in changes {
        let valid = |r: &Range<usize>, text: &str| r.start <= r.end && r.end <= text.len();
        if !valid(&change.old, old.text) || !valid(&change.new, new.text) {
            return None;
        }
        let o = old.line_of(change.old.start)..(old.line_of(change.old.end) + 1).min(old.len());
        let n = new.line_of(change.new.start)..(new.line_of(change.new.end) + 1).min(new.len());
        match regions.last_mut() {
            Some((lo, ln)) if o.start <= lo.end || n.start <= ln.end => {
                lo.end = lo.end.max(o.end);
                ln.end = ln.end.max(n.end);
            }
            _ => regions.push((o, n)),
        }
    }
    // Widen by the context; regions whose context meets are diffed together. Between two
    // regions the texts are equal, so the gaps have the same number of lines on both sides.
    let mut widened: Vec<(Range<usize>, Range<usize>)> = Vec::with_capacity(regions.len());
    for (i, (o, n)) in regions.iter().enumerate() {
        let (prev_o, prev_n) = if i == 0 {
            (0, 0)
        } else {
            (regions[i - 1].0.end, regions[i - 1].1.end)
        };
        let gap_before = o.start - prev_o;
        if n.start - prev_n != gap_before {
            return None;
        }
        let gap_after = regions
            .get(i + 1)
            .map_or(old.len() - o.end, |(next, _)| next.start - o.end);
        let before = gap_before.min(CONTEXT);
        let after = gap_after.min(CONTEXT);
        let o = o.start - before..o.end + after;
        let n = n.start - before..n.end + after;
        match widened.last_mut() {
            Some((lo, ln)) if o.start <= lo.end => {
                lo.end = o.end;
                ln.end = n.end;
            }
            _ => widened.push((o, n)),
        }
    }
    if widened
        .last()
        .is_some_and(|(o, n)| old.len() - o.end != new.len() - n.end)
    {
        return None;
    }
    let mut ops = Vec::new();
    let (mut o_at, mut n_at) = (0, 0);
    for (o, n) in &widened {
        // The lines between regions must be the same bytes on both sides.
        if o.start - o_at != n.start - n_at || old.bytes(o_at..o.start) != new.bytes(n_at..n.start)
        {
            return None;
        }
        push_equal(&mut ops, o_at, n_at, o.start - o_at);
        let diff = TextDiff::from_lines(old.bytes(o.clone()), new.bytes(n.clone()));
        for op in diff.ops() {
            let (tag, a, b) = op.as_tag_tuple();
            let (a, b) = (
                a.start + o.start..a.end + o.start,
                b.start + n.start..b.end + n.start,
            );
            match tag {
                DiffTag::Equal => push_equal(&mut ops, a.start, b.start, a.len()),
                DiffTag::Delete => ops.push(DiffOp::Delete {
                    old_index: a.start,
                    old_len: a.len(),
                    new_index: b.start,
                }),
                DiffTag::Insert => ops.push(DiffOp::Insert {
                    old_index: a.start,
                    new_index: b.start,
                    new_len: b.len(),
                }),
                DiffTag::Replace => ops.push(DiffOp::Replace {
                    old_index: a.start,
                    old_len: a.len(),
                    new_index: b.start,
                    new_len: b.len(),
                }),
            }
        }
        (o_at, n_at) = (o.end, n.end);
    }
    if old.len() - o_at != new.len() - n_at
        || old.bytes(o_at..old.len()) != new.bytes(n_at..new.len())
    {
        return None;
    }
    push_equal(&mut ops, o_at, n_at, old.len() - o_at);
    Some(ops)
}

/// Adds an equal run, joined to the previous one: hunks are split by the length of whole runs.
fn push_equal(ops: &mut Vec<DiffOp>, old_index: usize, new_index: usize, len: usize) {
    if len == 0 {
        return;
    }
    if let Some(DiffOp::Equal { len: previous, .. }) = ops.last_mut() {
        *previous += len;
        return;
    }
    ops.push(DiffOp::Equal {
        old_index,
        new_index,
        len,
    });
}

/// `@@ -a,b +c,d @@` as `similar` writes it (a one-line range without its length, an empty
/// one starting at the line before).
fn header(hunk: &[DiffOp]) -> String {
    let range = |r: Range<usize>| match r.len() {
        1 => format!("{}", r.start + 1),
        0 => format!("{},0", r.start),
        len => format!("{},{len}", r.start + 1),
    };
    let (first, last) = (&hunk[0], &hunk[hunk.len() - 1]);
    format!(
        "@@ -{} +{} @@",
        range(first.old_range().start..last.old_range().end),
        range(first.new_range().start..last.new_range().end)
    )
}

/// A text split into lines the way `similar` splits them: after `\n`, after `\r\n`, after a
/// lone `\r`; the last line may have no terminator.
struct Lines<'a> {
    text: &'a str,
    /// Start of every line, then the text's length.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    i += 1;
                    starts.push(i + 1);
                }
                b'\r' | b'\n' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        if *starts.last().unwrap_or(&0) != bytes.len() {
            starts.push(bytes.len());
        }
        Lines { text, starts }
    }

    /// The number of lines.
    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// The line holding byte `offset`; `len()` for the end of a text that ends with a newline.
    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    fn line(&self, i: usize) -> &'a str {
        &self.text[self.starts[i]..self.starts[i + 1]]
    }

    /// The text of lines `range`.
    fn bytes(&self, range: Range<usize>) -> &'a str {
        &self.text[self.starts[range.start]..self.starts[range.end]]
    }
}

fn paint(text: &str, code: &str, style: &Style) -> String {
    if !style.color || code.is_empty() {
        return text.to_string();
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    let newline = if text.ends_with('\n') { "\n" } else { "" };
    format!("\x1b[{code}m{body}\x1b[0m{newline}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The region diff must print exactly what a whole-text diff prints.
    fn same_as_whole(old: &str, splices: &[(Range<usize>, &str)]) {
        let mut new = String::new();
        let mut changes = Vec::new();
        let mut cursor = 0;
        for (range, text) in splices {
            new.push_str(&old[cursor..range.start]);
            let start = new.len();
            new.push_str(text);
            changes.push(Change {
                old: range.clone(),
                new: start..new.len(),
            });
            cursor = range.end;
        }
        new.push_str(&old[cursor..]);
        let style = Style::default();
        let secrets = super::super::Redactor::new(std::iter::empty::<String>(), std::iter::empty());
        let path = Path::new("compose.yaml");
        let whole = unified(path, old, &new, None, &secrets, &style);
        let around = unified(path, old, &new, Some(&changes), &secrets, &style);
        assert_eq!(around, whole, "old:\n{old}\nnew:\n{new}");
    }

    #[test]
    fn region_diffs_match_whole_text_diffs() {
        let lines: String = (0..40).map(|i| format!("  key{i}: value{i}\n")).collect();
        // Start of line `line` (0-based); the text's length past the last line.
        let at = |line: usize| match line {
            0 => 0,
            _ => lines
                .match_indices('\n')
                .nth(line - 1)
                .map_or(lines.len(), |(i, _)| i + 1),
        };
        same_as_whole(&lines, &[(at(5)..at(5), "  new: 1\n")]);
        same_as_whole(&lines, &[(at(5)..at(6), ""), (at(9)..at(9), "  x: y\n")]);
        same_as_whole(&lines, &[(at(0)..at(0), "top: 1\n"), (at(39)..at(40), "")]);
        same_as_whole(
            &lines,
            &[(at(3) + 2..at(3) + 6, "KEY"), (at(30)..at(30), "a\nb\n")],
        );
        same_as_whole(&lines, &[(at(39) + 2..lines.len(), "end")]);
        same_as_whole("a\nb", &[(3..3, "\nc")]);
        same_as_whole("a\r\nb\r\n", &[(3..3, "x\r\n")]);
        same_as_whole("", &[(0..0, "services: {}\n")]);
    }
}
