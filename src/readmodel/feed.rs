//! The change feed's live side (R30): each instance reads the durable log once per new event
//! and fans the events out to its subscribers. A subscriber first reads what it missed from the
//! log, then takes the live events; the log, not memory, is what a resumed subscriber or a
//! restarted instance continues from.
use crate::store::change_log::{self, Entry, Filter};
use async_graphql::futures_util::Stream;
use sea_orm::{DatabaseConnection, DbErr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

/// How many batches of events a subscriber may fall behind before it is dropped: a subscriber
/// that does not read is never buffered without bound.
const BACKLOG_BATCHES: usize = 256;

/// Events read from the log at a time.
const PAGE: u64 = 500;

pub struct Feed {
    /// Serialises the readers of the log; holds the last sequence number fanned out.
    read: tokio::sync::Mutex<i64>,
    head: AtomicI64,
    tx: broadcast::Sender<Arc<[Arc<Entry>]>>,
    /// Set on shutdown: every stream completes.
    closing: watch::Sender<bool>,
}

/// Why a stream of events ended other than by shutdown.
#[derive(Debug)]
pub enum StreamEnd {
    /// The cursor is older than the log's retention.
    Expired,
    /// The subscriber fell too far behind.
    TooSlow,
    Db(DbErr),
}

impl Feed {
    /// Starts at the log's current end.
    pub async fn start(db: &DatabaseConnection) -> Result<Feed, DbErr> {
        let head = change_log::head(db).await?;
        Ok(Feed {
            read: tokio::sync::Mutex::new(head),
            head: AtomicI64::new(head),
            tx: broadcast::channel(BACKLOG_BATCHES).0,
            closing: watch::channel(false).0,
        })
    }

    /// The last sequence number this instance has fanned out.
    pub fn head(&self) -> i64 {
        self.head.load(Ordering::Acquire)
    }

    /// Reads the events committed since the last read and fans them out. Called after a commit
    /// here, on another instance's notice, and by the periodic check; a failure is retried by
    /// the next call.
    pub async fn poke(&self, db: &DatabaseConnection) {
        let mut last = self.read.lock().await;
        loop {
            match change_log::after(db, *last, None, &Filter::default(), PAGE).await {
                Ok(rows) if rows.is_empty() => break,
                Ok(rows) => {
                    let n = rows.len();
                    *last = rows.last().map_or(*last, |r| r.seq);
                    let batch: Arc<[Arc<Entry>]> = rows.into_iter().map(Arc::new).collect();
                    // No subscribers is fine.
                    let _ = self.tx.send(batch);
                    self.head.store(*last, Ordering::Release);
                    if (n as u64) < PAGE {
                        break;
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "ændringsloggen kunne ikke læses");
                    break;
                }
            }
        }
    }

    /// Set when the feed closes (shutdown): the transports close their connections.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Completes every stream (shutdown).
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }

    /// The events after `after` that pass the filter: first those in the log, then live ones,
    /// until shutdown (`None` ends the stream) or an error.
    pub fn events(
        self: &Arc<Self>,
        db: DatabaseConnection,
        after: i64,
        filter: Filter,
    ) -> impl Stream<Item = Result<Arc<Entry>, StreamEnd>> + Send + 'static {
        let feed = self.clone();
        async_stream::stream! {
            // Subscribe before reading the log, under the readers' lock: every event after `h`
            // then arrives live, every one up to it is in the log.
            let (mut rx, h) = {
                let last = feed.read.lock().await;
                (feed.tx.subscribe(), *last)
            };
            let mut closing = feed.closing.subscribe();
            // The queries' futures are boxed: the stream's state is as large as its largest
            // future, and it lives as long as the subscription.
            match Box::pin(change_log::horizon(&db)).await {
                Ok(horizon) if after < horizon => {
                    yield Err(StreamEnd::Expired);
                    return;
                }
                Ok(_) => {}
                Err(e) => {
                    yield Err(StreamEnd::Db(e));
                    return;
                }
            }
            let mut last = after;
            while last < h {
                let rows = match Box::pin(change_log::after(&db, last, Some(h), &filter, PAGE)).await {
                    Ok(r) => r,
                    Err(e) => {
                        yield Err(StreamEnd::Db(e));
                        return;
                    }
                };
                let Some(end) = rows.last().map(|r| r.seq) else { break };
                for r in rows {
                    yield Ok(Arc::new(r));
                }
                last = end;
            }
            last = last.max(h);
            loop {
                if *closing.borrow() {
                    return;
                }
                tokio::select! {
                    r = rx.recv() => match r {
                        Ok(batch) => {
                            for e in batch.iter() {
                                if e.seq > last {
                                    last = e.seq;
                                    if filter.admits(e) {
                                        yield Ok(e.clone());
                                    }
                                }
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            yield Err(StreamEnd::TooSlow);
                            return;
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    _ = closing.changed() => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::feed::{ChangeKind, Standing};
    use async_graphql::futures_util::StreamExt;
    use std::time::Duration;

    /// R30: a subscriber that stops reading is not buffered without bound: once it is more than
    /// the backlog behind, its stream ends with TooSlow (it resubscribes with its last cursor);
    /// one that reads gets every event.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_subscriber_that_does_not_read_is_dropped() {
        let dir = std::env::temp_dir().join(format!("po-feed-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.join("f.db").display());
        let db = crate::store::connect(&url, &Default::default())
            .await
            .expect("db");
        crate::store::migrate(&db).await.expect("migrate");
        let feed = Arc::new(Feed::start(&db).await.expect("feed"));
        let mut slow = Box::pin(feed.events(db.clone(), 0, Filter::default()));
        let mut reader = Box::pin(feed.events(db.clone(), 0, Filter::default()));
        // Both subscribe at their first poll (nothing to read yet).
        for s in [&mut slow, &mut reader] {
            let first = tokio::time::timeout(Duration::from_millis(100), s.next()).await;
            assert!(first.is_err(), "no event yet");
        }
        let standing = Standing {
            kommune: "0751".into(),
            enhed_id: None,
            enhed_kind: None,
        };
        let day = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).expect("day");
        let mut read = 0;
        for i in 0..BACKLOG_BATCHES + 10 {
            let id = format!("sl-{i}");
            let e = change_log::NewEntry {
                kind: ChangeKind::Added,
                standing: &standing,
                serviceleverance_id: &id,
                day,
            };
            change_log::append(&db, &[e], chrono::Utc::now())
                .await
                .expect("append");
            feed.poke(&db).await;
            let got = tokio::time::timeout(Duration::from_secs(2), reader.next())
                .await
                .expect("the reader's event");
            assert!(matches!(got, Some(Ok(_))));
            read += 1;
        }
        assert_eq!(read, BACKLOG_BATCHES + 10);
        let end = tokio::time::timeout(Duration::from_secs(2), slow.next())
            .await
            .expect("an answer");
        assert!(matches!(end, Some(Err(StreamEnd::TooSlow))), "dropped");
        assert!(slow.next().await.is_none(), "and ended");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
