use serde::Deserialize;

use super::{Context, declare_rule};
use crate::finding::Finding;
use crate::policy::ActiveRule;

#[derive(Debug, Deserialize)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// TODO
    ///
    /// ## Why
    ///
    /// ## Example
    ///
    /// ## Fix safety
    ///
    /// ## Options
    id: "v1-layout",
    packs: ["legacy"],
    summary: "TODO",
    fixable: true,
    options: Options,
    check: check,
}

fn check(_ctx: &Context<'_>, _rule: &ActiveRule) -> Vec<Finding> {
    Vec::new()
}
