//! The classifier's cases, one test per decision the module docs promise or refuse.

use super::*;

fn secret(key: &str, value: &str) -> Vec<String> {
    let verdict = classify(key, value);
    assert!(verdict.is_secret(), "{key}={value}: {verdict}");
    verdict
        .secret_texts(value)
        .into_iter()
        .map(str::to_string)
        .collect()
}

fn not_secret(key: &str, value: &str) -> NotSecret {
    match classify(key, value) {
        Verdict::NotSecret(why) => why,
        verdict => panic!("{key}={value}: {verdict}"),
    }
}

#[test]
fn secret_words_in_keys() {
    for key in [
        "DB_PASSWORD",
        "IMAP_PASS",
        "MYSQL_PWD",
        "TV_PW",
        "CS2_RCONPW",
        "WEBPASSWORD",
        "APP_KEY",
        "ENCRYPTION_SALT",
        "ENCRYPTION_IV",
        "CSRF_COOKIE_SECRET",
        "API_TOKEN",
        "GOOGLE_CREDENTIALS",
        "WIREGUARD_PRIVATE_KEY",
        "SECRET_KEY_BASE",
        "PASSWORD_HASH",
        "clientSecret",
        "database__connection__password",
        "sonar.jdbc.password",
        "REPLICA_PASSWORD2",
    ] {
        assert_eq!(secret(key, "s3cr3t-value"), ["s3cr3t-value"], "{key}");
    }
}

#[test]
fn words_are_whole_words() {
    for key in [
        "KEYCLOAK_URL",
        "PRIVATE_NETWORK",
        "AUTHOR",
        "KEYBOARD",
        "PASSPORT_ID",
    ] {
        assert!(!classify(key, "anything-here").is_secret(), "{key}");
    }
    assert_eq!(key_words("keyStorePassword"), ["KEY", "STORE", "PASSWORD"]);
    assert_eq!(key_words("HTTPServer_URL"), ["HTTP", "SERVER", "URL"]);
}

#[test]
fn placeholders_are_secrets() {
    for value in [
        "changeme",
        "password",
        "secret",
        "example",
        "<root-password>",
        "'<PSK>'",
    ] {
        assert!(classify("DB_PASSWORD", value).is_secret(), "{value}");
    }
    assert_eq!(secret("PASSWORD", "\"admin\""), ["admin"]);
}

#[test]
fn empty_and_interpolated_values_are_not_secrets() {
    assert_eq!(not_secret("DB_PASSWORD", ""), NotSecret::Empty);
    assert_eq!(not_secret("DB_PASSWORD", "  "), NotSecret::Empty);
    for value in [
        "${DB_PASSWORD}",
        "$DB_PASSWORD",
        "${X:-}",
        "${X:?must be set}",
        "${X?}",
    ] {
        assert_eq!(
            not_secret("DB_PASSWORD", value),
            NotSecret::Interpolated,
            "{value}"
        );
    }
}

#[test]
fn literal_interpolation_defaults_are_secrets_of_their_own_kind() {
    let value = "${DB_PASSWORD:-hunter2}";
    assert_eq!(
        classify("POSTGRES_PASSWORD", value),
        Verdict::secret(SecretKind::InterpolationDefault, 15..22)
    );
    assert_eq!(secret("X", "${DB_PASSWORD-hunter2}"), ["hunter2"]);
    assert_eq!(secret("X", "${DB_PASSWORD:-${OLD:-hunter2}}"), ["hunter2"]);
    assert_eq!(secret("DB_PASS", "${A:-${B:-hunter2}}"), ["hunter2"]);
    assert_eq!(
        not_secret("ALLOW_EMPTY_PASSWORD", "${ALLOW_EMPTY_PASSWORD:-yes}"),
        NotSecret::SwitchKey
    );
    assert_eq!(
        not_secret("SENTRY_DSN", "\"${JVB_SENTRY_DSN:-0}\""),
        NotSecret::NoSecretName
    );
}

#[test]
fn defaults_agree_with_compose_substitution() {
    // The literal default found is what Compose substitutes when the variable is unset.
    let unset = std::collections::HashMap::<String, String>::new();
    for value in ["${DB_PASSWORD:-hunter2}", "${P-a$$b}", "${A:-${B:-x}}"] {
        let range = WholeInterpolation::parse(value)
            .and_then(|i| i.literal_default())
            .unwrap();
        let expected = crate::compose::template::substitute(value, &unset)
            .unwrap()
            .value;
        let default = &value[range];
        let ours = crate::compose::template::substitute(default, &unset)
            .unwrap()
            .value;
        assert_eq!(ours, expected, "{value}");
    }
}

#[test]
fn switches_and_booleans_are_not_secrets() {
    assert_eq!(
        not_secret("ALLOW_EMPTY_PASSWORD", "yes"),
        NotSecret::SwitchKey
    );
    assert_eq!(
        not_secret("MYSQL_RANDOM_ROOT_PASSWORD", "true"),
        NotSecret::SwitchKey
    );
    assert_eq!(
        not_secret("ALLOW_PASSWORD_RESET", "false"),
        NotSecret::DescribesSecret("reset".into())
    );
    assert_eq!(not_secret("BASIC_AUTH", "False"), NotSecret::SwitchValue);
    assert_eq!(not_secret("SERVER_TOKENS", "off"), NotSecret::SwitchValue);
}

#[test]
fn durations_expiries_and_lengths_are_not_secrets() {
    assert_eq!(
        not_secret("JWT_TOKEN_EXPIRY", "3600"),
        NotSecret::DescribesSecret("expiry".into())
    );
    assert_eq!(
        not_secret("PASSWORD_MIN_LENGTH", "12"),
        NotSecret::DescribesSecret("length".into())
    );
    assert_eq!(not_secret("SESSION_TOKEN", "24h"), NotSecret::Quantity);
}

#[test]
fn providers_issuers_class_names_and_algorithms_are_not_secrets() {
    assert!(matches!(
        not_secret("AUTH_CREDENTIALS_PROVIDER", "OAUTHBEARER"),
        NotSecret::DescribesSecret(_)
    ));
    assert!(matches!(
        not_secret("REGISTRY_AUTH_TOKEN_ISSUER", "gitlab-issuer"),
        NotSecret::DescribesSecret(_)
    ));
    assert_eq!(
        not_secret("CONNECT_SECRET", "io.confluent.connect.SecretProvider"),
        NotSecret::Name
    );
    assert_eq!(not_secret("JWT_SECRET", "HS256"), NotSecret::Name);
    assert_eq!(not_secret("SMTP_AUTH", "login"), NotSecret::Name);
}

#[test]
fn file_paths_are_not_secrets() {
    assert_eq!(
        not_secret("DATABASE_PASSWORD", "/run/secrets/db-password"),
        NotSecret::FilePath
    );
    assert_eq!(
        not_secret("POSTGRES_PASSWORD_FILE", "/run/secrets/x"),
        NotSecret::FilePath
    );
    assert_eq!(
        not_secret("xpack.security.http.ssl.key", "certs/es-key.pem"),
        NotSecret::FilePath
    );
    assert_eq!(
        not_secret(
            "JWT_SECRET_KEY",
            "%kernel.project_dir%/config/jwt/private.pem"
        ),
        NotSecret::FilePath
    );
    assert!(classify("DB_PASSWORD", "/Zx9").is_secret());
}

#[test]
fn hosts_ports_and_users_are_not_secrets() {
    assert_eq!(not_secret("DB_HOST", "postgres"), NotSecret::NoSecretName);
    assert!(matches!(
        not_secret("SECRET_PORT", "3000"),
        NotSecret::DescribesSecret(_)
    ));
    assert!(matches!(
        not_secret("BASIC_AUTH_USERNAME", "admin"),
        NotSecret::DescribesSecret(_)
    ));
    assert_eq!(
        not_secret("KEYCLOAK_ADMIN", "admin"),
        NotSecret::NoSecretName
    );
}

#[test]
fn access_key_ids_are_the_public_half() {
    // The id names the key pair (it appears in logs and IAM listings); only the secret half
    // authenticates. A long random "access key" is an account key (Azure) and is a secret.
    assert_eq!(
        not_secret("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        NotSecret::PublicHalf
    );
    assert_eq!(
        not_secret("MINIO_ACCESS_KEY", "minioadmin"),
        NotSecret::PublicHalf
    );
    assert_eq!(
        not_secret("STORAGE_ACCESS_KEY", "minio"),
        NotSecret::PublicHalf
    );
    assert!(classify("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG").is_secret());
    assert!(
        classify(
            "AZURE_STORAGE_ACCESS_KEY",
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
        )
        .is_secret()
    );
    assert_eq!(
        not_secret("WIREGUARD_PUBLIC_KEY", "abc123"),
        NotSecret::PublicHalf
    );
    assert_eq!(
        not_secret("OG_OIDC_CLIENT_KEY", "mykey"),
        NotSecret::PublicHalf
    );
}

#[test]
fn marker_words_are_not_secrets() {
    assert_eq!(
        not_secret("CF_API_TOKEN", "user_provided"),
        NotSecret::Marker
    );
    assert_eq!(not_secret("NEO4J_AUTH", "none"), NotSecret::Marker);
}

#[test]
fn url_credentials_in_any_key() {
    let value = "postgres://u:p4ss@h/db";
    assert_eq!(
        classify("DATABASE_URL", value),
        Verdict::secret(SecretKind::UrlPassword, 13..17)
    );
    assert_eq!(
        secret("DSN", "mysql://root:secret@tcp(db:3306)/x"),
        ["secret"]
    );
    assert_eq!(
        secret("REDIS_URL", "redis://:hunter2@cache:6379"),
        ["hunter2"]
    );
    assert_eq!(
        secret("DB", "postgres://${U:-app}:${P:-linkwarden}@db/x"),
        ["linkwarden"]
    );
    assert_eq!(
        not_secret("MONGO_URL", "mongodb://root:${ROOT_PASS}@mongo/"),
        NotSecret::NoSecretName
    );
    assert!(!classify("DSN", "cockroach://root@crdb:26257/db").is_secret());
    assert!(!classify("X", "http://example.com/a@b").is_secret());
    assert_eq!(
        not_secret("TOKEN_URL", "https://idp/token"),
        NotSecret::DescribesSecret("url".into())
    );
}

#[test]
fn compound_values() {
    assert_eq!(secret("NEO4J_AUTH", "neo4j/s3cret"), ["s3cret"]);
    let jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required \\\nusername=\"admin\" \\\npassword=\"admin-secret\" \\\nuser_admin=\"admin-secret\";\n";
    assert_eq!(
        secret("KAFKA_SASL_JAAS_CONFIG", jaas),
        ["admin-secret", "admin-secret"]
    );
    let interpolated = "OAuthBearerLoginModule required clientId=\"$ID\" clientSecret=\"$SECRET\";";
    assert!(!classify("SASL_JAAS_CONFIG", interpolated).is_secret());
    assert_eq!(
        secret(
            "DB_CONNECTION",
            "Host=db;Username=app;Password=hunter2;Database=app"
        ),
        ["hunter2"]
    );
    assert_eq!(
        secret(
            "JAVA_OPTS",
            "-Xmx1g -Djavax.net.ssl.keyStorePassword=changeit"
        ),
        ["changeit"]
    );
    assert!(
        !classify(
            "KAFKA_LOG4J_LOGGERS",
            "kafka.x=INFO,io.confluent.security.auth=INFO"
        )
        .is_secret()
    );
}

#[test]
fn shapes_that_are_secrets_under_any_key() {
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n";
    assert_eq!(secret("TLS", pem), [pem.trim_end()]);
    assert!(
        !classify(
            "CA",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
        )
        .is_secret()
    );
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    assert_eq!(secret("SUPABASE_ANON", jwt), [jwt]);
    assert!(classify("PLEX_CLAIM", "claim-dvmURANy9Z7MbJhmY7V7").is_secret());
    assert!(classify("TEST", "'HQTb_=d.4*FPN@^;w2)UZ%'").is_secret());
    assert!(!classify("CLUSTER_ID", "MkU3OEVBNTcwNTJENDM2Qk").is_secret());
}

#[test]
fn compose_dollar_escapes_are_literal() {
    let hash = "$$2a$$12$$FGHsQAGm9N9sxJ54RiWiMumk2QkRVjyueCv9mRbrdc1f8y6pN36mq";
    assert_eq!(secret("PASSWORD_HASH", hash), [hash]);
    assert!(has_interpolation("a$b"));
    assert!(!has_interpolation("a$$b$"));
}

#[test]
fn keys_about_a_secret_and_values_shaped_like_one() {
    for key in [
        "ENABLE_PASSWORD_LOGIN",
        "PASSWORD_MIN_LENGTH",
        "TOKEN_TTL",
        "SSH_KEY_PATH",
    ] {
        assert!(key_describes_a_secret(key), "{key}");
    }
    for key in ["DB_PASSWORD", "NPM_TOKEN", "SECRET_KEY_BASE", "NODE_ENV"] {
        assert!(!key_describes_a_secret(key), "{key}");
    }
    assert!(has_secret_shape(
        "https://ci:s3cr3t-pip@pypi.example.com/simple"
    ));
    assert!(has_secret_shape("ghp_4Fz8Qm2Lw9Xv7Rt3Yp6Nk1Hs5Jd0Gc8Bv2Ae"));
    for value in [
        "https://pypi.example.com/simple",
        "https://ci:${PIP_PASSWORD}@pypi.example.com/simple",
        "hunter2-prod",
        "true",
    ] {
        assert!(!has_secret_shape(value), "{value}");
    }
}
