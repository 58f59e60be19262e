//! Where an edited text differs from its original: the byte ranges the engine spliced.
//!
//! Promises: outside the listed ranges the two texts are byte for byte the same (the verifier
//! checks exactly that for every edit), so a reader such as the diff printer only needs to
//! look inside them. Ranges are sorted and do not overlap; they may touch. Refuses nothing:
//! a range list is data, and a consumer that finds the promise broken falls back to
//! comparing whole texts.

use std::ops::Range;

/// One replaced region: `old` bytes of the original became `new` bytes of the edited text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub old: Range<usize>,
    pub new: Range<usize>,
}

/// The changes of `first` (text 0 → text 1) followed by `then` (text 1 → text 2), as changes
/// from text 0 to text 2. Regions of text 1 that overlap or touch become one region. Linear
/// in the number of changes.
pub fn compose(first: &[Change], then: &[Change]) -> Vec<Change> {
    // Both lists are sorted in text-1 coordinates (`first` by `new`, `then` by `old`).
    let mut out = Vec::with_capacity(first.len() + then.len());
    let (mut i, mut j) = (0, 0);
    // Length differences of the regions already passed (text 1 − text 0, text 2 − text 1).
    let (mut shift_first, mut shift_then) = (0isize, 0isize);
    while i < first.len() || j < then.len() {
        let take_first =
            j == then.len() || (i < first.len() && first[i].new.start <= then[j].old.start);
        let mut region = if take_first {
            first[i].new.clone()
        } else {
            then[j].old.clone()
        };
        let (mut grow_first, mut grow_then) = (0isize, 0isize);
        // Absorb every range of either list that overlaps or touches the region.
        loop {
            if i < first.len() && first[i].new.start <= region.end {
                region.end = region.end.max(first[i].new.end);
                grow_first += len(&first[i].new) - len(&first[i].old);
                i += 1;
            } else if j < then.len() && then[j].old.start <= region.end {
                region.end = region.end.max(then[j].old.end);
                grow_then += len(&then[j].new) - len(&then[j].old);
                j += 1;
            } else {
                break;
            }
        }
        // Region boundaries lie outside every other change, so the shifts never cross zero.
        let at = |offset: usize, shift: isize| offset.saturating_add_signed(shift);
        out.push(Change {
            old: at(region.start, -shift_first)..at(region.end, -(shift_first + grow_first)),
            new: at(region.start, shift_then)..at(region.end, shift_then + grow_then),
        });
        shift_first += grow_first;
        shift_then += grow_then;
    }
    out
}

fn len(range: &Range<usize>) -> isize {
    // Ranges index texts of at most `MAX_FILE_SIZE` bytes, far below `isize::MAX`.
    range.len() as isize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn splice(text: &str, changes: &[(Range<usize>, &str)]) -> (String, Vec<Change>) {
        let mut out = String::new();
        let mut cursor = 0;
        let mut list = Vec::new();
        for (range, with) in changes {
            out.push_str(&text[cursor..range.start]);
            let start = out.len();
            out.push_str(with);
            list.push(Change {
                old: range.clone(),
                new: start..out.len(),
            });
            cursor = range.end;
        }
        out.push_str(&text[cursor..]);
        (out, list)
    }

    /// Outside the composed ranges the first and last texts agree, and inside each range the
    /// last text holds what the two rounds made of it.
    fn check(t0: &str, a: &[(Range<usize>, &str)], b: &[(Range<usize>, &str)]) {
        let (t1, first) = splice(t0, a);
        let (t2, then) = splice(&t1, b);
        let composed = compose(&first, &then);
        let mut rebuilt = String::new();
        let mut cursor = 0;
        for c in &composed {
            rebuilt.push_str(&t0[cursor..c.old.start]);
            rebuilt.push_str(&t2[c.new.clone()]);
            cursor = c.old.end;
        }
        rebuilt.push_str(&t0[cursor..]);
        assert_eq!(rebuilt, t2, "{composed:?}");
        assert!(composed.windows(2).all(|w| w[0].old.end <= w[1].old.start));
    }

    #[test]
    fn composes_disjoint_nested_and_touching_rounds() {
        let t0 = "alpha\nbeta\ngamma\ndelta\n";
        check(t0, &[(6..10, "BETA!")], &[(0..5, "A"), (18..18, "x")]);
        check(t0, &[(6..10, "BETA!")], &[(7..8, "")]);
        check(t0, &[(6..10, "")], &[(6..6, "new\n"), (6..11, "")]);
        check(t0, &[(0..0, "top\n"), (23..23, "end\n")], &[(4..6, "")]);
        check(t0, &[], &[(3..9, "?")]);
        check(t0, &[(11..17, "")], &[]);
        check(t0, &[(2..3, "zz"), (8..9, "")], &[(3..9, "-")]);
    }
}
