//! Atomic, all-or-nothing writes.

use std::fs;
use std::time::{Duration, SystemTime};

use shipshape::finding::FileChange;
use shipshape::write::{PlannedWrite, Transaction, WriteError};

fn planned(path: &std::path::Path, contents: &str, expect: Option<SystemTime>) -> PlannedWrite {
    PlannedWrite {
        path: path.to_path_buf(),
        contents: contents.into(),
        mode: None,
        expect_modified: expect,
    }
}

#[test]
fn a_file_changed_since_it_was_read_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compose.yaml");
    fs::write(&path, "a: 1\n").unwrap();
    let read_at = fs::metadata(&path).unwrap().modified().unwrap();
    // Someone else saves the file after we read it.
    fs::write(&path, "a: 2\n").unwrap();
    let later = read_at + Duration::from_secs(5);
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let mut tx = Transaction::new();
    tx.write(planned(&path, "a: 3\n", Some(read_at)));
    assert!(matches!(tx.commit(), Err(WriteError::Modified { .. })));
    assert_eq!(fs::read_to_string(&path).unwrap(), "a: 2\n");
}

#[test]
fn a_failing_write_rolls_back_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("compose.yaml");
    fs::write(&first, "old\n").unwrap();
    // A directory where a file should go makes the rename fail.
    let blocked = dir.path().join("secrets").join("db.txt");
    fs::create_dir_all(&blocked).unwrap();
    fs::write(blocked.join("keep"), "x").unwrap();
    let mut tx = Transaction::new();
    tx.write(planned(&first, "new\n", None));
    tx.write(planned(&blocked, "s3cret", None));
    assert!(tx.commit().is_err());
    assert_eq!(fs::read_to_string(&first).unwrap(), "old\n");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".shipshape-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
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
    tx.write(planned(&compose, "a: 2\n", None));
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
    tx.commit().unwrap();
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&compose), 0o640);
    assert_eq!(mode(&dir.path().join("secrets/db_password.txt")), 0o600);
    assert_eq!(
        fs::read_to_string(dir.path().join("secrets/.gitignore")).unwrap(),
        "*\n"
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

#[cfg(unix)]
#[test]
fn a_symlinked_file_is_written_through_to_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.yaml");
    let link = dir.path().join("compose.yaml");
    fs::write(&target, "a: 1\n").unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let mut tx = Transaction::new();
    tx.write(planned(&link, "a: 2\n", None));
    tx.commit().unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), "a: 2\n");
}
