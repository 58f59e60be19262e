//! Path facts of an image: where it writes at run time and where it ships files, each
//! with its sources.

use serde::Deserialize;

use super::{Family, Source};

/// Container paths with the sources that show them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
// Citations and prose are for people and for the data tests; the rules do not read them.
#[allow(dead_code)]
pub(crate) struct PathFacts {
    pub paths: Vec<String>,
    #[serde(default)]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub note: Option<String>,
}

impl Family {
    /// The paths `reference` writes outside its volumes, when its tag is one a variant
    /// covers; otherwise why they are unknown (a sentence part naming the reference).
    pub(crate) fn write_paths_for(&self, reference: &str) -> Result<&[String], String> {
        let Some(facts) = &self.write_paths else {
            return Err(format!(
                "the image facts do not list where `{reference}` writes"
            ));
        };
        self.variant_for(reference)?;
        Ok(&facts.paths)
    }

    /// The paths the image ships files in (any tag: the layout does not move with versions).
    pub(crate) fn content_paths(&self) -> &[String] {
        self.content_paths.as_ref().map_or(&[], |f| &f.paths)
    }
}
