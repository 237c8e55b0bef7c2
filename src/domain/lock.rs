//! Locks (R11-R14): who may take a lock, who holds it, when it expires.
use chrono::{DateTime, Duration, Utc};

/// The lock on an item as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Lock {
    pub subject: String,
    pub name: Option<String>,
    pub since: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

impl Lock {
    pub fn from_parts(
        subject: Option<&String>,
        name: Option<&String>,
        since: Option<DateTime<Utc>>,
        expires_ms: Option<i64>,
    ) -> Option<Lock> {
        let subject = subject?.clone();
        let since = since?;
        let expires = DateTime::from_timestamp_millis(expires_ms?)?;
        Some(Lock {
            subject,
            name: name.cloned(),
            since,
            expires,
        })
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires <= now
    }
}

/// R11: locking succeeds when the item is unlocked, the caller holds it, or the holder's lock
/// has expired. The store's conditional UPDATE is this predicate in SQL (`store::lock`).
pub fn can_take(lock: Option<&Lock>, subject: &str, now: DateTime<Utc>) -> bool {
    match lock {
        None => true,
        Some(l) => l.subject == subject || l.is_expired(now),
    }
}

/// R12: the caller holds a live lock.
pub fn holds(lock: Option<&Lock>, subject: &str, now: DateTime<Utc>) -> bool {
    matches!(lock, Some(l) if l.subject == subject && !l.is_expired(now))
}

/// The lock that is in force now (an expired lock is no lock).
pub fn active(lock: Option<Lock>, now: DateTime<Utc>) -> Option<Lock> {
    lock.filter(|l| !l.is_expired(now))
}

/// R14: when a lock taken now expires.
pub fn expiry(now: DateTime<Utc>, ttl: Duration) -> DateTime<Utc> {
    now + ttl
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(subject: &str, now: DateTime<Utc>, ttl_min: i64) -> Lock {
        Lock {
            subject: subject.into(),
            name: None,
            since: now,
            expires: now + Duration::minutes(ttl_min),
        }
    }

    #[test]
    fn r11_who_may_take_a_lock() {
        let now = Utc::now();
        assert!(can_take(None, "a", now));
        let l = lock("a", now, 60);
        assert!(can_take(Some(&l), "a", now), "the holder may re-lock");
        assert!(!can_take(Some(&l), "b", now), "a colleague is refused");
        assert!(
            can_take(Some(&l), "b", now + Duration::minutes(61)),
            "R14: an expired lock is free"
        );
    }

    #[test]
    fn r12_only_the_live_holder_holds() {
        let now = Utc::now();
        let l = lock("a", now, 60);
        assert!(holds(Some(&l), "a", now));
        assert!(!holds(Some(&l), "b", now));
        assert!(!holds(Some(&l), "a", now + Duration::minutes(60)));
        assert!(!holds(None, "a", now));
        assert!(active(Some(l), now + Duration::hours(2)).is_none());
    }
}
