//! The application's shared state, built once at start for the server, the CLI and tests.
use crate::auth::Authenticator;
use crate::config::Config;
use crate::domain::day::{SharedClock, SystemClock};
use crate::domain::geo::Boundaries;
use crate::domain::kommune::KommuneIndex;
use crate::store::{self, StatementCounter};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub clock: SharedClock,
    pub kommuner: Arc<KommuneIndex>,
    /// Postnumre and towns to search from (issue 21).
    pub steder: Arc<crate::domain::sted::StedIndex>,
    pub auth: Arc<Authenticator>,
    /// The identity provider of the console's login (`None`: the login is off).
    pub oidc: Option<Arc<crate::oidc::Client>>,
    pub statements: StatementCounter,
    /// The public side: snapshot, moment, sync and the change feed (the search reads only this).
    pub read_model: Arc<crate::readmodel::ReadModel>,
    /// Whether writes fail because of the storage (`/readyz`).
    pub writes: Arc<store::health::WriteHealth>,
}

/// The kommuner and their boundaries from the shipped reference data.
pub fn kommune_index() -> anyhow::Result<KommuneIndex> {
    let rows = store::kommune::reference_rows()?;
    let boundaries =
        Boundaries::from_geojson(store::kommune::KOMMUNER_GEOJSON).map_err(anyhow::Error::msg)?;
    Ok(KommuneIndex::new(
        rows.into_iter().map(|r| (r.kode, r.navn)),
        boundaries,
    ))
}

impl AppState {
    /// Connects, migrates, loads the reference data and the read model. It does not seed: the
    /// demo data are written by a command (`seed::if_empty`) through the use-case layer.
    pub async fn init(config: Config, clock: Option<SharedClock>) -> anyhow::Result<AppState> {
        let statements = StatementCounter::default();
        let db = store::connect(&config.database_url, &statements).await?;
        store::migrate(&db).await?;
        store::kommune::ensure_reference(&db).await?;
        let read_model = Arc::new(crate::readmodel::ReadModel::load(&db).await?);
        let oidc = match &config.oidc.issuer {
            Some(_) => Some(Arc::new(crate::oidc::Client::discover(&config).await?)),
            None => None,
        };
        let state = AppState {
            auth: Arc::new(Authenticator::from_config(&config).await?),
            oidc,
            db,
            config: Arc::new(config),
            clock: clock.unwrap_or_else(|| Arc::new(SystemClock)),
            kommuner: Arc::new(kommune_index()?),
            steder: Arc::new(crate::domain::sted::StedIndex::new(
                store::kommune::steder()?
            )),
            statements,
            read_model,
            writes: Arc::default(),
        };
        crate::store::serviceleverance::backfill_sort_keys(&state.db).await?;
        crate::store::enhed::backfill_find_keys(&state.db).await?;
        crate::store::serviceleverance::refresh_search_text(&state.db).await?;
        Ok(state)
    }
}
