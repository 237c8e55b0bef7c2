//! The playground over HTTP: the page and every asset come from the binary with the right
//! content types, long caching for the assets and a strict Content-Security-Policy on the page;
//! the page names no other host. (tests/browser runs it in a real browser.)
use crate::helpers::*;
use plejeoverblik::http::playground::asset_paths;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playground_page_has_a_strict_csp_and_names_no_other_host() {
    let app = TestApp::spawn(Db::Sqlite, Default::default()).await;
    let r = app
        .client()
        .get(format!("{}/", app.addr))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert_eq!(header(&r, "referrer-policy"), "no-referrer");
    let csp = header(&r, "content-security-policy").to_string();
    let html = r.text().await.expect("html");

    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for d in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ] {
        assert!(directives.contains(&d), "{d} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    // The style nonce is fresh per response and handed to playground.js.
    let nonce = attribute_values(&html, "nonce");
    assert_eq!(nonce.len(), 1);
    assert!(nonce[0].len() >= 22, "a long nonce");
    assert!(directives.contains(&format!("style-src 'self' 'nonce-{}'", nonce[0]).as_str()));
    let again = app
        .client()
        .get(format!("{}/", app.addr))
        .send()
        .await
        .expect("page");
    assert!(!header(&again, "content-security-policy").contains(nonce[0]));

    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("{{"), "every placeholder filled");
    // Only external scripts; the tabs come as JSON.
    assert_eq!(html.matches("<script").count(), 5);
    assert_eq!(
        html.matches("<script src=\"/assets/").count() + 1,
        html.matches("<script").count()
    );
    assert!(html.contains("<script type=\"application/json\" id=\"po-tabs\">"));
    assert!(html.contains("Token (udvikling)"));
    assert!(html.contains("plejeoverblik token"));
    assert!(!html.contains("Bearer <token>"), "no placeholder header");
    for op in ["Plejeboliger_naer_Aarhus_C", "Hvem_er_jeg"] {
        assert!(html.contains(op), "{op} is a tab");
    }
    let linked: Vec<&str> = attribute_values(&html, "src")
        .into_iter()
        .chain(attribute_values(&html, "href"))
        .collect();
    assert_eq!(linked.len(), 6);
    for url in linked {
        assert!(url.starts_with("/assets/"), "{url}");
        let r = app
            .client()
            .get(format!("{}{url}", app.addr))
            .send()
            .await
            .expect("asset");
        assert_eq!(r.status(), 200, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playground_assets_have_content_types_and_long_caching() {
    let app = TestApp::spawn(Db::Sqlite, Default::default()).await;
    let assets = asset_paths();
    assert_eq!(assets.len(), 6);
    for (path, content_type) in assets {
        let expected = if path.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            assert!(path.ends_with(".css"), "{path}");
            "text/css; charset=utf-8"
        };
        assert_eq!(content_type, expected, "{path}");
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
        let body = r.bytes().await.expect("body");
        assert!(body.len() > 100, "{path}");
        // Versioned: a vendor path names its version, our own files a content hash.
        let name = path.rsplit('/').next().unwrap_or_default();
        assert!(
            path.contains("-18.3.1/")
                || path.contains("/graphiql-3.9.0/")
                || name.split('.').count() == 3,
            "{path}"
        );
    }
    for missing in ["/assets/", "/assets/nope.js", "/assets/playground.js"] {
        let r = app
            .client()
            .get(format!("{}{missing}", app.addr))
            .send()
            .await
            .expect("missing");
        assert_eq!(r.status(), 404, "{missing}");
    }
}
