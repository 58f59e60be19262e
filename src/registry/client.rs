//! A small OCI Distribution client: manifest digests and tag lists, nothing else.
//!
//! Promised: one [`Client`] per run, deciding where each repository is served ([`Endpoint`]:
//! HTTPS, plain HTTP only for registries named insecure or a mirror given with an `http://`
//! URL) and answering the bearer-token and basic-auth challenge flows, with the working
//! `Authorization` cached per repository. Requests themselves are `transport`'s; what is
//! asked is in `manifests` and `tag_list`.
//! Refused: pushing, pulling blobs, credential helpers, redirects to other schemes, and
//! sending credentials to a plain-HTTP token service not named insecure.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::auth::{Challenge, Credentials, DockerCredentials};
use super::error::RegistryError;
use super::transport::{Method, Reply};
use crate::image_ref::ImageRef;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_PAGE_SIZE: usize = 1000;

/// How to reach registries.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Per-request timeout (connect, send, receive).
    pub timeout: Duration,
    /// How many times a request is tried when the registry is busy or unreachable.
    pub attempts: u32,
    /// First backoff; doubled after each attempt.
    pub backoff: Duration,
    /// Registries (`host[:port]`) reached over plain HTTP.
    pub insecure: Vec<String>,
    /// Base URL that Docker Hub lookups go to instead of `registry-1.docker.io`.
    pub mirror: Option<String>,
    /// Tags requested per page of the tag list.
    pub page_size: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: DEFAULT_TIMEOUT,
            attempts: 3,
            backoff: Duration::from_millis(250),
            insecure: Vec::new(),
            mirror: None,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

impl ClientOptions {
    /// Test and CI knobs: `SHIPSHAPE_REGISTRY_TIMEOUT_MS` (a quick failure for a registry
    /// that is down) and `SHIPSHAPE_REGISTRY_PAGE_SIZE` (to exercise pagination).
    pub fn with_env_overrides(mut self) -> Self {
        let number = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|n| *n > 0)
        };
        if let Some(ms) = number("SHIPSHAPE_REGISTRY_TIMEOUT_MS") {
            self.timeout = Duration::from_millis(ms);
            self.backoff = self.backoff.min(Duration::from_millis(ms));
        }
        if let Some(size) = number("SHIPSHAPE_REGISTRY_PAGE_SIZE") {
            self.page_size = usize::try_from(size).unwrap_or(DEFAULT_PAGE_SIZE);
        }
        self
    }
}

/// Where one repository's API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://ghcr.io`, `http://127.0.0.1:5000` or a mirror's base URL.
    pub base: String,
    /// The registry name used for credentials and messages.
    pub registry: String,
    pub repository: String,
}

/// A client shared by every resolution of a run (its token cache is shared too).
pub struct Client {
    pub(super) agent: ureq::Agent,
    pub(super) options: ClientOptions,
    credentials: DockerCredentials,
    /// (base URL, repository) → `Authorization` header value that worked.
    auth_cache: Mutex<HashMap<(String, String), String>>,
}

impl Client {
    pub fn new(options: ClientOptions, credentials: DockerCredentials) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(options.timeout))
            .max_redirects(5)
            .user_agent(concat!("shipshape/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            options,
            credentials,
            auth_cache: Mutex::new(HashMap::new()),
        }
    }

    /// Where `image`'s repository is served: the mirror for Docker Hub when one is set,
    /// plain HTTP for insecure registries, HTTPS otherwise.
    pub fn endpoint(&self, image: &ImageRef<'_>) -> Endpoint {
        let registry = image.registry().into_owned();
        let repository = image.repository().into_owned();
        if let Some(mirror) = self
            .options
            .mirror
            .as_ref()
            .filter(|_| image.is_docker_hub())
        {
            return Endpoint {
                base: mirror.trim_end_matches('/').to_string(),
                registry: host_of(mirror).to_string(),
                repository,
            };
        }
        let host = image.api_host();
        let insecure = self
            .options
            .insecure
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&host) || h.eq_ignore_ascii_case(&registry));
        let scheme = if insecure { "http" } else { "https" };
        Endpoint {
            base: format!("{scheme}://{host}"),
            registry,
            repository,
        }
    }

    /// Sends a request with cached credentials, answering one auth challenge and retrying
    /// busy or unreachable registries.
    pub(super) fn send(
        &self,
        endpoint: &Endpoint,
        method: Method,
        path: &str,
    ) -> Result<Reply, RegistryError> {
        let url = format!("{}{path}", endpoint.base);
        let key = (endpoint.base.clone(), endpoint.repository.clone());
        let cached = self.lock_cache().get(&key).cloned();
        let reply = self.send_with_retries(endpoint, method, &url, cached.as_deref())?;
        if reply.status != 401 {
            return Ok(reply);
        }
        let authorization = self.answer_challenge(endpoint, &reply)?;
        let retried = self.send_with_retries(endpoint, method, &url, Some(&authorization))?;
        if retried.status == 401 || retried.status == 403 {
            return Err(self.unauthorized(endpoint, "the registry rejected the credentials"));
        }
        self.lock_cache().insert(key, authorization);
        Ok(retried)
    }

    /// The `Authorization` value that answers a 401's `WWW-Authenticate` challenge.
    fn answer_challenge(
        &self,
        endpoint: &Endpoint,
        reply: &Reply,
    ) -> Result<String, RegistryError> {
        let challenge = reply.header("www-authenticate").and_then(Challenge::parse);
        let credentials = self.credentials.for_registry(&endpoint.registry);
        match challenge {
            Some(Challenge::Basic) => {
                match credentials {
                    Some(credentials) => Ok(credentials.basic_header()),
                    None => Err(self
                        .unauthorized(endpoint, "the registry asks for a user name and password")),
                }
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope,
            }) => {
                let scope =
                    scope.unwrap_or_else(|| format!("repository:{}:pull", endpoint.repository));
                let token =
                    self.fetch_token(endpoint, &realm, service.as_deref(), &scope, credentials)?;
                Ok(format!("Bearer {token}"))
            }
            None => Err(self.unauthorized(
                endpoint,
                "the registry answered 401 without a challenge shipshape understands",
            )),
        }
    }

    fn fetch_token(
        &self,
        endpoint: &Endpoint,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        credentials: Option<&Credentials>,
    ) -> Result<String, RegistryError> {
        let mut url = format!(
            "{realm}{}scope={}",
            if realm.contains('?') { '&' } else { '?' },
            percent_encode(scope)
        );
        if let Some(service) = service {
            url.push_str(&format!("&service={}", percent_encode(service)));
        }
        let realm_host = host_of(realm);
        let plain_http = realm.starts_with("http://")
            && !self
                .options
                .insecure
                .iter()
                .any(|h| h.eq_ignore_ascii_case(realm_host));
        if plain_http && credentials.is_some() {
            // A registry must not be able to lure credentials onto an unencrypted connection.
            return Err(RegistryError::Unauthorized {
                registry: endpoint.registry.clone(),
                repository: endpoint.repository.clone(),
                why: format!(
                    "its token service {realm} is plain HTTP, and shipshape does not send credentials over it"
                ),
                hint: format!("if that is intended, pass `--insecure-registry {realm_host}`"),
            });
        }
        let basic = credentials.map(Credentials::basic_header);
        let reply = self.send_with_retries(endpoint, Method::Get, &url, basic.as_deref())?;
        if reply.status == 401 || reply.status == 403 {
            let why = if credentials.is_some() {
                "the token service rejected the credentials"
            } else {
                "the token service asks for credentials"
            };
            return Err(self.unauthorized(endpoint, why));
        }
        if reply.status != 200 {
            return Err(self.status_error(endpoint, realm, &reply));
        }
        let token: TokenReply =
            serde_json::from_slice(&reply.body).map_err(|e| RegistryError::InvalidResponse {
                url: realm.to_string(),
                message: format!("token reply is not JSON: {e}"),
            })?;
        token
            .token
            .or(token.access_token)
            .ok_or_else(|| RegistryError::InvalidResponse {
                url: realm.to_string(),
                message: "token reply has no `token`".into(),
            })
    }

    fn unauthorized(&self, endpoint: &Endpoint, why: &str) -> RegistryError {
        let has_credentials = self.credentials.for_registry(&endpoint.registry).is_some();
        let hint = match (
            has_credentials,
            self.credentials.helper_hint(&endpoint.registry),
        ) {
            (true, _) => format!(
                "check the `auths` entry for {} in the Docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json)",
                endpoint.registry
            ),
            (false, Some(helper)) => helper,
            (false, None) => format!(
                "run `docker login {}` or add an `auths` entry to $DOCKER_CONFIG/config.json",
                endpoint.registry
            ),
        };
        RegistryError::Unauthorized {
            registry: endpoint.registry.clone(),
            repository: endpoint.repository.clone(),
            why: why.to_string(),
            hint,
        }
    }

    pub(super) fn status_error(
        &self,
        endpoint: &Endpoint,
        path: &str,
        reply: &Reply,
    ) -> RegistryError {
        if reply.status == 403 {
            return self.unauthorized(endpoint, "access denied");
        }
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", endpoint.base)
        };
        let code = reply
            .error_code()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        RegistryError::Status {
            url,
            status: reply.status,
            message: format!("unexpected HTTP status{code}"),
        }
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), String>> {
        // Inserting one value cannot leave the map inconsistent, so a poisoned lock is usable.
        self.auth_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(serde::Deserialize)]
struct TokenReply {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;
    use crate::registry::test_server::{Responder, local_client, response};

    fn client(options: ClientOptions) -> Client {
        Client::new(options, DockerCredentials::default())
    }

    #[test]
    fn endpoints_choose_scheme_and_mirror() {
        let c = client(ClientOptions {
            insecure: vec!["127.0.0.1:5000".into()],
            mirror: Some("http://mirror.local:5001/".into()),
            ..ClientOptions::default()
        });
        let local = c.endpoint(&ImageRef::parse_strict("127.0.0.1:5000/app:1").unwrap());
        assert_eq!(local.base, "http://127.0.0.1:5000");
        let ghcr = c.endpoint(&ImageRef::parse_strict("ghcr.io/org/app").unwrap());
        assert_eq!(
            (ghcr.base.as_str(), ghcr.repository.as_str()),
            ("https://ghcr.io", "org/app")
        );
        let hub = c.endpoint(&ImageRef::parse_strict("postgres").unwrap());
        assert_eq!(
            (
                hub.base.as_str(),
                hub.registry.as_str(),
                hub.repository.as_str()
            ),
            (
                "http://mirror.local:5001",
                "mirror.local:5001",
                "library/postgres"
            )
        );
        let no_mirror =
            client(ClientOptions::default()).endpoint(&ImageRef::parse_strict("postgres").unwrap());
        assert_eq!(no_mirror.base, "https://registry-1.docker.io");
    }

    #[test]
    fn percent_encodes_scopes() {
        assert_eq!(
            percent_encode("repository:library/pg:pull"),
            "repository%3Alibrary%2Fpg%3Apull"
        );
    }

    #[test]
    fn bearer_challenge_fetches_a_token_with_credentials_and_reuses_it() {
        const DIGEST: &str =
            "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        let server = Responder::start(4, |head, base| {
            let authorized = head.contains("Authorization: Bearer tok-123")
                || head.contains("authorization: Bearer tok-123");
            if head.starts_with("GET /token?") {
                response(
                    "200 OK",
                    &[("Content-Type", "application/json")],
                    r#"{"token":"tok-123"}"#,
                )
            } else if authorized {
                response("200 OK", &[("Docker-Content-Digest", DIGEST)], "")
            } else {
                let challenge = format!(
                    r#"Bearer realm="{base}/token",service="test-registry",scope="repository:team/app:pull""#
                );
                response("401 Unauthorized", &[("WWW-Authenticate", &challenge)], "")
            }
        });
        let host = server.base.trim_start_matches("http://").to_string();
        let encoded = base64::engine::general_purpose::STANDARD.encode("user:pw");
        let credentials = DockerCredentials::parse(&format!(
            r#"{{"auths":{{"{host}":{{"auth":"{encoded}"}}}}}}"#
        ));
        let (client, endpoint) = local_client(&server.base, credentials);
        assert_eq!(client.manifest_digest(&endpoint, "1").unwrap(), DIGEST);
        // The token is cached: the second lookup goes straight through.
        assert_eq!(client.manifest_digest(&endpoint, "2").unwrap(), DIGEST);
        let seen = server.join();
        assert!(
            seen[0].starts_with("HEAD /v2/team/app/manifests/1 "),
            "{seen:?}"
        );
        assert!(
            seen[1].starts_with(
                "GET /token?scope=repository%3Ateam%2Fapp%3Apull&service=test-registry "
            ),
            "{seen:?}"
        );
        assert!(
            seen[1].to_ascii_lowercase().contains(&format!(
                "authorization: basic {}",
                encoded.to_ascii_lowercase()
            )),
            "{seen:?}"
        );
        assert!(
            seen[3].starts_with("HEAD /v2/team/app/manifests/2 ")
                && seen[3].contains("Bearer tok-123"),
            "{seen:?}"
        );
    }

    #[test]
    fn credentials_never_go_to_a_plain_http_token_service() {
        let server = Responder::start(1, |_, _| {
            response(
                "401 Unauthorized",
                &[(
                    "WWW-Authenticate",
                    r#"Bearer realm="http://tokens.example/token""#,
                )],
                "",
            )
        });
        let host = server.base.trim_start_matches("http://").to_string();
        let credentials = DockerCredentials::parse(&format!(
            r#"{{"auths":{{"{host}":{{"username":"u","password":"secret"}}}}}}"#
        ));
        let (client, endpoint) = local_client(&server.base, credentials);
        let error = client
            .manifest_digest(&endpoint, "1")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("plain HTTP")
                && error.contains("--insecure-registry tokens.example")
                && !error.contains("secret"),
            "{error}"
        );
        assert_eq!(server.join().len(), 1);
    }
}
