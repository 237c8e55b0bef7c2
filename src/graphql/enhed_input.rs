//! Turning an `EnhedInput` into an enhed: validation of the fields (R17; the contact data by
//! `domain::enhed`) and the kommune derived from the location with the boundaries.
use super::mutation::EnhedInput;
use crate::app::AppState;
use crate::domain::enhed as enhed_rules;
use crate::domain::geo::LatLon;
use crate::domain::serviceleverance::{validate_long_text, validate_short_text, FieldError};
use crate::domain::text::fold;
use crate::error::AppError;
use crate::store::enhed::Enhed;
use async_graphql::MaybeUndefined;
use chrono::{DateTime, Utc};

fn upd<T: Clone>(v: MaybeUndefined<T>, cur: Option<T>) -> Option<T> {
    match v {
        MaybeUndefined::Undefined => cur,
        MaybeUndefined::Null => None,
        MaybeUndefined::Value(x) => Some(x),
    }
}

/// Applies an admin/redaktør input to an enhed (or a new one), validating it and deriving the
/// kommune from the location (R17).
pub fn apply_input(
    st: &AppState,
    old: Option<Enhed>,
    i: EnhedInput,
    now: DateTime<Utc>,
) -> Result<Enhed, AppError> {
    let mut errs: Vec<FieldError> = Vec::new();
    let mut short = |field: &'static str,
                     label: &str,
                     v: MaybeUndefined<String>,
                     cur: Option<String>|
     -> Option<String> {
        match v {
            MaybeUndefined::Undefined => cur,
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(s) => validate_short_text(field, label, Some(&s))
                .map_err(|e| errs.push(e))
                .ok()
                .flatten(),
        }
    };
    let o = old.clone();
    let navn_in = i
        .navn
        .or(o.as_ref().map(|x| x.navn.clone()))
        .unwrap_or_default();
    let vejnavn = short(
        "vejnavn",
        "Vejnavn",
        i.vejnavn,
        o.as_ref().and_then(|x| x.vejnavn.clone()),
    );
    let postnummer = short(
        "postnummer",
        "Postnummer",
        i.postnummer,
        o.as_ref().and_then(|x| x.postnummer.clone()),
    );
    let by = short("by", "By", i.by, o.as_ref().and_then(|x| x.by.clone()));
    let sor_kode = short(
        "sorKode",
        "SOR-kode",
        i.sor_kode,
        o.as_ref().and_then(|x| x.sor_kode.clone()),
    );
    let mut contact = |v: MaybeUndefined<String>,
                       cur: Option<String>,
                       rule: fn(Option<&str>) -> Result<Option<String>, FieldError>|
     -> Option<String> {
        match v {
            MaybeUndefined::Undefined => cur,
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(s) => rule(Some(&s)).map_err(|e| errs.push(e)).ok().flatten(),
        }
    };
    let telefon = contact(
        i.telefon,
        o.as_ref().and_then(|x| x.telefon.clone()),
        enhed_rules::validate_telefon,
    );
    let email = contact(
        i.email,
        o.as_ref().and_then(|x| x.email.clone()),
        enhed_rules::validate_email,
    );
    let web = contact(
        i.web,
        o.as_ref().and_then(|x| x.web.clone()),
        enhed_rules::validate_web,
    );
    let beskrivelse = match i.beskrivelse {
        MaybeUndefined::Undefined => o.as_ref().and_then(|x| x.beskrivelse.clone()),
        MaybeUndefined::Null => None,
        MaybeUndefined::Value(s) => validate_long_text("beskrivelse", "Beskrivelse", Some(&s))
            .map_err(|e| errs.push(e))
            .ok()
            .flatten(),
    };
    let navn = crate::domain::serviceleverance::validate_navn(&navn_in)
        .map_err(|e| errs.push(e))
        .unwrap_or_default();
    let kind = i
        .kind
        .map(|k| k.as_str().to_string())
        .or(o.as_ref().map(|x| x.kind.clone()));
    if kind.is_none() {
        errs.push(FieldError::new(
            "kind",
            "Vælg om enheden er en plejeenhed eller en helhedsplejeenhed.",
        ));
    }
    let ejer_cvr = i
        .ejer_cvr
        .map(|c| c.trim().to_string())
        .or(o.as_ref().map(|x| x.ejer_cvr.clone()))
        .unwrap_or_default();
    if !crate::auth::is_cvr(&ejer_cvr) {
        errs.push(FieldError::new(
            "ejerCvr",
            "Ejerens CVR-nummer skal være 8 cifre.",
        ));
    }
    if let Some(p) = &postnummer {
        if !(p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit())) {
            errs.push(FieldError::new(
                "postnummer",
                "Postnummeret skal være 4 cifre.",
            ));
        }
    }
    let lat = upd(i.lat, o.as_ref().and_then(|x| x.lat));
    let lon = upd(i.lon, o.as_ref().and_then(|x| x.lon));
    let pos = match (lat, lon) {
        (Some(a), Some(b)) => match LatLon::new(a, b) {
            Some(p) => Some(p),
            None => {
                errs.push(FieldError::new(
                    "lat",
                    "Placeringen skal være gyldige WGS84-koordinater.",
                ));
                None
            }
        },
        (None, None) => None,
        _ => {
            errs.push(FieldError::new(
                "lon",
                "Angiv både lat og lon, eller ingen af dem.",
            ));
            None
        }
    };
    let given_kommune = match i.kommune_kode {
        MaybeUndefined::Value(k) => match st.kommuner.resolve(&k) {
            Some(k) => Some(k.to_string()),
            None => {
                errs.push(FieldError::new("kommuneKode", "Kommunen findes ikke."));
                None
            }
        },
        MaybeUndefined::Null => None,
        MaybeUndefined::Undefined => o.as_ref().and_then(|x| x.kommune_kode.clone()),
    };
    let kommune_kode = pos
        .and_then(|p| st.kommuner.at(p))
        .map(str::to_string)
        .or(given_kommune);
    let boligtype = upd(
        i.boligtype.map_value(|b| b.as_str().to_string()),
        o.as_ref().and_then(|x| x.boligtype.clone()),
    );
    let antal_boliger = upd(i.antal_boliger, o.as_ref().and_then(|x| x.antal_boliger));
    if antal_boliger.is_some_and(|n| !(0..=100_000).contains(&n)) {
        errs.push(FieldError::new(
            "antalBoliger",
            "Antal boliger skal være mellem 0 og 100000.",
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let base =
        old.unwrap_or_else(|| crate::store::enhed::blank(uuid::Uuid::new_v4().to_string(), now));
    Ok(Enhed {
        kind: kind.unwrap_or_default(),
        navn_soeg: fold(&navn),
        navn,
        ejer_cvr,
        sor_kode,
        vejnavn,
        postnummer,
        by,
        lat: pos.map(|p| p.lat),
        lon: pos.map(|p| p.lon),
        kommune_kode,
        beskrivelse,
        telefon,
        email,
        web,
        boligtype,
        antal_boliger,
        updated_at: now,
        ..base
    })
}
