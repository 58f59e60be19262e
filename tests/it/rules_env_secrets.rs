//! `env-secrets` end to end: files created 0600, `.gitignore` updated once, conflicts refused,
//! nothing half-written, and secret values never printed.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common;

use common::run;

const COMPOSE: &str = "services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: hunter2-db # change me
  app:
    image: acme/app:1.0
    environment:
      - API_TOKEN=tok-s3cr3t
      - LOG_LEVEL=info
volumes:
  data: {}
";

const SECRETS: &[&str] = &["hunter2-db", "tok-s3cr3t"];

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("compose.yaml"), COMPOSE).unwrap();
    dir
}

const FIX: &[&str] = &[
    "fix",
    "--no-config",
    "--select",
    "env-secrets",
    "--unsafe-fixes",
];

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    FIX.iter()
        .copied()
        .chain(extra.iter().copied())
        .chain(["compose.yaml"])
        .collect()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn write_creates_private_files_and_ignores_them_once() {
    let dir = workspace();
    fs::write(dir.path().join(".gitignore"), "target/\n").unwrap();
    let r = run(dir.path(), &args(&["--write"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let secret = dir.path().join("secrets/db_postgres_password.txt");
    assert_eq!(fs::read_to_string(&secret).unwrap(), "hunter2-db");
    assert_eq!(mode(&secret), 0o600);
    let env_file = dir.path().join("secrets/app.env");
    assert_eq!(
        fs::read_to_string(&env_file).unwrap(),
        "API_TOKEN='tok-s3cr3t'\n"
    );
    assert_eq!(mode(&env_file), 0o600);
    assert_eq!(
        fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
        "target/\n/secrets/\n"
    );
    let compose = fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    for value in SECRETS {
        assert!(!compose.contains(value), "{compose}");
    }
    assert!(
        compose.contains("POSTGRES_PASSWORD_FILE: /run/secrets/db_postgres_password # change me"),
        "{compose}"
    );
    assert!(compose.contains("env_file: ./secrets/app.env"), "{compose}");
    // A second run has nothing left to move and leaves .gitignore alone.
    let again = run(dir.path(), &args(&["--write"]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        compose
    );
    assert_eq!(
        fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
        "target/\n/secrets/\n"
    );
}

#[test]
fn an_existing_secret_file_with_another_value_is_a_conflict() {
    let dir = workspace();
    fs::create_dir(dir.path().join("secrets")).unwrap();
    fs::write(
        dir.path().join("secrets/db_postgres_password.txt"),
        "something else",
    )
    .unwrap();
    let r = run(dir.path(), &args(&["--write"]));
    assert!(
        r.stderr.contains("env-secrets not applied")
            && r.stderr.contains("exists with other contents"),
        "{}",
        r.stderr
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("secrets/db_postgres_password.txt")).unwrap(),
        "something else"
    );
    let compose = fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    assert!(
        compose.contains("POSTGRES_PASSWORD: hunter2-db"),
        "the conflicting fix must not apply: {compose}"
    );
}

#[test]
fn a_failed_write_leaves_nothing_half_written() {
    let dir = workspace();
    // `secrets` is a file, so the secret files cannot be created.
    fs::write(dir.path().join("secrets"), "not a directory").unwrap();
    let r = run(dir.path(), &args(&["--write"]));
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        COMPOSE
    );
    assert!(!dir.path().join(".gitignore").exists());
    assert_eq!(
        fs::read_to_string(dir.path().join("secrets")).unwrap(),
        "not a directory"
    );
}

#[test]
fn values_are_never_printed() {
    let dir = workspace();
    let mut outputs = Vec::new();
    for format in ["text", "json", "sarif", "github"] {
        outputs.push(run(dir.path(), &args(&["--format", format])));
        let check: Vec<&str> = vec![
            "check",
            "--no-config",
            "--select",
            "env-secrets",
            "--format",
            format,
            "compose.yaml",
        ];
        outputs.push(run(dir.path(), &check));
    }
    for r in &outputs {
        for value in SECRETS {
            assert!(
                !r.stdout.contains(value) && !r.stderr.contains(value),
                "{value} printed:\n{}\n{}",
                r.stdout,
                r.stderr
            );
        }
    }
    assert!(
        outputs[0].stdout.contains("<redacted>"),
        "{}",
        outputs[0].stdout
    );
    // Nothing was written without --write.
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        COMPOSE
    );
    assert!(!dir.path().join("secrets").exists());
}

/// An `environment:` whose every entry moves out is left empty, and the fix applies.
#[test]
fn an_environment_that_moves_out_entirely_is_left_empty() {
    let dir = tempfile::tempdir().unwrap();
    let compose = "services:
  app:
    image: acme/app:1.0
    environment:
      API_TOKEN: tok-s3cr3t
      DB_PASSWORD: pw-s3cr3t
  worker:
    image: acme/worker:1.0
    environment:
      - API_TOKEN=tok-s3cr3t
      - DB_PASSWORD=pw-s3cr3t
";
    fs::write(dir.path().join("compose.yaml"), compose).unwrap();
    let r = run(dir.path(), &args(&["--write"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(!said.contains("not applied"), "{said}");
    let written = fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    assert!(written.contains("environment: {}"), "{written}");
    assert!(written.contains("environment: []"), "{written}");
    assert!(!written.contains("s3cr3t"), "{written}");
}

/// Services whose names sanitize alike never share a secret or env file, and awkward values
/// land in the env file in the syntax Compose reads back exactly.
#[test]
fn similar_service_names_get_their_own_files_and_values_survive() {
    let compose = "services:\n  my-app:\n    image: acme/app:1.0\n    environment:\n      API_TOKEN: 'tok-one ''q'' \"d\" \\ x'\n  my_app:\n    image: acme/app:1.0\n    environment:\n      API_TOKEN: tok-two-pa$$word\n";
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("compose.yaml"), compose).unwrap();
    let mut args = FIX.to_vec();
    args.push("--write");
    let r = run(dir.path(), &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let one = fs::read_to_string(dir.path().join("secrets/my_app.env")).unwrap();
    let two = fs::read_to_string(dir.path().join("secrets/my_app_2.env")).unwrap();
    assert_eq!(
        one,
        format!(
            "{}\n",
            shipshape::secrets::dotenv::encode("API_TOKEN", "tok-one 'q' \"d\" \\ x").unwrap()
        )
    );
    assert_eq!(
        two,
        format!(
            "{}\n",
            shipshape::secrets::dotenv::encode("API_TOKEN", "tok-two-pa$word").unwrap()
        )
    );
    let fixed = fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    assert!(
        fixed.contains("./secrets/my_app.env") && fixed.contains("./secrets/my_app_2.env"),
        "{fixed}"
    );
}

/// Standard input cannot carry secret files: extraction is refused, the text kept, exit 2.
#[test]
fn stdin_never_drops_a_secret() {
    let dir = workspace();
    let output = common::shipshape(dir.path())
        .args([
            "fix",
            "--no-config",
            "--select",
            "env-secrets",
            "--unsafe-fixes",
            "-",
        ])
        .write_stdin(COMPOSE)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&output.stdout), COMPOSE);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("standard input cannot do"), "{stderr}");
    assert!(!SECRETS.iter().any(|s| stderr.contains(s)), "{stderr}");
}

/// A dry run lists the files the unsafe fix would create, without their contents.
#[test]
fn dry_run_lists_the_files_it_would_create() {
    let dir = workspace();
    let r = run(dir.path(), FIX);
    assert!(
        r.stderr.contains("would also write: secrets/"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(".gitignore (a line)"), "{}", r.stderr);
    assert!(
        !SECRETS
            .iter()
            .any(|s| r.stderr.contains(s) || r.stdout.contains(s))
    );
}

/// A symlinked compose file is written through the link; its secret files go next to the
/// real file, where the rewritten file refers to them.
#[test]
fn a_symlinked_compose_file_gets_its_secrets_next_to_the_real_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("real")).unwrap();
    fs::create_dir(dir.path().join("link")).unwrap();
    fs::write(dir.path().join("real/compose.yaml"), COMPOSE).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("real/compose.yaml"),
        dir.path().join("link/compose.yaml"),
    )
    .unwrap();
    let mut args = FIX.to_vec();
    args.extend(["--write", "link/compose.yaml"]);
    let r = run(dir.path(), &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.path().join("link/compose.yaml").is_symlink());
    assert!(dir.path().join("real/secrets").is_dir(), "{}", r.stderr);
    assert!(!dir.path().join("link/secrets").exists());
    let fixed = fs::read_to_string(dir.path().join("real/compose.yaml")).unwrap();
    assert!(fixed.contains("./secrets/"), "{fixed}");
}
