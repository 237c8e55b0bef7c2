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
    super::tilsyn::TilsynQuery,
);

#[derive(Default)]
pub struct PublicQuery;

/// A kommune drawn: `<svg viewBox=…><path d=omrids/></svg>`, with a point at
/// x = margin + (lon - minLon) * xPerDegree, y = margin + (maxLat - lat) * yPerDegree.
#[derive(async_graphql::SimpleObject)]
pub struct KommuneKort {
    /// The kommune's kode.
    pub kommune_kode: String,
    /// The drawing's viewBox, "0 0 width height".
    pub view_box: String,
    /// Width in SVG units.
    pub width: f64,
    /// Height in SVG units.
    pub height: f64,
    /// The outline as an SVG path (`d`).
    pub omrids: String,
    /// How a point is placed on the drawing.
    pub projektion: Projektion,
}

/// An equirectangular projection fitted to one kommune.
#[derive(async_graphql::SimpleObject)]
pub struct Projektion {
    /// The westernmost longitude of the kommune.
    pub min_lon: f64,
    /// The northernmost latitude of the kommune.
    pub max_lat: f64,
    /// SVG units per degree of longitude.
    pub x_per_degree: f64,
    /// SVG units per degree of latitude.
    pub y_per_degree: f64,
    /// Blank space around the outline, in SVG units.
    pub margin: f64,
}

/// A place a citizen knows (issue 21): a postnummer with its town and a town-level point
/// (GeoNames; within a few km of the town's centre), to search nearest first from.
#[derive(async_graphql::SimpleObject)]
pub struct Sted {
    /// The postnummer, 4 digits.
    pub postnummer: String,
    /// The town (postdistrikt).
    pub navn: String,
    /// The town's point (WGS84).
    pub punkt: super::types::Koordinat,
    /// The kommune the point lies in.
    pub kommune: Option<super::types::Kommune>,
}

#[Object]
impl PublicQuery {
    /// Places to search from: a postnummer ("2800") or a town ("Kongens Lyngby", "kgs lyngby",
    /// "Ronne"), at most 10, the best first; each with its point and kommune. Needs no login.
    #[graphql(complexity = "10 * child_complexity")]
    async fn steder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A postnummer or a town name (at most 100 characters).")] tekst: String,
    ) -> GqlResult<Vec<Sted>> {
        let st = super::state(ctx);
        if tekst.chars().count() > 100 || tekst.chars().any(char::is_control) {
            return Err(crate::error::AppError::validation(
                "tekst",
                "tekst skal være et postnummer eller et bynavn på højst 100 tegn.",
            )
            .into());
        }
        let snap = st.read_model.snapshot();
        Ok(st
            .steder
            .find(&tekst)
            .into_iter()
            .map(|s| Sted {
                postnummer: s.postnummer.clone(),
                navn: s.navn.clone(),
                punkt: super::types::Koordinat {
                    lat: s.punkt.lat,
                    lon: s.punkt.lon,
                },
                kommune: st
                    .kommuner
                    .at(s.punkt)
                    .and_then(|k| snap.kommuner.get(k).cloned())
                    .map(super::types::Kommune),
            })
            .collect())
    }

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

    /// A kommune drawn for a map without tiles (issue 21): its outline from the shipped
    /// boundaries as an SVG path, and the projection that places a point (lat, lon) on it.
    /// Null for a name or kode that is no kommune.
    async fn kommune_kort(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Kommunekode or name.")] kommune: String,
    ) -> Option<KommuneKort> {
        let st = state(ctx);
        let kode = st.kommuner.resolve(&kommune)?;
        let o = crate::domain::map::outline(st.kommuner.boundaries.of(kode)?)?;
        Some(KommuneKort {
            kommune_kode: kode.to_string(),
            view_box: format!("0 0 {:.0} {:.0}", o.width, o.height.ceil()),
            width: o.width,
            height: o.height,
            omrids: o.path,
            projektion: Projektion {
                min_lon: o.projection.min_lon,
                max_lat: o.projection.max_lat,
                x_per_degree: o.projection.x_per_degree,
                y_per_degree: o.projection.y_per_degree,
                margin: crate::domain::map::MARGIN,
            },
        })
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
