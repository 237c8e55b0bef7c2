//! Configuration: one struct, from flags and environment (see the README's table).
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The development key used for tokens made by `plejeoverblik token` when
/// `PLEJEOVERBLIK_DEV_KEY` is not set. It is public on purpose: development tokens are only
/// accepted when `--dev-tokens` is given, and never in production.
pub const DEFAULT_DEV_KEY: &str = "plejeoverblik-udviklingsnoegle-kun-til-udvikling";
pub const DEV_ISSUER: &str = "plejeoverblik-dev";
pub const DEV_AUDIENCE: &str = "plejeoverblik";

#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    /// Accept HS256 development tokens signed with `dev_key`.
    pub dev_tokens: bool,
    pub dev_key: String,
    /// JWKS or PEM file with the identity provider's public keys.
    pub auth_keys: Option<PathBuf>,
    /// HTTPS URL of the identity provider's JWKS, fetched at start and refreshed (see
    /// `auth::Authenticator`). Excludes `auth_keys`.
    pub auth_jwks_url: Option<String>,
    /// Seconds between periodic refreshes of the JWKS from `auth_jwks_url`.
    pub auth_jwks_refresh_secs: u64,
    /// At most one extra JWKS fetch per this many seconds for tokens whose `kid` is unknown,
    /// so that forged key ids cannot make the service hammer the identity provider.
    pub auth_jwks_min_refetch_secs: u64,
    pub auth_issuer: Option<String>,
    pub auth_audience: Option<String>,
    pub claim_cvr: String,
    pub claim_roles: String,
    /// R14: the longest a lock lasts from when it was taken.
    pub lock_ttl_minutes: i64,
    /// R28: a lock whose holder's editor sent no heartbeat for this long expires.
    pub lock_presence_minutes: i64,
    /// Seed the demo data when the database is empty on start (see [`demo_data_on_start`]).
    pub seed_if_empty: bool,
    pub introspection: bool,
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_directives: usize,
    /// Nesting of `{ [ (` in a document (before parsing) and of variables.
    pub max_nesting: usize,
    /// Fields of a document with its fragments expanded.
    pub max_fields: usize,
    /// Fragment spreads written in a document.
    pub max_fragment_spreads: usize,
    /// Nodes (selections, directives, argument values) of a document with its fragments
    /// expanded: what async-graphql's walks visit, so it bounds the CPU time of checking one.
    pub max_expanded_nodes: usize,
    /// Documents not seen before are parsed, checked and validated on a pool of blocking
    /// threads; at most this many at once (the rest wait), so the async workers stay free.
    pub validation_workers: usize,
    pub max_document_bytes: usize,
    pub max_batch: usize,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    /// A started request must send its headers within this.
    pub header_read_timeout: Duration,
    /// A request's body must arrive within this.
    pub body_read_timeout: Duration,
    /// A keep-alive connection without requests is closed after this.
    pub idle_timeout: Duration,
    /// On shutdown, requests in flight get this long to finish.
    pub shutdown_timeout: Duration,
    /// How often an instance compares its read model's data version with the database's.
    pub version_check_interval: Duration,
    /// Origins allowed by CORS (the citizen site's); empty: no cross-origin access.
    pub cors_origins: Vec<String>,
    /// How long shared caches (a CDN, the browser) may use an anonymous GET query response
    /// without asking again: 0 (the default) sends `Cache-Control: public, no-cache`, so every
    /// use is revalidated with the ETag (a cheap 304) and no cache shows an answer older than
    /// the last save (R12); N > 0 sends `public, max-age=N` and accepts answers up to N seconds
    /// old.
    pub cache_max_age_secs: u64,
    /// Bytes the response cache of anonymous queries may hold (`http::response_cache`); 0 turns
    /// it off.
    pub response_cache_bytes: u64,
    /// Sustained requests per second of one anonymous client (address); 0 turns rate limiting
    /// off altogether (see `http::rate_limit`).
    pub rate_limit_per_second: u32,
    /// Requests an anonymous client may send at once (the bucket's size); at least 1.
    pub rate_limit_burst: u32,
    /// Sustained requests per second of one authenticated client (token subject); 0: requests
    /// with a valid token are not limited.
    pub rate_limit_authenticated_per_second: u32,
    /// Requests an authenticated client may send at once; at least 1.
    pub rate_limit_authenticated_burst: u32,
    /// Proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Days the change log keeps its events (R30); an older cursor is refused.
    pub change_log_retention_days: u32,
    /// R34: audit entries older than this many days are deleted; None keeps everything.
    pub audit_retention_days: Option<u32>,
    /// Open subscriptions (WebSocket and SSE) this instance serves at once.
    pub max_subscriptions: usize,
    /// Open subscriptions of one client (address) at once.
    pub max_subscriptions_per_client: usize,
    /// How often an idle subscription hears a heartbeat (proxies close silent streams).
    pub subscription_heartbeat: Duration,
    /// The service's address as browsers see it (`https://plejeoverblik.example.dk`): the
    /// login's redirect URI is built from it.
    pub public_url: Option<String>,
    /// The console's login through the identity provider (issue 22).
    pub oidc: OidcConfig,
}

/// The OpenID Connect login of the console (issue 22); off without an issuer.
#[derive(Clone, Debug)]
pub struct OidcConfig {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scopes: String,
    /// A session's absolute lifetime.
    pub session_max: Duration,
    /// A session unused this long ends.
    pub session_idle: Duration,
}

impl Default for OidcConfig {
    fn default() -> Self {
        OidcConfig {
            issuer: None,
            client_id: None,
            client_secret: None,
            scopes: "openid profile offline_access".into(),
            session_max: Duration::from_secs(12 * 3600),
            session_idle: Duration::from_secs(30 * 60),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: default_database_url(),
            dev_tokens: false,
            dev_key: DEFAULT_DEV_KEY.to_string(),
            auth_keys: None,
            auth_jwks_url: None,
            auth_jwks_refresh_secs: 300,
            auth_jwks_min_refetch_secs: 30,
            auth_issuer: None,
            auth_audience: None,
            claim_cvr: "cvr".into(),
            claim_roles: "roles".into(),
            lock_ttl_minutes: 8 * 60,
            lock_presence_minutes: 15,
            seed_if_empty: true,
            introspection: true,
            max_depth: 16,
            max_complexity: 5_000,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives: 5,
            max_nesting: 64,
            max_fields: 1_000,
            max_fragment_spreads: 100,
            max_expanded_nodes: 5_000,
            validation_workers: default_validation_workers(),
            max_document_bytes: 32 * 1024,
            max_batch: 10,
            max_body_bytes: 256 * 1024,
            request_timeout_secs: 30,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(30),
            version_check_interval: Duration::from_secs(5),
            cors_origins: Vec::new(),
            cache_max_age_secs: 0,
            response_cache_bytes: 32 * 1024 * 1024,
            rate_limit_per_second: 50,
            rate_limit_burst: 200,
            rate_limit_authenticated_per_second: 100,
            rate_limit_authenticated_burst: 400,
            trusted_proxies: Vec::new(),
            change_log_retention_days: 400,
            audit_retention_days: None,
            max_subscriptions: 20_000,
            max_subscriptions_per_client: 50,
            subscription_heartbeat: Duration::from_secs(15),
            public_url: None,
            oidc: OidcConfig::default(),
        }
    }
}

impl Config {
    /// How long a lock lives (R14, R28).
    pub fn lock_terms(&self) -> crate::domain::lock::Terms {
        crate::domain::lock::Terms {
            ceiling: chrono::Duration::minutes(self.lock_ttl_minutes),
            presence: chrono::Duration::minutes(
                self.lock_presence_minutes.min(self.lock_ttl_minutes),
            ),
        }
    }

    /// The connection timeouts of the server loop.
    pub fn server_timeouts(&self) -> crate::http::server::Timeouts {
        crate::http::server::Timeouts {
            header_read: self.header_read_timeout,
            idle: self.idle_timeout,
            shutdown: self.shutdown_timeout,
        }
    }
}

/// The embedded default: a SQLite file in the working directory, created on first start.
pub fn default_database_url() -> String {
    "sqlite://plejeoverblik.db?mode=rwc".to_string()
}

/// Is the URL an embedded SQLite database (not a database server)?
pub fn is_embedded(database_url: &str) -> bool {
    database_url.starts_with("sqlite:")
}

/// Does `serve` load the demo data into an empty database? The embedded SQLite database gets
/// them on its first start (a developer's `cargo run -- serve` shows something at once) unless
/// `--no-demo-data`; a PostgreSQL database — production — only when asked for with
/// `--demo-data` (or `plejeoverblik seed`), so an empty production database stays empty.
pub fn demo_data_on_start(database_url: &str, demo_data: bool, no_demo_data: bool) -> bool {
    demo_data || (!no_demo_data && is_embedded(database_url))
}

/// Half the cores, at least one: a flood of new documents can take at most that share of the
/// machine, and the other half keeps answering (health checks, cached answers, small queries).
pub fn default_validation_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| (n.get() / 2).max(1))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_data_only_into_embedded_sqlite_unless_asked() {
        let sqlite = default_database_url();
        let pg = "postgres://postgres@127.0.0.1:5432/plejeoverblik";
        assert!(demo_data_on_start(&sqlite, false, false));
        assert!(!demo_data_on_start(&sqlite, false, true));
        assert!(demo_data_on_start(&sqlite, true, false));
        assert!(!demo_data_on_start(pg, false, false));
        assert!(!demo_data_on_start(pg, false, true));
        assert!(demo_data_on_start(pg, true, false));
    }
}
