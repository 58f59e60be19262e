//! Env files written by `secrets::dotenv` read back byte for byte by the real Docker Compose
//! (`config --format json` resolves `env_file:` with Compose's own dotenv parser).

use std::path::PathBuf;
use std::process::Command;

use shipshape::secrets::dotenv::encode_file;

/// Values that trip dotenv writers: quotes, backslashes, `$`, `#`, line breaks of every kind,
/// leading and trailing spaces, Unicode spaces and separators.
const AWKWARD: &[&str] = &[
    "",
    "plain",
    " leading and trailing ",
    "\ttabs\t",
    "trailing backslash\\",
    "\\",
    "\\\\",
    "it's",
    "'",
    "'quoted'",
    "\"double\"",
    "both ' and \" and \\",
    "it's a trailing backslash\\",
    "$HOME ${USER} $$ $ ${X:-d} $1",
    "a #comment",
    "#hash",
    "a#b",
    "line\nbreak",
    "\nleading newline",
    "trailing newline\n",
    "cr\rin the middle",
    "crlf\r\n",
    "nel\u{85}",
    "\u{85}",
    "\u{2028}line separator\u{2029}",
    "\u{a0}nbsp\u{a0}",
    "\u{feff}bom",
    "=equals=",
    "back\\slash\\n not a newline \\t \\$ \\0123",
    "\\'",
    "\\\"",
    "\\'\\",
    "export X=1",
    "ünïcödé 🔑",
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg+/=\n-----END PRIVATE KEY-----\n",
];

fn compose_bin() -> PathBuf {
    let bin = std::env::var_os("DOCKER_COMPOSE_BIN").expect(
        "DOCKER_COMPOSE_BIN must point at Docker Compose v2 (../shared/tools/install-compose-v2 \
         prints its path)",
    );
    PathBuf::from(bin)
}

/// Compose writes a literal `$` as `$$` in `config` output (so the output reloads as is).
fn unescape_dollars(text: &str) -> String {
    text.replace("$$", "$")
}

#[test]
#[ignore = "needs Docker Compose v2 (DOCKER_COMPOSE_BIN); run by .ci/run"]
fn awkward_values_round_trip_through_compose() {
    let keys: Vec<String> = (0..AWKWARD.len())
        .map(|i| format!("SHIPSHAPE_V{i}"))
        .collect();
    let env = encode_file(keys.iter().map(String::as_str).zip(AWKWARD.iter().copied()))
        .expect("every awkward value is representable");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secrets.env"), &env).unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  app:\n    image: busybox\n    env_file: [secrets.env]\n",
    )
    .unwrap();
    let mut command = Command::new(compose_bin());
    command
        .current_dir(dir.path())
        .args(["-f", "compose.yaml", "config", "--format", "json"]);
    for key in &keys {
        command.env_remove(key);
    }
    let output = command.output().expect("docker compose runs");
    assert!(
        output.status.success(),
        "compose failed on\n{env}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let config: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let environment = &config["services"]["app"]["environment"];
    let mut wrong = Vec::new();
    for (key, expected) in keys.iter().zip(AWKWARD) {
        let read = environment[key.as_str()].as_str().map(unescape_dollars);
        if read.as_deref() != Some(*expected) {
            wrong.push(format!("  {expected:?} read back as {read:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "env file:\n{env}\nmismatches:\n{}",
        wrong.join("\n")
    );
}
