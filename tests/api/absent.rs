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

/// R29 for every mutation argument and every input field of `schema.graphql` (read from the
/// committed schema, as the audit test reads the mutations): a request that declares a
/// variable for it and does not send it runs as if the argument or field were not written.
/// Checked on the document the gate hands to the executor (`graphql::absent::strip`, the one
/// place the rule lives); the HTTP tests above and the conformance clients show its effect.
#[test]
fn r29_every_mutation_argument_and_input_field() {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    use std::collections::HashMap;
    let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql");
    let doc = async_graphql::parser::parse_schema(&sdl).expect("SDL");
    let mut inputs: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut mutations = Vec::new();
    for d in &doc.definitions {
        let TypeSystemDefinition::Type(t) = d else {
            continue;
        };
        match &t.node.kind {
            TypeKind::InputObject(o) => {
                inputs.insert(
                    t.node.name.node.to_string(),
                    o.fields
                        .iter()
                        .map(|f| (f.node.name.node.to_string(), f.node.ty.node.to_string()))
                        .collect(),
                );
            }
            TypeKind::Object(o) if t.node.name.node == "Mutation" => {
                for f in &o.fields {
                    let args: Vec<(String, String)> = f
                        .node
                        .arguments
                        .iter()
                        .map(|a| (a.node.name.node.to_string(), a.node.ty.node.to_string()))
                        .collect();
                    mutations.push((f.node.name.node.to_string(), args));
                }
            }
            _ => {}
        }
    }
    let nullable = |ty: &str| !ty.ends_with('!');
    let mut checked = 0;
    for (m, args) in &mutations {
        for (arg, ty) in args {
            // The argument itself.
            if nullable(ty) {
                let q = format!("mutation($v: {ty}) {{ {m}({arg}: $v) }}");
                assert_stripped(&q, &format!("{m}({arg})"));
                checked += 1;
            }
            // Each field of an input object argument.
            let named = ty.trim_end_matches('!');
            if let Some(fields) = inputs.get(named) {
                for (field, fty) in fields.iter().filter(|(_, t)| nullable(t)) {
                    let q = format!("mutation($v: {fty}) {{ {m}({arg}: {{ {field}: $v }}) }}");
                    assert_stripped(&q, &format!("{m}({arg}.{field})"));
                    checked += 1;
                }
            }
        }
    }
    assert!(
        checked > 30,
        "the schema's nullable mutation arguments and input fields: {checked}"
    );
}

/// The document as the gate runs it when the request sends no variables: `$v` is used nowhere.
fn assert_stripped(q: &str, what: &str) {
    let mut doc = async_graphql::parser::parse_query(q).expect("parse");
    plejeoverblik::graphql::absent::strip(&mut doc, &async_graphql::Variables::default(), None);
    let (_, op) = doc.operations.iter().next().expect("op");
    assert!(
        op.node.variable_definitions.is_empty(),
        "{what}: the definition stays"
    );
    let async_graphql::parser::types::Selection::Field(f) =
        &op.node.selection_set.node.items[0].node
    else {
        panic!("{what}: a field");
    };
    for (_, v) in &f.node.arguments {
        assert!(
            !v.node.to_string().contains("$v"),
            "{what}: still uses $v: {}",
            v.node
        );
    }
}
