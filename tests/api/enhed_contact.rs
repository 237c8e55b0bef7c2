//! R17/R19: an enhed's contact data (telefon, e-mail, web) are checked by one rule
//! (`domain::enhed`) on every way in: createEnhed, updateEnhed (administrator and redaktør),
//! and the CSV import. A citizen site shows the web address as a link, so only absolute
//! http/https addresses are stored.
use crate::db_test;
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};

const M_CREATE: &str =
    "mutation($i: EnhedInput!) { createEnhed(input: $i) { id kontakt { telefon email web } } }";
const M_UPDATE: &str = "mutation($id: String!, $i: EnhedInput!) { updateEnhed(id: $id, input: $i) { kontakt { telefon email web } } }";
const Q_KONTAKT: &str = "query($id: String!) { enhed(id: $id) { kontakt { telefon email web } } }";

const PROVIDER: &str = "90000001";

fn new_enhed(extra: Value) -> Value {
    let mut i = json!({ "kind": "PLEJEENHED", "navn": "Solgården", "ejerCvr": PROVIDER, "lat": 55.64, "lon": 12.08 });
    if let (Some(o), Some(e)) = (i.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    i
}

/// The refused fields of a VALIDATION error, and the message of the first.
fn fields(e: &Value) -> Vec<String> {
    e["extensions"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f.as_str().expect("field").to_string())
        .collect()
}

const BAD_WEB: [&str; 9] = [
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/plejebolig",
    "mailto:post@eksempel.dk",
    "ftp://eksempel.dk",
    "https://eksempel.dk/med mellemrum",
    "https:///sitecore/media library",
    "https://bank.dk@ond.dk/",
    "https://eksempel.dk/\"onmouseover=\"alert(1)",
];
const BAD_EMAIL: [&str; 6] = [
    "ikke-en-mail",
    "post@eksempel",
    "post@@eksempel.dk",
    "po st@eksempel.dk",
    "@eksempel.dk",
    "post@eksempel..dk",
];
const BAD_TELEFON: [&str; 5] = [
    "ring til os",
    "1234567",
    "12-34-56-78",
    "45+12345678",
    "1234567890123456",
];

db_test!(
    /// R17: createEnhed refuses javascript:, data:, relative, ftp and malformed web addresses,
    /// bad e-mails and bad phone numbers, naming the field in a Danish message (R27).
    create_refuses_bad_contact_data_r17,
    |app: TestApp| async move {
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        for web in BAD_WEB {
            let e = app.err(Some(&admin), M_CREATE, json!({ "i": new_enhed(json!({ "web": web })) }), "VALIDATION").await;
            assert_eq!(fields(&e), vec!["web"], "{web}");
            assert_eq!(
                e["extensions"]["details"][0]["message"],
                "Hjemmeside skal være en http- eller https-adresse, fx https://eksempel.dk.",
                "{web}"
            );
        }
        for email in BAD_EMAIL {
            let e = app.err(Some(&admin), M_CREATE, json!({ "i": new_enhed(json!({ "email": email })) }), "VALIDATION").await;
            assert_eq!(fields(&e), vec!["email"], "{email}");
            assert!(e["message"].as_str().expect("msg").contains("E-mail"), "{e}");
        }
        for telefon in BAD_TELEFON {
            let e = app.err(Some(&admin), M_CREATE, json!({ "i": new_enhed(json!({ "telefon": telefon })) }), "VALIDATION").await;
            assert_eq!(fields(&e), vec!["telefon"], "{telefon}");
            assert!(e["message"].as_str().expect("msg").contains("Telefon"), "{e}");
        }
        // All three at once: every refused field is named.
        let all = json!({ "web": "javascript:alert(1)", "email": "ikke-en-mail", "telefon": "x" });
        let e = app.err(Some(&admin), M_CREATE, json!({ "i": new_enhed(all) }), "VALIDATION").await;
        assert_eq!(fields(&e), vec!["telefon", "email", "web"]);
        // Nothing was stored.
        let d = app.ok(Some(&admin), "{ findEnheder(text: \"Solgården\") { id } }", json!({})).await;
        assert_eq!(d["findEnheder"], json!([]));
    }
);

db_test!(
    /// R17: good contact data are accepted, trimmed and returned; empty clears.
    create_accepts_good_contact_data_r17,
    |app: TestApp| async move {
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let good = json!({ "web": " https://www.ældrecenter.dk/plejebolig?side=1 ", "email": "post@solgaarden.dk", "telefon": "+45 12 34 56 78" });
        let d = app.ok(Some(&admin), M_CREATE, json!({ "i": new_enhed(good) })).await;
        let id = d["createEnhed"]["id"].as_str().expect("id").to_string();
        let expected = json!({ "telefon": "+45 12 34 56 78", "email": "post@solgaarden.dk", "web": "https://www.ældrecenter.dk/plejebolig?side=1" });
        assert_eq!(d["createEnhed"]["kontakt"], expected);
        let d = app.ok(None, Q_KONTAKT, json!({ "id": id })).await;
        assert_eq!(d["enhed"]["kontakt"], expected);
        app.ok(Some(&admin), "mutation($id: String!) { lockEnhed(id: $id) { id } }", json!({ "id": id })).await;
        for (web, email, telefon) in [
            ("http://eksempel.dk", "fornavn.efternavn+pleje@kommune.dk", "12345678"),
            ("HTTPS://Eksempel.DK:8443/sti#top", "info@sub.eksempel.dk", "+44 20 7946 0958"),
        ] {
            let d = app.ok(Some(&admin), M_UPDATE, json!({ "id": id, "i": { "web": web, "email": email, "telefon": telefon } })).await;
            assert_eq!(d["updateEnhed"]["kontakt"], json!({ "telefon": telefon, "email": email, "web": web }));
        }
        let d = app.ok(Some(&admin), M_UPDATE, json!({ "id": id, "i": { "web": "  ", "email": null } })).await;
        assert_eq!(d["updateEnhed"]["kontakt"], json!({ "telefon": "+44 20 7946 0958", "email": null, "web": null }));
    }
);

db_test!(
    /// R17/R19: updateEnhed checks the contact data the same way, for the administrator and for
    /// the owner's redaktør editing its own enhed under its lock; a refused save changes nothing.
    update_refuses_bad_contact_data_r17_r19,
    |app: TestApp| async move {
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let redaktoer = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let good = json!({ "web": "https://solgaarden.dk", "email": "post@solgaarden.dk", "telefon": "12 34 56 78" });
        let d = app.ok(Some(&admin), M_CREATE, json!({ "i": new_enhed(good.clone()) })).await;
        let id = d["createEnhed"]["id"].as_str().expect("id").to_string();
        app.ok(Some(&admin), "mutation($id: String!) { lockEnhed(id: $id) { id } }", json!({ "id": id })).await;
        for web in BAD_WEB {
            let e = app.err(Some(&admin), M_UPDATE, json!({ "id": id, "i": { "web": web } }), "VALIDATION").await;
            assert_eq!(fields(&e), vec!["web"], "{web}");
        }
        app.ok(Some(&admin), "mutation($id: String!) { checkInEnhed(id: $id) { id } }", json!({ "id": id })).await;
        app.ok(Some(&redaktoer), "mutation($id: String!) { lockEnhed(id: $id) { id } }", json!({ "id": id })).await;
        for web in BAD_WEB {
            let e = app.err(Some(&redaktoer), M_UPDATE, json!({ "id": id, "i": { "web": web } }), "VALIDATION").await;
            assert_eq!(fields(&e), vec!["web"], "redaktør {web}");
        }
        for email in BAD_EMAIL {
            let e = app.err(Some(&redaktoer), M_UPDATE, json!({ "id": id, "i": { "email": email } }), "VALIDATION").await;
            assert_eq!(fields(&e), vec!["email"], "redaktør {email}");
        }
        for telefon in BAD_TELEFON {
            let e = app.err(Some(&redaktoer), M_UPDATE, json!({ "id": id, "i": { "telefon": telefon } }), "VALIDATION").await;
            assert_eq!(fields(&e), vec!["telefon"], "redaktør {telefon}");
        }
        // A save with one bad field stores none of the others.
        let e = app.err(Some(&redaktoer), M_UPDATE, json!({ "id": id, "i": { "beskrivelse": "Ny", "web": "javascript:alert(1)" } }), "VALIDATION").await;
        assert_eq!(fields(&e), vec!["web"]);
        let d = app.ok(None, Q_KONTAKT, json!({ "id": id })).await;
        assert_eq!(d["enhed"]["kontakt"], good);
        let d = app.ok(Some(&redaktoer), M_UPDATE, json!({ "id": id, "i": { "web": "https://www.solgaarden.dk/kontakt", "telefon": "+45 87 65 43 21" } })).await;
        assert_eq!(d["updateEnhed"]["kontakt"]["web"], "https://www.solgaarden.dk/kontakt");
        assert_eq!(d["updateEnhed"]["kontakt"]["telefon"], "+45 87 65 43 21");
    }
);

db_test!(
    /// R17/R19: the CSV import uses the same rule: an enhed with a bad web address is imported
    /// without it, and the report names the line and the field (not fatal).
    import_leaves_out_bad_web_r17_r19,
    |app: TestApp| async move {
        let csv = "id,name,street,postcode,city,municipality,ownership,homes,lat,lon,web,kommunekode\n\
            w1,Skript,Vej 1,4000,Roskilde,Roskilde,Privat,10,55.64,12.08,javascript:alert(1),0265\n\
            w2,Data,Vej 2,4000,Roskilde,Roskilde,Privat,10,55.64,12.08,\"data:text/html,<script>alert(1)</script>\",0265\n\
            w3,Mail,Vej 3,4000,Roskilde,Roskilde,Privat,10,55.64,12.08,http://post@eksempel.dk,0265\n\
            w4,God,Vej 4,4000,Roskilde,Roskilde,Privat,10,55.64,12.08,https://god.dk/plejebolig,0265\n";
        let r = plejeoverblik::import::import_text(&app.state, csv).await.expect("import");
        assert_eq!((r.created, r.skipped.len()), (4, 0), "{r}");
        for (line, navn) in [(2, "Skript"), (3, "Data"), (4, "Mail")] {
            let w = format!("linje {line} ({navn}): ugyldig webadresse udeladt (felt web): Hjemmeside skal være en http- eller https-adresse");
            assert!(r.warnings.iter().any(|x| x.starts_with(&w)), "{w} in {:?}", r.warnings);
        }
        assert!(!r.warnings.iter().any(|x| x.contains("(God)")), "{:?}", r.warnings);
        for id in ["w1", "w2", "w3"] {
            let d = app.ok(None, Q_KONTAKT, json!({ "id": id })).await;
            assert!(d["enhed"]["kontakt"]["web"].is_null(), "{id}: {d}");
        }
        let d = app.ok(None, Q_KONTAKT, json!({ "id": "w4" })).await;
        assert_eq!(d["enhed"]["kontakt"]["web"], "https://god.dk/plejebolig");
        // Idempotent (R19): the same file again changes nothing.
        let r = plejeoverblik::import::import_text(&app.state, csv).await.expect("import");
        assert_eq!((r.created, r.updated, r.unchanged), (0, 0, 4));
    }
);
