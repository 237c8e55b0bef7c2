//! Logins under way and console sessions (issue 22), in the database so that every instance
//! sees them. Ids are stored as SHA-256 hashes: a copy of the database opens no session.
use super::entity::{login_attempt, session};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};

pub use login_attempt::Model as LoginAttempt;
pub use session::Model as Session;

/// Records a login under way; logins older than `stale` are cleared on the way.
pub async fn begin_login<C: ConnectionTrait>(
    db: &C,
    attempt: LoginAttempt,
    stale: DateTime<Utc>,
) -> Result<(), DbErr> {
    login_attempt::Entity::delete_many()
        .filter(login_attempt::Column::CreatedAt.lt(stale))
        .exec(db)
        .await?;
    attempt.into_active_model().insert(db).await?;
    Ok(())
}

/// Takes the login of a `state` hash: found and deleted by this call, or `None` (unknown, or
/// taken by a concurrent callback: the delete decides, so one callback wins).
pub async fn take_login<C: ConnectionTrait>(
    db: &C,
    state_hash: &str,
) -> Result<Option<LoginAttempt>, DbErr> {
    let Some(found) = login_attempt::Entity::find_by_id(state_hash.to_string())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let gone = login_attempt::Entity::delete_by_id(state_hash.to_string())
        .exec(db)
        .await?;
    Ok((gone.rows_affected == 1).then_some(found))
}

/// Stores a new session; sessions past their end are cleared on the way.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    s: Session,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    s.into_active_model().insert(db).await?;
    Ok(())
}

pub async fn find<C: ConnectionTrait>(db: &C, id_hash: &str) -> Result<Option<Session>, DbErr> {
    session::Entity::find_by_id(id_hash.to_string())
        .one(db)
        .await
}

/// Notes that the session was used (the idle timeout counts from here).
pub async fn touch<C: ConnectionTrait>(
    db: &C,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .filter(session::Column::IdHash.eq(id_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces the session's tokens and what they say of the user after a refresh, if the
/// refresh token is still the one that was used (another instance may have renewed first):
/// whether this call's renewal was stored.
pub async fn renew<C: ConnectionTrait>(
    db: &C,
    renewed: &Session,
    used_refresh_token: &str,
) -> Result<bool, DbErr> {
    let r = session::Entity::update_many()
        .col_expr(
            session::Column::Subject,
            Expr::value(renewed.subject.clone()),
        )
        .col_expr(session::Column::Name, Expr::value(renewed.name.clone()))
        .col_expr(session::Column::Cvr, Expr::value(renewed.cvr.clone()))
        .col_expr(session::Column::Roles, Expr::value(renewed.roles.clone()))
        .col_expr(
            session::Column::IdToken,
            Expr::value(renewed.id_token.clone()),
        )
        .col_expr(
            session::Column::RefreshToken,
            Expr::value(renewed.refresh_token.clone()),
        )
        .col_expr(
            session::Column::TokenExpiresAt,
            Expr::value(renewed.token_expires_at),
        )
        .filter(session::Column::IdHash.eq(renewed.id_hash.clone()))
        .filter(session::Column::RefreshToken.eq(used_refresh_token))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Ends a session (log out, or found expired).
pub async fn end<C: ConnectionTrait>(db: &C, id_hash: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(id_hash.to_string())
        .exec(db)
        .await?;
    Ok(())
}
