//! Memory bounded in bytes whatever anonymous clients ask (issue 18, N2): the open-data files
//! of many made-up days, many distinct documents and persisted queries stay within the bounds
//! the README states, as `/metrics` reports them (`plejeoverblik_cache_bytes`).
use crate::db_test;
use crate::helpers::*;
use plejeoverblik::graphql::prepare::{DOCUMENT_CACHE_BYTES, PERSISTED_CACHE_BYTES};
use plejeoverblik::http::open_data::OPEN_DATA_CACHE_BYTES;
use serde_json::json;

async fn cache_bytes(app: &TestApp, name: &str) -> u64 {
    let series = format!("plejeoverblik_cache_bytes{{cache=\"{name}\"}}");
    metric_value(app, &series)
        .await
        .unwrap_or_else(|| panic!("no {series} in /metrics"))
}

db_test!(
    /// Whole-country files for 120 distinct days (some 36 MB of files) and 600 distinct
    /// documents: each cache holds at most its bound, and still holds something.
    caches_are_bounded_in_bytes,
    |app: TestApp| async move {
        let app = TestApp::spawn(
            app.db_kind,
            Options {
                seed_demo: true,
                ..Default::default()
            },
        )
        .await;
        let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("day");
        let mut total = 0usize;
        for i in 0..120 {
            let day = start + chrono::Duration::days(i);
            let r = app
                .client()
                .get(format!("{}/data/tilbud.json?dato={day}", app.addr))
                .send()
                .await
                .expect("file");
            assert_eq!(r.status(), 200, "day {day}");
            total += r.bytes().await.expect("body").len();
        }
        let held = cache_bytes(&app, "open_data").await;
        assert!(total as u64 > 2 * OPEN_DATA_CACHE_BYTES, "the files were too small to test the bound: {total}");
        assert!(held <= OPEN_DATA_CACHE_BYTES, "open-data files hold {held} bytes");
        assert!(held > 0, "the open-data cache keeps nothing");

        // Distinct documents of about 2 KB each.
        for i in 0..600 {
            let fields = " kode navn".repeat(100);
            let q = format!("query Q{i} {{ kommune(kode: \"0101\") {{{fields} }} }}");
            let v = app.gql(None, &q, json!({})).await;
            assert!(v.get("errors").is_none(), "{v}");
        }
        let held = cache_bytes(&app, "documents").await;
        assert!(held <= DOCUMENT_CACHE_BYTES, "documents hold {held} bytes");
        assert!(held > 0, "the document cache keeps nothing");
        assert!(cache_bytes(&app, "persisted_queries").await <= PERSISTED_CACHE_BYTES);
    }
);
