use serde::Deserialize;

use crate::finding::{Finding, Location, Severity};
use crate::rules::image_facts::{self, ImageFacts};
use crate::rules::registry::Configured;
use crate::rules::view::mounts::{self, Mount, MountKind};
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    images: ImageFacts,
    build_paths: Vec<String>,
}

declare_rule! {
    /// ## What it does
    /// Reports a named volume mounted over a directory the image ships files in (info):
    /// - for images the image facts know (`content_paths` in `policies/images.yaml`):
    ///   nginx's `/usr/share/nginx/html` and `/etc/nginx`, …, whatever the tag;
    /// - for services built here (`build:`), the directories where a Dockerfile
    ///   conventionally copies the application (`build_paths`: `/app`, `/usr/src/app`,
    ///   `/var/www/html`).
    ///
    /// Quiet on bind mounts and anonymous volumes, on volumes mounted with `nocopy`, on
    /// paths below or above the listed ones (`/app/node_modules` is a deliberate pattern),
    /// and on images whose documentation asks for a volume there (wordpress's and
    /// nextcloud's `/var/www/html` are their `VOLUME`s, and their entrypoints update the
    /// files in it; they are not in the facts' `content_paths`).
    ///
    /// ## Why
    /// Docker copies the image's files into a named volume only while the volume is empty,
    /// at the first start. From then on the volume wins: the files of every later image
    /// version (a new release, a rebuild with changed code or configuration) stay hidden
    /// behind the first copy, and the container keeps serving the old ones. Docker docs,
    /// "Volumes: populate a volume using a container" (and `volume.nocopy`).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   web:
    ///     image: nginx:1.27
    ///     volumes:
    ///       - html:/usr/share/nginx/html    # reported: frozen at the first start
    ///   api:
    ///     build: .
    ///     volumes:
    ///       - code:/app                     # reported: hides every rebuild
    /// ```
    ///
    /// ## Fix safety
    /// No fix: whether the volume is meant to share the files with another service, or
    /// the data should move to a bind mount or into the image, is a decision.
    ///
    /// ## Options
    /// - `images`: the image facts, by family (defaults: `policies/images.yaml`).
    /// - `build_paths` (`[/app, /usr/src/app, /var/www/html]`): application directories of
    ///   services built here.
    /// - `match`: which services the rule applies to.
    id: "volume-over-image-files",
    summary: "report named volumes that hide files the image ships",
    fixable: false,
    security_severity: "1.0",
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        let Some((owner, paths)) = shipped_paths(&rule.options, service) else {
            continue;
        };
        for mount in mounts::of(service) {
            let target = mount.target.trim_end_matches('/');
            if !is_named_volume(&mount) || !paths.iter().any(|p| p == target) {
                continue;
            }
            let message = format!(
                "named volume `{}` of `{}` is mounted over `{target}`, where {owner}: Docker copies them into the volume only while it is empty, so later image versions' files stay hidden",
                mount.source, service.name
            );
            let finding = ctx
                .finding(
                    rule.id,
                    Location::Node(mount.field(&["source"]).path()),
                    message,
                )
                .with_severity(Severity::Info);
            findings.push(finding);
        }
    }
    findings
}

/// Who ships files where: the image facts' `content_paths`, or `build_paths` for a build.
fn shipped_paths<'o>(
    options: &'o Options,
    service: &Service<'_>,
) -> Option<(String, &'o [String])> {
    if service.has_build() {
        let owner = "the image built here keeps the application's files".to_string();
        return Some((owner, &options.build_paths));
    }
    let image = service.image()?;
    let (_, family) = image_facts::family(&options.images, image)?;
    let paths = family.content_paths();
    let owner = format!("image `{image}` ships files");
    (!paths.is_empty()).then_some((owner, paths))
}

/// A volume with a name, populated from the image (no `nocopy`).
fn is_named_volume(mount: &Mount<'_>) -> bool {
    let nocopy = mount.mode.split(',').any(|f| f == "nocopy")
        || merge::text(merge::get_path(mount.node, &["volume", "nocopy"])) == Some("true");
    mount.kind == MountKind::Volume && !mount.source.is_empty() && !nocopy
}
