//! R31's photos over HTTP: `PUT /enhed/{id}/fotos?alt=…` uploads one (the body is the file,
//! `Authorization: Bearer` the lock holder's token, as for `/graphql`), `GET /foto/{id}/{hash}.jpg`
//! serves one. The address changes with the content, so a photo is cached for a year and
//! revalidated with a 304; the bytes are kept in memory after their first request.
use super::export::refused;
use super::graphql::{authentication, query_pairs};
use super::rate_limit::Authenticated;
use super::Http;
use crate::error::AppError;
use crate::imaging::MAX_BYTES;
use crate::service::{self, Cx};
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use quick_cache::sync::Cache;
use quick_cache::{OptionsBuilder, Weighter};
use std::sync::LazyLock;

#[derive(Clone)]
struct ByLength;

impl Weighter<String, Bytes> for ByLength {
    fn weight(&self, key: &String, v: &Bytes) -> u64 {
        (key.len() + v.len() + 128) as u64
    }
}

/// Up to 64 MB of photos in memory (some 300 photos of 200 KB), by their content key: what a
/// key names never changes, so an entry is never stale; whether it is still shown is asked of
/// the read model on every request.
static PHOTOS: LazyLock<Option<Cache<String, Bytes, ByLength>>> = LazyLock::new(|| {
    let opts = OptionsBuilder::new()
        .estimated_items_capacity(512)
        .weight_capacity(64 << 20)
        .build()
        .ok()?;
    Some(Cache::with_options(
        opts,
        ByLength,
        Default::default(),
        Default::default(),
    ))
});

fn etag(hash: &str) -> String {
    format!("\"{hash}\"")
}

/// `GET /foto/{enhed}/{hash}.jpg`.
pub(super) async fn get(
    State(h): State<Http>,
    Path((enhed, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let not_found = || refused(AppError::not_found("Billedet"));
    let Some(hash) = file.strip_suffix(".jpg") else {
        return not_found();
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return not_found();
    }
    let anonymous = crate::domain::access::Viewer::anonymous();
    if !service::foto::is_shown(Cx::new(&h.state, &anonymous), &enhed, hash) {
        return not_found();
    }
    let tag = etag(hash);
    let fresh = super::page::not_modified(&headers, &tag);
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let bytes = match PHOTOS.as_ref().and_then(|c| c.get(hash)) {
            Some(b) => b,
            None => match crate::store::foto::by_hash(&h.state.db, hash).await {
                Ok(Some(f)) if f.enhed_id == enhed => {
                    let b = Bytes::from(f.data);
                    if let Some(c) = PHOTOS.as_ref() {
                        c.insert(hash.to_string(), b.clone());
                    }
                    b
                }
                Ok(_) => return not_found(),
                Err(e) => return refused(AppError::from(e)),
            },
        };
        let mut r = Response::new(Body::from(bytes));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
        r
    };
    let hs = r.headers_mut();
    hs.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(&tag) {
        hs.insert(header::ETAG, v);
    }
    r
}

/// Reads the upload's body up to `MAX_BYTES` (a larger one is refused without reading it all).
async fn body_of(body: Body) -> Result<Vec<u8>, Response> {
    use http_body_util::BodyExt;
    match http_body_util::Limited::new(body, MAX_BYTES)
        .collect()
        .await
    {
        Ok(c) => Ok(c.to_bytes().to_vec()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            let g = AppError::validation(
                "fil",
                format!(
                    "Billedet er for stort; filen må højst være {} MB.",
                    MAX_BYTES >> 20
                ),
            );
            let mut r = refused(g);
            *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            Err(r)
        }
        Err(_) => Err(refused(AppError::validation(
            "fil",
            "Filen kunne ikke modtages; prøv igen.",
        ))),
    }
}

/// `PUT /enhed/{id}/fotos?alt=…`: the body is the photo (JPEG, PNG or WebP by content).
pub(super) async fn upload(
    State(h): State<Http>,
    Path(id): Path<String>,
    pre: Option<Extension<Authenticated>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Body,
) -> Response {
    let auth = authentication(&h, &headers, pre.map(|Extension(a)| a), &Method::PUT).await;
    let v = match auth.0.as_ref() {
        Ok(v) => v.clone(),
        Err(e) => return refused(e.clone()),
    };
    let alt = query_pairs(q.as_deref().unwrap_or(""))
        .and_then(|p| p.into_iter().find(|(k, _)| k == "alt").map(|(_, v)| v))
        .unwrap_or_default();
    let bytes = match body_of(body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let not_an_image = crate::imaging::sniff(&bytes).is_none();
    let key = crate::graphql::node::enhed_key(&id);
    match service::foto::upload(Cx::new(&h.state, &v), &key, &alt, bytes).await {
        Ok(f) => {
            let body = serde_json::json!({
                "url": crate::domain::profil::foto_path(&key, &f.hash),
                "alt": f.alt,
                "bredde": f.bredde,
                "hoejde": f.hoejde,
            });
            let mut r = (StatusCode::CREATED, body.to_string()).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            r
        }
        Err(e) => {
            let unsupported = not_an_image
                && matches!(&e, AppError::Validation(f) if f.iter().any(|f| f.field == "fil"));
            let mut r = refused(e);
            if unsupported {
                *r.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
            }
            r
        }
    }
}
