//! Rate limits per client (issue 8): a token bucket per client on `/graphql` (and on every
//! route added to the limited router in `http::router`, such as the coming `/data` endpoints).
//! `/healthz`, `/readyz`, `/metrics` and the playground page are never limited. The buckets are
//! `governor`'s (GCRA, equivalent to a token bucket): `--rate-limit-per-second` refills them,
//! `--rate-limit-burst` is their size. `--rate-limit-per-second 0` turns all of this off.
//!
//! **Who the client is.** A request with a valid token is its subject's (`sub`), in a bucket of
//! the authenticated size; any other request, including one with a bad token, is its address's,
//! in a bucket of the anonymous size. The two are independent: a user's token requests do not
//! use up the bucket of the office address they come from, and the other way round.
//!
//! **One authentication per request.** This middleware authenticates the request (the same
//! `Authenticator::authenticate` as before) and hands the outcome to the handler as the request
//! extension [`Authenticated`], so a token is verified once, the limit is keyed on the verified
//! subject, and the handler still decides what a bad token means (401, as before). Only a
//! verified subject counts as one: decoding `sub` without checking the signature would let
//! anyone pick a fresh bucket per request. A bad token is charged to the address, so a stream of
//! forged tokens is limited like any anonymous traffic (its verification, a signature check,
//! costs about what it did before this module).
//!
//! **The address.** The direct peer (`ConnectInfo`, set by `server::serve`), with IPv4-mapped
//! IPv6 addresses as IPv4. Only when the peer is one of `--trusted-proxies` is
//! `X-Forwarded-For` read: from the right, the first address that is not itself a trusted
//! proxy is the client (what our proxies saw; anything further left was written by the client
//! and may be forged). If the peer is not trusted, the header is ignored, so spoofing it
//! changes nothing. `Forwarded` (RFC 7239) and `X-Real-IP` are not read: a proxy that
//! maintains only one of these headers passes the others on from the client unchecked, so
//! reading two would let a client forge its address. An IPv6 client is keyed by its /64, the
//! block one subscriber usually gets (otherwise one host could take a new bucket per address).
//!
//! **Memory.** Each limiter holds at most `MAX_CLIENTS` buckets. A bucket that has refilled is
//! indistinguishable from a new one and is dropped by a sweep every `SWEEP_EVERY` (governor's
//! `retain_recent`). If a flood of distinct clients (which needs that many real addresses:
//! forged headers from untrusted peers are ignored) fills a limiter anyway, further new
//! clients share one overflow bucket until the sweep makes room, and a warning is logged.
//!
//! A batch counts as one request; `--max-batch` bounds what one request can do.
use super::graphql::{http_error_with, negotiate, Media};
use super::Http;
use crate::config::Config;
use crate::domain::access::Viewer;
use crate::error::AppError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::nanos::Nanos;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::StateStore;
use governor::{Quota, RateLimiter};
use ipnet::IpNet;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Most buckets one limiter holds (a few MB at most).
const MAX_CLIENTS: usize = 100_000;
/// How often refilled buckets are dropped.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// The outcome of authenticating a request, computed once by the rate limit middleware.
#[derive(Clone)]
pub(crate) struct Authenticated(pub Arc<Result<Viewer, AppError>>);

/// Whose bucket a request uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Client {
    /// An address (IPv6: its /64).
    Addr(IpAddr),
    /// A token subject (the first 16 bytes of its SHA-256: fixed size, whatever the token says).
    Subject([u8; 16]),
    /// The bucket new clients share while the limiter is full.
    Overflow,
}

/// governor's DashMap store with a bound on its keys. governor has no bounded store of its own;
/// this wrapper only decides which key a request uses and leaves the rest to the DashMap store.
struct Bounded {
    map: DashMapStateStore<Client>,
    cap: usize,
    /// Set when a new client was put in the overflow bucket; shared with [`Limited`].
    overflowed: Arc<AtomicBool>,
}

impl StateStore for Bounded {
    type Key = Client;

    fn measure_and_replace<T, F, E>(&self, key: &Client, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let key = if self.map.contains_key(key) || self.map.len() < self.cap {
            key
        } else {
            self.overflowed.store(true, Ordering::Relaxed);
            &Client::Overflow
        };
        self.map.measure_and_replace(key, f)
    }
}

impl ShrinkableKeyedStateStore<Client> for Bounded {
    fn retain_recent(&self, drop_below: Nanos) {
        ShrinkableKeyedStateStore::retain_recent(&self.map, drop_below);
    }

    fn shrink_to_fit(&self) {
        self.map.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A keyed limiter and its store's overflow flag (governor does not give its store back).
struct Limited {
    limiter: RateLimiter<Client, Bounded, DefaultClock>,
    overflowed: Arc<AtomicBool>,
}

impl Limited {
    fn new(per_second: NonZeroU32, burst: u32, cap: usize, clock: &DefaultClock) -> Self {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let overflowed = Arc::new(AtomicBool::new(false));
        let store = Bounded {
            map: DashMapStateStore::default(),
            cap,
            overflowed: overflowed.clone(),
        };
        Limited {
            limiter: RateLimiter::new(
                Quota::per_second(per_second).allow_burst(burst),
                store,
                clock.clone(),
            ),
            overflowed,
        }
    }
}

/// Which bucket refused a request (the `kind` label of the metric).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kind {
    Anonymous,
    Authenticated,
}

impl Kind {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Kind::Anonymous => "anonymous",
            Kind::Authenticated => "authenticated",
        }
    }
}

/// The limiters of one router.
pub(crate) struct RateLimits {
    anonymous: Limited,
    /// `None`: requests with a valid token are not limited.
    authenticated: Option<Limited>,
    trusted: Vec<IpNet>,
    clock: DefaultClock,
}

impl RateLimits {
    /// The limits of the configuration; `None` when rate limiting is off.
    pub(crate) fn from_config(c: &Config) -> Option<Arc<Self>> {
        Self::with_capacity(c, MAX_CLIENTS)
    }

    fn with_capacity(c: &Config, cap: usize) -> Option<Arc<Self>> {
        let anonymous = NonZeroU32::new(c.rate_limit_per_second)?;
        // One clock for the limiters and the Retry-After computed from their instants.
        let clock = DefaultClock::default();
        let limits = Arc::new(RateLimits {
            anonymous: Limited::new(anonymous, c.rate_limit_burst, cap, &clock),
            authenticated: NonZeroU32::new(c.rate_limit_authenticated_per_second)
                .map(|r| Limited::new(r, c.rate_limit_authenticated_burst, cap, &clock)),
            trusted: c.trusted_proxies.clone(),
            clock,
        });
        limits.spawn_sweeper();
        Some(limits)
    }

    /// Drops refilled buckets every `SWEEP_EVERY` until the limits are dropped. Outside a
    /// tokio runtime (nothing is served there) there is nothing to sweep.
    fn spawn_sweeper(self: &Arc<Self>) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let weak: Weak<Self> = Arc::downgrade(self);
        rt.spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(limits) = weak.upgrade() else { return };
                limits.sweep();
            }
        });
    }

    fn sweep(&self) {
        for (kind, l) in [
            (Kind::Anonymous, Some(&self.anonymous)),
            (Kind::Authenticated, self.authenticated.as_ref()),
        ] {
            let Some(l) = l else { continue };
            l.limiter.retain_recent();
            l.limiter.shrink_to_fit();
            if l.overflowed.swap(false, Ordering::Relaxed) {
                tracing::warn!(
                    kind = kind.label(),
                    clients = l.limiter.len(),
                    "hastighedsbegrænsningen har nået sit maksimale antal klienter; nye klienter deler én spand"
                );
            }
        }
    }

    /// Takes one request from the client's bucket; `Err` carries how long to wait.
    fn check(&self, kind: Kind, client: &Client) -> Result<(), Duration> {
        let l = match kind {
            Kind::Anonymous => &self.anonymous,
            Kind::Authenticated => match &self.authenticated {
                Some(l) => l,
                None => return Ok(()),
            },
        };
        l.limiter
            .check_key(client)
            .map(|_| ())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// The bucket of an address: IPv4 as is, IPv6 by its /64.
fn addr_key(ip: IpAddr) -> Client {
    match ip.to_canonical() {
        IpAddr::V4(a) => Client::Addr(IpAddr::V4(a)),
        IpAddr::V6(a) => {
            let s = a.segments();
            Client::Addr(IpAddr::V6(Ipv6Addr::new(
                s[0], s[1], s[2], s[3], 0, 0, 0, 0,
            )))
        }
    }
}

fn subject_key(subject: &str) -> Client {
    let digest = Sha256::digest(subject.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&digest[..16]);
    Client::Subject(k)
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|n| n.contains(&ip))
}

/// One `X-Forwarded-For` entry: an address, or an address with a port (`1.2.3.4:5`, `[::1]:5`).
fn forwarded_addr(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .or_else(|_| s.parse::<SocketAddr>().map(|a| a.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The client's address (see the module documentation). Without a peer (a router served
/// without `ConnectInfo`), all requests share the unspecified address.
pub(super) fn client_addr(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let Some(peer) = peer.map(|p| p.to_canonical()) else {
        return IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    };
    if !is_trusted(peer, trusted) {
        return peer;
    }
    // The nearest trusted hop so far: the answer if every entry is trusted or one is garbled.
    let mut nearest = peer;
    for line in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(line) = line.to_str() else {
            return nearest;
        };
        for entry in line.rsplit(',') {
            let Some(ip) = forwarded_addr(entry) else {
                return nearest;
            };
            if !is_trusted(ip, trusted) {
                return ip;
            }
            nearest = ip;
        }
    }
    nearest
}

/// Parses one `--trusted-proxies` entry: an address or a CIDR range.
pub fn parse_trusted_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("'{s}' er hverken en IP-adresse eller et CIDR-område"))
}

/// Whole seconds to wait, at least 1.
fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// 429 with `Retry-After` and a GraphQL-shaped body.
fn refusal(wait: Duration, headers: &HeaderMap) -> Response {
    let secs = retry_after_secs(wait);
    let unit = if secs == 1 { "sekund" } else { "sekunder" };
    let mut resp = http_error_with(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        &format!("For mange forespørgsler på kort tid. Prøv igen om {secs} {unit}."),
        negotiate(headers).unwrap_or(Media::Json),
        &[("retryAfter", secs.into())],
    );
    let hs = resp.headers_mut();
    hs.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    hs.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The middleware: authenticates, charges the client's bucket, refuses with 429 when empty.
pub(super) async fn layer(State(h): State<Http>, mut req: Request, next: Next) -> Response {
    let Some(limits) = h.rate_limits.clone() else {
        return next.run(req).await;
    };
    let mut subject = None;
    if super::graphql::has_credentials(req.headers()) {
        let outcome = super::graphql::authenticate(&h, req.headers(), req.method()).await;
        subject = outcome.as_ref().ok().and_then(|v| v.subject.clone());
        req.extensions_mut()
            .insert(Authenticated(Arc::new(outcome)));
    }
    let (kind, client) = match subject {
        Some(s) => (Kind::Authenticated, subject_key(&s)),
        None => {
            let peer = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip());
            (
                Kind::Anonymous,
                addr_key(client_addr(peer, req.headers(), &limits.trusted)),
            )
        }
    };
    match limits.check(kind, &client) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            h.metrics.rate_limited(kind);
            tracing::debug!(
                kind = kind.label(),
                "forespørgsel afvist: for mange forespørgsler"
            );
            refusal(wait, req.headers())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(s: &[&str]) -> Vec<IpNet> {
        s.iter()
            .map(|x| parse_trusted_proxy(x).expect("valid"))
            .collect()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_peers() {
        let trusted = nets(&["10.0.0.0/8", "192.168.1.1"]);
        let h = xff(&["6.6.6.6, 1.2.3.4"]);
        // Untrusted peer: the header is ignored.
        assert_eq!(
            client_addr(Some(ip("5.5.5.5")), &h, &trusted),
            ip("5.5.5.5")
        );
        // Trusted peer: the right-most untrusted entry.
        assert_eq!(
            client_addr(Some(ip("10.1.2.3")), &h, &trusted),
            ip("1.2.3.4")
        );
        // Trusted hops on the right are skipped, across header lines.
        let h = xff(&["6.6.6.6, 1.2.3.4", "192.168.1.1", "10.9.9.9"]);
        assert_eq!(
            client_addr(Some(ip("10.1.2.3")), &h, &trusted),
            ip("1.2.3.4")
        );
        // Only trusted entries, or none: the nearest trusted hop.
        let h = xff(&["10.0.0.7"]);
        assert_eq!(
            client_addr(Some(ip("10.1.2.3")), &h, &trusted),
            ip("10.0.0.7")
        );
        assert_eq!(
            client_addr(Some(ip("10.1.2.3")), &HeaderMap::new(), &trusted),
            ip("10.1.2.3")
        );
        // A garbled entry stops the walk at the nearest trusted hop.
        let h = xff(&["1.2.3.4, unknown, 10.0.0.7"]);
        assert_eq!(
            client_addr(Some(ip("10.1.2.3")), &h, &trusted),
            ip("10.0.0.7")
        );
        // Ports and brackets, IPv4-mapped peers.
        let h = xff(&["[2001:db8::1]:443, 1.2.3.4:5678"]);
        assert_eq!(
            client_addr(Some(ip("::ffff:10.1.2.3")), &h, &trusted),
            ip("1.2.3.4")
        );
        assert_eq!(client_addr(None, &h, &trusted), ip("0.0.0.0"));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(
            addr_key(ip("2001:db8:1:2:aaaa::1")),
            addr_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            addr_key(ip("2001:db8:1:2::1")),
            addr_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(addr_key(ip("::ffff:1.2.3.4")), addr_key(ip("1.2.3.4")));
    }

    #[test]
    fn trusted_proxies_parse() {
        assert!(parse_trusted_proxy("10.0.0.0/8").is_ok());
        assert!(parse_trusted_proxy(" 127.0.0.1 ").is_ok());
        assert!(parse_trusted_proxy("::1").is_ok());
        assert!(parse_trusted_proxy("fd00::/8").is_ok());
        assert!(parse_trusted_proxy("proxy.local").is_err());
    }

    #[test]
    fn retry_after_is_whole_seconds_at_least_one() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(20)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1_001)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }

    #[test]
    fn the_number_of_buckets_is_bounded() {
        let c = Config {
            rate_limit_per_second: 1,
            rate_limit_burst: 2,
            ..Config::default()
        };
        let Some(limits) = RateLimits::with_capacity(&c, 3) else {
            panic!("limits on");
        };
        for i in 0..1_000u32 {
            let _ = limits.check(Kind::Anonymous, &addr_key(IpAddr::from(i.to_be_bytes())));
        }
        // Three clients and the shared overflow bucket.
        let n = limits.anonymous.limiter.len();
        assert!(n <= 4, "{n}");
        assert!(limits.anonymous.overflowed.load(Ordering::Relaxed));
        // Known clients keep their own bucket; new ones share the (now empty) overflow bucket.
        assert!(limits
            .check(Kind::Anonymous, &addr_key(ip("0.0.0.1")))
            .is_ok());
        assert!(limits
            .check(Kind::Anonymous, &addr_key(ip("9.9.9.9")))
            .is_err());
    }

    #[test]
    fn off_means_no_limits() {
        let c = Config {
            rate_limit_per_second: 0,
            ..Config::default()
        };
        assert!(RateLimits::from_config(&c).is_none());
        let c = Config {
            rate_limit_authenticated_per_second: 0,
            ..Config::default()
        };
        let Some(limits) = RateLimits::from_config(&c) else {
            panic!("anonymous limits on");
        };
        for _ in 0..1_000 {
            assert!(limits
                .check(Kind::Authenticated, &subject_key("someone"))
                .is_ok());
        }
    }
}
