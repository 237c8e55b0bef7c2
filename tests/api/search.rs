//! The public search (R20-R25), over HTTP, on both databases.
use crate::db_test;
use crate::helpers::*;
use chrono::{TimeZone, Utc};
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};

const SEARCH: &str = r#"query($k: String!, $kind: SearchKind, $date: Date, $near: PunktInput, $r: Float, $bbox: BBoxInput, $text: String, $first: Int, $after: String) {
  search(kommune: $k, kind: $kind, date: $date, near: $near, radiusKm: $r, bbox: $bbox, text: $text, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor distanceKm node { id navn kind placering { lat lon } kommune { kode } } serviceleverance { type beskrivelse startdato slutdato aftalepart { kode } } }
  }
}"#;

async fn search(app: &TestApp, vars: Value) -> Value {
    app.ok(None, SEARCH, vars).await["search"].clone()
}

fn names(s: &Value) -> Vec<String> {
    s["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["navn"].as_str().expect("navn").to_string())
        .collect()
}

const PROVIDER: &str = "90000001";

db_test!(
/// The user guide's three examples (R20, R21, R22, R4, R7) with real kommuner: "Korsbæk" = Roskilde,
/// "Vindblæst" = its neighbour Lejre.
guide_examples_r20_r21, |app: TestApp| async move {
    // Example 1: Roskilde has an agreement with the self-governing plejecenter Aldersro.
    let aldersro = create_enhed(&app, "PLEJEENHED", "Aldersro", "80000001", 55.6415, 12.0803).await;
    create_agreement(
        &app,
        ROSKILDE,
        &aldersro,
        "DRIFTSOVERENSKOMST",
        "2026-01-01",
        None,
    )
    .await;
    let s = search(&app, json!({ "k": "Roskilde", "kind": "PLEJEENHED" })).await;
    assert_eq!(names(&s), vec!["Aldersro"]);

    // Example 2: De varme hænder's branch lies in Lejre; Roskilde has an agreement with it.
    let branch = create_enhed(
        &app,
        "HELHEDSPLEJEENHED",
        "De varme hænder, Lejre",
        PROVIDER,
        55.6010,
        11.9750,
    )
    .await;
    let sl = create_agreement(
        &app,
        ROSKILDE,
        &branch,
        "DRIFTSOVERENSKOMST",
        "2026-01-01",
        None,
    )
    .await;
    // R4: without the provider's beskrivelse it is not shown yet.
    let s = search(&app, json!({ "k": ROSKILDE, "kind": "HELHEDSPLEJEENHED" })).await;
    assert_eq!(s["totalCount"], 0);
    let red = app.token(Role::Redaktoer, PROVIDER, "redaktoer");
    app.ok(
        Some(&red),
        "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }",
        json!({ "id": sl }),
    )
    .await;
    app.ok(Some(&red), "mutation($id: ID!) { setBeskrivelse(id: $id, beskrivelse: \"Pleje alle dage kl. 7-23\") { id } }", json!({ "id": sl }))
        .await;
    let s = search(&app, json!({ "k": ROSKILDE, "kind": "HELHEDSPLEJEENHED" })).await;
    assert_eq!(names(&s), vec!["De varme hænder, Lejre"]);
    let hit = &s["edges"][0];
    assert_eq!(
        hit["node"]["kommune"]["kode"], LEJRE,
        "the branch lies in the neighbouring kommune"
    );
    assert_eq!(
        hit["serviceleverance"]["beskrivelse"],
        "Pleje alle dage kl. 7-23"
    );
    assert_eq!(hit["serviceleverance"]["aftalepart"]["kode"], ROSKILDE);
    // Both kinds by default.
    let s = search(&app, json!({ "k": ROSKILDE })).await;
    assert_eq!(s["totalCount"], 2);

    // Example 3: Lejre has no agreement with it, so it is not shown for Lejre although it lies there.
    let s = search(&app, json!({ "k": "Lejre" })).await;
    assert_eq!(s["totalCount"], 0);
});

db_test!(
/// R6/R20: which agreements are active on the day; deleted and erroneous ones are hidden;
/// R7: an enhed with agreements with two kommuner is shown in both; R21: friplejeboliger.

    activity_deletion_errors_and_two_kommuner_r6_r7_r8_r20_r21,
    |app: TestApp| async move {
        // Today (test clock) is 2026-06-15.
        let mk = |n: &'static str| create_enhed(&app, "PLEJEENHED", n, "80000002", 56.16, 10.20);
        let ended_yesterday = mk("Endte i går").await;
        let starts_tomorrow = mk("Starter i morgen").await;
        let ends_today = mk("Slutter i dag").await;
        let open = mk("Løbende").await;
        let deleted = mk("Slettet").await;
        let no_agreement = mk("Uden aftale").await;
        let _ = no_agreement;
        create_agreement(
            &app,
            AARHUS,
            &ended_yesterday,
            "DRIFTSOVERENSKOMST",
            "2026-01-01",
            Some("2026-06-14"),
        )
        .await;
        create_agreement(
            &app,
            AARHUS,
            &starts_tomorrow,
            "DRIFTSOVERENSKOMST",
            "2026-06-16",
            None,
        )
        .await;
        create_agreement(
            &app,
            AARHUS,
            &ends_today,
            "DRIFTSOVERENSKOMST",
            "2026-01-01",
            Some("2026-06-15"),
        )
        .await;
        create_agreement(
            &app,
            AARHUS,
            &open,
            "DRIFTSOVERENSKOMST",
            "2020-01-01",
            None,
        )
        .await;
        let del = create_agreement(
            &app,
            AARHUS,
            &deleted,
            "DRIFTSOVERENSKOMST",
            "2020-01-01",
            None,
        )
        .await;
        // An agreement with an ERROR issue (no startdato) is hidden.
        let t = app.token(
            Role::Driftsoverenskomstansvarlig,
            &kommune_cvr(AARHUS),
            "doa-0751",
        );
        let half = mk("Halvt udfyldt").await;
        app.ok(
        Some(&t),
        "mutation($e: String) { createServiceleverance(input: { navn: \"Halv\", enhedId: $e, type: DRIFTSOVERENSKOMST }) { id } }",
        json!({ "e": half }),
    )
    .await;
        let before = names(&search(&app, json!({ "k": AARHUS })).await);
        assert!(before.contains(&"Slettet".to_string()));
        // R8: delete (needs the lock) and it leaves the search at once.
        app.ok(
            Some(&t),
            "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }",
            json!({ "id": del }),
        )
        .await;
        app.ok(
            Some(&t),
            "mutation($id: ID!) { deleteServiceleverance(id: $id) }",
            json!({ "id": del }),
        )
        .await;
        let s = search(&app, json!({ "k": AARHUS })).await;
        assert_eq!(names(&s), vec!["Løbende", "Slutter i dag"]);
        // Another day: "which offers will exist on 1 March?" (R23)
        let s = search(&app, json!({ "k": AARHUS, "date": "2026-06-16" })).await;
        assert_eq!(names(&s), vec!["Løbende", "Starter i morgen"]);
        let s = search(&app, json!({ "k": AARHUS, "date": "2026-06-14" })).await;
        assert_eq!(names(&s), vec!["Endte i går", "Løbende", "Slutter i dag"]);

        // R7: the same enhed with agreements with two kommuner is shown in both.
        create_agreement(
            &app,
            ROSKILDE,
            &open,
            "DRIFTSOVERENSKOMST",
            "2020-01-01",
            None,
        )
        .await;
        assert_eq!(
            names(&search(&app, json!({ "k": ROSKILDE })).await),
            vec!["Løbende"]
        );
        assert!(names(&search(&app, json!({ "k": AARHUS })).await).contains(&"Løbende".to_string()));

        // R21: a friplejebolig appears through its FRIPLEJEBOLIG agreement with the kommune it lies in.
        let fri = create_enhed(
            &app,
            "PLEJEENHED",
            "Friplejeboligerne Solhaven",
            "80000003",
            56.17,
            10.19,
        )
        .await;
        create_agreement(&app, AARHUS, &fri, "FRIPLEJEBOLIG", "2024-01-01", None).await;
        let s = search(&app, json!({ "k": AARHUS, "text": "solhaven" })).await;
        assert_eq!(names(&s), vec!["Friplejeboligerne Solhaven"]);
        assert_eq!(s["edges"][0]["serviceleverance"]["type"], "FRIPLEJEBOLIG");
        // Unknown kommune: a clear error, not an empty list.
        let e = app
            .err(None, SEARCH, json!({ "k": "Korsbæk" }), "VALIDATION")
            .await;
        assert!(e["message"].as_str().expect("msg").contains("Korsbæk"));
    }
);

db_test!(
/// R6: "today" switches at midnight in Copenhagen, not UTC, in summer and winter time.
today_is_copenhagen_midnight_r6, |app: TestApp| async move {
    let summer = create_enhed(&app, "PLEJEENHED", "Sommerhuset", "80000004", 56.16, 10.20).await;
    let winter = create_enhed(&app, "PLEJEENHED", "Vinterhuset", "80000004", 56.16, 10.21).await;
    create_agreement(
        &app,
        AARHUS,
        &summer,
        "DRIFTSOVERENSKOMST",
        "2026-07-01",
        None,
    )
    .await;
    create_agreement(
        &app,
        AARHUS,
        &winter,
        "DRIFTSOVERENSKOMST",
        "2027-01-01",
        None,
    )
    .await;
    let at = |y, m, d, h, min| {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("time")
    };
    // Summer time is UTC+2: 1 July starts at 22:00 UTC on 30 June.
    app.set_now(at(2026, 6, 30, 21, 59));
    assert_eq!(
        names(&search(&app, json!({ "k": AARHUS })).await),
        Vec::<String>::new()
    );
    app.set_now(at(2026, 6, 30, 22, 0));
    assert_eq!(
        names(&search(&app, json!({ "k": AARHUS })).await),
        vec!["Sommerhuset"]
    );
    app.set_now(at(2026, 7, 1, 1, 30));
    assert_eq!(
        names(&search(&app, json!({ "k": AARHUS })).await),
        vec!["Sommerhuset"]
    );
    // Winter time is UTC+1: 1 January starts at 23:00 UTC on 31 December.
    app.set_now(at(2026, 12, 31, 22, 59));
    assert_eq!(
        names(&search(&app, json!({ "k": AARHUS })).await),
        vec!["Sommerhuset"]
    );
    app.set_now(at(2026, 12, 31, 23, 0));
    assert_eq!(
        names(&search(&app, json!({ "k": AARHUS })).await),
        vec!["Sommerhuset", "Vinterhuset"]
    );
    let s = search(&app, json!({ "k": AARHUS })).await;
    let d = app
        .ok(None, "{ search(kommune: \"0751\") { dato } }", json!({}))
        .await;
    assert_eq!(d["search"]["dato"], "2027-01-01");
    let _ = s;
});

/// Haversine distance in km, computed independently of the service.
fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6371.0088_f64;
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dla = la2 - la1;
    let dlo = (b.1 - a.1).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

db_test!(
/// R23: radius and bbox filters agree with independently computed haversine distances; nearest first.

    radius_and_bbox_agree_with_haversine_r23,
    |app: TestApp| async move {
        let center = (56.1535, 10.2045);
        let mut points = Vec::new();
        for i in 0..16 {
            let angle = (i as f64) * 0.7;
            let dist_deg = 0.005 + 0.006 * i as f64; // ~0.5 km .. ~10 km
            let p = (
                center.0 + dist_deg * angle.cos(),
                center.1 + dist_deg * 1.8 * angle.sin(),
            );
            let id = create_enhed(
                &app,
                "PLEJEENHED",
                &format!("Punkt {i:02}"),
                "80000005",
                p.0,
                p.1,
            )
            .await;
            create_agreement(&app, AARHUS, &id, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
            points.push((format!("Punkt {i:02}"), p));
        }
        for radius in [1.0, 3.0, 5.0, 8.0] {
            let mut expect: Vec<(String, f64)> = points
                .iter()
                .map(|(n, p)| (n.clone(), haversine(center, *p)))
                .filter(|(_, d)| *d <= radius)
                .collect();
            expect.sort_by(|a, b| a.1.total_cmp(&b.1));
            let s = search(&app, json!({ "k": AARHUS, "near": { "lat": center.0, "lon": center.1 }, "r": radius, "first": 100 })).await;
            assert_eq!(
                names(&s),
                expect.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
                "radius {radius}"
            );
            for (edge, (_, d)) in s["edges"].as_array().expect("edges").iter().zip(&expect) {
                assert!((edge["distanceKm"].as_f64().expect("distance") - d).abs() < 0.002);
            }
        }
        let bbox = json!({ "minLat": 56.14, "minLon": 10.18, "maxLat": 56.19, "maxLon": 10.25 });
        let mut inside: Vec<String> = points
            .iter()
            .filter(|(_, p)| (56.14..=56.19).contains(&p.0) && (10.18..=10.25).contains(&p.1))
            .map(|(n, _)| n.clone())
            .collect();
        inside.sort();
        let s = search(&app, json!({ "k": AARHUS, "bbox": bbox, "first": 100 })).await;
        assert_eq!(names(&s), inside);
        assert!(!inside.is_empty() && inside.len() < points.len());
        // Bad input is a clear VALIDATION error.
        app.err(None, SEARCH, json!({ "k": AARHUS, "r": 5.0 }), "VALIDATION")
            .await;
        app.err(
            None,
            SEARCH,
            json!({ "k": AARHUS, "near": { "lat": 91.0, "lon": 10.0 } }),
            "VALIDATION",
        )
        .await;
        app.err(
            None,
            SEARCH,
            json!({ "k": AARHUS, "near": { "lat": 56.0, "lon": 10.0 }, "r": -1.0 }),
            "VALIDATION",
        )
        .await;
        app.err(None, SEARCH, json!({ "k": AARHUS, "bbox": { "minLat": 57.0, "minLon": 10.0, "maxLat": 56.0, "maxLon": 11.0 } }), "VALIDATION").await;
    }
);

db_test!(
/// R24: paging returns each hit exactly once, in order, Danish name order, stable ties;
/// totalCount is the number of hits; bad cursors and page sizes are clear errors.
paging_and_danish_order_r24, |app: TestApp| async move {
    let mut expected = Vec::new();
    for n in [
        "Åhaven",
        "Ærøhjemmet",
        "Ølbyhus",
        "Zenia",
        "Alfa",
        "Bøgely",
        "Bogholderiet",
        "Aldersro",
    ] {
        let id = create_enhed(&app, "PLEJEENHED", n, "80000006", 56.16, 10.20).await;
        create_agreement(&app, AARHUS, &id, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
    }
    // Two with the same name: the tie is broken stably.
    for _ in 0..2 {
        let id = create_enhed(&app, "PLEJEENHED", "Tvilling", "80000006", 56.16, 10.20).await;
        create_agreement(&app, AARHUS, &id, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
    }
    for n in [
        "Aldersro",
        "Alfa",
        "Bogholderiet",
        "Bøgely",
        "Tvilling",
        "Tvilling",
        "Zenia",
        "Ærøhjemmet",
        "Ølbyhus",
        "Åhaven",
    ] {
        expected.push(n.to_string());
    }
    let all = search(&app, json!({ "k": AARHUS, "first": 100 })).await;
    assert_eq!(names(&all), expected);
    for first in [1, 3, 4] {
        let mut seen = Vec::new();
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let s = search(&app, json!({ "k": AARHUS, "first": first, "after": after })).await;
            assert_eq!(s["totalCount"], 10);
            seen.extend(names(&s));
            ids.extend(
                s["edges"]
                    .as_array()
                    .expect("edges")
                    .iter()
                    .map(|e| e["node"]["id"].as_str().expect("id").to_string()),
            );
            if s["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = s["pageInfo"]["endCursor"].as_str().map(str::to_string);
        }
        assert_eq!(seen, expected, "page size {first}");
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), 10);
    }
    for bad in [
        json!({ "k": AARHUS, "first": -1 }),
        json!({ "k": AARHUS, "first": 101 }),
        json!({ "k": AARHUS, "after": "bm9wZQ" }),
        json!({ "k": AARHUS, "after": "!!!" }),
    ] {
        app.err(None, SEARCH, bad, "VALIDATION").await;
    }
});

db_test!(
/// No N+1: a search runs the same small number of statements for 2 hits as for 30, with nested
/// fields.
search_has_no_n_plus_one, |app: TestApp| async move {
    for i in 0..30 {
        let id = create_enhed(
            &app,
            "PLEJEENHED",
            &format!("Enhed {i:02}"),
            "80000007",
            56.16,
            10.20 + i as f64 * 0.001,
        )
        .await;
        create_agreement(&app, AARHUS, &id, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
    }
    let q = "query($f: Int) { search(kommune: \"Aarhus\", first: $f) { totalCount edges { node { id navn kommune { navn tilbud { plejeenheder } } tilbydesAf { kode } } serviceleverance { type aftalepart { navn } } } } }";
    let mut counts = Vec::new();
    for first in [2, 30] {
        let before = app.state.statements.get();
        let d = app.ok(None, q, json!({ "f": first })).await;
        counts.push(app.state.statements.get() - before);
        assert_eq!(
            d["search"]["edges"].as_array().expect("edges").len(),
            first as usize
        );
    }
    // The same small bound for 2 and for 30 hits. (DataLoader batches are formed within a short
    // delay, so under heavy load a batch may split in two: the bound allows for that, an N+1 would
    // need 30 and more.)
    assert!(
        counts.iter().all(|c| *c <= 10),
        "a small constant number of statements for 2 and 30 hits: {counts:?}"
    );
});

db_test!(
/// R25: nothing non-public is reachable from a hit.

    search_exposes_public_data_only_r25,
    |app: TestApp| async move {
        for field in [
            "aftaleidentifikation",
            "laas { navn }",
            "versions { nummer }",
            "issues { code }",
        ] {
            let q = format!(
                "{{ search(kommune: \"0751\") {{ edges {{ serviceleverance {{ {field} }} }} }} }}"
            );
            let v = app.gql(None, &q, json!({})).await;
            assert!(
                v["errors"][0]["message"].as_str().is_some(),
                "{field} must not exist on the public agreement"
            );
        }
        // An enhed's lock is shown only to those who may edit the enhed; the public sees none.
        let e = create_enhed(&app, "PLEJEENHED", "Låst Hjem", "90000009", 56.15, 10.2).await;
        create_agreement(&app, "0751", &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let owner = app.token(Role::Redaktoer, "90000009", "rikke");
        app.ok(
            Some(&owner),
            "mutation($id: String!) { lockEnhed(id: $id) { id } }",
            json!({ "id": e }),
        )
        .await;
        let d = app
            .ok(
                None,
                "{ search(kommune: \"0751\") { edges { node { laas { navn } } } } }",
                json!({}),
            )
            .await;
        let edges = d["search"]["edges"].as_array().expect("edges");
        assert_eq!(edges.len(), 1, "{d}");
        assert!(edges.iter().all(|e| e["node"]["laas"].is_null()), "{d}");
    }
);

db_test!(
/// The demo data answers the citizen's questions of the search issue.

    demo_search_aarhus_nearby_and_roskilde_next_month,
    |app: TestApp| async move {
        let app = TestApp::spawn(
            app.db_kind,
            Options {
                seed_demo: true,
                ..Default::default()
            },
        )
        .await;
        let s = search(&app, json!({ "k": "Aarhus", "kind": "PLEJEENHED", "near": { "lat": 56.1535, "lon": 10.2045 }, "r": 5.0, "first": 5 })).await;
        assert!(s["totalCount"].as_i64().expect("count") > 5);
        let d: Vec<f64> = s["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["distanceKm"].as_f64().expect("d"))
            .collect();
        assert!(d.windows(2).all(|w| w[0] <= w[1]) && d.iter().all(|x| *x <= 5.0));
        // Next month Roskilde offers one more helhedspleje provider (from Greve), and the branch in Lejre.
        let today = search(
            &app,
            json!({ "k": "Roskilde", "kind": "HELHEDSPLEJEENHED" }),
        )
        .await;
        let next = search(
            &app,
            json!({ "k": "Roskilde", "kind": "HELHEDSPLEJEENHED", "date": "2026-07-01" }),
        )
        .await;
        assert!(names(&today).contains(&"De varme hænder, afdeling Lejre (demo)".to_string()));
        assert!(
            !names(&today).iter().any(|n| n.contains("Solstrejf")),
            "no beskrivelse yet: hidden (R4)"
        );
        assert!(!names(&today).iter().any(|n| n.contains("Greve")));
        assert!(names(&next).iter().any(|n| n.contains("Greve")));
        let lejre = search(&app, json!({ "k": "Lejre", "kind": "HELHEDSPLEJEENHED" })).await;
        assert_eq!(
            lejre["totalCount"], 0,
            "Lejre has no agreement with the branch that lies in it"
        );
    }
);

db_test!(
    /// R6 has one definition: the SQL condition of the admin list's `activeOn`, the public search,
    /// `Kommune.tilbud` and `Enhed.tilbydesAf` (`store::serviceleverance::active_on`) agrees with
    /// `domain::day::is_active` on every edge: startdato and slutdato missing, before, on and after
    /// the day, both ends inclusive, open-ended, and no startdato (never active).
    r6_sql_and_domain_agree_on_edge_days,
    |app: TestApp| async move {
        use chrono::NaiveDate;
        use plejeoverblik::domain::day::is_active;
        let d = |day: u32| NaiveDate::from_ymd_opt(2026, 3, day).expect("date");
        let kommune = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let ends = [None, Some(d(2)), Some(d(3)), Some(d(4))];
        // (navn of the agreement and of its enhed, startdato, slutdato)
        let mut grid: Vec<(String, String, Option<NaiveDate>, Option<NaiveDate>)> = Vec::new();
        for start in ends {
            for slut in ends {
                if matches!((start, slut), (Some(a), Some(b)) if b < a) {
                    continue; // refused by R5
                }
                let n = grid.len();
                let enhed_navn = format!("Enhed {n:02}");
                let enhed = create_enhed(&app, "PLEJEENHED", &enhed_navn, "80000001", 55.64, 12.08).await;
                let navn = format!("Aftale {n:02} {start:?}..{slut:?}");
                let date = |x: Option<NaiveDate>| x.map(|x| x.to_string());
                app.ok(
                    Some(&kommune),
                    "mutation($i: CreateServiceleveranceInput!) { createServiceleverance(input: $i) { id } }",
                    json!({ "i": { "navn": navn, "enhedId": enhed, "type": "DRIFTSOVERENSKOMST", "startdato": date(start), "slutdato": date(slut) } }),
                )
                .await;
                grid.push((navn, enhed, start, slut));
            }
        }
        assert_eq!(grid.len(), 13);
        let enhed_navn = |i: usize| format!("Enhed {i:02}");
        for day in (1..=5).map(d) {
            let want: Vec<usize> = (0..grid.len()).filter(|&i| is_active(grid[i].2, grid[i].3, day)).collect();
            let dv = json!({ "d": day.to_string() });

            // The admin list's activeOn filter.
            let l = app
                .ok(Some(&kommune), "query($d: Date!) { serviceleverancer(activeOn: $d, first: 100) { totalCount nodes { navn } } }", dv.clone())
                .await;
            let mut got: Vec<String> = l["serviceleverancer"]["nodes"].as_array().expect("nodes").iter().map(|n| n["navn"].as_str().expect("navn").to_string()).collect();
            got.sort();
            let expected: Vec<String> = want.iter().map(|&i| grid[i].0.clone()).collect();
            assert_eq!(got, expected, "[{:?}] activeOn {day}", app.db_kind);
            assert_eq!(l["serviceleverancer"]["totalCount"], expected.len());

            // The public search: every agreement with a startdato is free of errors, so exactly
            // the active ones are found.
            let s = search(&app, json!({ "k": ROSKILDE, "date": day.to_string(), "first": 50 })).await;
            let mut got = names(&s);
            got.sort();
            let expected: Vec<String> = want.iter().map(|&i| enhed_navn(i)).collect();
            assert_eq!(got, expected, "[{:?}] search on {day}", app.db_kind);

            // Kommune.tilbud counts them.
            let t = app.ok(None, "query($d: Date) { kommune(kode: \"0265\") { tilbud(dato: $d) { plejeenheder } } }", dv.clone()).await;
            assert_eq!(t["kommune"]["tilbud"]["plejeenheder"], want.len(), "[{:?}] tilbud on {day}", app.db_kind);

            // Enhed.tilbydesAf names Roskilde exactly for the active ones.
            for (i, (_, enhed, start, slut)) in grid.iter().enumerate() {
                let e = app
                    .ok(None, "query($id: String!, $d: Date) { enhed(id: $id) { tilbydesAf(dato: $d) { kode } } }", json!({ "id": enhed, "d": day.to_string() }))
                    .await;
                let offered = !e["enhed"]["tilbydesAf"].as_array().expect("list").is_empty();
                assert_eq!(offered, is_active(*start, *slut, day), "[{:?}] tilbydesAf of {i} ({start:?}..{slut:?}) on {day}", app.db_kind);
            }
        }
    }
);

/// An enhed's agreements' periods: (startdato, slutdato).
type Periods = &'static [(&'static str, Option<&'static str>)];

db_test!(
/// R6, R22, R24: `totalCount` and the pages by name on days at the edges of overlapping,
/// touching, ended and future periods: an enhed counts once on a day on which any of its
/// agreements is active, the pages of one hit together give every hit once, and a deleted
/// agreement leaves the counts at once (the read model's day counts against the rules).
totals_by_day_follow_the_periods_r6_r22, |app: TestApp| async move {
    // (name, [(start, end)]) in Aarhus.
    let plan: [(&str, Periods); 4] = [
        ("Ahorn", &[("2026-01-01", Some("2026-06-30")), ("2026-03-01", None)]),
        ("Birk", &[("2026-02-01", Some("2026-02-28"))]),
        ("Cedertræ", &[("2026-05-01", Some("2026-05-31")), ("2026-06-01", Some("2026-07-31"))]),
        ("Dunet", &[("2027-01-01", None)]),
    ];
    let mut agreements = Vec::new();
    for (i, (navn, periods)) in plan.iter().enumerate() {
        let id = create_enhed(&app, "PLEJEENHED", navn, "80000009", 56.15 + i as f64 * 0.01, 10.2).await;
        for (start, end) in periods.iter() {
            agreements.push(create_agreement(&app, AARHUS, &id, "DRIFTSOVERENSKOMST", start, *end).await);
        }
    }
    let active = |day: &str, skip: &[usize]| -> Vec<String> {
        let mut n = 0;
        let mut out = Vec::new();
        for (navn, periods) in plan.iter() {
            let mut on = false;
            for (start, end) in periods.iter() {
                if !skip.contains(&n) && *start <= day && end.is_none_or(|e| day <= e) {
                    on = true;
                }
                n += 1;
            }
            if on {
                out.push(navn.to_string());
            }
        }
        out
    };
    let days = [
        "2025-12-31", "2026-01-01", "2026-02-15", "2026-02-28", "2026-03-01", "2026-05-31",
        "2026-06-01", "2026-06-30", "2026-07-01", "2026-07-31", "2026-08-01", "2027-01-01",
    ];
    let check = |skip: Vec<usize>| {
        let app = &app;
        async move {
            for day in days {
                let want = active(day, &skip);
                let s = search(app, json!({ "k": AARHUS, "date": day })).await;
                assert_eq!(s["totalCount"], want.len(), "{day}");
                assert_eq!(names(&s), want, "{day}");
                // One hit a page: every page says the same total, and the pages give each hit once.
                let (mut walked, mut after) = (Vec::new(), Value::Null);
                loop {
                    let p = search(app, json!({ "k": AARHUS, "date": day, "first": 1, "after": after })).await;
                    assert_eq!(p["totalCount"], want.len(), "{day} after {after}");
                    walked.extend(names(&p));
                    if p["pageInfo"]["hasNextPage"] != true {
                        break;
                    }
                    after = p["pageInfo"]["endCursor"].clone();
                }
                assert_eq!(walked, want, "{day}");
            }
        }
    };
    check(Vec::new()).await;
    // The open agreement of Ahorn is deleted: from 2026-07-01 Ahorn is gone.
    let kommune = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(AARHUS), "doa-0751");
    app.ok(Some(&kommune), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", json!({ "id": agreements[1] })).await;
    app.ok(Some(&kommune), "mutation($id: ID!) { deleteServiceleverance(id: $id) }", json!({ "id": agreements[1] })).await;
    check(vec![1]).await;
});

db_test!(
/// R22, R23, R24: nearest first without a radius, page by page: every enhed once (one of two
/// agreements), in the order of independently computed haversine distances, with the same
/// `totalCount` on every page, from a point inside the enheder and from one far outside them.
nearest_first_pages_walk_every_hit_once_r23, |app: TestApp| async move {
    let center = (56.1535, 10.2045);
    let mut points = Vec::new();
    for i in 0..24 {
        let angle = (i as f64) * 2.3;
        let dist_deg = 0.004 + 0.0031 * i as f64;
        let p = (center.0 + dist_deg * angle.cos(), center.1 + dist_deg * 1.7 * angle.sin());
        let navn = format!("Sted {:02}", (i * 7) % 24);
        let id = create_enhed(&app, "PLEJEENHED", &navn, "80000011", p.0, p.1).await;
        create_agreement(&app, AARHUS, &id, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        if i % 5 == 0 {
            create_agreement(&app, AARHUS, &id, "DRIFTSOVERENSKOMST", "2021-01-01", None).await;
        }
        points.push((navn, p));
    }
    for from in [center, (56.3, 10.6), (55.6761, 12.5683)] {
        let mut expect: Vec<(String, f64)> =
            points.iter().map(|(n, p)| (n.clone(), haversine(from, *p))).collect();
        expect.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (mut walked, mut after) = (Vec::new(), Value::Null);
        loop {
            let s = search(&app, json!({ "k": AARHUS, "near": { "lat": from.0, "lon": from.1 }, "first": 5, "after": after })).await;
            assert_eq!(s["totalCount"], 24, "from {from:?}");
            for e in s["edges"].as_array().expect("edges") {
                // R22: of two agreements, the one started last.
                let i = points
                    .iter()
                    .position(|(n, _)| Some(n.as_str()) == e["node"]["navn"].as_str())
                    .expect("a created enhed");
                let start = if i % 5 == 0 { "2021-01-01" } else { "2020-01-01" };
                assert_eq!(e["serviceleverance"]["startdato"], start);
                walked.push((
                    e["node"]["navn"].as_str().expect("navn").to_string(),
                    e["distanceKm"].as_f64().expect("distance"),
                ));
            }
            if s["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = s["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(
            walked.iter().map(|w| w.0.clone()).collect::<Vec<_>>(),
            expect.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
            "from {from:?}"
        );
        for (w, e) in walked.iter().zip(&expect) {
            assert!((w.1 - e.1).abs() < 0.002, "{w:?} {e:?}");
        }
    }
});

/// Every field of a hit that a search can give from memory (issue 10: written directly, without
/// async-graphql's executor per field), in fragments as a site would ask.
const EVERY_FIELD: &str = r#"
fragment K on Kommune { id kode navn region regionskode cvr centroid { lat lon __typename } }
fragment E on Enhed { id enhedId revision kind navn ejerCvr sorKode adresse { vejnavn postnummer by }
  placering { lat lon } kommune { ...K } boligtype antalBoliger beskrivelse kontakt { telefon email web } demo
  profil { huslejeFra huslejeTil huslejeTekst indskud parboliger demens madPaaStedet dyr traening faciliteter
    ydelser kanLevereFra omraader fotos { url alt bredde hoejde } }
  tilsyn { seneste { dato vurdering sammenfatning rapportUrl } paabudForbud { id type tekst givet ophaevet } } }
"#;

db_test!(
/// A page's hits are written directly (issue 10) and answer exactly as async-graphql's own
/// executor does: the same values, nulls, aliases, fragments and key order (GraphQL 7.1), with
/// and without `near` (R23), on a page of plejeenheder and helhedspleje (R22). A fragment on the
/// interface `Node` makes the items go async-graphql's way, so the two texts must be equal.
/// Fields that need the request (`laas`, `tilbud`) and a field asked twice under one name go
/// async-graphql's way, with the right answer.
direct_hits_answer_as_the_executor_does_r22_r23, |app: TestApp| async move {
    let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
    let full = json!({ "kind": "PLEJEENHED", "navn": "Åbrinken", "ejerCvr": "80000003", "sorKode": "123456",
        "vejnavn": "Søndergade 1", "postnummer": "8000", "by": "Aarhus C", "lat": 56.15, "lon": 10.21,
        "beskrivelse": "Et \"hjem\" med have\nog udsigt", "telefon": "+45 12345678", "email": "a@b.dk",
        "web": "https://example.dk", "boligtype": "FRIPLEJEBOLIG", "antalBoliger": 42,
        "huslejeFra": 8200, "huslejeTil": 9100, "indskud": 15000, "parboliger": 3, "demens": "DEMENSVENLIG",
        "madPaaStedet": true, "dyr": "EGNE", "traening": false, "faciliteter": ["HAVE", "INTERNET"] });
    let no_place = json!({ "kind": "PLEJEENHED", "navn": "Uden sted", "ejerCvr": "80000003", "kommuneKode": AARHUS });
    for input in [full, no_place] {
        let d = app.ok(Some(&admin), "mutation($i: EnhedInput!) { createEnhed(input: $i) { id } }", json!({ "i": input })).await;
        let id = d["createEnhed"]["id"].as_str().expect("id").to_string();
        create_agreement(&app, AARHUS, &id, "DRIFTSOVERENSKOMST", "2026-01-01", Some("2027-12-31")).await;
        // R32: a tilsyn and a påbud in force on the first.
        if input["huslejeFra"].is_number() {
            app.ok(Some(&admin), "mutation($e: String!) { registerTilsyn(enhedId: $e, input: { dato: \"2026-04-01\", vurdering: \"Mindre problemer\", sammenfatning: \"Se \\\"rapporten\\\"\" }) { dato } }", json!({ "e": id })).await;
            app.ok(Some(&admin), "mutation($e: String!) { givePaabudForbud(enhedId: $e, input: { type: PAABUD, tekst: \"Ret det\", givet: \"2026-04-02\" }) { id } }", json!({ "e": id })).await;
        }
    }
    // In the neighbouring kommune (Skanderborg), offered to Aarhus.
    let away = create_enhed(&app, "HELHEDSPLEJEENHED", "Ude i skoven", PROVIDER, 56.04, 9.93).await;
    create_agreement(&app, AARHUS, &away, "MYNDIGHEDSPRODUKTION", "2025-03-01", None).await;

    let page = |node: &str| format!(r#"query($k: String!, $near: PunktInput) {{
      search(kommune: $k, near: $near, first: 10) {{
        totalCount
        edges {{ __typename cursor distanceKm node {{ {node} __typename }}
          serviceleverance {{ __typename type beskrivelse startdato slutdato aftalepart {{ ...K }} }}
          ... on SearchHit {{ km: distanceKm }} }}
        nodes {{ {node} }}
      }} }} {EVERY_FIELD}"#);
    let text = |q: String, vars: Value| {
        let app = &app;
        async move {
            let r = app.client().post(format!("{}/graphql", app.addr)).json(&json!({ "query": q, "variables": vars })).send().await.expect("post");
            r.text().await.expect("body")
        }
    };
    // The second point asks the same enheder again: their texts come from the kept ones
    // (`direct::Rendered`) and must still answer as the executor does.
    for vars in [json!({ "k": AARHUS }), json!({ "k": AARHUS, "near": { "lat": 56.1, "lon": 10.1 } }), json!({ "k": AARHUS, "near": { "lat": 56.2, "lon": 10.3 } })] {
        let direct = text(page("...E"), vars.clone()).await;
        let executor = text(page("... on Node { id } ...E"), vars.clone()).await;
        assert_eq!(direct, executor, "{vars}");
        let v: Value = serde_json::from_str(&direct).expect("json");
        let s = &v["data"]["search"];
        let near = vars.get("near").is_some();
        // Nearest first gives the enheder with a place.
        assert_eq!(s["totalCount"], if near { 2 } else { 3 }, "{direct}");
        let hit = |navn: &str| s["edges"].as_array().expect("edges").iter()
            .find(|e| e["node"]["navn"] == navn).cloned().unwrap_or_default();
        let (full, no_place, away) = (hit("Åbrinken"), hit("Uden sted"), hit("Ude i skoven"));
        assert_eq!(full["node"]["beskrivelse"], "Et \"hjem\" med have\nog udsigt");
        assert_eq!(full["node"]["boligtype"], "FRIPLEJEBOLIG");
        assert_eq!(full["node"]["antalBoliger"], 42);
        assert_eq!(full["node"]["profil"]["faciliteter"], json!(["HAVE", "INTERNET"]));
        assert_eq!(full["node"]["tilsyn"]["paabudForbud"][0]["type"], "PAABUD");
        assert_eq!(full["node"]["tilsyn"]["seneste"]["sammenfatning"], "Se \"rapporten\"");
        assert_eq!(full["node"]["kontakt"]["web"], "https://example.dk");
        assert_eq!(full["node"]["kommune"]["navn"], "Aarhus");
        assert_eq!(full["serviceleverance"]["slutdato"], "2027-12-31");
        assert_eq!(full["serviceleverance"]["aftalepart"]["centroid"]["__typename"], "Koordinat");
        assert_eq!(full["__typename"], "SearchHit");
        if !near {
            assert_eq!(no_place["node"]["placering"], Value::Null);
            assert_eq!(no_place["node"]["adresse"], json!({ "vejnavn": null, "postnummer": null, "by": null }));
            assert_eq!(no_place["distanceKm"], Value::Null);
        }
        assert_eq!(away["node"]["kommune"]["navn"], "Skanderborg");
        assert_eq!(away["node"]["kind"], "HELHEDSPLEJEENHED");
        assert_eq!(away["serviceleverance"]["type"], "MYNDIGHEDSPRODUKTION");
        assert_eq!(away["serviceleverance"]["aftalepart"]["kode"], AARHUS);
        assert_eq!(away["km"], away["distanceKm"]);
        if near {
            assert!(away["distanceKm"].as_f64().is_some_and(|d| d > 5.0), "{away}");
        }
    }

    // What needs the request, and a field asked twice under one name, go the executor's way.
    let d = app.ok(None, r#"{ search(kommune: "0751") { edges { node { navn laas { until }
        adresse { by } adresse { vejnavn } kommune { navn tilbud(dato: "2026-06-15") { plejeenheder helhedsplejeenheder } } } } } }"#, json!({})).await;
    let e = d["search"]["edges"].as_array().expect("edges");
    let full = e.iter().find(|e| e["node"]["navn"] == "Åbrinken").expect("Åbrinken");
    assert_eq!(full["node"]["laas"], Value::Null, "R25: no lock shown to the public");
    assert_eq!(full["node"]["adresse"], json!({ "by": "Aarhus C", "vejnavn": "Søndergade 1" }));
    assert_eq!(full["node"]["kommune"]["tilbud"], json!({ "plejeenheder": 2, "helhedsplejeenheder": 1 }));
});

db_test!(
    /// `Kommune.tilbud` and `Enhed.tilbydesAf` (issue 19: from the read model) on the edge
    /// days of the agreements' periods (R6, R20-R22): an enhed with two agreements counts
    /// once, an ended or future one not, a deleted one not.
    kommune_tilbud_counts_enheder_by_kind_on_the_day_r6,
    |app: TestApp| async move {
        let p1 = create_enhed(&app, "PLEJEENHED", "Tæller Et", "80000007", 56.16, 10.20).await;
        let p2 = create_enhed(&app, "PLEJEENHED", "Tæller To", "80000007", 56.16, 10.21).await;
        create_agreement(&app, AARHUS, &p1, "DRIFTSOVERENSKOMST", "2026-01-01", Some("2026-06-30")).await;
        create_agreement(&app, AARHUS, &p1, "DRIFTSOVERENSKOMST", "2026-03-01", None).await;
        let later = create_agreement(&app, AARHUS, &p2, "DRIFTSOVERENSKOMST", "2026-07-01", None).await;
        let counts = |day: &'static str| {
            let app = &app;
            async move {
                let d = app.ok(None, "query($d: Date!) { kommune(kode: \"0751\") { tilbud(dato: $d) { plejeenheder helhedsplejeenheder } } }", json!({ "d": day })).await;
                (d["kommune"]["tilbud"]["plejeenheder"].as_i64(), d["kommune"]["tilbud"]["helhedsplejeenheder"].as_i64())
            }
        };
        assert_eq!(counts("2025-12-31").await, (Some(0), Some(0)));
        assert_eq!(counts("2026-01-01").await, (Some(1), Some(0)));
        assert_eq!(counts("2026-04-01").await, (Some(1), Some(0)), "two agreements, one enhed");
        assert_eq!(counts("2026-06-30").await, (Some(1), Some(0)));
        assert_eq!(counts("2026-07-01").await, (Some(2), Some(0)));
        // Enhed.tilbydesAf, from the same read model: the kommuner offering it on the day.
        let by = |id: String, day: &'static str| {
            let app = &app;
            async move {
                let d = app.ok(None, "query($id: String!, $d: Date!) { enhed(id: $id) { tilbydesAf(dato: $d) { kode } } }", json!({ "id": id, "d": day })).await;
                d["enhed"]["tilbydesAf"].clone()
            }
        };
        assert_eq!(by(p1.clone(), "2025-12-31").await, json!([]));
        assert_eq!(by(p1.clone(), "2026-04-01").await, json!([{ "kode": AARHUS }]));
        assert_eq!(by(p2.clone(), "2026-06-30").await, json!([]));
        assert_eq!(by(p2.clone(), "2026-07-01").await, json!([{ "kode": AARHUS }]));
        // A deleted agreement leaves the count at once (R8, R12; deleted by its lock holder).
        let t = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(AARHUS), "doa-0751");
        app.ok(Some(&t), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", json!({ "id": later })).await;
        app.ok(Some(&t), "mutation($id: ID!) { deleteServiceleverance(id: $id) }", json!({ "id": later })).await;
        assert_eq!(counts("2026-07-01").await, (Some(1), Some(0)));
        assert_eq!(by(p2.clone(), "2026-07-01").await, json!([]));
    }
);

db_test!(
    /// Issue 21: kommune names as people write them ("Lyngby", "Kbh", "Bornholms
    /// Regionskommune", one part of a double name) find their kommune; a name that matches
    /// nothing gets "Mente du …?" with the nearest names, in the API and in the open data,
    /// never a request for a kommunekode.
    kommune_names_as_people_write_them,
    |app: TestApp| async move {
        let q = "query($k: String!) { search(kommune: $k) { kommuneKode } }";
        for (name, kode) in [("Lyngby", "0173"), ("Kbh", "0101"), ("Bornholms Regionskommune", "0400"), ("Københavns Kommune", "0101"), ("Taastrup", "0169"), ("skjern", "0760")] {
            let d = app.ok(None, q, json!({ "k": name })).await;
            assert_eq!(d["search"]["kommuneKode"], kode, "{name}");
        }
        let e = app.err(None, q, json!({ "k": "Roskile" }), "VALIDATION").await;
        assert_eq!(e["message"], "Kommunen »Roskile« findes ikke. Mente du Roskilde?");
        let e = app.err(None, q, json!({ "k": "Korsbæk" }), "VALIDATION").await;
        let m = e["message"].as_str().unwrap_or("");
        assert!(m.starts_with("Kommunen »Korsbæk« findes ikke.") && !m.contains("kommunekode"), "{m}");
        let r = app.client().get(format!("{}/data/tilbud.json?kommune=Aalborgg", app.addr)).send().await.expect("get");
        assert_eq!(r.status(), 400);
        let v: serde_json::Value = r.json().await.expect("json");
        assert!(v["errors"][0]["message"].as_str().unwrap_or("").contains("Mente du Aalborg?"), "{v}");
    }
);
