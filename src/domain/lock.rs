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

/// How long a lock lives: its holder's presence (R28) within the ceiling (R14).
#[derive(Clone, Copy, Debug)]
pub struct Terms {
    /// No lock outlives this from when it was taken (R14, default 8 hours).
    pub ceiling: Duration,
    /// A lock whose holder sent no heartbeat for this long has expired (R28, default 15 min).
    pub presence: Duration,
}

/// R14, R28: the expiry of a lock held since `since`, taken or renewed `now`: the presence
/// window from now, never past the ceiling from since.
pub fn expiry(now: DateTime<Utc>, since: DateTime<Utc>, t: Terms) -> DateTime<Utc> {
    (now + t.presence).min(since + t.ceiling)
}

/// The "since" of a lock taken or renewed now by `subject`: kept when they hold it already.
pub fn since_of(held: Option<&Lock>, subject: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    match held {
        Some(l) if l.subject == subject && !l.is_expired(now) => l.since,
        _ => now,
    }
}

/// R28: when the holder last renewed the lock, as its expiry tells it.
pub fn last_seen(l: &Lock, t: Terms) -> DateTime<Utc> {
    (l.expires - t.presence).max(l.since)
}

/// R28: is the holder's editor open now? Its heartbeat renews the lock every minute, so a
/// renewal within the last two says yes.
pub fn editing_now(l: &Lock, t: Terms, now: DateTime<Utc>) -> bool {
    !l.is_expired(now) && now - last_seen(l, t) <= Duration::minutes(2)
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

    /// R28: a lock lives as long as its holder's heartbeat, never past the ceiling.
    #[test]
    fn r28_presence_within_the_ceiling() {
        let t = Terms {
            ceiling: Duration::hours(8),
            presence: Duration::minutes(15),
        };
        let now = Utc::now();
        let l = Lock {
            subject: "a".into(),
            name: None,
            since: now,
            expires: expiry(now, now, t),
        };
        assert_eq!(l.expires, now + Duration::minutes(15));
        assert!(editing_now(&l, t, now + Duration::minutes(1)));
        assert!(!editing_now(&l, t, now + Duration::minutes(5)), "away");
        assert!(
            l.is_expired(now + Duration::minutes(15)),
            "no heartbeat: expired"
        );
        // Renewed: since stays, the expiry moves, up to the ceiling.
        assert_eq!(since_of(Some(&l), "a", now + Duration::minutes(10)), now);
        assert_eq!(
            since_of(Some(&l), "b", now + Duration::minutes(10)),
            now + Duration::minutes(10)
        );
        let late = now + Duration::hours(7) + Duration::minutes(55);
        assert_eq!(expiry(late, now, t), now + Duration::hours(8));
        assert_eq!(last_seen(&l, t), now);
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
