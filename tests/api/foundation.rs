//! The foundation: kommuner, enheder, HTTP surface, schema, tokens.
use crate::db_test;
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use serde_json::json;

db_test!(
    kommuner_are_98_sorted_with_region_and_centroid,
    |app: TestApp| async move {
        let d = app
            .ok(
                None,
                "{ kommuner { kode navn region regionskode cvr centroid { lat lon } } }",
                json!({}),
            )
            .await;
        let k = d["kommuner"].as_array().expect("list");
        assert_eq!(k.len(), 98);
        let koder: Vec<&str> = k
            .iter()
            .map(|x| x["kode"].as_str().expect("kode"))
            .collect();
        let mut sorted = koder.clone();
        sorted.sort();
        assert_eq!(koder, sorted);
        assert_eq!(k[0]["navn"], "København");
        assert_eq!(k[0]["region"], "Region Hovedstaden");
        assert_eq!(k[0]["cvr"], "64942212");
        assert!((k[0]["centroid"]["lat"].as_f64().expect("lat") - 55.7041).abs() < 1e-6);
        let regions: std::collections::HashSet<&str> = k
            .iter()
            .map(|x| x["region"].as_str().expect("region"))
            .collect();
        assert_eq!(regions.len(), 5);
    }
);

db_test!(kommune_by_kode_or_name_r20, |app: TestApp| async move {
    for q in ["0101", "København", "kobenhavn", "Koebenhavn"] {
        let d = app
            .ok(
                None,
                "query($k: String!) { kommune(kode: $k) { kode } }",
                json!({ "k": q }),
            )
            .await;
        assert_eq!(d["kommune"]["kode"], "0101", "{q}");
    }
    let d = app
        .ok(None, "{ kommune(kode: \"Korsbæk\") { kode } }", json!({}))
        .await;
    assert!(d["kommune"].is_null());
});

db_test!(
    enhed_public_data_and_kommune_from_location_r17,
    |app: TestApp| async move {
        // Aarhus C lies in Aarhus Kommune, whatever the input says.
        let id = create_enhed(
            &app,
            "PLEJEENHED",
            "Ældrecenter Aldersro",
            "11112222",
            56.1535,
            10.2045,
        )
        .await;
        let d = app
        .ok(None, "query($id: String!) { enhed(id: $id) { id navn kind ejerCvr placering { lat lon } kommune { kode navn } } }", json!({ "id": id }))
        .await;
        assert_eq!(d["enhed"]["navn"], "Ældrecenter Aldersro");
        assert_eq!(d["enhed"]["kind"], "PLEJEENHED");
        assert_eq!(d["enhed"]["kommune"]["kode"], AARHUS);
        let d = app
            .ok(None, "{ enhed(id: \"findes-ikke\") { id } }", json!({}))
            .await;
        assert!(d["enhed"].is_null());
    }
);

db_test!(health_and_readiness, |app: TestApp| async move {
    let c = app.client();
    let r = c
        .get(format!("{}/healthz", app.addr))
        .send()
        .await
        .expect("healthz");
    assert_eq!(r.status(), 200);
    let r = c
        .get(format!("{}/readyz", app.addr))
        .send()
        .await
        .expect("readyz");
    assert_eq!(r.status(), 200);
});

db_test!(
    queries_over_get_and_no_mutations_over_get,
    |app: TestApp| async move {
        let c = app.client();
        let r = c
            .get(format!("{}/graphql", app.addr))
            .query(&[("query", "{ kommune(kode: \"0751\") { navn } }")])
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.expect("json");
        assert_eq!(v["data"]["kommune"]["navn"], "Aarhus");
        let r = c
            .get(format!("{}/graphql", app.addr))
            .query(&[("query", "mutation { deleteServiceleverance(id: \"x\") }")])
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 405);
    }
);

db_test!(
    playground_offers_the_example_operations,
    |app: TestApp| async move {
        let r = app
            .client()
            .get(format!("{}/", app.addr))
            .send()
            .await
            .expect("playground");
        assert_eq!(r.status(), 200);
        let html = r.text().await.expect("html");
        assert!(html.contains("GraphiQL"));
        assert!(
            html.contains("Plejeboliger_naer_Aarhus_C"),
            "the example operations are pre-loaded"
        );
        assert!(html.contains("Token (udvikling)"), "a place for the token");
    }
);

db_test!(
    bad_tokens_are_refused_not_anonymous,
    |app: TestApp| async move {
        let good = app.token(Role::Redaktoer, "11112222", "r1");
        let d = app
            .ok(
                Some(&good),
                "{ viewer { authenticated subject cvr roles } }",
                json!({}),
            )
            .await;
        assert_eq!(d["viewer"]["roles"], json!(["REDAKTOER"]));
        // Tampered signature.
        let mut bad = good.clone();
        bad.pop();
        bad.push(if good.ends_with('A') { 'B' } else { 'A' });
        app.err(
            Some(&bad),
            "{ viewer { subject } }",
            json!({}),
            "UNAUTHENTICATED",
        )
        .await;
        // alg: none.
        let parts: Vec<&str> = good.split('.').collect();
        let none_header = base64_url(r#"{"alg":"none","typ":"JWT"}"#);
        let none = format!("{none_header}.{}.", parts[1]);
        app.err(
            Some(&none),
            "{ viewer { subject } }",
            json!({}),
            "UNAUTHENTICATED",
        )
        .await;
        // Garbage and wrong scheme.
        app.err(
            Some("not-a-token"),
            "{ viewer { subject } }",
            json!({}),
            "UNAUTHENTICATED",
        )
        .await;
        let r = app
            .client()
            .post(format!("{}/graphql", app.addr))
            .header("Authorization", "Basic dXNlcjpwYXNz")
            .json(&json!({ "query": "{ viewer { subject } }" }))
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 401);
        // Expired.
        let req = plejeoverblik::auth::DevTokenRequest {
            roles: &[Role::Redaktoer],
            cvr: "11112222",
            name: None,
            subject: Some("x"),
            valid_hours: 1,
        };
        let old = plejeoverblik::auth::make_dev_token(
            plejeoverblik::config::DEFAULT_DEV_KEY,
            &req,
            chrono::Utc::now() - chrono::Duration::hours(3),
        )
        .expect("token");
        let e = app
            .err(
                Some(&old),
                "{ viewer { subject } }",
                json!({}),
                "UNAUTHENTICATED",
            )
            .await;
        assert!(e["message"].as_str().expect("msg").contains("udløbet"));
        // Anonymous is fine for public data.
        let d = app
            .ok(None, "{ viewer { authenticated } }", json!({}))
            .await;
        assert_eq!(d["viewer"]["authenticated"], false);
    }
);

fn base64_url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

db_test!(
    demo_data_holds_the_register_and_the_guide_examples,
    |app: TestApp| async move {
        let _ = app;
        let app = TestApp::spawn(
            app.db_kind,
            Options {
                seed_demo: true,
                ..Default::default()
            },
        )
        .await;
        // A real plejecenter of the national register.
        let d = app
        .ok(None, "{ enhed(id: \"86bd866d-7fec-46e4-99b2-38ca86cbb59d\") { navn boligtype antalBoliger kommune { navn } tilbydesAf { kode } } }", json!({}))
        .await;
        assert_eq!(d["enhed"]["navn"], "Humlehusene");
        assert_eq!(d["enhed"]["kommune"]["navn"], "Albertslund");
        assert_eq!(d["enhed"]["tilbydesAf"], json!([{ "kode": "0165" }]));
        assert_eq!(d["enhed"]["antalBoliger"], 48);
        let n = plejeoverblik::store::enhed::count(&app.state.db)
            .await
            .expect("count");
        assert_eq!(n, 907 + 6);
    }
);

/// `schema.graphql` is generated from the code (`plejeoverblik export-schema`); this fails when
/// it drifts.
#[test]
fn schema_graphql_is_current() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql");
    let generated = plejeoverblik::graphql::sdl();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `cargo run -- export-schema`"
    );
}

db_test!(
    /// Every example operation of `playground/` runs without errors on the demo data.
    playground_examples_run,
    |app: TestApp| async move {
        let app = TestApp::spawn(app.db_kind, Options { seed_demo: true, ..Default::default() }).await;
        let doa = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "playground");
        let read = |f: &str| std::fs::read_to_string(format!("{}/playground/{f}", env!("CARGO_MANIFEST_DIR"))).expect("example");
        for f in ["kommuner.graphql", "search-aarhus-naer.graphql", "search-helhedspleje-naeste-maaned.graphql", "enhed.graphql", "aendringer.graphql"] {
            let d = app.ok(None, &read(f), json!({})).await;
            assert!(d.as_object().is_some_and(|o| !o.is_empty()), "{f}");
        }
        for f in ["viewer.graphql", "serviceleverancer.graphql"] {
            app.ok(Some(&doa), &read(f), json!({})).await;
        }
        // The live example over graphql-sse: a new offer in Aarhus arrives.
        let mut live = crate::feed::SseStream::open(&app.addr, &read("aendringer-live.graphql"), json!({})).await;
        let e = create_enhed(&app, "PLEJEENHED", "Eksempelhjemmet", "80000007", 56.16, 10.20).await;
        create_agreement(&app, AARHUS, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let (_, ev) = live.next(std::time::Duration::from_secs(5)).await.expect("a live event");
        assert_eq!(ev["data"]["changes"]["enhed"]["navn"], "Eksempelhjemmet", "{ev}");
        let d = app.ok(Some(&doa), &read("create.graphql"), json!({})).await;
        let id = d["createServiceleverance"]["id"].as_str().expect("id").to_string();
        let flow = read("lock-update-checkin.graphql");
        let enhed = "86bd866d-7fec-46e4-99b2-38ca86cbb59d";
        for op in ["Laas", "Ret", "TjekInd"] {
            let r = app
                .client()
                .post(format!("{}/graphql", app.addr))
                .bearer_auth(&doa)
                .json(&json!({ "query": flow, "operationName": op, "variables": { "id": id, "enhedId": enhed } }))
                .send()
                .await
                .expect("post");
            let v: serde_json::Value = r.json().await.expect("json");
            assert!(v["errors"].is_null(), "{op}: {v}");
        }
    }
);

db_test!(
    /// Relay: global ids and node(id:) for Kommune and Enhed; inputs take either id.
    relay_node_and_global_ids,
    |app: TestApp| async move {
        let d = app.ok(None, "{ kommune(kode: \"0751\") { id navn } }", json!({})).await;
        let kid = d["kommune"]["id"].as_str().expect("id").to_string();
        let d = app.ok(None, "query($id: ID!) { node(id: $id) { id ... on Kommune { navn } } }", json!({ "id": kid })).await;
        assert_eq!(d["node"]["navn"], "Aarhus");
        assert_eq!(d["node"]["id"], kid);
        let gid = create_enhed(&app, "PLEJEENHED", "Globalt Hus", "80000001", 56.15, 10.2).await;
        let d = app.ok(None, "query($id: ID!) { node(id: $id) { __typename ... on Enhed { navn enhedId } } }", json!({ "id": gid })).await;
        assert_eq!(d["node"]["__typename"], "Enhed");
        let raw = d["node"]["enhedId"].as_str().expect("raw").to_string();
        assert_ne!(raw, gid);
        for id in [&gid, &raw] {
            let d = app.ok(None, "query($id: String!) { enhed(id: $id) { navn } }", json!({ "id": id })).await;
            assert_eq!(d["enhed"]["navn"], "Globalt Hus");
        }
        let d = app.ok(None, "{ node(id: \"bm9wZQ\") { id } }", json!({})).await;
        assert!(d["node"].is_null());
    }
);

/// Schema quality: every type, field, argument, input field and enum value is described.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_schema_element_has_a_description() {
    let app = TestApp::spawn(Db::Sqlite, Default::default()).await;
    let q = "{ __schema { types { name kind description fields { name description args { name description } } inputFields { name description } enumValues { name description } } } }";
    let d = app.ok(None, q, json!({})).await;
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    let mut missing = Vec::new();
    let empty = |v: &serde_json::Value| v.as_str().is_none_or(|s| s.trim().is_empty());
    for t in d["__schema"]["types"].as_array().expect("types") {
        let name = t["name"].as_str().expect("name");
        if name.starts_with("__") || builtin.contains(&name) {
            continue;
        }
        if empty(&t["description"]) {
            missing.push(name.to_string());
        }
        for f in t["fields"].as_array().into_iter().flatten() {
            if empty(&f["description"]) {
                missing.push(format!("{name}.{}", f["name"]));
            }
            for a in f["args"].as_array().into_iter().flatten() {
                if empty(&a["description"]) {
                    missing.push(format!("{name}.{}({})", f["name"], a["name"]));
                }
            }
        }
        for key in ["inputFields", "enumValues"] {
            for f in t[key].as_array().into_iter().flatten() {
                if empty(&f["description"]) {
                    missing.push(format!("{name}.{}", f["name"]));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:?}");
}
