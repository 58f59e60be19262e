//! Shared helpers for the document-engine test suites: where the shared data lives and how to
//! walk it. Each suite uses a subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::path::PathBuf;

use crate::common;
pub(crate) use common::shared_dir;

/// `<CARGO_MANIFEST_DIR>/../shared`, or `$SHIPSHAPE_SHARED`. Panics (failing the test) with
/// instructions when the data is missing: a suite that silently passes without its data proves
/// nothing.
/// Every `*.yml` / `*.yaml` under the corpus, sorted, with its path relative to the corpus.
pub(crate) fn corpus_files() -> Vec<(String, PathBuf)> {
    let root = shared_dir().join("corpus");
    let files: Vec<(String, PathBuf)> = common::yaml_files(&root)
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap_or(&p).display().to_string();
            (name, p)
        })
        .collect();
    assert!(
        files.len() > 500,
        "the corpus at {} holds only {} YAML files; it is incomplete",
        root.display(),
        files.len()
    );
    files
}

/// A case of the YAML test suite: `229Q` or `SM9W/01`.
pub(crate) struct SuiteCase {
    pub id: String,
    pub input: Vec<u8>,
    pub is_error: bool,
}

/// Every case of the YAML test suite (`data` branch layout: `ID/in.yaml` or `ID/NN/in.yaml`, with
/// an `error` file for the cases a parser must reject).
pub(crate) fn suite_cases() -> Vec<SuiteCase> {
    let root = shared_dir().join("yaml-test-suite");
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.join("in.yaml").is_file() {
            dirs.push(path);
        } else if path.is_dir() {
            for sub in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                if sub.path().join("in.yaml").is_file() {
                    dirs.push(sub.path());
                }
            }
        }
    }
    dirs.sort();
    let cases: Vec<SuiteCase> = dirs
        .into_iter()
        .map(|dir| SuiteCase {
            id: dir
                .strip_prefix(&root)
                .unwrap_or(&dir)
                .display()
                .to_string(),
            input: std::fs::read(dir.join("in.yaml")).unwrap_or_default(),
            is_error: dir.join("error").exists(),
        })
        .collect();
    assert!(
        cases.len() > 300,
        "the YAML test suite at {} holds only {} cases; it is incomplete",
        root.display(),
        cases.len()
    );
    cases
}

/// Converts LF line ends to CRLF (leaving existing CRLF alone).
pub(crate) fn to_crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// An intended change, applied by the tests to `yaml_serde` values independently of the
/// engine's own verifier.
pub(crate) enum Change {
    /// Set the value at a key path, creating mappings on the way.
    Set(Vec<String>, yaml_serde::Value),
    Append(Vec<String>, yaml_serde::Value),
    Remove(Vec<String>),
    RemoveItem(Vec<String>, usize),
    Rename(Vec<String>, String),
}

fn value_at<'v>(
    root: &'v mut yaml_serde::Value,
    path: &[String],
) -> Option<&'v mut yaml_serde::Value> {
    path.iter()
        .try_fold(root, |node, k| node.as_mapping_mut()?.get_mut(k.as_str()))
}

impl Change {
    /// Applies the change; `None` when it makes no sense on this value (the engine must then
    /// refuse).
    pub(crate) fn apply(&self, root: &mut yaml_serde::Value) -> Option<()> {
        use yaml_serde::Value as Y;
        match self {
            Change::Set(path, value) => {
                let mut node = root;
                for k in path {
                    if node.is_null() {
                        *node = Y::Mapping(Default::default());
                    }
                    let map = node.as_mapping_mut()?;
                    if !map.contains_key(k.as_str()) {
                        map.insert(Y::String(k.clone()), Y::Null);
                    }
                    node = map.get_mut(k.as_str())?;
                }
                *node = value.clone();
            }
            Change::Append(path, value) => {
                let node = value_at(root, path)?;
                if node.is_null() {
                    *node = Y::Sequence(Vec::new());
                }
                node.as_sequence_mut()?.push(value.clone());
            }
            Change::Remove(path) => {
                let (last, parent) = path.split_last()?;
                value_at(root, parent)?
                    .as_mapping_mut()?
                    .shift_remove(last.as_str())?;
            }
            Change::RemoveItem(path, index) => {
                let seq = value_at(root, path)?.as_sequence_mut()?;
                if *index >= seq.len() {
                    return None;
                }
                seq.remove(*index);
            }
            Change::Rename(path, to) => {
                let (last, parent) = path.split_last()?;
                let map = value_at(root, parent)?.as_mapping_mut()?;
                if map.contains_key(to.as_str()) || !map.contains_key(last.as_str()) {
                    return None;
                }
                let renamed = std::mem::take(map)
                    .into_iter()
                    .map(|(k, v)| {
                        if k.as_str() == Some(last.as_str()) {
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
}

/// Every document of a YAML stream as `yaml_serde` loads it.
pub(crate) fn load_all(text: &str) -> Result<Vec<yaml_serde::Value>, String> {
    use serde::Deserialize;
    yaml_serde::Deserializer::from_str(text)
        .map(yaml_serde::Value::deserialize)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())
}

/// Number of line feeds not preceded by a carriage return.
pub(crate) fn bare_lf(text: &str) -> usize {
    let b = text.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'\n' && (i == 0 || b[i - 1] != b'\r'))
        .count()
}
