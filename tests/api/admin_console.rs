//! The admin console over HTTP: `/admin` and its modules come from the binary with their content
//! types and a strict Content-Security-Policy; the development login endpoint exists only with
//! `--dev-tokens`; and what the console needs of the API (the aftalepart filter, an enhed's lock
//! for those who may edit it). tests/browser/admin.test.mjs runs the console in a real browser.
use crate::db_test;
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use plejeoverblik::http::admin::asset_paths;
use serde_json::{json, Value};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_page_and_modules_are_served_under_a_strict_csp() {
    let app = TestApp::spawn(Db::Sqlite, Default::default()).await;
    for path in ["/admin", "/admin/"] {
        let r = app
            .client()
            .get(format!("{}{path}", app.addr))
            .send()
            .await
            .expect("page");
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
        assert_eq!(header(&r, "cache-control"), "no-store");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        assert_eq!(header(&r, "referrer-policy"), "no-referrer");
        let csp = header(&r, "content-security-policy").to_string();
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        for d in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ] {
            assert!(directives.contains(&d), "{d} in {csp}");
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        let html = r.text().await.expect("html");
        assert!(html.contains("<html lang=\"da\">"));
        assert!(html.contains("data-dev-login=\"true\""));
        assert!(!html.contains("{{"), "every placeholder filled");
        assert!(!html.contains("http://") && !html.contains("https://"));
        // No inline script or style: one module and one style sheet, both ours.
        assert_eq!(html.matches("<script").count(), 1);
        assert!(!html.contains("<style") && !html.contains(" style="));
        let linked: Vec<&str> = attribute_values(&html, "src")
            .into_iter()
            .chain(attribute_values(&html, "href"))
            .filter(|u| u.starts_with('/'))
            .collect();
        assert_eq!(linked.len(), 2, "{linked:?}");
        for url in linked {
            assert!(url.starts_with("/admin/assets/"), "{url}");
            let r = app
                .client()
                .get(format!("{}{url}", app.addr))
                .send()
                .await
                .expect("asset");
            assert_eq!(r.status(), 200, "{url}");
        }
    }

    let assets = asset_paths();
    let names: Vec<String> = assets
        .iter()
        .map(|(p, _)| p.rsplit('/').next().unwrap_or_default().to_string())
        .collect();
    for (path, content_type) in &assets {
        let r = app
            .client()
            .get(format!("{}{path}", app.addr))
            .send()
            .await
            .expect("asset");
        assert_eq!(r.status(), 200, "{path}");
        let expected = if path.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(*content_type, expected, "{path}");
        assert_eq!(header(&r, "content-type"), expected, "{path}");
        assert_eq!(
            header(&r, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        let body = r.text().await.expect("body");
        // The modules import each other by relative path within the versioned directory, and
        // talk to nothing but our own origin.
        for line in body.lines().filter(|l| l.contains(" from './")) {
            let file = line
                .split(" from './")
                .nth(1)
                .and_then(|s| s.split('\'').next())
                .unwrap_or_default();
            assert!(names.iter().any(|n| n == file), "{path} imports {file}");
        }
        for (i, _) in body.match_indices("fetch(") {
            let arg = &body[i + "fetch(".len()..];
            // The downloads (issue 20) fetch a path that must be one of ours under /export/.
            let export =
                arg.starts_with("path,") && body.contains("if (!path.startsWith('/export/'))");
            // A photo's upload (R31): this origin's /enhed/<id>/fotos.
            let photo = arg.starts_with("`/enhed/${encodeURIComponent(enhedId)}/fotos?");
            assert!(
                arg.starts_with("'/graphql'")
                    || arg.starts_with("'/admin/dev-token'")
                    // The login through the identity provider (issue 22): this origin's session.
                    || arg.starts_with("'/auth/session'")
                    || arg.starts_with("'/auth/logout'")
                    || export
                    || photo,
                "{path} fetches only /graphql, /export/, photo uploads, the session and the dev login"
            );
        }
        assert!(!body.contains("XMLHttpRequest") && !body.contains("WebSocket"));
        assert!(
            !body.contains("localStorage.setItem"),
            "{path}: token only in sessionStorage"
        );
    }
    let version = assets[0]
        .0
        .split('/')
        .nth(3)
        .unwrap_or_default()
        .to_string();
    for missing in [
        "/admin/assets/0000/app.js".to_string(),
        format!("/admin/assets/{version}/nope.js"),
        "/admin/app.js".to_string(),
    ] {
        let r = app
            .client()
            .get(format!("{}{missing}", app.addr))
            .send()
            .await
            .expect("missing");
        assert_eq!(r.status(), 404, "{missing}");
    }
}

async fn post_dev_token(app: &TestApp, content_type: &str, body: String) -> reqwest::Response {
    app.client()
        .post(format!("{}/admin/dev-token", app.addr))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("dev-token")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_token_endpoint_gives_a_working_token_with_dev_tokens() {
    let app = TestApp::spawn(Db::Sqlite, Default::default()).await;
    let roskilde = kommune_cvr("0265");
    let r = post_dev_token(
        &app,
        "application/json",
        json!({ "role": "driftsoverenskomstansvarlig", "cvr": roskilde, "name": "Anne Andersen" })
            .to_string(),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "no-store");
    let body: Value = r.json().await.expect("json");
    let token = body["token"].as_str().expect("token").to_string();
    let d = app
        .ok(
            Some(&token),
            "{ viewer { authenticated subject name cvr roles kommune { navn } } }",
            json!({}),
        )
        .await;
    let v = &d["viewer"];
    assert_eq!(v["authenticated"], true);
    assert_eq!(v["name"], "Anne Andersen");
    assert_eq!(v["subject"], format!("dev:{roskilde}:anne-andersen"));
    assert_eq!(v["roles"], json!(["DRIFTSOVERENSKOMSTANSVARLIG"]));
    assert_eq!(v["kommune"]["navn"], "Roskilde");

    for (body, why) in [
        (
            json!({ "role": "superbruger", "cvr": roskilde, "name": "X" }),
            "rolle",
        ),
        (
            json!({ "role": "redaktoer", "cvr": "1234", "name": "X" }),
            "CVR",
        ),
        (json!({ "cvr": roskilde }), "role"),
    ] {
        let r = post_dev_token(&app, "application/json", body.to_string()).await;
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = r.json().await.expect("json");
        assert!(e["error"].as_str().unwrap_or_default().contains(why), "{e}");
    }
    // Not from an HTML form: JSON only.
    let r = post_dev_token(
        &app,
        "application/x-www-form-urlencoded",
        "role=administrator&cvr=12345678".into(),
    )
    .await;
    assert_eq!(r.status(), 415);
    let r = app
        .client()
        .get(format!("{}/admin/dev-token", app.addr))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_token_endpoint_does_not_exist_without_dev_tokens() {
    let app = TestApp::spawn(
        Db::Sqlite,
        Options {
            configure: Some(Arc::new(|c| c.dev_tokens = false)),
            ..Default::default()
        },
    )
    .await;
    let r = post_dev_token(
        &app,
        "application/json",
        json!({ "role": "administrator", "cvr": ADMIN_CVR, "name": "Mallory" }).to_string(),
    )
    .await;
    assert_eq!(r.status(), 404);
    // The console is there, without the development login form.
    let r = app
        .client()
        .get(format!("{}/admin", app.addr))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    assert!(html.contains("data-dev-login=\"false\""));
}

const LIST: &str = "query($a: String) { serviceleverancer(aftalepart: $a, first: 100) {
    totalCount nodes { aftalepart { kode } } } }";

db_test!(
    aftalepart_filter_lists_one_kommunes_agreements,
    |app: TestApp| async move {
        let e = create_enhed(
            &app,
            "PLEJEENHED",
            "Filterhjemmet",
            "90000009",
            55.64,
            12.08,
        )
        .await;
        create_agreement(&app, "0265", &e, "DRIFTSOVERENSKOMST", "2025-01-01", None).await;
        create_agreement(&app, "0350", &e, "DRIFTSOVERENSKOMST", "2025-01-01", None).await;
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        for a in ["0265", "Roskilde", "roskilde kommune"] {
            let d = app.ok(Some(&admin), LIST, json!({ "a": a })).await;
            let c = &d["serviceleverancer"];
            assert_eq!(c["totalCount"], 1, "{a}");
            assert_eq!(c["nodes"][0]["aftalepart"]["kode"], "0265", "{a}");
        }
        let d = app.ok(Some(&admin), LIST, json!({ "a": null })).await;
        assert_eq!(d["serviceleverancer"]["totalCount"], 2);
        let e = app
            .err(Some(&admin), LIST, json!({ "a": "Atlantis" }), "VALIDATION")
            .await;
        assert_eq!(e["extensions"]["fields"], json!(["aftalepart"]));
        // R26: another kommune's filter finds nothing for a kommune user.
        let roskilde = app.token(
            Role::Driftsoverenskomstansvarlig,
            &kommune_cvr("0265"),
            "anne",
        );
        let d = app.ok(Some(&roskilde), LIST, json!({ "a": "Lejre" })).await;
        assert_eq!(d["serviceleverancer"]["totalCount"], 0);
    }
);

db_test!(
    an_enheds_lock_is_shown_only_to_those_who_may_edit_it,
    |app: TestApp| async move {
        let id = create_enhed(
            &app,
            "HELHEDSPLEJEENHED",
            "Låsehjemmet",
            "90000009",
            55.64,
            12.08,
        )
        .await;
        let owner = app.token(Role::Redaktoer, "90000009", "rikke");
        app.ok(
            Some(&owner),
            "mutation($id: String!) { lockEnhed(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
        let q = "query($id: String!) { enhed(id: $id) { laas { subject navn since until } } }";
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        for t in [&owner, &admin] {
            let d = app.ok(Some(t), q, json!({ "id": id })).await;
            assert_eq!(d["enhed"]["laas"]["subject"], "rikke");
            assert_eq!(d["enhed"]["laas"]["navn"], "rikke");
        }
        // R25: nobody else sees who holds it.
        let other = app.token(Role::Redaktoer, "90000008", "ole");
        let kommune = app.token(
            Role::Driftsoverenskomstansvarlig,
            &kommune_cvr("0265"),
            "anne",
        );
        for t in [None, Some(other.as_str()), Some(kommune.as_str())] {
            let d = app.ok(t, q, json!({ "id": id })).await;
            assert!(d["enhed"]["laas"].is_null(), "{d}");
        }
        app.ok(
            Some(&owner),
            "mutation($id: String!) { checkInEnhed(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
        let d = app.ok(Some(&owner), q, json!({ "id": id })).await;
        assert!(d["enhed"]["laas"].is_null());
    }
);
