//! A repository's tag list: `GET /v2/<name>/tags/list`, every page.
//!
//! Promised: pages follow the `Link: <…>; rel="next"` header, and `?last=` for registries
//! that paginate without it; a link is only followed on the same endpoint; a registry that
//! never stops is cut off after [`MAX_TAG_PAGES`] pages. Refused: ordering or filtering the
//! tags (that is [`super::tags`]).

use super::client::{Client, Endpoint};
use super::error::RegistryError;
use super::manifests::not_found;
use super::transport::Method;

/// A registry that keeps sending `next` links is cut off here.
const MAX_TAG_PAGES: usize = 200;

impl Client {
    /// Every tag of the repository, across all pages.
    pub fn tags(&self, endpoint: &Endpoint) -> Result<Vec<String>, RegistryError> {
        let mut tags = Vec::new();
        let mut path = format!(
            "/v2/{}/tags/list?n={}",
            endpoint.repository, self.options.page_size
        );
        for _ in 0..MAX_TAG_PAGES {
            let reply = self.send(endpoint, Method::Get, &path)?;
            match reply.status {
                200 => {}
                404 => return Err(not_found(endpoint, "", &reply)),
                _ => return Err(self.status_error(endpoint, &path, &reply)),
            }
            let page: TagPage = serde_json::from_slice(&reply.body).map_err(|e| {
                RegistryError::InvalidResponse {
                    url: format!("{}{path}", endpoint.base),
                    message: format!("tag list is not JSON: {e}"),
                }
            })?;
            let count = page.tags.as_ref().map_or(0, Vec::len);
            let last = page.tags.as_ref().and_then(|t| t.last().cloned());
            tags.extend(page.tags.unwrap_or_default());
            path = match reply.header("link").and_then(next_link) {
                Some(next) => next,
                // Registries that ignore `Link` still honour `last`; a short page is the end.
                None if count >= self.options.page_size && last.is_some() => format!(
                    "/v2/{}/tags/list?n={}&last={}",
                    endpoint.repository,
                    self.options.page_size,
                    last.unwrap_or_default()
                ),
                None => return Ok(tags),
            };
        }
        Ok(tags)
    }
}

#[derive(serde::Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// The path and query of a `Link: </v2/…?last=x&n=100>; rel="next"` header.
fn next_link(header: &str) -> Option<String> {
    header
        .split(',')
        .find(|part| part.contains("rel=\"next\"") || part.contains("rel=next"))
        .and_then(|part| {
            let start = part.find('<')? + 1;
            let end = part.find('>')?;
            let target = &part[start..end];
            // An absolute link keeps only its path: it must stay on the same endpoint.
            let path = match target.split_once("://") {
                Some((_, rest)) => &rest[rest.find('/')?..],
                None => target,
            };
            path.starts_with("/v2/").then(|| path.to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_next_links() {
        assert_eq!(
            next_link(r#"</v2/app/tags/list?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/app/tags/list?last=b&n=2")
        );
        assert_eq!(
            next_link(r#"<https://r.example/v2/app/tags/list?last=b>; rel="next""#).as_deref(),
            Some("/v2/app/tags/list?last=b")
        );
        assert_eq!(next_link(r#"</v2/app/tags/list?last=b>; rel="prev""#), None);
        assert_eq!(
            next_link(r#"<https://evil.example/other>; rel="next""#),
            None
        );
    }
}
