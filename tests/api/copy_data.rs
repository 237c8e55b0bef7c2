//! Issue 22 §2: `plejeoverblik copy-data` moves a service's embedded SQLite database into
//! PostgreSQL: every table, verified, a non-empty target refused unless told; after it a
//! service on PostgreSQL answers the public and the staff's queries exactly as the SQLite one.
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use plejeoverblik::domain::day::Clock;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_plejeoverblik");

fn copy(from: &str, to: &str, extra: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(["copy-data", "--from", from, "--to", to])
        .args(extra)
        .output()
        .expect("copy-data")
}

/// Every page of a connection at `field`: `query` takes `$after`.
async fn all_pages(app: &TestApp, token: Option<&str>, query: &str, field: &str) -> Value {
    let (mut after, mut pages) = (Value::Null, Vec::new());
    loop {
        let d = app.ok(token, query, json!({ "after": after })).await;
        let c = d[field].clone();
        pages.push(c.clone());
        if c["pageInfo"]["hasNextPage"] != true {
            return Value::Array(pages);
        }
        after = c["pageInfo"]["endCursor"].clone();
    }
}

/// What people ask: the public search, details, the feed; a kommune's and an administrator's
/// lists, versions, audit log and worklist.
async fn answers(app: &TestApp) -> Vec<Value> {
    let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
    let doa = app.token(
        Role::Driftsoverenskomstansvarlig,
        &kommune_cvr(ROSKILDE),
        "doa-roskilde",
    );
    let hit = "node { id enhedId navn kind boligtype antalBoliger beskrivelse adresse { vejnavn postnummer by } placering { lat lon } kontakt { telefon email web } kommune { kode navn } profil { huslejeTekst parboliger demens dyr faciliteter ydelser omraader fotos { url alt } } tilsyn { seneste { dato vurdering sammenfatning } paabudForbud { type tekst givet } } } serviceleverance { type beskrivelse startdato slutdato }";
    let mut out = Vec::new();
    for kommune in [ROSKILDE, LEJRE, AARHUS, "0101"] {
        out.push(
            app.ok(
                None,
                &format!("query($k: String!) {{ search(kommune: $k, first: 100) {{ totalCount edges {{ cursor distanceKm {hit} }} facets {{ kind {{ value count }} boligtype {{ value count }} type {{ value count }} egenskab {{ value count }} husleje {{ value count }} }} }} }}"),
                json!({ "k": kommune }),
            )
            .await,
        );
    }
    out.push(
        app.ok(
            None,
            "{ kommuner { kode navn officieltNavn region cvr } }",
            json!({}),
        )
        .await,
    );
    out.push(
        all_pages(
            app,
            None,
            "query($after: String) { changes(first: 100, after: $after) { edges { node { cursor kind effectiveDay recordedAt kommuneKode serviceleveranceId enhedId } } pageInfo { hasNextPage endCursor } } }",
            "changes",
        )
        .await,
    );
    let list = "query($after: String) { serviceleverancer(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id navn aftaleidentifikation type beskrivelse startdato slutdato version revision isPublic notPublicReason deletedAt createdAt updatedAt versionCount aftalepart { kode } enhed { id navn ejerCvr } laas { subject navn since until } issues { field code severity message } versions { nummer author authorName createdAt kommentar } } } }";
    for t in [&admin, &doa] {
        out.push(all_pages(app, Some(t), list, "serviceleverancer").await);
        out.push(
            app.ok(
                Some(t),
                "{ worklist { total groups { kind count items { reason serviceleverance { id } } } } }",
                json!({}),
            )
            .await,
        );
    }
    out.push(
        all_pages(
            app,
            Some(&admin),
            "query($after: String) { auditLog(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id at actorSubject actorName actorCvr actorRoles action entityType entityId elementNavn changes { field label before after } before after } } }",
            "auditLog",
        )
        .await,
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_data_moves_everything_and_postgresql_answers_the_same() {
    // Whole lists in one request each: the complexity limit is the public's, not a comparison's.
    let big: Configure = std::sync::Arc::new(|c| c.max_complexity = 1_000_000);
    let src = TestApp::spawn(
        Db::Sqlite,
        Options {
            seed_demo: true,
            configure: Some(big.clone()),
            ..Default::default()
        },
    )
    .await;
    let Some(dst) = TestApp::spawn_postgres(Default::default()).await else {
        return;
    };
    // Some work of the day on top of the demo data: a new agreement, edited, and one locked.
    let enhed = create_enhed(&src, "PLEJEENHED", "Kopihjemmet", "90000001", 55.64, 12.08).await;
    let id = create_agreement(
        &src,
        ROSKILDE,
        &enhed,
        "DRIFTSOVERENSKOMST",
        "2026-01-01",
        None,
    )
    .await;
    let doa = src.token(
        Role::Driftsoverenskomstansvarlig,
        &kommune_cvr(ROSKILDE),
        "doa-roskilde",
    );
    src.ok(
        Some(&doa),
        "mutation($id: ID!) { lockServiceleverance(id: $id) { id laas { until } } }",
        json!({ "id": id }),
    )
    .await;
    let before = answers(&src).await;
    assert!(
        before[0]["search"]["totalCount"].as_i64() > Some(0),
        "the comparison compares something"
    );

    let (from, to) = (
        src.state.config.database_url.clone(),
        dst.state.config.database_url.clone(),
    );
    let out = copy(&from, &to, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for table in [
        "kommune",
        "enhed",
        "serviceleverance",
        "serviceleverance_version",
        "audit_log",
        "change_log",
        "public_offer",
        "data_version",
        "tilsyn",
        "sanktion",
        "foto",
        "session",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(table)),
            "{table} missing: {stdout}"
        );
    }
    assert!(stdout.contains("Kopieret og kontrolleret"), "{stdout}");
    // It names where to start the service (a password would be starred: `main.rs`'s test).
    assert!(stdout.contains(&format!("--database-url {to}")), "{stdout}");

    // Every table of the schema is copied (a table added by a migration must be added too).
    let tables = dst
        .state
        .db
        .query_all_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'seaql_migrations'",
        ))
        .await
        .expect("tables");
    for row in tables {
        let name: String = row.try_get("", "table_name").expect("name");
        assert!(
            stdout
                .lines()
                .any(|l| l.split_whitespace().next() == Some(name.as_str())),
            "table {name} is not copied: {stdout}"
        );
    }

    // A target with data is refused without --replace, and nothing changes.
    let again = copy(&from, &to, &[]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("målet har allerede data") && err.contains("--replace"),
        "{err}"
    );

    // A service on the copy answers as the original did, and goes on: a new audit entry gets
    // the next id (the sequence followed the copied rows).
    let copy_app = dst
        .second_instance(Options {
            configure: Some(big),
            ..Default::default()
        })
        .await;
    copy_app.set_now(src.clock.now());
    let after = answers(&copy_app).await;
    assert_eq!(before.len(), after.len());
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        assert_eq!(b, a, "answer {i} differs after the copy");
    }
    copy_app
        .ok(
            Some(&doa),
            "mutation($id: ID!) { checkInServiceleverance(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    let admin = copy_app.token(Role::Administrator, ADMIN_CVR, "admin");
    let log = copy_app
        .ok(
            Some(&admin),
            "{ auditLog(first: 1) { nodes { id action } } }",
            json!({}),
        )
        .await;
    let old = src
        .ok(
            Some(&admin),
            "{ auditLog(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        log["auditLog"]["nodes"][0]["action"],
        "checkInServiceleverance"
    );
    assert!(
        log["auditLog"]["nodes"][0]["id"].as_i64() > old["auditLog"]["nodes"][0]["id"].as_i64(),
        "{log} after {old}"
    );

    // --replace copies again over it (the source is unchanged, so the answers are too).
    let replaced = copy(&from, &to, &["--replace"]);
    assert!(
        replaced.status.success(),
        "{}",
        String::from_utf8_lossy(&replaced.stderr)
    );
}
