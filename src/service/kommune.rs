//! Use cases of kommuner: the administrator sets a kommune's CVR number (R19).
use super::{Change, Cx, Tx};
use crate::domain::access;
use crate::error::{AppError, AppResult};
use crate::store::audit::AuditEvent;
use crate::store::kommune::Kommune;
use crate::store::{self};

/// Set a kommune's CVR (R19). A CVR another kommune already has is CONFLICT; any other database
/// failure is what it is (UNAVAILABLE when the database is down).
pub async fn set_cvr(cx: Cx<'_>, kode: &str, cvr: &str) -> AppResult<Kommune> {
    AppError::check(access::decide_admin(cx.v), "Kommunen")?;
    let cvr = cvr.trim();
    if !crate::domain::enhed::is_cvr(cvr) {
        return Err(AppError::validation(
            "cvr",
            "CVR-nummeret skal være 8 cifre.",
        ));
    }
    let k = cx
        .st
        .kommuner
        .resolve(kode)
        .ok_or_else(|| AppError::not_found("Kommunen"))?
        .to_string();
    let before = store::kommune::by_kode(&cx.st.db, &k).await?.map(|x| x.cvr);
    let mut tx = Tx::begin(cx).await?;
    let updated = match store::kommune::set_cvr(tx.db(), &k, cvr).await {
        Ok(u) => u,
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            return Err(AppError::Conflict(
                "CVR-nummeret bruges allerede af en anden kommune.".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let updated = updated.ok_or_else(|| AppError::not_found("Kommunen"))?;
    tx.audit(AuditEvent {
        action: "setKommuneCvr",
        entity_type: "Kommune",
        entity_id: &k,
        before: before.map(|c| serde_json::json!({ "cvr": c })),
        after: Some(serde_json::json!({ "cvr": updated.cvr })),
    })
    .await?;
    tx.changed(Change::Kommune(k));
    tx.commit().await?;
    Ok(updated)
}
