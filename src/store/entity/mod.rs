//! sea-orm entities: one per table. They are storage shapes, not API types.
pub mod audit_log;
pub mod change_log;
pub mod enhed;
pub mod foto;
pub mod kommune;
pub mod login_attempt;
pub mod public_offer;
pub mod sanktion;
pub mod serviceleverance;
pub mod serviceleverance_version;
pub mod session;
pub mod tilsyn;
pub mod tilsyn_omraade;
