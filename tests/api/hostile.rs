//! The hostile-input corpus (issue 8): every request of `tests/hostile/corpus.json` is sent to
//! a fresh server on SQLite and on PostgreSQL, and after each one:
//!
//! - the HTTP status and the first error's `extensions.code` are the ones the corpus names;
//! - the body is GraphQL-shaped JSON, every error has a code and a Danish message, and no
//!   message or `extensions.detail` shows internals (driver names, SQL, panics, source paths,
//!   Rust type names);
//! - the server still answers `{ __typename }`.
//!
//! Every request has a client timeout of 5 s, so a request that stalls the server fails the
//! test. After the whole corpus `{ __typename }` must come back within 2 s, and the server's
//! threads must be idle: a request that left a task spinning (a lost core) would show up as CPU
//! time while nothing is asked. The server runs in a runtime of its own with named threads so
//! that its CPU time can be read from `/proc` apart from other tests.
//!
//! The corpus format is described in `tests/hostile/README.md`.
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

const CORPUS: &str = include_str!("../hostile/corpus.json");

/// Per request: a stall of the server fails the test instead of hanging it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// `{ __typename }` after the whole corpus.
const FINAL_BOUND: Duration = Duration::from_secs(2);

/// English words of async-graphql's, serde's and hyper's messages: none may reach a client.
const ENGLISH: &[&str] = &[
    "Unknown",
    "unknown",
    "Invalid",
    "invalid",
    "expected",
    "Expected",
    "Failed to",
    "Did you mean",
    "required",
    "not defined",
    "Operation name",
    "Query is",
    "must ",
    "cannot",
    "does not",
    "error",
    "Error",
];

/// Internals that must not leak, in the message or in `extensions.detail`.
const LEAKS: &[&str] = &[
    "sqlx",
    "sea_orm",
    "SeaORM",
    "SELECT",
    "INSERT",
    "panicked",
    "src/",
    ".rs:",
    "NaiveDate",
    "::",
    "serde",
    "RUST_BACKTRACE",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    #[allow(dead_code)]
    about: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Case {
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    why: Option<String>,
    /// A GraphQL operation (a piece), sent over each of `via`...
    query: Option<Value>,
    variables: Option<Value>,
    operation_name: Option<Value>,
    #[serde(default)]
    via: Vec<String>,
    /// ... or a request spelled out.
    method: Option<String>,
    json: Option<Value>,
    raw: Option<Value>,
    params: Option<Map<String, Value>>,
    raw_query: Option<Value>,
    content_type: Option<String>,
    accept: Option<String>,
    role: Option<String>,
    authorization: Option<Value>,
    status: u16,
    /// The first error's `extensions.code`; `null`: no errors.
    code: Value,
}

/// A request ready to send.
struct Req {
    label: String,
    method: reqwest::Method,
    query_string: Option<String>,
    body: Option<Vec<u8>>,
    content_type: Option<String>,
}

/// Evaluates a piece of text to bytes: a string, an array (concatenation), or a generator:
/// `{"$repeat": piece, "times": n}`, `{"$concat": [pieces]}`, `{"$hex": "ff 00"}`,
/// `{"$sha256": piece}` (lower-case hex), `{"$json": template}` (JSON text).
fn piece(v: &Value) -> Result<Vec<u8>, String> {
    match v {
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        Value::Array(items) => {
            let mut out = Vec::new();
            for i in items {
                out.extend(piece(i)?);
            }
            Ok(out)
        }
        Value::Object(o) => {
            if let Some(p) = o.get("$repeat") {
                let times = o
                    .get("times")
                    .and_then(Value::as_u64)
                    .ok_or("$repeat needs times")?;
                Ok(piece(p)?.repeat(usize::try_from(times).map_err(|e| e.to_string())?))
            } else if let Some(p) = o.get("$concat") {
                piece(p)
            } else if let Some(h) = o.get("$hex").and_then(Value::as_str) {
                h.split_whitespace()
                    .map(|b| u8::from_str_radix(b, 16).map_err(|e| format!("$hex {b}: {e}")))
                    .collect()
            } else if let Some(p) = o.get("$sha256") {
                use sha2::Digest;
                Ok(format!("{:x}", sha2::Sha256::digest(piece(p)?)).into_bytes())
            } else if let Some(t) = o.get("$json") {
                serde_json::to_vec(&template(t)?).map_err(|e| e.to_string())
            } else {
                Err(format!("not a piece: {v}"))
            }
        }
        other => Err(format!("not a piece: {other}")),
    }
}

fn piece_str(v: &Value) -> Result<String, String> {
    String::from_utf8(piece(v)?).map_err(|_| "a piece used as a JSON string is not UTF-8".into())
}

/// Evaluates a JSON template: JSON, where `{"$list": template, "times": n}` is an array of n
/// copies and any other `$` generator is a string (see `piece`).
fn template(v: &Value) -> Result<Value, String> {
    match v {
        Value::Object(o) if o.keys().any(|k| k.starts_with('$')) => {
            if let Some(t) = o.get("$list") {
                let times = o
                    .get("times")
                    .and_then(Value::as_u64)
                    .ok_or("$list needs times")?;
                let item = template(t)?;
                Ok(Value::Array(vec![
                    item;
                    usize::try_from(times)
                        .map_err(|e| e.to_string())?
                ]))
            } else {
                Ok(Value::String(piece_str(v)?))
            }
        }
        Value::Object(o) => Ok(Value::Object(
            o.iter()
                .map(|(k, v)| Ok((k.clone(), template(v)?)))
                .collect::<Result<_, String>>()?,
        )),
        Value::Array(a) => Ok(Value::Array(
            a.iter().map(template).collect::<Result<_, _>>()?,
        )),
        other => Ok(other.clone()),
    }
}

/// Percent-encodes every byte but the unreserved ones (RFC 3986).
fn percent_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn encode_params(params: &[(String, Vec<u8>)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k.as_bytes()), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The requests of one case (several when it names more than one `via`).
fn requests(c: &Case) -> Result<Vec<Req>, String> {
    let json_ct = Some("application/json".to_string());
    if let Some(q) = &c.query {
        let query = piece_str(q)?;
        let variables = c.variables.as_ref().map(template).transpose()?;
        let op = c.operation_name.as_ref().map(template).transpose()?;
        let via = if c.via.is_empty() {
            vec!["POST".to_string()]
        } else {
            c.via.clone()
        };
        let mut out = Vec::new();
        for v in via {
            let mut body = json!({ "query": query });
            if let Some(vars) = &variables {
                body["variables"] = vars.clone();
            }
            if let Some(op) = &op {
                body["operationName"] = op.clone();
            }
            let req = match v.as_str() {
                "POST" => Req {
                    label: "POST".into(),
                    method: reqwest::Method::POST,
                    query_string: None,
                    body: Some(serde_json::to_vec(&body).map_err(|e| e.to_string())?),
                    content_type: json_ct.clone(),
                },
                "APQ" => {
                    use sha2::Digest;
                    let hash = format!("{:x}", sha2::Sha256::digest(query.as_bytes()));
                    body["extensions"] =
                        json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
                    Req {
                        label: "APQ".into(),
                        method: reqwest::Method::POST,
                        query_string: None,
                        body: Some(serde_json::to_vec(&body).map_err(|e| e.to_string())?),
                        content_type: json_ct.clone(),
                    }
                }
                "GET" => {
                    let mut params = vec![("query".to_string(), query.clone().into_bytes())];
                    if let Some(vars) = &variables {
                        params.push(("variables".into(), vars.to_string().into_bytes()));
                    }
                    if let Some(Value::String(op)) = &op {
                        params.push(("operationName".into(), op.clone().into_bytes()));
                    }
                    Req {
                        label: "GET".into(),
                        method: reqwest::Method::GET,
                        query_string: Some(encode_params(&params)),
                        body: None,
                        content_type: None,
                    }
                }
                other => return Err(format!("unknown via {other}")),
            };
            out.push(req);
        }
        return Ok(out);
    }
    let method = c.method.clone().unwrap_or_else(|| "POST".into());
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let body = match (&c.json, &c.raw) {
        (Some(t), None) => Some(serde_json::to_vec(&template(t)?).map_err(|e| e.to_string())?),
        (None, Some(p)) => Some(piece(p)?),
        (None, None) => None,
        _ => return Err("json and raw are exclusive".into()),
    };
    let query_string = match (&c.params, &c.raw_query) {
        (Some(p), None) => Some(encode_params(
            &p.iter()
                .map(|(k, v)| Ok((k.clone(), piece(v)?)))
                .collect::<Result<Vec<_>, String>>()?,
        )),
        (None, Some(r)) => Some(piece_str(r)?),
        (None, None) => None,
        _ => return Err("params and rawQuery are exclusive".into()),
    };
    let content_type = match &c.content_type {
        Some(ct) if ct.is_empty() => None,
        Some(ct) => Some(ct.clone()),
        None if body.is_some() => json_ct,
        None => None,
    };
    Ok(vec![Req {
        label: method.to_string(),
        method,
        query_string,
        body,
        content_type,
    }])
}

fn errors_of(body: &Value) -> Vec<&Value> {
    fn one(v: &Value) -> Vec<&Value> {
        v.get("errors")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }
    match body {
        Value::Array(items) => items.iter().flat_map(one).collect(),
        other => one(other),
    }
}

/// What is wrong with one response, if anything.
fn judge(c: &Case, status: u16, content_type: &str, bytes: &[u8]) -> Vec<String> {
    let mut bad = Vec::new();
    if status != c.status {
        bad.push(format!("status {status}, expected {}", c.status));
    }
    if !(content_type.starts_with("application/json")
        || content_type.starts_with("application/graphql-response+json"))
    {
        bad.push(format!("content type {content_type:?}"));
    }
    let body: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(_) => {
            bad.push("the body is not JSON".into());
            return bad;
        }
    };
    let shaped = |v: &Value| v.get("data").is_some() || v.get("errors").is_some();
    let ok_shape = match &body {
        Value::Array(items) => !items.is_empty() && items.iter().all(shaped),
        other => shaped(other),
    };
    if !ok_shape {
        bad.push("not a GraphQL response".into());
    }
    let errors = errors_of(&body);
    let first = errors
        .first()
        .map(|e| e["extensions"]["code"].clone())
        .unwrap_or(Value::Null);
    if first != c.code {
        bad.push(format!("code {first}, expected {}", c.code));
    }
    for e in &errors {
        let code = e["extensions"]["code"].as_str().unwrap_or("");
        if code.is_empty() {
            bad.push("an error without extensions.code".into());
        }
        if code == "INTERNAL" {
            bad.push("INTERNAL".into());
        }
        let msg = e["message"].as_str().unwrap_or("");
        if msg.is_empty() {
            bad.push("an error without a message".into());
        }
        // Apollo's protocol fixes this one message; clients compare it verbatim.
        if code != "PERSISTED_QUERY_NOT_FOUND" {
            for w in ENGLISH {
                if msg.contains(w) {
                    bad.push(format!("English {w:?} in {msg:?}"));
                }
            }
        }
        // messages.rs' fallback for an English message it does not know yet.
        if msg.contains("se extensions.detail") {
            bad.push(format!("untranslated: {}", e["extensions"]["detail"]));
        }
        let detail = e["extensions"]["detail"].as_str().unwrap_or("");
        for l in LEAKS {
            if msg.contains(l) || detail.contains(l) {
                bad.push(format!("{l:?} leaks: {msg:?} / {detail:?}"));
            }
        }
    }
    bad
}

fn short(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    if s.len() > 600 {
        let mut end = 600;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    } else {
        s.into_owned()
    }
}

fn token_for(app: &TestApp, role: &str) -> Result<Option<String>, String> {
    Ok(match role {
        "anonymous" => None,
        "administrator" => Some(app.token(Role::Administrator, ADMIN_CVR, "hostile-admin")),
        "driftsoverenskomstansvarlig" => Some(app.token(
            Role::Driftsoverenskomstansvarlig,
            &kommune_cvr(ROSKILDE),
            "hostile-roskilde",
        )),
        other => return Err(format!("unknown role {other}")),
    })
}

async fn typename(app: &TestApp, http: &reqwest::Client) -> Result<Duration, String> {
    let t = Instant::now();
    let r = http
        .post(format!("{}/graphql", app.addr))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .map_err(|e| format!("no answer to {{ __typename }}: {e}"))?;
    let v: Value = r
        .json()
        .await
        .map_err(|e| format!("{{ __typename }}: {e}"))?;
    if v["data"]["__typename"] != "Query" {
        return Err(format!("{{ __typename }} answered {v}"));
    }
    Ok(t.elapsed())
}

async fn run_corpus(app: TestApp, threads: &str) {
    let corpus: Corpus = serde_json::from_str(CORPUS).expect("tests/hostile/corpus.json");
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("client");
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut sent = 0;
    for c in &corpus.cases {
        let reqs = requests(c).unwrap_or_else(|e| panic!("corpus case {:?}: {e}", c.name));
        let auth: Option<Vec<u8>> = match (&c.role, &c.authorization) {
            (Some(r), None) => token_for(&app, r)
                .unwrap_or_else(|e| panic!("corpus case {:?}: {e}", c.name))
                .map(|t| format!("Bearer {t}").into_bytes()),
            (None, Some(p)) => {
                Some(piece(p).unwrap_or_else(|e| panic!("corpus case {:?}: {e}", c.name)))
            }
            (None, None) => None,
            _ => panic!(
                "corpus case {:?}: role and authorization are exclusive",
                c.name
            ),
        };
        for r in reqs {
            sent += 1;
            let what = format!("[{:?}] {} ({})", app.db_kind, c.name, r.label);
            let url = match &r.query_string {
                Some(q) => format!("{}/graphql?{q}", app.addr),
                None => format!("{}/graphql", app.addr),
            };
            let mut rb = http.request(r.method.clone(), url).header(
                ACCEPT,
                c.accept
                    .as_deref()
                    .unwrap_or("application/graphql-response+json"),
            );
            if let Some(ct) = &r.content_type {
                rb = rb.header(CONTENT_TYPE, ct);
            }
            if let Some(a) = &auth {
                rb = rb.header(
                    AUTHORIZATION,
                    HeaderValue::from_bytes(a).expect("a header value"),
                );
            }
            if let Some(b) = r.body {
                rb = rb.body(b);
            }
            let t = Instant::now();
            match rb.send().await {
                Err(e) => failures.push(format!(
                    "{what}: no answer within {REQUEST_TIMEOUT:?}: {}",
                    e.without_url()
                )),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let ct = resp
                        .headers()
                        .get(CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    match resp.bytes().await {
                        Err(e) => failures.push(format!("{what}: body: {}", e.without_url())),
                        Ok(bytes) => {
                            let bad = judge(c, status, &ct, &bytes);
                            if !bad.is_empty() {
                                failures.push(format!(
                                    "{what}: {} — {status} {}",
                                    bad.join("; "),
                                    short(&bytes)
                                ));
                            }
                        }
                    }
                }
            }
            let took = t.elapsed();
            if let Err(e) = typename(&app, &http).await {
                panic!("{what}: the server did not survive ({took:?}): {e}");
            }
        }
    }
    let took = typename(&app, &http)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        took < FINAL_BOUND,
        "{{ __typename }} took {took:?} after the corpus"
    );
    eprintln!(
        "[{:?}] hostile corpus: {} cases, {sent} requests in {:?}",
        app.db_kind,
        corpus.cases.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {sent} hostile requests were answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
    drop(http);
    assert_idle(threads).await;
}

/// CPU time (clock ticks) of this process's threads named `name`, from /proc.
#[cfg(target_os = "linux")]
fn cpu_ticks(name: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .filter_map(|t| std::fs::read_to_string(t.path().join("stat")).ok())
        .filter_map(|s| {
            // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .sum()
}

/// The server's threads use (almost) no CPU while nobody asks anything: no request left a
/// task spinning behind its answer.
async fn assert_idle(name: &str) {
    #[cfg(target_os = "linux")]
    {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = cpu_ticks(name);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let used = cpu_ticks(name).saturating_sub(before);
        eprintln!("{name}: {used} ticks of CPU in 1 s of idling");
        // Clock ticks are 1/100 s: a spinning core would use some 50-100 in this second.
        assert!(
            used < 30,
            "the server used {used} ticks of CPU in 1 s while idle (threads {name})"
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = name;
}

/// Runs the corpus in a runtime of its own whose threads are called `name`.
fn run(db: Db, name: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let app = match db {
            Db::Sqlite => Some(TestApp::spawn(Db::Sqlite, Default::default()).await),
            Db::Postgres => TestApp::spawn_postgres(Default::default()).await,
        };
        if let Some(app) = app {
            run_corpus(app, name).await;
        }
    });
}

mod hostile_corpus {
    use super::*;

    #[test]
    fn sqlite() {
        run(Db::Sqlite, "hostile-sqlite");
    }

    #[test]
    fn postgres() {
        run(Db::Postgres, "hostile-pg");
    }
}
