//! Whether writes are failing because of the database's storage (a full or failing disk), for
//! `/readyz` (issue 18, N4). A failed begin or commit of a unit of work marks it, a committed
//! one clears it, and while it is marked `/readyz` tries a committed write of its own (at most
//! once a second), so readiness comes back when the space does, also when nobody writes.
use crate::error::{outage, Outage};
use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct WriteHealth {
    fault: Mutex<Option<Fault>>,
}

#[derive(Clone, Copy)]
pub struct Fault {
    pub outage: Outage,
    /// When writes started failing.
    pub since: DateTime<Utc>,
    probed: Option<Instant>,
}

/// How often `/readyz` may try a write while writes fail.
const PROBE_EVERY: Duration = Duration::from_secs(1);

impl WriteHealth {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Fault>> {
        self.fault.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A write failed: marks the fault when the storage is the cause.
    pub fn failed(&self, e: &DbErr, now: DateTime<Utc>) {
        if let Some(o) = outage(e) {
            self.mark(o, now);
        }
    }

    /// A request failed for this outage (marked when it is the storage's).
    pub fn mark(&self, o: Outage, now: DateTime<Utc>) {
        if o.of_writes().is_none() {
            return;
        }
        let mut f = self.lock();
        match f.as_mut() {
            Some(f) => f.outage = o,
            None => {
                *f = Some(Fault {
                    outage: o,
                    since: now,
                    probed: None,
                })
            }
        }
    }

    /// A write committed: writes work.
    pub fn succeeded(&self) {
        let mut f = self.lock();
        if f.is_some() {
            tracing::info!("skrivninger til databasen virker igen");
            *f = None;
        }
    }

    pub fn fault(&self) -> Option<Fault> {
        *self.lock()
    }

    /// Whether `/readyz` should try a write now (marked, and not tried within a second).
    pub fn probe_due(&self) -> bool {
        let mut f = self.lock();
        match f.as_mut() {
            Some(f) if f.probed.is_none_or(|t| t.elapsed() >= PROBE_EVERY) => {
                f.probed = Some(Instant::now());
                true
            }
            _ => false,
        }
    }
}
