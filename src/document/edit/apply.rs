//! Groups accepted or refused: each group alone, then conflicts between groups, then
//! verification of everything accepted together.
//!
//! Promises: a group is applied whole or not at all; a refusal carries the engine's typed
//! reason; the returned text is verified. When the accepted groups fail verification
//! together, halving finds the culprits in O(k log n) verifications for k culprits among n
//! groups, keeping the others in order.

use std::collections::BTreeMap;

use super::plan::{Planned, Planner};
use super::splice::TextEdit;
use super::splice::{order, splice};
use super::verify::Verifier;
use super::{Edit, EditGroup, GroupOutcome, Outcome};
use crate::document::Document;
use crate::document::change::Change;
use crate::document::error::EditError;

impl Document {
    /// Applies every group that can be applied safely; the others are refused whole, with the
    /// engine's reason. Edits are numbered through all groups in conflict messages.
    pub fn apply(&self, groups: &[EditGroup]) -> Outcome {
        Applier::new(self, groups).run()
    }
}

/// A verified text, where it changed, and its parse (`None` when nothing changed).
type Trial = (String, Vec<Change>, Option<Document>);

struct Applier<'d> {
    doc: &'d Document,
    groups: &'d [EditGroup],
    /// The number (through all groups) of each group's first edit.
    first: Vec<usize>,
    /// Edit number → its group.
    owner: Vec<usize>,
    verifier: Verifier<'d>,
    results: Vec<Option<GroupOutcome>>,
}

impl<'d> Applier<'d> {
    fn new(doc: &'d Document, groups: &'d [EditGroup]) -> Self {
        let mut first = Vec::with_capacity(groups.len());
        let mut owner = Vec::new();
        for (g, group) in groups.iter().enumerate() {
            first.push(owner.len());
            owner.extend(std::iter::repeat_n(g, group.edits.len()));
        }
        Applier {
            doc,
            groups,
            first,
            owner,
            verifier: Verifier::new(doc),
            results: vec![None; groups.len()],
        }
    }

    fn edits_of(&self, group: usize) -> impl Iterator<Item = (usize, &'d Edit)> + use<'d> {
        let first = self.first[group];
        let edits = &self.groups[group].edits;
        edits.iter().enumerate().map(move |(i, e)| (first + i, e))
    }

    fn refuse(&mut self, edit: usize, error: EditError) {
        let group = self.owner[edit];
        self.results[group] = Some(GroupOutcome::Refused {
            edit: Some(edit - self.first[group]),
            error,
        });
    }

    fn run(mut self) -> Outcome {
        // Refusals a group earns alone: missing nodes, anchors, shapes the layout refuses,
        // conflicts between its own edits.
        for g in 0..self.groups.len() {
            let planner = Planner::new(self.doc, self.groups[g].through_anchors);
            let (_, refused) = planner.plan_all(self.edits_of(g));
            if let Some((edit, error)) = refused.into_iter().min_by_key(|(i, _)| *i) {
                self.refuse(edit, error);
            }
        }
        let mut live: Vec<usize> = self.pending().collect();
        let planned = self.refuse_conflicts(&mut live);
        let (text, changes, parsed) = match self.trial_planned(&live, Some(planned)) {
            Ok(done) => done,
            Err(error) if live.len() == 1 => {
                self.results[live[0]] = Some(GroupOutcome::Refused { edit: None, error });
                (self.doc.text.clone(), Vec::new(), None)
            }
            Err(_) => {
                let mut accepted = Vec::new();
                let mut done = None;
                let second = live.split_off(live.len() / 2);
                self.accept_into(&mut accepted, &mut done, live);
                self.accept_into(&mut accepted, &mut done, second);
                done.unwrap_or_else(|| (self.doc.text.clone(), Vec::new(), None))
            }
        };
        let groups = self
            .results
            .into_iter()
            .map(|r| r.unwrap_or(GroupOutcome::Applied))
            .collect();
        Outcome {
            text,
            groups,
            changes,
            parsed,
        }
    }

    fn pending(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.groups.len()).filter(|&g| self.results[g].is_none())
    }

    /// Refuses the later of two conflicting groups until none conflict. A group whose partner
    /// is itself refused in the same round waits for the next round: it may be fine without it.
    /// Returns the plan of the groups left, as [`Applier::trial`] makes it.
    fn refuse_conflicts(&mut self, live: &mut Vec<usize>) -> Vec<Planned> {
        // Anchor permissions were checked per group; here they only find the alias paths.
        let planner = Planner::new(self.doc, true);
        loop {
            let (planned, mut refused) =
                planner.plan_all(live.iter().flat_map(|&g| self.edits_of(g)));
            if refused.is_empty() {
                return planned;
            }
            refused.sort_by_key(|(i, _)| *i);
            let mut round: BTreeMap<usize, (usize, EditError)> = BTreeMap::new();
            for (edit, error) in &refused {
                let group = self.owner[*edit];
                let partner_out = error
                    .conflicts_with()
                    .is_some_and(|p| round.contains_key(&self.owner[p]));
                if !partner_out && !round.contains_key(&group) {
                    round.insert(group, (*edit, error.clone()));
                }
            }
            if round.is_empty() {
                let (edit, error) = refused.swap_remove(0);
                round.insert(self.owner[edit], (edit, error));
            }
            for (edit, error) in round.into_values() {
                self.refuse(edit, error);
            }
            live.retain(|&g| self.results[g].is_none());
        }
    }

    /// The verified text of the original with `groups` applied, and where it changed.
    fn trial(&self, groups: &[usize]) -> Result<Trial, EditError> {
        self.trial_planned(groups, None)
    }

    /// [`Applier::trial`], with the plan of `groups` when it is already made (the same
    /// planner over the same edits makes the same plan).
    fn trial_planned(
        &self,
        groups: &[usize],
        planned: Option<Vec<Planned>>,
    ) -> Result<Trial, EditError> {
        if groups.is_empty() {
            return Ok((self.doc.text.clone(), Vec::new(), None));
        }
        let planned = match planned {
            Some(planned) => planned,
            None => {
                let planner = Planner::new(self.doc, true);
                let (planned, refused) =
                    planner.plan_all(groups.iter().flat_map(|&g| self.edits_of(g)));
                if let Some((_, error)) = refused.into_iter().next() {
                    return Err(error);
                }
                planned
            }
        };
        let splices = order(planned.iter().flat_map(|p| {
            let depth = p.edit.path().segments().len();
            p.splices.iter().map(move |s| (depth, s))
        }));
        let text = splice(&self.doc.text, &splices)?;
        let parsed = self.verifier.verify(&planned, &splices, &text)?;
        Ok((text, changes(&splices), Some(parsed)))
    }

    /// Adds `batch` to `accepted` if together they verify; otherwise tries its halves in
    /// order, and refuses single groups that cannot join.
    fn accept_into(
        &mut self,
        accepted: &mut Vec<usize>,
        done: &mut Option<Trial>,
        mut batch: Vec<usize>,
    ) {
        if batch.is_empty() {
            return;
        }
        let mut candidate = accepted.clone();
        candidate.extend(&batch);
        match self.trial(&candidate) {
            Ok(verified) => {
                *accepted = candidate;
                *done = Some(verified);
            }
            Err(error) if batch.len() == 1 => {
                self.results[batch[0]] = Some(GroupOutcome::Refused { edit: None, error });
            }
            Err(_) => {
                let second = batch.split_off(batch.len() / 2);
                self.accept_into(accepted, done, batch);
                self.accept_into(accepted, done, second);
            }
        }
    }
}

/// Where ordered splices put their text in the output.
fn changes(splices: &[TextEdit]) -> Vec<Change> {
    let mut grown = 0isize;
    splices
        .iter()
        .map(|s| {
            // Splices lie inside the original, so no start moves below zero.
            let start = s.range.start.saturating_add_signed(grown);
            grown += s.text.len() as isize - s.range.len() as isize;
            Change {
                old: s.range.clone(),
                new: start..start + s.text.len(),
            }
        })
        .collect()
}
