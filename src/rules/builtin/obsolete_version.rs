use serde::Deserialize;

use crate::document::{Edit, Path};
use crate::finding::{Finding, Fix, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Removes the top-level `version:` key.
    ///
    /// ## Why
    /// The Compose Specification ignores `version:`; Docker Compose v2 warns that it is
    /// obsolete. Keeping it suggests that features depend on it, which they no longer do.
    ///
    /// ## Example
    /// ```yaml
    /// version: "3.8"      # before
    /// services:
    ///   web: {image: nginx:1.27}
    /// ```
    /// ```yaml
    /// services:           # after
    ///   web: {image: nginx:1.27}
    /// ```
    ///
    /// ## Fix safety
    /// Safe: Compose v2 loads the same model with or without it.
    ///
    /// ## Options
    /// None.
    id: "obsolete-version",
    summary: "remove the obsolete top-level `version:`",
    fixable: true,
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let path = Path::root().key("version");
    if ctx.doc.lookup(&path).is_none() {
        return Vec::new();
    }
    let fix = Fix::safe(
        "remove `version:`",
        vec![Edit::Remove { path: path.clone() }],
    );
    vec![
        ctx.finding(
            rule.id,
            Location::Key(path),
            "`version:` is obsolete; Compose ignores it",
        )
        .with_fix(fix),
    ]
}
