//! `check --statistics`: how many active findings each rule has, and how many of them a fix
//! covers (safe or unsafe). Suppressed findings are not counted.

use std::collections::BTreeMap;

use serde_json::json;

use super::Entry;
use crate::finding::Safety;

/// One rule's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCount {
    pub rule: String,
    pub count: usize,
    pub safe_fixes: usize,
    pub unsafe_fixes: usize,
}

/// Counts per rule, most frequent first (ties by rule id).
pub fn counts(entries: &[Entry<'_>]) -> Vec<RuleCount> {
    let mut by_rule: BTreeMap<&str, RuleCount> = BTreeMap::new();
    for finding in entries
        .iter()
        .flat_map(|e| e.report.findings.iter())
        .filter(|f| f.suppressed.is_none())
    {
        let count = by_rule.entry(&finding.rule).or_insert_with(|| RuleCount {
            rule: finding.rule.clone(),
            count: 0,
            safe_fixes: 0,
            unsafe_fixes: 0,
        });
        count.count += 1;
        match finding.fix.as_ref().map(|f| f.safety) {
            Some(Safety::Safe) => count.safe_fixes += 1,
            Some(Safety::Unsafe) => count.unsafe_fixes += 1,
            None => {}
        }
    }
    let mut counts: Vec<RuleCount> = by_rule.into_values().collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.rule.cmp(&b.rule)));
    counts
}

/// `  3  restart-policy  [*] add a restart policy to long-running services`
/// (`[*]` safe fix, `[-]` unsafe fix only, blank no fix).
pub fn render_text(entries: &[Entry<'_>]) -> String {
    let counts = counts(entries);
    let number = counts
        .iter()
        .map(|c| c.count.to_string().len())
        .max()
        .unwrap_or(1);
    let id = counts.iter().map(|c| c.rule.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in &counts {
        let mark = if c.safe_fixes > 0 {
            "[*]"
        } else if c.unsafe_fixes > 0 {
            "[-]"
        } else {
            "   "
        };
        out.push_str(
            format!(
                "{:>number$}  {:id$}  {mark} {}",
                c.count,
                c.rule,
                summary_of(&c.rule)
            )
            .trim_end(),
        );
        out.push('\n');
    }
    out
}

/// `{"version": 1, "statistics": [{"rule", "count", "fixable": {"safe", "unsafe"}}]}`
pub fn render_json(entries: &[Entry<'_>]) -> String {
    let rows: Vec<serde_json::Value> = counts(entries)
        .iter()
        .map(|c| {
            json!({
                "rule": c.rule,
                "count": c.count,
                "fixable": {"safe": c.safe_fixes, "unsafe": c.unsafe_fixes},
                "summary": summary_of(&c.rule),
            })
        })
        .collect();
    let mut text =
        serde_json::to_string_pretty(&json!({"version": super::json::VERSION, "statistics": rows}))
            .unwrap_or_default();
    text.push('\n');
    text
}

fn summary_of(rule: &str) -> &'static str {
    crate::rules::registry::find(rule)
        .map(|r| r.summary)
        .or_else(|| crate::schema::checks::find(rule).map(|c| c.summary))
        .unwrap_or("")
}
