//! Issue 19, R30: the change feed. Every change of what the public search shows appears once,
//! in order, in the `changes` connection and in subscriptions over graphql-sse and
//! graphql-transport-ws; a client that resumes from its last cursor misses nothing and sees
//! nothing twice, across instances and restarts; offers that start or end at Copenhagen
//! midnight are events of that day, recorded once.
use crate::db_test;
use crate::helpers::*;
use chrono::{TimeZone, Utc};
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const CHANGES: &str = "query($a: String, $k: String, $f: Int, $kinds: [ChangeKind!]) { changes(after: $a, kommune: $k, first: $f, kinds: $kinds) { edges { cursor node { kind kommuneKode effectiveDay serviceleveranceId enhedId enhed { navn } serviceleverance { type startdato slutdato } } } pageInfo { endCursor hasNextPage } } }";

const SUBSCRIBE: &str = "subscription($a: String, $k: String) { changes(after: $a, kommune: $k) { cursor kind kommuneKode serviceleveranceId enhed { navn } } }";

/// The events after `after` (all pages), as (kind, kommune, agreement id, cursor).
pub(crate) async fn events_after(
    app: &TestApp,
    after: Option<&str>,
    kommune: Option<&str>,
) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    let mut cursor = after.map(str::to_string);
    loop {
        let d = app
            .ok(None, CHANGES, json!({ "a": cursor, "k": kommune, "f": 2 }))
            .await;
        let c = &d["changes"];
        for e in c["edges"].as_array().expect("edges") {
            let n = &e["node"];
            out.push((
                n["kind"].as_str().unwrap_or("").to_string(),
                n["kommuneKode"].as_str().unwrap_or("").to_string(),
                n["serviceleveranceId"].as_str().unwrap_or("").to_string(),
                e["cursor"].as_str().unwrap_or("").to_string(),
            ));
        }
        cursor = c["pageInfo"]["endCursor"].as_str().map(str::to_string);
        if c["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
    }
    out
}

fn kinds(ev: &[(String, String, String, String)]) -> Vec<(String, String)> {
    ev.iter().map(|e| (e.0.clone(), e.2.clone())).collect()
}

fn doa(app: &TestApp, kommune: &str) -> String {
    app.token(
        Role::Driftsoverenskomstansvarlig,
        &kommune_cvr(kommune),
        &format!("doa-{kommune}"),
    )
}

async fn save(app: &TestApp, kommune: &str, id: &str, input: Value) {
    let t = doa(app, kommune);
    app.ok(
        Some(&t),
        "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    app.ok(Some(&t), "mutation($id: ID!, $i: UpdateServiceleveranceInput!) { updateServiceleverance(id: $id, input: $i) { id } }", json!({ "id": id, "i": input })).await;
}

db_test!(
    /// R30: a new public offer is ADDED, a save UPDATED, a change of its enhed UPDATED, the
    /// end of its period REMOVED; an agreement that is not public (it starts later) is no event;
    /// each kommune sees its own; a client that polls with its last cursor misses nothing and
    /// sees nothing twice.
    r30_every_public_change_is_one_event_in_order,
    |app: TestApp| async move {
        let today = "2026-06-15";
        assert!(events_after(&app, None, None).await.is_empty(), "an empty log");
        let e = create_enhed(&app, "PLEJEENHED", "Lindehjemmet", "80000007", 56.16, 10.20).await;
        let a = create_agreement(&app, AARHUS, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let later = create_agreement(&app, ROSKILDE, &e, "DRIFTSOVERENSKOMST", "2027-01-01", None).await;
        let first = events_after(&app, None, None).await;
        assert_eq!(kinds(&first), vec![("ADDED".to_string(), a.clone())], "only the public offer");
        let d = app.ok(None, CHANGES, json!({ "k": "Aarhus" })).await;
        let n = &d["changes"]["edges"][0]["node"];
        assert_eq!(n["effectiveDay"], today);
        assert_eq!(n["kommuneKode"], AARHUS);
        assert_eq!(n["enhed"]["navn"], "Lindehjemmet");
        assert_eq!(n["serviceleverance"]["type"], "DRIFTSOVERENSKOMST");
        let c1 = first[0].3.clone();

        save(&app, AARHUS, &a, json!({ "aftaleidentifikation": "X-1" })).await;
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        app.ok(Some(&admin), "mutation($id: ID!) { lockEnhed(id: $id) { id } }", json!({ "id": e })).await;
        app.ok(Some(&admin), "mutation($id: ID!) { updateEnhed(id: $id, input: {navn: \"Lindehjemmet Syd\"}) { id } }", json!({ "id": e })).await;
        save(&app, AARHUS, &a, json!({ "slutdato": "2026-01-01" })).await;
        // Not public before or after: no event.
        save(&app, ROSKILDE, &later, json!({ "aftaleidentifikation": "R-9" })).await;

        let next = events_after(&app, Some(&c1), None).await;
        assert_eq!(
            kinds(&next),
            vec![
                ("UPDATED".to_string(), a.clone()),
                ("UPDATED".to_string(), a.clone()),
                ("REMOVED".to_string(), a.clone()),
            ],
            "{next:?}"
        );
        // The removed offer is only its id.
        let d = app.ok(None, CHANGES, json!({ "a": next[1].3 })).await;
        assert_eq!(d["changes"]["edges"][0]["node"]["enhed"], Value::Null);
        let own = app.ok(None, "query($id: String!) { enhed(id: $id) { enhedId } }", json!({ "id": e })).await;
        assert_eq!(d["changes"]["edges"][0]["node"]["enhedId"], own["enhed"]["enhedId"]);
        // Polling again from the last cursor: nothing new, and the cursor stays.
        let last = next[2].3.clone();
        let d = app.ok(None, CHANGES, json!({ "a": last })).await;
        assert_eq!(d["changes"]["edges"], json!([]));
        assert_eq!(d["changes"]["pageInfo"]["endCursor"], json!(last));
        // Another kommune's feed has none of them; the kinds filter picks.
        assert!(events_after(&app, None, Some("Roskilde")).await.is_empty());
        let d = app.ok(None, CHANGES, json!({ "kinds": ["REMOVED"] })).await;
        assert_eq!(d["changes"]["edges"].as_array().map(Vec::len), Some(1));
        // Cursors are strictly increasing.
        let all = events_after(&app, None, None).await;
        let seqs: Vec<i64> = all.iter().map(|e| e.3.parse().expect("number")).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    }
);

db_test!(
    /// Bad input to the feed gets a Danish error that names the field, with a stable code.
    r30_bad_feed_input_is_refused_clearly,
    |app: TestApp| async move {
        for (vars, field) in [
            (json!({ "a": "abc" }), "after"),
            (json!({ "a": "-1" }), "after"),
            (json!({ "f": 0 }), "first"),
            (json!({ "f": -3 }), "first"),
            (json!({ "k": "Atlantis" }), "kommune"),
        ] {
            let e = app.err(None, CHANGES, vars.clone(), "VALIDATION").await;
            let m = e["message"].as_str().unwrap_or("");
            assert!(m.contains(field), "{vars}: {m}");
        }
        // A page too large for the document's complexity is refused before it runs.
        app.err(None, CHANGES, json!({ "f": 5000 }), "LIMIT_EXCEEDED").await;
    }
);

db_test!(
    /// R6, R30: at Copenhagen midnight the offers that start that day are ADDED and those whose
    /// last day was yesterday REMOVED, as events of the new day; a second instance (or a
    /// restart) that sees the same day records nothing again.
    r30_midnight_starts_and_ends_offers_once,
    |app: TestApp| async move {
        let e = create_enhed(&app, "PLEJEENHED", "Solhjem", "80000007", 56.16, 10.20).await;
        let starts = create_agreement(&app, AARHUS, &e, "DRIFTSOVERENSKOMST", "2026-06-16", None).await;
        let ends = create_agreement(&app, ROSKILDE, &e, "DRIFTSOVERENSKOMST", "2020-01-01", Some("2026-06-15")).await;
        let before = events_after(&app, None, None).await;
        assert_eq!(kinds(&before), vec![("ADDED".to_string(), ends.clone())]);
        let cursor = before[0].3.clone();
        // 23:59:30 Copenhagen (summer time): still the same day, nothing happens.
        app.set_now(Utc.with_ymd_and_hms(2026, 6, 15, 21, 59, 30).single().expect("t"));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(events_after(&app, Some(&cursor), None).await.is_empty());
        // 00:00:10 on the 16th.
        let midnight = Utc.with_ymd_and_hms(2026, 6, 15, 22, 0, 10).single().expect("t");
        app.set_now(midnight);
        let t0 = Instant::now();
        let mut got = Vec::new();
        while t0.elapsed() < Duration::from_secs(5) {
            got = events_after(&app, Some(&cursor), None).await;
            if got.len() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut k = kinds(&got);
        k.sort();
        assert_eq!(
            k,
            vec![("ADDED".to_string(), starts.clone()), ("REMOVED".to_string(), ends.clone())],
            "{got:?}"
        );
        let d = app.ok(None, CHANGES, json!({ "a": cursor })).await;
        for e in d["changes"]["edges"].as_array().expect("edges") {
            assert_eq!(e["node"]["effectiveDay"], "2026-06-16");
        }
        // A second instance at the same moment: the day is recorded already.
        let b = app.second_instance(Options::default()).await;
        b.set_now(midnight);
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(events_after(&app, Some(&cursor), None).await.len(), 2, "the day once");
    }
);

db_test!(
    /// R30: retention. Events older than `--change-log-retention-days` are pruned at the day
    /// change, and a cursor from before them answers CURSOR_EXPIRED with what to do.
    r30_an_expired_cursor_says_to_reload,
    |app: TestApp| async move {
        let e = create_enhed(&app, "PLEJEENHED", "Egehjem", "80000007", 56.16, 10.20).await;
        create_agreement(&app, AARHUS, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let ev = events_after(&app, None, None).await;
        assert_eq!(ev.len(), 1);
        // 401 days later, with the default retention of 400 days.
        app.set_now(Utc.with_ymd_and_hms(2027, 7, 21, 8, 0, 0).single().expect("t"));
        let t0 = Instant::now();
        loop {
            let v = app.gql(None, CHANGES, json!({ "a": "0" })).await;
            if v["errors"][0]["extensions"]["code"] == "CURSOR_EXPIRED" {
                let m = v["errors"][0]["message"].as_str().unwrap_or("");
                assert!(m.contains("/data/tilbud.json"), "{m}");
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(5), "not pruned: {v}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Without a cursor: from the oldest event kept (none).
        assert!(events_after(&app, None, None).await.is_empty());
    }
);

/// A graphql-sse stream (distinct connections mode) read event by event.
pub(crate) struct SseStream {
    resp: reqwest::Response,
    buf: String,
}

impl SseStream {
    pub(crate) async fn open(addr: &str, query: &str, variables: Value) -> SseStream {
        let resp = reqwest::Client::new()
            .post(format!("{addr}/graphql/stream"))
            .header("accept", "text/event-stream")
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 200);
        assert!(header(&resp, "content-type").starts_with("text/event-stream"));
        SseStream {
            resp,
            buf: String::new(),
        }
    }

    /// The next event (name and data), skipping heartbeats; `None` at the end or the timeout.
    pub(crate) async fn next(&mut self, limit: Duration) -> Option<(String, Value)> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(i) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..i + 2).collect();
                let mut event = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if event.is_empty() {
                    continue; // a heartbeat comment
                }
                return Some((event, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
            match tokio::time::timeout_at(deadline, self.resp.chunk()).await {
                Ok(Ok(Some(c))) => self.buf.push_str(&String::from_utf8_lossy(&c)),
                _ => return None,
            }
        }
    }
}

db_test!(
    /// R30 over graphql-sse: a subscriber that passes its last cursor first gets what it
    /// missed, then the live events (a save reaches it within 1 s), only its kommune's, each
    /// once; a query on the stream endpoint is refused with its own code.
    r30_sse_subscriber_resumes_then_follows_live,
    |app: TestApp| async move {
        let e = create_enhed(&app, "PLEJEENHED", "Birkehjem", "80000007", 56.16, 10.20).await;
        let a = create_agreement(&app, AARHUS, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let cursor = events_after(&app, None, None).await[0].3.clone();
        let missed = create_agreement(&app, AARHUS, &e, "MYNDIGHEDSPRODUKTION", "2021-01-01", None).await;
        let mut s = SseStream::open(&app.addr, SUBSCRIBE, json!({ "a": cursor, "k": AARHUS })).await;
        let (ev, d) = s.next(Duration::from_secs(5)).await.expect("the missed event");
        assert_eq!(ev, "next");
        assert_eq!(d["data"]["changes"]["serviceleveranceId"], json!(missed));
        assert_eq!(d["data"]["changes"]["kind"], "ADDED");
        // Live: another kommune's save is not for this subscriber; this one's is, at once.
        create_agreement(&app, ROSKILDE, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let t0 = Instant::now();
        save(&app, AARHUS, &a, json!({ "aftaleidentifikation": "L-1" })).await;
        let (_, d) = s.next(Duration::from_secs(5)).await.expect("the live event");
        assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
        assert_eq!(d["data"]["changes"]["serviceleveranceId"], json!(a));
        assert_eq!(d["data"]["changes"]["kind"], "UPDATED");
        assert_eq!(d["data"]["changes"]["enhed"]["navn"], "Birkehjem");
        assert!(s.next(Duration::from_millis(500)).await.is_none(), "nothing twice");

        // Errors are GraphQL errors in a `next`, then `complete`.
        let mut q = SseStream::open(&app.addr, "{ kommuner { kode } }", json!({})).await;
        let (ev, d) = q.next(Duration::from_secs(5)).await.expect("error");
        assert_eq!(ev, "next");
        assert_eq!(d["errors"][0]["extensions"]["code"], "OPERATION_NOT_SUPPORTED");
        assert_eq!(q.next(Duration::from_secs(5)).await.map(|e| e.0), Some("complete".into()));
        let mut x = SseStream::open(&app.addr, SUBSCRIBE, json!({ "a": "x" })).await;
        let (_, d) = x.next(Duration::from_secs(5)).await.expect("error");
        assert_eq!(d["errors"][0]["extensions"]["code"], "VALIDATION");
        // Without Accept: text/event-stream: 406.
        let r = app.client().post(format!("{}/graphql/stream", app.addr)).header("accept", "application/json").json(&json!({ "query": SUBSCRIBE })).send().await.expect("req");
        assert_eq!(r.status(), 406);
    }
);

/// Open subscriptions are limited per client (`--max-subscriptions-per-client`): one more is
/// refused with 429 and TOO_MANY_SUBSCRIPTIONS; closing one frees its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r30_subscriptions_per_client_are_limited() {
    let app = TestApp::spawn(
        Db::Sqlite,
        Options {
            configure: Some(std::sync::Arc::new(
                |c: &mut plejeoverblik::config::Config| {
                    c.max_subscriptions_per_client = 2;
                },
            )),
            ..Default::default()
        },
    )
    .await;
    let a = SseStream::open(&app.addr, SUBSCRIBE, json!({})).await;
    let _b = SseStream::open(&app.addr, SUBSCRIBE, json!({})).await;
    let subscribe = || async {
        app.client()
            .post(format!("{}/graphql/stream", app.addr))
            .header("accept", "text/event-stream")
            .json(&json!({ "query": SUBSCRIBE }))
            .send()
            .await
            .expect("req")
    };
    let r = subscribe().await;
    assert_eq!(r.status(), 429);
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        v["errors"][0]["extensions"]["code"],
        "TOO_MANY_SUBSCRIPTIONS"
    );
    drop(a);
    let t0 = Instant::now();
    loop {
        let r = subscribe().await;
        if r.status() == 200 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "the closed one's place was not freed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

db_test!(
    /// R30 over graphql-transport-ws: connection_init/ack, subscribe with a cursor, the missed
    /// event, then a live one, then complete from the client.
    r30_websocket_subscriber_gets_missed_and_live_events,
    |app: TestApp| async move {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};
        let e = create_enhed(&app, "PLEJEENHED", "Asketoften", "80000007", 56.16, 10.20).await;
        let a = create_agreement(&app, AARHUS, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let mut req = format!("{}/graphql/ws", app.addr.replace("http://", "ws://")).into_client_request().expect("req");
        req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("h"));
        let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.expect("connect");
        assert_eq!(resp.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()), Some("graphql-transport-ws"));
        ws.send(Message::text(json!({ "type": "connection_init" }).to_string())).await.expect("send");
        async fn next(ws: &mut (impl futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin)) -> Value {
            loop {
                let m = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("in time").expect("open").expect("ok");
                if let Message::Text(t) = m {
                    let v: Value = serde_json::from_str(&t).expect("json");
                    if v["type"] != "ping" {
                        return v;
                    }
                }
            }
        }
        assert_eq!(next(&mut ws).await["type"], "connection_ack");
        ws.send(Message::text(json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIBE, "variables": { "a": "0" } } }).to_string())).await.expect("send");
        let v = next(&mut ws).await;
        assert_eq!(v["type"], "next");
        assert_eq!(v["payload"]["data"]["changes"]["serviceleveranceId"], json!(a));
        let t0 = Instant::now();
        save(&app, AARHUS, &a, json!({ "slutdato": "2026-01-31" })).await;
        let v = next(&mut ws).await;
        assert!(t0.elapsed() < Duration::from_secs(1));
        assert_eq!(v["payload"]["data"]["changes"]["kind"], "REMOVED");
        // A query is refused on this endpoint.
        ws.send(Message::text(json!({ "id": "2", "type": "subscribe", "payload": { "query": "{ kommuner { kode } }" } }).to_string())).await.expect("send");
        let v = next(&mut ws).await;
        assert_eq!(v["id"], "2");
        assert!(v.to_string().contains("OPERATION_NOT_SUPPORTED"), "{v}");
        ws.send(Message::text(json!({ "id": "1", "type": "complete" }).to_string())).await.expect("send");
        ws.close(None).await.expect("close");
    }
);

/// R30 across instances: an event committed on instance A reaches a subscriber on instance B
/// within 1 s (NOTIFY wakes B's feed, which reads the log).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r30_an_event_on_one_instance_reaches_a_subscriber_on_another_postgres() {
    let Some(a) = TestApp::spawn_postgres(Options::default()).await else {
        return;
    };
    let b = a.second_instance(Options::default()).await;
    let e = create_enhed(&a, "PLEJEENHED", "Kastaniehjem", "80000007", 56.16, 10.20).await;
    let mut s = SseStream::open(&b.addr, SUBSCRIBE, json!({})).await;
    let mut lags = Vec::new();
    for i in 0..5 {
        let t0 = Instant::now();
        let id = create_agreement(&a, ROSKILDE, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let (_, d) = s
            .next(Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("event {i} never reached B"));
        lags.push(t0.elapsed());
        assert_eq!(d["data"]["changes"]["serviceleveranceId"], json!(id));
    }
    eprintln!("A → subscriber on B: {lags:?}");
    assert!(lags.iter().all(|l| *l < Duration::from_secs(1)), "{lags:?}");
}

/// R30 across a restart, with the real binary on SQLite: a client that stored its cursor asks
/// the restarted service and gets exactly what happened since, once; an open SSE subscription
/// is completed cleanly by SIGTERM (`event: complete`) and the process stops at once.
#[test]
fn r30_a_client_resumes_from_its_cursor_after_a_restart() {
    use crate::cli::{exit_within, sigterm, spawn};
    let dir = crate::cli::temp_dir("feed-restart");
    let url = format!("sqlite://{}?mode=rwc", dir.join("f.db").display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let token = |role: Role, cvr: &str, who: &str| {
        let req = plejeoverblik::auth::DevTokenRequest {
            roles: &[role],
            cvr,
            name: Some(who),
            subject: Some(who),
            valid_hours: 1,
        };
        plejeoverblik::auth::make_dev_token(
            plejeoverblik::config::DEFAULT_DEV_KEY,
            &req,
            Utc::now(),
        )
        .expect("token")
    };
    let admin = token(Role::Administrator, ADMIN_CVR, "admin");
    let kommune = token(
        Role::Driftsoverenskomstansvarlig,
        &kommune_cvr(AARHUS),
        "doa",
    );
    let gql = |addr: String, tok: Option<String>, q: &'static str, v: Value| async move {
        let mut r = reqwest::Client::new()
            .post(format!("{addr}/graphql"))
            .json(&json!({ "query": q, "variables": v }));
        if let Some(t) = tok {
            r = r.bearer_auth(t);
        }
        let v: Value = r.send().await.expect("req").json().await.expect("json");
        assert!(v.get("errors").is_none(), "{v}");
        v["data"].clone()
    };
    const CREATE: &str =
        "mutation($i: CreateServiceleveranceInput!) { createServiceleverance(input: $i) { id } }";
    let (child, addr) = spawn(Some(&url), &dir, &["--no-demo-data", "--dev-tokens"]);
    let mut child = crate::cli::KillOnDrop(child);
    let (cursor, enhed, mut sse) = rt.block_on(async {
        let e = gql(addr.clone(), Some(admin.clone()), "mutation { createEnhed(input: {kind: PLEJEENHED, navn: \"Pilehjem\", ejerCvr: \"80000007\", lat: 56.16, lon: 10.2}) { enhedId } }", json!({})).await;
        let enhed = e["createEnhed"]["enhedId"].as_str().expect("id").to_string();
        gql(addr.clone(), Some(kommune.clone()), CREATE, json!({ "i": { "navn": "A", "enhedId": enhed, "type": "DRIFTSOVERENSKOMST", "startdato": "2020-01-01" } })).await;
        let d = gql(addr.clone(), None, CHANGES, json!({})).await;
        let cursor = d["changes"]["pageInfo"]["endCursor"].as_str().expect("cursor").to_string();
        let sse = SseStream::open(&addr, SUBSCRIBE, json!({})).await;
        (cursor, enhed, sse)
    });
    sigterm(&child.0);
    let ended = rt.block_on(async {
        let mut last = None;
        while let Some((ev, _)) = sse.next(Duration::from_secs(5)).await {
            last = Some(ev);
        }
        last
    });
    assert_eq!(
        ended.as_deref(),
        Some("complete"),
        "SIGTERM completes the stream"
    );
    let took = exit_within(&mut child.0, Duration::from_secs(5));
    assert!(took < Duration::from_secs(3), "{took:?}");
    // The client's cursor outlives the process.
    let (child, addr) = spawn(Some(&url), &dir, &["--no-demo-data", "--dev-tokens"]);
    let _child = crate::cli::KillOnDrop(child);
    rt.block_on(async {
        let b = gql(addr.clone(), Some(kommune.clone()), CREATE, json!({ "i": { "navn": "B", "enhedId": enhed, "type": "MYNDIGHEDSPRODUKTION", "startdato": "2021-01-01" } })).await;
        let b = b["createServiceleverance"]["id"].as_str().expect("id").to_string();
        let d = gql(addr.clone(), None, CHANGES, json!({ "a": cursor })).await;
        let edges = d["changes"]["edges"].as_array().expect("edges").clone();
        assert_eq!(edges.len(), 1, "exactly what happened since: {edges:?}");
        assert_eq!(edges[0]["node"]["serviceleveranceId"], json!(b));
        assert_eq!(edges[0]["node"]["kind"], "ADDED");
        // A subscriber with the cursor gets it too, from the log.
        let mut s = SseStream::open(&addr, SUBSCRIBE, json!({ "a": cursor })).await;
        let (_, d) = s.next(Duration::from_secs(5)).await.expect("event");
        assert_eq!(d["data"]["changes"]["serviceleveranceId"], json!(b));
    });
    let _ = std::fs::remove_dir_all(&dir);
}

db_test!(
    /// R30 under concurrent writes: twelve agreements created at once are twelve ADDED events
    /// with distinct, increasing cursors, and a subscriber receives them all in that order,
    /// each once.
    r30_concurrent_writes_are_each_one_event_in_order,
    |app: TestApp| async move {
        let e = create_enhed(&app, "PLEJEENHED", "Fyrrehjem", "80000007", 56.16, 10.20).await;
        let mut s = SseStream::open(&app.addr, SUBSCRIBE, json!({})).await;
        let app = std::sync::Arc::new(app);
        let kommuner = [AARHUS, ROSKILDE, LEJRE];
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let (app, e) = (app.clone(), e.clone());
                let k = kommuner[i % 3];
                tokio::spawn(async move {
                    create_agreement(&app, k, &e, "DRIFTSOVERENSKOMST", &format!("20{:02}-01-01", 10 + i), None).await
                })
            })
            .collect();
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.expect("task"));
        }
        let log = events_after(&app, None, None).await;
        assert_eq!(log.len(), 12, "{log:?}");
        assert!(log.iter().all(|e| e.0 == "ADDED"));
        let mut logged: Vec<String> = log.iter().map(|e| e.2.clone()).collect();
        logged.sort();
        ids.sort();
        assert_eq!(logged, ids, "each agreement once");
        let mut seen = Vec::new();
        while seen.len() < 12 {
            let (_, d) = s.next(Duration::from_secs(5)).await.expect("an event");
            seen.push(d["data"]["changes"]["cursor"].as_str().expect("cursor").to_string());
        }
        let cursors: Vec<String> = log.iter().map(|e| e.3.clone()).collect();
        assert_eq!(seen, cursors, "the subscriber sees the log's order");
    }
);

/// Idle subscriptions get a heartbeat every `--subscription-heartbeat-secs`: an SSE comment, and
/// on graphql-transport-ws a `ping` message, so that proxies keep them open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r30_idle_subscriptions_get_heartbeats() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};
    let app = TestApp::spawn(
        Db::Sqlite,
        Options {
            configure: Some(std::sync::Arc::new(
                |c: &mut plejeoverblik::config::Config| {
                    c.subscription_heartbeat = Duration::from_secs(1);
                },
            )),
            ..Default::default()
        },
    )
    .await;
    let mut resp = app
        .client()
        .post(format!("{}/graphql/stream", app.addr))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": SUBSCRIBE }))
        .send()
        .await
        .expect("req");
    let chunk = tokio::time::timeout(Duration::from_millis(2500), resp.chunk())
        .await
        .expect("a heartbeat within 2.5 s")
        .expect("body")
        .expect("a chunk");
    assert!(
        String::from_utf8_lossy(&chunk).starts_with(':'),
        "{chunk:?}"
    );
    let mut req = format!("{}/graphql/ws", app.addr.replace("http://", "ws://"))
        .into_client_request()
        .expect("req");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("h"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    let m = tokio::time::timeout(Duration::from_millis(2500), ws.next())
        .await
        .expect("a ping within 2.5 s")
        .expect("open")
        .expect("ok");
    assert!(
        matches!(&m, Message::Text(t) if t.contains("\"ping\"")),
        "{m:?}"
    );
}

db_test!(
    /// R30 with the open data: `/data/tilbud.json` names the cursor to follow from, so a client
    /// that loads the file and then follows the feed sees exactly what changed after it.
    r30_the_open_data_file_names_the_cursor_to_follow_from,
    |app: TestApp| async move {
        let e = create_enhed(&app, "PLEJEENHED", "Rønnehjem", "80000007", 56.16, 10.20).await;
        let first = create_agreement(&app, AARHUS, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        let file: Value = app.client().get(format!("{}/data/tilbud.json?kommune=0751", app.addr)).send().await.expect("get").json().await.expect("json");
        assert_eq!(file["tilbud"].as_array().map(Vec::len), Some(1));
        let cursor = file["changesCursor"].as_str().expect("a cursor").to_string();
        let second = create_agreement(&app, AARHUS, &e, "MYNDIGHEDSPRODUKTION", "2021-01-01", None).await;
        let after = events_after(&app, Some(&cursor), None).await;
        assert_eq!(kinds(&after), vec![("ADDED".to_string(), second)], "not {first} again");
    }
);

db_test!(
    /// Live subscribers of the same document share one execution (`http::subscriptions::Shared`):
    /// each gets every event once, one that leaves does not end the others, and one that joins
    /// later gets the events after it joined.
    r30_shared_live_subscribers_each_get_every_event,
    |app: TestApp| async move {
        let e = create_enhed(&app, "PLEJEENHED", "Tjørnehjem", "80000007", 56.16, 10.20).await;
        let mut a = SseStream::open(&app.addr, SUBSCRIBE, json!({})).await;
        let mut b = SseStream::open(&app.addr, SUBSCRIBE, json!({})).await;
        let leaving = SseStream::open(&app.addr, SUBSCRIBE, json!({})).await;
        let first = create_agreement(&app, AARHUS, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        for s in [&mut a, &mut b] {
            let (_, d) = s.next(Duration::from_secs(5)).await.expect("the first event");
            assert_eq!(d["data"]["changes"]["serviceleveranceId"], json!(first));
        }
        drop(leaving);
        let mut late = SseStream::open(&app.addr, SUBSCRIBE, json!({})).await;
        let second = create_agreement(&app, ROSKILDE, &e, "DRIFTSOVERENSKOMST", "2020-01-01", None).await;
        for s in [&mut a, &mut b, &mut late] {
            let (_, d) = s.next(Duration::from_secs(5)).await.expect("the second event");
            assert_eq!(d["data"]["changes"]["serviceleveranceId"], json!(second));
            assert!(s.next(Duration::from_millis(300)).await.is_none(), "each once");
        }
    }
);
