//! YAML merge keys (`<<: *base`, `<<: [*a, *b]`): the one place that says what a merge key
//! is and what it merges. Readers that follow merges (Compose's model in `compose::load`, the
//! rules' service view in `rules::view::merge`) build on these two functions; the engine's
//! own `lookup` deliberately does not follow merges (an edit addresses the text as written).

use super::{NodeRef, Style};

/// Whether `key` is a merge key: the plain scalar `<<` (a quoted `"<<"` is an ordinary key).
pub fn is_merge_key(key: NodeRef<'_>) -> bool {
    key.as_str() == Some("<<") && key.style() == Some(Style::Plain)
}

/// The nodes a merge key's value merges, in precedence order (the first listed wins):
/// the items of a sequence, or the value itself. Aliases are left for the caller to resolve.
pub fn merged_values(value: NodeRef<'_>) -> Vec<NodeRef<'_>> {
    if value.is_sequence() {
        value.items().collect()
    } else {
        vec![value]
    }
}
