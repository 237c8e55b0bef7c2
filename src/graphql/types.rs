//! Output types. Public types (Kommune, Enhed, OffentligServiceleverance) expose only public
//! data (R25); the admin types (Serviceleverance, Laas, ...) are reachable only through
//! queries scoped by the access policy.
//!
//! The types a search page is made of resolve their fields one after the other (`serial`):
//! their fields are read from memory and ready at once, and async-graphql's concurrent
//! resolution (a task set with an allocation and a waker per field) cost more than the fields
//! themselves, thirty hits at a time. The items of a list still resolve concurrently, so
//! DataLoaders still batch across them.
use super::direct::{self, Below, Direct};
use super::enums::{Boligtype, EnhedKind, Severity, SlType};
use super::loaders::{EnhedLoader, KommuneLoader};
use super::scalars::Date;
use super::{db_err, state};
use crate::domain::day::copenhagen_day;
use crate::domain::serviceleverance as rules;
use crate::error::{AppError, GqlResult};
use crate::store::{enhed::Enhed as EnhedRow, kommune::Kommune as KommuneRow};
use async_graphql::{ComplexObject, Context, Object, SimpleObject, Value};
use std::sync::Arc;

/// A WGS84 point.
#[derive(SimpleObject, Clone, Copy)]
#[graphql(serial)]
pub struct Koordinat {
    /// Breddegrad (latitude), WGS84.
    pub lat: f64,
    /// Længdegrad (longitude), WGS84.
    pub lon: f64,
}

/// Number of public offers (enheder with an active, public serviceleverance) of a kommune on a day.
#[derive(SimpleObject, Clone, Copy)]
#[graphql(serial)]
pub struct Tilbud {
    /// Plejeenheder (plejeboliger) offered.
    pub plejeenheder: i64,
    /// Helhedsplejeenheder offered.
    pub helhedsplejeenheder: i64,
}

/// One of Denmark's 98 kommuner.
#[derive(Clone)]
pub struct Kommune(pub Arc<KommuneRow>);

/// One of Denmark's 98 kommuner.
#[Object(serial)]
impl Kommune {
    /// Global id (Relay).
    pub async fn id(&self) -> async_graphql::ID {
        self.id_value()
    }
    /// The 4-digit kommunekode, e.g. "0101".
    async fn kode(&self) -> &str {
        &self.0.kode
    }
    /// The kommune's name, e.g. "København".
    async fn navn(&self) -> &str {
        &self.0.navn
    }
    /// The kommune's official name, as Danish writes it: "Københavns Kommune", "Bornholms
    /// Regionskommune", "Aarhus Kommune".
    async fn officielt_navn(&self) -> String {
        crate::domain::kommune::official_name(&self.0.navn)
    }
    /// The region, e.g. "Region Hovedstaden".
    async fn region(&self) -> &str {
        &self.0.region
    }
    /// The 4-digit regionskode, e.g. "1084".
    async fn regionskode(&self) -> &str {
        &self.0.regionskode
    }
    /// The kommune's CVR number.
    async fn cvr(&self) -> &str {
        &self.0.cvr
    }
    /// The kommune's visual centre.
    async fn centroid(&self) -> Koordinat {
        self.centroid_value()
    }
    /// Public offers of this kommune on a day (default: today in Europe/Copenhagen).
    async fn tilbud(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day; default today in Europe/Copenhagen.")] dato: Option<Date>,
    ) -> GqlResult<Tilbud> {
        let st = state(ctx);
        let day = dato.map_or_else(|| copenhagen_day(st.clock.now()), |d| d.0);
        // From the read model's day counts, as the search counts (R6, R20-R22).
        let snap = st.read_model.snapshot();
        let count = |kind| {
            let filters = crate::readmodel::Filters {
                kinds: vec![kind],
                ..Default::default()
            };
            snap.count(&self.0.kode, &filters, day, None, false)
                .map_or(0, |n| i64::try_from(n).unwrap_or(i64::MAX))
        };
        let (p, h) = (
            count(rules::EnhedKind::Plejeenhed),
            count(rules::EnhedKind::Helhedsplejeenhed),
        );
        Ok(Tilbud {
            plejeenheder: p,
            helhedsplejeenheder: h,
        })
    }
}

impl Kommune {
    fn id_value(&self) -> async_graphql::ID {
        super::node::global_id("Kommune", &self.0.kode)
    }
    fn centroid_value(&self) -> Koordinat {
        Koordinat {
            lat: self.0.lat,
            lon: self.0.lon,
        }
    }
}

impl Direct for Kommune {
    fn field(&self, name: &str, below: &Below<'_>) -> Option<Value> {
        let k = &self.0;
        Some(match name {
            "id" => direct::scalar(&self.id_value()),
            "kode" => direct::text(&k.kode),
            "navn" => direct::text(&k.navn),
            "officieltNavn" => direct::text(&crate::domain::kommune::official_name(&k.navn)),
            "region" => direct::text(&k.region),
            "regionskode" => direct::text(&k.regionskode),
            "cvr" => direct::text(&k.cvr),
            "centroid" => below.object(&self.centroid_value())?,
            // `tilbud` counts through a loader.
            _ => return None,
        })
    }
}

impl Direct for Koordinat {
    fn field(&self, name: &str, _: &Below<'_>) -> Option<Value> {
        Some(match name {
            "lat" => direct::scalar(&self.lat),
            "lon" => direct::scalar(&self.lon),
            _ => return None,
        })
    }
}

/// A postal address.
///
/// A view of the enhed's row (as `Kontakt`): a page's addresses are read, not copied.
#[derive(Clone)]
pub struct Adresse(Arc<EnhedRow>);

/// A postal address.
#[Object(serial)]
impl Adresse {
    /// Street and number.
    async fn vejnavn(&self) -> Option<&str> {
        self.0.vejnavn.as_deref()
    }
    /// 4-digit postal code.
    async fn postnummer(&self) -> Option<&str> {
        self.0.postnummer.as_deref()
    }
    /// Postal district.
    async fn by(&self) -> Option<&str> {
        self.0.by.as_deref()
    }
}

/// The value of an optional text field.
fn optional_text(t: &Option<String>) -> Value {
    direct::nullable(t.as_deref(), direct::text)
}

impl Direct for Adresse {
    fn field(&self, name: &str, _: &Below<'_>) -> Option<Value> {
        let e = &self.0;
        Some(match name {
            "vejnavn" => optional_text(&e.vejnavn),
            "postnummer" => optional_text(&e.postnummer),
            "by" => optional_text(&e.by),
            _ => return None,
        })
    }
}

/// Contact data: a view of the enhed's row.
#[derive(Clone)]
pub struct Kontakt(Arc<EnhedRow>);

/// Contact data.
#[Object(serial)]
impl Kontakt {
    /// Phone number.
    async fn telefon(&self) -> Option<&str> {
        self.0.telefon.as_deref()
    }
    /// E-mail address.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Web site.
    async fn web(&self) -> Option<&str> {
        self.0.web.as_deref()
    }
}

impl Direct for Kontakt {
    fn field(&self, name: &str, _: &Below<'_>) -> Option<Value> {
        let e = &self.0;
        Some(match name {
            "telefon" => optional_text(&e.telefon),
            "email" => optional_text(&e.email),
            "web" => optional_text(&e.web),
            _ => return None,
        })
    }
}

/// A care unit: a plejeenhed or a helhedsplejeenhed, with its public data (R17).
///
/// The second field is the enhed's kommune when the caller already holds it (the search, from
/// the read model's snapshot): `kommune` then answers without the request's loader, whose
/// locking, hashing and allocations per call were a tenth of a cold search page.
#[derive(Clone)]
pub struct Enhed(
    pub Arc<EnhedRow>,
    pub Option<Arc<KommuneRow>>,
    pub Option<HitDay>,
);

/// What a search hit knows of its enhed beyond the row: the search's day and the enhed's
/// tilsyn from the same snapshot, so that `tilsyn` is written directly too.
#[derive(Clone)]
pub struct HitDay {
    pub day: chrono::NaiveDate,
    pub tilsyn: Option<Arc<crate::readmodel::TilsynInfo>>,
    /// The serial of the snapshot the row, its kommune and tilsyn come from.
    pub snapshot: u64,
}

impl Enhed {
    /// An enhed whose kommune is looked up when asked for.
    pub fn new(row: Arc<EnhedRow>) -> Enhed {
        Enhed(row, None, None)
    }

    fn id_value(&self) -> async_graphql::ID {
        super::node::global_id("Enhed", &self.0.id)
    }
    fn kind_value(&self) -> Option<EnhedKind> {
        rules::EnhedKind::parse(&self.0.kind).map(EnhedKind::from)
    }
    fn adresse_value(&self) -> Adresse {
        Adresse(self.0.clone())
    }
    fn placering_value(&self) -> Option<Koordinat> {
        Some(Koordinat {
            lat: self.0.lat?,
            lon: self.0.lon?,
        })
    }
    /// The enhed's kommune when it needs no lookup: none, or the one the caller holds.
    fn known_kommune(&self) -> Option<Option<Kommune>> {
        match &self.0.kommune_kode {
            None => Some(None),
            Some(k) => self
                .1
                .as_ref()
                .filter(|known| known.kode == *k)
                .map(|known| Some(Kommune(known.clone()))),
        }
    }
    fn boligtype_value(&self) -> Option<Boligtype> {
        self.0
            .boligtype
            .as_deref()
            .and_then(rules::Boligtype::parse)
            .map(Boligtype::from)
    }
    fn kontakt_value(&self) -> Kontakt {
        Kontakt(self.0.clone())
    }
}

impl Direct for Enhed {
    fn field(&self, name: &str, below: &Below<'_>) -> Option<Value> {
        let (e, text) = (&self.0, optional_text);
        Some(match name {
            "id" => direct::scalar(&self.id_value()),
            "enhedId" => direct::text(&e.id),
            "revision" => direct::scalar(&e.revision),
            "kind" => direct::enumeration(self.kind_value()?),
            "navn" => direct::text(&e.navn),
            "ejerCvr" => direct::text(&e.ejer_cvr),
            "sorKode" => text(&e.sor_kode),
            "adresse" => below.object(&self.adresse_value())?,
            "placering" => below.optional(self.placering_value().as_ref())?,
            "kommune" => below.optional(self.known_kommune()?.as_ref())?,
            "boligtype" => direct::nullable(self.boligtype_value(), direct::enumeration),
            "antalBoliger" => direct::nullable(e.antal_boliger, |n| direct::scalar(&n)),
            "beskrivelse" => text(&e.beskrivelse),
            "kontakt" => below.object(&self.kontakt_value())?,
            "demo" => direct::scalar(&e.demo),
            "profil" => below.object(&EnhedProfil(e.clone()))?,
            // A search hit's tilsyn on the search's day (others ask the snapshot).
            "tilsyn" => {
                let hit = self.2.as_ref()?;
                below.object(&super::tilsyn::OffentligtTilsyn::of(
                    hit.tilsyn.clone(),
                    hit.day,
                ))?
            }
            // `laas` depends on the viewer, `tilbydesAf` counts through a loader.
            _ => return None,
        })
    }

    /// A search hit's enhed: its row, kommune and tilsyn are the snapshot's, on the hit's day.
    fn identity(&self) -> Option<direct::Identity> {
        use chrono::Datelike;
        let hit = self.2.as_ref().filter(|h| h.snapshot != 0)?;
        Some(direct::Identity {
            snapshot: hit.snapshot,
            row: Arc::as_ptr(&self.0) as usize,
            day: hit.day.num_days_from_ce(),
        })
    }
}

/// A care unit (plejeenhed or helhedsplejeenhed) with its public data (R17, R25).
#[Object(serial)]
impl Enhed {
    /// Global id (Relay). Inputs that take an enhed accept it as well as `enhedId`.
    pub async fn id(&self) -> async_graphql::ID {
        self.id_value()
    }
    /// The enhed's own id (the national register's id for plejecentre).
    async fn enhed_id(&self) -> &str {
        &self.0.id
    }
    /// Incremented by every committed change (`expectedRevision` of updateEnhed).
    async fn revision(&self) -> i64 {
        self.0.revision
    }
    /// PLEJEENHED or HELHEDSPLEJEENHED.
    async fn kind(&self) -> GqlResult<EnhedKind> {
        self.kind_value()
            .ok_or_else(|| AppError::Internal(format!("ukendt kind {}", self.0.kind)).into())
    }
    /// The enhed's name.
    async fn navn(&self) -> &str {
        &self.0.navn
    }
    /// CVR number of the organisation that runs the enhed (ejer).
    async fn ejer_cvr(&self) -> &str {
        &self.0.ejer_cvr
    }
    /// SOR code, when known.
    async fn sor_kode(&self) -> Option<&str> {
        self.0.sor_kode.as_deref()
    }
    /// The address.
    async fn adresse(&self) -> Adresse {
        self.adresse_value()
    }
    /// The location (WGS84), when known.
    async fn placering(&self) -> Option<Koordinat> {
        self.placering_value()
    }
    /// The kommune the enhed lies in (derived from its location, R17).
    async fn kommune(&self, ctx: &Context<'_>) -> GqlResult<Option<Kommune>> {
        if let Some(known) = self.known_kommune() {
            return Ok(known);
        }
        let Some(k) = self.0.kommune_kode.clone() else {
            return Ok(None);
        };
        let l = ctx.data_unchecked::<super::loaders::Loaded<KommuneLoader>>();
        Ok(l.load_one(k).await.map_err(db_err)?.map(Kommune))
    }
    /// For plejeenheder: PLEJEBOLIG, FRIPLEJEBOLIG or LOKALPLEJEHJEM.
    async fn boligtype(&self) -> Option<Boligtype> {
        self.boligtype_value()
    }
    /// For plejeenheder: the number of boliger.
    async fn antal_boliger(&self) -> Option<i32> {
        self.0.antal_boliger
    }
    /// The general description of the enhed's services.
    async fn beskrivelse(&self) -> Option<&str> {
        self.0.beskrivelse.as_deref()
    }
    /// Contact data.
    async fn kontakt(&self) -> Kontakt {
        self.kontakt_value()
    }
    /// R32: the latest tilsyn and the påbud/forbud in force on a day (default today).
    async fn tilsyn(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day; default today in Europe/Copenhagen.")] dato: Option<Date>,
    ) -> super::tilsyn::OffentligtTilsyn {
        super::tilsyn::public_of(ctx, &self.0.id, dato)
    }
    /// R31: what the owner's redaktør tells citizens beyond the register (public at once).
    async fn profil(&self) -> EnhedProfil {
        EnhedProfil(self.0.clone())
    }
    /// The lock in force (R14, R19), shown only to those who may edit the enhed (its owner's
    /// redaktør, administrators); null for everyone else, the public included (R25).
    async fn laas(&self, ctx: &Context<'_>) -> Option<super::admin_types::Laas> {
        let st = state(ctx);
        let now = st.clock.now();
        crate::service::enhed::visible_lock(super::viewer(ctx), &self.0, now)
            .map(|l| super::admin_types::Laas::of(l, st.config.lock_terms(), now))
    }
    /// True for the fictional demo units shipped with the service.
    async fn demo(&self) -> bool {
        self.0.demo
    }
    /// The kommuner that offer this enhed on a day (default today): those with an active,
    /// public serviceleverance with it.
    async fn tilbydes_af(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day; default today in Europe/Copenhagen.")] dato: Option<Date>,
    ) -> GqlResult<Vec<Kommune>> {
        let st = state(ctx);
        let day = dato.map_or_else(|| copenhagen_day(st.clock.now()), |d| d.0);
        // From the read model, as the search decides what is public (R6, R20, R25).
        let koder = st.read_model.snapshot().offered_by(&self.0.id, day);
        let l = ctx.data_unchecked::<super::loaders::Loaded<KommuneLoader>>();
        let mut map = l.load_many(koder.iter().cloned()).await.map_err(db_err)?;
        Ok(koder
            .iter()
            .filter_map(|k| map.remove(k))
            .map(Kommune)
            .collect())
    }
}

/// Loads an enhed by id through the request's loader.
pub async fn load_enhed(ctx: &Context<'_>, id: &str) -> GqlResult<Option<Arc<EnhedRow>>> {
    Ok(ctx
        .data_unchecked::<super::loaders::Loaded<EnhedLoader>>()
        .load_one(id.to_string())
        .await
        .map_err(db_err)?)
}

/// The public part of a serviceleverance (R22): what a citizen sees of the agreement.
#[derive(SimpleObject, Clone)]
#[graphql(serial, complex)]
pub struct OffentligServiceleverance {
    /// The type of agreement.
    #[graphql(name = "type")]
    pub sl_type: Option<SlType>,
    /// The provider's description of the services agreed with this kommune (private
    /// helhedspleje only, R4).
    pub beskrivelse: Option<String>,
    /// First day in force.
    pub startdato: Option<Date>,
    /// Last day in force; empty when open-ended.
    pub slutdato: Option<Date>,
    #[graphql(skip)]
    pub aftalepart_kode: String,
    /// The aftalepart when the caller already holds it (as `Enhed`'s second field).
    #[graphql(skip)]
    pub aftalepart: Option<Arc<KommuneRow>>,
}

#[ComplexObject]
impl OffentligServiceleverance {
    /// The type's name in Danish words, e.g. "Driftsoverenskomst".
    async fn type_navn(&self) -> Option<&'static str> {
        self.sl_type
            .map(|t| crate::domain::serviceleverance::SlType::from(t).in_words())
    }

    /// What the type means to a citizen, e.g. "Privat leverandør med aftale med kommunen".
    async fn type_forklaring(&self) -> Option<&'static str> {
        self.sl_type
            .map(|t| crate::domain::serviceleverance::SlType::from(t).for_citizens())
    }

    /// The kommune that is the party of the agreement.
    async fn aftalepart(&self, ctx: &Context<'_>) -> GqlResult<Option<Kommune>> {
        if let Some(known) = self.known_aftalepart() {
            return Ok(Some(known));
        }
        let l = ctx.data_unchecked::<super::loaders::Loaded<KommuneLoader>>();
        Ok(l.load_one(self.aftalepart_kode.clone())
            .await
            .map_err(db_err)?
            .map(Kommune))
    }
}

impl OffentligServiceleverance {
    /// The aftalepart when the caller holds it.
    fn known_aftalepart(&self) -> Option<Kommune> {
        self.aftalepart.clone().map(Kommune)
    }
}

impl Direct for OffentligServiceleverance {
    fn field(&self, name: &str, below: &Below<'_>) -> Option<Value> {
        let date = |d: &Option<Date>| direct::nullable(d.as_ref(), direct::scalar);
        Some(match name {
            "type" => direct::nullable(self.sl_type, direct::enumeration),
            "typeNavn" => direct::nullable(
                self.sl_type
                    .map(|t| crate::domain::serviceleverance::SlType::from(t).in_words()),
                direct::text,
            ),
            "typeForklaring" => direct::nullable(
                self.sl_type
                    .map(|t| crate::domain::serviceleverance::SlType::from(t).for_citizens()),
                direct::text,
            ),
            "beskrivelse" => direct::nullable(self.beskrivelse.as_deref(), direct::text),
            "startdato" => date(&self.startdato),
            "slutdato" => date(&self.slutdato),
            "aftalepart" => below.object(&self.known_aftalepart()?)?,
            _ => return None,
        })
    }
}

/// A validation issue of a serviceleverance (R10).
#[derive(SimpleObject, Clone)]
#[graphql(serial)]
pub struct Issue {
    /// The field concerned, as the API spells it.
    pub field: Option<String>,
    /// ERROR keeps the agreement out of the public search; WARNING is shown but worth a look.
    pub severity: Severity,
    /// Stable machine-readable code, e.g. MANGLER_STARTDATO.
    pub code: String,
    /// Danish explanation.
    pub message: String,
}

impl From<crate::domain::serviceleverance::Issue> for Issue {
    fn from(i: crate::domain::serviceleverance::Issue) -> Self {
        Issue {
            field: i.field.map(str::to_string),
            severity: i.severity.into(),
            code: i.code.to_string(),
            message: i.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::connection::SearchHit;
    use crate::graphql::direct::not_direct;
    use crate::graphql::search::HitFields;

    fn kommune() -> Arc<KommuneRow> {
        Arc::new(KommuneRow {
            kode: "0751".into(),
            navn: "Aarhus".into(),
            navn_soeg: "aarhus".into(),
            region: "Region Midtjylland".into(),
            regionskode: "1082".into(),
            cvr: "55133018".into(),
            lat: 56.15,
            lon: 10.1,
            boundary: None,
        })
    }

    fn enhed() -> Enhed {
        let row = EnhedRow {
            kind: "PLEJEENHED".into(),
            navn: "Åbrinken".into(),
            kommune_kode: Some("0751".into()),
            lat: Some(56.15),
            lon: Some(10.21),
            ..crate::store::enhed::blank("e1".into(), chrono::Utc::now())
        };
        Enhed(Arc::new(row), Some(kommune()), None)
    }

    /// Issue 10: every field of a search hit's types is written directly, except those that need
    /// the request; a field added to a type without its `Direct` arm fails here.
    #[test]
    fn a_hit_is_written_directly_but_for_the_fields_that_need_the_request() {
        let e = enhed();
        assert_eq!(not_direct(&e), vec!["tilsyn", "laas", "tilbydesAf"]);
        let hit = Enhed(
            e.0.clone(),
            e.1.clone(),
            Some(HitDay {
                day: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("day"),
                tilsyn: None,
                snapshot: 0,
            }),
        );
        assert_eq!(not_direct(&hit), vec!["laas", "tilbydesAf"]);
        assert!(not_direct(&EnhedProfil(e.0.clone())).is_empty());
        let t = crate::graphql::tilsyn::OffentligtTilsyn::default();
        assert!(not_direct(&t).is_empty());
        assert_eq!(not_direct(&Kommune(kommune())), vec!["tilbud"]);
        assert!(not_direct(&e.adresse_value()).is_empty());
        assert!(not_direct(&e.kontakt_value()).is_empty());
        assert!(not_direct(&Koordinat { lat: 1.0, lon: 2.0 }).is_empty());
        let public = OffentligServiceleverance {
            sl_type: Some(SlType::Driftsoverenskomst),
            beskrivelse: None,
            startdato: None,
            slutdato: None,
            aftalepart_kode: "0751".into(),
            aftalepart: Some(kommune()),
        };
        let hit = SearchHit::new(
            "c".into(),
            e,
            HitFields {
                distance_km: Some(1.5),
                serviceleverance: public,
            },
        );
        assert!(not_direct(&hit).is_empty());
        assert!(not_direct(&hit.serviceleverance).is_empty());
    }
}

/// R31: an enhed's profile. Unknown fields are null; the fields of the other kind are always
/// null (a plejeenhed has no ydelser, a helhedsplejeenhed no husleje).
pub struct EnhedProfil(Arc<EnhedRow>);

/// A photo of an enhed (R31), re-encoded without metadata and served under its content hash.
#[derive(SimpleObject, Clone)]
#[graphql(serial)]
pub struct Foto {
    /// The photo's address on this service (long-lived: it changes with the content).
    pub url: String,
    /// The alternative text (required).
    pub alt: String,
    /// Width in pixels.
    pub bredde: i32,
    /// Height in pixels.
    pub hoejde: i32,
}

impl Foto {
    pub fn of(enhed_id: &str, f: &crate::domain::profil::Foto) -> Foto {
        Foto {
            url: crate::domain::profil::foto_path(enhed_id, &f.hash),
            alt: f.alt.clone(),
            bredde: i32::try_from(f.bredde).unwrap_or(i32::MAX),
            hoejde: i32::try_from(f.hoejde).unwrap_or(i32::MAX),
        }
    }
}

impl Direct for EnhedProfil {
    fn field(&self, name: &str, below: &Below<'_>) -> Option<Value> {
        let p = &self.0.profil;
        let int = |v: Option<i32>| direct::nullable(v, |n| direct::scalar(&n));
        let flag = |v: Option<bool>| direct::nullable(v, |b| direct::scalar(&b));
        Some(match name {
            "huslejeFra" => int(p.husleje_fra),
            "huslejeTil" => int(p.husleje_til),
            "huslejeTekst" => direct::nullable(crate::domain::profil::husleje_in_words(p), |t| {
                Value::String(t)
            }),
            "indskud" => int(p.indskud),
            "parboliger" => int(p.parboliger),
            "demens" => direct::nullable(p.demens, |d| {
                direct::enumeration(super::enums::Demens::from(d))
            }),
            "madPaaStedet" => flag(p.mad_paa_stedet),
            "dyr" => direct::nullable(p.dyr, |d| direct::enumeration(super::enums::Dyr::from(d))),
            "traening" => flag(p.traening),
            "faciliteter" => direct::nullable(p.faciliteter.as_ref(), |l| {
                Value::List(
                    l.iter()
                        .map(|f| direct::enumeration(super::enums::Facilitet::from(*f)))
                        .collect(),
                )
            }),
            "ydelser" => direct::nullable(p.ydelser.as_ref(), |l| {
                Value::List(
                    l.iter()
                        .map(|f| direct::enumeration(super::enums::Ydelse::from(*f)))
                        .collect(),
                )
            }),
            "kanLevereFra" => direct::nullable(p.kan_levere_fra, |d| direct::scalar(&Date(d))),
            "omraader" => direct::nullable(p.omraader.as_ref(), |l| {
                Value::List(l.iter().map(|a| direct::text(a)).collect())
            }),
            "fotos" => {
                let fotos: Vec<Foto> = p.fotos.iter().map(|f| Foto::of(&self.0.id, f)).collect();
                below.list(&fotos)?
            }
            _ => return None,
        })
    }
}

impl Direct for Foto {
    fn field(&self, name: &str, _below: &Below<'_>) -> Option<Value> {
        Some(match name {
            "url" => direct::text(&self.url),
            "alt" => direct::text(&self.alt),
            "bredde" => direct::scalar(&self.bredde),
            "hoejde" => direct::scalar(&self.hoejde),
            _ => return None,
        })
    }
}

/// R31: an enhed's profile, what citizens compare on. Unknown fields are null; the other
/// kind's fields are always null.
#[Object(serial)]
impl EnhedProfil {
    /// Plejeenheder: the lowest (or only) husleje, kr. a month.
    async fn husleje_fra(&self) -> Option<i32> {
        self.0.profil.husleje_fra
    }
    /// Plejeenheder: the highest husleje of a range, kr. a month.
    async fn husleje_til(&self) -> Option<i32> {
        self.0.profil.husleje_til
    }
    /// The husleje in words ("8.500-9.200 kr. om måneden").
    async fn husleje_tekst(&self) -> Option<String> {
        crate::domain::profil::husleje_in_words(&self.0.profil)
    }
    /// Plejeenheder: the indskud (deposit), kr.
    async fn indskud(&self) -> Option<i32> {
        self.0.profil.indskud
    }
    /// Plejeenheder: boliger suited for couples.
    async fn parboliger(&self) -> Option<i32> {
        self.0.profil.parboliger
    }
    /// Plejeenheder: dementia.
    async fn demens(&self) -> Option<super::enums::Demens> {
        self.0.profil.demens.map(Into::into)
    }
    /// Plejeenheder: is the food made on site?
    async fn mad_paa_stedet(&self) -> Option<bool> {
        self.0.profil.mad_paa_stedet
    }
    /// Plejeenheder: animals.
    async fn dyr(&self) -> Option<super::enums::Dyr> {
        self.0.profil.dyr.map(Into::into)
    }
    /// Plejeenheder: are there training facilities?
    async fn traening(&self) -> Option<bool> {
        self.0.profil.traening
    }
    /// Plejeenheder: the facilities (null: not stated).
    async fn faciliteter(&self) -> Option<Vec<super::enums::Facilitet>> {
        self.0
            .profil
            .faciliteter
            .as_ref()
            .map(|l| l.iter().map(|f| (*f).into()).collect())
    }
    /// Helhedsplejeenheder: the services delivered (null: not stated).
    async fn ydelser(&self) -> Option<Vec<super::enums::Ydelse>> {
        self.0
            .profil
            .ydelser
            .as_ref()
            .map(|l| l.iter().map(|f| (*f).into()).collect())
    }
    /// Helhedsplejeenheder: the first day it can deliver.
    async fn kan_levere_fra(&self) -> Option<Date> {
        self.0.profil.kan_levere_fra.map(Date)
    }
    /// Helhedsplejeenheder: the areas it covers.
    async fn omraader(&self) -> Option<&[String]> {
        self.0.profil.omraader.as_deref()
    }
    /// Up to four photos, in the order the redaktør gave them.
    async fn fotos(&self) -> Vec<Foto> {
        self.0
            .profil
            .fotos
            .iter()
            .map(|f| Foto::of(&self.0.id, f))
            .collect()
    }
}
