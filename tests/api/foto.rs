//! R31's photos over HTTP: uploaded with `PUT /enhed/{id}/fotos?alt=…` under the enhed's lock,
//! checked by content, re-encoded without metadata, stored in the database, served under a
//! content hash with a year's caching and a 304 on revalidation; bad uploads get a clear Danish
//! error and store nothing.
use crate::db_test;
use crate::helpers::*;
use image::ImageEncoder;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};

const PROVIDER: &str = "90000001";
const Q_FOTOS: &str =
    "query($id: String!) { enhed(id: $id) { enhedId revision profil { fotos { url alt bredde hoejde } } } }";

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .expect("png");
    out
}

/// A JPEG with an EXIF segment (orientation 1) that also carries a GPS position as text.
fn jpeg_with_exif(marker: &str) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(64, 48, image::Rgb([200, 100, 50]));
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
        .encode_image(&img)
        .expect("jpeg");
    // TIFF, little-endian: one IFD entry (Orientation = 1), no next IFD; then the marker.
    let mut tiff: Vec<u8> = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&[
        1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    tiff.extend_from_slice(marker.as_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A valid PNG header that claims 60,000 x 60,000 pixels (a decompression bomb's shape).
fn bomb() -> Vec<u8> {
    let mut p = png(8, 8);
    // IHDR's data starts at byte 16: width and height, then the chunk's CRC at 29..33.
    p[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    p[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&p[12..29]);
    p[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    p
}

async fn put(
    app: &TestApp,
    token: Option<&str>,
    id: &str,
    alt: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = app
        .client()
        .put(format!("{}/enhed/{id}/fotos", app.addr))
        .query(&[("alt", alt)])
        .header("content-type", "image/png")
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("put");
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    (status, v)
}

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"].as_str().unwrap_or("")
}

db_test!(
    /// R31: upload, metadata stripped, served with long caching and 304; the bad inputs (a
    /// renamed executable, a decompression bomb, 16 MB, a broken file, no alt text, a fifth
    /// photo) are refused in Danish and store nothing; without the lock, or as another
    /// provider, nothing; reordering, new alt texts and removal through updateFotos, after
    /// which the removed photo is no longer served.
    r31_photos_upload_serve_refuse_remove,
    |app: TestApp| async move {
        let red = app.token(Role::Redaktoer, PROVIDER, "rikke");
        let other = app.token(Role::Redaktoer, "90000009", "ole");
        let gid = create_enhed(&app, "PLEJEENHED", "Fotohjemmet", PROVIDER, 55.64, 12.08).await;
        let d = app.ok(None, Q_FOTOS, json!({ "id": gid })).await;
        let id = d["enhed"]["enhedId"].as_str().expect("id").to_string();

        // No token, no lock, another provider: refused before anything is decoded.
        assert_eq!(put(&app, None, &id, "Haven", png(20, 20)).await.0, 401);
        let (s, v) = put(&app, Some(&red), &id, "Haven", png(20, 20)).await;
        assert_eq!((s, code(&v)), (409, "NOT_LOCKED"), "{v}");
        let (s, _) = put(&app, Some(&other), &id, "Haven", png(20, 20)).await;
        assert!(s == 403 || s == 404, "{s}");

        app.ok(Some(&red), "mutation($id: String!) { lockEnhed(id: $id) { id } }", json!({ "id": gid })).await;
        let (s, v) = put(&app, Some(&red), &id, "Stuen med udsigt til haven", jpeg_with_exif("GPS 55.6761N 12.5683E")).await;
        assert_eq!(s, 201, "{v}");
        let url = v["url"].as_str().expect("url").to_string();
        assert_eq!((v["bredde"].clone(), v["hoejde"].clone()), (json!(64), json!(48)));
        // Served: a JPEG without the EXIF segment or the position, cached for a year.
        let r = app.client().get(format!("{}{url}", app.addr)).send().await.expect("get");
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "content-type"), "image/jpeg");
        assert!(header(&r, "cache-control").contains("immutable"));
        let tag = header(&r, "etag").to_string();
        let bytes = r.bytes().await.expect("bytes");
        assert!(bytes.starts_with(&[0xFF, 0xD8]));
        let hay = String::from_utf8_lossy(&bytes);
        assert!(!hay.contains("Exif") && !hay.contains("GPS"), "metadata survived");
        let r = app.client().get(format!("{}{url}", app.addr)).header("if-none-match", &tag).send().await.expect("get");
        assert_eq!(r.status(), 304);

        // Bad inputs: each a clear Danish error naming the file, and nothing stored.
        let exe = b"MZ\x90\x00\x03\x00\x00\x00PE\0\0 this program cannot be run in DOS mode".to_vec();
        let (s, v) = put(&app, Some(&red), &id, "Et billede", exe).await;
        assert_eq!((s, code(&v)), (415, "VALIDATION"), "{v}");
        assert!(v["errors"][0]["message"].as_str().expect("msg").contains("JPEG-, PNG- eller WebP"), "{v}");
        assert_eq!(v["errors"][0]["extensions"]["fields"], json!(["fil"]));
        let (s, v) = put(&app, Some(&red), &id, "Et billede", bomb()).await;
        assert_eq!((s, code(&v)), (400, "VALIDATION"), "{v}");
        assert!(v["errors"][0]["message"].as_str().expect("msg").contains("megapixel"), "{v}");
        let (s, v) = put(&app, Some(&red), &id, "Et billede", vec![0xFF; 16 * 1024 * 1024]).await;
        assert_eq!(s, 413, "{v}");
        let mut broken = png(300, 300);
        broken.truncate(broken.len() / 3);
        let (s, v) = put(&app, Some(&red), &id, "Et billede", broken).await;
        assert_eq!((s, code(&v)), (400, "VALIDATION"), "{v}");
        assert!(v["errors"][0]["message"].as_str().expect("msg").contains("ødelagt"), "{v}");
        let (s, v) = put(&app, Some(&red), &id, "  ", png(20, 20)).await;
        assert_eq!((s, v["errors"][0]["extensions"]["fields"].clone()), (400, json!(["alt"])), "{v}");
        let d = app.ok(None, Q_FOTOS, json!({ "id": gid })).await;
        assert_eq!(d["enhed"]["profil"]["fotos"].as_array().map(Vec::len), Some(1), "the refusals stored nothing");

        // Up to four: a big one is scaled down; the fifth is refused.
        for (i, (w, h)) in [(2400, 1200), (30, 30), (40, 40)].into_iter().enumerate() {
            let (s, v) = put(&app, Some(&red), &id, &format!("Billede {i}"), png(w, h)).await;
            assert_eq!(s, 201, "{v}");
            if i == 0 {
                assert_eq!((v["bredde"].clone(), v["hoejde"].clone()), (json!(1600), json!(800)));
            }
        }
        let (s, v) = put(&app, Some(&red), &id, "Det femte", png(50, 50)).await;
        assert_eq!((s, code(&v)), (400, "VALIDATION"), "{v}");

        // Reorder, new alt text, remove one: the removed one is not served any more.
        let d = app.ok(None, Q_FOTOS, json!({ "id": gid })).await;
        let fotos = d["enhed"]["profil"]["fotos"].as_array().expect("fotos").clone();
        let keep = vec![
            json!({ "url": fotos[3]["url"], "alt": "Fællesstuen" }),
            json!({ "url": fotos[1]["url"], "alt": fotos[1]["alt"] }),
        ];
        let d = app.ok(Some(&red), "mutation($id: String!, $f: [FotoInput!]!) { updateFotos(enhedId: $id, fotos: $f) { profil { fotos { url alt } } } }", json!({ "id": gid, "f": keep })).await;
        let now = &d["updateFotos"]["profil"]["fotos"];
        assert_eq!(now[0]["alt"], "Fællesstuen");
        assert_eq!(now.as_array().map(Vec::len), Some(2));
        let r = app.client().get(format!("{}{url}", app.addr)).send().await.expect("get");
        assert_eq!(r.status(), 404, "a removed photo is not served");
        let e = app.err(Some(&red), "mutation($id: String!, $f: [FotoInput!]!) { updateFotos(enhedId: $id, fotos: $f) { id } }", json!({ "id": gid, "f": [{ "url": "/foto/x/y.jpg", "alt": "x" }] }), "VALIDATION").await;
        assert_eq!(e["extensions"]["fields"], json!(["fotos"]));
        // R31: photos are a plejeenhed's; a helhedsplejeenhed's upload is refused.
        let hg = create_enhed(&app, "HELHEDSPLEJEENHED", "Hjemmeplejen", PROVIDER, 55.64, 12.08).await;
        let d = app.ok(None, Q_FOTOS, json!({ "id": hg })).await;
        let hid = d["enhed"]["enhedId"].as_str().expect("id").to_string();
        app.ok(Some(&red), "mutation($id: String!) { lockEnhed(id: $id) { id } }", json!({ "id": hg })).await;
        let (s, v) = put(&app, Some(&red), &hid, "Bilen", png(20, 20)).await;
        assert_eq!((s, v["errors"][0]["extensions"]["fields"].clone()), (400, json!(["fil"])), "{v}");
        // The audit log has the uploads and the change.
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let d = app.ok(Some(&admin), "query($id: String) { auditLog(entityType: \"Enhed\", entityId: $id, first: 50) { nodes { action changes { field after } } } }", json!({ "id": id })).await;
        let actions: Vec<&str> = d["auditLog"]["nodes"].as_array().expect("nodes").iter().filter_map(|n| n["action"].as_str()).collect();
        assert_eq!(actions.iter().filter(|a| **a == "uploadFoto").count(), 4, "{actions:?}");
        assert_eq!(d["auditLog"]["nodes"][0]["changes"][0]["after"], "Fællesstuen, Billede 0", "{d}");
    }
);
