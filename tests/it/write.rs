//! Atomic, all-or-nothing writes: content checks right before the rename, symlinks not
//! followed, hard links refused, owner and mode kept, temporary files never left behind.

use std::fs;
use std::path::{Path, PathBuf};

use shipshape::finding::FileChange;
use shipshape::write::{PlannedWrite, Transaction, WriteError, clean_stale};

/// Replaces `path`, read as `read`.
fn replace(path: &Path, contents: &str, read: &str) -> PlannedWrite {
    PlannedWrite::replace(path, None, contents, read.as_bytes())
}

/// Names in `dir` (recursively) that look like shipshape's temporary files.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".shipshape") || name.ends_with(".tmp") {
            found.push(entry.path().display().to_string());
        } else if entry.file_type().unwrap().is_dir() {
            found.extend(leftovers(&entry.path()));
        }
    }
    found
}

#[test]
fn an_edit_that_keeps_the_modification_time_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compose.yaml");
    fs::write(&path, "a: 1\n").unwrap();
    let read_at = fs::metadata(&path).unwrap().modified().unwrap();
    // Someone else saves the file after we read it, and the time stays what it was.
    fs::write(&path, "a: 2\n").unwrap();
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(read_at)
        .unwrap();
    let mut tx = Transaction::new();
    tx.write(replace(&path, "a: 3\n", "a: 1\n"));
    assert!(matches!(tx.commit(), Err(WriteError::Modified { .. })));
    assert_eq!(fs::read_to_string(&path).unwrap(), "a: 2\n");
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[test]
fn a_file_deleted_since_it_was_read_is_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compose.yaml");
    let mut tx = Transaction::new();
    tx.write(replace(&path, "a: 3\n", "a: 1\n"));
    assert!(matches!(tx.commit(), Err(WriteError::Modified { .. })));
    assert!(!path.exists());
}

#[test]
fn a_failing_side_file_leaves_everything_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("compose.yaml");
    fs::write(&first, "old\n").unwrap();
    // A directory where the secret file should go.
    let blocked = dir.path().join("secrets").join("db.txt");
    fs::create_dir_all(&blocked).unwrap();
    fs::write(blocked.join("keep"), "x").unwrap();
    let mut tx = Transaction::new();
    tx.write(replace(&first, "new\n", "old\n"));
    tx.add_changes(
        &first,
        &[
            FileChange::EnsureLine {
                path: ".gitignore".into(),
                line: "/secrets/".into(),
            },
            FileChange::Create {
                path: "secrets/db.txt".into(),
                contents: "s3cret".into(),
                mode: 0o600,
                secret: true,
            },
        ],
    )
    .unwrap();
    assert!(matches!(tx.commit(), Err(WriteError::Conflict { .. })));
    assert_eq!(fs::read_to_string(&first).unwrap(), "old\n");
    assert!(!dir.path().join(".gitignore").exists());
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn permissions_are_kept_and_new_secret_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("compose.yaml");
    fs::write(&compose, "a: 1\n").unwrap();
    fs::set_permissions(&compose, fs::Permissions::from_mode(0o640)).unwrap();
    let mut tx = Transaction::new();
    tx.write(replace(&compose, "a: 2\n", "a: 1\n"));
    let changes = vec![
        FileChange::Create {
            path: "secrets/db_password.txt".into(),
            contents: "hunter2".into(),
            mode: 0o600,
            secret: true,
        },
        FileChange::EnsureLine {
            path: "secrets/.gitignore".into(),
            line: "*".into(),
        },
        FileChange::EnsureLine {
            path: "secrets/.gitignore".into(),
            line: "*".into(),
        },
    ];
    tx.add_changes(&compose, &changes).unwrap();
    let committed = tx.commit().unwrap();
    assert_eq!(committed.warnings, Vec::<String>::new());
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&compose), 0o640);
    assert_eq!(mode(&dir.path().join("secrets/db_password.txt")), 0o600);
    assert_eq!(mode(&dir.path().join("secrets/.gitignore")), 0o644);
    assert_eq!(
        fs::read_to_string(dir.path().join("secrets/.gitignore")).unwrap(),
        "*\n"
    );
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[test]
fn gitignore_lines_already_present_leave_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("compose.yaml");
    fs::write(&compose, "a: 1\n").unwrap();
    // No final newline: untouched bytes stay untouched.
    fs::write(dir.path().join(".gitignore"), "target/\n/secrets/").unwrap();
    let mut tx = Transaction::new();
    tx.write(replace(&compose, "a: 2\n", "a: 1\n"));
    let line = FileChange::EnsureLine {
        path: ".gitignore".into(),
        line: "/secrets/".into(),
    };
    tx.add_changes(&compose, &[line]).unwrap();
    let committed = tx.commit().unwrap();
    assert_eq!(committed.written, vec![compose]);
    assert_eq!(
        fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
        "target/\n/secrets/"
    );
}

#[test]
fn an_existing_secret_file_with_other_contents_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("compose.yaml");
    fs::create_dir_all(dir.path().join("secrets")).unwrap();
    fs::write(dir.path().join("secrets/db.txt"), "other").unwrap();
    let mut tx = Transaction::new();
    let change = FileChange::Create {
        path: "secrets/db.txt".into(),
        contents: "mine".into(),
        mode: 0o600,
        secret: true,
    };
    assert!(matches!(
        tx.add_changes(&compose, &[change]),
        Err(WriteError::Conflict { .. })
    ));
    assert_eq!(
        fs::read_to_string(dir.path().join("secrets/db.txt")).unwrap(),
        "other"
    );
}

#[test]
fn a_secret_file_that_appears_before_the_commit_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("compose.yaml");
    fs::write(&compose, "a: 1\n").unwrap();
    let mut tx = Transaction::new();
    tx.write(replace(&compose, "a: 2\n", "a: 1\n"));
    let change = FileChange::Create {
        path: "db.txt".into(),
        contents: "mine".into(),
        mode: 0o600,
        secret: true,
    };
    tx.add_changes(&compose, &[change]).unwrap();
    fs::write(dir.path().join("db.txt"), "theirs").unwrap();
    assert!(matches!(tx.commit(), Err(WriteError::Conflict { .. })));
    assert_eq!(
        fs::read_to_string(dir.path().join("db.txt")).unwrap(),
        "theirs"
    );
    assert_eq!(fs::read_to_string(&compose).unwrap(), "a: 1\n");
}

/// `real` holding `a: 1`, and `link` pointing to it.
#[cfg(unix)]
fn linked(dir: &Path, real: &str, link: &str) -> (PathBuf, PathBuf) {
    let (real, link) = (dir.join(real), dir.join(link));
    fs::write(&real, "a: 1\n").unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    (real, link)
}

#[cfg(unix)]
fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).unwrap().file_type().is_symlink()
}

#[cfg(unix)]
#[test]
fn a_file_only_shipshape_writes_is_written_through_its_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let (target, link) = linked(dir.path(), "real.lock", "shipshape.lock");
    let mut tx = Transaction::new();
    tx.write(PlannedWrite::overwrite(&link, "a: 2\n", 0o644));
    tx.commit().unwrap();
    assert!(is_symlink(&link));
    assert_eq!(fs::read_to_string(&target).unwrap(), "a: 2\n");
}

#[cfg(unix)]
#[test]
fn a_compose_file_read_through_a_symlink_is_written_to_the_file_it_read() {
    let dir = tempfile::tempdir().unwrap();
    let (target, link) = linked(dir.path(), "real.yaml", "compose.yaml");
    let real = fs::canonicalize(&link).unwrap();
    let mut tx = Transaction::new();
    tx.write(PlannedWrite::replace(
        &link,
        Some(&real),
        "a: 2\n",
        b"a: 1\n",
    ));
    tx.commit().unwrap();
    assert!(is_symlink(&link));
    assert_eq!(fs::read_to_string(&target).unwrap(), "a: 2\n");
}

#[cfg(unix)]
#[test]
fn a_file_swapped_for_a_symlink_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("compose.yaml");
    let elsewhere = dir.path().join("elsewhere.yaml");
    // The link points to a file with the very bytes that were read: only the type tells.
    fs::write(&elsewhere, "a: 1\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, &compose).unwrap();
    let mut tx = Transaction::new();
    tx.write(replace(&compose, "a: 2\n", "a: 1\n"));
    let error = tx.commit().unwrap_err();
    assert!(matches!(error, WriteError::Symlink { .. }), "{error}");
    assert!(error.to_string().contains("symbolic link"), "{error}");
    assert_eq!(fs::read_to_string(&elsewhere).unwrap(), "a: 1\n");
    assert!(is_symlink(&compose));
}

#[cfg(unix)]
#[test]
fn a_hard_linked_file_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("compose.yaml");
    let other = dir.path().join("deploy").join("compose.yaml");
    fs::write(&compose, "a: 1\n").unwrap();
    fs::create_dir(dir.path().join("deploy")).unwrap();
    fs::hard_link(&compose, &other).unwrap();
    let mut tx = Transaction::new();
    tx.write(replace(&compose, "a: 2\n", "a: 1\n"));
    let error = tx.commit().unwrap_err();
    assert!(
        matches!(error, WriteError::HardLinked { links: 2, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("2 hard links"), "{error}");
    assert_eq!(fs::read_to_string(&compose).unwrap(), "a: 1\n");
    assert_eq!(fs::read_to_string(&other).unwrap(), "a: 1\n");
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

/// As root, the owner and group of a replaced file are kept; a user cannot give a file away,
/// so there the change is reported instead (checked in the unit tests of `write`).
#[cfg(unix)]
#[test]
fn owner_and_group_are_kept() {
    use std::os::unix::fs::MetadataExt;
    if !crate::common::is_root() {
        eprintln!("skipped: only root can create a file owned by someone else");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("compose.yaml");
    fs::write(&compose, "a: 1\n").unwrap();
    std::os::unix::fs::chown(&compose, Some(65534), Some(65534)).unwrap();
    let mut tx = Transaction::new();
    tx.write(replace(&compose, "a: 2\n", "a: 1\n"));
    let committed = tx.commit().unwrap();
    assert_eq!(committed.warnings, Vec::<String>::new());
    let meta = fs::metadata(&compose).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
    assert_eq!(fs::read_to_string(&compose).unwrap(), "a: 2\n");
}

#[cfg(unix)]
#[test]
fn stale_staging_directories_of_dead_processes_are_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    // A process that has exited: its id is free (reuse within the test is negligible).
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = dir.path().join(format!(".shipshape-tmp-{dead}-0"));
    let live = dir
        .path()
        .join(format!(".shipshape-tmp-{}-7", std::process::id()));
    let init = dir.path().join(".shipshape-tmp-1-0");
    for d in [&stale, &live, &init] {
        fs::create_dir(d).unwrap();
        fs::write(d.join("0-db.txt.tmp"), "s3cret").unwrap();
    }
    let unrelated = dir.path().join(".shipshape-tmp-notes");
    fs::create_dir(&unrelated).unwrap();
    assert_eq!(clean_stale(dir.path()), 1);
    assert!(!stale.exists());
    assert!(live.exists() && init.exists() && unrelated.exists());
}
