//! Issue 21: the enhed's profile (R31), the ældretilsyn's registrations (R32), and the search's
//! filters and facets on them, over HTTP on both databases.
use crate::db_test;
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};

const PROVIDER: &str = "90000001";
const ROSKILDE: &str = "0265";
const LEJRE: &str = "0350";
const TILSYN_CVR: &str = "29190925";

const M_LOCK: &str = "mutation($id: String!) { lockEnhed(id: $id) { id } }";
const M_UPDATE: &str = "mutation($id: String!, $i: EnhedInput!) { updateEnhed(id: $id, input: $i) { profil { huslejeFra huslejeTil huslejeTekst indskud parboliger demens madPaaStedet dyr traening faciliteter ydelser kanLevereFra omraader } } }";
const Q_PROFIL: &str = "query($id: String!) { enhed(id: $id) { profil { huslejeFra huslejeTil huslejeTekst indskud parboliger demens madPaaStedet dyr traening faciliteter ydelser kanLevereFra omraader } } }";

fn fields(e: &Value) -> Vec<String> {
    e["extensions"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect()
}

/// The enhed's own id (the audit log's entityId) from its global id.
async fn raw_id(app: &TestApp, id: &str) -> String {
    let d = app
        .ok(
            None,
            "query($id: String!) { enhed(id: $id) { enhedId } }",
            json!({ "id": id }),
        )
        .await;
    d["enhed"]["enhedId"].as_str().expect("enhedId").to_string()
}

async fn pleje(app: &TestApp, navn: &str, boliger: i32) -> String {
    let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
    let d = app
        .ok(
            Some(&admin),
            "mutation($i: EnhedInput!) { createEnhed(input: $i) { id } }",
            json!({ "i": { "kind": "PLEJEENHED", "navn": navn, "ejerCvr": PROVIDER, "lat": 55.64, "lon": 12.08, "antalBoliger": boliger } }),
        )
        .await;
    d["createEnhed"]["id"].as_str().expect("id").to_string()
}

/// Locks the enhed as `token`, saves `input`, checks in: the redaktør's whole edit.
async fn edit(app: &TestApp, token: &str, id: &str, input: Value) -> Value {
    app.ok(Some(token), M_LOCK, json!({ "id": id })).await;
    let d = app
        .ok(Some(token), M_UPDATE, json!({ "id": id, "i": input }))
        .await;
    app.ok(
        Some(token),
        "mutation($id: String!) { checkInEnhed(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    d["updateEnhed"]["profil"].clone()
}

db_test!(
    /// R31: the owner's redaktør writes the profile under the enhed's lock; it is public at
    /// once; an omitted field is kept and null clears (R29); the other kind's fields, bad
    /// amounts and more couples' boliger than boliger are refused by name; another provider's
    /// redaktør cannot; the change is in the audit log field by field, in words.
    r31_redaktoer_writes_the_profile,
    |app: TestApp| async move {
        let red = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let other = app.token(Role::Redaktoer, "90000009", "ole");
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let id = pleje(&app, "Egehjemmet", 40).await;
        let p = edit(&app, &red, &id, json!({
            "huslejeFra": 8500, "huslejeTil": 9200, "indskud": 12000, "parboliger": 4,
            "demens": "DEMENSAFSNIT", "madPaaStedet": true, "dyr": "EGNE", "traening": true,
            "faciliteter": ["HAVE", "EGET_BAD", "HAVE"],
        })).await;
        assert_eq!(p["huslejeTekst"], "8.500–9.200 kr. om måneden");
        assert_eq!(p["faciliteter"], json!(["EGET_BAD", "HAVE"]));
        // Public at once, to anyone.
        let d = app.ok(None, Q_PROFIL, json!({ "id": id })).await;
        assert_eq!(d["enhed"]["profil"]["demens"], "DEMENSAFSNIT");
        assert_eq!(d["enhed"]["profil"]["parboliger"], 4);
        // Omitted: kept; null: cleared.
        let p = edit(&app, &red, &id, json!({ "huslejeTil": null, "dyr": "FAELLES" })).await;
        assert_eq!((p["huslejeFra"].clone(), p["huslejeTil"].clone()), (json!(8500), Value::Null));
        assert_eq!(p["dyr"], "FAELLES");
        assert_eq!(p["indskud"], 12000);
        // Refused by name, and nothing changes.
        app.ok(Some(&red), M_LOCK, json!({ "id": id })).await;
        let e = app.err(Some(&red), M_UPDATE, json!({ "id": id, "i": { "ydelser": ["SYGEPLEJE"], "huslejeFra": -5, "parboliger": 41 } }), "VALIDATION").await;
        let mut f = fields(&e);
        f.sort();
        assert_eq!(f, ["huslejeFra", "parboliger", "ydelser"], "{e}");
        assert!(e["message"].as_str().expect("msg").contains("plejeenheder"), "{e}");
        let d = app.ok(None, Q_PROFIL, json!({ "id": id })).await;
        assert_eq!(d["enhed"]["profil"]["huslejeFra"], 8500);
        app.ok(Some(&red), "mutation($id: String!) { checkInEnhed(id: $id) { id } }", json!({ "id": id })).await;
        // Another provider's redaktør may not even lock it.
        let v = app.gql(Some(&other), M_LOCK, json!({ "id": id })).await;
        assert!(v["errors"][0]["extensions"]["code"].is_string(), "{v}");
        let v = app.gql(Some(&other), M_UPDATE, json!({ "id": id, "i": { "huslejeFra": 1 } })).await;
        assert!(v["errors"][0]["extensions"]["code"].is_string(), "{v}");
        // Without the lock, not even the owner's redaktør.
        let v = app.gql(Some(&red), M_UPDATE, json!({ "id": id, "i": { "huslejeFra": 1 } })).await;
        assert!(v["errors"][0]["extensions"]["code"].is_string(), "{v}");
        // The audit log has it field by field, in words.
        let d = app.ok(Some(&admin), "query($id: String) { auditLog(entityType: \"Enhed\", entityId: $id, first: 50) { nodes { action changes { field label before after } } } }", json!({ "id": raw_id(&app, &id).await })).await;
        // The enhed's global id finds the same entries.
        let by_global = app.ok(Some(&admin), "query($id: String) { auditLog(entityType: \"Enhed\", entityId: $id, first: 50) { nodes { action changes { field label before after } } } }", json!({ "id": id })).await;
        assert_eq!(by_global, d);
        let updates: Vec<&Value> = d["auditLog"]["nodes"].as_array().expect("nodes").iter().filter(|n| n["action"] == "updateEnhed").collect();
        let last = &updates[0]["changes"];
        assert!(last.as_array().expect("changes").contains(&json!({ "field": "dyr", "label": "Dyr", "before": "Du kan tage dit eget dyr med", "after": "Stedet har dyr, som beboerne deler" })), "{last}");
        let first = &updates[1]["changes"];
        assert!(first.as_array().expect("changes").contains(&json!({ "field": "faciliteter", "label": "Faciliteter", "before": null, "after": "Eget bad og toilet, Have" })), "{first}");
    }
);

db_test!(
    /// R31: a helhedsplejeenhed's profile: services, the day it can deliver from, the areas it
    /// covers (trimmed, without duplicates); a plejeenhed's fields are refused on it.
    r31_helhedspleje_profile,
    |app: TestApp| async move {
        let red = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let id = create_enhed(&app, "HELHEDSPLEJEENHED", "Hjemmehjælpen", PROVIDER, 55.64, 12.08).await;
        let p = edit(&app, &red, &id, json!({ "ydelser": ["SYGEPLEJE", "PERSONLIG_PLEJE"], "kanLevereFra": "2026-08-01", "omraader": [" Roskilde by ", "roskilde BY", "Jyllinge", ""] })).await;
        assert_eq!(p["ydelser"], json!(["PERSONLIG_PLEJE", "SYGEPLEJE"]));
        assert_eq!(p["kanLevereFra"], "2026-08-01");
        assert_eq!(p["omraader"], json!(["Roskilde by", "Jyllinge"]));
        app.ok(Some(&red), M_LOCK, json!({ "id": id })).await;
        let e = app.err(Some(&red), M_UPDATE, json!({ "id": id, "i": { "dyr": "EGNE" } }), "VALIDATION").await;
        assert_eq!(fields(&e), ["dyr"]);
        let e = app.err(Some(&red), M_UPDATE, json!({ "id": id, "i": { "omraader": ["x".repeat(101)] } }), "VALIDATION").await;
        assert_eq!(fields(&e), ["omraader"]);
    }
);

const SEARCH: &str = "query($k: String!, $d: Boolean, $p: Boolean, $dyr: Boolean, $u: Boolean, $h: Int) {
  search(kommune: $k, demensvenlig: $d, parboliger: $p, dyr: $dyr, udenPaabudForbud: $u, maxHusleje: $h, first: 50) {
    totalCount nodes { navn tilsyn { seneste { dato vurdering } paabudForbud { type tekst } } }
    facets { egenskab { value count } husleje { value count } }
  }
}";

fn names(d: &Value) -> Vec<String> {
    d["search"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["navn"].as_str().map(str::to_string))
        .collect()
}

fn facet(d: &Value, name: &str, value: &str) -> i64 {
    d["search"]["facets"][name]
        .as_array()
        .expect("facet")
        .iter()
        .find(|f| f["value"] == value)
        .and_then(|f| f["count"].as_i64())
        .unwrap_or(0)
}

db_test!(
    /// R31/R32 in the search: demensvenlig, couples, animals, max husleje and "no påbud or
    /// forbud in force" filter the hits; each facet value is exactly the totalCount of the
    /// search with that filter added; a påbud is public while in force and its lifting brings
    /// the enhed back; the hits show the latest tilsyn.
    r31_r32_filters_and_facets_agree,
    |app: TestApp| async move {
        let red = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let tilsyn = app.token(Role::Aeldretilsyn, TILSYN_CVR, "tove");
        let a = pleje(&app, "Asken", 30).await;
        let b = pleje(&app, "Birken", 30).await;
        let c = pleje(&app, "Cedren", 30).await;
        let _d = pleje(&app, "Dalen", 30).await;
        for e in [&a, &b, &c, &_d] {
            create_agreement(&app, ROSKILDE, e, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        }
        edit(&app, &red, &a, json!({ "demens": "DEMENSVENLIG", "parboliger": 2, "dyr": "EGNE", "huslejeFra": 7000 })).await;
        edit(&app, &red, &b, json!({ "demens": "NEJ", "parboliger": 0, "dyr": "FAELLES", "huslejeFra": 9500, "huslejeTil": 11000 })).await;
        edit(&app, &red, &c, json!({ "demens": "DEMENSAFSNIT", "dyr": "INGEN", "huslejeFra": 12500 })).await;
        app.ok(Some(&admin), "mutation { setTilsynOmraade(cvr: \"29190925\", kommuner: [\"Roskilde\"]) }", json!({})).await;
        app.ok(Some(&tilsyn), "mutation($e: String!) { registerTilsyn(enhedId: $e, input: { dato: \"2026-05-02\", vurdering: \"Ingen problemer af betydning\", sammenfatning: \"God pleje.\" }) { dato } }", json!({ "e": c })).await;
        let given = app.ok(Some(&tilsyn), "mutation($e: String!) { givePaabudForbud(enhedId: $e, input: { type: PAABUD, tekst: \"Medicinhåndtering\", givet: \"2026-05-02\" }) { id } }", json!({ "e": c })).await;
        let sid = given["givePaabudForbud"]["id"].as_str().expect("id").to_string();

        let all = app.ok(None, SEARCH, json!({ "k": ROSKILDE })).await;
        assert_eq!(all["search"]["totalCount"], 4);
        let cedren = all["search"]["nodes"].as_array().expect("nodes").iter().find(|n| n["navn"] == "Cedren").expect("Cedren").clone();
        assert_eq!(cedren["tilsyn"]["seneste"]["vurdering"], "Ingen problemer af betydning");
        assert_eq!(cedren["tilsyn"]["paabudForbud"][0]["type"], "PAABUD");
        let cases = [
            ("DEMENSVENLIG", json!({ "d": true }), vec!["Asken", "Cedren"]),
            ("PARBOLIGER", json!({ "p": true }), vec!["Asken"]),
            ("DYR", json!({ "dyr": true }), vec!["Asken", "Birken"]),
            ("UDEN_PAABUD_FORBUD", json!({ "u": true }), vec!["Asken", "Birken", "Dalen"]),
        ];
        for (value, vars, want) in &cases {
            let mut v = vars.clone();
            v["k"] = json!(ROSKILDE);
            let d = app.ok(None, SEARCH, v).await;
            assert_eq!(names(&d), *want, "{value}");
            assert_eq!(facet(&all, "egenskab", value), want.len() as i64, "{value}: the facet is the filter's count");
        }
        for (max, want) in [(6000, 0), (8000, 1), (10000, 2), (12000, 2), (15000, 3)] {
            let d = app.ok(None, SEARCH, json!({ "k": ROSKILDE, "h": max })).await;
            assert_eq!(d["search"]["totalCount"], want, "max {max}");
            assert_eq!(facet(&all, "husleje", &max.to_string()), want, "max {max}");
        }
        // Facets under a filter: the others' counts within it.
        let dem = app.ok(None, SEARCH, json!({ "k": ROSKILDE, "d": true })).await;
        assert_eq!(facet(&dem, "egenskab", "UDEN_PAABUD_FORBUD"), 1);
        assert_eq!(facet(&dem, "husleje", "8000"), 1);
        // The change feed tells integrators: the enhed's offer is UPDATED, with the påbud.
        let d = app.ok(None, "query { changes(kommune: \"0265\", first: 100) { edges { node { kind enhed { navn profil { demens } tilsyn { paabudForbud { type } } } } } } }", json!({})).await;
        let edges = d["changes"]["edges"].as_array().expect("edges");
        let last = edges.iter().rev().find(|e| e["node"]["enhed"]["navn"] == "Cedren").expect("Cedren in the feed");
        assert_eq!(last["node"]["kind"], "UPDATED", "{last}");
        assert_eq!(last["node"]["enhed"]["tilsyn"]["paabudForbud"][0]["type"], "PAABUD");
        assert_eq!(last["node"]["enhed"]["profil"]["demens"], "DEMENSAFSNIT");
        // Lifted: in force no more, the enhed is back, and nothing in force is shown.
        app.ok(Some(&tilsyn), "mutation($id: String!) { liftPaabudForbud(id: $id, ophaevet: \"2026-06-01\") { ophaevet } }", json!({ "id": sid })).await;
        let d = app.ok(None, SEARCH, json!({ "k": ROSKILDE, "u": true })).await;
        assert_eq!(names(&d), ["Asken", "Birken", "Cedren", "Dalen"]);
        // Bad input: a clear error naming the argument.
        let e = app.err(None, SEARCH, json!({ "k": ROSKILDE, "h": -1 }), "VALIDATION").await;
        assert_eq!(fields(&e), ["maxHusleje"]);
    }
);

const HITS: &str = "query($k: String!, $near: PunktInput, $d: Date) {
  search(kommune: $k, near: $near, date: $d, first: 10) {
    edges { distanceKm node { navn profil { huslejeTekst } tilsyn { paabudForbud { type } } } }
  }
}";

/// The hits' enheder, by name, as (husleje in words, påbud/forbud in force).
fn shown(d: &Value, list: &str) -> Vec<(String, Value, Value)> {
    d[list]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let n = &e["node"];
            let navn = n["navn"].as_str().unwrap_or_default().to_string();
            (
                navn,
                n["profil"]["huslejeTekst"].clone(),
                n["tilsyn"]["paabudForbud"].clone(),
            )
        })
        .collect()
}

db_test!(
    /// R31/R32 with the kept texts of hits (issue 21's performance): a page that shows an enhed
    /// again with the same document copies its text, so that text must follow everything it
    /// depends on: a profile edited since (R31), the day asked for (a påbud in force on one
    /// day and lifted by another, R32), and the selection set (two in one document, and another
    /// document). Every request has a new point, so the response cache answers none of them.
    r31_r32_kept_hit_texts_follow_the_data,
    |app: TestApp| async move {
        let red = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let a = pleje(&app, "Asken", 30).await;
        create_agreement(&app, ROSKILDE, &a, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        edit(&app, &red, &a, json!({ "huslejeFra": 7000 })).await;
        let given = app.ok(Some(&admin), "mutation($e: String!) { givePaabudForbud(enhedId: $e, input: { type: PAABUD, tekst: \"Medicinhåndtering\", givet: \"2026-05-02\" }) { id } }", json!({ "e": a })).await;
        let sid = given["givePaabudForbud"]["id"].as_str().expect("id").to_string();
        let mut lat = 55.60;
        let mut ask = |d: &str| {
            lat += 0.001;
            json!({ "k": ROSKILDE, "near": { "lat": lat, "lon": 12.08 }, "d": d })
        };
        let paabud = json!([{ "type": "PAABUD" }]);
        let first = app.ok(None, HITS, ask("2026-05-10")).await;
        assert_eq!(shown(&first, "search"), [("Asken".into(), json!("7.000 kr. om måneden"), paabud.clone())]);
        let again = app.ok(None, HITS, ask("2026-05-10")).await;
        assert_ne!(first["search"]["edges"][0]["distanceKm"], again["search"]["edges"][0]["distanceKm"]);
        assert_eq!(shown(&again, "search"), shown(&first, "search"));
        // The profile edited: the next page shows the new husleje.
        edit(&app, &red, &a, json!({ "huslejeFra": 8000 })).await;
        let d = app.ok(None, HITS, ask("2026-05-10")).await;
        assert_eq!(shown(&d, "search"), [("Asken".into(), json!("8.000 kr. om måneden"), paabud.clone())]);
        // Lifted from 1 June: in force on 10 May, not on 10 June, in the same data. Its row is
        // the same, so only the snapshot tells the June page before the lifting from after.
        let june = app.ok(None, HITS, ask("2026-06-10")).await;
        assert_eq!(shown(&june, "search")[0].2, paabud);
        app.ok(Some(&admin), "mutation($id: String!) { liftPaabudForbud(id: $id, ophaevet: \"2026-06-01\") { ophaevet } }", json!({ "id": sid })).await;
        for _ in 0..2 {
            let may = app.ok(None, HITS, ask("2026-05-10")).await;
            assert_eq!(shown(&may, "search")[0].2, paabud);
            let june = app.ok(None, HITS, ask("2026-06-10")).await;
            assert_eq!(shown(&june, "search")[0].2, json!([]));
        }
        // Two selection sets for the same enheder in one document, and then another document.
        let two = "query($k: String!, $near: PunktInput) {
          x: search(kommune: $k, near: $near) { edges { node { navn } } }
          y: search(kommune: $k, near: $near) { edges { node { navn profil { huslejeTekst } tilsyn { paabudForbud { type } } } } }
        }";
        let d = app.ok(None, two, ask("2026-05-10")).await;
        assert_eq!(d["x"]["edges"][0]["node"], json!({ "navn": "Asken" }));
        assert_eq!(shown(&d, "y")[0].1, json!("8.000 kr. om måneden"));
        // Another document whose `node { … }` starts where HITS's does.
        let other = HITS.replace("node { navn profil { huslejeTekst } tilsyn { paabudForbud { type } } }", "node { huslejeFra: navn }");
        assert_ne!(other, HITS);
        let d = app.ok(None, &other, ask("2026-05-10")).await;
        assert_eq!(d["search"]["edges"][0]["node"], json!({ "huslejeFra": "Asken" }));
    }
);

db_test!(
    /// R32 access table: only the ældretilsyn of the enhed's kommune and administrators write
    /// tilsyn and påbud/forbud; the enhed's own redaktør, the kommune and an ældretilsyn of
    /// another area may not; anonymous callers must log in; a påbud one may not see does not
    /// exist for them (R26); the history is for those who write it; the area is the
    /// administrator's to assign. Each write is audited.
    r32_tilsyn_access_table,
    |app: TestApp| async move {
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let tilsyn = app.token(Role::Aeldretilsyn, TILSYN_CVR, "tove");
        let other_tilsyn = app.token(Role::Aeldretilsyn, "29190926", "tage");
        let red = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let kommune = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let e = pleje(&app, "Egehjemmet", 20).await;
        let area = "mutation($cvr: String!, $k: [String!]!) { setTilsynOmraade(cvr: $cvr, kommuner: $k) }";
        // Only administrators assign areas.
        for t in [&tilsyn, &red, &kommune] {
            app.err(Some(t), area, json!({ "cvr": TILSYN_CVR, "k": [ROSKILDE] }), "FORBIDDEN").await;
        }
        let d = app.ok(Some(&admin), area, json!({ "cvr": TILSYN_CVR, "k": ["Roskilde", "0265"] })).await;
        assert_eq!(d["setTilsynOmraade"], json!([ROSKILDE]));
        app.ok(Some(&admin), area, json!({ "cvr": "29190926", "k": [LEJRE] })).await;
        // Its area: for the ældretilsyn itself and administrators only.
        let read = "query($cvr: String!) { tilsynOmraade(cvr: $cvr) }";
        let d = app.ok(Some(&tilsyn), read, json!({ "cvr": TILSYN_CVR })).await;
        assert_eq!(d["tilsynOmraade"], json!([ROSKILDE]));
        app.err(Some(&other_tilsyn), read, json!({ "cvr": TILSYN_CVR }), "FORBIDDEN").await;
        app.err(Some(&red), read, json!({ "cvr": TILSYN_CVR }), "FORBIDDEN").await;
        let e2 = app.err(Some(&admin), area, json!({ "cvr": "29190926", "k": ["Atlantis"] }), "VALIDATION").await;
        assert_eq!(fields(&e2), ["kommuner"]);

        let reg = "mutation($e: String!) { registerTilsyn(enhedId: $e, input: { dato: \"2026-06-01\", vurdering: \"Mindre problemer\", sammenfatning: \"Se rapporten.\", rapportUrl: \"https://aeldretilsyn.dk/rapport/1\" }) { dato } }";
        let give = "mutation($e: String!) { givePaabudForbud(enhedId: $e, input: { type: FORBUD, tekst: \"Forbud mod indflytning\", givet: \"2026-06-01\" }) { id } }";
        let hist = "query($e: String!) { tilsynHistorik(enhedId: $e) { tilsyn { vurdering } paabudForbud { type ophaevet } } }";
        let table: [(&str, Option<&String>, &str); 6] = [
            ("anonymous", None, "UNAUTHENTICATED"),
            ("redaktør of the owner", Some(&red), "FORBIDDEN"),
            ("the kommune", Some(&kommune), "FORBIDDEN"),
            ("ældretilsyn of another area", Some(&other_tilsyn), "FORBIDDEN"),
            ("ældretilsyn of the area", Some(&tilsyn), "ok"),
            ("administrator", Some(&admin), "ok"),
        ];
        let mut sid = String::new();
        for (who, token, want) in table {
            for q in [reg, give, hist] {
                let v = app.gql(token.map(String::as_str), q, json!({ "e": e })).await;
                let got = v["errors"][0]["extensions"]["code"].as_str().unwrap_or("ok");
                assert_eq!(got, want, "{who}: {q}: {v}");
                if let Some(id) = v["data"]["givePaabudForbud"]["id"].as_str() {
                    sid = id.to_string();
                }
            }
        }
        // Its list: the enheder lying in its kommuner; not another area's.
        let list = "query($k: String!) { tilsynEnheder(kommune: $k) { navn } }";
        let d = app.ok(Some(&tilsyn), list, json!({ "k": "Roskilde" })).await;
        assert_eq!(d["tilsynEnheder"], json!([{ "navn": "Egehjemmet" }]));
        app.err(Some(&tilsyn), list, json!({ "k": LEJRE }), "FORBIDDEN").await;
        app.err(Some(&red), list, json!({ "k": ROSKILDE }), "FORBIDDEN").await;
        app.err(None, list, json!({ "k": ROSKILDE }), "UNAUTHENTICATED").await;
        // R26: lifting a påbud one may not see: it does not exist.
        let lift = "mutation($id: String!) { liftPaabudForbud(id: $id, ophaevet: \"2026-06-10\") { ophaevet } }";
        app.err(Some(&other_tilsyn), lift, json!({ "id": sid }), "NOT_FOUND").await;
        app.err(Some(&red), lift, json!({ "id": sid }), "NOT_FOUND").await;
        app.err(Some(&tilsyn), lift, json!({ "id": "no-such" }), "NOT_FOUND").await;
        // Lifted before given: refused by name.
        let e3 = app.err(Some(&tilsyn), "mutation($id: String!) { liftPaabudForbud(id: $id, ophaevet: \"2026-01-01\") { ophaevet } }", json!({ "id": sid }), "VALIDATION").await;
        assert_eq!(fields(&e3), ["ophaevet"]);
        app.ok(Some(&tilsyn), lift, json!({ "id": sid })).await;
        // The history keeps everything; the public sees only the latest tilsyn and nothing
        // lifted.
        let d = app.ok(Some(&tilsyn), hist, json!({ "e": e })).await;
        assert_eq!(d["tilsynHistorik"]["tilsyn"].as_array().map(Vec::len), Some(2));
        assert_eq!(d["tilsynHistorik"]["paabudForbud"].as_array().map(Vec::len), Some(2));
        let d = app.ok(None, "query($e: String!) { enhed(id: $e) { tilsyn { seneste { vurdering rapportUrl } paabudForbud { tekst } } } }", json!({ "e": e })).await;
        assert_eq!(d["enhed"]["tilsyn"]["seneste"]["rapportUrl"], "https://aeldretilsyn.dk/rapport/1");
        assert_eq!(d["enhed"]["tilsyn"]["paabudForbud"].as_array().map(Vec::len), Some(1), "{d}");
        // Bad input: a tilsyn in the future, a report that is no web address.
        let bad = app.err(Some(&tilsyn), "mutation($e: String!) { registerTilsyn(enhedId: $e, input: { dato: \"2027-01-01\", vurdering: \"x\", sammenfatning: \"y\", rapportUrl: \"javascript:alert(1)\" }) { dato } }", json!({ "e": e }), "VALIDATION").await;
        assert_eq!(fields(&bad), ["dato", "rapportUrl"]);
        // Audited.
        let d = app.ok(Some(&admin), "query($id: String) { auditLog(entityType: \"Enhed\", entityId: $id, first: 50) { nodes { action } } }", json!({ "id": raw_id(&app, &e).await })).await;
        let actions: Vec<&str> = d["auditLog"]["nodes"].as_array().expect("nodes").iter().filter_map(|n| n["action"].as_str()).collect();
        for a in ["registerTilsyn", "givePaabudForbud", "liftPaabudForbud"] {
            assert!(actions.contains(&a), "{a}: {actions:?}");
        }
    }
);

db_test!(
    /// Issue 21: a citizen searches from a postnummer or a town instead of coordinates; the
    /// place's kommune comes with it, and its point sorts the search nearest first.
    places_a_citizen_knows,
    |app: TestApp| async move {
        let q = "query($t: String!) { steder(tekst: $t) { postnummer navn punkt { lat lon } kommune { kode navn } } }";
        let d = app.ok(None, q, json!({ "t": "2800" })).await;
        assert_eq!(d["steder"][0]["navn"], "Kongens Lyngby");
        assert_eq!(d["steder"][0]["kommune"]["kode"], "0173");
        for t in ["kgs lyngby", "Kgs. Lyngby", "2800 Kongens Lyngby"] {
            let d = app.ok(None, q, json!({ "t": t })).await;
            assert_eq!(d["steder"][0]["postnummer"], "2800", "{t}");
        }
        let d = app.ok(None, q, json!({ "t": "Ronne" })).await;
        assert_eq!((d["steder"][0]["postnummer"].clone(), d["steder"][0]["kommune"]["kode"].clone()), (json!("3700"), json!("0400")));
        let d = app.ok(None, q, json!({ "t": "Atlantis" })).await;
        assert_eq!(d["steder"], json!([]));
        let e = app.err(None, q, json!({ "t": "x".repeat(101) }), "VALIDATION").await;
        assert_eq!(e["extensions"]["fields"], json!(["tekst"]));
        // The point sorts a search nearest first.
        let near = create_enhed(&app, "PLEJEENHED", "Nær Roskilde", PROVIDER, 55.64, 12.08).await;
        let far = create_enhed(&app, "PLEJEENHED", "Langt fra Roskilde", PROVIDER, 55.70, 11.80).await;
        for e in [&near, &far] {
            create_agreement(&app, ROSKILDE, e, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        }
        let d = app.ok(None, q, json!({ "t": "4000" })).await;
        let p = d["steder"][0]["punkt"].clone();
        let d = app.ok(None, "query($p: PunktInput!) { search(kommune: \"0265\", near: $p) { nodes { navn } } }", json!({ "p": p })).await;
        assert_eq!(d["search"]["nodes"][0]["navn"], "Nær Roskilde");
    }
);
