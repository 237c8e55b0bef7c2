//! The `plejeoverblik` command: serve, migrate, seed, import, export-schema, token.
use clap::{Parser, Subcommand};
use plejeoverblik::auth::{make_dev_token, DevTokenRequest};
use plejeoverblik::config::{Config, DEFAULT_DEV_KEY};
use plejeoverblik::domain::access::Role;
use plejeoverblik::{http, AppState};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: the request path allocates many small objects (the
/// GraphQL document, the response tree), where glibc's allocator spent about a fifth of the CPU
/// of a cold search and kept freed memory in per-thread arenas (RSS); see benches/README.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "plejeoverblik",
    version,
    about = "Plejeoverblik: GraphQL-tjeneste for serviceleverancer, plejeenheder og helhedspleje"
)]
struct Cli {
    /// Database URL: sqlite://FILE?mode=rwc (default) or postgres://...
    #[arg(long, env = "DATABASE_URL", global = true, default_value_t = plejeoverblik::config::default_database_url())]
    database_url: String,
    /// Log as JSON lines.
    #[arg(long, env = "PLEJEOVERBLIK_LOG_JSON", global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP server (migrates the database; demo data into an empty SQLite database,
    /// into PostgreSQL only with --demo-data).
    Serve(Box<ServeArgs>),
    /// Run the database migrations.
    Migrate,
    /// Load the demo data into an empty database.
    Seed,
    /// Import enheder from a CSV file in the national register's format (idempotent).
    Import { file: PathBuf },
    /// Copy the embedded SQLite database to FILE while the service runs (a consistent snapshot;
    /// restore by starting with --database-url sqlite://FILE). PostgreSQL: use pg_dump or PITR.
    Backup { file: PathBuf },
    /// Copy every table of one database into another (the embedded SQLite into PostgreSQL), in
    /// one transaction on the target, and verify each table's rows and checksum afterwards.
    /// Stop the service on the source first.
    CopyData {
        /// The source, e.g. sqlite://plejeoverblik.db
        #[arg(long)]
        from: String,
        /// The target, e.g. postgres://user@host/plejeoverblik (created tables, emptied rows)
        #[arg(long)]
        to: String,
        /// Replace what the target holds (without it a target with data is refused).
        #[arg(long)]
        replace: bool,
    },
    /// Write the GraphQL schema (SDL) to schema.graphql, or check that it is current.
    ExportSchema {
        #[arg(long, default_value = "schema.graphql")]
        out: PathBuf,
        /// Fail when the file differs from the code instead of writing it.
        #[arg(long)]
        check: bool,
    },
    /// Print a development token (accepted only by a server started with --dev-tokens).
    Token {
        /// Role(s): driftsoverenskomstansvarlig, redaktoer, administrator (case-insensitive).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The CVR number of the user's organisation (8 digits).
        #[arg(long)]
        cvr: String,
        /// The user's name (default "Udvikler").
        #[arg(long)]
        name: Option<String>,
        /// The subject (`sub`); default derived from CVR and name (`dev:29189404:anne-andersen`),
        /// so the same person gets the same subject and keeps their locks.
        #[arg(long)]
        subject: Option<String>,
        /// Hours the token is valid.
        #[arg(long, default_value_t = 12)]
        hours: i64,
        #[arg(long, env = "PLEJEOVERBLIK_DEV_KEY", default_value = DEFAULT_DEV_KEY, hide_default_value = true)]
        dev_key: String,
    },
}

/// The console's login through the identity provider (OpenID Connect, issue 22): one group,
/// turned into `config::OidcConfig` in one place.
/// Every default of the flags is `Config::default()`'s: written once, in `config.rs`.
static DEFAULTS: std::sync::LazyLock<Config> = std::sync::LazyLock::new(Config::default);

#[derive(clap::Args)]
struct LoginArgs {
    /// The service's address as browsers see it (https://…); the login's redirect URI is
    /// `<public-url>/auth/callback`.
    #[arg(long, env = "PLEJEOVERBLIK_PUBLIC_URL")]
    public_url: Option<String>,
    /// The identity provider (its discovery document is read at start). Turns the login on.
    #[arg(long, env = "PLEJEOVERBLIK_OIDC_ISSUER")]
    oidc_issuer: Option<String>,
    /// This service's client id at the identity provider.
    #[arg(long, env = "PLEJEOVERBLIK_OIDC_CLIENT_ID")]
    oidc_client_id: Option<String>,
    /// The client secret (client_secret_basic). Give it by environment, not on the command line.
    #[arg(long, env = "PLEJEOVERBLIK_OIDC_CLIENT_SECRET", hide_env_values = true)]
    oidc_client_secret: Option<String>,
    /// Scopes asked for (offline_access: a refresh token renews the session while in use).
    #[arg(
        long,
        env = "PLEJEOVERBLIK_OIDC_SCOPES",
        default_value_t = DEFAULTS.oidc.scopes.clone()
    )]
    oidc_scopes: String,
    /// A console session's absolute lifetime in seconds.
    #[arg(long, env = "PLEJEOVERBLIK_SESSION_MAX_SECS", default_value_t = DEFAULTS.oidc.session_max.as_secs())]
    session_max_secs: u64,
    /// Seconds without a request after which a console session ends.
    #[arg(long, env = "PLEJEOVERBLIK_SESSION_IDLE_SECS", default_value_t = DEFAULTS.oidc.session_idle.as_secs())]
    session_idle_secs: u64,
}

impl LoginArgs {
    fn config(self) -> (Option<String>, plejeoverblik::config::OidcConfig) {
        let secs = |s: u64| std::time::Duration::from_secs(s.max(1));
        (
            self.public_url.filter(|u| !u.trim().is_empty()),
            plejeoverblik::config::OidcConfig {
                issuer: self.oidc_issuer.filter(|u| !u.trim().is_empty()),
                client_id: self.oidc_client_id,
                client_secret: self.oidc_client_secret,
                scopes: self.oidc_scopes,
                session_max: secs(self.session_max_secs),
                session_idle: secs(self.session_idle_secs),
            },
        )
    }
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PLEJEOVERBLIK_BIND", default_value_t = DEFAULTS.bind)]
    bind: SocketAddr,
    /// Minutes a lock lasts at most from when it was taken (R14).
    #[arg(long, env = "PLEJEOVERBLIK_LOCK_TTL_MINUTES", default_value_t = DEFAULTS.lock_ttl_minutes)]
    lock_ttl_minutes: i64,
    /// Minutes without a heartbeat from the holder's editor before a lock expires (R28).
    #[arg(
        long,
        env = "PLEJEOVERBLIK_LOCK_PRESENCE_MINUTES",
        default_value_t = DEFAULTS.lock_presence_minutes
    )]
    lock_presence_minutes: i64,
    /// Do not load demo data into an empty SQLite database on its first start.
    #[arg(long, env = "PLEJEOVERBLIK_NO_DEMO_DATA", conflicts_with = "demo_data")]
    no_demo_data: bool,
    /// Load demo data into an empty database of any kind, PostgreSQL too (without it only the
    /// embedded SQLite database gets them).
    #[arg(long, env = "PLEJEOVERBLIK_DEMO_DATA")]
    demo_data: bool,
    /// Turn introspection (and field suggestions) off.
    #[arg(long, env = "PLEJEOVERBLIK_NO_INTROSPECTION")]
    no_introspection: bool,
    /// Origins allowed by CORS, comma separated (the citizen site's), e.g. https://plejeoverblik.dk
    #[arg(long, env = "PLEJEOVERBLIK_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// Seconds shared caches may use an anonymous GET query response without revalidating it
    /// (Cache-Control: public, max-age=N). 0: public, no-cache (revalidate every time with the
    /// ETag, so no cache shows an answer older than the last save).
    #[arg(long, env = "PLEJEOVERBLIK_CACHE_MAX_AGE_SECS", default_value_t = DEFAULTS.cache_max_age_secs)]
    cache_max_age_secs: u64,
    /// Bytes the in-memory response cache of anonymous queries may hold; 0 turns it off.
    #[arg(
        long,
        env = "PLEJEOVERBLIK_RESPONSE_CACHE_BYTES",
        default_value_t = DEFAULTS.response_cache_bytes
    )]
    response_cache_bytes: u64,
    /// Seconds between comparisons of the read model's data version with the database's.
    #[arg(long, env = "PLEJEOVERBLIK_VERSION_CHECK_SECS", default_value_t = DEFAULTS.version_check_interval.as_secs())]
    version_check_secs: u64,
    /// R34: delete audit entries older than this many days (a daily job, in batches, by one
    /// instance; the deletion is itself an entry). Unset: keep everything.
    #[arg(long, env = "PLEJEOVERBLIK_AUDIT_RETENTION_DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    audit_retention_days: Option<u32>,
    #[command(flatten)]
    login: LoginArgs,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    timeouts: TimeoutArgs,
    #[command(flatten)]
    rate: RateLimitArgs,
    #[command(flatten)]
    subscriptions: SubscriptionArgs,
}

/// Who may ask: development tokens and the identity provider's tokens.
#[derive(clap::Args)]
struct AuthArgs {
    /// Accept development tokens (HS256, development key). Never in production.
    #[arg(long, env = "PLEJEOVERBLIK_DEV_TOKENS", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = DEFAULTS.dev_tokens, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    dev_tokens: bool,
    #[arg(long, env = "PLEJEOVERBLIK_DEV_KEY", default_value = DEFAULT_DEV_KEY, hide_default_value = true)]
    dev_key: String,
    /// JWKS or PEM file with the identity provider's public keys (RS256/ES256).
    #[arg(
        long,
        env = "PLEJEOVERBLIK_AUTH_JWKS",
        conflicts_with = "auth_jwks_url"
    )]
    auth_jwks: Option<PathBuf>,
    /// HTTPS URL of the identity provider's JWKS; fetched at start, refreshed periodically and
    /// when a token names an unknown key id (keys rotate without a restart).
    #[arg(long, env = "PLEJEOVERBLIK_AUTH_JWKS_URL")]
    auth_jwks_url: Option<String>,
    /// Seconds between refreshes of the JWKS from --auth-jwks-url.
    #[arg(
        long,
        env = "PLEJEOVERBLIK_AUTH_JWKS_REFRESH_SECS",
        default_value_t = DEFAULTS.auth_jwks_refresh_secs
    )]
    auth_jwks_refresh_secs: u64,
    /// Required token issuer (iss).
    #[arg(long, env = "PLEJEOVERBLIK_AUTH_ISSUER")]
    auth_issuer: Option<String>,
    /// Required token audience (aud).
    #[arg(long, env = "PLEJEOVERBLIK_AUTH_AUDIENCE")]
    auth_audience: Option<String>,
    /// Claim that carries the organisation's CVR.
    #[arg(long, env = "PLEJEOVERBLIK_CLAIM_CVR", default_value_t = DEFAULTS.claim_cvr.clone())]
    claim_cvr: String,
    /// Claim that carries the roles.
    #[arg(long, env = "PLEJEOVERBLIK_CLAIM_ROLES", default_value_t = DEFAULTS.claim_roles.clone())]
    claim_roles: String,
}

/// What one request may ask: the document limits and sizes.
#[derive(clap::Args)]
struct LimitArgs {
    /// Maximum query depth.
    #[arg(long, env = "PLEJEOVERBLIK_MAX_DEPTH", default_value_t = DEFAULTS.max_depth)]
    max_depth: usize,
    /// Maximum query complexity.
    #[arg(long, env = "PLEJEOVERBLIK_MAX_COMPLEXITY", default_value_t = DEFAULTS.max_complexity)]
    max_complexity: usize,
    /// Maximum number of aliases in a query.
    #[arg(long, env = "PLEJEOVERBLIK_MAX_ALIASES", default_value_t = DEFAULTS.max_aliases)]
    max_aliases: usize,
    /// Maximum number of root fields in an operation.
    #[arg(long, env = "PLEJEOVERBLIK_MAX_ROOT_FIELDS", default_value_t = DEFAULTS.max_root_fields)]
    max_root_fields: usize,
    /// Maximum number of directives on a field.
    #[arg(long, env = "PLEJEOVERBLIK_MAX_DIRECTIVES", default_value_t = DEFAULTS.max_directives)]
    max_directives: usize,
    /// Maximum nesting of { [ ( in a query document and of variables (checked before parsing).
    #[arg(long, env = "PLEJEOVERBLIK_MAX_NESTING", default_value_t = DEFAULTS.max_nesting)]
    max_nesting: usize,
    /// Maximum number of fields of a query with its fragments expanded.
    #[arg(long, env = "PLEJEOVERBLIK_MAX_FIELDS", default_value_t = DEFAULTS.max_fields)]
    max_fields: usize,
    /// Maximum number of fragment spreads (...Name) in a query document.
    #[arg(
        long,
        env = "PLEJEOVERBLIK_MAX_FRAGMENT_SPREADS",
        default_value_t = DEFAULTS.max_fragment_spreads
    )]
    max_fragment_spreads: usize,
    /// Maximum number of nodes (selections, directives, argument values) of a query with its
    /// fragments expanded: what validating it walks.
    #[arg(long, env = "PLEJEOVERBLIK_MAX_EXPANDED_NODES", default_value_t = DEFAULTS.max_expanded_nodes)]
    max_expanded_nodes: usize,
    /// How many new query documents are parsed and validated at once (default: half the cores).
    #[arg(long, env = "PLEJEOVERBLIK_VALIDATION_WORKERS")]
    validation_workers: Option<usize>,
    /// Maximum size of a query document in bytes.
    #[arg(
        long,
        env = "PLEJEOVERBLIK_MAX_DOCUMENT_BYTES",
        default_value_t = DEFAULTS.max_document_bytes
    )]
    max_document_bytes: usize,
    /// Maximum number of operations in a batched request.
    #[arg(long, env = "PLEJEOVERBLIK_MAX_BATCH", default_value_t = DEFAULTS.max_batch)]
    max_batch: usize,
    /// Maximum request body in bytes.
    #[arg(long, env = "PLEJEOVERBLIK_MAX_BODY_BYTES", default_value_t = DEFAULTS.max_body_bytes)]
    max_body_bytes: usize,
}

/// How long the server waits.
#[derive(clap::Args)]
struct TimeoutArgs {
    /// Seconds a client has to send a request's headers once it has started.
    #[arg(
        long,
        env = "PLEJEOVERBLIK_HEADER_READ_TIMEOUT_SECS",
        default_value_t = DEFAULTS.header_read_timeout.as_secs()
    )]
    header_read_timeout_secs: u64,
    /// Seconds a client has to send a request's body.
    #[arg(
        long,
        env = "PLEJEOVERBLIK_BODY_READ_TIMEOUT_SECS",
        default_value_t = DEFAULTS.body_read_timeout.as_secs()
    )]
    body_read_timeout_secs: u64,
    /// Seconds before an idle keep-alive connection is closed.
    #[arg(long, env = "PLEJEOVERBLIK_IDLE_TIMEOUT_SECS", default_value_t = DEFAULTS.idle_timeout.as_secs())]
    idle_timeout_secs: u64,
    /// Seconds requests in flight get to finish on shutdown (SIGTERM, Ctrl-C).
    #[arg(
        long,
        env = "PLEJEOVERBLIK_SHUTDOWN_TIMEOUT_SECS",
        default_value_t = DEFAULTS.shutdown_timeout.as_secs()
    )]
    shutdown_timeout_secs: u64,
    /// Per-request timeout in seconds.
    #[arg(long, env = "PLEJEOVERBLIK_REQUEST_TIMEOUT_SECS", default_value_t = DEFAULTS.request_timeout_secs)]
    request_timeout_secs: u64,
}

/// Rate limits per client, and the proxies whose X-Forwarded-For is believed.
#[derive(clap::Args)]
struct RateLimitArgs {
    /// Sustained requests per second of one anonymous client (address) on /graphql; 0 turns
    /// rate limiting off altogether.
    #[arg(
        long,
        env = "PLEJEOVERBLIK_RATE_LIMIT_PER_SECOND",
        default_value_t = DEFAULTS.rate_limit_per_second
    )]
    rate_limit_per_second: u32,
    /// Requests one anonymous client may send at once (bucket size, at least 1).
    #[arg(long, env = "PLEJEOVERBLIK_RATE_LIMIT_BURST", default_value_t = DEFAULTS.rate_limit_burst)]
    rate_limit_burst: u32,
    /// Sustained requests per second of one authenticated client (token subject); 0: requests
    /// with a valid token are not limited.
    #[arg(
        long,
        env = "PLEJEOVERBLIK_RATE_LIMIT_AUTHENTICATED_PER_SECOND",
        default_value_t = DEFAULTS.rate_limit_authenticated_per_second
    )]
    rate_limit_authenticated_per_second: u32,
    /// Requests one authenticated client may send at once (bucket size, at least 1).
    #[arg(
        long,
        env = "PLEJEOVERBLIK_RATE_LIMIT_AUTHENTICATED_BURST",
        default_value_t = DEFAULTS.rate_limit_authenticated_burst
    )]
    rate_limit_authenticated_burst: u32,
    /// Proxies whose X-Forwarded-For is believed, comma separated: addresses or CIDR ranges,
    /// e.g. 10.0.0.0/8,192.0.2.7
    #[arg(
        long,
        env = "PLEJEOVERBLIK_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_proxy
    )]
    trusted_proxies: Vec<Option<ipnet::IpNet>>,
}

/// Subscriptions and the change feed.
#[derive(clap::Args)]
struct SubscriptionArgs {
    /// Days the change log keeps its events; a client's older cursor is refused (reload from
    /// /data/tilbud.json).
    #[arg(
        long,
        env = "PLEJEOVERBLIK_CHANGE_LOG_RETENTION_DAYS",
        default_value_t = DEFAULTS.change_log_retention_days
    )]
    change_log_retention_days: u32,
    /// Open subscriptions (WebSocket and SSE) this instance serves at once.
    #[arg(
        long,
        env = "PLEJEOVERBLIK_MAX_SUBSCRIPTIONS",
        default_value_t = DEFAULTS.max_subscriptions
    )]
    max_subscriptions: usize,
    /// Open subscriptions of one client (address) at once.
    #[arg(
        long,
        env = "PLEJEOVERBLIK_MAX_SUBSCRIPTIONS_PER_CLIENT",
        default_value_t = DEFAULTS.max_subscriptions_per_client
    )]
    max_subscriptions_per_client: usize,
    /// Seconds between heartbeats on an idle subscription.
    #[arg(
        long,
        env = "PLEJEOVERBLIK_SUBSCRIPTION_HEARTBEAT_SECS",
        default_value_t = DEFAULTS.subscription_heartbeat.as_secs()
    )]
    subscription_heartbeat_secs: u64,
}

/// A `--trusted-proxies` entry; an empty one (a trailing comma, an empty variable) is skipped.
fn parse_proxy(s: &str) -> Result<Option<ipnet::IpNet>, String> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    http::parse_trusted_proxy(s).map(Some)
}

/// A timeout flag: at least one second.
fn secs(s: u64) -> std::time::Duration {
    std::time::Duration::from_secs(s.max(1))
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PLEJEOVERBLIK_LOG")
        .unwrap_or_else(|_| "info".into());
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        b.json().init();
    } else {
        b.init();
    }
}

/// No transparent huge pages for this process. mimalloc asks for them where the kernel leaves
/// it to the program (`madvise` mode, Debian's default), and a 2 MB page stays resident as long
/// as one object in it lives: the server's memory then varied by 70 MB from run to run with the
/// same data and load (`benches/README.md`). A service whose memory is meant to stay bounded
/// wants it predictable; the cost is more TLB misses, which the load benchmark did not show.
/// (A direct `prctl`: neither std nor tokio offers it.)
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes a flag and changes nothing but this process's page
    // policy; it cannot touch memory the program uses.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// `copy-data`: both databases migrated to this version, the target refused when it holds
/// anything a service wrote (unless `--replace`), then `store::copy::copy_all`.
async fn copy_data(from: &str, to: &str, replace: bool) -> anyhow::Result<()> {
    use plejeoverblik::store;
    anyhow::ensure!(
        from.trim() != to.trim(),
        "--from og --to er den samme database"
    );
    let counter = store::StatementCounter::default();
    let (src, dst) = (
        store::connect(from, &counter).await?,
        store::connect(to, &counter).await?,
    );
    store::migrate(&src).await?;
    store::migrate(&dst).await?;
    let written = store::copy::written_tables(&dst).await?;
    if !written.is_empty() && !replace {
        let what: Vec<String> = written.iter().map(|(t, n)| format!("{t} ({n})")).collect();
        anyhow::bail!(
            "målet har allerede data: {}. Brug --replace for at erstatte dem.",
            what.join(", ")
        );
    }
    let started = std::time::Instant::now();
    let report = store::copy::copy_all(&src, &dst).await?;
    for t in &report {
        println!(
            "{:<26} {:>9} rækker  sha256 {}",
            t.table,
            t.rows,
            &t.checksum[..16]
        );
    }
    println!(
        "Kopieret og kontrolleret: {} tabeller, {} rækker på {:.1} s. Start tjenesten med --database-url {}",
        report.len(),
        report.iter().map(|t| t.rows).sum::<u64>(),
        started.elapsed().as_secs_f64(),
        redact(to)
    );
    Ok(())
}

/// A database URL without its password (for output).
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn main() -> ExitCode {
    no_huge_pages();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fejl: kunne ikke starte: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async {
        let cli = Cli::parse();
        init_logging(cli.log_json);
        match run(cli).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("fejl: {e:#}");
                ExitCode::FAILURE
            }
        }
    });
    // Work still running past the shutdown deadline (a document being validated on the
    // blocking pool, say) does not hold the process: dropping the runtime would wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let base = Config {
        database_url: cli.database_url.clone(),
        ..Config::default()
    };
    match cli.command {
        Command::Serve(a) => {
            let a = *a;
            let (public_url, oidc) = a.login.config();
            serve(Config {
                public_url,
                oidc,
                bind: a.bind,
                dev_tokens: a.auth.dev_tokens,
                dev_key: a.auth.dev_key,
                auth_keys: a.auth.auth_jwks,
                auth_jwks_url: a.auth.auth_jwks_url.filter(|u| !u.trim().is_empty()),
                auth_jwks_refresh_secs: a.auth.auth_jwks_refresh_secs.max(1),
                auth_issuer: a.auth.auth_issuer,
                auth_audience: a.auth.auth_audience,
                claim_cvr: a.auth.claim_cvr,
                claim_roles: a.auth.claim_roles,
                lock_ttl_minutes: a.lock_ttl_minutes.max(1),
                lock_presence_minutes: a.lock_presence_minutes.max(1),
                seed_if_empty: plejeoverblik::config::demo_data_on_start(
                    &base.database_url,
                    a.demo_data,
                    a.no_demo_data,
                ),
                introspection: !a.no_introspection,
                max_depth: a.limits.max_depth,
                max_complexity: a.limits.max_complexity,
                max_aliases: a.limits.max_aliases,
                max_root_fields: a.limits.max_root_fields,
                max_directives: a.limits.max_directives,
                max_nesting: a.limits.max_nesting.max(1),
                max_fields: a.limits.max_fields.max(1),
                max_fragment_spreads: a.limits.max_fragment_spreads,
                max_expanded_nodes: a.limits.max_expanded_nodes.max(1),
                validation_workers: a
                    .limits
                    .validation_workers
                    .unwrap_or_else(plejeoverblik::config::default_validation_workers)
                    .max(1),
                max_document_bytes: a.limits.max_document_bytes,
                max_batch: a.limits.max_batch.max(1),
                cors_origins: a
                    .cors_origins
                    .into_iter()
                    .filter(|o| !o.trim().is_empty())
                    .collect(),
                cache_max_age_secs: a.cache_max_age_secs,
                response_cache_bytes: a.response_cache_bytes,
                max_body_bytes: a.limits.max_body_bytes,
                request_timeout_secs: a.timeouts.request_timeout_secs.max(1),
                header_read_timeout: secs(a.timeouts.header_read_timeout_secs),
                body_read_timeout: secs(a.timeouts.body_read_timeout_secs),
                idle_timeout: secs(a.timeouts.idle_timeout_secs),
                shutdown_timeout: std::time::Duration::from_secs(a.timeouts.shutdown_timeout_secs),
                version_check_interval: secs(a.version_check_secs),
                rate_limit_per_second: a.rate.rate_limit_per_second,
                rate_limit_burst: a.rate.rate_limit_burst.max(1),
                rate_limit_authenticated_per_second: a.rate.rate_limit_authenticated_per_second,
                rate_limit_authenticated_burst: a.rate.rate_limit_authenticated_burst.max(1),
                trusted_proxies: a.rate.trusted_proxies.into_iter().flatten().collect(),
                change_log_retention_days: a.subscriptions.change_log_retention_days.max(1),
                audit_retention_days: a.audit_retention_days,
                max_subscriptions: a.subscriptions.max_subscriptions,
                max_subscriptions_per_client: a.subscriptions.max_subscriptions_per_client,
                subscription_heartbeat: secs(a.subscriptions.subscription_heartbeat_secs),
                ..base
            })
            .await
        }
        Command::Migrate => {
            AppState::init(
                Config {
                    seed_if_empty: false,
                    ..base
                },
                None,
            )
            .await?;
            println!("Databasen er migreret.");
            Ok(())
        }
        Command::Seed => {
            let st = AppState::init(
                Config {
                    seed_if_empty: false,
                    ..base
                },
                None,
            )
            .await?;
            if plejeoverblik::store::enhed::count(&st.db).await? > 0 {
                println!("Databasen indeholder allerede enheder; demodata indlæses kun i en tom database.");
                return Ok(());
            }
            let report = plejeoverblik::seed::seed(&st).await?;
            print!("{report}");
            Ok(())
        }
        Command::Backup { file } => {
            let counter = plejeoverblik::store::StatementCounter::default();
            let db = plejeoverblik::store::connect(&base.database_url, &counter).await?;
            let bytes = plejeoverblik::store::backup(&db, &file).await?;
            println!(
                "Sikkerhedskopien er skrevet til {} ({} kB). Gendan ved at starte med --database-url sqlite://{}",
                file.display(),
                bytes / 1024,
                file.display()
            );
            Ok(())
        }
        Command::CopyData { from, to, replace } => copy_data(&from, &to, replace).await,
        Command::Import { file } => {
            let st = AppState::init(
                Config {
                    seed_if_empty: false,
                    ..base
                },
                None,
            )
            .await?;
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("kan ikke læse {}: {e}", file.display()))?;
            let report = plejeoverblik::import::import_text(&st, &text).await?;
            print!("{report}");
            Ok(())
        }
        Command::ExportSchema { out, check } => {
            let sdl = plejeoverblik::graphql::sdl();
            if check {
                let current = std::fs::read_to_string(&out).unwrap_or_default();
                anyhow::ensure!(
                    current == sdl,
                    "{} er forældet: kør `plejeoverblik export-schema`",
                    out.display()
                );
                println!("{} er aktuel.", out.display());
            } else {
                std::fs::write(&out, sdl)?;
                println!("Skrev {}.", out.display());
            }
            Ok(())
        }
        Command::Token {
            roles,
            cvr,
            name,
            subject,
            hours,
            dev_key,
        } => {
            let parsed: Vec<Role> = roles
                .iter()
                .map(|r| Role::parse(r).ok_or_else(|| anyhow::anyhow!("ukendt rolle '{r}': brug driftsoverenskomstansvarlig, redaktoer eller administrator")))
                .collect::<anyhow::Result<_>>()?;
            let req = DevTokenRequest {
                roles: &parsed,
                cvr: cvr.trim(),
                name: name.as_deref(),
                subject: subject.as_deref(),
                valid_hours: hours.clamp(1, 24 * 30),
            };
            let token = make_dev_token(&dev_key, &req, chrono::Utc::now())?;
            eprintln!("Udviklingstoken (gyldigt {hours} timer; kun accepteret af `plejeoverblik serve --dev-tokens`):");
            eprintln!("Brug: Authorization: Bearer <token>");
            println!("{token}");
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if config.dev_tokens {
        tracing::warn!("!!! UDVIKLINGSTOKENS ER SLÅET TIL (--dev-tokens). Enhver med udviklingsnøglen kan logge ind. Brug det aldrig i produktion. !!!");
    }
    if config.rate_limit_per_second == 0 {
        tracing::warn!("hastighedsbegrænsning er slået fra (--rate-limit-per-second 0)");
    } else {
        tracing::info!(
            per_second = config.rate_limit_per_second,
            burst = config.rate_limit_burst,
            authenticated_per_second = config.rate_limit_authenticated_per_second,
            authenticated_burst = config.rate_limit_authenticated_burst,
            trusted_proxies = ?config.trusted_proxies,
            "hastighedsbegrænsning pr. klient"
        );
    }
    let bind = config.bind;
    let timeouts = config.server_timeouts();
    let state = AppState::init(config, None).await?;
    if state.config.seed_if_empty {
        plejeoverblik::seed::if_empty(&state).await?;
    }
    let feed = state.read_model.feed.clone();
    let app = http::router(state);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let signal = shutdown_signal();
    // Subscriptions complete (a `complete` to each) at once, so that they do not hold the
    // graceful shutdown to its deadline.
    let shutdown = async move {
        signal.await;
        feed.close();
    };
    tracing::info!(%addr, "Plejeoverblik kører");
    println!("Plejeoverblik kører. Playground: http://{addr}/   GraphQL: http://{addr}/graphql   Admin: http://{addr}/admin");
    http::server::serve(listener, app, timeouts, shutdown).await?;
    tracing::info!("stoppet");
    Ok(())
}

/// The shutdown signal. The handlers are installed here, before the server announces itself,
/// so that a SIGTERM right after start is a clean stop rather than the default kill.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        let wait = |s: Option<tokio::signal::unix::Signal>| async move {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        async move {
            tokio::select! { _ = wait(term) => {}, _ = wait(int) => {} }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn copy_data_prints_no_password() {
        assert_eq!(
            redact("postgres://plejeoverblik:hemmelig@db.example/p"),
            "postgres://plejeoverblik:***@db.example/p"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/p"),
            "postgres://postgres@127.0.0.1/p"
        );
        assert_eq!(
            redact("sqlite://plejeoverblik.db"),
            "sqlite://plejeoverblik.db"
        );
    }
}
