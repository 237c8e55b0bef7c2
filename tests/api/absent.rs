//! R29 (issue 20): a variable that an operation declares but the request does not send is
//! absent, not null (GraphQL §6.4.1, §3.10). Typed clients drop undefined variables all the time
//! (`JSON.stringify`); before, that cleared the field.
use crate::db_test;
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use serde_json::json;

db_test!(
    /// An update that declares `$a` and `$s` but sends only `$a` keeps startdato (before: it
    /// cleared it and took the agreement out of the public search); with `$s: null` sent, it
    /// clears as asked.
    r29_an_unsent_variable_keeps_the_agreements_field,
    |app: TestApp| async move {
        let e = create_enhed(&app, "PLEJEENHED", "Valmuehjem", "80000007", 56.16, 10.20).await;
        let id = create_agreement(&app, AARHUS, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let t = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(AARHUS), "doa-0751");
        app.ok(Some(&t), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", json!({ "id": id })).await;
        let m = "mutation($id: ID!, $a: String, $s: Date) { updateServiceleverance(id: $id, input: {aftaleidentifikation: $a, startdato: $s}) { aftaleidentifikation startdato isPublic } }";
        let d = app.ok(Some(&t), m, json!({ "id": id, "a": "VAR-2" })).await;
        let u = &d["updateServiceleverance"];
        assert_eq!(u["aftaleidentifikation"], "VAR-2");
        assert_eq!(u["startdato"], "2020-01-01", "kept");
        assert_eq!(u["isPublic"], true);
        // The same for a top-level argument's variable inside a list-free input.
        let d = app.ok(Some(&t), m, json!({ "id": id, "s": null })).await;
        assert_eq!(d["updateServiceleverance"]["startdato"], json!(null), "null clears");
        assert_eq!(d["updateServiceleverance"]["aftaleidentifikation"], "VAR-2", "kept");
    }
);

db_test!(
    /// updateEnhed with an unsent `$web` keeps the web address; an unsent `$navn` is not
    /// refused as an attempt to clear the name.
    r29_an_unsent_variable_keeps_the_enheds_field,
    |app: TestApp| async move {
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let e = create_enhed(&app, "PLEJEENHED", "Kløverhjem", "80000007", 56.16, 10.20).await;
        app.ok(Some(&admin), "mutation($id: String!) { lockEnhed(id: $id) { id } }", json!({ "id": e })).await;
        app.ok(Some(&admin), "mutation($id: String!) { updateEnhed(id: $id, input: {web: \"https://kloeverhjem.dk\"}) { id } }", json!({ "id": e })).await;
        let m = "mutation($id: String!, $navn: String, $web: String, $tlf: String) { updateEnhed(id: $id, input: {navn: $navn, web: $web, telefon: $tlf}) { navn kontakt { web telefon } } }";
        let d = app.ok(Some(&admin), m, json!({ "id": e, "tlf": "+45 11 22 33 44" })).await;
        let u = &d["updateEnhed"];
        assert_eq!(u["navn"], "Kløverhjem");
        assert_eq!(u["kontakt"]["web"], "https://kloeverhjem.dk", "kept");
        assert_eq!(u["kontakt"]["telefon"], "+45 11 22 33 44");
    }
);

db_test!(
    /// previewIssues with declared but unsent variables previews the saved values, as if the
    /// arguments were not written (before: it reported startdato and type missing).
    r29_preview_issues_treats_unsent_variables_as_absent,
    |app: TestApp| async move {
        let e = create_enhed(&app, "PLEJEENHED", "Mælkebøttehjem", "80000007", 56.16, 10.20).await;
        let id = create_agreement(&app, AARHUS, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let t = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(AARHUS), "doa-0751");
        let q = "query($id: ID, $t: ServiceleveranceType, $s: Date, $u: Date) { previewIssues(id: $id, type: $t, startdato: $s, slutdato: $u) { field severity code } }";
        let d = app.ok(Some(&t), q, json!({ "id": id })).await;
        let errors: Vec<_> = d["previewIssues"].as_array().expect("issues").iter().filter(|i| i["severity"] == "ERROR").cloned().collect();
        assert!(errors.is_empty(), "nothing is missing: {errors:?}");
    }
);
