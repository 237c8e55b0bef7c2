//! Use cases of R31's photos: an upload (checked and re-encoded by `imaging`), and the list's
//! new order, alt texts and removals. Like the rest of the profile, under the enhed's lock by
//! its owner's redaktør or an administrator, audited, public at once.
use super::{check_revision, conflict, Change, Cx, Tx, RETRIES};
use crate::domain::access;
use crate::domain::profil::{self as rules, Foto};
use crate::domain::serviceleverance::FieldError;
use crate::error::{AppError, AppResult};
use crate::imaging::{self, Encoded};
use crate::store::audit::AuditEvent;
use crate::store::enhed::Enhed;
use crate::store::entity::enhed::ProfilJson;
use crate::store::{self};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const WHAT: &str = "Enheden";

/// One re-encoding at a time on the whole instance: an upload costs up to a second or two of
/// one core, and the search must keep the other (a semaphore by hand: tokio has no pool for
/// this, and `spawn_blocking`'s pool is unbounded).
static ENCODING: LazyLock<tokio::sync::Semaphore> =
    LazyLock::new(|| tokio::sync::Semaphore::new(1));

/// Why an upload failed before any use case ran: its content.
pub fn refusal(r: imaging::Refusal) -> AppError {
    AppError::Validation(vec![FieldError::new("fil", r.message())])
}

/// A photo's key: the hash of its enhed and its bytes, so that an enhed's photos are its own
/// (deleting one never takes another enhed's) and the address changes with the content.
fn key_of(enhed_id: &str, jpeg: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(enhed_id.as_bytes());
    h.update([0u8]);
    h.update(jpeg);
    h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

/// The enhed when `cx` may change its profile and holds its live lock (R19, R31).
async fn editable(cx: Cx<'_>, id: &str) -> AppResult<Enhed> {
    cx.require_login()?;
    let e = super::enhed::get(cx, id).await?;
    AppError::check(access::decide_enhed_edit(cx.v, &e.ejer_cvr, false), WHAT)?;
    super::serviceleverance::require_live_lock(super::enhed::lock_of(&e), cx.v, cx.now())?;
    Ok(e)
}

/// A photo change written: its audit entry (the enhed before and after) and the enhed's change
/// (read model, change feed), then the commit.
async fn finish(mut tx: Tx<'_>, action: &'static str, old: &Enhed, new: &Enhed) -> AppResult<()> {
    tx.audit(AuditEvent {
        action,
        entity_type: "Enhed",
        entity_id: &old.id,
        before: serde_json::to_value(old).ok(),
        after: serde_json::to_value(new).ok(),
    })
    .await?;
    tx.changed(Change::Enhed(old.id.clone()));
    tx.commit().await
}

/// R31: adds an uploaded photo with its alt text (required) to the enhed's, at most four.
pub async fn upload(cx: Cx<'_>, id: &str, alt: &str, bytes: Vec<u8>) -> AppResult<Foto> {
    let alt = rules::validate_alt(alt).map_err(|e| AppError::Validation(vec![e]))?;
    // Who and which enhed first: nobody without the lock makes the server decode anything.
    let e = editable(cx, id).await?;
    if !rules::takes_photos(crate::domain::serviceleverance::EnhedKind::parse(&e.kind)) {
        return Err(AppError::validation(
            "fil",
            "Billeder kan kun vises for plejeenheder; en helhedsplejeenhed beskriver sine ydelser og områder.",
        ));
    }
    if e.profil.fotos.len() >= rules::FOTOS_MAX {
        return Err(AppError::validation(
            "fil",
            format!(
                "Enheden har allerede {} billeder; fjern et, før du tilføjer et nyt.",
                rules::FOTOS_MAX
            ),
        ));
    }
    let permit = ENCODING
        .acquire()
        .await
        .map_err(|_| AppError::Internal("billedkøen er lukket".into()))?;
    let encoded: Result<Encoded, imaging::Refusal> =
        tokio::task::spawn_blocking(move || imaging::reencode(&bytes))
            .await
            .map_err(|e| AppError::Internal(format!("billedbehandlingen fejlede: {e}")))?;
    drop(permit);
    let encoded = encoded.map_err(refusal)?;
    let foto = Foto {
        hash: key_of(&e.id, &encoded.jpeg),
        alt,
        bredde: encoded.width,
        hoejde: encoded.height,
    };
    for _ in 0..RETRIES {
        let old = editable(cx, &e.id).await?;
        let mut profil = old.profil.0.clone();
        if !profil.fotos.iter().any(|f| f.hash == foto.hash) {
            profil.fotos.push(foto.clone());
        }
        let profil = rules::validate(profil, None, None).map_err(AppError::Validation)?;
        let now = cx.now();
        let new = Enhed {
            profil: ProfilJson(profil),
            updated_at: now,
            ..old.clone()
        };
        let tx = Tx::begin(cx).await?;
        store::foto::insert(
            tx.db(),
            store::foto::Foto {
                hash: foto.hash.clone(),
                enhed_id: old.id.clone(),
                mime: "image/jpeg".into(),
                bredde: i32::try_from(encoded.width).unwrap_or(i32::MAX),
                hoejde: i32::try_from(encoded.height).unwrap_or(i32::MAX),
                data: encoded.jpeg.clone(),
                created_at: now,
            },
        )
        .await?;
        let subject = cx.v.subject.as_deref().unwrap_or("");
        if !store::enhed::update(tx.db(), &new, subject, now, old.revision).await? {
            continue;
        }
        finish(tx, "uploadFoto", &old, &new).await?;
        return Ok(foto);
    }
    Err(conflict())
}

/// R31: the enhed's photos in a new order with new alt texts; those left out are removed (and
/// their bytes deleted: a photo taken down is not served any more).
pub async fn update(
    cx: Cx<'_>,
    id: &str,
    list: Vec<(String, String)>,
    expected: Option<i64>,
) -> AppResult<Enhed> {
    for _ in 0..RETRIES {
        let old = editable(cx, id).await?;
        check_revision(expected, old.revision)?;
        let mut fotos = Vec::new();
        for (url, alt) in &list {
            let Some(f) = old
                .profil
                .fotos
                .iter()
                .find(|f| rules::foto_path(&old.id, &f.hash) == *url || f.hash == *url)
            else {
                return Err(AppError::validation(
                    "fotos",
                    "Et af billederne hører ikke til enheden; hent enheden igen.",
                ));
            };
            if fotos.iter().any(|x: &Foto| x.hash == f.hash) {
                return Err(AppError::validation(
                    "fotos",
                    "Det samme billede er med to gange.",
                ));
            }
            let alt = rules::validate_alt(alt).map_err(|e| AppError::Validation(vec![e]))?;
            fotos.push(Foto { alt, ..f.clone() });
        }
        let removed: Vec<String> = old
            .profil
            .fotos
            .iter()
            .filter(|f| !fotos.iter().any(|x| x.hash == f.hash))
            .map(|f| f.hash.clone())
            .collect();
        let now = cx.now();
        let mut profil = old.profil.0.clone();
        profil.fotos = fotos;
        let new = Enhed {
            profil: ProfilJson(profil),
            updated_at: now,
            ..old.clone()
        };
        let tx = Tx::begin(cx).await?;
        let subject = cx.v.subject.as_deref().unwrap_or("");
        if !store::enhed::update(tx.db(), &new, subject, now, old.revision).await? {
            continue;
        }
        store::foto::delete(tx.db(), &old.id, &removed).await?;
        finish(tx, "updateFotos", &old, &new).await?;
        return super::enhed::get(cx, &old.id).await;
    }
    Err(conflict())
}

/// A photo's bytes, when the public may see it: it is among its enhed's photos in the read
/// model (so one removed on another instance is not served from a cache here either).
pub fn is_shown(cx: Cx<'_>, enhed_id: &str, hash: &str) -> bool {
    cx.st
        .read_model
        .snapshot()
        .enheder
        .get(enhed_id)
        .is_some_and(|e| e.profil.fotos.iter().any(|f| f.hash == hash))
}
