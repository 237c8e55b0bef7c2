//! Issue 9: writes never lose an acknowledged change. Real concurrent requests on SQLite and
//! PostgreSQL; each test names the defect and the rule.
use crate::db_test;
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use std::sync::Arc;

const PROVIDER: &str = "90000001";
const LOCK: &str = "mutation($id: ID!) { lockServiceleverance(id: $id) { id revision } }";
const UPDATE: &str = "mutation($id: ID!, $i: UpdateServiceleveranceInput!, $r: Int) { updateServiceleverance(id: $id, input: $i, expectedRevision: $r) { id navn aftaleidentifikation revision } }";
const CHECK_IN: &str = "mutation($id: ID!, $r: Int) { checkInServiceleverance(id: $id, expectedRevision: $r) { id version revision } }";
const VERSIONS: &str = "query($id: ID!) { serviceleverance(id: $id) { navn version versions { nummer snapshot { navn beskrivelse } } } }";
const LOCK_ENHED: &str = "mutation($id: String!) { lockEnhed(id: $id) { id revision } }";
const UPDATE_ENHED: &str = "mutation($id: String!, $i: EnhedInput!, $r: Int) { updateEnhed(id: $id, input: $i, expectedRevision: $r) { navn kontakt { telefon email } revision } }";

fn code(v: &Value) -> Option<String> {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_string)
}

async fn new_agreement(app: &TestApp, token: &str) -> String {
    create_serviceleverance(app, token, json!({ "navn": "Aftale" })).await
}

db_test!(
    /// Defect 1 (R13): the lock holder's save and check-in race; when both are acknowledged, the
    /// version's snapshot contains the save. Before the fix most rounds lost it.
    check_in_snapshot_never_misses_an_acknowledged_save_r13,
    |app: TestApp| async move {
        let t = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let id = new_agreement(&app, &t).await;
        let app = Arc::new(app);
        let (mut both, mut save_refused) = (0, 0);
        for round in 0..25 {
            app.ok(Some(&t), LOCK, json!({ "id": id })).await;
            let navn = format!("Runde {round}");
            let (a, b) = (app.clone(), app.clone());
            let (ta, tb) = (t.clone(), t.clone());
            let (ida, idb) = (id.clone(), id.clone());
            let n = navn.clone();
            let save = tokio::spawn(async move {
                a.gql(Some(&ta), UPDATE, json!({ "id": ida, "i": { "navn": n } })).await
            });
            let check_in = tokio::spawn(async move {
                b.gql(Some(&tb), CHECK_IN, json!({ "id": idb })).await
            });
            let (s, c) = (save.await.expect("join"), check_in.await.expect("join"));
            assert!(code(&c).is_none(), "check-in refused: {c}");
            let d = app.ok(Some(&t), VERSIONS, json!({ "id": id })).await;
            let latest = &d["serviceleverance"]["versions"][0];
            match code(&s) {
                None => {
                    both += 1;
                    assert_eq!(latest["snapshot"]["navn"], navn, "round {round}: acknowledged save missing from version {latest}");
                }
                Some(c) => {
                    // Refused because the check-in came first: nothing was saved.
                    assert_eq!(c, "NOT_LOCKED", "{s}");
                    save_refused += 1;
                    assert_ne!(d["serviceleverance"]["navn"], navn);
                }
            }
        }
        assert_eq!(both + save_refused, 25);
    }
);

db_test!(
    /// Defect 2 (R19, R12): one lock discipline for enheder. An administrator's change while the
    /// redaktør holds the lock is refused (LOCKED), not silently lost; two saves of the same
    /// holder (two tabs) racing on different fields both land. Before the fix one of two
    /// acknowledged changes was lost in most rounds.
    update_enhed_loses_nothing_r19,
    |app: TestApp| async move {
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let red = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let id = create_enhed(&app, "PLEJEENHED", "Solgården", PROVIDER, 55.64, 12.08).await;
        app.ok(Some(&red), LOCK_ENHED, json!({ "id": id })).await;
        let app = Arc::new(app);
        for round in 0..15 {
            let (a, b, c) = (app.clone(), app.clone(), app.clone());
            let (adm, r1, r2) = (admin.clone(), red.clone(), red.clone());
            let (i1, i2, i3) = (id.clone(), id.clone(), id.clone());
            let tel = format!("+45 11 22 33 {round:02}");
            let mail = format!("r{round}@solgaarden.dk");
            let (tel2, mail2) = (tel.clone(), mail.clone());
            let x = tokio::spawn(async move { a.gql(Some(&adm), UPDATE_ENHED, json!({ "id": i1, "i": { "navn": format!("Admin {round}") } })).await });
            let y = tokio::spawn(async move { b.gql(Some(&r1), UPDATE_ENHED, json!({ "id": i2, "i": { "telefon": tel2 } })).await });
            let z = tokio::spawn(async move { c.gql(Some(&r2), UPDATE_ENHED, json!({ "id": i3, "i": { "email": mail2 } })).await });
            let (x, y, z) = (x.await.expect("join"), y.await.expect("join"), z.await.expect("join"));
            assert_eq!(code(&x).as_deref(), Some("LOCKED"), "the administrator respects the lock: {x}");
            assert!(code(&y).is_none() && code(&z).is_none(), "{y} {z}");
            let d = app.ok(None, "query($id: String!) { enhed(id: $id) { navn kontakt { telefon email } } }", json!({ "id": id })).await;
            assert_eq!(d["enhed"]["navn"], "Solgården");
            assert_eq!(d["enhed"]["kontakt"]["telefon"], tel, "round {round}");
            assert_eq!(d["enhed"]["kontakt"]["email"], mail, "round {round}");
        }
    }
);

db_test!(
    /// Two tabs of the same lock holder: saves carry the revision they read
    /// (`expectedRevision`); a stale one is CONFLICT with a Danish message and changes nothing.
    expected_revision_refuses_stale_saves,
    |app: TestApp| async move {
        let t = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let id = new_agreement(&app, &t).await;
        let d = app.ok(Some(&t), LOCK, json!({ "id": id })).await;
        let r0 = d["lockServiceleverance"]["revision"].as_i64().expect("revision");
        let d = app.ok(Some(&t), UPDATE, json!({ "id": id, "i": { "navn": "Fane 1" }, "r": r0 })).await;
        let r1 = d["updateServiceleverance"]["revision"].as_i64().expect("revision");
        assert_eq!(r1, r0 + 1);
        let e = app.err(Some(&t), UPDATE, json!({ "id": id, "i": { "aftaleidentifikation": "Fane 2" }, "r": r0 }), "CONFLICT").await;
        assert!(e["message"].as_str().unwrap_or("").contains("ændret"), "{e}");
        let e = app.err(Some(&t), CHECK_IN, json!({ "id": id, "r": r0 }), "CONFLICT").await;
        assert!(e["message"].is_string());
        let d = app.ok(Some(&t), CHECK_IN, json!({ "id": id, "r": r1 })).await;
        assert_eq!(d["checkInServiceleverance"]["version"], 2);
        let d = app.ok(Some(&t), VERSIONS, json!({ "id": id })).await;
        assert_eq!(d["serviceleverance"]["navn"], "Fane 1");
        assert_eq!(d["serviceleverance"]["versions"][0]["snapshot"]["navn"], "Fane 1");
        // Without expectedRevision, racing saves of one holder on different fields both land.
        app.ok(Some(&t), LOCK, json!({ "id": id })).await;
        let app = Arc::new(app);
        for round in 0..10 {
            let (a, b) = (app.clone(), app.clone());
            let (ta, tb, ia, ib) = (t.clone(), t.clone(), id.clone(), id.clone());
            let x = tokio::spawn(async move { a.gql(Some(&ta), UPDATE, json!({ "id": ia, "i": { "navn": format!("N{round}") } })).await });
            let y = tokio::spawn(async move { b.gql(Some(&tb), UPDATE, json!({ "id": ib, "i": { "aftaleidentifikation": format!("A{round}") } })).await });
            let (x, y) = (x.await.expect("join"), y.await.expect("join"));
            assert!(code(&x).is_none() && code(&y).is_none(), "{x} {y}");
            let d = app.ok(Some(&t), "query($id: ID!) { serviceleverance(id: $id) { navn aftaleidentifikation } }", json!({ "id": id })).await;
            assert_eq!(d["serviceleverance"]["navn"], format!("N{round}"));
            assert_eq!(d["serviceleverance"]["aftaleidentifikation"], format!("A{round}"));
        }
    }
);

db_test!(
    /// R14: a colleague with the same role and organisation takes over the lock; the former
    /// holder's next save is LOCKED; the audit log names the former holder. Another kommune,
    /// or the provider's redaktør, may not take it over.
    colleagues_take_over_locks_r14,
    |app: TestApp| async move {
        let k = kommune_cvr(ROSKILDE);
        let anne = app.token(Role::Driftsoverenskomstansvarlig, &k, "anne");
        let bo = app.token(Role::Driftsoverenskomstansvarlig, &k, "bo");
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let id = new_agreement(&app, &anne).await;
        app.ok(Some(&anne), LOCK, json!({ "id": id })).await;
        app.err(Some(&bo), LOCK, json!({ "id": id }), "LOCKED").await;
        let take = "mutation($id: ID!) { takeOverServiceleveranceLock(id: $id) { laas { subject } } }";
        let d = app.ok(Some(&bo), take, json!({ "id": id })).await;
        assert_eq!(d["takeOverServiceleveranceLock"]["laas"]["subject"], "bo");
        let e = app.err(Some(&anne), UPDATE, json!({ "id": id, "i": { "navn": "Annes" } }), "LOCKED").await;
        assert!(e["message"].as_str().unwrap_or("").contains("bo"), "{e}");
        app.ok(Some(&bo), UPDATE, json!({ "id": id, "i": { "navn": "Bos" } })).await;
        let d = app
            .ok(Some(&admin), "query($id: String) { auditLog(entityId: $id, entityType: \"Serviceleverance\") { edges { node { action actorSubject before } } } }", json!({ "id": id }))
            .await;
        let entry = d["auditLog"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| &e["node"])
            .find(|n| n["action"] == "takeOverServiceleveranceLock")
            .cloned()
            .expect("take-over in the audit log");
        assert_eq!(entry["actorSubject"], "bo");
        assert!(entry["before"].to_string().contains("anne"), "{entry}");
        // Not a colleague: another kommune gets NOT_FOUND (R26), the provider FORBIDDEN.
        let lejre = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(LEJRE), "lejre");
        app.err(Some(&lejre), take, json!({ "id": id }), "NOT_FOUND").await;
        let enhed = create_enhed(&app, "PLEJEENHED", "Solgården", PROVIDER, 55.64, 12.08).await;
        app.ok(Some(&bo), UPDATE, json!({ "id": id, "i": { "enhedId": enhed } })).await;
        let red = app.token(Role::Redaktoer, PROVIDER, "rikke");
        app.err(Some(&red), take, json!({ "id": id }), "FORBIDDEN").await;
        // Enheder: the same for the provider's redaktører.
        let red2 = app.token(Role::Redaktoer, PROVIDER, "rasmus");
        app.ok(Some(&red), LOCK_ENHED, json!({ "id": enhed })).await;
        let d = app.ok(Some(&red2), "mutation($id: String!) { takeOverEnhedLock(id: $id) { id } }", json!({ "id": enhed })).await;
        assert!(d["takeOverEnhedLock"]["id"].is_string());
        app.err(Some(&red), UPDATE_ENHED, json!({ "id": enhed, "i": { "telefon": "12345678" } }), "LOCKED").await;
        app.ok(Some(&red2), UPDATE_ENHED, json!({ "id": enhed, "i": { "telefon": "12345678" } })).await;
    }
);

db_test!(
    /// Defect 3 (R15 with R4): a kommune user restoring an old version cannot wipe the provider's
    /// beskrivelse; fields the caller may not write keep their current values.
    restore_keeps_fields_the_caller_may_not_write_r15_r4,
    |app: TestApp| async move {
        let anne = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let red = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let enhed = create_enhed(&app, "HELHEDSPLEJEENHED", "De varme hænder", PROVIDER, 55.64, 12.08).await;
        let d = app.ok(Some(&anne), "mutation($e: String) { createServiceleverance(input: {navn: \"Aftale\", enhedId: $e, type: DRIFTSOVERENSKOMST, startdato: \"2026-01-01\"}) { id } }", json!({ "e": enhed })).await;
        let id = d["createServiceleverance"]["id"].as_str().expect("id").to_string();
        app.ok(Some(&red), LOCK, json!({ "id": id })).await;
        app.ok(Some(&red), "mutation($id: ID!) { setBeskrivelse(id: $id, beskrivelse: \"Vi kommer hjem til dig\") { id } }", json!({ "id": id })).await;
        app.ok(Some(&red), CHECK_IN, json!({ "id": id })).await;
        let d = app.ok(Some(&anne), "query($id: ID!) { serviceleverance(id: $id) { isPublic } }", json!({ "id": id })).await;
        assert_eq!(d["serviceleverance"]["isPublic"], true);
        app.ok(Some(&anne), LOCK, json!({ "id": id })).await;
        app.ok(Some(&anne), UPDATE, json!({ "id": id, "i": { "navn": "Aftale 2" } })).await;
        let d = app.ok(Some(&anne), "mutation($id: ID!) { restoreServiceleveranceVersion(id: $id, nummer: 1) { navn beskrivelse isPublic } }", json!({ "id": id })).await;
        let r = &d["restoreServiceleveranceVersion"];
        assert_eq!(r["navn"], "Aftale", "the kommune's own fields are restored");
        assert_eq!(r["beskrivelse"], "Vi kommer hjem til dig", "R4: the provider's beskrivelse is kept");
        assert_eq!(r["isPublic"], true, "still in the public search");
    }
);

db_test!(
    /// Defect 6 (R1): a kommune user naming its own kommune as aftalepart is fine; another is
    /// FORBIDDEN. `navn: null` is refused (required), not silently ignored.
    own_kommune_as_aftalepart_and_null_navn_r1_r2,
    |app: TestApp| async move {
        let anne = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let q = "mutation($k: String) { createServiceleverance(input: {navn: \"x\", aftalepartKode: $k}) { id aftalepart { kode } } }";
        let d = app.ok(Some(&anne), q, json!({ "k": ROSKILDE })).await;
        assert_eq!(d["createServiceleverance"]["aftalepart"]["kode"], ROSKILDE);
        let d = app.ok(Some(&anne), q, json!({ "k": "Roskilde" })).await;
        assert_eq!(d["createServiceleverance"]["aftalepart"]["kode"], ROSKILDE);
        app.err(Some(&anne), q, json!({ "k": LEJRE }), "FORBIDDEN").await;
        let id = d["createServiceleverance"]["id"].as_str().expect("id").to_string();
        app.ok(Some(&anne), LOCK, json!({ "id": id })).await;
        let e = app.err(Some(&anne), UPDATE, json!({ "id": id, "i": { "navn": null } }), "VALIDATION").await;
        assert_eq!(e["extensions"]["fields"], json!(["navn"]));
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let enhed = create_enhed(&app, "PLEJEENHED", "Solgården", PROVIDER, 55.64, 12.08).await;
        app.ok(Some(&admin), LOCK_ENHED, json!({ "id": enhed })).await;
        let e = app.err(Some(&admin), UPDATE_ENHED, json!({ "id": enhed, "i": { "navn": null } }), "VALIDATION").await;
        assert_eq!(e["extensions"]["fields"], json!(["navn"]));
    }
);

db_test!(
    /// Defect 7 (R24): admin lists sort Æ, Ø, Å after Z, like the public search.
    admin_lists_in_danish_order_r24,
    |app: TestApp| async move {
        let anne = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        for navn in ["Æblegården", "Birkely", "Åhuset", "Østergården", "Aalykke", "Zinnia"] {
            app.ok(Some(&anne), "mutation($n: String!) { createServiceleverance(input: {navn: $n}) { id } }", json!({ "n": navn })).await;
        }
        let d = app.ok(Some(&anne), "{ serviceleverancer(first: 10) { nodes { navn } } }", json!({})).await;
        let names: Vec<&str> = d["serviceleverancer"]["nodes"].as_array().expect("nodes").iter().map(|n| n["navn"].as_str().expect("navn")).collect();
        assert_eq!(names, vec!["Aalykke", "Birkely", "Zinnia", "Æblegården", "Østergården", "Åhuset"]);
    }
);

db_test!(
    /// Defect 5 (R16): the CSV import leaves an audit entry for every enhed it creates or
    /// changes, in the same transaction.
    csv_import_is_audited_r16,
    |app: TestApp| async move {
        let text = plejeoverblik::import::PLEJECENTRE_CSV;
        let report = plejeoverblik::import::import_text(&app.state, text).await.expect("import");
        assert!(report.created > 800, "{}", report.created);
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let d = app.ok(Some(&admin), "{ auditLog(entityType: \"Enhed\", first: 1) { totalCount edges { node { action actorSubject } } } }", json!({})).await;
        assert_eq!(d["auditLog"]["totalCount"].as_u64(), Some(report.created as u64));
        assert_eq!(d["auditLog"]["edges"][0]["node"]["action"], "importEnhed");
        assert_eq!(d["auditLog"]["edges"][0]["node"]["actorSubject"], "system:import");
        // Importing again changes nothing and records nothing.
        let again = plejeoverblik::import::import_text(&app.state, text).await.expect("import");
        assert_eq!(again.created + again.updated, 0);
        let d = app.ok(Some(&admin), "{ auditLog(entityType: \"Enhed\", first: 1) { totalCount } }", json!({})).await;
        assert_eq!(d["auditLog"]["totalCount"].as_u64(), Some(report.created as u64));
    }
);
