//! The invariant behind every write: the edited text must parse, must mean exactly the
//! original value plus the planned changes (checked with an independent parser,
//! `yaml_serde`), must keep every byte outside the splices and every comment outside them.
//!
//! The intended value does not depend on the order of the edits: each addresses the original
//! document, and they apply deepest and last first (by path, descending; at one path the
//! content, then the key's rename, then the removal), so no edit moves what another names.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Deserialize;
use serde::de::DeserializeSeed;
use yaml_serde::Value as Y;

use super::Edit;
use super::plan::Planned;
use super::splice::TextEdit;
use crate::document::Document;
use crate::document::error::EditError;
use crate::document::path::{Path, Segment};
use crate::document::value::scalar_key;

/// Verifies edited texts of one document. The original is loaded on first use and handed to
/// the first verification, which turns it into the intended value (no copy: on a large file
/// a copy costs as much as the load); a later trial, after a failed one, loads it again.
pub(super) struct Verifier<'d> {
    original: &'d Document,
    loaded: RefCell<Option<Vec<Y>>>,
}

impl<'d> Verifier<'d> {
    pub(super) fn new(original: &'d Document) -> Self {
        Verifier {
            original,
            loaded: RefCell::new(None),
        }
    }

    /// Checks `new_text` and returns its parse (the caller may go on editing it).
    pub(super) fn verify(
        &self,
        planned: &[Planned],
        splices: &[TextEdit],
        new_text: &str,
    ) -> Result<Document, EditError> {
        let original = self.original;
        let what = describe(planned);
        let fail = |divergence: String| EditError::Verify {
            edit: what.clone(),
            divergence,
        };
        check_untouched_bytes(&original.text, splices, new_text).map_err(&fail)?;
        self.check_value(planned, new_text).map_err(&fail)?;
        // Parsed only once the loaded values are gone: on a large file the two loads and
        // the parse are each several times the text, and need not be held together.
        let edited = Document::parse(new_text)
            .map_err(|e| fail(format!("the output does not parse: {e}")))?;
        check_comments(original, &edited, splices).map_err(&fail)?;
        Ok(edited)
    }

    /// The edited text loads (with the independent parser) as the original's value with
    /// the planned edits applied.
    fn check_value(&self, planned: &[Planned], new_text: &str) -> Result<(), String> {
        let original = self.original;
        let before = match self.loaded.take() {
            Some(before) => before,
            None => load(&original.text)
                .map_err(|e| format!("cannot load the original for comparison: {e}"))?,
        };
        let mut intended = before;
        if let Some(first) = intended.first_mut() {
            apply_all(first, planned)?;
        }
        compare_loaded(&intended, new_text)
    }
}

/// Loads `new_text` with the independent parser and compares it, document by document, with
/// `intended`. The output is compared while it loads, never built as a value of its own: on a
/// large file that value costs several times the text (see BENCHMARKS.md). The comparison
/// follows `yaml_serde::Value`'s own deserialization call for call, so it accepts exactly the
/// texts whose loaded value equals `intended`.
fn compare_loaded(intended: &[Y], new_text: &str) -> Result<(), String> {
    let mut count = 0;
    for document in yaml_serde::Deserializer::from_str(new_text) {
        let Some(want) = intended.get(count) else {
            serde::de::IgnoredAny::deserialize(document)
                .map_err(|e| format!("the output does not load: {e}"))?;
            count += 1;
            continue;
        };
        count += 1;
        let state = RefCell::new(Compared::default());
        let result = Expect {
            want,
            state: &state,
        }
        .deserialize(document);
        let state = state.into_inner();
        if let Some(at) = state.difference {
            return Err(format!(
                "document {count} differs from the intended value at {at}"
            ));
        }
        result.map_err(|e| format!("the output does not load: {e}"))?;
    }
    if count != intended.len() {
        return Err(format!(
            "the file had {} documents and now has {count}",
            intended.len()
        ));
    }
    Ok(())
}

/// Where the comparison is, and the first place where the output differs. The path holds
/// the loaded keys themselves (moved in, no text per node): it is spelled out only for the
/// message.
#[derive(Default)]
struct Compared {
    path: Vec<Step>,
    difference: Option<String>,
}

enum Step {
    Key(Y),
    Index(usize),
}

impl Compared {
    fn spelled(&self) -> String {
        if self.path.is_empty() {
            return "<root>".to_string();
        }
        let parts: Vec<String> = self
            .path
            .iter()
            .map(|step| match step {
                Step::Key(key) => scalar_key(key),
                Step::Index(i) => format!("[{i}]"),
            })
            .collect();
        parts.join(".")
    }
}

/// Deserializes one value of the output and checks that it equals `want`, as
/// `yaml_serde::Value`'s visitor would build it (same calls, same leaf values).
struct Expect<'w, 's> {
    want: &'w Y,
    state: &'s RefCell<Compared>,
}

impl Expect<'_, '_> {
    /// Records the first difference (at the current path, plus `what`) and stops the load.
    fn differs<E: serde::de::Error>(&self, what: &str) -> E {
        let mut state = self.state.borrow_mut();
        if state.difference.is_none() {
            state.difference = Some(format!("{}{what}", state.spelled()));
        }
        E::custom("the output differs from the intended value")
    }

    fn leaf<E: serde::de::Error>(&self, equal: bool) -> Result<(), E> {
        if equal { Ok(()) } else { Err(self.differs("")) }
    }

    fn at<'w>(&self, want: &'w Y) -> Expect<'w, '_> {
        Expect {
            want,
            state: self.state,
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Expect<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Expect<'_, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<(), E> {
        self.leaf(*self.want == Y::Bool(b))
    }

    fn visit_i64<E: serde::de::Error>(self, i: i64) -> Result<(), E> {
        self.leaf(*self.want == Y::Number(i.into()))
    }

    fn visit_u64<E: serde::de::Error>(self, u: u64) -> Result<(), E> {
        self.leaf(*self.want == Y::Number(u.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<(), E> {
        self.leaf(*self.want == Y::Number(f.into()))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<(), E> {
        self.leaf(matches!(self.want, Y::String(want) if want == s))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.leaf(self.want == &Y::Null)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.leaf(self.want == &Y::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        serde::de::DeserializeSeed::deserialize(self, deserializer)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Y::Sequence(want) = self.want else {
            return Err(self.differs(""));
        };
        let mut i = 0;
        loop {
            let Some(item) = want.get(i) else {
                // Longer than intended: the loaded sequence would differ.
                return match seq.next_element::<serde::de::IgnoredAny>()? {
                    Some(_) => {
                        Err(self.differs(&format!(" ({} items, not {})", i + 1, want.len())))
                    }
                    None => Ok(()),
                };
            };
            self.state.borrow_mut().path.push(Step::Index(i));
            let found = seq.next_element_seed(self.at(item))?;
            self.state.borrow_mut().path.pop();
            if found.is_none() {
                return Err(self.differs(&format!(" ({i} items, not {})", want.len())));
            }
            i += 1;
        }
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Y::Mapping(want) = self.want else {
            return Err(self.differs(""));
        };
        // The intended entries met so far, by address: a key met twice is a duplicate, which
        // `yaml_serde::Mapping` refuses to load.
        let mut met = std::collections::HashSet::with_capacity(want.len());
        while let Some(key) = map.next_key::<Y>()? {
            let value = want.get(&key);
            self.state.borrow_mut().path.push(Step::Key(key));
            let Some(value) = value else {
                return Err(self.differs(" (unexpected)"));
            };
            if !met.insert(std::ptr::from_ref(value)) {
                return Err(self.differs(" (duplicate key)"));
            }
            map.next_value_seed(self.at(value))?;
            self.state.borrow_mut().path.pop();
        }
        if let Some((key, _)) = want
            .iter()
            .find(|(_, value)| !met.contains(&std::ptr::from_ref(*value)))
        {
            self.state.borrow_mut().path.push(Step::Key(key.clone()));
            return Err(self.differs(" (missing)"));
        }
        Ok(())
    }

    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess;
        let (tag, contents) = data.variant_seed(TagSeed)?;
        match self.want {
            Y::Tagged(want) if want.tag == tag => {
                contents.newtype_variant_seed(self.at(&want.value))
            }
            _ => Err(self.differs(&format!(" (tag {tag})"))),
        }
    }
}

/// A tag as `yaml_serde::Value` reads it (an empty one does not load).
struct TagSeed;

impl<'de> serde::de::DeserializeSeed<'de> for TagSeed {
    type Value = yaml_serde::value::Tag;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_string(self)
    }
}

impl serde::de::Visitor<'_> for TagSeed {
    type Value = yaml_serde::value::Tag;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a YAML tag string")
    }

    fn visit_str<E: serde::de::Error>(self, string: &str) -> Result<Self::Value, E> {
        if string.is_empty() {
            return Err(E::custom("empty YAML tag is not allowed"));
        }
        Ok(yaml_serde::value::Tag::new(string))
    }
}

fn describe(planned: &[Planned]) -> String {
    let parts: Vec<String> = planned.iter().map(|p| p.edit.describe()).collect();
    parts.join(", ")
}

fn load(text: &str) -> Result<Vec<Y>, yaml_serde::Error> {
    yaml_serde::Deserializer::from_str(text)
        .map(Y::deserialize)
        .collect()
}

fn check_untouched_bytes(old: &str, splices: &[TextEdit], new: &str) -> Result<(), String> {
    let (mut old_pos, mut new_pos) = (0, 0);
    for s in splices {
        let keep = &old[old_pos..s.range.start];
        if new.get(new_pos..new_pos + keep.len()) != Some(keep) {
            return Err(format!(
                "bytes outside the edits changed near byte {old_pos}"
            ));
        }
        new_pos += keep.len() + s.text.len();
        old_pos = s.range.end;
    }
    if new.get(new_pos..) != Some(&old[old_pos..]) {
        return Err(format!(
            "bytes after the last edit changed (byte {old_pos})"
        ));
    }
    Ok(())
}

fn check_comments(old: &Document, new: &Document, splices: &[TextEdit]) -> Result<(), String> {
    let mut present: HashMap<&str, usize> = HashMap::new();
    for (_, text) in new.comments() {
        *present.entry(text.trim_end()).or_default() += 1;
    }
    for (range, text) in old.comments() {
        // Splices are ordered and do not overlap, so their ends are ordered too: the first
        // that could cover the comment is found by bisection.
        let first = splices.partition_point(|s| s.range.end <= range.start);
        let removed = splices[first..]
            .iter()
            .take_while(|s| s.range.start < range.end)
            .any(|s| range.start < s.range.end);
        if removed {
            continue;
        }
        let count = present.entry(text.trim_end()).or_default();
        if *count == 0 {
            let (line, _) = old.line_col(range.start);
            return Err(format!(
                "the comment on line {line} ({}) is gone",
                text.trim_end()
            ));
        }
        *count -= 1;
    }
    Ok(())
}

/// Applies the planned edits to the loaded value in an order where none moves a node that
/// another addresses (see the module doc).
fn apply_all(root: &mut Y, planned: &[Planned]) -> Result<(), String> {
    let mut ops: Vec<(&Edit, Path)> = Vec::new();
    for p in planned {
        for path in std::iter::once(p.edit.path()).chain(&p.also_at) {
            ops.push((&p.edit, path.clone()));
        }
    }
    let rank = |e: &Edit| match e {
        Edit::RenameKey { .. } => 1,
        Edit::Remove { .. } => 2,
        _ => 0,
    };
    ops.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| rank(a.0).cmp(&rank(b.0))));
    for (edit, path) in ops {
        apply(root, edit, &path)
            .ok_or_else(|| format!("cannot apply {} to the loaded value", edit.describe()))?;
    }
    Ok(())
}

fn untag(value: &mut Y) -> &mut Y {
    match value {
        Y::Tagged(tagged) => untag(&mut tagged.value),
        other => other,
    }
}

fn key_matches(key: &Y, wanted: &str) -> bool {
    scalar_key(key) == wanted
}

fn child<'v>(value: &'v mut Y, segment: &Segment) -> Option<&'v mut Y> {
    match (untag(value), segment) {
        (Y::Mapping(map), Segment::Key(k)) => {
            // A string key is found by hash (duplicate keys are refused at load, so it is
            // the only match); other scalars (`1:`, `true:`) by their text.
            if map.contains_key(k.as_str()) {
                return map.get_mut(k.as_str());
            }
            map.iter_mut()
                .find(|(key, _)| key_matches(key, k))
                .map(|(_, v)| v)
        }
        (Y::Sequence(seq), Segment::Index(i)) => seq.get_mut(*i),
        _ => None,
    }
}

fn lookup<'v>(root: &'v mut Y, path: &[Segment]) -> Option<&'v mut Y> {
    path.iter()
        .try_fold(root, |node, segment| child(node, segment))
}

fn apply(root: &mut Y, edit: &Edit, path: &Path) -> Option<()> {
    match edit {
        Edit::Replace { value, .. } | Edit::Set { value, .. } => {
            *untag(lookup(root, path.segments())?) = value.to_yaml();
        }
        Edit::Insert { key, value, .. } => {
            let target = untag(lookup(root, path.segments())?);
            if target.is_null() {
                *target = Y::Mapping(Default::default());
            }
            target
                .as_mapping_mut()?
                .insert(Y::String(key.clone()), value.to_yaml());
        }
        Edit::Append { value, .. } => {
            let target = untag(lookup(root, path.segments())?);
            if target.is_null() {
                *target = Y::Sequence(Vec::new());
            }
            target.as_sequence_mut()?.push(value.to_yaml());
        }
        Edit::Remove { .. } => {
            let (last, parent) = path.segments().split_last()?;
            match (untag(lookup(root, parent)?), last) {
                (Y::Mapping(map), Segment::Key(k)) => {
                    let key = map.keys().find(|key| key_matches(key, k))?.clone();
                    map.shift_remove(&key)?;
                }
                (Y::Sequence(seq), Segment::Index(i)) if *i < seq.len() => {
                    seq.remove(*i);
                }
                _ => return None,
            }
        }
        Edit::RenameKey { to, .. } => {
            let (Segment::Key(from), parent) = path.segments().split_last()? else {
                return None;
            };
            let map = untag(lookup(root, parent)?).as_mapping_mut()?;
            let renamed = std::mem::take(map)
                .into_iter()
                .map(|(k, v)| {
                    if key_matches(&k, from) {
                        (Y::String(to.clone()), v)
                    } else {
                        (k, v)
                    }
                })
                .collect();
            *map = renamed;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::{compare_loaded, load};

    /// The streaming comparison accepts a text exactly when `yaml_serde` loads it as a value
    /// equal to the intended one (and refuses what does not load).
    #[test]
    fn comparing_while_loading_agrees_with_loading_and_comparing() {
        let texts = [
            "a: 1\nb: [x, 'y', \"z\"]\n",
            "b: [x, y, z]\na: 1\n",
            "a: 1\nb: [x, y]\n",
            "a: 1\nb: [x, y, z, w]\n",
            "a: 01\nb: [x, y, z]\n",
            "a: '1'\nb: [x, y, z]\n",
            "a: 1\na: 1\nb: [x, y, z]\n",
            "a: 1\nb: [x, y, z]\nc: ~\n",
            "a: 1.0\nb: 0x10\nc: -3\nd: .inf\ne: null\nf: true\ng: yes\n",
            "a: 1.0\nb: 16\nc: -3\nd: .inf\ne: \nf: true\ng: yes\n",
            "x: &base {k: v, n: [1, 2]}\ny: *base\n",
            "x: {k: v, n: [1, 2]}\ny: {n: [1, 2], k: v}\n",
            "x: {k: v, n: [1, 2]}\ny: {n: [1, 2], k: w}\n",
            "t: !custom {a: 1}\n",
            "t: !other {a: 1}\n",
            "t: {a: 1}\n",
            "t: !!str 12\n",
            "t: '12'\n",
            "{1: a, true: b, null: c}\n",
            "{1: a, true: b}\n",
            "--- a\n--- b\n",
            "--- a\n",
            "--- a\n--- b\n--- c\n",
            "",
            "a: [1, {b: 2}\n",
            "k: |\n  text\n",
            "k: \"text\\n\"\n",
        ];
        for want_text in texts {
            let Ok(want) = load(want_text) else { continue };
            for got_text in texts {
                let expected = matches!(load(got_text), Ok(got) if got == want);
                let result = compare_loaded(&want, got_text);
                assert_eq!(
                    result.is_ok(),
                    expected,
                    "{want_text:?} vs {got_text:?}: {result:?}"
                );
            }
        }
    }
}
