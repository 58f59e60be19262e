//! The image facts load, cite their sources and match tags as the header of
//! `policies/images.yaml` says.

use super::*;

fn builtin() -> ImageFacts {
    yaml_serde::from_str(include_str!("../../../policies/images.yaml"))
        .unwrap_or_else(|e| panic!("policies/images.yaml: {e}"))
}

fn is_commit(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn has_commit(sources: &[Source]) -> bool {
    sources
        .iter()
        .any(|s| s.repo.is_some() && s.path.is_some() && s.commit.as_deref().is_some_and(is_commit))
}

#[test]
fn every_entry_loads_and_cites_a_commit() {
    let facts = builtin();
    assert!(facts.len() >= 15, "only {} entries", facts.len());
    for (key, family) in &facts {
        assert!(!family.images.is_empty(), "{key}: no images");
        let bears_facts = !family.variants.is_empty()
            || !family.file_env.is_empty()
            || !family.switches.is_empty()
            || family.healthcheck.is_some();
        if bears_facts {
            let cited = has_commit(&family.sources)
                || family.variants.iter().any(|v| has_commit(&v.sources));
            assert!(cited, "{key}: no source with a commit");
        }
        for variant in &family.variants {
            assert!(
                has_commit(&variant.sources),
                "{key} {}: variant without a source commit",
                variant.variant
            );
        }
        for source in family
            .sources
            .iter()
            .chain(family.variants.iter().flat_map(|v| &v.sources))
        {
            if let Some(commit) = &source.commit {
                assert!(
                    is_commit(commit),
                    "{key}: commit `{commit}` is not 40 hex digits"
                );
            }
            assert!(
                source.url.is_some() || (source.repo.is_some() && source.path.is_some()),
                "{key}: a source needs a url or a repo and path"
            );
        }
    }
}

#[test]
fn file_env_names_are_exact() {
    for (key, family) in builtin() {
        for name in family
            .file_env
            .iter()
            .map(FileEnv::name)
            .chain(family.file_env_rejected.iter().map(String::as_str))
            .chain(family.switches.iter().map(String::as_str))
        {
            assert!(
                !name.contains(['*', '?', '[', '{']),
                "{key}: `{name}` is a glob"
            );
        }
    }
}

/// Where a healthcheck needs a tool the variant's sources do not show; the rule gives
/// these tags a finding without fix. Stale entries fail the test.
const TOOLS_NOT_SHOWN: &[(&str, &str, &str)] = &[
    ("mariadb", "ubi", "mariadb-admin"),
    ("mariadb", "ubi", "mysqladmin"),
    ("memcached", "alpine", "nc"),
];

#[test]
fn healthchecks_require_only_tools_the_variant_has() {
    let mut seen = Vec::new();
    for (key, family) in &builtin() {
        for variant in &family.variants {
            // Every version this variant's range shares with a by_version entry, and one
            // that none of them covers: sample at the bounds both mention.
            let mut samples: Vec<Version> = variant.versions.bounds().cloned().collect();
            for by in &family.by_version {
                samples.extend(by.versions.bounds().cloned());
            }
            // A bound stands for its whole prefix; `x.0` names its first release.
            let firsts: Vec<Version> = samples
                .iter()
                .map(|v| v.iter().copied().chain([0]).collect())
                .collect();
            for version in samples
                .into_iter()
                .chain(firsts)
                .filter(|v| variant.versions.matches(v))
            {
                let covered = Covered {
                    variant,
                    version: version.clone(),
                };
                let Some(check) = family.healthcheck_for(&covered) else {
                    continue;
                };
                for tool in &check.requires_tools {
                    if variant.tools.contains(tool) {
                        continue;
                    }
                    let entry = TOOLS_NOT_SHOWN
                        .iter()
                        .find(|(k, v, t)| k == key && v == &variant.variant && t == tool);
                    assert!(
                        entry.is_some(),
                        "{key} {} {version:?}: healthcheck needs `{tool}`, not in tools",
                        variant.variant
                    );
                    seen.extend(entry);
                }
            }
        }
    }
    for entry in TOOLS_NOT_SHOWN {
        assert!(seen.contains(&entry), "stale allowlist entry {entry:?}");
    }
}

#[test]
fn versions_compare_by_prefix() {
    let range = Versions::parse(">=10.6, <10.6.15").unwrap();
    assert!(range.matches(&[10, 6, 14]));
    assert!(!range.matches(&[10, 6]), "10.6 is the newest 10.6.x");
    assert!(Versions::parse(">=12, <=18").unwrap().matches(&[18, 1]));
    assert!(!Versions::parse(">=12, <=18").unwrap().matches(&[19]));
    assert!(Versions::parse(">=4.4, <5.0").unwrap().matches(&[4]));
    assert!(!Versions::parse("").unwrap().matches(&[1]));
    assert_eq!(split_tag("v3.1"), Some((vec![3, 1], "")));
    assert_eq!(split_tag("16-alpine3.21"), Some((vec![16], "alpine3.21")));
    assert_eq!(split_tag("latest"), None);
}

#[test]
fn references_resolve_to_variants_or_reasons() {
    let facts = builtin();
    let variant = |reference: &str| {
        let (_, family) = family(&facts, reference).expect(reference);
        family
            .variant_for(reference)
            .map(|c| c.variant.variant.clone())
    };
    assert_eq!(
        variant("docker.io/library/postgres:16.4").unwrap(),
        "debian"
    );
    assert_eq!(variant("postgres:16-alpine").unwrap(), "alpine");
    assert_eq!(
        variant("quay.io/keycloak/keycloak:26.0").unwrap(),
        "ubi-micro"
    );
    assert_eq!(variant("nginx:1.27-alpine-slim").unwrap(), "alpine");
    let older = variant("mongo:3.6").unwrap_err();
    assert!(older.contains("older than"), "{older}");
    let newer = variant("postgres:19").unwrap_err();
    assert!(newer.contains("newer than"), "{newer}");
    assert!(variant("postgres:latest").unwrap_err().contains("floating"));
    assert!(variant("postgres").unwrap_err().contains("no tag"));
    assert!(
        variant("postgres@sha256:abc")
            .unwrap_err()
            .contains("digest")
    );
    assert!(family(&facts, "acme/postgres:16").is_none());
    assert!(family(&facts, "${DB_IMAGE}").is_none());
}

#[test]
fn file_variables_are_exact_and_respect_the_suffix() {
    let facts = builtin();
    let file = |reference: &str, key: &str| {
        let (_, family) = family(&facts, reference).unwrap();
        family.file_variable(key, ImageRef::parse(reference).tag)
    };
    assert_eq!(
        file("mariadb:11", "MARIADB_ROOT_PASSWORD").as_deref(),
        Some("MARIADB_ROOT_PASSWORD_FILE")
    );
    assert_eq!(file("mariadb:11", "MARIADB_RANDOM_ROOT_PASSWORD"), None);
    assert_eq!(
        file("grafana/grafana:11.2.0", "GF_SECURITY_ADMIN_PASSWORD").as_deref(),
        Some("GF_SECURITY_ADMIN_PASSWORD__FILE")
    );
    assert_eq!(file("redis:7", "REDIS_PASSWORD"), None);
    assert_eq!(file("rabbitmq:4.1", "RABBITMQ_DEFAULT_PASS"), None);
}

#[test]
fn path_facts_are_absolute_and_cite_a_commit() {
    // An empty `write_paths` is a fact too: the image writes only to its volumes.
    for (key, family) in builtin() {
        for facts in [&family.write_paths, &family.content_paths]
            .into_iter()
            .flatten()
        {
            assert!(
                has_commit(&facts.sources),
                "{key}: path facts without a source commit"
            );
            for path in &facts.paths {
                assert!(
                    path.starts_with('/') && !path.ends_with('/'),
                    "{key}: `{path}`"
                );
            }
        }
    }
}

#[test]
fn write_paths_need_a_covered_tag() {
    let facts = builtin();
    let (_, nginx) = family(&facts, "nginx:1.27-alpine").unwrap();
    assert_eq!(
        nginx.write_paths_for("nginx:1.27-alpine").unwrap(),
        ["/var/cache/nginx", "/var/run"]
    );
    assert!(nginx.write_paths_for("nginx:latest").is_err());
    let (_, redis) = family(&facts, "redis:7.4").unwrap();
    assert!(redis.write_paths_for("redis:7.4").is_err());
    let (_, mongo) = family(&facts, "mongo:7.0").unwrap();
    assert!(mongo.write_paths_for("mongo:7.0").is_err());
}
