//! The query root, merged by area: public data, the public search, and the admin side.
use super::search::SearchQuery;
use super::types::{load_enhed, Enhed, Kommune};
use super::{db_err, state};
use crate::error::{AppError, GqlResult};
use crate::store;
use async_graphql::{Context, MergedObject, Object};
use std::sync::Arc;

/// Public data and the search need no token; the admin side needs one.
#[derive(MergedObject, Default)]
pub struct Query(
    PublicQuery,
    SearchQuery,
    super::feed::FeedQuery,
    super::mutation::AdminQuery,
    super::casework::CaseworkQuery,
);

#[derive(Default)]
pub struct PublicQuery;

#[Object]
impl PublicQuery {
    /// All 98 kommuner, sorted by kode.
    #[graphql(complexity = "98 * child_complexity")]
    async fn kommuner(&self, ctx: &Context<'_>) -> GqlResult<Vec<Kommune>> {
        let rows = store::kommune::all(&state(ctx).db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|k| Kommune(Arc::new(k))).collect())
    }

    /// One kommune by kode ("0101") or name ("København", also "Kobenhavn").
    async fn kommune(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Kommunekode or name.")] kode: String,
    ) -> GqlResult<Option<Kommune>> {
        let Some(k) = state(ctx).kommuner.resolve(&kode).map(str::to_string) else {
            return Ok(None);
        };
        let l = ctx.data_unchecked::<super::loaders::Loaded<super::loaders::KommuneLoader>>();
        Ok(l.load_one(k).await.map_err(db_err)?.map(Kommune))
    }

    /// One enhed by id, with its public data (R25).
    async fn enhed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or its own id (enhedId).")] id: String,
    ) -> GqlResult<Option<Enhed>> {
        let key = super::node::enhed_key(&id);
        if key.is_empty() || key.len() > 128 {
            return Ok(None);
        }
        Ok(load_enhed(ctx, &key).await?.map(Enhed::new))
    }

    /// Any public object by its global id (Relay).
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id.")] id: async_graphql::ID,
    ) -> GqlResult<Option<super::node::Node>> {
        let Some((kind, raw)) = super::node::decode(&id) else {
            return Ok(None);
        };
        match kind.as_str() {
            "Kommune" => {
                let l =
                    ctx.data_unchecked::<super::loaders::Loaded<super::loaders::KommuneLoader>>();
                Ok(l.load_one(raw)
                    .await
                    .map_err(db_err)?
                    .map(|k| super::node::Node::Kommune(Kommune(k))))
            }
            "Enhed" if raw.len() <= 64 => Ok(load_enhed(ctx, &raw)
                .await?
                .map(|e| super::node::Node::Enhed(Enhed::new(e)))),
            _ => Ok(None),
        }
    }
}
