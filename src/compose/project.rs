//! Loading a project the way `docker compose -f A -f B config` does: each file is read,
//! interpolated, its `extends` resolved, its `include`s loaded as projects of their own, and
//! the files merged in order with the override rules.
//!
//! Promises: every part that cannot be resolved (missing file, unknown service to extend,
//! cycles, unreadable env file) is a [`Problem`] at the text that names it — never a silent
//! pass. Each file's tree is kept (see [`Project::file_trees`]) so the schema can judge the
//! text each file holds, a later `-f` file merged onto the earlier ones as Compose validates
//! it. Refuses: remote includes (`git@`, `oci://`), reported as errors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::env::{self, Variables};
use super::files::Files;
use super::interpolate::interpolate;
use super::load::{load, load_document};
use super::merge::{has_merge_tags, merge, strip_tags};
use super::problem::Problem;
use super::tree::{FileId, Node, Origin, Value};
use crate::document::Document;
use crate::source::{SourceCache, SourceError};

/// Nesting of `include` and `extends` deeper than this is refused (Compose accepts 100).
const MAX_NESTING: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub interpolate: bool,
    pub env_files: Vec<PathBuf>,
    /// The process environment (tests pass an empty one), shared by every project of a run.
    pub process_env: Arc<Variables>,
}

/// A loaded project.
#[derive(Debug, Default)]
pub struct Project {
    pub files: Files,
    /// What Compose sees after merging every file (None when nothing could be loaded).
    pub model: Option<Arc<Node>>,
    /// Each file's tree after interpolation and `extends`, in load order, for the schema
    /// (`!reset`/`!override` already applied: they only matter when merging). A file named
    /// after the first holds the model merged up to it, which is what Compose validates.
    pub file_trees: Vec<(FileId, Arc<Node>)>,
    pub problems: Vec<Problem>,
    /// The directory relative paths written in each file resolve against.
    pub base_dirs: HashMap<FileId, PathBuf>,
    /// Profiles enabled by `COMPOSE_PROFILES` (environment or `.env`).
    pub active_profiles: Vec<String>,
    /// Whether `${VAR}` was interpolated: then a `${` left in a value is literal text
    /// (written `$${`), not a variable.
    pub interpolated: bool,
}

impl Project {
    pub fn base_dir(&self, file: FileId) -> PathBuf {
        self.base_dirs.get(&file).cloned().unwrap_or_else(|| {
            self.files
                .path(file)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
        })
    }
}

/// Loads the project made of `paths` merged in order.
pub fn load_project(paths: &[PathBuf], sources: &SourceCache, options: &LoadOptions) -> Project {
    let mut loader = Loader {
        sources,
        options,
        project: Project {
            interpolated: options.interpolate,
            ..Project::default()
        },
        extended: HashMap::new(),
        empty_files: Vec::new(),
    };
    let Some(first) = paths.first() else {
        return loader.project;
    };
    // Kept as written (relative stays relative) so that findings in included files carry
    // the same path as when the file is named on the command line.
    let project_dir = normalize(first)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let vars = match env::project_variables(&project_dir, &options.env_files, &options.process_env)
    {
        Ok(vars) => vars,
        Err(message) => {
            // Without the variables nothing can be judged the way Compose would.
            if let Ok(source) = sources.load(first) {
                let file = loader.project.files.add(source);
                loader.project.problems.push(Problem::error(
                    "env-file",
                    Origin { file, span: 0..0 },
                    message,
                ));
            }
            return loader.project;
        }
    };
    loader.project.active_profiles = vars
        .get("COMPOSE_PROFILES")
        .map(|p| {
            p.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut trees: Vec<Arc<Node>> = Vec::new();
    // The schema entry (in `file_trees`) of each file named on the command line.
    let mut named: Vec<usize> = Vec::new();
    for path in paths {
        let chain = &mut vec![absolute(path)];
        if let Some(tree) = loader.load_file(path, None, &project_dir, &vars, chain) {
            // `load_file` records the file's own tree last, after the files it includes.
            named.push(loader.project.file_trees.len() - 1);
            trees.push(tree);
        }
    }
    // Compose refuses an empty file only when the whole project is empty: an empty override
    // next to a real file is fine.
    if trees.is_empty() {
        for whole in std::mem::take(&mut loader.empty_files) {
            loader.project.problems.push(Problem::error(
                "empty-file",
                whole,
                "empty compose file: Compose refuses a project without content",
            ));
        }
    }
    let merged = merge_all(trees);
    // Compose validates the model merged so far after each file, not each file alone: an
    // override may leave out what an earlier file already set (compose-go
    // `loader/loader.go`, `schema.Validate(dict)` after `override.Merge`). The schema judges
    // each later file merged onto the ones before it.
    for (entry, so_far) in named.into_iter().zip(&merged).skip(1) {
        loader.project.file_trees[entry].1 = so_far.clone();
    }
    loader.project.model = merged.last().cloned();
    // Compose drops `version` and `include` (after loading what it includes): a project left
    // with nothing else is as empty as an empty file.
    if let Some(model) = &loader.project.model
        && let Some(map) = model.as_map()
        && map.keys().all(|k| k == "version" || k == "include")
    {
        loader.project.problems.push(Problem::error(
            "empty-file",
            model.origin.clone(),
            "empty compose file: nothing but `version`/`include` (and the includes add nothing); \
             Compose refuses a project without content",
        ));
    }
    loader.project
}

/// Merges trees in order: the model after each tree (the last is the project's). A lone
/// tree without merge tags is shared, not copied: that is the common case (one file) and
/// copying it would dominate the cost of validation.
fn merge_all(trees: Vec<Arc<Node>>) -> Vec<Arc<Node>> {
    let mut trees = trees.into_iter();
    let Some(first) = trees.next() else {
        return Vec::new();
    };
    let mut model = if has_merge_tags(&first) {
        Arc::new(strip_tags(Arc::unwrap_or_clone(first)))
    } else {
        first
    };
    let mut so_far = Vec::new();
    for tree in trees {
        so_far.push(model.clone());
        let base = (*model).clone();
        model = Arc::new(merge(base, Arc::unwrap_or_clone(tree), &[]));
    }
    so_far.push(model);
    so_far
}

struct Loader<'a> {
    sources: &'a SourceCache,
    options: &'a LoadOptions,
    project: Project,
    /// Interpolated trees of files read only as `extends` bases, shared by every service
    /// that extends them (copying a tree per service made fan-in quadratic).
    extended: HashMap<PathBuf, Option<(FileId, Arc<Node>)>>,
    /// Files named on the command line that hold no document (judged once all are read).
    empty_files: Vec<Origin>,
}

impl Loader<'_> {
    /// Reads, interpolates and resolves one file; `named_at` is the text that named it
    /// (include or extends), where a load failure is reported.
    fn load_file(
        &mut self,
        path: &Path,
        named_at: Option<&Origin>,
        base_dir: &Path,
        vars: &Variables,
        chain: &mut Vec<PathBuf>,
    ) -> Option<Arc<Node>> {
        let (file, tree) = self.read_tree(path, named_at, vars)?;
        self.project
            .base_dirs
            .entry(file)
            .or_insert_with(|| base_dir.to_path_buf());
        let mut tree = tree;
        self.resolve_extends(&mut tree, file, vars);
        self.resolve_includes(&mut tree, base_dir, chain);
        let tree = Arc::new(tree);
        let for_schema = if has_merge_tags(&tree) {
            Arc::new(strip_tags((*tree).clone()))
        } else {
            tree.clone()
        };
        self.project.file_trees.push((file, for_schema));
        Some(tree)
    }

    /// Loads, converts and interpolates a file; reports why it cannot.
    fn read_tree(
        &mut self,
        path: &Path,
        named_at: Option<&Origin>,
        vars: &Variables,
    ) -> Option<(FileId, Node)> {
        let source = match self.sources.load(path) {
            Ok(source) => source,
            Err(error) => {
                // A file given on the command line is reported by the pipeline already.
                if let Some(at) = named_at {
                    let message = match error {
                        SourceError::Read { .. } => {
                            format!("{} cannot be read: no such file", path.display())
                        }
                        SourceError::Load { error, .. } => {
                            format!("{} is not valid YAML: {error}", path.display())
                        }
                    };
                    self.project
                        .problems
                        .push(Problem::error("missing-file", at.clone(), message));
                }
                return None;
            }
        };
        let file = self.project.files.add(source.clone());
        let (tree, problems) = load(&source.document, file);
        let whole = Origin { file, span: 0..0 };
        // No tree and a problem: the loader refused the file (alias bomb, too deep).
        let refused = tree.is_none() && !problems.is_empty();
        self.project.problems.extend(
            problems
                .into_iter()
                .map(|p| Problem::error("yaml", p.origin, p.message)),
        );
        let Some(tree) = tree else {
            if !refused && named_at.is_none() {
                self.empty_files.push(whole);
            } else if !refused {
                self.project.problems.push(Problem::error(
                    "empty-file",
                    whole,
                    "empty compose file: Compose refuses a file without content",
                ));
            }
            return None;
        };
        if !matches!(tree.value, Value::Map(_)) {
            self.project.problems.push(Problem::error(
                "schema",
                tree.origin.clone(),
                format!("the top level must be a mapping, not {}", tree.type_name()),
            ));
            return None;
        }
        let mut tree = tree;
        for document in 1..source.document.document_count() {
            tree = self.merge_document(tree, &source.document, file, document);
        }
        interpolate(
            &mut tree,
            vars,
            self.options.interpolate,
            &self.project.files,
            &mut self.project.problems,
        );
        Some((file, tree))
    }

    /// Compose reads every document of a file (`---`) in turn and merges each onto the ones
    /// before it, as it merges `-f` files (compose-go `loader/loader.go`, one
    /// `processRawYaml` per decoded document); a later document that is empty or not a
    /// mapping is refused ("top-level object must be a mapping").
    fn merge_document(&mut self, tree: Node, doc: &Document, file: FileId, index: usize) -> Node {
        let (later, problems) = load_document(doc, file, index);
        self.project.problems.extend(
            problems
                .into_iter()
                .map(|p| Problem::error("yaml", p.origin, p.message)),
        );
        let number = index + 1;
        match later {
            Some(later) if matches!(later.value, Value::Map(_)) => merge(tree, later, &[]),
            Some(later) => {
                self.project.problems.push(Problem::error(
                    "schema",
                    later.origin.clone(),
                    format!(
                        "document {number} of the file: the top level must be a mapping, not {}; Compose merges every document of a file and refuses this one",
                        later.type_name()
                    ),
                ));
                tree
            }
            None => {
                let start = doc.document_start(index).unwrap_or(0);
                let marker = start..(start + 3).min(doc.text().len());
                self.project.problems.push(Problem::error(
                    "schema",
                    Origin { file, span: marker },
                    format!(
                        "document {number} of the file is empty (a `---` with nothing after it); Compose merges every document of a file and refuses an empty one — remove the `---`"
                    ),
                ));
                tree
            }
        }
    }

    fn resolve_extends(&mut self, tree: &mut Node, file: FileId, vars: &Variables) {
        let Some(services) = tree.get("services").and_then(Node::as_map) else {
            return;
        };
        let names: Vec<String> = services
            .iter()
            .filter(|(_, e)| e.node.get("extends").is_some())
            .map(|(k, _)| k.clone())
            .collect();
        if names.is_empty() {
            return;
        }
        // One copy of the file as written: every service resolves its chain against it.
        let own = tree.clone();
        for name in names {
            let mut seen = vec![(file, name.clone())];
            let Some(resolved) = self.extended_service(&own, file, &name, vars, &mut seen) else {
                continue;
            };
            if let Some(entry) = tree
                .as_map_mut()
                .and_then(|m| m.get_mut("services"))
                .and_then(|s| s.node.as_map_mut())
                .and_then(|s| s.get_mut(&name))
            {
                entry.node = resolved;
            }
        }
    }

    /// Service `name` of `tree` with its `extends` chain applied.
    fn extended_service(
        &mut self,
        tree: &Node,
        file: FileId,
        name: &str,
        vars: &Variables,
        seen: &mut Vec<(FileId, String)>,
    ) -> Option<Node> {
        let service = tree.get("services")?.get(name)?;
        let Some(extends) = service.get("extends") else {
            return Some(service.clone());
        };
        let (base_name, base_file) = match &extends.value {
            Value::Str(s) => (s.clone(), None),
            Value::Map(_) => (
                extends
                    .get("service")
                    .and_then(Node::as_str)
                    .map(str::to_string)?,
                extends
                    .get("file")
                    .and_then(Node::as_str)
                    .map(str::to_string),
            ),
            _ => return Some(service.clone()),
        };
        let loaded;
        let (base_tree, base_id) = match &base_file {
            None => (tree, file),
            Some(relative) => {
                let dir = self.project.base_dir(file);
                let path = normalize(&dir.join(relative));
                let at = extends
                    .get("file")
                    .map_or(extends.origin.clone(), |n| n.origin.clone());
                let id;
                (id, loaded) = self.extends_file(&path, &at, vars)?;
                (&*loaded, id)
            }
        };
        if seen.iter().any(|(f, n)| *f == base_id && *n == base_name) {
            let cycle: Vec<&str> = seen.iter().map(|(_, n)| n.as_str()).collect();
            self.project.problems.push(Problem::error(
                "extends",
                extends.origin.clone(),
                format!("extends cycle: {} -> {base_name}", cycle.join(" -> ")),
            ));
            return None;
        }
        if seen.len() > MAX_NESTING {
            self.project.problems.push(Problem::error(
                "extends",
                extends.origin.clone(),
                format!("extends nested deeper than {MAX_NESTING} services; shorten the chain"),
            ));
            return None;
        }
        if base_tree
            .get("services")
            .and_then(|s| s.get(&base_name))
            .is_none()
        {
            let place = base_file
                .as_deref()
                .map_or_else(|| "this file".to_string(), |f| format!("\"{f}\""));
            let at = extends
                .get("service")
                .map_or(extends.origin.clone(), |n| n.origin.clone());
            self.project.problems.push(Problem::error(
                "extends",
                at,
                format!("cannot extend service \"{base_name}\": no such service in {place}"),
            ));
            return None;
        }
        seen.push((base_id, base_name.clone()));
        let base = self.extended_service(base_tree, base_id, &base_name, vars, seen)?;
        let mut service = service.clone();
        if let Some(map) = service.as_map_mut() {
            map.shift_remove("extends");
        }
        let mut base = base;
        if let Some(map) = base.as_map_mut() {
            map.shift_remove("extends");
        }
        Some(merge(base, service, &["services", name]))
    }

    /// An `extends: {file: ...}` target, read once.
    fn extends_file(
        &mut self,
        path: &Path,
        at: &Origin,
        vars: &Variables,
    ) -> Option<(FileId, Arc<Node>)> {
        if let Some(done) = self.extended.get(path) {
            return done.clone();
        }
        let loaded = self
            .read_tree(path, Some(at), vars)
            .map(|(id, tree)| (id, Arc::new(tree)));
        if let Some((id, _)) = &loaded {
            self.project
                .base_dirs
                .entry(*id)
                .or_insert_with(|| path.parent().map(Path::to_path_buf).unwrap_or_default());
        }
        self.extended.insert(path.to_path_buf(), loaded.clone());
        loaded
    }

    /// Loads each `include` entry as a project and adds its resources to `tree`.
    fn resolve_includes(&mut self, tree: &mut Node, base_dir: &Path, chain: &mut Vec<PathBuf>) {
        let Some(includes) = tree
            .get("include")
            .and_then(Node::as_seq)
            .map(<[Node]>::to_vec)
        else {
            return;
        };
        for entry in includes {
            let (paths, project_dir, env_files) = include_parts(&entry, base_dir);
            let Some(first) = paths.first().map(|(p, _)| p.clone()) else {
                continue;
            };
            let project_dir = project_dir
                .unwrap_or_else(|| first.parent().map(Path::to_path_buf).unwrap_or_default());
            if let Some(remote) = paths.iter().find(|(p, _)| is_remote(p)) {
                self.project.problems.push(Problem::error(
                    "include",
                    remote.1.clone(),
                    "remote includes are not supported by shipshape; cannot validate this part",
                ));
                continue;
            }
            if let Some((p, at)) = paths.iter().find(|(p, _)| chain.contains(&absolute(p))) {
                self.project.problems.push(Problem::error(
                    "include",
                    at.clone(),
                    format!("include cycle: {} includes itself", p.display()),
                ));
                continue;
            }
            if chain.len() > MAX_NESTING {
                self.project.problems.push(Problem::error(
                    "include",
                    entry.origin.clone(),
                    "includes nested too deep",
                ));
                continue;
            }
            let vars =
                match env::project_variables(&project_dir, &env_files, &self.options.process_env) {
                    Ok(v) => v,
                    Err(message) => {
                        self.project.problems.push(Problem::error(
                            "env-file",
                            entry.origin.clone(),
                            message,
                        ));
                        continue;
                    }
                };
            let mut loaded = Vec::new();
            for (path, at) in &paths {
                chain.push(absolute(path));
                loaded.extend(self.load_file(path, Some(at), &project_dir, &vars, chain));
                chain.pop();
            }
            if let Some(included) = merge_all(loaded).pop() {
                self.import(tree, Arc::unwrap_or_clone(included), &entry.origin);
            }
        }
    }

    /// Adds an included project's resources; a name defined on both sides is an error.
    fn import(&mut self, tree: &mut Node, included: Node, at: &Origin) {
        let Value::Map(resources) = included.value else {
            return;
        };
        let Some(top) = tree.as_map_mut() else { return };
        for kind in [
            "services", "networks", "volumes", "secrets", "configs", "models",
        ] {
            let Some(Value::Map(imported)) = resources.get(kind).map(|e| e.node.value.clone())
            else {
                continue;
            };
            let target = top
                .entry(kind.to_string())
                .or_insert_with(|| super::tree::Entry {
                    key: at.clone(),
                    node: Node::new(Value::Map(Default::default()), at.clone()),
                });
            if target.node.is_null() {
                target.node.value = Value::Map(Default::default());
            }
            let Some(existing) = target.node.as_map_mut() else {
                continue;
            };
            for (name, entry) in imported {
                if let Some(local) = existing.get(&name) {
                    if local.node.to_json() != entry.node.to_json() {
                        self.project.problems.push(Problem::error(
                            "include",
                            local.key.clone(),
                            format!("{kind}.{name} conflicts with a resource imported by include"),
                        ));
                    }
                    continue;
                }
                existing.insert(name, entry);
            }
        }
    }
}

/// An include entry's files (with the text naming each), project directory and env files.
fn include_parts(
    entry: &Node,
    base_dir: &Path,
) -> (Vec<(PathBuf, Origin)>, Option<PathBuf>, Vec<PathBuf>) {
    let strings = |node: Option<&Node>| -> Vec<(String, Origin)> {
        match node {
            Some(n) => match &n.value {
                Value::Str(s) => vec![(s.clone(), n.origin.clone())],
                Value::Seq(items) => items
                    .iter()
                    .filter_map(|i| Some((i.as_str()?.to_string(), i.origin.clone())))
                    .collect(),
                _ => Vec::new(),
            },
            None => Vec::new(),
        }
    };
    let resolve = |p: &str| {
        if is_remote(Path::new(p)) {
            PathBuf::from(p)
        } else {
            normalize(&base_dir.join(p))
        }
    };
    match &entry.value {
        Value::Str(s) => (vec![(resolve(s), entry.origin.clone())], None, Vec::new()),
        Value::Map(_) => {
            let paths = strings(entry.get("path"))
                .into_iter()
                .map(|(p, o)| (resolve(&p), o))
                .collect();
            let project_dir = entry
                .get("project_directory")
                .and_then(Node::as_str)
                .map(resolve);
            let env_files = strings(entry.get("env_file"))
                .into_iter()
                .map(|(p, _)| resolve(&p))
                .collect();
            (paths, project_dir, env_files)
        }
        _ => (Vec::new(), None, Vec::new()),
    }
}

fn is_remote(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text.contains("://") || text.starts_with("git@") || text.contains("remote:")
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        normalize(path)
    } else {
        std::env::current_dir()
            .map(|cwd| normalize(&cwd.join(path)))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Removes `.` and `..` segments without touching the disk.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            // `..` cancels a normal segment; at the start of a relative path it stays.
            std::path::Component::ParentDir => {
                let cancels = matches!(
                    out.components().next_back(),
                    Some(std::path::Component::Normal(_))
                );
                if cancels {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_leading_parent_segments() {
        assert_eq!(normalize(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(
            normalize(Path::new("../subdir")),
            PathBuf::from("../subdir")
        );
        assert_eq!(normalize(Path::new("a/../../x")), PathBuf::from("../x"));
        assert_eq!(normalize(Path::new("/../x")), PathBuf::from("/x"));
    }
}
