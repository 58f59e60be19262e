//! `shipshape pin` against a real registry: Debian's CNCF Distribution (`docker-registry`),
//! started per test on a free local port with its own storage, filled through the registry
//! API (blob uploads, OCI manifests, an image index), then queried by the real binary.
//!
//! Ignored by plain `cargo test`; `.ci/run` installs the registry and runs them with
//! `cargo test -- --ignored`. Without the registry binary they fail and say what to install.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::{Digest, Sha256};

const NEEDS_REGISTRY: &str =
    "needs Debian's docker-registry (apt-get install docker-registry); run by .ci/run";
const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// A running registry, killed when dropped (also when the test fails).
struct Registry {
    child: Child,
    port: u16,
    credentials: Option<(String, String)>,
    dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    fn start() -> Registry {
        Registry::start_with(None)
    }

    fn start_with_basic_auth(user: &str, password: &str) -> Registry {
        Registry::start_with(Some((user.to_string(), password.to_string())))
    }

    fn start_with(credentials: Option<(String, String)>) -> Registry {
        let binary = std::env::var_os("SHIPSHAPE_DOCKER_REGISTRY")
            .map_or_else(|| PathBuf::from(REGISTRY_BINARY), PathBuf::from);
        assert!(
            binary.is_file(),
            "{} not found: {NEEDS_REGISTRY}",
            binary.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = &credentials {
            let hash = bcrypt::hash(password, 4).unwrap();
            std::fs::write(dir.path().join("htpasswd"), format!("{user}:{hash}\n")).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: shipshape-test\n    path: {}\n",
                dir.path().join("htpasswd").display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(&binary)
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let registry = Registry {
            child,
            port,
            credentials,
            dir,
        };
        registry.wait_until_ready();
        registry
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(response) = agent().get(format!("{}/v2/", self.base())).call()
                && matches!(response.status().as_u16(), 200 | 401)
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "the registry did not start; its log:\n{}",
            std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
        );
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn base(&self) -> String {
        format!("http://{}", self.host())
    }

    fn authorization(&self) -> Option<String> {
        self.credentials.as_ref().map(|(u, p)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        })
    }

    /// Uploads a blob (monolithic: `POST` an upload, `PUT ?digest=`); returns its digest.
    fn push_blob(&self, repository: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let mut start = agent().post(format!("{}/v2/{repository}/blobs/uploads/", self.base()));
        if let Some(auth) = self.authorization() {
            start = start.header("Authorization", auth);
        }
        let response = start.send_empty().unwrap();
        assert_eq!(response.status().as_u16(), 202, "starting a blob upload");
        let location = response
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let location = if location.starts_with("http") {
            location
        } else {
            format!("{}{location}", self.base())
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let mut put = agent()
            .put(format!("{location}{separator}digest={digest}"))
            .header("Content-Type", "application/octet-stream");
        if let Some(auth) = self.authorization() {
            put = put.header("Authorization", auth);
        }
        let response = put.send(bytes).unwrap();
        assert_eq!(response.status().as_u16(), 201, "finishing a blob upload");
        digest
    }

    /// Puts a manifest under `reference` (a tag or its digest); returns its digest.
    fn push_manifest(
        &self,
        repository: &str,
        reference: &str,
        media_type: &str,
        body: &str,
    ) -> String {
        let mut put = agent()
            .put(format!(
                "{}/v2/{repository}/manifests/{reference}",
                self.base()
            ))
            .header("Content-Type", media_type);
        if let Some(auth) = self.authorization() {
            put = put.header("Authorization", auth);
        }
        let mut response = put.send(body.as_bytes()).unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(
            status, 201,
            "pushing manifest {repository}:{reference}: {text}"
        );
        sha256(body.as_bytes())
    }

    /// A small single-platform image (config + one layer), unique per `seed`; returns the
    /// manifest body and digest, tagged with each of `tags`.
    fn push_image(
        &self,
        repository: &str,
        seed: &str,
        architecture: &str,
        tags: &[&str],
    ) -> (String, String) {
        let config = format!(
            r#"{{"architecture":"{architecture}","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"config":{{"Labels":{{"seed":"{seed}"}}}}}}"#
        );
        let layer = format!("layer for {seed} {architecture}");
        let config_digest = self.push_blob(repository, config.as_bytes());
        let layer_digest = self.push_blob(repository, layer.as_bytes());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer_digest}","size":{}}}]}}"#,
            config.len(),
            layer.len()
        );
        let digest = sha256(manifest.as_bytes());
        self.push_manifest(repository, &digest, OCI_MANIFEST, &manifest);
        for tag in tags {
            self.push_manifest(repository, tag, OCI_MANIFEST, &manifest);
        }
        (manifest, digest)
    }

    /// A two-platform image index, tagged with each of `tags`; returns the index digest.
    fn push_index(&self, repository: &str, seed: &str, tags: &[&str]) -> String {
        let platforms = ["amd64", "arm64"].map(|arch| {
            let (manifest, digest) = self.push_image(repository, seed, arch, &[]);
            format!(r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{digest}","size":{},"platform":{{"architecture":"{arch}","os":"linux"}}}}"#, manifest.len())
        });
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{}]}}"#,
            platforms.join(",")
        );
        let digest = sha256(index.as_bytes());
        for tag in tags {
            self.push_manifest(repository, tag, OCI_INDEX, &index);
        }
        digest
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .proxy(None)
        .build()
        .into()
}

fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A project directory with a compose file, a private Docker config and HOME.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(compose: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("compose.yaml"), compose).unwrap();
        std::fs::create_dir(dir.path().join("docker")).unwrap();
        Project { dir }
    }

    fn docker_config(&self, registry: &str, user: &str, password: &str) {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        std::fs::write(
            self.dir.path().join("docker/config.json"),
            format!(r#"{{"auths":{{"{registry}":{{"auth":"{auth}"}}}}}}"#),
        )
        .unwrap();
    }

    /// Runs `shipshape pin` in the project with `args`; extra environment in `env`.
    fn pin(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut all = vec!["--no-config"];
        all.extend_from_slice(args);
        self.pin_with_config(&all, env)
    }

    /// Runs `shipshape pin` reading the project's `shipshape.yaml`, if any.
    fn pin_with_config(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = self.command("pin", args, "");
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().unwrap()
    }

    /// Runs `shipshape fix --no-config --select pin-image-tags` in `subdir` of the project.
    fn fix(&self, subdir: &str, args: &[&str]) -> Output {
        let mut all = vec![
            "--no-config",
            "--select",
            "pin-image-tags",
            "--color",
            "never",
        ];
        all.extend_from_slice(args);
        self.command("fix", &all, subdir).output().unwrap()
    }

    /// `shipshape <subcommand> <args>` in `subdir` of the project, with the project's HOME and
    /// Docker config and no proxies.
    fn command(&self, subcommand: &str, args: &[&str], subdir: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_shipshape"));
        command
            .arg(subcommand)
            .args(args)
            .current_dir(self.dir.path().join(subdir));
        command
            .env("HOME", self.dir.path())
            .env("DOCKER_CONFIG", self.dir.path().join("docker"));
        for proxy in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
            "SHIPSHAPE_REGISTRY_PAGE_SIZE",
        ] {
            command.env_remove(proxy);
        }
        command.env("SHIPSHAPE_REGISTRY_TIMEOUT_MS", "5000");
        command
    }

    fn lock(&self) -> yaml_serde::Value {
        let text = std::fs::read_to_string(self.path("shipshape.lock"))
            .expect("shipshape.lock was written");
        yaml_serde::from_str(&text).unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn entry<'v>(lock: &'v yaml_serde::Value, reference: &str) -> &'v yaml_serde::Value {
    lock.get("images")
        .and_then(|i| i.get(reference))
        .unwrap_or_else(|| panic!("no lock entry for {reference}: {lock:?}"))
}

fn field<'v>(lock: &'v yaml_serde::Value, reference: &str, key: &str) -> &'v str {
    entry(lock, reference)
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("{reference}.{key} missing"))
}

fn is_rfc3339_utc(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && text.chars().filter(char::is_ascii_digit).count() == 14
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry); run by .ci/run"]
fn pins_tags_floating_tags_and_indexes() {
    let registry = Registry::start();
    let host = registry.host();
    let (_, old) = registry.push_image("postgres", "16.3", "amd64", &["16.3"]);
    let (_, current) = registry.push_image("postgres", "16.4", "amd64", &["16.4", "16", "latest"]);
    // Same digest as `latest` but a variant: must not be chosen for plain `latest`.
    registry.push_manifest(
        "postgres",
        "16.4-alpine",
        OCI_MANIFEST,
        &registry.push_image("postgres", "16.4", "amd64", &[]).0,
    );
    let index = registry.push_index("team/multi", "1.0", &["1.0", "latest"]);
    let project = Project::new(&format!(
        "x-db: &db\n  image: {host}/postgres:latest\nservices:\n  db:\n    <<: *db\n  old:\n    image: {host}/postgres:16.3\n  multi:\n    image: {host}/team/multi\n  app:\n    build: .\n    image: myapp:dev\n  var:\n    image: ${{IMAGE:-nginx}}\n"
    ));

    // A page size of 2 makes the tag list span several pages.
    let output = project.pin(
        &["--insecure-registry", &host],
        &[("SHIPSHAPE_REGISTRY_PAGE_SIZE", "2")],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let lock = project.lock();
    let latest = format!("{host}/postgres:latest");
    assert_eq!(
        field(&lock, &latest, "resolved"),
        format!("{host}/postgres:16.4@{current}")
    );
    assert_eq!(field(&lock, &latest, "tag"), "16.4");
    assert_eq!(field(&lock, &latest, "digest"), current);
    assert_eq!(field(&lock, &latest, "registry"), host);
    assert_eq!(field(&lock, &latest, "repository"), "postgres");
    assert!(
        is_rfc3339_utc(field(&lock, &latest, "resolved_at")),
        "{lock:?}"
    );
    assert_eq!(
        field(&lock, &format!("{host}/postgres:16.3"), "resolved"),
        format!("{host}/postgres:16.3@{old}")
    );
    // A multi-platform image pins the index, and untagged means `latest` → its version tag.
    assert_eq!(
        field(&lock, &format!("{host}/team/multi"), "resolved"),
        format!("{host}/team/multi:1.0@{index}")
    );
    assert_eq!(
        lock.get("images")
            .and_then(|i| i.as_mapping())
            .map(yaml_serde::Mapping::len),
        Some(3),
        "{lock:?}"
    );
    assert!(
        err.contains("skipped   myapp:dev: service `app` is built locally"),
        "{err}"
    );
    assert!(
        err.contains("skipped   ${IMAGE:-nginx}: contains a variable"),
        "{err}"
    );
    assert!(
        err.contains("3 resolved, 0 unchanged, 2 skipped, 0 failed"),
        "{err}"
    );
    assert!(!project.path("docker").join("config.json").exists());
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry); run by .ci/run"]
fn missing_repository_and_tag_fail_clearly_and_others_are_pinned() {
    let registry = Registry::start();
    let host = registry.host();
    let (_, digest) = registry.push_image("postgres", "16.4", "amd64", &["16.4"]);
    let project = Project::new(&format!(
        "services:\n  a:\n    image: {host}/nope:1\n  b:\n    image: {host}/postgres:9.9\n  c:\n    image: {host}/postgres:16.4\n"
    ));

    let output = project.pin(&["--insecure-registry", &host], &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "failed    {host}/nope:1 (compose.yaml:3): repository nope not found on {host}"
        )),
        "{err}"
    );
    assert!(err.contains(&format!("failed    {host}/postgres:9.9 (compose.yaml:5): postgres:9.9 not found on {host}; check that the tag exists")), "{err}");
    let lock = project.lock();
    assert_eq!(
        field(&lock, &format!("{host}/postgres:16.4"), "digest"),
        digest
    );
    assert!(
        lock.get("images")
            .and_then(|i| i.get(format!("{host}/nope:1")))
            .is_none()
    );

    // `-q` keeps only the failures.
    let quiet = project.pin(&["-q", "--update", "--insecure-registry", &host], &[]);
    let err = stderr(&quiet);
    assert_eq!(quiet.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.lines().all(|l| l.starts_with("failed ")), "{err}");
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry); run by .ci/run"]
fn basic_auth_uses_docker_config_credentials() {
    let registry = Registry::start_with_basic_auth("ci-user", "pa55-word");
    let host = registry.host();
    let (_, digest) = registry.push_image("private/app", "1", "amd64", &["1.2"]);
    let project = Project::new(&format!(
        "services:\n  app:\n    image: {host}/private/app:1.2\n"
    ));

    let denied = project.pin(&["--insecure-registry", &host], &[]);
    let err = stderr(&denied);
    assert_eq!(denied.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("{host} refused access to private/app: the registry asks for a user name and password; run `docker login {host}`")), "{err}");

    project.docker_config(&host, "ci-user", "wrong");
    let rejected = project.pin(&["--insecure-registry", &host], &[]);
    let err = stderr(&rejected);
    assert_eq!(rejected.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the registry rejected the credentials"),
        "{err}"
    );
    assert!(
        !err.contains("wrong"),
        "credentials must never be printed: {err}"
    );

    project.docker_config(&host, "ci-user", "pa55-word");
    let output = project.pin(&["--insecure-registry", &host], &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(!err.contains("pa55-word"), "{err}");
    assert_eq!(
        field(
            &project.lock(),
            &format!("{host}/private/app:1.2"),
            "digest"
        ),
        digest
    );
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry); run by .ci/run"]
fn registry_that_is_down_times_out_and_others_still_resolve() {
    let registry = Registry::start();
    let host = registry.host();
    let (_, digest) = registry.push_image("app", "1", "amd64", &["1.0"]);
    // Accepts connections (the kernel's backlog) but never answers: a hung registry.
    let hung = TcpListener::bind("127.0.0.1:0").unwrap();
    let hung_host = format!("127.0.0.1:{}", hung.local_addr().unwrap().port());
    let project = Project::new(&format!(
        "services:\n  up:\n    image: {host}/app:1.0\n  down:\n    image: {hung_host}/app:1.0\n"
    ));

    let started = Instant::now();
    let output = project.pin(
        &[
            "--insecure-registry",
            &host,
            "--insecure-registry",
            &hung_host,
        ],
        &[("SHIPSHAPE_REGISTRY_TIMEOUT_MS", "300")],
    );
    let err = stderr(&output);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "failed    {hung_host}/app:1.0 (compose.yaml:5): {hung_host} is unreachable (timed out"
        )),
        "{err}"
    );
    assert_eq!(
        field(&project.lock(), &format!("{host}/app:1.0"), "digest"),
        digest
    );
    drop(hung);
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry); run by .ci/run"]
fn update_refreshes_entries_only_when_asked() {
    let registry = Registry::start();
    let host = registry.host();
    let (_, first) = registry.push_image("app", "first", "amd64", &["1.0"]);
    let project = Project::new(&format!("services:\n  app:\n    image: {host}/app:1.0\n"));
    let insecure = ["--insecure-registry", host.as_str()];
    let reference = format!("{host}/app:1.0");

    assert_eq!(project.pin(&insecure, &[]).status.code(), Some(0));
    assert_eq!(field(&project.lock(), &reference, "digest"), first);
    let written = std::fs::read_to_string(project.path("shipshape.lock")).unwrap();

    // Unchanged registry, `--update`: the lock is left byte for byte (no timestamp churn).
    let again = project.pin(&["--update", insecure[0], insecure[1]], &[]);
    assert!(stderr(&again).contains("unchanged"), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(project.path("shipshape.lock")).unwrap(),
        written
    );

    let (_, second) = registry.push_image("app", "second", "amd64", &["1.0"]);
    let kept = project.pin(&insecure, &[]);
    assert_eq!(kept.status.code(), Some(0));
    assert!(
        stderr(&kept).contains("already in the lock; `--update` refreshes it"),
        "{}",
        stderr(&kept)
    );
    assert_eq!(field(&project.lock(), &reference, "digest"), first);

    let updated = project.pin(&["--update", insecure[0], insecure[1]], &[]);
    let err = stderr(&updated);
    assert_eq!(updated.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("(was {host}/app:1.0@{first})")),
        "{err}"
    );
    assert_eq!(field(&project.lock(), &reference, "digest"), second);
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry); run by .ci/run"]
fn plain_http_needs_insecure_registry() {
    let registry = Registry::start();
    let host = registry.host();
    registry.push_image("app", "1", "amd64", &["1.0"]);
    let project = Project::new(&format!("services:\n  app:\n    image: {host}/app:1.0\n"));
    let output = project.pin(&[], &[("SHIPSHAPE_REGISTRY_TIMEOUT_MS", "1000")]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("pass `--insecure-registry {host}`")),
        "{err}"
    );
    assert!(!project.path("shipshape.lock").exists());
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry); run by .ci/run"]
fn docker_hub_lookups_go_to_the_mirror() {
    let mirror = Registry::start();
    let (_, digest) = mirror.push_image(
        "library/postgres",
        "16.4",
        "amd64",
        &["16.4", "16", "latest"],
    );
    let project = Project::new(
        "services:\n  a:\n    image: postgres:16.4\n  b:\n    image: docker.io/library/postgres:latest\n",
    );

    let output = project.pin(&["--registry-mirror", &mirror.base()], &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let lock = project.lock();
    assert_eq!(
        field(&lock, "postgres:16.4", "resolved"),
        format!("postgres:16.4@{digest}")
    );
    // The lock names where the image lives, not the mirror that answered.
    assert_eq!(
        field(&lock, "postgres:16.4", "registry"),
        "registry-1.docker.io"
    );
    assert_eq!(
        field(&lock, "postgres:16.4", "repository"),
        "library/postgres"
    );
    assert_eq!(
        field(&lock, "docker.io/library/postgres:latest", "resolved"),
        format!("docker.io/library/postgres:16.4@{digest}")
    );
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry); run by .ci/run"]
fn registry_settings_come_from_shipshape_yaml() {
    let registry = Registry::start();
    let host = registry.host();
    let (_, digest) = registry.push_image("app", "1", "amd64", &["1.0"]);
    let project = Project::new(&format!("services:\n  app:\n    image: {host}/app:1.0\n"));
    std::fs::write(
        project.path("shipshape.yaml"),
        format!("insecure-registries:\n  - {host}\n"),
    )
    .unwrap();

    let output = project.pin_with_config(&["--lock-file", "locks/images.lock"], &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let text = std::fs::read_to_string(project.path("locks/images.lock")).unwrap();
    assert!(text.starts_with("# Generated by `shipshape pin`"), "{text}");
    assert!(text.contains(&format!("digest: {digest}")), "{text}");
    assert!(!project.path("shipshape.lock").exists());
}

#[test]
fn bad_registry_options_exit_2() {
    let project = Project::new("services:\n  app:\n    image: nginx\n");
    let output = project.pin(&["--insecure-registry", "http://localhost:5000"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("expected HOST:PORT"),
        "{}",
        stderr(&output)
    );
    let output = project.pin(&["--registry-mirror", "mirror.local"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("expected a URL"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn invalid_lock_file_exits_2_and_is_left_alone() {
    let project = Project::new("services:\n  app:\n    image: nginx\n");
    std::fs::write(project.path("shipshape.lock"), "version: [\n").unwrap();
    let output = project.pin(&[], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid lock file"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(project.path("shipshape.lock")).unwrap(),
        "version: [\n"
    );
}

#[test]
fn nothing_to_resolve_needs_no_network() {
    let digest = format!("sha256:{}", "a".repeat(64));
    let project = Project::new(&format!(
        "services:\n  a:\n    build: .\n  b:\n    image: ${{IMG}}\n  c:\n    image: nginx@{digest}\n"
    ));
    let output = project.pin(&[], &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(err.contains("already pinned to a digest"), "{err}");
    assert!(
        !project.path("shipshape.lock").exists(),
        "no entries, no lock file"
    );
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry); run by .ci/run"]
fn fix_pins_floating_images_to_what_pin_locked() {
    let registry = Registry::start();
    let host = registry.host();
    // The same registry spelled another way: the rewrite keeps the spelling as written.
    let spelled = format!("LocalHost:{}", registry.port);
    let insecure = format!("localhost:{}", registry.port);
    registry.push_image("postgres", "16.3", "amd64", &["16.3"]);
    let (_, current) = registry.push_image("postgres", "16.4", "amd64", &["16.4", "16", "latest"]);
    let index = registry.push_index("team/multi", "1.0", &["1.0", "latest"]);
    let (_, stable) = registry.push_image("app", "2.1", "amd64", &["2.1", "stable"]);
    registry.push_image("app", "2.2", "amd64", &["2.2", "edge"]);
    let compose = format!(
        "x-db: &db\n  image: {host}/postgres:latest\nservices:\n  db:\n    <<: *db\n  old:\n    image: {host}/postgres:16.3\n  multi:\n    image: {spelled}/team/multi\n  api:\n    image: {host}/app:stable\n  app:\n    build: .\n    image: myapp:latest\n  var:\n    image: ${{IMAGE:-nginx}}\n"
    );
    let project = Project::new(&compose);

    let pinned = project.pin(
        &[
            "--insecure-registry",
            &host,
            "--insecure-registry",
            &insecure,
        ],
        &[],
    );
    assert_eq!(pinned.status.code(), Some(0), "{}", stderr(&pinned));
    let lock = project.lock();
    let db = format!("{host}/postgres:16.4@{current}");
    let multi = format!("{spelled}/team/multi:1.0@{index}");
    let api = format!("{host}/app:2.1@{stable}");
    assert_eq!(
        field(&lock, &format!("{host}/postgres:latest"), "resolved"),
        db
    );
    assert_eq!(
        field(&lock, &format!("{spelled}/team/multi"), "resolved"),
        multi
    );
    assert_eq!(field(&lock, &format!("{host}/app:stable"), "resolved"), api);

    // The diff: each floating image becomes exactly the lock's `resolved`; `db` gets its own
    // `image:` (the anchor may be shared), the rest is left as written.
    let diff = project.fix("", &[]);
    let out = stdout(&diff);
    assert_eq!(diff.status.code(), Some(0), "{}", stderr(&diff));
    let plus: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    let minus: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .collect();
    assert_eq!(
        plus,
        [
            format!("+    image: {db}"),
            format!("+    image: {multi}"),
            format!("+    image: {api}"),
        ],
        "{out}"
    );
    assert_eq!(
        minus,
        [
            format!("-    image: {spelled}/team/multi"),
            format!("-    image: {host}/app:stable"),
        ],
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(project.path("compose.yaml")).unwrap(),
        compose
    );

    let written = project.fix("", &["--write"]);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let expected = format!(
        "x-db: &db\n  image: {host}/postgres:latest\nservices:\n  db:\n    <<: *db\n    image: {db}\n  old:\n    image: {host}/postgres:16.3\n  multi:\n    image: {multi}\n  api:\n    image: {api}\n  app:\n    build: .\n    image: myapp:latest\n  var:\n    image: ${{IMAGE:-nginx}}\n"
    );
    assert_eq!(
        std::fs::read_to_string(project.path("compose.yaml")).unwrap(),
        expected
    );

    // A second run has nothing left to change.
    let again = project.fix("", &["--check"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}{}",
        stdout(&again),
        stderr(&again)
    );
    assert_eq!(stdout(&again), "");
    let rewritten = project.fix("", &["--write"]);
    assert_eq!(rewritten.status.code(), Some(0), "{}", stderr(&rewritten));
    assert_eq!(
        std::fs::read_to_string(project.path("compose.yaml")).unwrap(),
        expected
    );

    // A compose file below the lock's directory finds it when `fix` runs where it lives.
    std::fs::create_dir(project.path("deploy")).unwrap();
    std::fs::write(
        project.path("deploy/compose.yaml"),
        format!("services:\n  db:\n    image: {host}/postgres:latest\n"),
    )
    .unwrap();
    let below = project.fix("deploy", &["--write"]);
    assert_eq!(below.status.code(), Some(0), "{}", stderr(&below));
    assert_eq!(
        std::fs::read_to_string(project.path("deploy/compose.yaml")).unwrap(),
        format!("services:\n  db:\n    image: {db}\n")
    );
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry); run by .ci/run"]
fn policy_floating_tags_resolve_to_version_tags() {
    let registry = Registry::start();
    let host = registry.host();
    let (_, stable) = registry.push_image("app", "2.1", "amd64", &["2.1", "stable"]);
    let (_, edge) = registry.push_image("app", "2.2", "amd64", &["2.2", "2", "edge"]);
    let (_, alpine) = registry.push_image("app", "2.2-alpine", "amd64", &["2.2-alpine", "alpine"]);
    let (_, lts) = registry.push_image("app", "lts", "amd64", &["lts"]);
    let project = Project::new(&format!(
        "services:\n  s:\n    image: {host}/app:stable\n  e:\n    image: {host}/app:edge\n  a:\n    image: {host}/app:alpine\n  l:\n    image: {host}/app:lts\n"
    ));

    // The default policy's `floating_tags` (`stable`, `edge`, `lts`, `alpine`, …) float.
    let output = project.pin(&["--insecure-registry", &host], &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let lock = project.lock();
    let resolved = |tag: &str| field(&lock, &format!("{host}/app:{tag}"), "resolved").to_string();
    assert_eq!(resolved("stable"), format!("{host}/app:2.1@{stable}"));
    assert_eq!(field(&lock, &format!("{host}/app:stable"), "tag"), "2.1");
    // `2.2` is more specific than `2`.
    assert_eq!(resolved("edge"), format!("{host}/app:2.2@{edge}"));
    // A floating tag that names a variant is matched against that variant's versions.
    assert_eq!(
        resolved("alpine"),
        format!("{host}/app:2.2-alpine@{alpine}")
    );
    // No version tag has `lts`'s digest: it stays `lts`, pinned to its digest, with a note.
    assert_eq!(resolved("lts"), format!("{host}/app:lts@{lts}"));
    assert!(
        err.contains(&format!("resolved  {host}/app:lts -> {host}/app:lts@{lts}; note: kept `lts`: no version tag among the newest 3 points at the same digest")),
        "{err}"
    );

    // The list comes from the policy: a project that floats only `stable` pins `edge` as is.
    std::fs::write(
        project.path("shipshape.yaml"),
        format!("insecure-registries: [\"{host}\"]\nrules:\n  pin-image-tags:\n    floating_tags: [stable]\n"),
    )
    .unwrap();
    let output = project.pin_with_config(&["--update"], &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let lock = project.lock();
    let resolved = |tag: &str| field(&lock, &format!("{host}/app:{tag}"), "resolved").to_string();
    assert_eq!(resolved("stable"), format!("{host}/app:2.1@{stable}"));
    assert_eq!(resolved("edge"), format!("{host}/app:edge@{edge}"));
    assert_eq!(resolved("alpine"), format!("{host}/app:alpine@{alpine}"));
    assert!(
        err.contains(&format!(
            "resolved  {host}/app:edge -> {host}/app:edge@{edge} (was {host}/app:2.2@{edge})"
        )),
        "{err}"
    );
    assert!(
        err.contains("4 images: 2 resolved, 2 unchanged, 0 skipped, 0 failed"),
        "{err}"
    );
}

/// `text` with the registry's address and each named digest replaced by a stable name, and
/// any other digest by `sha256:<other>`, for snapshots.
fn normalise(text: &str, host: &str, digests: &[(&str, &str)]) -> String {
    let mut text = text.replace(host, "<registry>");
    for (digest, name) in digests {
        text = text.replace(digest, &format!("<{name}>"));
    }
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("sha256:") {
        let hex = &rest[i + 7..];
        let len = hex.bytes().take_while(u8::is_ascii_hexdigit).count();
        out.push_str(&rest[..i]);
        if len == 64 {
            out.push_str("sha256:<other>");
        } else {
            out.push_str("sha256:");
        }
        rest = &hex[if len == 64 { 64 } else { 0 }..];
    }
    out.push_str(rest);
    out
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry); run by .ci/run"]
fn pin_output_snapshots() {
    let registry = Registry::start();
    let host = registry.host();
    let (_, first) = registry.push_image("postgres", "16.4", "amd64", &["16.4", "16", "latest"]);
    // `lts` is not among the version tags (here only `1.0`): it stays `lts`, with a note.
    let (_, one) = registry.push_image("app", "1.0", "amd64", &["1.0"]);
    let (_, lts) = registry.push_image("app", "lts", "amd64", &["lts"]);
    let pinned = format!("sha256:{}", "0".repeat(64));
    let project = Project::new(&format!(
        "services:\n  db:\n    image: {host}/postgres:latest\n  exact:\n    image: {host}/postgres:16.4\n  app:\n    image: {host}/app:lts\n  gone:\n    image: {host}/postgres:9.9\n  web:\n    build: .\n    image: myapp:dev\n  var:\n    image: ${{IMAGE:-nginx}}\n  fixed:\n    image: {host}/postgres@{pinned}\n"
    ));
    let mut names = vec![
        (first, "postgres-16.4"),
        (one, "app-1.0"),
        (lts, "app-lts"),
        (pinned, "pinned"),
    ];
    // The exit code and stderr of `pin <args>`, normalised.
    let run = |args: &[&str], names: &[(String, &str)]| {
        let mut all = vec!["--insecure-registry", host.as_str()];
        all.extend_from_slice(args);
        let output = project.pin(&all, &[]);
        assert_eq!(stdout(&output), "", "pin prints on stderr only");
        let names: Vec<(&str, &str)> = names.iter().map(|(d, n)| (d.as_str(), *n)).collect();
        format!(
            "exit {:?}\n{}",
            output.status.code(),
            normalise(&stderr(&output), &host, &names)
        )
    };

    // A first run: every kind of line.
    insta::assert_snapshot!("pin_first_run", run(&[], &names));
    // Again: what is in the lock stays as it is.
    insta::assert_snapshot!("pin_second_run", run(&[], &names));
    // `--update` after `16.4` (and so `latest`) was rebuilt.
    let (_, rebuilt) = registry.push_image(
        "postgres",
        "16.4-rebuilt",
        "amd64",
        &["16.4", "16", "latest"],
    );
    names.push((rebuilt, "postgres-16.4-rebuilt"));
    insta::assert_snapshot!("pin_update_run", run(&["--update"], &names));
}
