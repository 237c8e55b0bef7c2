//! Issue 10: the public search reads an in-memory snapshot (0 SQL statements per search) that
//! every committed write renews at once, on this instance and on every other on the database.
use crate::db_test;
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const CITIZEN: &str = "query($k: String!) { search(kommune: $k, kind: PLEJEENHED, near: {lat: 56.16, lon: 10.2}, first: 30) { totalCount pageInfo { hasNextPage endCursor } edges { distanceKm node { id navn adresse { vejnavn postnummer by } kommune { navn } } serviceleverance { type beskrivelse startdato slutdato aftalepart { navn } } } } }";

fn total(d: &Value) -> i64 {
    d["search"]["totalCount"].as_i64().unwrap_or(-1)
}

db_test!(
    /// The citizen's search runs without a single SQL statement, for 1 and for 30 hits; a save
    /// (R12) is in the very next search.
    search_runs_from_memory_without_sql,
    |app: TestApp| async move {
        let mut ids = Vec::new();
        for i in 0..30 {
            let e = create_enhed(&app, "PLEJEENHED", &format!("Hjem {i:02}"), "80000007", 56.16, 10.20 + i as f64 * 0.001).await;
            ids.push(create_agreement(&app, AARHUS, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await);
        }
        for _ in 0..3 {
            let before = app.state.statements.get();
            let d = app.ok(None, CITIZEN, json!({ "k": "Aarhus" })).await;
            assert_eq!(app.state.statements.get() - before, 0, "SQL statements in a search");
            assert_eq!(total(&d), 30);
        }
        // A kommune user ends one agreement: the next search no longer shows it.
        let t = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(AARHUS), "doa-0751");
        app.ok(Some(&t), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", json!({ "id": ids[0] })).await;
        app.ok(Some(&t), "mutation($id: ID!) { updateServiceleverance(id: $id, input: {slutdato: \"2021-01-01\"}) { id } }", json!({ "id": ids[0] })).await;
        let d = app.ok(None, CITIZEN, json!({ "k": "Aarhus" })).await;
        assert_eq!(total(&d), 29, "R12: the save is public at once");
    }
);

/// Two instances on one PostgreSQL database: a save on one is in the other's search within
/// moments (NOTIFY), and a change that bypassed the notification is caught by the version check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_stay_exact_postgres() {
    let opts = Options {
        configure: Some(std::sync::Arc::new(
            |c: &mut plejeoverblik::config::Config| {
                // Long enough that the first part can only pass through the notification.
                c.version_check_interval = Duration::from_secs(3);
            },
        )),
        ..Default::default()
    };
    let Some(a) = TestApp::spawn_postgres(opts.clone()).await else {
        return;
    };
    let b = a.second_instance(opts).await;
    let e = create_enhed(&a, "PLEJEENHED", "Fælleshjemmet", "80000007", 56.16, 10.20).await;
    let sl = create_agreement(&a, AARHUS, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
    let t0 = Instant::now();
    let mut seen = None;
    while t0.elapsed() < Duration::from_secs(2) {
        if total(&b.ok(None, CITIZEN, json!({ "k": "Aarhus" })).await) == 1 {
            seen = Some(t0.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seen = seen.expect("instance B never saw instance A's save");
    eprintln!("instance B saw the save after {seen:?}");
    // A change that no notification announces (written past the service): the periodic
    // version check finds the newer data version and reloads.
    use sea_orm::ConnectionTrait;
    a.state
        .db
        .execute_unprepared(&format!(
            "UPDATE serviceleverance SET deleted_at = now() WHERE id = '{sl}'; UPDATE data_version SET version = version + 1 WHERE id = 1"
        ))
        .await
        .expect("sql");
    let t0 = Instant::now();
    loop {
        if total(&b.ok(None, CITIZEN, json!({ "k": "Aarhus" })).await) == 0 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "instance B never caught up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

db_test!(
    /// Issue 10, part 7: filters citizens compare on (boligtype and number of boliger for
    /// plejeenheder, agreement type) and facet counts beside totalCount; each facet counts with
    /// the other filters applied. Still no SQL.
    filters_and_facets,
    |app: TestApp| async move {
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let mk = |navn: &'static str, kind: &'static str, boligtype: Option<&'static str>, antal: Option<i32>, lon: f64| {
            let admin = admin.clone();
            let app = &app;
            async move {
                let mut i = json!({ "kind": kind, "navn": navn, "ejerCvr": "80000007", "lat": 56.16, "lon": lon });
                if let Some(b) = boligtype { i["boligtype"] = json!(b); }
                if let Some(n) = antal { i["antalBoliger"] = json!(n); }
                let d = app.ok(Some(&admin), "mutation($i: EnhedInput!) { createEnhed(input: $i) { id } }", json!({ "i": i })).await;
                d["createEnhed"]["id"].as_str().expect("id").to_string()
            }
        };
        let a = mk("Ahorn", "PLEJEENHED", Some("PLEJEBOLIG"), Some(40), 10.20).await;
        let b = mk("Bøg", "PLEJEENHED", Some("FRIPLEJEBOLIG"), Some(12), 10.21).await;
        let c = mk("Cedertræ", "PLEJEENHED", Some("PLEJEBOLIG"), Some(8), 10.22).await;
        let h = mk("Hjemmehjælpen", "HELHEDSPLEJEENHED", None, None, 10.23).await;
        create_agreement(&app, AARHUS, &a, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        create_agreement(&app, AARHUS, &b, "FRIPLEJEBOLIG", "2020-01-01", None).await;
        create_agreement(&app, AARHUS, &c, "MYNDIGHEDSPRODUKTION", "2020-01-01", None).await;
        let t = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(AARHUS), "doa-0751");
        let d = app.ok(Some(&t), "mutation($e: String) { createServiceleverance(input: {navn: \"H\", enhedId: $e, type: MYNDIGHEDSPRODUKTION, startdato: \"2020-01-01\"}) { id } }", json!({ "e": h })).await;
        assert!(d["createServiceleverance"]["id"].is_string());
        let q = "query($b: [Boligtype!], $t: [ServiceleveranceType!], $m: Int, $k: SearchKind) { search(kommune: \"Aarhus\", kind: $k, boligtype: $b, type: $t, minAntalBoliger: $m) { totalCount nodes { navn } facets { kind { value count } boligtype { value count } type { value count } } } }";
        let names = |d: &Value| -> Vec<String> { d["search"]["nodes"].as_array().expect("nodes").iter().map(|n| n["navn"].as_str().unwrap_or("").to_string()).collect() };
        let before = app.state.statements.get();
        let d = app.ok(None, q, json!({})).await;
        assert_eq!(app.state.statements.get() - before, 0, "no SQL");
        assert_eq!(total(&d), 4);
        assert_eq!(d["search"]["facets"]["kind"], json!([{ "value": "HELHEDSPLEJEENHED", "count": 1 }, { "value": "PLEJEENHED", "count": 3 }]));
        assert_eq!(d["search"]["facets"]["boligtype"], json!([{ "value": "FRIPLEJEBOLIG", "count": 1 }, { "value": "PLEJEBOLIG", "count": 2 }]));
        let d = app.ok(None, q, json!({ "b": ["PLEJEBOLIG"] })).await;
        assert_eq!(names(&d), vec!["Ahorn", "Cedertræ"]);
        // The boligtype facet ignores its own filter, the others apply it.
        assert_eq!(d["search"]["facets"]["boligtype"], json!([{ "value": "FRIPLEJEBOLIG", "count": 1 }, { "value": "PLEJEBOLIG", "count": 2 }]));
        assert_eq!(d["search"]["facets"]["type"], json!([{ "value": "DRIFTSOVERENSKOMST", "count": 1 }, { "value": "MYNDIGHEDSPRODUKTION", "count": 1 }]));
        let d = app.ok(None, q, json!({ "m": 10 })).await;
        assert_eq!(names(&d), vec!["Ahorn", "Bøg"]);
        let d = app.ok(None, q, json!({ "t": ["MYNDIGHEDSPRODUKTION"], "k": "ALLE" })).await;
        assert_eq!(names(&d), vec!["Cedertræ", "Hjemmehjælpen"]);
        app.err(None, q, json!({ "m": -1 }), "VALIDATION").await;
    }
);

db_test!(
    /// Issue 10, part 8: open data. `/data/tilbud.csv` and `.json` list the public offers of all
    /// kommuner or one, for a day, with the attribution, an ETag and revalidation; a save changes
    /// them at once.
    open_data_files,
    |app: TestApp| async move {
        let e = create_enhed(&app, "PLEJEENHED", "Åbent Hus", "80000007", 56.16, 10.20).await;
        let sl = create_agreement(&app, AARHUS, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let c = app.client();
        let r = c.get(format!("{}/data/tilbud.json?kommune=Aarhus", app.addr)).send().await.expect("get");
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        let etag = r.headers()["etag"].to_str().expect("etag").to_string();
        let v: Value = r.json().await.expect("json");
        assert!(v["attribution"].as_str().unwrap_or("").contains("Sundhedsdatastyrelsen"));
        assert_eq!(v["tilbud"].as_array().map(Vec::len), Some(1));
        assert_eq!(v["tilbud"][0]["navn"], "Åbent Hus");
        assert_eq!(v["tilbud"][0]["kommunekode"], AARHUS);
        // Revalidation without a body.
        let r = c.get(format!("{}/data/tilbud.json?kommune=Aarhus", app.addr)).header("if-none-match", &etag).send().await.expect("get");
        assert_eq!(r.status(), 304);
        // CSV with the attribution line and a header row; all kommuner by default.
        let r = c.get(format!("{}/data/tilbud.csv", app.addr)).send().await.expect("get");
        assert!(r.headers()["content-type"].to_str().unwrap_or("").starts_with("text/csv"));
        let text = r.text().await.expect("text");
        let mut lines = text.lines();
        assert!(lines.next().unwrap_or("").starts_with("# Data om plejehjem"));
        assert!(lines.next().unwrap_or("").starts_with("kommunekode,kommune,kind,enhedId,navn"));
        assert!(text.contains("Åbent Hus"));
        // Before the start there is nothing; bad input is refused in Danish.
        let v: Value = c.get(format!("{}/data/tilbud.json?kommune=0751&dato=2019-12-31", app.addr)).send().await.expect("get").json().await.expect("json");
        assert_eq!(v["tilbud"].as_array().map(Vec::len), Some(0));
        let r = c.get(format!("{}/data/tilbud.json?dato=26-01-01", app.addr)).send().await.expect("get");
        assert_eq!(r.status(), 400);
        let r = c.get(format!("{}/data/tilbud.json?kommune=Atlantis", app.addr)).send().await.expect("get");
        assert_eq!(r.status(), 400);
        // A save ends the agreement: the file changes at once (R12), with a new ETag.
        let t = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(AARHUS), "doa-0751");
        app.ok(Some(&t), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", json!({ "id": sl })).await;
        app.ok(Some(&t), "mutation($id: ID!) { updateServiceleverance(id: $id, input: {slutdato: \"2021-01-01\"}) { id } }", json!({ "id": sl })).await;
        let r = c.get(format!("{}/data/tilbud.json?kommune=Aarhus", app.addr)).header("if-none-match", &etag).send().await.expect("get");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["tilbud"].as_array().map(Vec::len), Some(0));
    }
);
