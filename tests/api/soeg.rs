//! The citizen search `/soeg` over HTTP: the page and its script and style come from the binary
//! with the right content types, a strict Content-Security-Policy on the page, year-long caching
//! for the content-hashed assets, and nothing names another host. (tests/browser/soeg.test.mjs
//! runs it in a real browser.)
use crate::helpers::*;
use plejeoverblik::http::soeg::asset_paths;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soeg_page_has_a_strict_csp_and_names_no_other_host() {
    let app = TestApp::spawn(Db::Sqlite, Default::default()).await;
    let r = app
        .client()
        .get(format!("{}/soeg", app.addr))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&r, "cache-control"), "no-store");
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert_eq!(header(&r, "referrer-policy"), "no-referrer");
    let permissions = header(&r, "permissions-policy").to_string();
    assert!(permissions.contains("geolocation=(self)"), "{permissions}");
    let csp = header(&r, "content-security-policy").to_string();
    let html = r.text().await.expect("html");

    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for d in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(directives.contains(&d), "{d} in {csp}");
    }
    assert!(!csp.contains("unsafe") && !csp.contains("data:"), "{csp}");
    assert!(!csp.contains("http") && !csp.contains('*'), "{csp}");

    assert!(html.starts_with("<!doctype html>\n<html lang=\"da\">"));
    assert!(!html.contains("{{"), "every placeholder filled");
    assert!(!names_a_host(&html), "the page names no other host");
    // No inline script or style: one external module script, one style sheet, no style
    // attributes, no event handler attributes.
    assert_eq!(html.matches("<script").count(), 1);
    assert_eq!(
        html.matches("<script type=\"module\" src=\"/assets/")
            .count(),
        1
    );
    assert!(!html.contains("<style") && !html.contains(" style=\""));
    assert!(!html.contains(" onclick=") && !html.contains(" onload="));
    assert!(html.contains("<h1>Find plejebolig eller helhedspleje</h1>"));
    for id in [
        "kommune",
        "dato",
        "lat",
        "lon",
        "type-plejebolig",
        "type-helhedspleje",
    ] {
        assert!(
            html.contains(&format!("<label for=\"{id}\"")),
            "{id} has a label"
        );
    }
    assert!(html.contains("role=\"status\" aria-live=\"polite\""));

    // What the page links are exactly the search page's assets, and they are served.
    let mut linked: Vec<&str> = attribute_values(&html, "src")
        .into_iter()
        .chain(
            attribute_values(&html, "href")
                .into_iter()
                .filter(|h| h.starts_with("/assets/")),
        )
        .collect();
    linked.sort();
    let mut own: Vec<String> = asset_paths().into_iter().map(|(p, _)| p).collect();
    own.sort();
    assert_eq!(linked, own);
    for href in attribute_values(&html, "href") {
        assert!(href.starts_with('/') || href.starts_with('#'), "{href}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soeg_assets_have_content_types_long_caching_and_name_no_host() {
    let app = TestApp::spawn(Db::Sqlite, Default::default()).await;
    let assets = asset_paths();
    assert_eq!(assets.len(), 2);
    for (path, content_type) in assets {
        let expected = if path.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            assert!(path.ends_with(".css"), "{path}");
            "text/css; charset=utf-8"
        };
        assert_eq!(content_type, expected, "{path}");
        // soeg.<12 hex digits>.js
        let name = path.trim_start_matches("/assets/");
        let parts: Vec<&str> = name.split('.').collect();
        assert_eq!(parts.len(), 3, "{path}");
        assert_eq!(parts[0], "soeg");
        assert!(
            parts[1].len() == 12 && parts[1].bytes().all(|b| b.is_ascii_hexdigit()),
            "{path}"
        );
        let r = app
            .client()
            .get(format!("{}{path}", app.addr))
            .send()
            .await
            .expect("asset");
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "content-type"), expected, "{path}");
        assert_eq!(
            header(&r, "cache-control"),
            "public, max-age=31536000, immutable",
            "{path}"
        );
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
        let body = r.text().await.expect("body");
        assert!(body.len() > 1000, "{path}");
        assert!(!names_a_host(&body), "{path} names no other host");
    }
    // The script talks to this origin's /graphql only, without a token.
    let js_path = asset_paths()
        .into_iter()
        .find(|(p, _)| p.ends_with(".js"))
        .map(|(p, _)| p)
        .expect("js");
    let js = app
        .client()
        .get(format!("{}{js_path}", app.addr))
        .send()
        .await
        .expect("js")
        .text()
        .await
        .expect("js");
    assert!(js.contains("fetch('/graphql'"));
    assert!(!js.contains("authorization") && !js.contains("innerHTML"));
    for missing in [
        "/assets/soeg.js",
        "/assets/soeg.css",
        "/soeg/",
        "/soeg.html",
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

#[test]
fn names_a_host_sees_hosts_but_not_paths() {
    assert!(names_a_host("<script src=\"https://cdn.example/x.js\">"));
    assert!(names_a_host("<img src=\"//cdn.example/x.png\">"));
    assert!(names_a_host("a { background: url(x.png) }"));
    assert!(!names_a_host("fetch('/graphql') // a comment"));
    assert!(!names_a_host("new URL(`https://${t}`)"));
}
