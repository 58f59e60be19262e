//! Finding compose files: named files are always taken; directories are walked honouring
//! `.gitignore`, and files are recognised by name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Whether a file name is a compose file name: `compose.yaml`, `docker-compose.yml`,
/// `compose.override.yaml`, `docker-compose.prod.yml`, ...
pub fn is_compose_name(name: &str) -> bool {
    let Some(stem) = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
    else {
        return false;
    };
    let rest = stem
        .strip_prefix("docker-compose")
        .or_else(|| stem.strip_prefix("compose"));
    match rest {
        Some("") => true,
        Some(variant) => {
            variant.starts_with('.') && variant.len() > 1 && !variant[1..].contains('/')
        }
        None => false,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{0}: no such file or directory")]
    Missing(PathBuf),
    #[error("{path}: cannot read directory: {message}")]
    Walk { path: PathBuf, message: String },
}

/// Every compose file under `paths`, sorted and deduplicated. `-` is passed through.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<DiscoverError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let defaults = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &defaults[..]
    } else {
        paths
    };
    for path in paths {
        if path.as_os_str() == "-" || path.is_file() {
            files.push(path.clone());
        } else if path.is_dir() {
            walk(path, &mut files, &mut errors);
        } else if std::fs::symlink_metadata(path).is_ok() {
            // Exists but is neither file nor directory (or a dangling link): let loading report it.
            files.push(path.clone());
        } else {
            errors.push(DiscoverError::Missing(path.clone()));
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

fn walk(root: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<DiscoverError>) {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                let name = entry.file_name().to_string_lossy();
                if is_file
                    && is_compose_name(&name)
                    && !entry.path().components().any(|c| c.as_os_str() == ".git")
                {
                    files.push(clean(entry.path()));
                }
            }
            Err(e) => errors.push(DiscoverError::Walk {
                path: root.to_path_buf(),
                message: e.to_string(),
            }),
        }
    }
}

fn clean(path: &Path) -> PathBuf {
    path.strip_prefix("./")
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Groups discovered files into projects the way Compose loads a directory: a base file
/// and its `.override` companion form one project. Linear in the number of files.
pub fn group_projects(files: &[PathBuf]) -> Vec<Vec<PathBuf>> {
    let mut bases: HashMap<(Option<&Path>, &str), &PathBuf> = HashMap::new();
    for file in files {
        if let Some(stem) = base_stem(file) {
            bases.entry((file.parent(), stem)).or_insert(file);
        }
    }
    let mut project_of: HashMap<&PathBuf, usize> = HashMap::new();
    let mut projects: Vec<Vec<PathBuf>> = Vec::new();
    for file in files {
        let base = override_stem(file).and_then(|stem| bases.get(&(file.parent(), stem)));
        let head = base.copied().unwrap_or(file);
        let index = *project_of.entry(head).or_insert_with(|| {
            projects.push(vec![head.clone()]);
            projects.len() - 1
        });
        if base.is_some() {
            projects[index].push(file.clone());
        }
    }
    projects
}

/// `compose` / `docker-compose` for a base file name (`compose.yaml`, `docker-compose.yml`).
fn base_stem(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))?;
    ["compose", "docker-compose"]
        .into_iter()
        .find(|s| *s == stem)
}

/// The base stem an override file belongs to (`compose.override.yaml` → `compose`).
fn override_stem(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    ["compose", "docker-compose"]
        .into_iter()
        .find(|stem| name.starts_with(&format!("{stem}.override.")))
}

#[cfg(test)]
mod tests {
    use super::is_compose_name;

    #[test]
    fn recognises_compose_names() {
        for name in [
            "compose.yaml",
            "compose.yml",
            "docker-compose.yml",
            "docker-compose.yaml",
            "compose.override.yaml",
            "docker-compose.prod.yml",
            "compose.dev.yaml",
        ] {
            assert!(is_compose_name(name), "{name}");
        }
        for name in [
            "composer.yaml",
            "compose.json",
            "my-compose.yaml",
            "compose..yaml",
            "values.yaml",
            "docker-compose",
        ] {
            assert!(!is_compose_name(name), "{name}");
        }
    }
}
