//! R16: every mutation of the schema leaves an audit entry with who did what to which item. The
//! list of mutations is read from `schema.graphql`, so a new mutation without a check here fails.
use crate::db_test;
use crate::helpers::*;
use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const PROVIDER: &str = "90000001";

/// The mutations of the committed schema.
fn schema_mutations() -> BTreeSet<String> {
    let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql");
    let doc = async_graphql::parser::parse_schema(&sdl).expect("SDL");
    let mut out = BTreeSet::new();
    for d in doc.definitions {
        if let TypeSystemDefinition::Type(t) = d {
            if t.node.name.node.as_str() != "Mutation" {
                continue;
            }
            if let TypeKind::Object(o) = &t.node.kind {
                out.extend(o.fields.iter().map(|f| f.node.name.node.to_string()));
            }
        }
    }
    assert!(!out.is_empty(), "schema.graphql has mutations");
    out
}

/// One mutation call and the audit entry it must leave.
struct Call {
    mutation: &'static str,
    subject: &'static str,
    entity_type: &'static str,
    entity_id: String,
}

db_test!(
    /// R16 for every mutation: each call below succeeds, and the audit log has an entry for it,
    /// in order, with the mutation as action, the caller as actor and the item it changed.
    every_mutation_is_audited_r16,
    |app: TestApp| async move {
        let roskilde = kommune_cvr(ROSKILDE);
        let anne = app.token(Role::Driftsoverenskomstansvarlig, &roskilde, "anne");
        let bo = app.token(Role::Driftsoverenskomstansvarlig, &roskilde, "bo");
        let rikke = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let rasmus = app.token(Role::Redaktoer, PROVIDER, "rasmus");
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let mut calls: Vec<Call> = Vec::new();
        let run = |mutation: &'static str, subject: &'static str, token: &str, q: &str, vars: Value| {
            let app = &app;
            let (token, q) = (token.to_string(), q.to_string());
            async move {
                let d = app.ok(Some(&token), &q, vars).await;
                assert!(!d[mutation].is_null(), "{mutation}: {d}");
                (mutation, subject, d)
            }
        };
        let mut note = |(mutation, subject, _): (&'static str, &'static str, Value), entity_type: &'static str, entity_id: &str| {
            calls.push(Call { mutation, subject, entity_type, entity_id: entity_id.to_string() });
        };

        // Enheder (R19): create, lock, a colleague takes over, saves and checks in.
        let r = run("createEnhed", "admin", &admin, "mutation($i: EnhedInput!) { createEnhed(input: $i) { enhedId } }",
            json!({ "i": { "kind": "HELHEDSPLEJEENHED", "navn": "Revideret Enhed", "ejerCvr": PROVIDER, "lat": 55.64, "lon": 12.08 } })).await;
        let enhed = r.2["createEnhed"]["enhedId"].as_str().expect("enhedId").to_string();
        note(r, "Enhed", &enhed);
        let e = json!({ "id": enhed });
        let r = run("lockEnhed", "rikke", &rikke, "mutation($id: String!) { lockEnhed(id: $id) { id } }", e.clone()).await;
        note(r, "Enhed", &enhed);
        let r = run("takeOverEnhedLock", "rasmus", &rasmus, "mutation($id: String!) { takeOverEnhedLock(id: $id) { id } }", e.clone()).await;
        note(r, "Enhed", &enhed);
        let r = run("updateEnhed", "rasmus", &rasmus, "mutation($id: String!, $i: EnhedInput!) { updateEnhed(id: $id, input: $i) { id } }",
            json!({ "id": enhed, "i": { "beskrivelse": "Helhedspleje døgnet rundt" } })).await;
        note(r, "Enhed", &enhed);
        let r = run("checkInEnhed", "rasmus", &rasmus, "mutation($id: String!) { checkInEnhed(id: $id) { id } }", e.clone()).await;
        note(r, "Enhed", &enhed);

        // R31's photos: rikke holds the lock again (a plejeenhed), uploads one (its own audit
        // entry, checked in tests/api/foto.rs) and removes it.
        let pleje = create_enhed(&app, "PLEJEENHED", "Fotohjemmet", PROVIDER, 55.64, 12.08).await;
        let d = app.ok(None, "query($id: String!) { enhed(id: $id) { enhedId } }", json!({ "id": pleje })).await;
        let pleje_id = d["enhed"]["enhedId"].as_str().expect("id").to_string();
        let r = run("lockEnhed", "rikke", &rikke, "mutation($id: String!) { lockEnhed(id: $id) { id } }", json!({ "id": pleje })).await;
        note(r, "Enhed", &pleje_id);
        let r = run("updateFotos", "rikke", &rikke, "mutation($id: String!) { updateFotos(enhedId: $id, fotos: []) { id } }", json!({ "id": pleje })).await;
        note(r, "Enhed", &pleje_id);

        // R32: the administrator assigns an ældretilsyn its area; it registers a tilsyn, gives a
        // påbud and lifts it.
        let tove = app.token(Role::Aeldretilsyn, "29190925", "tove");
        let r = run("setTilsynOmraade", "admin", &admin, "mutation { setTilsynOmraade(cvr: \"29190925\", kommuner: [\"0265\"]) }", json!({})).await;
        note(r, "Aeldretilsyn", "29190925");
        let r = run("registerTilsyn", "tove", &tove, "mutation($id: String!) { registerTilsyn(enhedId: $id, input: { dato: \"2026-06-01\", vurdering: \"God\", sammenfatning: \"Fint.\" }) { dato } }", json!({ "id": pleje })).await;
        note(r, "Enhed", &pleje_id);
        let r = run("givePaabudForbud", "tove", &tove, "mutation($id: String!) { givePaabudForbud(enhedId: $id, input: { type: PAABUD, tekst: \"Ret det\", givet: \"2026-06-01\" }) { id } }", json!({ "id": pleje })).await;
        let sid = r.2["givePaabudForbud"]["id"].as_str().expect("id").to_string();
        note(r, "Enhed", &pleje_id);
        let r = run("liftPaabudForbud", "tove", &tove, "mutation($id: String!) { liftPaabudForbud(id: $id, ophaevet: \"2026-06-10\") { id } }", json!({ "id": sid })).await;
        note(r, "Enhed", &pleje_id);

        // Kommuner (R19).
        let r = run("setKommuneCvr", "admin", &admin, "mutation { setKommuneCvr(kode: \"0751\", cvr: \"11111111\") { kode } }", json!({})).await;
        note(r, "Kommune", AARHUS);

        // Serviceleverancer: the whole life of one agreement.
        let r = run("createServiceleverance", "anne", &anne, "mutation($i: CreateServiceleveranceInput!) { createServiceleverance(input: $i) { id } }",
            json!({ "i": { "navn": "Revideret aftale", "enhedId": enhed, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01" } })).await;
        let id = r.2["createServiceleverance"]["id"].as_str().expect("id").to_string();
        note(r, "Serviceleverance", &id);
        let v = json!({ "id": id });
        let lock = "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }";
        let r = run("lockServiceleverance", "anne", &anne, lock, v.clone()).await;
        note(r, "Serviceleverance", &id);
        let r = run("takeOverServiceleveranceLock", "bo", &bo, "mutation($id: ID!) { takeOverServiceleveranceLock(id: $id) { id } }", v.clone()).await;
        note(r, "Serviceleverance", &id);
        let r = run("updateServiceleverance", "bo", &bo, "mutation($id: ID!, $i: UpdateServiceleveranceInput!) { updateServiceleverance(id: $id, input: $i) { id } }",
            json!({ "id": id, "i": { "aftaleidentifikation": "R-16" } })).await;
        note(r, "Serviceleverance", &id);
        let r = run("checkInServiceleverance", "bo", &bo, "mutation($id: ID!) { checkInServiceleverance(id: $id, kommentar: \"Revideret\") { id } }", v.clone()).await;
        note(r, "Serviceleverance", &id);
        let r = run("lockServiceleverance", "rikke", &rikke, lock, v.clone()).await;
        note(r, "Serviceleverance", &id);
        let r = run("setBeskrivelse", "rikke", &rikke, "mutation($id: ID!) { setBeskrivelse(id: $id, beskrivelse: \"Pleje og praktisk hjælp\") { id } }", v.clone()).await;
        note(r, "Serviceleverance", &id);
        let r = run("forceUnlockServiceleverance", "admin", &admin, "mutation($id: ID!) { forceUnlockServiceleverance(id: $id) { id } }", v.clone()).await;
        note(r, "Serviceleverance", &id);
        let r = run("lockServiceleverance", "anne", &anne, lock, v.clone()).await;
        note(r, "Serviceleverance", &id);
        let r = run("restoreServiceleveranceVersion", "anne", &anne, "mutation($id: ID!) { restoreServiceleveranceVersion(id: $id, nummer: 1) { id } }", v.clone()).await;
        note(r, "Serviceleverance", &id);
        let r = run("deleteServiceleverance", "anne", &anne, "mutation($id: ID!) { deleteServiceleverance(id: $id) }", v.clone()).await;
        note(r, "Serviceleverance", &id);

        // Every mutation of the schema was called (and nothing that is not one).
        let called: BTreeSet<String> = calls.iter().map(|c| c.mutation.to_string()).collect();
        assert_eq!(called, schema_mutations(), "a mutation of schema.graphql without an audit check here (or a check of a mutation that is gone)");

        // The log, oldest first; each call finds its entry after the previous call's.
        let d = app
            .ok(Some(&admin), "{ auditLog(first: 100) { totalCount edges { node { action actorSubject actorRoles entityType entityId } } } }", json!({}))
            .await;
        let mut log: Vec<Value> = d["auditLog"]["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect();
        assert_eq!(d["auditLog"]["totalCount"].as_u64(), Some(log.len() as u64), "one page holds the whole log");
        log.reverse();
        let mut at = 0;
        for c in &calls {
            let found = log[at..].iter().position(|e| {
                e["action"] == c.mutation && e["actorSubject"] == c.subject && e["entityType"] == c.entity_type && e["entityId"] == c.entity_id.as_str()
            });
            let Some(i) = found else {
                panic!("[{:?}] no audit entry for {} by {} on {} {} (after entry {at}): {log:#?}", app.db_kind, c.mutation, c.subject, c.entity_type, c.entity_id);
            };
            assert!(!log[at + i]["actorRoles"].as_str().unwrap_or("").is_empty(), "roles of {}", c.mutation);
            at += i + 1;
        }
    }
);
