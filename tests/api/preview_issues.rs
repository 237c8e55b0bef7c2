//! previewIssues (R9, R10): the agreement form's preview answers exactly what the save would
//! (the same issues, errors and warnings, or the same refusal), and only to those who may make
//! that save (access table, R26, R27).
use crate::db_test;
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};

const ISSUE: &str = "{ field severity code message }";

/// The preview with exactly the arguments given in `vars` (an omitted argument is undefined,
/// which with `id` keeps the saved value; a variable declared but not sent would be null).
fn q_preview_of(vars: &Value) -> String {
    let args = [
        ("id", "id", "ID"),
        ("e", "enhedId", "String"),
        ("t", "type", "ServiceleveranceType"),
        ("s", "startdato", "Date"),
        ("u", "slutdato", "Date"),
        ("k", "aftalepartKode", "String"),
    ];
    let given: Vec<_> = args
        .iter()
        .filter(|(v, _, _)| vars.get(*v).is_some())
        .collect();
    let decl: Vec<String> = given.iter().map(|(v, _, t)| format!("${v}: {t}")).collect();
    let pass: Vec<String> = given.iter().map(|(v, a, _)| format!("{a}: ${v}")).collect();
    let (decl, pass) = if given.is_empty() {
        (String::new(), String::new())
    } else {
        (
            format!("({})", decl.join(", ")),
            format!("({})", pass.join(", ")),
        )
    };
    format!("query{decl} {{ previewIssues{pass} {ISSUE} }}")
}

async fn preview_ok(app: &TestApp, token: Option<&str>, vars: Value) -> Value {
    app.ok(token, &q_preview_of(&vars), vars).await["previewIssues"].clone()
}

async fn preview_err(app: &TestApp, token: Option<&str>, vars: Value, code: &str) -> Value {
    app.err(token, &q_preview_of(&vars), vars, code).await
}

fn m_create() -> String {
    format!("mutation($i: CreateServiceleveranceInput!) {{ createServiceleverance(input: $i) {{ id issues {ISSUE} }} }}")
}
fn m_update() -> String {
    format!("mutation($id: ID!, $i: UpdateServiceleveranceInput!) {{ updateServiceleverance(id: $id, input: $i) {{ issues {ISSUE} }} }}")
}
fn q_issues() -> String {
    format!("query($id: ID!) {{ serviceleverance(id: $id) {{ issues {ISSUE} }} }}")
}

const PROVIDER: &str = "90000001";

/// Previews, then creates the same fields; returns (preview, the created agreement's issues, id).
async fn preview_then_create(app: &TestApp, token: &str, fields: Value) -> (Value, Value, String) {
    let vars = json!({ "e": fields["enhedId"], "t": fields["type"], "s": fields["startdato"], "u": fields["slutdato"] });
    let p = preview_ok(app, Some(token), vars).await;
    let mut input = fields.clone();
    input["navn"] = json!("Aftale");
    let d = app
        .ok(Some(token), &m_create(), json!({ "i": input }))
        .await;
    let sl = &d["createServiceleverance"];
    (
        p,
        sl["issues"].clone(),
        sl["id"].as_str().expect("id").to_string(),
    )
}

db_test!(
    /// Access table: anonymous callers get UNAUTHENTICATED (R27); a redaktør, who cannot save an
    /// agreement, gets FORBIDDEN; another kommune's agreement does not exist (R26).
    preview_access_r26_r27,
    |app: TestApp| async move {
        let kommune = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let other = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(LEJRE), "lejre");
        let redaktoer = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let enhed = create_enhed(&app, "PLEJEENHED", "Privat", PROVIDER, 55.64, 12.08).await;
        let id = create_agreement(&app, ROSKILDE, &enhed, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        let e = preview_err(&app, None, json!({ "e": enhed, "t": "MYNDIGHEDSPRODUKTION", "s": "2026-01-01" }), "UNAUTHENTICATED").await;
        assert_eq!(e["message"], "Du skal være logget ind.");
        preview_err(&app, None, json!({}), "UNAUTHENTICATED").await;
        preview_err(&app, None, json!({ "k": ROSKILDE }), "UNAUTHENTICATED").await;
        preview_err(&app, None, json!({ "id": id }), "UNAUTHENTICATED").await;
        preview_err(&app, Some(&redaktoer), json!({ "e": enhed }), "FORBIDDEN").await;
        preview_err(&app, Some(&redaktoer), json!({ "id": id }), "FORBIDDEN").await;
        preview_err(&app, Some(&other), json!({ "id": id }), "NOT_FOUND").await;
        preview_err(&app, Some(&kommune), json!({ "k": LEJRE }), "FORBIDDEN").await;
        preview_ok(&app, Some(&kommune), json!({ "e": enhed })).await;
        preview_ok(&app, Some(&kommune), json!({ "id": id })).await;
        // An administrator names the aftalepart, as when creating.
        let e = preview_err(&app, Some(&admin), json!({ "e": enhed }), "VALIDATION").await;
        assert_eq!(e["extensions"]["fields"], json!(["aftalepartKode"]));
        preview_ok(&app, Some(&admin), json!({ "e": enhed, "k": ROSKILDE })).await;
        preview_ok(&app, Some(&admin), json!({ "id": id })).await;
        let e = preview_err(&app, Some(&admin), json!({ "id": id, "k": LEJRE }), "VALIDATION").await;
        assert_eq!(e["extensions"]["fields"], json!(["aftalepartKode"]));
    }
);

db_test!(
    /// R9: MYNDIGHEDSPRODUKTION with an enhed owned by another CVR previews the same WARNING
    /// (code, field, message) the created agreement has; so do the other R9 warnings.
    preview_shows_the_warnings_of_the_save_r9,
    |app: TestApp| async move {
        let kommune = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let foreign = create_enhed(&app, "PLEJEENHED", "Privat", "80000001", 55.64, 12.08).await;
        let own = create_enhed(&app, "PLEJEENHED", "Egen", &kommune_cvr(ROSKILDE), 55.64, 12.08).await;
        let (p, saved, _) = preview_then_create(&app, &kommune, json!({ "enhedId": foreign, "type": "MYNDIGHEDSPRODUKTION", "startdato": "2026-01-01" })).await;
        assert_eq!(p, json!([{
            "field": "type", "severity": "WARNING", "code": "MYNDIGHEDSPRODUKTION_FREMMED_EJER",
            "message": "Typen er myndighedsproduktion, men enheden ejes af et andet CVR-nummer end kommunen."
        }]));
        assert_eq!(p, saved);
        // DRIFTSOVERENSKOMST with an own enhed, ending within 30 days (today is 2026-06-15).
        let (p, saved, _) = preview_then_create(&app, &kommune, json!({ "enhedId": own, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01", "slutdato": "2026-07-01" })).await;
        let codes: Vec<&str> = p.as_array().expect("list").iter().map(|i| i["code"].as_str().expect("code")).collect();
        assert_eq!(codes, vec!["DRIFTSOVERENSKOMST_EGEN_ENHED", "UDLOEBER_SNART"]);
        assert_eq!(p, saved);
        // A second agreement with the same enhed overlaps the first (and ended: AFSLUTTET).
        let (p, saved, _) = preview_then_create(&app, &kommune, json!({ "enhedId": own, "type": "MYNDIGHEDSPRODUKTION", "startdato": "2026-03-01", "slutdato": "2026-06-01" })).await;
        let codes: Vec<&str> = p.as_array().expect("list").iter().map(|i| i["code"].as_str().expect("code")).collect();
        assert_eq!(codes, vec!["AFSLUTTET", "OVERLAPPENDE_AFTALE"]);
        assert_eq!(p, saved);
    }
);

db_test!(
    /// R10: a preview with errors equals the saved agreement's issues (missing enhed, type,
    /// startdato; a missing beskrivelse where R4 demands one).
    preview_with_errors_equals_the_save_r10,
    |app: TestApp| async move {
        let kommune = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let helhed = create_enhed(&app, "HELHEDSPLEJEENHED", "Hjemmehjælpen", "80000001", 55.64, 12.08).await;
        let (p, saved, _) = preview_then_create(&app, &kommune, json!({})).await;
        let codes: Vec<&str> = p.as_array().expect("list").iter().map(|i| i["code"].as_str().expect("code")).collect();
        assert_eq!(codes, vec!["MANGLER_ENHED", "MANGLER_TYPE", "MANGLER_STARTDATO"]);
        assert_eq!(p, saved);
        let (p, saved, _) = preview_then_create(&app, &kommune, json!({ "enhedId": helhed, "type": "DRIFTSOVERENSKOMST" })).await;
        let codes: Vec<&str> = p.as_array().expect("list").iter().map(|i| i["code"].as_str().expect("code")).collect();
        // R33's warning too: Roskilde has no public helhedspleje provider here.
        assert_eq!(codes, vec!["MANGLER_STARTDATO", "MANGLER_BESKRIVELSE", "FRIT_VALG"]);
        assert!(p.as_array().expect("list").iter().filter(|i| i["code"] != "FRIT_VALG").all(|i| i["severity"] == "ERROR"));
        assert_eq!(p, saved);
    }
);

db_test!(
    /// R3, R5: what the save refuses, the preview refuses the same way (VALIDATION on the field).
    preview_refuses_what_the_save_refuses_r3_r5,
    |app: TestApp| async move {
        let kommune = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let enhed = create_enhed(&app, "PLEJEENHED", "Privat", PROVIDER, 55.64, 12.08).await;
        for (vars, input, field) in [
            (json!({ "e": enhed, "t": "FRIPLEJEBOLIG" }), json!({ "navn": "A", "enhedId": enhed, "type": "FRIPLEJEBOLIG" }), "type"),
            (json!({ "s": "2026-02-01", "u": "2026-01-31" }), json!({ "navn": "A", "startdato": "2026-02-01", "slutdato": "2026-01-31" }), "slutdato"),
            (json!({ "e": "findes-ikke" }), json!({ "navn": "A", "enhedId": "findes-ikke" }), "enhedId"),
        ] {
            let p = preview_err(&app, Some(&kommune), vars, "VALIDATION").await;
            let s = app.err(Some(&kommune), &m_create(), json!({ "i": input }), "VALIDATION").await;
            assert_eq!(p["extensions"]["fields"], json!([field]));
            assert_eq!(p["extensions"]["details"], s["extensions"]["details"], "{field}");
        }
    }
);

db_test!(
    /// R9/R12: previewing a change of a saved agreement (with its id) equals the issues after
    /// updateServiceleverance saves that change; the agreement never overlaps itself.
    preview_of_an_update_equals_the_save_r9_r12,
    |app: TestApp| async move {
        let kommune = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let foreign = create_enhed(&app, "PLEJEENHED", "Privat", "80000001", 55.64, 12.08).await;
        let own = create_enhed(&app, "PLEJEENHED", "Egen", &kommune_cvr(ROSKILDE), 55.64, 12.08).await;
        let id = create_agreement(&app, ROSKILDE, &own, "MYNDIGHEDSPRODUKTION", "2026-01-01", None).await;
        let current = app.ok(Some(&kommune), &q_issues(), json!({ "id": id })).await["serviceleverance"]["issues"].clone();
        assert_eq!(current, json!([]));
        // Unchanged: no overlap with itself.
        let p = preview_ok(&app, Some(&kommune), json!({ "id": id })).await;
        assert_eq!(p, current);
        // Without id, the same fields are a second agreement that overlaps the first.
        let p = preview_ok(&app, Some(&kommune), json!({ "e": own, "t": "MYNDIGHEDSPRODUKTION", "s": "2026-01-01" })).await;
        assert_eq!(p[0]["code"], "OVERLAPPENDE_AFTALE");
        // A change: another enhed (foreign owner) and a slutdato soon; startdato is kept.
        let p = preview_ok(&app, Some(&kommune), json!({ "id": id, "e": foreign, "u": "2026-07-01" })).await;
        app.ok(Some(&kommune), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", json!({ "id": id })).await;
        let d = app.ok(Some(&kommune), &m_update(), json!({ "id": id, "i": { "enhedId": foreign, "slutdato": "2026-07-01" } })).await;
        let saved = d["updateServiceleverance"]["issues"].clone();
        let codes: Vec<&str> = saved.as_array().expect("list").iter().map(|i| i["code"].as_str().expect("code")).collect();
        assert_eq!(codes, vec!["MYNDIGHEDSPRODUKTION_FREMMED_EJER", "UDLOEBER_SNART"]);
        assert_eq!(p, saved);
        // Clearing with null: startdato and type removed are ERRORs, as the save would give.
        let p = preview_ok(&app, Some(&kommune), json!({ "id": id, "s": null, "t": null })).await;
        let d = app.ok(Some(&kommune), &m_update(), json!({ "id": id, "i": { "startdato": null, "type": null } })).await;
        assert_eq!(p, d["updateServiceleverance"]["issues"]);
        assert_eq!(p[0]["code"], "MANGLER_TYPE");
    }
);
