//! Issue 20 over HTTP on both databases: the worklist "Kræver handling", version compare and
//! the restore preview (R15), the audit log people can use (R34: element names, person by
//! name, days, readable diffs, CSV/JSON export, the per-person extract, retention), and the
//! export of a kommune's agreements, safe against CSV injection.
use crate::db_test;
use crate::helpers::*;
use chrono::{Duration, TimeZone, Utc};
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use std::sync::Arc;

const PROVIDER: &str = "90000001";

const WORKLIST: &str = "query { worklist(first: 50) { total groups { kind title count items { reason serviceleverance { id navn } } } } }";

fn group<'a>(w: &'a Value, kind: &str) -> &'a Value {
    w["worklist"]["groups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["kind"] == kind))
        .unwrap_or_else(|| panic!("no group {kind}: {w}"))
}

fn ids(g: &Value) -> Vec<String> {
    g["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    i["serviceleverance"]["id"]
                        .as_str()
                        .unwrap_or("")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn create(app: &TestApp, token: &str, input: Value) -> String {
    create_serviceleverance(app, token, input).await
}

db_test!(
    /// Issue 20, the worklist: a driftsoverenskomstansvarlig sees, with counts, what ends
    /// within 30 days (soonest first), what ended within the last 30, warnings with their
    /// text, what waits for the provider's beskrivelse, and what was left without a check-in
    /// for more than a day; a redaktør only the beskrivelser it is waited on for, across
    /// kommuner; another kommune's agreements never; anonymous callers nothing.
    worklist_says_what_needs_doing,
    |app: TestApp| async move {
        let roskilde = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let lejre = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(LEJRE), "lene");
        let rikke = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let privat = create_enhed(&app, "PLEJEENHED", "Egehjem", PROVIDER, 55.64, 12.08).await;
        let egen = create_enhed(&app, "PLEJEENHED", "Kommunens Hjem", &kommune_cvr(ROSKILDE), 55.64, 12.09).await;
        let hjemme = create_enhed(&app, "HELHEDSPLEJEENHED", "Hjemmehjælpen", PROVIDER, 55.65, 12.08).await;
        // Today is 2026-06-15.
        // One enhed each: agreements of one kommune and enhed in overlapping periods warn (R9).
        let privat2 = create_enhed(&app, "PLEJEENHED", "Bøgehjem", PROVIDER, 55.64, 12.07).await;
        let privat3 = create_enhed(&app, "PLEJEENHED", "Lindehjem", PROVIDER, 55.64, 12.06).await;
        let privat4 = create_enhed(&app, "PLEJEENHED", "Askehjem", PROVIDER, 55.64, 12.05).await;
        let soon = create(&app, &roskilde, json!({ "navn": "Udløber snart", "enhedId": privat, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01", "slutdato": "2026-06-25" })).await;
        let ended = create(&app, &roskilde, json!({ "navn": "Udløbet", "enhedId": privat2, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01", "slutdato": "2026-06-10" })).await;
        let long_ago = create(&app, &roskilde, json!({ "navn": "Udløbet for længe siden", "enhedId": privat3, "type": "DRIFTSOVERENSKOMST", "startdato": "2025-01-01", "slutdato": "2026-03-01" })).await;
        let warned = create(&app, &roskilde, json!({ "navn": "Egen enhed", "enhedId": egen, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01" })).await;
        let waiting = create(&app, &roskilde, json!({ "navn": "Hjemmepleje Roskilde", "enhedId": hjemme, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01" })).await;
        let waiting_lejre = create(&app, &lejre, json!({ "navn": "Hjemmepleje Lejre", "enhedId": hjemme, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01" })).await;
        let fine = create(&app, &roskilde, json!({ "navn": "I orden", "enhedId": privat4, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-07-01" })).await;
        // Saved (a minute after version 1) without a check-in; two days later it has not been
        // checked in.
        app.set_now(default_now() + Duration::minutes(1));
        app.ok(Some(&roskilde), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", json!({ "id": fine })).await;
        app.ok(Some(&roskilde), "mutation($id: ID!) { updateServiceleverance(id: $id, input: { aftaleidentifikation: \"K-1\" }) { id } }", json!({ "id": fine })).await;
        app.set_now(default_now() + Duration::days(2));

        let w = app.ok(Some(&roskilde), WORKLIST, json!({})).await;
        let kinds: Vec<&str> = w["worklist"]["groups"].as_array().expect("groups").iter().filter_map(|g| g["kind"].as_str()).collect();
        assert_eq!(kinds, ["ENDING_SOON", "ENDED_RECENTLY", "WARNINGS", "AWAITING_BESKRIVELSE", "NOT_CHECKED_IN"]);
        let g = group(&w, "ENDING_SOON");
        assert_eq!(ids(g), vec![soon.clone()], "{g:#}");
        assert_eq!(g["count"], 1);
        assert_eq!(g["items"][0]["reason"], "Udløber 25. juni 2026 (om 8 dage).");
        let g = group(&w, "ENDED_RECENTLY");
        assert_eq!(ids(g), vec![ended.clone()], "not the one ended in March: {g}");
        assert!(!ids(g).contains(&long_ago));
        let g = group(&w, "WARNINGS");
        let reason_of = |id: &str| -> String {
            g["items"].as_array().and_then(|a| a.iter().find(|i| i["serviceleverance"]["id"] == id)).map(|i| i["reason"].as_str().unwrap_or("").to_string()).unwrap_or_default()
        };
        assert_eq!(reason_of(&warned), "Typen er driftsoverenskomst, men enheden ejes af kommunen selv.");
        // R33: Roskilde's citizens have no public helhedspleje provider in this database.
        assert!(reason_of(&waiting).starts_with("Frit valg:"), "{g}");
        assert_eq!(g["count"], 2);
        let g = group(&w, "AWAITING_BESKRIVELSE");
        assert_eq!(ids(g), vec![waiting.clone()], "only Roskilde's own: {g}");
        let g = group(&w, "NOT_CHECKED_IN");
        assert_eq!(ids(g), vec![fine.clone()]);
        let reason = g["items"][0]["reason"].as_str().unwrap_or("");
        assert!(reason.starts_with("Gemt 15. juni 2026 kl. 10.01 uden at blive tjekket ind"), "{reason}");
        assert_eq!(w["worklist"]["total"], 5);

        // A redaktør: the beskrivelser it is waited on for, in both kommuner, nothing else.
        let w = app.ok(Some(&rikke), WORKLIST, json!({})).await;
        let groups = w["worklist"]["groups"].as_array().expect("groups");
        assert_eq!(groups.len(), 1, "{w}");
        let mut got = ids(&groups[0]);
        got.sort();
        let mut want = vec![waiting.clone(), waiting_lejre.clone()];
        want.sort();
        assert_eq!(got, want);
        assert_eq!(groups[0]["title"], "Venter på leverandørens beskrivelse");

        // Once written, it leaves the list.
        app.ok(Some(&rikke), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", json!({ "id": waiting })).await;
        app.ok(Some(&rikke), "mutation($id: ID!) { setBeskrivelse(id: $id, beskrivelse: \"Vi kommer døgnet rundt.\") { id } }", json!({ "id": waiting })).await;
        let w = app.ok(Some(&rikke), WORKLIST, json!({})).await;
        assert_eq!(ids(&w["worklist"]["groups"][0]), vec![waiting_lejre.clone()]);

        // `first` bounds the items, not the counts; anonymous callers get nothing.
        let w = app.ok(Some(&roskilde), "query { worklist(first: 0) { groups { kind count items { reason } } } }", json!({})).await;
        assert_eq!(group(&w, "ENDING_SOON")["count"], 1);
        assert!(group(&w, "ENDING_SOON")["items"].as_array().is_some_and(|a| a.is_empty()));
        app.err(None, WORKLIST, json!({}), "UNAUTHENTICATED").await;
        app.err(Some(&roskilde), "query { worklist(first: 101) { total } }", json!({}), "VALIDATION").await;
    }
);

db_test!(
    /// R15, issue 20: any two versions, or a version and the current state, field by field in
    /// words; *Gendan* first says what restoring would change, for the caller (a redaktør
    /// restores only the beskrivelse, R3/R4). Refusals name the field.
    compare_versions_and_restore_preview,
    |app: TestApp| async move {
        let roskilde = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let lejre = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(LEJRE), "lene");
        let rikke = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let hjemme = create_enhed(&app, "HELHEDSPLEJEENHED", "Hjemmehjælpen", PROVIDER, 55.65, 12.08).await;
        let andet = create_enhed(&app, "HELHEDSPLEJEENHED", "Anden Pleje", PROVIDER, 55.65, 12.09).await;
        let id = create(&app, &roskilde, json!({ "navn": "Hjemmepleje", "enhedId": hjemme, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01" })).await;
        let v = json!({ "id": id });
        app.ok(Some(&roskilde), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", v.clone()).await;
        app.ok(Some(&roskilde), "mutation($id: ID!, $e: String) { updateServiceleverance(id: $id, input: { startdato: \"2026-02-01\", enhedId: $e }) { id } }", json!({ "id": id, "e": andet })).await;
        app.ok(Some(&roskilde), "mutation($id: ID!) { checkInServiceleverance(id: $id) { version } }", v.clone()).await;
        app.ok(Some(&rikke), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", v.clone()).await;
        app.ok(Some(&rikke), "mutation($id: ID!) { setBeskrivelse(id: $id, beskrivelse: \"Døgnet rundt\") { id } }", v.clone()).await;

        let q = "query($id: ID!, $from: Int!, $to: Int) { compareVersions(id: $id, from: $from, to: $to) { field label before after } }";
        let d = app.ok(Some(&roskilde), q, json!({ "id": id, "from": 1, "to": 2 })).await;
        let c = &d["compareVersions"];
        assert_eq!(c.as_array().map(Vec::len), Some(2), "{c}");
        assert_eq!((&c[0]["field"], &c[0]["label"]), (&json!("enhedId"), &json!("Enhed")));
        assert!(c[0]["before"].as_str().is_some_and(|s| s.starts_with("Hjemmehjælpen (")), "the enhed by name: {c}");
        assert!(c[0]["after"].as_str().is_some_and(|s| s.starts_with("Anden Pleje (")), "{c}");
        assert_eq!(c[1], json!({ "field": "startdato", "label": "Startdato", "before": "1. januar 2026", "after": "1. februar 2026" }));
        // Version 2 against now: the beskrivelse saved since.
        let d = app.ok(Some(&roskilde), q, json!({ "id": id, "from": 2 })).await;
        assert_eq!(d["compareVersions"], json!([{ "field": "beskrivelse", "label": "Beskrivelse", "before": null, "after": "Døgnet rundt" }]));
        let e = app.err(Some(&roskilde), q, json!({ "id": id, "from": 9 }), "VALIDATION").await;
        assert_eq!(e["extensions"]["fields"][0], "from");
        assert!(e["message"].as_str().unwrap_or("").contains("Version 9 findes ikke"), "{e}");
        app.err(Some(&lejre), q, json!({ "id": id, "from": 1 }), "NOT_FOUND").await;

        // The kommune's user restores the agreement's own fields, not the provider's
        // beskrivelse (R3/R4); an administrator restores both; the redaktør may not restore.
        let p = "query($id: ID!, $n: Int!) { restorePreview(id: $id, nummer: $n) { field before after } }";
        let fields_of = |d: &Value| -> Vec<String> {
            d["restorePreview"].as_array().expect("list").iter().filter_map(|c| c["field"].as_str().map(str::to_string)).collect()
        };
        let d = app.ok(Some(&roskilde), p, json!({ "id": id, "n": 1 })).await;
        assert_eq!(fields_of(&d), ["enhedId", "startdato"]);
        assert_eq!(d["restorePreview"][1], json!({ "field": "startdato", "before": "1. februar 2026", "after": "1. januar 2026" }));
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let d = app.ok(Some(&admin), p, json!({ "id": id, "n": 1 })).await;
        assert_eq!(fields_of(&d), ["enhedId", "startdato", "beskrivelse"]);
        let e = app.err(Some(&rikke), p, json!({ "id": id, "n": 1 }), "FORBIDDEN").await;
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
        // What the preview says is what the restore does.
        app.ok(Some(&rikke), "mutation($id: ID!) { checkInServiceleverance(id: $id) { version } }", v.clone()).await;
        app.ok(Some(&roskilde), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", v.clone()).await;
        app.ok(Some(&roskilde), "mutation($id: ID!) { restoreServiceleveranceVersion(id: $id, nummer: 1) { id } }", v.clone()).await;
        let d = app.ok(Some(&roskilde), p, json!({ "id": id, "n": 1 })).await;
        assert_eq!(d["restorePreview"], json!([]));
        let d = app.ok(Some(&roskilde), q, json!({ "id": id, "from": 1 })).await;
        assert_eq!(d["compareVersions"], json!([{ "field": "beskrivelse", "label": "Beskrivelse", "before": null, "after": "Døgnet rundt" }]), "only the beskrivelse differs from version 1 now");
        app.err(Some(&lejre), p, json!({ "id": id, "n": 1 }), "NOT_FOUND").await;
    }
);

const LOG: &str = "query($person: String, $about: String, $from: Date, $to: Date, $type: String, $id: String) {
  auditLog(person: $person, about: $about, from: $from, to: $to, entityType: $type, entityId: $id, first: 100) {
    totalCount nodes { id action actorName actorSubject entityId elementNavn changes { field label before after } }
  }
}";

fn actions(d: &Value) -> Vec<String> {
    d["auditLog"]["nodes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n["action"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

db_test!(
    /// R34: the log names the element, finds a person by name (æ/ø/å folded), narrows to days
    /// in Copenhagen time, shows before/after field by field in words, and gives one person's
    /// extract: what they did and the locks others took from them.
    audit_log_people_can_use_r34,
    |app: TestApp| async move {
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let cvr = kommune_cvr(ROSKILDE);
        let soeren = {
            let req = plejeoverblik::auth::DevTokenRequest { roles: &[Role::Driftsoverenskomstansvarlig], cvr: &cvr, name: Some("Søren Ørsted"), subject: Some("s-1"), valid_hours: 1 };
            plejeoverblik::auth::make_dev_token(plejeoverblik::config::DEFAULT_DEV_KEY, &req, Utc::now()).expect("token")
        };
        let bo = app.token(Role::Driftsoverenskomstansvarlig, &cvr, "bo");
        // 23.50 on the 15th, Copenhagen summer time.
        app.set_now(Utc.with_ymd_and_hms(2026, 6, 15, 21, 50, 0).single().expect("t"));
        let e = create_enhed(&app, "PLEJEENHED", "Egehjem", PROVIDER, 55.64, 12.08).await;
        let id = create(&app, &soeren, json!({ "navn": "Egehjem-aftalen", "enhedId": e, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01" })).await;
        let v = json!({ "id": id });
        app.ok(Some(&soeren), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", v.clone()).await;
        // Ten minutes later it is the next day in Copenhagen: a save, then Bo takes the lock over.
        app.set_now(Utc.with_ymd_and_hms(2026, 6, 15, 22, 0, 0).single().expect("t"));
        app.ok(Some(&soeren), "mutation($id: ID!) { updateServiceleverance(id: $id, input: { startdato: \"2026-02-01\", type: MYNDIGHEDSPRODUKTION }) { id } }", v.clone()).await;
        app.ok(Some(&bo), "mutation($id: ID!) { takeOverServiceleveranceLock(id: $id) { id } }", v.clone()).await;

        // By name, without the Danish letters.
        let d = app.ok(Some(&admin), LOG, json!({ "person": "soren orsted" })).await;
        assert_eq!(actions(&d), ["updateServiceleverance", "lockServiceleverance", "createServiceleverance"]);
        let save = &d["auditLog"]["nodes"][0];
        assert_eq!(save["elementNavn"], "Egehjem-aftalen");
        assert_eq!(save["actorName"], "Søren Ørsted");
        assert_eq!(save["changes"], json!([
            { "field": "type", "label": "Type", "before": "Driftsoverenskomst", "after": "Myndighedsproduktion" },
            { "field": "startdato", "label": "Startdato", "before": "1. januar 2026", "after": "1. februar 2026" },
        ]));
        assert_eq!(d["auditLog"]["totalCount"], 3);
        // A name nobody has: nothing (not everything).
        let d = app.ok(Some(&admin), LOG, json!({ "person": "Ingen Sådan" })).await;
        assert_eq!(d["auditLog"]["totalCount"], 0);

        // Days in Copenhagen time: the 16th began at 22.00 UTC on the 15th.
        let d = app.ok(Some(&admin), LOG, json!({ "from": "2026-06-16", "to": "2026-06-16" })).await;
        assert_eq!(actions(&d), ["takeOverServiceleveranceLock", "updateServiceleverance"]);
        let d = app.ok(Some(&admin), LOG, json!({ "to": "2026-06-15", "type": "Serviceleverance", "id": id })).await;
        assert_eq!(actions(&d), ["lockServiceleverance", "createServiceleverance"]);
        let e = app.err(Some(&admin), LOG, json!({ "from": "2026-06-16", "to": "2026-06-15" }), "VALIDATION").await;
        assert_eq!(e["extensions"]["fields"][0], "to");

        // Søren's extract: his own entries and the lock Bo took from him.
        let d = app.ok(Some(&admin), LOG, json!({ "about": "s-1" })).await;
        assert_eq!(actions(&d), ["takeOverServiceleveranceLock", "updateServiceleverance", "lockServiceleverance", "createServiceleverance"]);
        let take = &d["auditLog"]["nodes"][0];
        assert_eq!(take["actorSubject"], "bo");
        assert!(take["changes"].as_array().is_some_and(|c| c.iter().any(|c| c["label"] == "Låst af" && c["before"] == "s-1")), "{take}");
        // Not someone whose subject merely contains it.
        let d = app.ok(Some(&admin), LOG, json!({ "about": "s-" })).await;
        assert_eq!(d["auditLog"]["totalCount"], 0);

        // Only administrators.
        app.err(Some(&bo), LOG, json!({}), "FORBIDDEN").await;
    }
);

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut r = app.client().get(format!("{}{path}", app.addr));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.expect("request")
}

db_test!(
    /// R34: the log of a filter exports as CSV and JSON, streamed in batches (more entries than
    /// one batch here), every entry once and in order, formulas kept as text; only for
    /// administrators, with clear refusals.
    audit_log_exports_as_csv_and_json_r34,
    |app: TestApp| async move {
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let formula = "=HYPERLINK(\"http://x\")";
        let e = create_enhed(&app, "PLEJEENHED", formula, PROVIDER, 55.64, 12.08).await;
        // More than one batch (500) of entries.
        let q = "mutation($c: String!) { setKommuneCvr(kode: \"0751\", cvr: $c) { kode } }";
        let calls: Vec<_> = (0..520)
            .map(|i| {
                let app = &app;
                let admin = admin.clone();
                async move { app.ok(Some(&admin), q, json!({ "c": format!("{:08}", 20000000 + i) })).await }
            })
            .collect();
        let mut calls = calls.into_iter();
        loop {
            let batch: Vec<_> = calls.by_ref().take(8).collect();
            if batch.is_empty() {
                break;
            }
            futures_util::future::join_all(batch).await;
        }
        let total = app.ok(Some(&admin), "query { auditLog(first: 1) { totalCount } }", json!({})).await["auditLog"]["totalCount"].as_i64().expect("n");
        assert!(total >= 521, "{total}");

        let r = get(&app, Some(&admin), "/export/log.json").await;
        assert_eq!(r.status(), 200);
        assert!(header(&r, "content-disposition").starts_with("attachment; filename=\"log-"));
        assert_eq!(header(&r, "cache-control"), "no-store");
        let all: Vec<Value> = r.json().await.expect("a JSON array");
        assert_eq!(all.len() as i64, total);
        let ids: Vec<i64> = all.iter().filter_map(|e| e["id"].as_i64()).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first, each once");
        let created = all.iter().find(|e| e["action"] == "createEnhed").expect("createEnhed");
        assert_eq!(created["elementNavn"], formula);
        let _ = e;

        let r = get(&app, Some(&admin), "/export/log.csv?entityType=Enhed").await;
        assert_eq!(r.status(), 200);
        assert!(header(&r, "content-type").starts_with("text/csv"));
        let body = r.text().await.expect("body");
        let mut rd = csv::Reader::from_reader(body.as_bytes());
        let head: Vec<String> = rd.headers().expect("header").iter().map(str::to_string).collect();
        assert_eq!(&head[..4], ["id", "tidspunkt", "navn", "subject"]);
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 1, "only the enhed's entry");
        let navn = rows[0].get(9).unwrap_or("");
        assert_eq!(navn, format!("'{formula}"), "a formula stays text");
        assert!(rows[0].get(10).unwrap_or("").starts_with(&format!("Navn: – → {formula}")), "{:?}", rows[0]);
        for cell in rows[0].iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
        }

        // Refusals: no token, not an administrator, a bad day, an unknown file.
        let r = get(&app, None, "/export/log.csv").await;
        assert_eq!(r.status(), 401);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        let doa = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let r = get(&app, Some(&doa), "/export/log.json").await;
        assert_eq!(r.status(), 403);
        let r = get(&app, Some(&admin), "/export/log.csv?from=16-06-2026").await;
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["errors"][0]["extensions"]["code"], "VALIDATION");
        assert!(v["errors"][0]["message"].as_str().unwrap_or("").contains("from"), "{v}");
        let r = get(&app, Some(&admin), "/export/log.xlsx").await;
        assert_eq!(r.status(), 404);
    }
);

db_test!(
    /// Issue 20 (R26): a kommune exports its own agreements (not another kommune's) as CSV for its
    /// contract system, with aftaleidentifikation, dates, type in words and whether each is
    /// shown in the search; a value a spreadsheet would run stays text.
    kommune_exports_its_agreements_as_csv,
    |app: TestApp| async move {
        let roskilde = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let lejre = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(LEJRE), "lene");
        let e = create_enhed(&app, "PLEJEENHED", "Egehjem", PROVIDER, 55.64, 12.08).await;
        create(&app, &roskilde, json!({ "navn": "@SUM(A1:A9)", "aftaleidentifikation": "-2+3", "enhedId": e, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01" })).await;
        create(&app, &roskilde, json!({ "navn": "Uden enhed" })).await;
        create(&app, &lejre, json!({ "navn": "Lejres aftale", "enhedId": e, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01" })).await;
        let r = get(&app, Some(&roskilde), "/export/serviceleverancer.csv").await;
        assert_eq!(r.status(), 200);
        let body = r.text().await.expect("body");
        let mut rd = csv::Reader::from_reader(body.as_bytes());
        let head: Vec<String> = rd.headers().expect("header").iter().map(str::to_string).collect();
        let col = |n: &str| head.iter().position(|h| h == n).unwrap_or_else(|| panic!("{n} in {head:?}"));
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 2, "only Roskilde's");
        let a = rows.iter().find(|r| r.get(col("navn")) == Some("'@SUM(A1:A9)")).expect("the formula kept as text");
        assert_eq!(a.get(col("aftaleidentifikation")), Some("'-2+3"));
        assert_eq!(a.get(col("type")), Some("Driftsoverenskomst"));
        assert_eq!(a.get(col("startdato")), Some("2026-01-01"));
        assert_eq!(a.get(col("status")), Some("Vises i søgningen."));
        assert_eq!(a.get(col("kommune")), Some("Roskilde Kommune"));
        let b = rows.iter().find(|r| r.get(col("navn")) == Some("Uden enhed")).expect("row");
        assert!(b.get(col("status")).unwrap_or("").starts_with("Serviceleverancen har fejl"), "{b:?}");
        let r = get(&app, None, "/export/serviceleverancer.csv").await;
        assert_eq!(r.status(), 401);
    }
);

fn keep_30_days() -> Options {
    Options {
        configure: Some(Arc::new(|c| c.audit_retention_days = Some(30))),
        ..Default::default()
    }
}

/// Both instances keep 30 days; the one that claims the new day deletes, once.
async fn retention(app: TestApp) {
    let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
    create_enhed(&app, "PLEJEENHED", "Gammelt Hjem", PROVIDER, 55.64, 12.08).await;
    app.ok(
        Some(&admin),
        "mutation { setKommuneCvr(kode: \"0751\", cvr: \"11111111\") { kode } }",
        json!({}),
    )
    .await;
    // 31 days later with a retention of 30: the day job deletes the old entries and says so.
    app.set_now(default_now() + Duration::days(31));
    let second = app.second_instance(keep_30_days()).await;
    second.set_now(default_now() + Duration::days(31));
    let t0 = std::time::Instant::now();
    let d = loop {
        let d = app.ok(Some(&admin), "query { auditLog(first: 100) { totalCount nodes { action actorName changes { label after } } } }", json!({})).await;
        if d["auditLog"]["nodes"]
            .as_array()
            .is_some_and(|a| a.iter().any(|n| n["action"] == "pruneAuditLog"))
        {
            break d;
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(10),
            "not pruned: {d}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let d2 = app
        .ok(
            Some(&admin),
            "query { auditLog(first: 100) { totalCount nodes { action } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        d2["auditLog"]["totalCount"], 1,
        "only the deletion's own entry, once: {d2}"
    );
    let n = &d["auditLog"]["nodes"][0];
    assert_eq!(n["actorName"], "Opbevaringsjob");
    let changes = n["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["label"] == "Slettede poster" && c["after"] == "2"),
        "{n}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c["label"] == "Ældre end" && c["after"] == "16. juni 2026"),
        "{n}"
    );
}

/// R34: retention (`--audit-retention-days 30`) on SQLite, two instances.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_retention_deletes_old_entries_and_says_so_sqlite() {
    retention(TestApp::spawn(Db::Sqlite, keep_30_days()).await).await;
}

/// R34: retention on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_retention_deletes_old_entries_and_says_so_postgres() {
    let Some(app) = TestApp::spawn_postgres(keep_30_days()).await else {
        return;
    };
    retention(app).await;
}

db_test!(
    /// Issue 20, defect 7 (R24, R26): the administrator's tree has every aftalepart with its
    /// whole count before any page of its agreements is loaded, in the kommuner's Danish name
    /// order, and the counts follow the filter; a kommune's user sees only its own group.
    the_list_counts_each_aftalepart_whole,
    |app: TestApp| async move {
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let roskilde = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let lejre = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(LEJRE), "lene");
        for i in 0..3 {
            create(&app, &roskilde, json!({ "navn": format!("Roskilde {i}") })).await;
        }
        for i in 0..2 {
            create(&app, &lejre, json!({ "navn": format!("Lejre {i}") })).await;
        }
        let q = "query($t: String) { serviceleverancer(first: 1, text: $t) { totalCount nodes { navn } aftaleparter { kommune { kode navn } count } } }";
        let d = app.ok(Some(&admin), q, json!({})).await;
        assert_eq!(d["serviceleverancer"]["totalCount"], 5);
        assert_eq!(d["serviceleverancer"]["nodes"].as_array().map(Vec::len), Some(1));
        assert_eq!(d["serviceleverancer"]["aftaleparter"], json!([
            { "kommune": { "kode": LEJRE, "navn": "Lejre" }, "count": 2 },
            { "kommune": { "kode": ROSKILDE, "navn": "Roskilde" }, "count": 3 },
        ]));
        let d = app.ok(Some(&admin), q, json!({ "t": "roskilde" })).await;
        assert_eq!(d["serviceleverancer"]["aftaleparter"], json!([{ "kommune": { "kode": ROSKILDE, "navn": "Roskilde" }, "count": 3 }]));
        // A kommune's user sees only its own group.
        let d = app.ok(Some(&lejre), q, json!({})).await;
        assert_eq!(d["serviceleverancer"]["aftaleparter"], json!([{ "kommune": { "kode": LEJRE, "navn": "Lejre" }, "count": 2 }]));
    }
);

db_test!(
    /// R33 (ældreloven § 18): a kommune whose citizens have fewer than two providers of
    /// helhedspleje today, or only the kommune itself, is warned: on the worklist (also with no
    /// agreement to carry it) and on each of its helhedspleje agreements; a second provider
    /// ends the warning.
    frit_valg_warns_the_kommune_r33,
    |app: TestApp| async move {
        let lejre = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(LEJRE), "lene");
        let q = "query { worklist(first: 10) { fritValg { code severity message } groups { kind items { reason serviceleverance { id } } } } }";
        let w = app.ok(Some(&lejre), q, json!({})).await;
        assert_eq!(w["worklist"]["fritValg"]["code"], "FRIT_VALG");
        assert_eq!(w["worklist"]["fritValg"]["severity"], "WARNING");
        assert!(w["worklist"]["fritValg"]["message"].as_str().unwrap_or("").contains("ingen leverandører"), "{w}");
        // The kommune's own home care only.
        let egen = create_enhed(&app, "HELHEDSPLEJEENHED", "Lejre Hjemmepleje", &kommune_cvr(LEJRE), 55.60, 11.97).await;
        let a = create(&app, &lejre, json!({ "navn": "Egen hjemmepleje", "enhedId": egen, "type": "MYNDIGHEDSPRODUKTION", "startdato": "2026-01-01" })).await;
        let w = app.ok(Some(&lejre), q, json!({})).await;
        assert!(w["worklist"]["fritValg"]["message"].as_str().unwrap_or("").contains("kun kommunen selv"), "{w}");
        let codes = |id: String| {
            let (app, lejre) = (&app, lejre.clone());
            async move {
                let d = app.ok(Some(&lejre), "query($id: ID!) { serviceleverance(id: $id) { isPublic issues { code } } }", json!({ "id": id })).await;
                assert_eq!(d["serviceleverance"]["isPublic"], true, "a warning, not an error");
                d["serviceleverance"]["issues"].as_array().expect("issues").iter().filter_map(|i| i["code"].as_str().map(str::to_string)).collect::<Vec<_>>()
            }
        };
        assert_eq!(codes(a.clone()).await, ["FRIT_VALG"]);
        let warned = &w["worklist"]["groups"].as_array().expect("groups").iter().find(|g| g["kind"] == "WARNINGS").expect("warnings")["items"];
        assert!(warned.as_array().is_some_and(|i| i.iter().any(|i| i["serviceleverance"]["id"] == a.as_str())), "{warned}");
        // A private provider as well: a choice, no warning.
        let privat = create_enhed(&app, "HELHEDSPLEJEENHED", "Privat Pleje", PROVIDER, 55.61, 11.98).await;
        create(&app, &lejre, json!({ "navn": "Privat hjemmepleje", "enhedId": privat, "type": "LOKALPLEJEHJEM", "startdato": "2026-01-01" })).await;
        let w = app.ok(Some(&lejre), q, json!({})).await;
        assert!(w["worklist"]["fritValg"].is_null(), "{w}");
        assert!(codes(a.clone()).await.is_empty());
    }
);
