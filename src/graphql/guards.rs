//! Resolver guards over the access policy (`domain::access`): the checks that need nothing but
//! the viewer. Checks that need the item (own kommune, own enhed) run in the resolver, with the
//! same policy module.
use super::viewer;
use crate::domain::access::{self, Decision, Viewer};
use crate::error::AppError;
use async_graphql::{Context, Guard, Result};

/// A guard that asks one policy function about the viewer.
pub struct PolicyGuard {
    decide: fn(&Viewer) -> Decision,
    what: &'static str,
}

impl PolicyGuard {
    /// Administrators only (force-unlock, FRIPLEJEBOLIG, enheder and kommune admin, audit log).
    pub fn admin(what: &'static str) -> Self {
        PolicyGuard {
            decide: access::decide_admin,
            what,
        }
    }

    /// Users with an editor role (the agreement form's enhed search).
    pub fn editor(what: &'static str) -> Self {
        PolicyGuard {
            decide: access::decide_find_enheder,
            what,
        }
    }
}

impl Guard for PolicyGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        AppError::check((self.decide)(viewer(ctx)), self.what).map_err(Into::into)
    }
}
