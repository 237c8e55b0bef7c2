//! Open data (issue 10, part 8; issue 19, part 3): `GET /data/tilbud.csv`, `.json` and
//! `.geojson`, the public offers of every kommune (or one, `?kommune=`) on a day (`?dato=`,
//! default today in Copenhagen), from the read model, with the data sources' attribution, an
//! ETag and revalidation; and `GET /data/catalog.json`, their DCAT-AP description. For
//! integrators who want a file instead of a query.
use super::Http;
use crate::domain::day::{copenhagen_day, parse_date};
use crate::domain::search::{self, Query as GeoQuery};
use crate::readmodel::{Filters, Snapshot};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::NaiveDate;
use quick_cache::sync::Cache;
use quick_cache::Weighter;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// The sources, as their licences ask (see README "Data and attribution").
pub const ATTRIBUTION: &str = "Data om plejehjem: Plejehjemsoversigten, Sundhedsdatastyrelsen. Adresser: Danmarks Adresseregister (DAWA). Kommunegrænser: Klimadatastyrelsen (GeoDanmark). Serviceleverancer: kommunernes indberetninger i Plejeoverblik.";

/// One public offer: a kommune offers an enhed by an agreement on the day (R20-R22, R25).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Tilbud<'a> {
    kommunekode: &'a str,
    kommune: &'a str,
    kind: &'a str,
    enhed_id: &'a str,
    navn: &'a str,
    vejnavn: Option<&'a str>,
    postnummer: Option<&'a str>,
    by: Option<&'a str>,
    enhedens_kommunekode: Option<&'a str>,
    lat: Option<f64>,
    lon: Option<f64>,
    boligtype: Option<&'a str>,
    antal_boliger: Option<i32>,
    telefon: Option<&'a str>,
    email: Option<&'a str>,
    web: Option<&'a str>,
    serviceleverance_type: Option<&'a str>,
    startdato: Option<NaiveDate>,
    slutdato: Option<NaiveDate>,
    beskrivelse: Option<&'a str>,
}

#[derive(Serialize)]
struct Document<'a> {
    attribution: &'static str,
    dato: NaiveDate,
    datavers: i64,
    /// The change feed's cursor to follow from after loading this file (R30): every event up to
    /// it is in the file already.
    #[serde(rename = "changesCursor")]
    changes_cursor: String,
    kommune: Option<&'a str>,
    tilbud: Vec<Tilbud<'a>>,
}

fn offers<'a>(snap: &'a Snapshot, kommune: Option<&str>, day: NaiveDate) -> Vec<Tilbud<'a>> {
    let mut koder: Vec<&String> = match kommune {
        Some(k) => snap.kommuner.keys().filter(|x| x.as_str() == k).collect(),
        None => snap.kommuner.keys().collect(),
    };
    koder.sort();
    let all = Filters::default();
    let mut out = Vec::new();
    for kode in koder {
        let Some(k) = snap.kommuner.get(kode) else {
            continue;
        };
        let hits = search::rank(
            snap.candidates(kode, &all, None, day, search::Prefilter::Within(None), None)
                .collect(),
            &GeoQuery::default(),
        );
        for h in hits {
            let (e, s) = (&h.candidate.item.offer.enhed, &h.candidate.item.offer.sl);
            out.push(Tilbud {
                kommunekode: &k.kode,
                kommune: &k.navn,
                kind: &e.kind,
                enhed_id: &e.id,
                navn: &e.navn,
                vejnavn: e.vejnavn.as_deref(),
                postnummer: e.postnummer.as_deref(),
                by: e.by.as_deref(),
                enhedens_kommunekode: e.kommune_kode.as_deref(),
                lat: e.lat,
                lon: e.lon,
                boligtype: e.boligtype.as_deref(),
                antal_boliger: e.antal_boliger,
                telefon: e.telefon.as_deref(),
                email: e.email.as_deref(),
                web: e.web.as_deref(),
                serviceleverance_type: s.r#type.as_deref(),
                startdato: s.startdato,
                slutdato: s.slutdato,
                beskrivelse: h.candidate.item.public_beskrivelse(),
            });
        }
    }
    out
}

/// The formats of the offers' file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Format {
    Csv,
    Json,
    GeoJson,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8; header=present",
            Format::Json => "application/json",
            Format::GeoJson => "application/geo+json",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::GeoJson => "geojson",
        }
    }
}

/// The offers as GeoJSON (RFC 7946): a point per offer with a position (longitude first), the
/// offer's fields as its properties; offers without a position are left out of the map.
fn geojson_of(rows: &[Tilbud<'_>], day: NaiveDate, version: i64) -> serde_json::Value {
    let features: Vec<serde_json::Value> = rows
        .iter()
        .filter_map(|r| {
            let (lat, lon) = (r.lat?, r.lon?);
            Some(serde_json::json!({
                "type": "Feature",
                "id": format!("{}:{}", r.kommunekode, r.enhed_id),
                "geometry": { "type": "Point", "coordinates": [lon, lat] },
                "properties": r,
            }))
        })
        .collect();
    serde_json::json!({
        "type": "FeatureCollection",
        "attribution": ATTRIBUTION,
        "dato": day,
        "datavers": version,
        "features": features,
    })
}

/// The stable identifier of the offers' dataset in the catalog (a URN: the service has no
/// configured public address yet; the distributions' links are relative IRIs, which JSON-LD
/// resolves against the address the catalog was fetched from).
const DATASET_ID: &str = "urn:plejeoverblik:dataset:tilbud";

/// `/data/catalog.json`: the datasets described in DCAT-AP (JSON-LD), for data portals
/// (data.gov.dk harvests DCAT-AP). `modified` is the moment of the last change: the newest
/// audit entry, as every write is audited (R16).
async fn catalog(h: &Http) -> Response {
    let modified = match crate::store::audit::last_at(&h.state.db).await {
        Ok(t) => t,
        Err(_) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                crate::error::Outage::Database.message(),
            )
        }
    };
    let dist = |format: Format, title: &str| {
        serde_json::json!({
            "@type": "dcat:Distribution",
            "dct:title": { "@language": "da", "@value": title },
            "dcat:accessURL": { "@id": format!("/data/tilbud.{}", format.extension()) },
            "dcat:downloadURL": { "@id": format!("/data/tilbud.{}", format.extension()) },
            "dcat:mediaType": format.content_type().split(';').next().unwrap_or_default(),
            "dct:license": { "@id": "https://creativecommons.org/licenses/by/4.0/" },
        })
    };
    let body = serde_json::json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#"
        },
        "@type": "dcat:Catalog",
        "dct:title": [
            { "@language": "da", "@value": "Plejeoverblik" },
            { "@language": "en", "@value": "Plejeoverblik (Danish care overview)" }
        ],
        "dct:publisher": { "@type": "foaf:Agent", "foaf:name": "Plejeoverblik" },
        "dcat:dataset": [{
            "@id": DATASET_ID,
            "@type": "dcat:Dataset",
            "dct:identifier": DATASET_ID,
            "dct:title": [
                { "@language": "da", "@value": "Kommunernes tilbud af plejeboliger og helhedspleje" },
                { "@language": "en", "@value": "The municipalities' offers of nursing homes and home care" }
            ],
            "dct:description": [
                { "@language": "da", "@value": "Hvilke plejeenheder og helhedsplejeenheder hver kommune tilbyder på en dag (?dato=), efter kommunernes serviceleverancer." },
                { "@language": "en", "@value": "Which nursing homes and home-care providers each municipality offers on a day (?dato=), from the municipalities' agreements." }
            ],
            "dct:publisher": { "@type": "foaf:Agent", "foaf:name": "Plejeoverblik" },
            "dct:license": { "@id": "https://creativecommons.org/licenses/by/4.0/" },
            "dct:rights": ATTRIBUTION,
            "dct:modified": { "@type": "xsd:dateTime", "@value": modified.map(|t| t.to_rfc3339()) },
            "dct:spatial": { "@id": "http://publications.europa.eu/resource/authority/country/DNK" },
            "dcat:distribution": [
                dist(Format::Csv, "Tilbud som CSV"),
                dist(Format::Json, "Tilbud som JSON"),
                dist(Format::GeoJson, "Tilbud som GeoJSON"),
            ]
        }]
    });
    let mut resp = (StatusCode::OK, body.to_string()).into_response();
    let hs = resp.headers_mut();
    hs.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/ld+json"),
    );
    hs.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, no-cache"),
    );
    resp
}

/// The CSV's columns, in the order of [`csv_row`] (the JSON's names).
const CSV_HEADER: [&str; 20] = [
    "kommunekode",
    "kommune",
    "kind",
    "enhedId",
    "navn",
    "vejnavn",
    "postnummer",
    "by",
    "enhedensKommunekode",
    "lat",
    "lon",
    "boligtype",
    "antalBoliger",
    "telefon",
    "email",
    "web",
    "serviceleveranceType",
    "startdato",
    "slutdato",
    "beskrivelse",
];

/// A text cell a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or
/// a carriage return) gets a leading `'`, as OWASP advises against CSV injection: a
/// redaktør's `=HYPERLINK(...)` stays text. Numbers and dates are written by us and left alone.
pub(super) fn text_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

fn csv_row<'a>(r: &Tilbud<'a>) -> [std::borrow::Cow<'a, str>; 20] {
    use std::borrow::Cow;
    let text = |s: Option<&'a str>| s.map_or(Cow::Borrowed(""), text_cell);
    let shown = |v: Option<String>| Cow::Owned(v.unwrap_or_default());
    [
        text_cell(r.kommunekode),
        text_cell(r.kommune),
        text_cell(r.kind),
        text_cell(r.enhed_id),
        text_cell(r.navn),
        text(r.vejnavn),
        text(r.postnummer),
        text(r.by),
        text(r.enhedens_kommunekode),
        shown(r.lat.map(|x| x.to_string())),
        shown(r.lon.map(|x| x.to_string())),
        text(r.boligtype),
        shown(r.antal_boliger.map(|x| x.to_string())),
        text(r.telefon),
        text(r.email),
        text(r.web),
        text(r.serviceleverance_type),
        shown(r.startdato.map(|d| d.to_string())),
        shown(r.slutdato.map(|d| d.to_string())),
        text(r.beskrivelse),
    ]
}

fn csv_of(rows: &[Tilbud<'_>]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for r in rows {
        w.write_record(csv_row(r).iter().map(|c| c.as_bytes()))?;
    }
    let mut body = format!("# {ATTRIBUTION}\n").into_bytes();
    body.extend(w.into_inner().map_err(|e| e.into_error())?);
    Ok(body)
}

/// The answers per (moment of the read model, format, kommune, day): the files are the same for everybody
/// until the data change, so they are made once. Bounded in bytes (issue 18, N2: bounded in
/// count, 1,024 whole-country files of up to 450 KB for days a client made up took 440 MB), with
/// `quick_cache`'s S3-FIFO, so the days people ask again stay and made-up ones pass through;
/// a passed moment's files are never asked again and leave the same way.
type FileKey = (u64, Format, Option<String>, NaiveDate);
type FileEntry = Arc<(Bytes, String)>;

/// The bytes the open-data files may hold.
pub const OPEN_DATA_CACHE_BYTES: u64 = 16 << 20;

#[derive(Clone)]
struct FileWeight;

impl Weighter<FileKey, FileEntry> for FileWeight {
    fn weight(&self, k: &FileKey, v: &FileEntry) -> u64 {
        (v.0.len() + v.1.len() + k.2.as_ref().map_or(0, String::len) + 96) as u64
    }
}

pub struct FileCache(Cache<FileKey, FileEntry, FileWeight>);

impl Default for FileCache {
    fn default() -> Self {
        FileCache(Cache::with_weighter(256, OPEN_DATA_CACHE_BYTES, FileWeight))
    }
}

impl FileCache {
    /// The bytes held (for `/metrics`).
    pub fn bytes(&self) -> u64 {
        self.0.weight()
    }
}

fn error(status: StatusCode, code: &str, msg: &str) -> Response {
    let body =
        serde_json::json!({ "errors": [{ "message": msg, "extensions": { "code": code } }] });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub(super) async fn tilbud(
    State(h): State<Http>,
    Path(file): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let format = match file.as_str() {
        "tilbud.csv" => Format::Csv,
        "tilbud.json" => Format::Json,
        "tilbud.geojson" => Format::GeoJson,
        "catalog.json" => return catalog(&h).await,
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "Filen findes ikke. Brug /data/tilbud.csv, /data/tilbud.json, /data/tilbud.geojson eller /data/catalog.json.",
            )
        }
    };
    let Some(params) = super::graphql::query_pairs(q.as_deref().unwrap_or("")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Ugyldige parametre.",
        );
    };
    let params: HashMap<String, String> = params.into_iter().collect();
    let st = &h.state;
    let kommune = match params.get("kommune").filter(|k| !k.is_empty()) {
        Some(k) => match st.kommuner.resolve(k) {
            Some(kode) => Some(kode.to_string()),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "VALIDATION",
                    &st.kommuner.unknown(k),
                )
            }
        },
        None => None,
    };
    let day = match params.get("dato").filter(|d| !d.is_empty()) {
        Some(d) => match parse_date(d) {
            Ok(d) => d,
            Err(m) => return error(StatusCode::BAD_REQUEST, "VALIDATION", &format!("dato: {m}")),
        },
        None => copenhagen_day(st.clock.now()),
    };
    // The moment before the snapshot, as the response cache reads it: a file made from an old
    // snapshot is filed under the old moment, and every change taken in (also another
    // instance's late one, at a data version already passed) moves the moment.
    let moment = st.read_model.moment();
    // The feed's head before the snapshot: its events are applied before they are fanned out,
    // so the snapshot holds at least every event up to it.
    let cursor = st.read_model.feed.head().to_string();
    let snap = st.read_model.snapshot();
    let key = (moment, format, kommune.clone(), day);
    let entry = match h.files.0.get(&key) {
        Some(e) => e,
        None => {
            let rows = offers(&snap, kommune.as_deref(), day);
            let made = match format {
                Format::GeoJson => serde_json::to_vec(&geojson_of(&rows, day, snap.version)).ok(),
                Format::Csv => csv_of(&rows).ok(),
                Format::Json => serde_json::to_vec(&Document {
                    attribution: ATTRIBUTION,
                    dato: day,
                    datavers: snap.version,
                    changes_cursor: cursor,
                    kommune: kommune.as_deref(),
                    tilbud: rows,
                })
                .ok(),
            };
            let Some(body) = made else {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "Der opstod en intern fejl.",
                );
            };
            let etag = format!("\"{:x}\"", Sha256::digest(&body));
            let e = Arc::new((Bytes::from(body), etag));
            h.files.0.insert(key, e.clone());
            e
        }
    };
    let (body, etag) = (&entry.0, &entry.1);
    let matches = super::page::not_modified(&headers, etag);
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body.clone()).into_response()
    };
    let hs = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        hs.insert(header::ETAG, v);
    }
    // Revalidate: a withdrawn agreement must not linger in caches (R12).
    hs.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, no-cache"),
    );
    if !matches {
        hs.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        );
        let name = format!(
            "attachment; filename=\"tilbud-{}-{day}.{}\"",
            kommune.as_deref().unwrap_or("alle"),
            format.extension()
        );
        if let Ok(v) = HeaderValue::from_str(&name) {
            hs.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    resp
}
