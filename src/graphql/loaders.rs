//! DataLoaders, made per request so that nothing is cached across requests. Each turns the
//! keys of one request into one SQL statement (no N+1).
use crate::store::{self, enhed::Enhed, kommune::Kommune, serviceleverance::Serviceleverance};
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::sync::Arc;

pub type LoadResult<K, V> = Result<HashMap<K, V>, Arc<DbErr>>;

pub struct EnhedLoader(pub DatabaseConnection);
pub struct KommuneLoader(pub DatabaseConnection);
pub struct SlLoader(pub DatabaseConnection);

impl Loader<String> for EnhedLoader {
    type Value = Arc<Enhed>;
    type Error = Arc<DbErr>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Self::Value> {
        let rows = store::enhed::by_ids(&self.0, keys).await?;
        Ok(rows
            .into_iter()
            .map(|e| (e.id.clone(), Arc::new(e)))
            .collect())
    }
}

impl Loader<String> for KommuneLoader {
    type Value = Arc<Kommune>;
    type Error = Arc<DbErr>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Self::Value> {
        let rows = store::kommune::by_kodes(&self.0, keys).await?;
        Ok(rows
            .into_iter()
            .map(|k| (k.kode.clone(), Arc::new(k)))
            .collect())
    }
}

impl Loader<String> for SlLoader {
    type Value = Arc<Serviceleverance>;
    type Error = Arc<DbErr>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Self::Value> {
        let rows = store::serviceleverance::by_ids(&self.0, keys).await?;
        Ok(rows
            .into_iter()
            .map(|s| (s.id.clone(), Arc::new(s)))
            .collect())
    }
}

/// A loader of one request (with its per-request cache).
pub type Loaded<T> = DataLoader<T, HashMapCache>;

/// All loaders of one request, each with a cache that lives as long as the request.
pub fn per_request(db: &DatabaseConnection, req: async_graphql::Request) -> async_graphql::Request {
    req.data(DataLoader::with_cache(
        EnhedLoader(db.clone()),
        tokio::spawn,
        HashMapCache::default(),
    ))
    .data(DataLoader::with_cache(
        KommuneLoader(db.clone()),
        tokio::spawn,
        HashMapCache::default(),
    ))
    .data(DataLoader::with_cache(
        SlLoader(db.clone()),
        tokio::spawn,
        HashMapCache::default(),
    ))
    .data(DataLoader::with_cache(
        SiblingLoader(db.clone()),
        tokio::spawn,
        HashMapCache::default(),
    ))
}

/// The live agreements between a kommune and an enhed (for R9's overlap warning).
pub struct SiblingLoader(pub DatabaseConnection);

impl Loader<(String, String)> for SiblingLoader {
    type Value = Vec<Arc<Serviceleverance>>;
    type Error = Arc<DbErr>;
    async fn load(&self, keys: &[(String, String)]) -> LoadResult<(String, String), Self::Value> {
        let rows = store::serviceleverance::siblings(&self.0, keys).await?;
        let mut out: HashMap<(String, String), Vec<Arc<Serviceleverance>>> = HashMap::new();
        for r in rows {
            if let Some(e) = r.enhed_id.clone() {
                out.entry((r.aftalepart_kode.clone(), e))
                    .or_default()
                    .push(Arc::new(r));
            }
        }
        Ok(out)
    }
}
