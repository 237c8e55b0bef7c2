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
    // Every asset but the details pages' own style sheet (`enhed.css`, linked by those pages).
    let mut own: Vec<String> = asset_paths()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| !p.starts_with("/assets/enhed."))
        .collect();
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
    assert_eq!(assets.len(), 4, "script, two style sheets and favicon");
    for (path, content_type) in assets {
        let expected = if path.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else if path.ends_with(".svg") {
            "image/svg+xml"
        } else {
            assert!(path.ends_with(".css"), "{path}");
            "text/css; charset=utf-8"
        };
        assert_eq!(content_type, expected, "{path}");
        // soeg.<12 hex digits>.js
        let name = path.trim_start_matches("/assets/");
        let parts: Vec<&str> = name.split('.').collect();
        assert_eq!(parts.len(), 3, "{path}");
        assert!(matches!(parts[0], "soeg" | "enhed" | "favicon"), "{path}");
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
        // The SVG namespace is a name, not an address anything is fetched from.
        let body = body.replace("http://www.w3.org/2000/svg", "");
        assert!(body.len() > 500 || path.ends_with(".svg"), "{path}");
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

crate::db_test!(
    /// Issue 21: an enhed's own page for a citizen, from the read model: the agreement with the
    /// chosen kommune in plain words with its dates, the enhed's description, contact as
    /// `tel:`/`mailto:` links, the distance from a point, and the way back to the same list;
    /// "tilbyder ikke" with the kommuner that do; 404 for an unknown id; every text escaped;
    /// the page's CSP and no other host.
    enhed_page_for_citizens,
    |app: TestApp| async move {
        use plejeoverblik::domain::access::Role;
        use serde_json::json;
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let d = app.ok(Some(&admin), "mutation($i: EnhedInput!) { createEnhed(input: $i) { enhedId } }", json!({ "i": {
            "kind": "PLEJEENHED", "navn": "Egehjem <script>alert(1)</script>", "ejerCvr": "80000007",
            "vejnavn": "Egevej 1", "postnummer": "8000", "by": "Aarhus C", "lat": 56.16, "lon": 10.20,
            "boligtype": "PLEJEBOLIG", "antalBoliger": 40, "telefon": "+45 86 00 00 00", "email": "kontakt@egehjem.dk",
            "web": "egehjem.dk", "beskrivelse": "Vi har have & høns.\n\nOg sansehave."
        } })).await;
        let id = d["createEnhed"]["enhedId"].as_str().expect("id").to_string();
        create_agreement(&app, AARHUS, &id, "DRIFTSOVERENSKOMST", "2020-01-01", Some("2030-12-31")).await;
        let get = |path: String| {
            let app = &app;
            async move { app.client().get(format!("{}{path}", app.addr)).send().await.expect("page") }
        };
        let r = get(format!("/soeg/enhed/{id}?kommune=Aarhus&lat=56.17&lon=10.20&type=plejebolig")).await;
        assert_eq!(r.status(), 200);
        assert!(header(&r, "content-security-policy").contains("default-src 'none'"));
        let html = r.text().await.expect("html");
        assert!(!html.contains("<script>alert"), "escaped");
        assert!(html.contains("<h1>Egehjem &lt;script&gt;alert(1)&lt;/script&gt;</h1>"), "{html}");
        assert!(html.contains("Aftalen med Aarhus Kommune"));
        assert!(html.contains("<span class=\"tag\">Driftsoverenskomst</span> Privat leverandør med aftale med kommunen"));
        assert!(html.contains("fra 1. januar 2020 til 31. december 2030"));
        assert!(html.contains("<p>Vi har have &amp; høns.</p><p>Og sansehave.</p>"));
        assert!(html.contains("href=\"tel:+4586000000\""));
        assert!(html.contains("href=\"mailto:kontakt@egehjem.dk\""));
        assert!(html.contains("href=\"https://egehjem.dk\""));
        assert!(html.contains("Plejebolig, 40 boliger"));
        assert!(html.contains("<dd id=\"afstand\">1,1 km fra punktet</dd>"), "{html}");
        assert!(html.contains("href=\"/soeg?kommune=Aarhus&amp;lat=56.17&amp;lon=10.20&amp;type=plejebolig\""), "the way back");
        assert!(!names_a_host(&html.replace("https://egehjem.dk", "")), "no other host but the enhed's own site");
        // Another kommune does not offer it: said, with the one that does.
        let html = get(format!("/soeg/enhed/{id}?kommune=Roskilde")).await.text().await.expect("html");
        assert!(html.contains("Roskilde Kommune tilbyder ikke"), "{html}");
        assert!(html.contains(&format!("<a href=\"/soeg/enhed/{id}?kommune=0751\">Aarhus Kommune</a>")), "{html}");
        // On a day after the agreement ended: not offered.
        let html = get(format!("/soeg/enhed/{id}?kommune=Aarhus&dato=2031-01-01")).await.text().await.expect("html");
        assert!(html.contains("Aarhus Kommune tilbyder ikke"), "{html}");
        let r = get("/soeg/enhed/findes-ikke?kommune=Aarhus".to_string()).await;
        assert_eq!(r.status(), 404);
        assert!(r.text().await.expect("html").contains("Enheden findes ikke"));
        // The accessibility statement is linked from the search and the enhed's page.
        let r = get("/soeg/tilgaengelighed".to_string()).await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.expect("html").contains("<h1>Tilgængelighedserklæring</h1>"));
        let soeg = get("/soeg".to_string()).await.text().await.expect("html");
        assert!(soeg.contains("href=\"/soeg/tilgaengelighed\"") && soeg.contains("rel=\"icon\""));
    }
);

crate::db_test!(
    /// Issue 21: up to three enheder side by side for a kommune (`/soeg/sammenlign`), the
    /// address as the state: each with its agreement (or "Tilbydes ikke"), period, address,
    /// distance, boliger, telephone and description, as a table and as cards for a phone; more
    /// than three says so; fewer than two asks for more.
    compare_page_for_citizens,
    |app: TestApp| async move {
        let a = create_enhed(&app, "PLEJEENHED", "Ahorn & Co", "80000007", 56.16, 10.20).await;
        let b = create_enhed(&app, "PLEJEENHED", "Bøgely", "80000007", 56.17, 10.21).await;
        let c = create_enhed(&app, "PLEJEENHED", "Cedertræ", "80000007", 56.18, 10.22).await;
        let d = create_enhed(&app, "PLEJEENHED", "Dueslaget", "80000007", 56.19, 10.23).await;
        let id = |g: &str| -> String {
            let raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, g).expect("global id");
            String::from_utf8(raw).expect("utf8").trim_start_matches("Enhed:").to_string()
        };
        create_agreement(&app, AARHUS, &a, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        create_agreement(&app, AARHUS, &b, "MYNDIGHEDSPRODUKTION", "2021-03-01", None).await;
        let get = |path: String| {
            let app = &app;
            async move { app.client().get(format!("{}{path}", app.addr)).send().await.expect("page").text().await.expect("html") }
        };
        let html = get(format!("/soeg/sammenlign?kommune=Aarhus&lat=56.16&lon=10.20&enhed={}&enhed={}&enhed={}", id(&a), id(&b), id(&c))).await;
        assert!(html.contains("<h1>Sammenlign</h1>"));
        assert!(html.contains("Ahorn &amp; Co") && html.contains("Bøgely") && html.contains("Cedertræ"), "{html}");
        assert!(html.contains("<span class=\"tag\">Driftsoverenskomst</span>"));
        assert!(html.contains("<span class=\"tag\">Myndighedsproduktion</span>"));
        assert!(html.contains("Tilbydes ikke af Aarhus Kommune"), "Cedertræ has no agreement");
        assert!(html.contains("fra 1. marts 2021, uden slutdato"));
        assert!(html.contains("<th scope=\"row\">Afstand</th>") && html.contains("0,0 km"));
        assert!(html.contains("class=\"compare-cards\""), "cards for a phone");
        assert_eq!(html.matches("<section class=\"panel\"><h2>").count(), 3);
        let html = get(format!("/soeg/sammenlign?kommune=Aarhus&enhed={}&enhed={}&enhed={}&enhed={}", id(&a), id(&b), id(&c), id(&d))).await;
        assert!(html.contains("højst 3 ad gangen") && !html.contains("Dueslaget"), "{html}");
        let html = get(format!("/soeg/sammenlign?kommune=Aarhus&enhed={}", id(&a))).await;
        assert!(html.contains("Vælg to eller tre enheder"));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kommune_kort_draws_the_outline_and_places_points_inside_it() {
    // Issue 21: the map without tiles: Aarhus's outline as an SVG path in its viewBox, and the
    // projection puts Aarhus C inside the drawing; an unknown kommune gives null.
    use serde_json::json;
    let app = TestApp::spawn(Db::Sqlite, Default::default()).await;
    let q = "query($k: String!) { kommuneKort(kommune: $k) { kommuneKode viewBox width height omrids projektion { minLon maxLat xPerDegree yPerDegree margin } } }";
    let d = app.ok(None, q, json!({ "k": "Aarhus" })).await;
    let k = &d["kommuneKort"];
    assert_eq!(k["kommuneKode"], "0751");
    let (w, h) = (
        k["width"].as_f64().expect("w"),
        k["height"].as_f64().expect("h"),
    );
    assert_eq!(k["viewBox"], format!("0 0 {w:.0} {:.0}", h.ceil()));
    let path = k["omrids"].as_str().expect("path");
    assert!(
        path.starts_with('M') && path.ends_with('Z') && path.len() < 20_000,
        "{}",
        path.len()
    );
    let p = &k["projektion"];
    let f = |n: &str| p[n].as_f64().expect(n);
    let (x, y) = (
        f("margin") + (10.2045 - f("minLon")) * f("xPerDegree"),
        f("margin") + (f("maxLat") - 56.1535) * f("yPerDegree"),
    );
    assert!(
        x > 0.0 && x < w && y > 0.0 && y < h,
        "Aarhus C at {x},{y} in {w}x{h}"
    );
    let d = app.ok(None, q, json!({ "k": "Atlantis" })).await;
    assert!(d["kommuneKort"].is_null());
}

crate::db_test!(
    /// Issue 21 (R31, R32): the details page shows the profile in words, the photos with their
    /// alt texts and sizes, the latest tilsyn with its report and a påbud in force at the top and
    /// in its section (escaped: the ældretilsyn's text is shown as text); the comparison has a
    /// row per profile fact and the tilsyn rows; a helhedsplejeenhed shows its services.
    enhed_page_shows_profile_photos_and_tilsyn,
    |app: TestApp| async move {
        use plejeoverblik::domain::access::Role;
        use serde_json::json;
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let mk = |input: serde_json::Value| {
            let (app, admin) = (&app, &admin);
            async move {
                let d = app.ok(Some(admin), "mutation($i: EnhedInput!) { createEnhed(input: $i) { id enhedId } }", json!({ "i": input })).await;
                (d["createEnhed"]["id"].as_str().expect("id").to_string(), d["createEnhed"]["enhedId"].as_str().expect("id").to_string())
            }
        };
        let (gid, id) = mk(json!({ "kind": "PLEJEENHED", "navn": "Lindehjemmet", "ejerCvr": "80000007", "lat": 56.16, "lon": 10.20,
            "antalBoliger": 30, "huslejeFra": 8500, "huslejeTil": 9200, "indskud": 12000, "parboliger": 2,
            "demens": "DEMENSAFSNIT", "madPaaStedet": true, "dyr": "EGNE", "faciliteter": ["EGET_BAD", "SANSEHAVE"] })).await;
        let (_, other) = mk(json!({ "kind": "PLEJEENHED", "navn": "Bøgehjemmet", "ejerCvr": "80000007", "lat": 56.15, "lon": 10.21, "huslejeFra": 7000 })).await;
        let (_, helhed) = mk(json!({ "kind": "HELHEDSPLEJEENHED", "navn": "Omsorg i hjemmet", "ejerCvr": "80000008", "lat": 56.15, "lon": 10.21,
            "ydelser": ["PERSONLIG_PLEJE", "SYGEPLEJE"], "kanLevereFra": "2026-09-01", "omraader": ["Aarhus C", "Viby"] })).await;
        for e in [&id, &other, &helhed] {
            create_agreement(&app, AARHUS, e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        }
        app.ok(Some(&admin), "mutation($e: String!) { registerTilsyn(enhedId: $e, input: { dato: \"2026-05-02\", vurdering: \"Mindre <b>problemer</b>\", sammenfatning: \"Pænt.\\n\\nMen medicinen.\", rapportUrl: \"https://aeldretilsyn.dk/r/1\" }) { dato } }", json!({ "e": gid })).await;
        app.ok(Some(&admin), "mutation($e: String!) { givePaabudForbud(enhedId: $e, input: { type: PAABUD, tekst: \"Ret medicinhåndteringen\", givet: \"2026-05-03\" }) { id } }", json!({ "e": gid })).await;
        // A photo, uploaded by the administrator under the lock.
        app.ok(Some(&admin), "mutation($id: String!) { lockEnhed(id: $id) { id } }", json!({ "id": gid })).await;
        let img = image::RgbImage::from_pixel(40, 30, image::Rgb([1, 2, 3]));
        let mut png = Vec::new();
        image::ImageEncoder::write_image(image::codecs::png::PngEncoder::new(&mut png), img.as_raw(), 40, 30, image::ExtendedColorType::Rgb8).expect("png");
        let r = app.client().put(format!("{}/enhed/{id}/fotos", app.addr)).query(&[("alt", "Have med \"bænke\"")]).bearer_auth(&admin).body(png).send().await.expect("put");
        assert_eq!(r.status(), 201);
        let get = |path: String| {
            let app = &app;
            async move { app.client().get(format!("{}{path}", app.addr)).send().await.expect("page").text().await.expect("html") }
        };
        let html = get(format!("/soeg/enhed/{id}?kommune=Aarhus")).await;
        for want in ["8.500–9.200 kr. om måneden", "12.000 kr.", "Har et demensafsnit", "Du kan tage dit eget dyr med",
            "<li>Eget bad og toilet</li>", "<li>Sansehave</li>", "Mad lavet på stedet</dt><dd>Ja",
            "alt=\"Have med &quot;bænke&quot;\" width=\"40\" height=\"30\"", "Mindre &lt;b&gt;problemer&lt;/b&gt;",
            "2. maj 2026", "<p>Pænt.</p><p>Men medicinen.</p>", "href=\"https://aeldretilsyn.dk/r/1\"",
            "id=\"sanktion-note\"", "Påbud fra ældretilsynet</strong> (givet 3. maj 2026): Ret medicinhåndteringen"] {
            assert!(html.contains(want), "{want}\n{html}");
        }
        // The way back keeps the place and the filters of the list it came from.
        let html = get(format!("/soeg/enhed/{other}?kommune=Aarhus&sted=8000&demens=1&husleje=10000&udenpaabud=1&x=1")).await;
        assert!(html.contains("href=\"/soeg?demens=1&amp;husleje=10000&amp;kommune=Aarhus&amp;sted=8000&amp;udenpaabud=1&amp;type=plejebolig\""), "{html}");
        assert!(html.contains("Ældretilsynet har ikke registreret et tilsyn her endnu."), "{html}");
        assert!(!html.contains("sanktion-note"));
        let html = get(format!("/soeg/enhed/{helhed}?kommune=Aarhus")).await;
        for want in ["<li>Personlig pleje</li>", "<li>Sygepleje</li>", "1. september 2026", "Aarhus C, Viby"] {
            assert!(html.contains(want), "{want}\n{html}");
        }
        let html = get(format!("/soeg/sammenlign?kommune=Aarhus&enhed={id}&enhed={other}")).await;
        for want in ["<th scope=\"row\">Husleje</th><td>8.500–9.200 kr. om måneden</td><td>7.000 kr. om måneden</td>",
            "<th scope=\"row\">Demens</th><td>Har et demensafsnit</td><td><span class=\"note\">Ikke oplyst</span></td>",
            "<th scope=\"row\">Seneste tilsyn</th><td>2. maj 2026: Mindre &lt;b&gt;problemer&lt;/b&gt;</td>",
            "<th scope=\"row\">Påbud eller forbud</th><td><ul class=\"sanktion\">"] {
            assert!(html.contains(want), "{want}\n{html}");
        }
    }
);
