//! Downloads for staff (issue 20, R34): the audit log of a filter as CSV or JSON, streamed in
//! batches so any size works in bounded memory, and the agreements one may see as CSV for
//! reconciliation with a contract system. Same token as `/graphql` (`Authorization: Bearer`);
//! the use cases decide access (`service::audit`, `service::casework`). Every text cell goes
//! through `open_data::text_cell`, so a value a spreadsheet would run as a formula stays text.
use super::graphql::{authentication, query_pairs};
use super::open_data::text_cell;
use super::rate_limit::Authenticated;
use super::Http;
use crate::domain::day::{copenhagen_day, parse_date};
use crate::error::AppError;
use crate::service::{self, audit::Entry, Cx};
use async_graphql::futures_util::StreamExt;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::collections::HashMap;

/// An error as JSON in the GraphQL error shape, with the HTTP status of its kind.
/// The HTTP status of an error of the endpoints outside GraphQL (exports, photos, the login)
/// and of a request refused before it reaches GraphQL (its credentials).
pub(super) fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated(_) | AppError::SessionExpired(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) | AppError::CsrfRefused(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Validation(_) => StatusCode::BAD_REQUEST,
        AppError::Locked { .. } => StatusCode::LOCKED,
        AppError::NotLocked(_) | AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub(super) fn refused(e: AppError) -> Response {
    let status = status_of(&e);
    let g = e.into_graphql();
    let body =
        serde_json::json!({ "errors": [{ "message": g.message, "extensions": g.extensions }] });
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

/// A failure after the download started: logged, and the body ends unfinished.
fn broken(e: AppError) -> std::io::Error {
    tracing::warn!(code = e.code(), message = %e.message(), "eksporten blev afbrudt");
    std::io::Error::other("eksporten blev afbrudt")
}

fn download(content_type: &'static str, filename: String, body: Body) -> Response {
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// The query string as a map; a malformed one is refused.
fn params(q: Option<&str>) -> Result<HashMap<String, String>, AppError> {
    query_pairs(q.unwrap_or(""))
        .map(|p| p.into_iter().collect())
        .ok_or_else(|| AppError::validation("query", "Ugyldige parametre i adressen."))
}

fn day_param(
    p: &HashMap<String, String>,
    name: &'static str,
) -> Result<Option<chrono::NaiveDate>, AppError> {
    match p.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse_date(s)
            .map(Some)
            .map_err(|m| AppError::validation(name, format!("{name} skal være {m}."))),
    }
}

/// `GET /export/log.csv` and `/export/log.json`: the log of the filter `auditLog` takes
/// (entityType, entityId, actor, person, about, from, to), newest first, for administrators.
pub(super) async fn log(
    State(h): State<Http>,
    Path(file): Path<String>,
    pre: Option<Extension<Authenticated>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let json = match file.as_str() {
        "log.csv" => false,
        "log.json" => true,
        _ => {
            return refused(AppError::NotFound(
                "Filen findes ikke. Brug /export/log.csv, /export/log.json eller /export/serviceleverancer.csv.".into(),
            ))
        }
    };
    let auth = authentication(&h, &headers, pre.map(|Extension(a)| a), &Method::GET).await;
    let v = match auth.0.as_ref() {
        Ok(v) => v.clone(),
        Err(e) => return refused(e.clone()),
    };
    if let Err(e) = service::audit::allowed(&v) {
        return refused(e);
    }
    let p = match params(q.as_deref()) {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    let text = |k: &str| p.get(k).cloned();
    let query = match (day_param(&p, "from"), day_param(&p, "to")) {
        (Ok(from), Ok(to)) => service::audit::LogQuery {
            entity_type: text("entityType"),
            entity_id: text("entityId"),
            actor: text("actor"),
            person: text("person"),
            about: text("about"),
            from,
            to,
        },
        (Err(e), _) | (_, Err(e)) => return refused(e),
    };
    let filter = match service::audit::filter_of(&h.state, query).await {
        Ok(f) => f,
        Err(e) => return refused(e),
    };
    let today = copenhagen_day(h.state.clock.now());
    let batches = service::audit::export(h.state.clone(), filter);
    if json {
        // A JSON array written entry by entry: `[`, the entries with commas between, `]`.
        let mut first = true;
        let body = async_stream::stream! {
            yield Ok::<Bytes, std::io::Error>(Bytes::from_static(b"["));
            let mut batches = std::pin::pin!(batches);
            while let Some(b) = batches.next().await {
                let entries = match b {
                    Ok(e) => e,
                    Err(e) => {
                        // Ends the body unfinished: the download fails rather than looking whole.
                        yield Err(broken(e));
                        return;
                    }
                };
                let mut out = Vec::new();
                for e in &entries {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    out.extend(json_entry(e).to_string().into_bytes());
                    out.push(b'\n');
                }
                yield Ok(Bytes::from(out));
            }
            yield Ok(Bytes::from_static(b"]\n"));
        };
        download(
            "application/json; charset=utf-8",
            format!("log-{today}.json"),
            Body::from_stream(body),
        )
    } else {
        let body = async_stream::stream! {
            yield csv_bytes(&[LOG_HEADER.map(String::from).to_vec()]).map_err(broken);
            let mut batches = std::pin::pin!(batches);
            while let Some(b) = batches.next().await {
                match b {
                    Ok(entries) => {
                        let rows: Vec<Vec<String>> = entries.iter().map(csv_entry).collect();
                        yield csv_bytes(&rows).map_err(broken);
                    }
                    Err(e) => {
                        yield Err(broken(e));
                        return;
                    }
                }
            }
        };
        download(
            "text/csv; charset=utf-8",
            format!("log-{today}.csv"),
            Body::from_stream(body),
        )
    }
}

const LOG_HEADER: [&str; 13] = [
    "id",
    "tidspunkt",
    "navn",
    "subject",
    "cvr",
    "roller",
    "handling",
    "elementtype",
    "elementId",
    "elementnavn",
    "aendringer",
    "foer",
    "efter",
];

/// What changed in one line: "Startdato: 1. januar 2027 → 1. februar 2027; Navn: – → Egehjem".
fn changes_line(e: &Entry) -> String {
    e.changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} → {}",
                c.label,
                c.before.as_deref().unwrap_or("–"),
                c.after.as_deref().unwrap_or("–")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn csv_entry(e: &Entry) -> Vec<String> {
    let r = &e.row;
    vec![
        r.id.to_string(),
        r.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        r.actor_name.clone().unwrap_or_default(),
        r.actor_subject.clone(),
        r.actor_cvr.clone().unwrap_or_default(),
        r.actor_roles.clone(),
        r.action.clone(),
        r.entity_type.clone(),
        r.entity_id.clone(),
        e.element.clone().unwrap_or_default(),
        changes_line(e),
        r.before.clone().unwrap_or_default(),
        r.after.clone().unwrap_or_default(),
    ]
}

fn json_entry(e: &Entry) -> serde_json::Value {
    let r = &e.row;
    let parsed = |s: &Option<String>| {
        s.as_deref()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
    };
    serde_json::json!({
        "id": r.id,
        "at": r.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "actorSubject": r.actor_subject,
        "actorName": r.actor_name,
        "actorCvr": r.actor_cvr,
        "actorRoles": r.actor_roles,
        "action": r.action,
        "entityType": r.entity_type,
        "entityId": r.entity_id,
        "elementNavn": e.element,
        "changes": e.changes,
        "before": parsed(&r.before),
        "after": parsed(&r.after),
    })
}

/// Rows as CSV, every cell safe from being run as a formula.
fn csv_bytes(rows: &[Vec<String>]) -> Result<Bytes, AppError> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    for row in rows {
        w.write_record(row.iter().map(|c| text_cell(c).into_owned()))
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    w.into_inner()
        .map(Bytes::from)
        .map_err(|e| AppError::Internal(e.to_string()))
}

const SL_HEADER: [&str; 15] = [
    "id",
    "navn",
    "aftaleidentifikation",
    "kommunekode",
    "kommune",
    "enhedId",
    "enhed",
    "type",
    "startdato",
    "slutdato",
    "status",
    "fejlOgAdvarsler",
    "version",
    "laastAf",
    "sidstGemt",
];

/// `GET /export/serviceleverancer.csv`: every agreement the caller may see (R26), for
/// reconciliation with the kommune's contract system: ids, dates, type, whether it is shown in
/// the public search and why not, issues, version and lock.
pub(super) async fn serviceleverancer(
    State(h): State<Http>,
    pre: Option<Extension<Authenticated>>,
    headers: HeaderMap,
) -> Response {
    let auth = authentication(&h, &headers, pre.map(|Extension(a)| a), &Method::GET).await;
    let v = match auth.0.as_ref() {
        Ok(v) => v.clone(),
        Err(e) => return refused(e.clone()),
    };
    let cx = Cx::new(&h.state, &v);
    let all = match service::casework::assessed(cx).await {
        Ok(a) => a,
        Err(e) => return refused(e),
    };
    let now = h.state.clock.now();
    let mut rows = vec![SL_HEADER.map(String::from).to_vec()];
    for a in &all {
        let r = &a.row;
        let lock = crate::domain::lock::active(service::serviceleverance::lock_of(r), now);
        rows.push(vec![
            r.id.clone(),
            r.navn.clone(),
            r.aftaleidentifikation.clone().unwrap_or_default(),
            r.aftalepart_kode.clone(),
            h.state
                .kommuner
                .navn(&r.aftalepart_kode)
                .map(crate::domain::kommune::official_name)
                .unwrap_or_default(),
            r.enhed_id.clone().unwrap_or_default(),
            a.enhed.as_ref().map(|e| e.navn.clone()).unwrap_or_default(),
            r.r#type
                .as_deref()
                .and_then(crate::domain::diff::code_in_words)
                .unwrap_or_default()
                .to_string(),
            r.startdato.map(|d| d.to_string()).unwrap_or_default(),
            r.slutdato.map(|d| d.to_string()).unwrap_or_default(),
            a.not_public
                .clone()
                .unwrap_or_else(|| "Vises i søgningen.".into()),
            a.issues
                .iter()
                .map(|i| i.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            r.version.to_string(),
            lock.map(|l| l.name.unwrap_or(l.subject))
                .unwrap_or_default(),
            r.updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ]);
    }
    match csv_bytes(&rows) {
        Ok(b) => download(
            "text/csv; charset=utf-8",
            format!("serviceleverancer-{}.csv", copenhagen_day(now)),
            Body::from(b),
        ),
        Err(e) => refused(e),
    }
}
