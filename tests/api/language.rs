//! Issue 20, defect 8: Danish as people write it, in what the API says to them.
use crate::db_test;
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use serde_json::json;

db_test!(
    /// Kommuner by their official names, a bare web host taken as https, the field named as the
    /// console labels it (Hjemmeside), a time as "kl. 17.49" and an agreement type in words.
    danish_as_people_write_it,
    |app: TestApp| async move {
        let d = app.ok(None, "{ a: kommune(kode: \"0101\") { officieltNavn } b: kommune(kode: \"0400\") { officieltNavn } c: kommune(kode: \"0751\") { officieltNavn } }", json!({})).await;
        assert_eq!(d["a"]["officieltNavn"], "Københavns Kommune");
        assert_eq!(d["b"]["officieltNavn"], "Bornholms Regionskommune");
        assert_eq!(d["c"]["officieltNavn"], "Aarhus Kommune");

        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let m = "mutation($i: EnhedInput!) { createEnhed(input: $i) { enhedId kontakt { web } } }";
        let i = json!({ "kind": "HELHEDSPLEJEENHED", "navn": "Solstrejf", "ejerCvr": "90000002", "lat": 55.64, "lon": 12.08, "web": "solstrejf.dk" });
        let d = app.ok(Some(&admin), m, json!({ "i": i })).await;
        assert_eq!(d["createEnhed"]["kontakt"]["web"], "https://solstrejf.dk");
        let e = app.err(Some(&admin), m, json!({ "i": { "kind": "PLEJEENHED", "navn": "X", "ejerCvr": "90000002", "lat": 55.64, "lon": 12.08, "web": "javascript:alert(1)" } }), "VALIDATION").await;
        assert!(e["message"].as_str().unwrap_or("").starts_with("Hjemmeside skal være"), "{e}");

        // A lock's time with a full stop.
        let enhed = d["createEnhed"]["enhedId"].as_str().expect("id").to_string();
        let sl = create_agreement(&app, ROSKILDE, &enhed, "MYNDIGHEDSPRODUKTION", "2020-01-01", None).await;
        let anne = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        let bo = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "bo");
        app.ok(Some(&anne), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", json!({ "id": sl })).await;
        let e = app.err(Some(&bo), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", json!({ "id": sl }), "LOCKED").await;
        let msg = e["message"].as_str().unwrap_or("");
        let re_ok = msg.split("kl. ").skip(1).all(|t| t.as_bytes().get(2) == Some(&b'.'));
        assert!(msg.contains("kl. ") && re_ok, "{msg}");
        // A type in words: the enhed is owned by a company, not the kommune.
        let d = app.ok(Some(&anne), "query($id: ID!) { serviceleverance(id: $id) { issues { code message } } }", json!({ "id": sl })).await;
        let issues = d["serviceleverance"]["issues"].as_array().expect("issues").clone();
        let w = issues.iter().find(|i| i["code"] == "MYNDIGHEDSPRODUKTION_FREMMED_EJER").expect("warning");
        assert_eq!(w["message"], "Typen er myndighedsproduktion, men enheden ejes af et andet CVR-nummer end kommunen.");
    }
);
