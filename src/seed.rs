//! Demo data: the 907 real plejecentre of the national register as plejeenheder, with
//! serviceleverancer that make the public search meaningful at once, plus a few clearly
//! fictional helhedsplejeenheder (marked `demo`) that reproduce the user guide's three examples
//! with real kommuner.
use crate::app::AppState;
use crate::domain::geo::LatLon;
use crate::domain::serviceleverance::{errors, EnhedFacts, EnhedKind, Fields, SlType};
use crate::domain::text::fold;
use crate::import::{self, ImportReport};
use crate::service::{Change, Cx, Tx};
use crate::store::audit::AuditEvent;
use crate::store::entity::enhed;
use crate::store::serviceleverance::{Actor, NewSl};
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;

pub const SEED_SUBJECT: &str = "demo-data";

/// A fictional helhedsplejeenhed of the demo set.
struct DemoHelhed {
    id: &'static str,
    navn: &'static str,
    ejer: Ejer,
    vejnavn: &'static str,
    postnummer: &'static str,
    by: &'static str,
    pos: (f64, f64),
    beskrivelse: &'static str,
}

enum Ejer {
    Kommune(&'static str),
    Firma(&'static str),
}

/// A demo agreement: (kommune kode, enhed id, type, beskrivelse, start offset in months from the
/// current month's first day).
struct DemoAftale {
    kommune: &'static str,
    enhed: &'static str,
    sl_type: SlType,
    beskrivelse: Option<&'static str>,
    start_months: i32,
}

pub const DE_VARME_HAENDER_CVR: &str = "90000001";
pub const SOLSTREJF_CVR: &str = "90000002";
pub const OMSORG_CVR: &str = "90000003";

const HELHED: &[DemoHelhed] = &[
    // Guide example 2 and 3: De varme hænder's branch lies in Lejre (the guide's "Vindblæst"),
    // Roskilde (the guide's "Korsbæk") has an agreement with it, Lejre has not.
    DemoHelhed {
        id: "demo-helhed-de-varme-haender-lejre",
        navn: "De varme hænder, afdeling Lejre (demo)",
        ejer: Ejer::Firma(DE_VARME_HAENDER_CVR),
        vejnavn: "Allerslev Bygade 10",
        postnummer: "4320",
        by: "Lejre",
        pos: (55.6010, 11.9750),
        beskrivelse: "Fiktiv demo-leverandør af helhedspleje.",
    },
    DemoHelhed {
        id: "demo-helhed-solstrejf-roskilde",
        navn: "Hjemmeplejen Solstrejf (demo)",
        ejer: Ejer::Firma(SOLSTREJF_CVR),
        vejnavn: "Algade 1",
        postnummer: "4000",
        by: "Roskilde",
        pos: (55.6415, 12.0803),
        beskrivelse: "Fiktiv demo-leverandør; beskrivelsen af aftalen med Roskilde mangler endnu.",
    },
    DemoHelhed {
        id: "demo-helhed-omsorg-greve",
        navn: "Omsorg & Nærvær, Greve (demo)",
        ejer: Ejer::Firma(OMSORG_CVR),
        vejnavn: "Greve Centervej 1",
        postnummer: "2670",
        by: "Greve",
        pos: (55.5830, 12.3000),
        beskrivelse: "Fiktiv demo-leverandør, der starter samarbejde med Roskilde næste måned.",
    },
    DemoHelhed {
        id: "demo-helhed-roskilde-kommune",
        navn: "Roskilde Kommunes Hjemmepleje (demo)",
        ejer: Ejer::Kommune("0265"),
        vejnavn: "Rådhusbuen 1",
        postnummer: "4000",
        by: "Roskilde",
        pos: (55.6400, 12.0800),
        beskrivelse: "Fiktiv kommunal hjemmepleje.",
    },
    DemoHelhed {
        id: "demo-helhed-aarhus-midtby",
        navn: "Aarhus Hjemmepleje Midtbyen (demo)",
        ejer: Ejer::Kommune("0751"),
        vejnavn: "Rådhuspladsen 2",
        postnummer: "8000",
        by: "Aarhus C",
        pos: (56.1530, 10.2030),
        beskrivelse: "Fiktiv kommunal hjemmepleje.",
    },
    DemoHelhed {
        id: "demo-helhed-de-varme-haender-aarhus",
        navn: "De varme hænder, afdeling Aarhus (demo)",
        ejer: Ejer::Firma(DE_VARME_HAENDER_CVR),
        vejnavn: "Søndergade 1",
        postnummer: "8000",
        by: "Aarhus C",
        pos: (56.1540, 10.2060),
        beskrivelse: "Fiktiv demo-leverandør af helhedspleje.",
    },
];

const AFTALER: &[DemoAftale] = &[
    DemoAftale {
        kommune: "0265",
        enhed: "demo-helhed-de-varme-haender-lejre",
        sl_type: SlType::Driftsoverenskomst,
        beskrivelse: Some(
            "Personlig pleje og praktisk hjælp alle ugens dage kl. 7-23. Fast kontaktperson.",
        ),
        start_months: -12,
    },
    DemoAftale {
        kommune: "0265",
        enhed: "demo-helhed-solstrejf-roskilde",
        sl_type: SlType::Driftsoverenskomst,
        beskrivelse: None,
        start_months: -6,
    },
    DemoAftale {
        kommune: "0265",
        enhed: "demo-helhed-omsorg-greve",
        sl_type: SlType::Driftsoverenskomst,
        beskrivelse: Some("Praktisk hjælp og indkøb; aftalen gælder fra næste måned."),
        start_months: 1,
    },
    DemoAftale {
        kommune: "0265",
        enhed: "demo-helhed-roskilde-kommune",
        sl_type: SlType::Myndighedsproduktion,
        beskrivelse: None,
        start_months: -24,
    },
    DemoAftale {
        kommune: "0751",
        enhed: "demo-helhed-aarhus-midtby",
        sl_type: SlType::Myndighedsproduktion,
        beskrivelse: None,
        start_months: -24,
    },
    DemoAftale {
        kommune: "0751",
        enhed: "demo-helhed-de-varme-haender-aarhus",
        sl_type: SlType::Driftsoverenskomst,
        beskrivelse: Some("Personlig pleje, praktisk hjælp og madservice i hele Aarhus Kommune."),
        start_months: -3,
    },
];

fn first_of_month(today: NaiveDate, offset: i32) -> NaiveDate {
    let months = today.year() * 12 + today.month0() as i32 + offset;
    NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(today)
}

/// Seeds the demo data into an empty database. Returns the loader's report.
pub async fn seed(state: &AppState) -> anyhow::Result<ImportReport> {
    let db = &state.db;
    let now = state.clock.now();
    let today = crate::domain::day::copenhagen_day(now);
    let kommune_cvr: HashMap<String, String> = crate::store::kommune::all(db)
        .await?
        .into_iter()
        .map(|k| (k.kode, k.cvr))
        .collect();
    let mut report = ImportReport::default();
    let rows = import::parse(import::PLEJECENTRE_CSV, &mut report);
    let items = import::convert(rows, &state.kommuner, &kommune_cvr, now, &mut report);
    let viewer = import::import_actor("seed");
    let mut tx = Tx::begin(Cx::new(state, &viewer))
        .await
        .map_err(|e| anyhow::anyhow!(e.message()))?;
    import::upsert(&mut tx, &items, &mut report, &viewer).await?;
    let mut created: Vec<(String, serde_json::Value)> = Vec::new();

    let actor = Actor {
        subject: SEED_SUBJECT,
        name: Some("Demodata"),
        cvr: None,
        roles: String::new(),
    };
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or(today);
    for it in &items {
        let m = &it.model;
        let (kommune, t) = match it.ownership.as_str() {
            "Kommunal" => (it.register_kommune.clone(), SlType::Myndighedsproduktion),
            "Selvejende" | "Privat" => (m.kommune_kode.clone(), SlType::Driftsoverenskomst),
            "Friplejebolig" => (m.kommune_kode.clone(), SlType::Friplejebolig),
            _ => continue,
        };
        let Some(kommune) = kommune else { continue };
        let fields = Fields {
            navn: m.navn.clone(),
            enhed_id: Some(m.id.clone()),
            aftaleidentifikation: None,
            sl_type: Some(t),
            beskrivelse: None,
            startdato: Some(start),
            slutdato: None,
        };
        let facts = EnhedFacts {
            kind: EnhedKind::Plejeenhed,
            ejer_cvr: m.ejer_cvr.clone(),
        };
        let has_errors = !errors(&fields, Some(&facts)).is_empty();
        let id = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("{kommune}/{}", m.id).as_bytes(),
        )
        .to_string();
        crate::store::serviceleverance::insert(
            tx.db(),
            NewSl {
                id: id.clone(),
                aftalepart_kode: kommune,
                fields: &fields,
                has_errors,
            },
            &actor,
            now,
        )
        .await?;
        created.push((id, serde_json::to_value(&fields)?));
    }

    for h in HELHED {
        let pos = LatLon::new(h.pos.0, h.pos.1);
        let kommune_kode = pos.and_then(|p| state.kommuner.at(p)).map(str::to_string);
        let ejer_cvr = match h.ejer {
            Ejer::Kommune(k) => kommune_cvr.get(k).cloned().unwrap_or_default(),
            Ejer::Firma(c) => c.to_string(),
        };
        let m = enhed::Model {
            kind: EnhedKind::Helhedsplejeenhed.as_str().into(),
            navn: h.navn.into(),
            navn_soeg: fold(h.navn),
            ejer_cvr,
            vejnavn: Some(h.vejnavn.into()),
            postnummer: Some(h.postnummer.into()),
            by: Some(h.by.into()),
            lat: Some(h.pos.0),
            lon: Some(h.pos.1),
            kommune_kode,
            beskrivelse: Some(h.beskrivelse.into()),
            telefon: Some("+45 00 00 00 00".into()),
            email: Some("demo@example.invalid".into()),
            demo: true,
            ..crate::store::enhed::blank(h.id.into(), now)
        };
        crate::store::enhed::insert(tx.db(), m).await?;
        tx.changed(Change::Enhed(h.id.into()));
    }
    for (n, a) in AFTALER.iter().enumerate() {
        let Some(h) = HELHED.iter().find(|h| h.id == a.enhed) else {
            continue;
        };
        let ejer_cvr = match h.ejer {
            Ejer::Kommune(k) => kommune_cvr.get(k).cloned().unwrap_or_default(),
            Ejer::Firma(c) => c.to_string(),
        };
        let fields = Fields {
            navn: format!(
                "{} – {}",
                h.navn,
                state.kommuner.navn(a.kommune).unwrap_or(a.kommune)
            ),
            enhed_id: Some(h.id.into()),
            aftaleidentifikation: Some(format!("DEMO-{}-{:03}", a.kommune, n + 1)),
            sl_type: Some(a.sl_type),
            beskrivelse: a.beskrivelse.map(str::to_string),
            startdato: Some(first_of_month(today, a.start_months)),
            slutdato: None,
        };
        let facts = EnhedFacts {
            kind: EnhedKind::Helhedsplejeenhed,
            ejer_cvr,
        };
        let has_errors = !errors(&fields, Some(&facts)).is_empty();
        let id = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("{}/{}", a.kommune, a.enhed).as_bytes(),
        )
        .to_string();
        crate::store::serviceleverance::insert(
            tx.db(),
            NewSl {
                id: id.clone(),
                aftalepart_kode: a.kommune.to_string(),
                fields: &fields,
                has_errors,
            },
            &actor,
            now,
        )
        .await?;
        created.push((id, serde_json::to_value(&fields)?));
    }
    let events: Vec<AuditEvent<'_>> = created
        .iter()
        .map(|(id, after)| AuditEvent {
            action: "seedServiceleverance",
            entity_type: "Serviceleverance",
            entity_id: id,
            before: None,
            after: Some(after.clone()),
        })
        .collect();
    tx.audit_many(&events)
        .await
        .map_err(|e| anyhow::anyhow!(e.message()))?;
    for (id, _) in &created {
        tx.changed(Change::Serviceleverance(id.clone()));
    }
    tx.commit()
        .await
        .map_err(|e| anyhow::anyhow!(e.message()))?;
    Ok(report)
}

/// `serve`'s demo data: into an empty database only (see `config::demo_data_on_start`).
pub async fn if_empty(state: &AppState) -> anyhow::Result<()> {
    if crate::store::enhed::count(&state.db).await? > 0 {
        return Ok(());
    }
    let report = seed(state).await?;
    tracing::info!(
        created = report.created,
        warnings = report.warnings.len(),
        "demodata indlæst (plejecentre fra Plejehjemsoversigten og fiktive helhedsplejeenheder)"
    );
    for w in &report.warnings {
        tracing::debug!("{w}");
    }
    Ok(())
}
