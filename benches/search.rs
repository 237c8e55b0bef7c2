//! Latency of the public search (R20-R24) through the real HTTP stack, at Danish scale and at
//! 10x and 100x that, on SQLite and (when configured) PostgreSQL.
//!
//! Run with `cargo bench --bench search`. Environment:
//!
//! - `PLEJEOVERBLIK_BENCH_POSTGRES_URL`: also run on PostgreSQL; a fresh database
//!   `plejeoverblik_bench_<random>` is created on that server per scale and dropped afterwards.
//! - `PLEJEOVERBLIK_BENCH_SCALES`: comma-separated scales, default `1,10,100`.
//! - `PLEJEOVERBLIK_BENCH_REQUESTS`: measured requests per query, default 200.
//!
//! Scale 1 is about Denmark today: the 98 kommuner of the reference data, ~1,000
//! plejeenheder, ~500 helhedsplejeenheder and ~3,000 serviceleverancer. The data is generated
//! here (deterministically) and bulk-inserted through the sea-orm entities; the requests go
//! through `plejeoverblik::http::router` served by axum on 127.0.0.1 and a plain reqwest client.
use anyhow::Context as _;
use chrono::{DateTime, Duration as Days, Utc};
use plejeoverblik::config::Config;
use plejeoverblik::domain::day::{copenhagen_day, FixedClock};
use plejeoverblik::domain::geo::LatLon;
use plejeoverblik::domain::serviceleverance::{errors, EnhedFacts, EnhedKind, Fields, SlType};
use plejeoverblik::domain::text::fold;
use plejeoverblik::store::entity::{
    enhed, foto, sanktion, serviceleverance, serviceleverance_version, tilsyn,
};
use plejeoverblik::store::kommune::{reference_rows, KOMMUNER_GEOJSON};
use plejeoverblik::store::serviceleverance::search_text;
use plejeoverblik::AppState;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows per INSERT: 25 columns x 500 rows stays far below SQLite's 32766 and PostgreSQL's
/// 65535 bind parameters.
const CHUNK: usize = 500;
/// The kommune searched: Aarhus, the second largest.
const KOMMUNE: &str = "0751";
/// No single query is measured for longer than this (at least `MIN_REQUESTS` are sent).
const TIME_BUDGET: Duration = Duration::from_secs(10);
const MIN_REQUESTS: usize = 30;
const WARMUP: usize = 10;

const Q_BASELINE: &str = "{ __typename }";
const Q_BY_NAME: &str = r#"{ search(kommune: "0751", first: 20) { totalCount edges { node { id navn adresse { by } kommune { navn } } serviceleverance { type startdato } } } }"#;
/// The facets without and with the agreement type: the type is counted by a pass per type
/// (issue 21: a facet counts what its filter would give), kind and boligtype in one pass.
const Q_FACETS_CLASS: &str = r#"{ search(kommune: "0751", first: 0) { totalCount facets { kind { value count } boligtype { value count } } } }"#;
const Q_FACETS_ALL: &str = r#"{ search(kommune: "0751", first: 0) { totalCount facets { kind { value count } boligtype { value count } type { value count } } } }"#;
const Q_RADIUS: &str = r#"{ search(kommune: "0751", near: {lat: 56.1535, lon: 10.2045}, radiusKm: 10, first: 20) { totalCount edges { distanceKm node { id navn adresse { by } kommune { navn } } serviceleverance { type startdato } } } }"#;

// ---------------------------------------------------------------------------------------------
// A small deterministic random generator (SplitMix64), so the bench needs no extra crate and
// every run generates the same data.

struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [lo, hi).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo) as u64) as i64
    }
    /// A version-4 UUID from this generator (the service's ids are v4 UUIDs).
    fn uuid(&mut self) -> uuid::Uuid {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        b[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(b).into_uuid()
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.range(0, xs.len() as i64) as usize]
    }
    /// Standard normal (Box-Muller).
    fn gauss(&mut self) -> f64 {
        let u = self.unit().max(f64::MIN_POSITIVE);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

// ---------------------------------------------------------------------------------------------
// Kommuner: reference data, rough population weights, extents and neighbours.

pub(crate) struct Kommune {
    pub(crate) kode: String,
    navn: String,
    cvr: String,
    pub(crate) centre: (f64, f64),
    /// Half the extent of the boundary's bounding box in degrees (lat, lon).
    half: (f64, f64),
    /// Relative size (population in thousands, rounded; a default for the rest).
    weight: f64,
    /// The 6 nearest kommuner by centroid (indexes).
    neighbours: Vec<usize>,
}

/// Approximate populations (thousands) of the largest and the island kommuner; the others get
/// the national average of the remaining ones.
fn population(kode: &str) -> f64 {
    match kode {
        "0101" => 660.0, // København
        "0751" => 370.0, // Aarhus
        "0851" => 222.0, // Aalborg
        "0461" => 210.0, // Odense
        "0630" => 121.0, // Vejle
        "0561" => 117.0, // Esbjerg
        "0147" => 105.0, // Frederiksberg
        "0730" => 100.0, // Randers
        "0740" => 100.0, // Silkeborg
        "0615" => 98.0,  // Horsens
        "0791" => 98.0,  // Viborg
        "0621" => 95.0,  // Kolding
        "0657" => 90.0,  // Herning
        "0265" => 90.0,  // Roskilde
        "0370" => 84.0,  // Næstved
        "0825" => 1.7,   // Læsø
        "0563" => 3.5,   // Fanø
        "0741" => 3.7,   // Samsø
        "0492" => 6.0,   // Ærø
        _ => 41.0,
    }
}

pub(crate) fn kommuner() -> anyhow::Result<Vec<Kommune>> {
    let geo: Value = serde_json::from_str(KOMMUNER_GEOJSON).context("kommuner.geojson")?;
    let mut extents = std::collections::HashMap::new();
    for f in geo["features"].as_array().into_iter().flatten() {
        let Some(kode) = f["properties"]["kode"].as_str() else {
            continue;
        };
        let (mut min_lat, mut max_lat, mut min_lon, mut max_lon) = (90.0, -90.0, 180.0, -180.0);
        let mut stack = vec![&f["geometry"]["coordinates"]];
        while let Some(v) = stack.pop() {
            match v.as_array() {
                Some(a) if a.len() == 2 && a[0].is_f64() && a[1].is_f64() => {
                    let (lon, lat) = (a[0].as_f64().unwrap_or(0.0), a[1].as_f64().unwrap_or(0.0));
                    min_lat = f64::min(min_lat, lat);
                    max_lat = f64::max(max_lat, lat);
                    min_lon = f64::min(min_lon, lon);
                    max_lon = f64::max(max_lon, lon);
                }
                Some(a) => stack.extend(a.iter()),
                None => {}
            }
        }
        extents.insert(
            kode.to_string(),
            ((max_lat - min_lat) / 2.0, (max_lon - min_lon) / 2.0),
        );
    }
    let rows = reference_rows().context("kommuner.csv")?;
    let mut out: Vec<Kommune> = rows
        .into_iter()
        .map(|r| Kommune {
            half: extents.get(&r.kode).copied().unwrap_or((0.05, 0.08)),
            weight: population(&r.kode),
            centre: (r.lat, r.lon),
            kode: r.kode,
            navn: r.navn,
            cvr: r.cvr,
            neighbours: Vec::new(),
        })
        .collect();
    let centres: Vec<(f64, f64)> = out.iter().map(|k| k.centre).collect();
    for (i, k) in out.iter_mut().enumerate() {
        let mut by_dist: Vec<(f64, usize)> = centres
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(j, c)| {
                let dlat = c.0 - k.centre.0;
                let dlon = (c.1 - k.centre.1) * 0.56; // cos(56°)
                (dlat * dlat + dlon * dlon, j)
            })
            .collect();
        by_dist.sort_by(|a, b| a.0.total_cmp(&b.0));
        k.neighbours = by_dist.iter().take(6).map(|(_, j)| *j).collect();
    }
    anyhow::ensure!(out.len() == 98, "expected 98 kommuner, got {}", out.len());
    Ok(out)
}

/// Picks a kommune with probability proportional to its weight.
fn weighted(rng: &mut Rng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(1.0);
    let x = rng.unit() * total;
    cumulative
        .partition_point(|c| *c <= x)
        .min(cumulative.len() - 1)
}

// ---------------------------------------------------------------------------------------------
// The data generator.

const PLEJE_PREFIX: &[&str] = &[
    "Plejecenter",
    "Plejehjemmet",
    "Ældrecenter",
    "Omsorgscenter",
    "Lokalcenter",
    "Bofællesskabet",
    "Friplejehjemmet",
];
const STEDNAVN: &[&str] = &[
    "Egebakken",
    "Bøgely",
    "Solhøj",
    "Åparken",
    "Kildevang",
    "Lindehøj",
    "Rosenhaven",
    "Fjordblink",
    "Skovbrynet",
    "Møllegården",
    "Strandgården",
    "Havebyen",
    "Ørneborg",
    "Æblehaven",
    "Birkely",
    "Granly",
    "Engbo",
    "Toftegården",
    "Vesterled",
    "Østervang",
    "Nørrebo",
    "Sønderbo",
    "Kastanjehuset",
    "Hybenhaven",
    "Lærkebo",
    "Fyrrelunden",
    "Ådalen",
    "Tjørnely",
    "Humlebakken",
    "Bakkehuset",
];
const KAEDE: &[&str] = &[
    "De varme hænder",
    "Omsorg & Nærvær",
    "Hjemmeplejen Solstrejf",
    "Tryg Hverdag",
    "Nærpleje",
    "Livsglæde Pleje",
    "Hjælpende Hænder",
    "Plejeteamet Øst",
];
const VEJ: &[&str] = &[
    "Skolevej",
    "Kirkevej",
    "Møllevej",
    "Stationsvej",
    "Engvej",
    "Åboulevarden",
    "Søndergade",
    "Nørregade",
    "Vestergade",
    "Østergade",
];

/// What was generated.
#[derive(Default, Clone, Copy)]
pub(crate) struct Generated {
    pub(crate) plejeenheder: usize,
    pub(crate) helhedsplejeenheder: usize,
    pub(crate) aftaler: usize,
    /// Agreements that are public today (active, not deleted, no errors).
    public_today: usize,
    /// Of those, with the searched kommune.
    public_today_kommune: usize,
    /// Time to generate the rows, and to insert them (and ANALYZE on PostgreSQL).
    gen_seconds: f64,
    insert_seconds: f64,
}

struct GenEnhed {
    id: String,
    kind: EnhedKind,
    navn: String,
    ejer_cvr: String,
    kommune: usize,
    boligtype: Option<&'static str>,
}

/// Places a point inside the kommune: Gaussian around its centre, rejected until the boundary
/// contains it (towns cluster near the centre); falls back to the reference centre.
fn place(rng: &mut Rng, state: &AppState, k: &Kommune) -> (f64, f64) {
    for _ in 0..30 {
        let lat = k.centre.0 + rng.gauss() * k.half.0 / 2.5;
        let lon = k.centre.1 + rng.gauss() * k.half.1 / 2.5;
        if let Some(p) = LatLon::new(lat, lon) {
            if state.kommuner.at(p) == Some(k.kode.as_str()) {
                return (lat, lon);
            }
        }
    }
    k.centre
}

/// An enhed's profile as redaktører fill it in (R31): most plejeenheder state husleje and
/// dementia, some the rest; helhedsplejeenheder their services.
fn profile_of(rng: &mut Rng, kind: EnhedKind) -> plejeoverblik::domain::profil::Profil {
    use plejeoverblik::domain::profil::{Demens, Dyr, Facilitet, Profil, Ydelse};
    if kind == EnhedKind::Helhedsplejeenhed {
        return Profil {
            ydelser: Some(vec![Ydelse::PersonligPleje, Ydelse::PraktiskHjaelp]),
            omraader: rng.chance(0.5).then(|| vec!["Hele kommunen".to_string()]),
            ..Default::default()
        };
    }
    if rng.chance(0.2) {
        return Profil::default();
    }
    let fra = rng.range(55, 140) as i32 * 100;
    Profil {
        husleje_fra: Some(fra),
        husleje_til: rng.chance(0.4).then(|| fra + rng.range(3, 20) as i32 * 100),
        indskud: rng.chance(0.6).then(|| rng.range(50, 250) as i32 * 100),
        parboliger: Some(rng.range(0, 6) as i32),
        demens: Some(*rng.pick(&[Demens::Nej, Demens::Demensvenlig, Demens::Demensafsnit])),
        mad_paa_stedet: Some(rng.chance(0.7)),
        dyr: Some(*rng.pick(&[Dyr::Egne, Dyr::Faelles, Dyr::Ingen])),
        traening: Some(rng.chance(0.5)),
        faciliteter: Some(vec![Facilitet::EgetBad, Facilitet::Have]),
        ..Default::default()
    }
}

/// A small valid JPEG for the generated photos (the bytes are what the server serves).
fn tiny_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(4, 3, image::Rgb([90, 140, 60]));
    let mut out = Vec::new();
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&img);
    out
}

async fn insert_chunked<E, A, M>(db: &impl ConnectionTrait, rows: Vec<M>) -> anyhow::Result<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    M: sea_orm::IntoActiveModel<A>,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows
            .by_ref()
            .take(CHUNK)
            .map(M::into_active_model)
            .collect();
        E::insert_many(chunk)
            .exec_without_returning(db)
            .await
            .context("bulk insert")?;
    }
    Ok(())
}

/// Generates and inserts `scale` x (1,000 plejeenheder, 500 helhedsplejeenheder, 3,000
/// serviceleverancer) in one transaction.
pub(crate) async fn generate(
    state: &AppState,
    ks: &[Kommune],
    scale: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Generated> {
    let started = Instant::now();
    let today = copenhagen_day(now);
    let mut rng = Rng(0x5EED_0000 + scale as u64);
    let cumulative: Vec<f64> = ks
        .iter()
        .scan(0.0, |acc, k| {
            *acc += k.weight;
            Some(*acc)
        })
        .collect();
    let mut g = Generated::default();
    let search_idx = ks
        .iter()
        .position(|k| k.kode == KOMMUNE)
        .context("the searched kommune is missing")?;

    // Enheder.
    let n_pleje = 1_000 * scale;
    let n_helhed = 500 * scale;
    let mut enheder: Vec<GenEnhed> = Vec::with_capacity(n_pleje + n_helhed);
    let mut enhed_rows: Vec<enhed::Model> = Vec::with_capacity(n_pleje + n_helhed);
    let mut foto_rows: Vec<foto::Model> = Vec::new();
    let mut tilsyn_rows: Vec<tilsyn::Model> = Vec::new();
    let mut sanktion_rows: Vec<sanktion::Model> = Vec::new();
    for i in 0..n_pleje + n_helhed {
        let kind = if i < n_pleje {
            EnhedKind::Plejeenhed
        } else {
            EnhedKind::Helhedsplejeenhed
        };
        let ki = weighted(&mut rng, &cumulative);
        let k = &ks[ki];
        let (lat, lon) = place(&mut rng, state, k);
        let sted = *rng.pick(STEDNAVN);
        let private_cvr = format!("{}", rng.range(30_000_000, 44_999_999));
        let (navn, ejer_cvr, boligtype) = match kind {
            EnhedKind::Plejeenhed => {
                let r = rng.unit();
                let (boligtype, cvr) = if r < 0.60 {
                    ("PLEJEBOLIG", k.cvr.clone())
                } else if r < 0.85 {
                    ("PLEJEBOLIG", private_cvr)
                } else if r < 0.95 {
                    ("FRIPLEJEBOLIG", private_cvr)
                } else {
                    ("LOKALPLEJEHJEM", private_cvr)
                };
                let prefix = if boligtype == "FRIPLEJEBOLIG" {
                    "Friplejehjemmet"
                } else {
                    *rng.pick(&PLEJE_PREFIX[..PLEJE_PREFIX.len() - 1])
                };
                let navn = if rng.chance(0.3) {
                    format!("{prefix} {sted}, {}", k.navn)
                } else {
                    format!("{prefix} {sted}")
                };
                (navn, cvr, Some(boligtype))
            }
            EnhedKind::Helhedsplejeenhed => {
                if rng.chance(0.3) {
                    (
                        format!("{} Kommunes Hjemmepleje, distrikt {sted}", k.navn),
                        k.cvr.clone(),
                        None,
                    )
                } else {
                    (
                        format!("{}, afdeling {}", rng.pick(KAEDE), k.navn),
                        private_cvr,
                        None,
                    )
                }
            }
        };
        let id = rng.uuid().to_string();
        let m = enhed::Model {
            kind: kind.as_str().to_string(),
            navn_soeg: fold(&navn),
            navn: navn.clone(),
            ejer_cvr: ejer_cvr.clone(),
            sor_kode: (kind == EnhedKind::Plejeenhed)
                .then(|| format!("{}", rng.range(100_000_000_000, 999_999_999_999))),
            vejnavn: Some(format!("{} {}", rng.pick(VEJ), rng.range(1, 120))),
            postnummer: Some(format!("{}", rng.range(1000, 9990))),
            by: Some(k.navn.clone()),
            lat: Some(lat),
            lon: Some(lon),
            kommune_kode: Some(k.kode.clone()),
            beskrivelse: Some(format!("{navn} ligger i {} Kommune.", k.navn)),
            telefon: Some(format!("+45 {:08}", rng.range(20_000_000, 99_999_999))),
            email: Some("kontakt@example.invalid".into()),
            boligtype: boligtype.map(str::to_string),
            antal_boliger: boligtype.map(|_| rng.range(8, 120) as i32),
            profil: enhed::ProfilJson(profile_of(&mut rng, kind)),
            ..plejeoverblik::store::enhed::blank(id.clone(), now)
        };
        // Issue 21: a photo for one plejeenhed in ten, a tilsyn for a third, a påbud in force
        // for one in thirty (the read model and the hits carry them).
        let mut m = m;
        if kind == EnhedKind::Plejeenhed && rng.chance(0.1) {
            let hash = format!(
                "{:016x}{:016x}{:016x}{:016x}",
                rng.next_u64(),
                rng.next_u64(),
                rng.next_u64(),
                rng.next_u64()
            );
            m.profil.0.fotos.push(plejeoverblik::domain::profil::Foto {
                hash: hash.clone(),
                alt: format!("Haven ved {navn}"),
                bredde: 4,
                hoejde: 3,
            });
            foto_rows.push(foto::Model {
                hash,
                enhed_id: id.clone(),
                mime: "image/jpeg".into(),
                bredde: 4,
                hoejde: 3,
                data: tiny_jpeg(),
                created_at: now,
            });
        }
        if rng.chance(0.33) {
            tilsyn_rows.push(tilsyn::Model {
                id: rng.uuid().to_string(),
                enhed_id: id.clone(),
                dato: today - Days::days(rng.range(10, 900)),
                vurdering: rng
                    .pick(&[
                        "Ingen problemer af betydning",
                        "Mindre problemer af betydning",
                        "Større problemer af betydning",
                    ])
                    .to_string(),
                sammenfatning: "Tilsynet fandt en god pleje med enkelte forhold at rette.".into(),
                rapport_url: Some("https://aeldretilsyn.example/rapport".into()),
                tilsyn_cvr: "29190925".into(),
                created_by: "bench".into(),
                created_at: now,
            });
            if rng.chance(0.1) {
                sanktion_rows.push(sanktion::Model {
                    id: rng.uuid().to_string(),
                    enhed_id: id.clone(),
                    kind: "PAABUD".into(),
                    tekst: "Ret medicinhåndteringen.".into(),
                    givet: today - Days::days(rng.range(1, 200)),
                    ophaevet: None,
                    tilsyn_cvr: "29190925".into(),
                    created_by: "bench".into(),
                    created_at: now,
                    updated_at: now,
                });
            }
        }
        // The form search's key, as the store writes it (the server would otherwise fill it for
        // every row at its start).
        m.find_key = plejeoverblik::store::enhed::find_key(&m);
        enhed_rows.push(m);
        enheder.push(GenEnhed {
            id,
            kind,
            navn,
            ejer_cvr,
            kommune: ki,
            boligtype,
        });
    }
    g.plejeenheder = n_pleje;
    g.helhedsplejeenheder = n_helhed;

    // Serviceleverancer: one per enhed with the kommune it lies in, then as many again, 40 %
    // of them with the same kommune (another period) and 60 % with a neighbouring kommune.
    let n_aftaler = 3_000 * scale;
    let mut sl_rows: Vec<serviceleverance::Model> = Vec::with_capacity(n_aftaler);
    let mut ver_rows: Vec<serviceleverance_version::Model> = Vec::with_capacity(n_aftaler);
    for i in 0..n_aftaler {
        let e = if i < enheder.len() {
            &enheder[i]
        } else {
            rng.pick(&enheder)
        };
        let home = &ks[e.kommune];
        let ki = if i < enheder.len() || rng.chance(0.4) {
            e.kommune
        } else {
            *rng.pick(&home.neighbours)
        };
        let k = &ks[ki];
        let sl_type = if e.ejer_cvr == k.cvr {
            SlType::Myndighedsproduktion
        } else if ki == e.kommune && e.boligtype == Some("FRIPLEJEBOLIG") {
            SlType::Friplejebolig
        } else if ki == e.kommune && e.boligtype == Some("LOKALPLEJEHJEM") {
            SlType::Lokalplejehjem
        } else {
            SlType::Driftsoverenskomst
        };
        let facts = EnhedFacts {
            kind: e.kind,
            ejer_cvr: e.ejer_cvr.clone(),
        };
        let mut beskrivelse = (sl_type == SlType::Driftsoverenskomst
            && e.kind == EnhedKind::Helhedsplejeenhed)
            .then(|| format!("Personlig pleje og praktisk hjælp i {} Kommune.", k.navn));
        // Periods: most active today, some expired, some starting later.
        let r = rng.unit();
        let (mut start, slut) = if r < 0.85 {
            let s = today - Days::days(rng.range(1, 3000));
            let end = rng
                .chance(0.3)
                .then(|| today + Days::days(rng.range(30, 1500)));
            (Some(s), end)
        } else if r < 0.93 {
            let end = today - Days::days(rng.range(1, 700));
            (Some(end - Days::days(rng.range(100, 2000))), Some(end))
        } else {
            (Some(today + Days::days(rng.range(1, 365))), None)
        };
        // About 5 % are incomplete (ERROR issues, R10): no startdato, a missing beskrivelse
        // where one is required, or no type.
        let mut missing_type = false;
        if rng.chance(0.05) {
            match rng.range(0, 3) {
                0 => start = None,
                1 if beskrivelse.is_some() => beskrivelse = None,
                _ => missing_type = true,
            }
        }
        let fields = Fields {
            navn: format!("{} – {}", e.navn, k.navn),
            enhed_id: Some(e.id.clone()),
            aftaleidentifikation: rng.chance(0.5).then(|| format!("SL-{}-{:06}", k.kode, i)),
            sl_type: (!missing_type).then_some(sl_type),
            beskrivelse,
            startdato: start,
            slutdato: slut,
        };
        let has_errors = !errors(&fields, Some(&facts)).is_empty();
        let deleted = rng.chance(0.02);
        let active = start.is_some_and(|s| s <= today) && slut.is_none_or(|s| s >= today);
        if active && !deleted && !has_errors {
            g.public_today += 1;
            if ki == search_idx {
                g.public_today_kommune += 1;
            }
        }
        let id = rng.uuid().to_string();
        ver_rows.push(serviceleverance_version::Model {
            id: rng.uuid().to_string(),
            serviceleverance_id: id.clone(),
            nummer: 1,
            author_subject: "bench".into(),
            author_name: Some("Benchmark".into()),
            created_at: now,
            kommentar: None,
            snapshot: serde_json::to_string(&fields).context("snapshot")?,
        });
        sl_rows.push(serviceleverance::Model {
            id,
            aftalepart_kode: k.kode.clone(),
            enhed_id: fields.enhed_id.clone(),
            soeg: search_text(&fields),
            navn: fields.navn.clone(),
            aftaleidentifikation: fields.aftaleidentifikation.clone(),
            r#type: fields.sl_type.map(|t| t.as_str().to_string()),
            beskrivelse: fields.beskrivelse.clone(),
            startdato: fields.startdato,
            slutdato: fields.slutdato,
            has_errors,
            version: 1,
            revision: 1,
            sort_key: plejeoverblik::store::serviceleverance::sort_key(&fields.navn),
            lock_cvr: None,
            lock_roles: None,
            lock_subject: None,
            lock_name: None,
            lock_since: None,
            lock_expires_ms: None,
            deleted_at: deleted.then_some(now),
            deleted_by: deleted.then(|| "bench".to_string()),
            created_by: "bench".into(),
            created_at: now,
            updated_by: "bench".into(),
            updated_at: now,
        });
    }
    g.aftaler = n_aftaler;

    g.gen_seconds = started.elapsed().as_secs_f64();
    let inserting = Instant::now();
    let txn = state.db.begin().await.context("begin")?;
    let sqlite = plejeoverblik::store::is_sqlite(&state.db);
    // Inserting in primary-key order keeps the B-trees' appends cheap (the ids are random).
    enhed_rows.sort_by(|a, b| a.id.cmp(&b.id));
    sl_rows.sort_by(|a, b| a.id.cmp(&b.id));
    ver_rows.sort_by(|a, b| a.id.cmp(&b.id));
    insert_chunked(&txn, enhed_rows).await?;
    insert_chunked(&txn, sl_rows).await?;
    insert_chunked(&txn, ver_rows).await?;
    insert_chunked(&txn, foto_rows).await?;
    insert_chunked(&txn, tilsyn_rows).await?;
    insert_chunked(&txn, sanktion_rows).await?;
    txn.commit().await.context("commit")?;
    // What a database that has been serving for a while looks like: SQLite's WAL checkpointed,
    // PostgreSQL's statistics gathered (autovacuum would have done it).
    let settle = if sqlite {
        "PRAGMA wal_checkpoint(TRUNCATE)"
    } else {
        "ANALYZE"
    };
    state
        .db
        .execute_unprepared(settle)
        .await
        .with_context(|| settle.to_string())?;
    g.insert_seconds = inserting.elapsed().as_secs_f64();
    Ok(g)
}

// ---------------------------------------------------------------------------------------------
// Databases.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A fresh database, removed (SQLite file) or dropped (PostgreSQL) when this is dropped, also
/// when the bench panics.
pub(crate) struct TempDatabase {
    pub(crate) url: String,
    sqlite_dir: Option<std::path::PathBuf>,
    /// (server URL, database name)
    postgres: Option<(String, String)>,
}

impl TempDatabase {
    pub(crate) fn sqlite() -> anyhow::Result<TempDatabase> {
        let dir = std::env::temp_dir().join(format!(
            "plejeoverblik-bench-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("create temp dir {}", dir.display()))?;
        Ok(TempDatabase {
            url: format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
            sqlite_dir: Some(dir),
            postgres: None,
        })
    }

    pub(crate) async fn postgres(server: &str) -> anyhow::Result<TempDatabase> {
        let name = format!("plejeoverblik_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(server)
            .await
            .with_context(|| format!("connect to PostgreSQL at {server}"))?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .context("create the bench database")?;
        let _ = admin.close().await;
        Ok(TempDatabase {
            url: replace_db(server, &name),
            sqlite_dir: None,
            postgres: Some((server.to_string(), name)),
        })
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        if let Some(dir) = self.sqlite_dir.take() {
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                eprintln!("warning: could not remove {}: {e}", dir.display());
            }
        }
        if let Some((server, name)) = self.postgres.take() {
            // Drop from a separate thread with its own runtime (we may be inside one).
            let joined = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime to drop the bench database");
                rt.block_on(async move {
                    let admin = sea_orm::Database::connect(&server).await?;
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await?;
                    admin.close().await
                })
            })
            .join();
            if !matches!(joined, Ok(Ok(()))) {
                eprintln!("warning: could not drop the bench database");
            }
        }
    }
}

/// The server URL with its database name replaced (query parameters kept).
fn replace_db(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((a, b)) => (a, Some(b)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let root = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring.

struct Measured {
    query: &'static str,
    n: usize,
    median_ms: f64,
    p95_ms: f64,
    statements: u64,
    total_count: Option<i64>,
}

async fn post(client: &reqwest::Client, url: &str, query: &str) -> Value {
    let resp = client
        .post(url)
        .header(reqwest::header::ACCEPT, "application/graphql-response+json")
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("send the GraphQL request");
    let status = resp.status();
    let body: Value = resp.json().await.expect("a JSON response");
    assert!(
        status.is_success() && body.get("errors").is_none_or(Value::is_null),
        "the request failed ({status}): {body}"
    );
    body
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

async fn measure(
    client: &reqwest::Client,
    url: &str,
    state: &AppState,
    name: &'static str,
    query: &str,
    requests: usize,
) -> Measured {
    for _ in 0..WARMUP {
        post(client, url, query).await;
    }
    let before = state.statements.get();
    let body = post(client, url, query).await;
    let statements = state.statements.get() - before;
    let total_count = body["data"]["search"]["totalCount"].as_i64();
    let mut ms = Vec::with_capacity(requests);
    let started = Instant::now();
    for i in 0..requests {
        if i >= MIN_REQUESTS && started.elapsed() > TIME_BUDGET {
            break;
        }
        let t = Instant::now();
        std::hint::black_box(post(client, url, query).await);
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Measured {
        query: name,
        n: ms.len(),
        median_ms: median(&ms),
        p95_ms: percentile(&ms, 0.95),
        statements,
        total_count,
    }
}

struct ScaleResult {
    backend: Backend,
    scale: usize,
    data: Generated,
    rows: Vec<Measured>,
}

async fn run_scale(
    backend: Backend,
    postgres_url: Option<&str>,
    ks: &[Kommune],
    scale: usize,
    requests: usize,
) -> anyhow::Result<ScaleResult> {
    let db = match backend {
        Backend::Sqlite => TempDatabase::sqlite()?,
        Backend::Postgres => {
            TempDatabase::postgres(postgres_url.context("no PostgreSQL URL")?).await?
        }
    };
    let now = Utc::now();
    let config = Config {
        database_url: db.url.clone(),
        seed_if_empty: false,
        // Measures the database path, not the rate limits (served without ConnectInfo).
        rate_limit_per_second: 0,
        // Every request computes its page: the response cache would answer the repeated query
        // after the first request (the load benchmark measures the cache).
        response_cache_bytes: 0,
        ..Config::default()
    };
    let state = AppState::init(config, Some(Arc::new(FixedClock(now))))
        .await
        .context("AppState::init")?;
    let data = generate(&state, ks, scale, now).await?;
    // The rows went in past the use-case layer: the read model reads them now.
    state
        .read_model
        .reload(&state.db)
        .await
        .context("read model")?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("bind 127.0.0.1:0")?;
    let url = format!("http://{}/graphql", listener.local_addr()?);
    let router = plejeoverblik::http::router(state.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::new();

    let mut rows = Vec::new();
    for (name, q) in [
        ("baseline `{ __typename }`", Q_BASELINE),
        ("search by name, 20 hits", Q_BY_NAME),
        ("search 10 km radius, 20 hits", Q_RADIUS),
        ("facets kind + boligtype", Q_FACETS_CLASS),
        ("facets kind + boligtype + type", Q_FACETS_ALL),
    ] {
        rows.push(measure(&client, &url, &state, name, q, requests).await);
    }

    server.abort();
    let _ = server.await;
    close(state.db.clone()).await;
    drop(db);
    Ok(ScaleResult {
        backend,
        scale,
        data,
        rows,
    })
}

async fn close(db: DatabaseConnection) {
    if let Err(e) = db.close().await {
        eprintln!("warning: closing the pool: {e}");
    }
}

fn print_table(results: &[ScaleResult]) {
    println!();
    println!("| database | scale | enheder | aftaler (public in 0751) | request | n | median ms | p95 ms | median / baseline | SQL statements | totalCount |");
    println!("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|");
    for r in results {
        let base = r.rows.first().map_or(f64::NAN, |m| m.median_ms);
        for m in &r.rows {
            println!(
                "| {} | {}x | {} | {} ({}) | {} | {} | {:.2} | {:.2} | {:.1} | {} | {} |",
                r.backend.name(),
                r.scale,
                r.data.plejeenheder + r.data.helhedsplejeenheder,
                r.data.aftaler,
                r.data.public_today_kommune,
                m.query,
                m.n,
                m.median_ms,
                m.p95_ms,
                m.median_ms / base,
                m.statements,
                m.total_count.map_or("–".to_string(), |c| c.to_string()),
            );
        }
    }
}

/// The system's load average (Linux), to tell a quiet run from a disturbed one.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let scales: Vec<usize> = std::env::var("PLEJEOVERBLIK_BENCH_SCALES")
        .unwrap_or_else(|_| "1,10,100".into())
        .split(',')
        .map(|s| s.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .context("PLEJEOVERBLIK_BENCH_SCALES must be comma-separated positive integers")?;
    anyhow::ensure!(
        scales.iter().all(|s| (1..=1000).contains(s)),
        "scales must be 1..=1000"
    );
    let requests: usize = match std::env::var("PLEJEOVERBLIK_BENCH_REQUESTS") {
        Ok(v) => v
            .parse()
            .context("PLEJEOVERBLIK_BENCH_REQUESTS must be a positive integer")?,
        Err(_) => 200,
    };
    anyhow::ensure!(
        requests > 0,
        "PLEJEOVERBLIK_BENCH_REQUESTS must be positive"
    );
    let postgres_url = std::env::var("PLEJEOVERBLIK_BENCH_POSTGRES_URL").ok();
    let mut backends = vec![Backend::Sqlite];
    if postgres_url.is_some() {
        backends.push(Backend::Postgres);
    } else {
        eprintln!("note: PostgreSQL skipped (set PLEJEOVERBLIK_BENCH_POSTGRES_URL)");
    }
    let ks = kommuner()?;
    let started = Instant::now();
    let load_before = load_average();
    let mut results = Vec::new();
    for backend in backends {
        for &scale in &scales {
            eprintln!("{} at {scale}x: generating and measuring…", backend.name());
            let r = run_scale(backend, postgres_url.as_deref(), &ks, scale, requests)
                .await
                .with_context(|| format!("{} at {scale}x", backend.name()))?;
            eprintln!(
                "  {} enheder, {} aftaler ({} public today, {} with {KOMMUNE}): generated in {:.1} s, inserted in {:.1} s",
                r.data.plejeenheder + r.data.helhedsplejeenheder,
                r.data.aftaler,
                r.data.public_today,
                r.data.public_today_kommune,
                r.data.gen_seconds,
                r.data.insert_seconds,
            );
            results.push(r);
        }
    }
    print_table(&results);
    println!(
        "\n{} requests per query (fewer when one query exceeds {} s), {WARMUP} warm-up; total run {:.0} s.",
        requests,
        TIME_BUDGET.as_secs(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "{} CPUs; load average (1/5/15 min) before: {load_before}, after: {}.",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    Ok(())
}
