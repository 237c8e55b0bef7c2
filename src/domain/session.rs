//! When a console session (issue 22) may serve a request: its absolute end, its idle timeout,
//! and whether the identity provider's tokens must be renewed first.
use chrono::{DateTime, Duration, Utc};

/// What a session is at a moment.
#[derive(Debug, PartialEq, Eq)]
pub enum Standing {
    /// Serves the request.
    Active,
    /// Serves it once the tokens are renewed with the refresh token.
    Renew,
    /// Ended: past its absolute end, idle too long, or its tokens expired with nothing to
    /// renew them.
    Ended,
}

pub fn standing(
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    idle: Duration,
    token_expires_at: DateTime<Utc>,
    can_renew: bool,
) -> Standing {
    if now >= expires_at || now - last_seen_at >= idle {
        Standing::Ended
    } else if now < token_expires_at {
        Standing::Active
    } else if can_renew {
        Standing::Renew
    } else {
        Standing::Ended
    }
}

/// What a request is to its session's idle timeout, which counts from the last *use*: whatever
/// a person does, but not a request the console sends on its own while nobody touches it (the
/// lock's heartbeat). Otherwise an editor left open on an unattended desk would keep its
/// session until the absolute end (OWASP's session management: polling must not renew it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Person,
    Background,
}

impl Use {
    /// Does the request count as use of the session?
    pub fn counts(self) -> bool {
        self == Use::Person
    }
}

/// A path of the console to return to after the login: a same-origin path under `/admin`
/// (anything else, such as `//evil.example` or `https://…`, goes to the console's start).
pub fn return_path(p: Option<&str>) -> String {
    match p {
        Some(p)
            if (p == "/admin" || p.starts_with("/admin/") || p.starts_with("/admin#"))
                && !p.contains(['\\', '\r', '\n']) =>
        {
            p.to_string()
        }
        _ => "/admin/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_at_its_end_when_idle_and_without_renewal() {
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("time");
        let m = Duration::minutes;
        let at = |now| standing(now, t0 + m(60), t0, m(30), t0 + m(5), true);
        assert_eq!(at(t0), Standing::Active);
        assert_eq!(at(t0 + m(10)), Standing::Renew);
        assert_eq!(at(t0 + m(30)), Standing::Ended);
        assert_eq!(
            standing(t0 + m(10), t0 + m(60), t0, m(30), t0 + m(5), false),
            Standing::Ended
        );
        assert_eq!(
            standing(t0 + m(61), t0 + m(60), t0 + m(60), m(30), t0 + m(90), true),
            Standing::Ended
        );
    }

    #[test]
    fn only_console_paths_are_returned_to() {
        assert_eq!(return_path(Some("/admin/#/x")), "/admin/#/x");
        assert_eq!(return_path(Some("//evil.example/admin")), "/admin/");
        assert_eq!(return_path(Some("https://evil.example/")), "/admin/");
        assert_eq!(return_path(Some("/adminx")), "/admin/");
        assert_eq!(return_path(None), "/admin/");
    }
}
