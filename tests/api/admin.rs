//! Editing agreements (R1-R19, R25-R27), over HTTP with tokens, on both databases.
use crate::db_test;
use crate::helpers::*;
use chrono::Duration;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};

const SL_FIELDS: &str = "id navn type beskrivelse startdato slutdato version isPublic notPublicReason aftaleidentifikation
  aftalepart { kode } enhed { id } laas { subject navn since until } issues { field severity code message }";

fn q_get() -> String {
    format!("query($id: ID!) {{ serviceleverance(id: $id) {{ {SL_FIELDS} versionCount versions {{ nummer author kommentar snapshot {{ navn type startdato }} }} }} }}")
}
fn m_lock() -> String {
    format!("mutation($id: ID!) {{ lockServiceleverance(id: $id) {{ {SL_FIELDS} }} }}")
}
fn m_update() -> String {
    format!("mutation($id: ID!, $i: UpdateServiceleveranceInput!) {{ updateServiceleverance(id: $id, input: $i) {{ {SL_FIELDS} }} }}")
}
fn m_checkin() -> String {
    format!("mutation($id: ID!, $k: String) {{ checkInServiceleverance(id: $id, kommentar: $k) {{ {SL_FIELDS} }} }}")
}
fn m_create() -> String {
    format!("mutation($i: CreateServiceleveranceInput!) {{ createServiceleverance(input: $i) {{ {SL_FIELDS} }} }}")
}
const M_BESKRIVELSE: &str = "mutation($id: ID!, $b: String) { setBeskrivelse(id: $id, beskrivelse: $b) { id isPublic beskrivelse } }";

fn codes(sl: &Value) -> Vec<String> {
    sl["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| i["code"].as_str().expect("code").to_string())
        .collect()
}

const PROVIDER: &str = "90000001";

struct People {
    kommune: String,
    colleague: String,
    other_kommune: String,
    redaktoer: String,
    other_redaktoer: String,
    admin: String,
}

fn people(app: &TestApp) -> People {
    let k = kommune_cvr(ROSKILDE);
    People {
        kommune: app.token(Role::Driftsoverenskomstansvarlig, &k, "anne"),
        colleague: app.token(Role::Driftsoverenskomstansvarlig, &k, "bo"),
        other_kommune: app.token(
            Role::Driftsoverenskomstansvarlig,
            &kommune_cvr(LEJRE),
            "lejre-user",
        ),
        redaktoer: app.token(Role::Redaktoer, PROVIDER, "rikke"),
        other_redaktoer: app.token(Role::Redaktoer, "90000009", "ole"),
        admin: app.token(Role::Administrator, ADMIN_CVR, "admin"),
    }
}

db_test!(
    /// The whole flow of the user guide (R1, R2, R4, R10-R13, R26).
    guide_flow_create_lock_fill_checkin_beskrivelse,
    |app: TestApp| async move {
        let p = people(&app);
        let branch = create_enhed(&app, "HELHEDSPLEJEENHED", "De varme hænder, Lejre", PROVIDER, 55.6010, 11.9750).await;
        // R1/R2/R13: created half-filled, version 1, unlocked, aftalepart from the token's CVR.
        let d = app.ok(Some(&p.kommune), &m_create(), json!({ "i": { "navn": "  Aftale med De varme hænder  " } })).await;
        let sl = d["createServiceleverance"].clone();
        let id = sl["id"].as_str().expect("id").to_string();
        assert_eq!(sl["navn"], "Aftale med De varme hænder");
        assert_eq!(sl["aftalepart"]["kode"], ROSKILDE);
        assert_eq!(sl["version"], 1);
        assert!(sl["laas"].is_null());
        assert_eq!(codes(&sl), vec!["MANGLER_ENHED", "MANGLER_TYPE", "MANGLER_STARTDATO"]);
        assert_eq!(sl["isPublic"], false);

        // R11: lock; a colleague is refused with who and since when.
        let d = app.ok(Some(&p.kommune), &m_lock(), json!({ "id": id })).await;
        assert_eq!(d["lockServiceleverance"]["laas"]["subject"], "anne");
        let e = app.err(Some(&p.colleague), &m_lock(), json!({ "id": id }), "LOCKED").await;
        assert!(e["message"].as_str().expect("msg").contains("anne"));
        assert!(e["extensions"]["lockedSince"].is_string());
        // R12: the colleague cannot save either.
        app.err(Some(&p.colleague), &m_update(), json!({ "id": id, "i": { "navn": "x" } }), "LOCKED").await;

        // Fill it in: the issues disappear except the provider's beskrivelse (R4).
        let d = app
            .ok(
                Some(&p.kommune),
                &m_update(),
                json!({ "id": id, "i": { "enhedId": branch, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01", "aftaleidentifikation": "K-2026-17" } }),
            )
            .await;
        let sl = &d["updateServiceleverance"];
        // R33: Roskilde has no public helhedspleje provider yet, so its citizens lack a choice.
        assert_eq!(codes(sl), vec!["MANGLER_BESKRIVELSE", "FRIT_VALG"]);
        assert_eq!(sl["isPublic"], false);
        // R4: the kommune sees beskrivelse read-only.
        app.err(Some(&p.kommune), M_BESKRIVELSE, json!({ "id": id, "b": "x" }), "FORBIDDEN").await;

        // R13: check in -> version 2, unlocked.
        let d = app.ok(Some(&p.kommune), &m_checkin(), json!({ "id": id, "k": "Udfyldt" })).await;
        assert_eq!(d["checkInServiceleverance"]["version"], 2);
        assert!(d["checkInServiceleverance"]["laas"].is_null());
        let d = app.ok(Some(&p.kommune), &q_get(), json!({ "id": id })).await;
        let s = &d["serviceleverance"];
        assert_eq!(s["versionCount"], 2);
        let nums: Vec<i64> = s["versions"].as_array().expect("versions").iter().map(|v| v["nummer"].as_i64().expect("n")).collect();
        assert_eq!(nums, vec![2, 1], "newest first (R15)");
        assert_eq!(s["versions"][0]["kommentar"], "Udfyldt");
        assert_eq!(s["versions"][0]["snapshot"]["type"], "DRIFTSOVERENSKOMST");
        assert_eq!(s["versions"][1]["snapshot"]["type"], Value::Null);

        // The provider's redaktør fills in the beskrivelse; the agreement becomes public.
        app.ok(Some(&p.redaktoer), &m_lock(), json!({ "id": id })).await;
        let d = app.ok(Some(&p.redaktoer), M_BESKRIVELSE, json!({ "id": id, "b": "Pleje og praktisk hjælp alle dage" })).await;
        assert_eq!(d["setBeskrivelse"]["isPublic"], true);
        // R12: saved = published at once, before check-in.
        let s = app.ok(None, "{ search(kommune: \"0265\") { totalCount edges { serviceleverance { beskrivelse } } } }", json!({})).await;
        assert_eq!(s["search"]["totalCount"], 1);
        assert_eq!(s["search"]["edges"][0]["serviceleverance"]["beskrivelse"], "Pleje og praktisk hjælp alle dage");
        // The redaktør may not change the kommune's fields.
        app.err(Some(&p.redaktoer), &m_update(), json!({ "id": id, "i": { "navn": "x" } }), "FORBIDDEN").await;
        let d = app.ok(Some(&p.redaktoer), &m_checkin(), json!({ "id": id })).await;
        assert_eq!(d["checkInServiceleverance"]["version"], 3);

        // R26: nobody sees or touches another kommune's agreements: NOT_FOUND, not FORBIDDEN.
        app.err(Some(&p.other_kommune), &q_get(), json!({ "id": id }), "NOT_FOUND").await;
        app.err(Some(&p.other_kommune), &m_lock(), json!({ "id": id }), "NOT_FOUND").await;
        app.err(Some(&p.other_redaktoer), &q_get(), json!({ "id": id }), "NOT_FOUND").await;
        let d = app.ok(Some(&p.other_kommune), "{ serviceleverancer { totalCount } }", json!({})).await;
        assert_eq!(d["serviceleverancer"]["totalCount"], 0);
        let d = app.ok(Some(&p.redaktoer), "{ serviceleverancer { totalCount edges { node { id } } } }", json!({})).await;
        assert_eq!(d["serviceleverancer"]["totalCount"], 1);
        let d = app.ok(Some(&p.admin), "{ serviceleverancer { totalCount } }", json!({})).await;
        assert_eq!(d["serviceleverancer"]["totalCount"], 1);
        app.err(None, &q_get(), json!({ "id": id }), "UNAUTHENTICATED").await;
    }
);

db_test!(
    /// R2, R3, R5: refusals name the field; R3: FRIPLEJEBOLIG only for administrators.
    validation_r2_r3_r5,
    |app: TestApp| async move {
        let p = people(&app);
        let e = app.err(Some(&p.kommune), &m_create(), json!({ "i": { "navn": "   " } }), "VALIDATION").await;
        assert_eq!(e["extensions"]["fields"], json!(["navn"]));
        app.err(Some(&p.kommune), &m_create(), json!({ "i": { "navn": "æ".repeat(201) } }), "VALIDATION").await;
        let d = app.ok(Some(&p.kommune), &m_create(), json!({ "i": { "navn": "Ærø Ølby Åhus" } })).await;
        assert_eq!(d["createServiceleverance"]["navn"], "Ærø Ølby Åhus");
        let e = app.err(Some(&p.kommune), &m_create(), json!({ "i": { "navn": "Fri", "type": "FRIPLEJEBOLIG" } }), "VALIDATION").await;
        assert_eq!(e["extensions"]["fields"], json!(["type"]));
        assert!(e["message"].as_str().expect("msg").contains("administrator"));
        let e = app
            .err(Some(&p.kommune), &m_create(), json!({ "i": { "navn": "Datoer", "startdato": "2026-05-02", "slutdato": "2026-05-01" } }), "VALIDATION")
            .await;
        assert_eq!(e["extensions"]["fields"], json!(["slutdato"]));
        // Same on update.
        let id = d["createServiceleverance"]["id"].as_str().expect("id").to_string();
        app.ok(Some(&p.kommune), &m_lock(), json!({ "id": id })).await;
        app.err(Some(&p.kommune), &m_update(), json!({ "id": id, "i": { "startdato": "2026-05-02", "slutdato": "2026-05-01" } }), "VALIDATION").await;
        app.err(Some(&p.kommune), &m_update(), json!({ "id": id, "i": { "type": "FRIPLEJEBOLIG" } }), "VALIDATION").await;
        app.err(Some(&p.kommune), &m_update(), json!({ "id": id, "i": { "enhedId": "findes-ikke" } }), "VALIDATION").await;
        app.err(Some(&p.kommune), &m_update(), json!({ "id": id, "i": { "navn": "nul\u{0}byte" } }), "VALIDATION").await;
        // Nothing was saved by the refused updates.
        let d = app.ok(Some(&p.kommune), &q_get(), json!({ "id": id })).await;
        assert_eq!(d["serviceleverance"]["navn"], "Ærø Ølby Åhus");
        assert!(d["serviceleverance"]["startdato"].is_null());
        // Administrators may set FRIPLEJEBOLIG, with an aftalepart.
        let d = app.ok(Some(&p.admin), &m_create(), json!({ "i": { "navn": "Fri", "type": "FRIPLEJEBOLIG", "aftalepartKode": "0265" } })).await;
        assert_eq!(d["createServiceleverance"]["type"], "FRIPLEJEBOLIG");
        // A redaktør cannot create.
        app.err(Some(&p.redaktoer), &m_create(), json!({ "i": { "navn": "x" } }), "FORBIDDEN").await;
    }
);

db_test!(
    /// R4: beskrivelse only where it applies; R12: saving needs the lock.
    beskrivelse_applicability_r4_and_lock_required_r12,
    |app: TestApp| async move {
        let p = people(&app);
        let pleje = create_enhed(&app, "PLEJEENHED", "Plejehjemmet", PROVIDER, 55.64, 12.08).await;
        let id = create_agreement(&app, ROSKILDE, &pleje, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        app.ok(Some(&p.redaktoer), &m_lock(), json!({ "id": id })).await;
        let e = app.err(Some(&p.redaktoer), M_BESKRIVELSE, json!({ "id": id, "b": "x" }), "VALIDATION").await;
        assert_eq!(e["extensions"]["fields"], json!(["beskrivelse"]));
        app.ok(Some(&p.redaktoer), &m_checkin(), json!({ "id": id })).await;
        // R12: without the lock.
        let e = app.err(Some(&p.kommune), &m_update(), json!({ "id": id, "i": { "navn": "Ny" } }), "NOT_LOCKED").await;
        assert_eq!(e["message"], "Du skal låse dette element, før du kan rette i det.");
        app.err(Some(&p.kommune), &m_checkin(), json!({ "id": id }), "NOT_LOCKED").await;
    }
);

db_test!(
    /// R14, R28: a lock lives while its holder's editor renews it (the heartbeat is the holder
    /// locking again), expires 15 minutes after the last renewal, and never outlives 8 hours
    /// from when it was taken; administrators force-unlock.
    lock_expiry_and_force_unlock_r14,
    |app: TestApp| async move {
        let p = people(&app);
        let id = create_agreement(&app, ROSKILDE, &create_enhed(&app, "PLEJEENHED", "X", PROVIDER, 55.64, 12.08).await, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        let time = |v: &Value, k: &str| chrono::DateTime::parse_from_rfc3339(v[k].as_str().expect("time")).expect("time");
        let lock_q = "mutation($id: ID!) { lockServiceleverance(id: $id) { laas { subject since until editingNow lastSeen } } }";
        let d = app.ok(Some(&p.kommune), lock_q, json!({ "id": id })).await;
        let l = d["lockServiceleverance"]["laas"].clone();
        let since = time(&l, "since");
        assert_eq!(time(&l, "until") - since, Duration::minutes(15), "R28: 15 minutes without a heartbeat");
        assert_eq!(l["editingNow"], true);
        // The editor's heartbeat 10 minutes later: since stays, the expiry moves.
        app.set_now(default_now() + Duration::minutes(10));
        let d = app.ok(Some(&p.kommune), lock_q, json!({ "id": id })).await;
        let l2 = d["lockServiceleverance"]["laas"].clone();
        assert_eq!(time(&l2, "since"), since);
        assert_eq!(time(&l2, "until") - since, Duration::minutes(25));
        // Away: a colleague sees since when, and is refused until the lock has lapsed.
        app.set_now(default_now() + Duration::minutes(20));
        let d = app.ok(Some(&p.colleague), "query($id: ID!) { serviceleverance(id: $id) { laas { editingNow lastSeen } } }", json!({ "id": id })).await;
        assert_eq!(d["serviceleverance"]["laas"]["editingNow"], false, "away for 10 minutes");
        assert_eq!(time(&d["serviceleverance"]["laas"], "lastSeen") - since, Duration::minutes(10));
        app.err(Some(&p.colleague), &m_lock(), json!({ "id": id }), "LOCKED").await;
        app.set_now(default_now() + Duration::minutes(26));
        let d = app.ok(Some(&p.colleague), &m_lock(), json!({ "id": id })).await;
        assert_eq!(d["lockServiceleverance"]["laas"]["subject"], "bo");
        // The ceiling: heartbeats every 10 minutes keep Bo's lock, but not past 8 hours.
        let taken = default_now() + Duration::minutes(26);
        let mut t = taken;
        while t < taken + Duration::hours(8) - Duration::minutes(10) {
            t += Duration::minutes(10);
            app.set_now(t);
            app.ok(Some(&p.colleague), &m_lock(), json!({ "id": id })).await;
        }
        let d = app.ok(Some(&p.colleague), lock_q, json!({ "id": id })).await;
        assert_eq!(time(&d["lockServiceleverance"]["laas"], "until"), taken + Duration::hours(8), "R14: the ceiling");
        app.set_now(taken + Duration::hours(8) + Duration::minutes(1));
        app.ok(Some(&p.kommune), &m_lock(), json!({ "id": id })).await;
        app.set_now(taken + Duration::hours(8) + Duration::minutes(2));
        // Bo's expired lock no longer lets him save.
        app.err(Some(&p.colleague), &m_update(), json!({ "id": id, "i": { "navn": "x" } }), "LOCKED").await;
        app.ok(Some(&p.admin), "mutation($id: ID!) { forceUnlockServiceleverance(id: $id) { id } }", json!({ "id": id })).await;
        app.ok(Some(&p.colleague), &m_lock(), json!({ "id": id })).await;
        // The first user's expired lock no longer lets them save.
        app.err(Some(&p.kommune), &m_update(), json!({ "id": id, "i": { "navn": "x" } }), "LOCKED").await;
        app.err(Some(&p.kommune), "mutation($id: ID!) { forceUnlockServiceleverance(id: $id) { id } }", json!({ "id": id }), "FORBIDDEN").await;
        let d = app.ok(Some(&p.admin), "mutation($id: ID!) { forceUnlockServiceleverance(id: $id) { laas { subject } } }", json!({ "id": id })).await;
        assert!(d["forceUnlockServiceleverance"]["laas"].is_null());
        app.ok(Some(&p.kommune), &m_lock(), json!({ "id": id })).await;
    }
);

db_test!(
    /// R11: of 50 concurrent lock attempts by different users exactly one wins.
    fifty_concurrent_lock_attempts_one_wins_r11,
    |app: TestApp| async move {
        let id = create_agreement(&app, ROSKILDE, &create_enhed(&app, "PLEJEENHED", "X", PROVIDER, 55.64, 12.08).await, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        let cvr = kommune_cvr(ROSKILDE);
        let app = std::sync::Arc::new(app);
        let mut tasks = Vec::new();
        for i in 0..50 {
            let app = app.clone();
            let id = id.clone();
            let t = app.token(Role::Driftsoverenskomstansvarlig, &cvr, &format!("user-{i}"));
            tasks.push(tokio::spawn(async move { app.gql(Some(&t), &m_lock(), json!({ "id": id })).await }));
        }
        let mut won = 0;
        let mut locked = 0;
        for t in tasks {
            let v = t.await.expect("task");
            if v["errors"].is_null() || v.get("errors").is_none() {
                won += 1;
            } else {
                assert_eq!(v["errors"][0]["extensions"]["code"], "LOCKED", "{v}");
                locked += 1;
            }
        }
        assert_eq!((won, locked), (1, 49));
    }
);

db_test!(
    /// R8 (soft delete, history kept), R15 (restore a version), R16 (audit log).
    delete_restore_and_audit_r8_r15_r16,
    |app: TestApp| async move {
        let p = people(&app);
        let e = create_enhed(&app, "PLEJEENHED", "Aldersro", "80000001", 55.64, 12.08).await;
        let id = create_agreement(&app, ROSKILDE, &e, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        app.ok(Some(&p.kommune), &m_lock(), json!({ "id": id })).await;
        app.ok(Some(&p.kommune), &m_update(), json!({ "id": id, "i": { "navn": "Omdøbt", "slutdato": "2026-12-31" } })).await;
        app.ok(Some(&p.kommune), &m_checkin(), json!({ "id": id, "k": "Omdøbt" })).await;
        // R15: restore version 1 needs the lock.
        let m_restore = "mutation($id: ID!, $n: Int!) { restoreServiceleveranceVersion(id: $id, nummer: $n) { navn slutdato } }";
        app.err(Some(&p.kommune), m_restore, json!({ "id": id, "n": 1 }), "NOT_LOCKED").await;
        app.ok(Some(&p.kommune), &m_lock(), json!({ "id": id })).await;
        let d = app.ok(Some(&p.kommune), m_restore, json!({ "id": id, "n": 1 })).await;
        assert_eq!(d["restoreServiceleveranceVersion"]["navn"], "Aftale 0265");
        assert!(d["restoreServiceleveranceVersion"]["slutdato"].is_null());
        app.err(Some(&p.kommune), m_restore, json!({ "id": id, "n": 99 }), "VALIDATION").await;
        // R8: delete by the lock holder; gone from search and lists, history kept.
        app.ok(Some(&p.kommune), "mutation($id: ID!) { deleteServiceleverance(id: $id) }", json!({ "id": id })).await;
        let s = app.ok(None, "{ search(kommune: \"0265\") { totalCount } }", json!({})).await;
        assert_eq!(s["search"]["totalCount"], 0);
        let d = app.ok(Some(&p.kommune), "{ serviceleverancer { totalCount } }", json!({})).await;
        assert_eq!(d["serviceleverancer"]["totalCount"], 0);
        let d = app.ok(Some(&p.kommune), "query($id: ID!) { serviceleverance(id: $id) { deletedAt versionCount isPublic } }", json!({ "id": id })).await;
        assert!(d["serviceleverance"]["deletedAt"].is_string());
        assert_eq!(d["serviceleverance"]["versionCount"], 2);
        app.err(Some(&p.kommune), &m_lock(), json!({ "id": id }), "NOT_FOUND").await;
        // R16: the audit log has every mutation with who and before/after; administrators only.
        let q = "query($id: String) { auditLog(entityId: $id, first: 50) { totalCount edges { node { action actorSubject actorRoles actorCvr before after } } } }";
        app.err(Some(&p.kommune), q, json!({ "id": id }), "FORBIDDEN").await;
        let d = app.ok(Some(&p.admin), q, json!({ "id": id })).await;
        let actions: Vec<&str> = d["auditLog"]["edges"].as_array().expect("edges").iter().map(|e| e["node"]["action"].as_str().expect("a")).collect();
        assert_eq!(
            actions,
            vec![
                "deleteServiceleverance",
                "restoreServiceleveranceVersion",
                "lockServiceleverance",
                "checkInServiceleverance",
                "updateServiceleverance",
                "lockServiceleverance",
                "createServiceleverance"
            ]
        );
        let upd = &d["auditLog"]["edges"][4]["node"];
        assert_eq!(upd["actorSubject"], "anne");
        assert_eq!(upd["actorRoles"], "DRIFTSOVERENSKOMSTANSVARLIG");
        assert_eq!(upd["before"]["navn"], "Aftale 0265");
        assert_eq!(upd["after"]["navn"], "Omdøbt");
        let d = app.ok(Some(&p.admin), "{ auditLog(actor: \"anne\") { totalCount } }", json!({})).await;
        assert!(d["auditLog"]["totalCount"].as_i64().expect("n") >= 6);
    }
);

db_test!(
    /// R9/R10: consistency warnings do not hide an agreement; errors do.
    warnings_r9_r10,
    |app: TestApp| async move {
        let p = people(&app);
        let foreign = create_enhed(&app, "PLEJEENHED", "Privat", "80000001", 55.64, 12.08).await;
        let own = create_enhed(&app, "PLEJEENHED", "Egen", &kommune_cvr(ROSKILDE), 55.64, 12.08).await;
        let a = create_agreement(&app, ROSKILDE, &foreign, "MYNDIGHEDSPRODUKTION", "2026-01-01", Some("2026-07-01")).await;
        let b = create_agreement(&app, ROSKILDE, &own, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        let c = create_agreement(&app, ROSKILDE, &own, "MYNDIGHEDSPRODUKTION", "2026-03-01", None).await;
        let get = |id: String| {
            let app = &app;
            let t = p.kommune.clone();
            async move { app.ok(Some(&t), &q_get(), json!({ "id": id })).await["serviceleverance"].clone() }
        };
        let sa = get(a).await;
        assert_eq!(codes(&sa), vec!["MYNDIGHEDSPRODUKTION_FREMMED_EJER", "UDLOEBER_SNART"]);
        assert_eq!(sa["isPublic"], true);
        assert_eq!(sa["issues"][0]["severity"], "WARNING");
        assert_eq!(codes(&get(b).await), vec!["DRIFTSOVERENSKOMST_EGEN_ENHED", "OVERLAPPENDE_AFTALE"]);
        assert_eq!(codes(&get(c).await), vec!["OVERLAPPENDE_AFTALE"]);
        // Filters of the list: hasErrors, type, text.
        let d = app.ok(Some(&p.kommune), "{ serviceleverancer(type: MYNDIGHEDSPRODUKTION) { totalCount } }", json!({})).await;
        assert_eq!(d["serviceleverancer"]["totalCount"], 2);
        let d = app.ok(Some(&p.kommune), "{ serviceleverancer(hasErrors: false, text: \"aftale 02\") { totalCount } }", json!({})).await;
        assert_eq!(d["serviceleverancer"]["totalCount"], 3);
        // Issue 20, defect 4: the words in any order.
        let d = app.ok(Some(&p.kommune), "{ serviceleverancer(hasErrors: false, text: \"02 AFTALE\") { totalCount } }", json!({})).await;
        assert_eq!(d["serviceleverancer"]["totalCount"], 3);
    }
);

db_test!(
    /// R18: the agreement form finds enheder by parts of words, ignoring case and æ/ae, ø/oe, å/aa.
    find_enheder_r18,
    |app: TestApp| async move {
        let p = people(&app);
        create_enhed(&app, "PLEJEENHED", "Ældrecenter Aldersro", "80000001", 55.64, 12.08).await;
        create_enhed(&app, "PLEJEENHED", "Bøgely", "80000001", 55.64, 12.08).await;
        create_enhed(&app, "HELHEDSPLEJEENHED", "Hjemmeplejen 100% Omsorg_", "80000001", 55.64, 12.08).await;
        let q = "query($t: String!, $k: EnhedKind) { findEnheder(text: $t, kind: $k) { navn } }";
        for t in ["aldersr", "Aeldrecenter", "ældrecenter", "ÆLDRECENTER ALD", "center ald"] {
            let d = app.ok(Some(&p.kommune), q, json!({ "t": t })).await;
            assert_eq!(d["findEnheder"], json!([{ "navn": "Ældrecenter Aldersro" }]), "{t}");
        }
        let d = app.ok(Some(&p.kommune), q, json!({ "t": "boegely" })).await;
        assert_eq!(d["findEnheder"][0]["navn"], "Bøgely");
        // LIKE wildcards in the text are taken literally.
        let d = app.ok(Some(&p.kommune), q, json!({ "t": "%" })).await;
        assert_eq!(d["findEnheder"], json!([{ "navn": "Hjemmeplejen 100% Omsorg_" }]));
        let d = app.ok(Some(&p.kommune), q, json!({ "t": "e", "k": "HELHEDSPLEJEENHED" })).await;
        assert_eq!(d["findEnheder"].as_array().expect("list").len(), 1);
        app.err(None, q, json!({ "t": "ald" }), "UNAUTHENTICATED").await;
    }
);

db_test!(
    /// R18 and issue 20, defect 4: the enhed picker finds an enhed by every word typed, in any order,
    /// in its name, street, postnummer or town; with o for ø and without full stops.
    find_enheder_by_words_in_any_order_and_by_town,
    |app: TestApp| async move {
        let p = people(&app);
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let mk = "mutation($i: EnhedInput!) { createEnhed(input: $i) { id } }";
        app.ok(Some(&admin), mk, json!({ "i": { "kind": "PLEJEENHED", "navn": "Sct. Jørgensbjerg Plejecenter", "ejerCvr": "80000001", "vejnavn": "Kirkegade 3", "postnummer": "4000", "by": "Roskilde", "lat": 55.64, "lon": 12.08 } })).await;
        app.ok(Some(&admin), mk, json!({ "i": { "kind": "PLEJEENHED", "navn": "Bøgely", "ejerCvr": "80000001", "postnummer": "4320", "by": "Lejre", "lat": 55.60, "lon": 11.97 } })).await;
        let q = "query($t: String!) { findEnheder(text: $t) { navn } }";
        for t in ["Sct Jorgensbjerg", "sct. jørgensbjerg", "jorgensbjerg sct", "Plejecenter Jørgensbjerg", "roskilde", "4000 plejecenter", "Kirkegade jorgens", "sct.jorgensbjerg"] {
            let d = app.ok(Some(&p.kommune), q, json!({ "t": t })).await;
            assert_eq!(d["findEnheder"], json!([{ "navn": "Sct. Jørgensbjerg Plejecenter" }]), "{t}");
        }
        let d = app.ok(Some(&p.kommune), q, json!({ "t": "lejre bogely" })).await;
        assert_eq!(d["findEnheder"], json!([{ "navn": "Bøgely" }]));
        let d = app.ok(Some(&p.kommune), q, json!({ "t": "roskilde bogely" })).await;
        assert_eq!(d["findEnheder"], json!([]), "every word must match");
    }
);

db_test!(
    /// The access table over HTTP (R26, R8, R15, R14): each operation x each role x own/foreign
    /// CVR x anonymous, each role on an agreement of its own so that one role's delete does not
    /// decide the next one's answer (the full matrix of the pure policy is unit-tested in
    /// `domain::access`).
    access_table_over_http_r26,
    |app: TestApp| async move {
        let p = people(&app);
        let tilsyn = app.token(Role::Aeldretilsyn, "29190925", "tove");
        let helhed = create_enhed(&app, "HELHEDSPLEJEENHED", "Helhed", PROVIDER, 55.64, 12.08).await;
        let ops = |id: &str| -> Vec<(&'static str, String, Value)> {
            vec![
                ("read", q_get(), json!({ "id": id })),
                ("lock", m_lock(), json!({ "id": id })),
                ("update", m_update(), json!({ "id": id, "i": { "aftaleidentifikation": "A-1" } })),
                ("restore", "mutation($id: ID!) { restoreServiceleveranceVersion(id: $id, nummer: 1) { id } }".to_string(), json!({ "id": id })),
                ("beskrivelse", M_BESKRIVELSE.to_string(), json!({ "id": id, "b": "Beskrivelse" })),
                ("checkin", m_checkin(), json!({ "id": id })),
                ("forceUnlock", "mutation($id: ID!) { forceUnlockServiceleverance(id: $id) { id } }".to_string(), json!({ "id": id })),
                ("lock again", m_lock(), json!({ "id": id })),
                ("delete", "mutation($id: ID!) { deleteServiceleverance(id: $id) }".to_string(), json!({ "id": id })),
            ]
        };
        // (who, expected outcome per op: "ok" or an error code)
        let table: Vec<(&str, Option<&String>, [&str; 9])> = vec![
            ("anonymous", None, ["UNAUTHENTICATED"; 9]),
            ("other kommune", Some(&p.other_kommune), ["NOT_FOUND"; 9]),
            ("other redaktør", Some(&p.other_redaktoer), ["NOT_FOUND"; 9]),
            // R32: an ældretilsyn writes tilsyn, never agreements: they do not exist for it.
            ("ældretilsyn", Some(&tilsyn), ["NOT_FOUND"; 9]),
            ("kommune", Some(&p.kommune), ["ok", "ok", "ok", "ok", "FORBIDDEN", "ok", "FORBIDDEN", "ok", "ok"]),
            ("redaktør", Some(&p.redaktoer), ["ok", "ok", "FORBIDDEN", "FORBIDDEN", "ok", "ok", "FORBIDDEN", "ok", "FORBIDDEN"]),
            ("admin", Some(&p.admin), ["ok"; 9]),
        ];
        for (who, token, expect) in table {
            let id = create_agreement(&app, ROSKILDE, &helhed, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
            for ((name, q, vars), want) in ops(&id).iter().zip(expect) {
                let v = app.gql(token.map(|s| s.as_str()), q, vars.clone()).await;
                let got = v["errors"][0]["extensions"]["code"].as_str().unwrap_or("ok");
                assert_eq!(got, want, "{who} {name}: {v}");
            }
            // A delete that was allowed took the agreement out of the lists; one that was not
            // left it there.
            let d = app.ok(Some(&p.admin), "query($id: ID!) { serviceleverance(id: $id) { deletedAt } }", json!({ "id": id })).await;
            assert_eq!(d["serviceleverance"]["deletedAt"].is_string(), expect[8] == "ok", "{who}: {d}");
        }
    }
);

db_test!(
    /// R3: a kommune user keeps an existing FRIPLEJEBOLIG (an administrator set it) when saving
    /// other fields, and may send it back unchanged, but cannot set FRIPLEJEBOLIG itself.
    kommune_keeps_but_cannot_set_friplejebolig_r3,
    |app: TestApp| async move {
        let p = people(&app);
        let pleje = create_enhed(&app, "PLEJEENHED", "Friplejeboligerne", "80000001", 55.64, 12.08).await;
        let id = create_agreement(&app, ROSKILDE, &pleje, "FRIPLEJEBOLIG", "2026-01-01", None).await;
        app.ok(Some(&p.kommune), &m_lock(), json!({ "id": id })).await;
        // Saving other fields keeps the type.
        let d = app.ok(Some(&p.kommune), &m_update(), json!({ "id": id, "i": { "navn": "Friplejeboliger i Roskilde", "aftaleidentifikation": "FB-1", "slutdato": "2027-12-31" } })).await;
        let sl = &d["updateServiceleverance"];
        assert_eq!(sl["type"], "FRIPLEJEBOLIG");
        assert_eq!(sl["navn"], "Friplejeboliger i Roskilde");
        assert_eq!(sl["slutdato"], "2027-12-31");
        // The form sends every field back: the unchanged type is kept, not "set".
        let d = app.ok(Some(&p.kommune), &m_update(), json!({ "id": id, "i": { "type": "FRIPLEJEBOLIG", "aftaleidentifikation": "FB-2" } })).await;
        assert_eq!(d["updateServiceleverance"]["type"], "FRIPLEJEBOLIG");
        let d = app.ok(Some(&p.kommune), &m_checkin(), json!({ "id": id, "k": "Rettet" })).await;
        assert_eq!(d["checkInServiceleverance"]["type"], "FRIPLEJEBOLIG");
        // Once the kommune changes the type, it cannot set FRIPLEJEBOLIG again.
        app.ok(Some(&p.kommune), &m_lock(), json!({ "id": id })).await;
        let d = app.ok(Some(&p.kommune), &m_update(), json!({ "id": id, "i": { "type": "DRIFTSOVERENSKOMST" } })).await;
        assert_eq!(d["updateServiceleverance"]["type"], "DRIFTSOVERENSKOMST");
        let e = app.err(Some(&p.kommune), &m_update(), json!({ "id": id, "i": { "type": "FRIPLEJEBOLIG" } }), "VALIDATION").await;
        assert_eq!(e["extensions"]["fields"], json!(["type"]));
        assert!(e["message"].as_str().expect("msg").contains("administrator"), "{e}");
        let d = app.ok(Some(&p.kommune), &q_get(), json!({ "id": id })).await;
        assert_eq!(d["serviceleverance"]["type"], "DRIFTSOVERENSKOMST", "the refused save changed nothing");
        // Nor on a new agreement (R3).
        app.err(Some(&p.kommune), &m_create(), json!({ "i": { "navn": "Fri", "type": "FRIPLEJEBOLIG" } }), "VALIDATION").await;
    }
);

db_test!(
    /// R10 follows the enhed's kind: a DRIFTSOVERENSKOMST about a helhedsplejeenhed without a
    /// beskrivelse has an ERROR (R4) and is not public; when the administrator — holding the
    /// enhed's lock like every role — makes the enhed a plejeenhed, the error goes, the agreement
    /// is public and found by the search; back to a helhedsplejeenhed, it is hidden again.
    r10_recomputed_when_the_enhed_changes_kind,
    |app: TestApp| async move {
        let p = people(&app);
        let enhed = create_enhed(&app, "HELHEDSPLEJEENHED", "Skiftende Enhed", PROVIDER, 55.64, 12.08).await;
        let id = create_agreement(&app, ROSKILDE, &enhed, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        let state = |kind: &'static str| {
            let (app, t, id) = (&app, p.kommune.clone(), id.clone());
            async move {
                let d = app.ok(Some(&t), &q_get(), json!({ "id": id })).await;
                let sl = d["serviceleverance"].clone();
                let errors: Vec<String> = sl["issues"].as_array().expect("issues").iter().filter(|i| i["severity"] == "ERROR").map(|i| i["code"].as_str().expect("code").to_string()).collect();
                let s = app.ok(None, "query($k: SearchKind) { search(kommune: \"0265\", kind: $k) { totalCount } }", json!({ "k": kind })).await;
                (errors, sl["isPublic"].as_bool().expect("isPublic"), s["search"]["totalCount"].as_i64().expect("n"))
            }
        };
        assert_eq!(state("HELHEDSPLEJEENHED").await, (vec!["MANGLER_BESKRIVELSE".to_string()], false, 0));

        let m = "mutation($id: String!, $i: EnhedInput!) { updateEnhed(id: $id, input: $i) { kind } }";
        let lock = "mutation($id: String!) { lockEnhed(id: $id) { id } }";
        // One lock discipline for every role: the administrator locks first.
        app.err(Some(&p.admin), m, json!({ "id": enhed, "i": { "kind": "PLEJEENHED" } }), "NOT_LOCKED").await;
        assert!(!state("HELHEDSPLEJEENHED").await.1, "the refused change recomputed nothing");
        app.ok(Some(&p.admin), lock, json!({ "id": enhed })).await;
        let d = app.ok(Some(&p.admin), m, json!({ "id": enhed, "i": { "kind": "PLEJEENHED" } })).await;
        assert_eq!(d["updateEnhed"]["kind"], "PLEJEENHED");
        assert_eq!(state("PLEJEENHED").await, (Vec::<String>::new(), true, 1));

        let d = app.ok(Some(&p.admin), m, json!({ "id": enhed, "i": { "kind": "HELHEDSPLEJEENHED" } })).await;
        assert_eq!(d["updateEnhed"]["kind"], "HELHEDSPLEJEENHED");
        assert_eq!(state("HELHEDSPLEJEENHED").await, (vec!["MANGLER_BESKRIVELSE".to_string()], false, 0));
        assert_eq!(state("ALLE").await.2, 0);
    }
);

db_test!(
    /// R19: administrators create and update enheder and kommune CVRs; a redaktør edits the
    /// description and contact data of its own enheder, holding the lock.
    enheder_administration_r17_r19,
    |app: TestApp| async move {
        let p = people(&app);
        let id = create_enhed(&app, "PLEJEENHED", "Solgården", PROVIDER, 55.64, 12.08).await;
        let m = "mutation($id: String!, $i: EnhedInput!) { updateEnhed(id: $id, input: $i) { navn beskrivelse kontakt { telefon } kommune { kode } } }";
        app.err(Some(&p.redaktoer), m, json!({ "id": id, "i": { "beskrivelse": "Hyggeligt" } }), "NOT_LOCKED").await;
        app.err(Some(&p.other_redaktoer), "mutation($id: String!) { lockEnhed(id: $id) { id } }", json!({ "id": id }), "FORBIDDEN").await;
        app.ok(Some(&p.redaktoer), "mutation($id: String!) { lockEnhed(id: $id) { id } }", json!({ "id": id })).await;
        let d = app.ok(Some(&p.redaktoer), m, json!({ "id": id, "i": { "beskrivelse": "Hyggeligt", "telefon": "+45 11 22 33 44" } })).await;
        assert_eq!(d["updateEnhed"]["beskrivelse"], "Hyggeligt");
        assert_eq!(d["updateEnhed"]["kontakt"]["telefon"], "+45 11 22 33 44");
        app.err(Some(&p.redaktoer), m, json!({ "id": id, "i": { "navn": "Nyt navn" } }), "FORBIDDEN").await;
        app.ok(Some(&p.redaktoer), "mutation($id: String!) { checkInEnhed(id: $id) { id } }", json!({ "id": id })).await;
        // R16: the enhed's lock, save and check-in are in the audit log.
        let raw = app.ok(None, "query($id: String!) { enhed(id: $id) { enhedId } }", json!({ "id": id })).await["enhed"]["enhedId"].clone();
        let d = app
            .ok(Some(&p.admin), "query($id: String) { auditLog(entityType: \"Enhed\", entityId: $id) { edges { node { action actorSubject } } } }", json!({ "id": raw }))
            .await;
        let actions: Vec<&str> = d["auditLog"]["edges"].as_array().expect("edges").iter().map(|e| e["node"]["action"].as_str().expect("a")).collect();
        assert_eq!(actions, vec!["checkInEnhed", "updateEnhed", "lockEnhed", "createEnhed"]);
        // Admin moves it to Aarhus: the kommune follows the location (R17). One lock
        // discipline for every role: the administrator locks too.
        app.err(Some(&p.admin), m, json!({ "id": id, "i": { "lat": 56.1535, "lon": 10.2045 } }), "NOT_LOCKED").await;
        app.ok(Some(&p.admin), "mutation($id: String!) { lockEnhed(id: $id) { id } }", json!({ "id": id })).await;
        let d = app.ok(Some(&p.admin), m, json!({ "id": id, "i": { "lat": 56.1535, "lon": 10.2045 } })).await;
        assert_eq!(d["updateEnhed"]["kommune"]["kode"], AARHUS);
        app.err(Some(&p.admin), m, json!({ "id": id, "i": { "lat": 100.0 } }), "VALIDATION").await;
        app.err(Some(&p.kommune), m, json!({ "id": id, "i": { "navn": "x" } }), "FORBIDDEN").await;
        // Kommune CVR (R19).
        let q = "mutation($k: String!, $c: String!) { setKommuneCvr(kode: $k, cvr: $c) { kode cvr } }";
        app.err(Some(&p.kommune), q, json!({ "k": "0265", "c": "11111111" }), "FORBIDDEN").await;
        app.err(Some(&p.admin), q, json!({ "k": "0265", "c": "12" }), "VALIDATION").await;
        let d = app.ok(Some(&p.admin), q, json!({ "k": "Roskilde", "c": "11111111" })).await;
        assert_eq!(d["setKommuneCvr"]["cvr"], "11111111");
        let e = app.err(Some(&p.admin), q, json!({ "k": "0350", "c": "11111111" }), "CONFLICT").await;
        assert!(!e["message"].as_str().expect("msg").to_lowercase().contains("unique"), "no SQL in messages");
    }
);

db_test!(
    /// R19: re-importing the register's CSV changes nothing; flaws are reported.
    import_is_idempotent_r19,
    |app: TestApp| async move {
        let csv = "id,name,street,postcode,city,municipality,ownership,homes,lat,lon,web,kommunekode\n\
            a1,Hjemmet,Vej 1,4000 Roskilde,Roskilde,Roskilde,Kommunal,0,55.64,12.08,https:///broken,0265\n\
            a2,Huset,Vej 2,8000,Aarhus C,Aarhus,Privat,30,56.15,10.20,https://huset.dk,0751\n\
            ,Uden id,Vej 3,8000,Aarhus,Aarhus,Privat,3,56.15,10.20,,0751\n";
        let r1 = plejeoverblik::import::import_text(&app.state, csv).await.expect("import");
        assert_eq!((r1.created, r1.updated, r1.unchanged, r1.skipped.len()), (2, 0, 0, 1));
        assert!(r1.warnings.iter().any(|w| w.contains("bynavn")));
        assert!(r1.warnings.iter().any(|w| w.contains("webadresse")));
        let r2 = plejeoverblik::import::import_text(&app.state, csv).await.expect("import");
        assert_eq!((r2.created, r2.updated, r2.unchanged), (0, 0, 2));
        let changed = csv.replace("Huset,", "Huset Nyt,");
        let r3 = plejeoverblik::import::import_text(&app.state, &changed).await.expect("import");
        assert_eq!((r3.created, r3.updated, r3.unchanged), (0, 1, 1));
        let d = app.ok(None, "{ enhed(id: \"a1\") { ejerCvr adresse { postnummer } antalBoliger kontakt { web } } }", json!({})).await;
        assert_eq!(d["enhed"]["ejerCvr"], kommune_cvr(ROSKILDE));
        assert_eq!(d["enhed"]["adresse"]["postnummer"], "4000");
        assert!(d["enhed"]["antalBoliger"].is_null());
        assert!(d["enhed"]["kontakt"]["web"].is_null());
    }
);

db_test!(
    /// viewer: who am I, with the kommune behind the CVR.
    viewer_query,
    |app: TestApp| async move {
        let p = people(&app);
        let d = app.ok(Some(&p.kommune), "{ viewer { authenticated subject name cvr roles kommune { kode } } }", json!({})).await;
        assert_eq!(d["viewer"]["subject"], "anne");
        assert_eq!(d["viewer"]["roles"], json!(["DRIFTSOVERENSKOMSTANSVARLIG"]));
        assert_eq!(d["viewer"]["kommune"]["kode"], ROSKILDE);
    }
);

db_test!(
    /// R26 has one SQL definition: the store's reads by id for a viewer
    /// (`store::serviceleverance::by_id_for` with `access::sl_scope`) and the admin list return
    /// exactly the agreements `domain::access::can_see` lets the viewer see, for every kind of
    /// viewer and agreement.
    r26_sql_scope_agrees_with_can_see,
    |app: TestApp| async move {
        use plejeoverblik::domain::access::{can_see, sl_scope, SlFacts, Viewer};
        use plejeoverblik::store::serviceleverance::by_id_for;
        let roskilde = kommune_cvr(ROSKILDE);
        let lejre = kommune_cvr(LEJRE);
        let provider = create_enhed(&app, "HELHEDSPLEJEENHED", "Leverandør", PROVIDER, 55.64, 12.08).await;
        let own = create_enhed(&app, "PLEJEENHED", "Kommunens eget", &roskilde, 55.64, 12.08).await;
        // (id, facts)
        let mut agreements: Vec<(String, SlFacts)> = Vec::new();
        for (kode, cvr, enhed, ejer) in [
            (ROSKILDE, &roskilde, Some(&provider), Some(PROVIDER)),
            (ROSKILDE, &roskilde, Some(&own), Some(roskilde.as_str())),
            (LEJRE, &lejre, Some(&provider), Some(PROVIDER)),
            (LEJRE, &lejre, None, None),
        ] {
            let t = app.token(Role::Driftsoverenskomstansvarlig, cvr, "k");
            let d = app
                .ok(Some(&t), "mutation($i: CreateServiceleveranceInput!) { createServiceleverance(input: $i) { id } }", json!({ "i": { "navn": format!("Aftale {kode}"), "enhedId": enhed } }))
                .await;
            let id = d["createServiceleverance"]["id"].as_str().expect("id").to_string();
            agreements.push((id, SlFacts { aftalepart_cvr: cvr.clone(), enhed_ejer_cvr: ejer.map(str::to_string) }));
        }
        let viewer = |cvr: &str, roles: &[Role]| Viewer { subject: Some("v".into()), name: None, cvr: Some(cvr.to_string()), roles: roles.to_vec() };
        let viewers = [
            ("anonymous", Viewer::anonymous()),
            ("roskilde", viewer(&roskilde, &[Role::Driftsoverenskomstansvarlig])),
            ("lejre", viewer(&lejre, &[Role::Driftsoverenskomstansvarlig])),
            ("roskilde as redaktør of its own enheder", viewer(&roskilde, &[Role::Redaktoer])),
            ("roskilde, both roles", viewer(&roskilde, &[Role::Driftsoverenskomstansvarlig, Role::Redaktoer])),
            ("provider", viewer(PROVIDER, &[Role::Redaktoer])),
            ("provider without a role", viewer(PROVIDER, &[])),
            ("other provider", viewer("90000009", &[Role::Redaktoer])),
            ("admin", viewer(ADMIN_CVR, &[Role::Administrator])),
        ];
        for (who, v) in &viewers {
            let scope = sl_scope(v);
            for (id, facts) in &agreements {
                let sql = by_id_for(&app.state.db, id, &scope).await.expect("read").is_some();
                assert_eq!(sql, can_see(v, facts), "[{:?}] {who} and {facts:?}", app.db_kind);
            }
            let (rows, total) = plejeoverblik::store::serviceleverance::list(&app.state.db, &scope, &Default::default(), default_now(), 0, 100).await.expect("list");
            let want = agreements.iter().filter(|(_, f)| can_see(v, f)).count();
            assert_eq!((rows.len(), total as usize), (want, want), "[{:?}] list of {who}", app.db_kind);
        }
    }
);

db_test!(
    /// Issue 19: the import leaves an enhed alone while someone holds its lock (R19), reports
    /// it as skipped with the holder, keeps the acknowledged edit, and updates it once the
    /// enhed is checked in; every update moves the revision by exactly one.
    import_respects_an_enheds_lock_r19,
    |app: TestApp| async move {
        let csv = "id,name,street,postcode,city,municipality,ownership,homes,lat,lon,web,kommunekode\n\
            a2,Huset,Vej 2,8000,Aarhus C,Aarhus,Privat,30,56.15,10.20,https://huset.dk,0751\n";
        plejeoverblik::import::import_text(&app.state, csv).await.expect("import");
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        app.ok(Some(&admin), "mutation { lockEnhed(id: \"a2\") { id } }", json!({})).await;
        let d = app.ok(Some(&admin), "mutation { updateEnhed(id: \"a2\", input: { telefon: \"12345678\" }) { revision } }", json!({})).await;
        let edited = d["updateEnhed"]["revision"].as_i64().expect("revision");
        // The register renames the enhed while it is locked: skipped, nothing overwritten.
        let changed = csv.replace("Huset,", "Huset Nyt,");
        let r = plejeoverblik::import::import_text(&app.state, &changed).await.expect("import");
        assert_eq!((r.created, r.updated), (0, 0), "{r}");
        assert!(r.skipped.iter().any(|s| s.contains("a2") && s.contains("låst")), "{r}");
        let d = app.ok(Some(&admin), "{ enhed(id: \"a2\") { navn revision kontakt { telefon } } }", json!({})).await;
        assert_eq!(d["enhed"]["navn"], "Huset");
        assert_eq!(d["enhed"]["kontakt"]["telefon"], "12345678");
        assert_eq!(d["enhed"]["revision"].as_i64(), Some(edited));
        // Checked in, the next import updates it and keeps the edit the register knows nothing of.
        app.ok(Some(&admin), "mutation { checkInEnhed(id: \"a2\") { id } }", json!({})).await;
        let r = plejeoverblik::import::import_text(&app.state, &changed).await.expect("import");
        assert_eq!(r.updated, 1, "{r}");
        let d = app.ok(Some(&admin), "{ enhed(id: \"a2\") { navn revision kontakt { telefon } } }", json!({})).await;
        assert_eq!(d["enhed"]["navn"], "Huset Nyt");
        assert_eq!(d["enhed"]["kontakt"]["telefon"], "12345678");
        assert_eq!(d["enhed"]["revision"].as_i64(), Some(edited + 1));
    }
);

db_test!(
    /// Issue 19: the import writes through the use-case layer's unit of work: a renamed enhed is
    /// in the public search at once (the read model is told), its public offer is an UPDATED
    /// event of the change feed (R30), and the change is audited (R16).
    import_writes_through_the_unit_of_work,
    |app: TestApp| async move {
        let csv = "id,name,street,postcode,city,municipality,ownership,homes,lat,lon,web,kommunekode\n\
            a3,Lindely,Vej 3,8000,Aarhus C,Aarhus,Privat,30,56.15,10.20,https://lindely.dk,0751\n";
        plejeoverblik::import::import_text(&app.state, csv).await.expect("import");
        create_agreement(&app, AARHUS, "a3", "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let feed = "query($a: String) { changes(after: $a) { edges { node { kind enhed { navn } } } pageInfo { endCursor } } }";
        let d = app.ok(None, feed, json!({})).await;
        let cursor = d["changes"]["pageInfo"]["endCursor"].as_str().expect("cursor").to_string();
        let r = plejeoverblik::import::import_text(&app.state, &csv.replace("Lindely,", "Lindely Syd,")).await.expect("import");
        assert_eq!(r.updated, 1, "{r}");
        let s = app.ok(None, "{ search(kommune: \"0751\", first: 5) { nodes { navn } } }", json!({})).await;
        assert_eq!(s["search"]["nodes"][0]["navn"], "Lindely Syd", "public at once");
        let d = app.ok(None, feed, json!({ "a": cursor })).await;
        assert_eq!(d["changes"]["edges"][0]["node"]["kind"], "UPDATED");
        assert_eq!(d["changes"]["edges"][0]["node"]["enhed"]["navn"], "Lindely Syd");
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let log = app.ok(Some(&admin), "{ auditLog(first: 5, entityId: \"a3\") { edges { node { action actorSubject } } } }", json!({})).await;
        assert_eq!(log["auditLog"]["edges"][0]["node"]["action"], "importEnhed", "{log}");
        assert_eq!(log["auditLog"]["edges"][0]["node"]["actorSubject"], "system:import");
    }
);
