//! The `plejeoverblik` binary: serve prints the playground URL and stops cleanly on SIGTERM, and
//! refuses to start on a database it cannot write; token prints a token on its last line and
//! gives the same person the same subject; export-schema --check.
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_plejeoverblik");

#[test]
fn token_is_the_last_line_and_roles_are_case_insensitive() {
    let out = Command::new(BIN)
        .args([
            "token",
            "--role",
            "Redaktør",
            "--cvr",
            "12345678",
            "--name",
            "Rikke",
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    let token = stdout.lines().last().expect("a line");
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let bad = Command::new(BIN)
        .args(["token", "--role", "borger", "--cvr", "12345678"])
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("ukendt rolle"));
}

/// The `sub` claim of a token printed by `plejeoverblik token ARGS`.
fn token_subject(args: &[&str]) -> String {
    use base64::Engine;
    let out = Command::new(BIN)
        .arg("token")
        .args(args)
        .output()
        .expect("run");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    let token = stdout.lines().last().expect("a line");
    let payload = token.split('.').nth(1).expect("payload");
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64"),
    )
    .expect("json");
    claims["sub"].as_str().expect("sub").to_string()
}

#[test]
fn token_gives_the_same_person_the_same_subject() {
    let anne = [
        "--role",
        "driftsoverenskomstansvarlig",
        "--cvr",
        "29189404",
        "--name",
        "Anne Andersen",
    ];
    let first = token_subject(&anne);
    assert_eq!(first, "dev:29189404:anne-andersen");
    assert_eq!(
        token_subject(&anne),
        first,
        "same cvr and name: same subject"
    );
    let mut other = anne;
    other[5] = "Anne Hansen";
    assert_ne!(
        token_subject(&other),
        first,
        "another name: another subject"
    );
    let mut other_cvr = anne;
    other_cvr[3] = "55133018";
    assert_ne!(
        token_subject(&other_cvr),
        first,
        "another CVR: another subject"
    );
    let explicit = [&anne[..], &["--subject", "anne-1"]].concat();
    assert_eq!(token_subject(&explicit), "anne-1", "--subject wins");
}

#[test]
fn export_schema_check_detects_drift() {
    let dir = std::env::temp_dir().join(format!("plejeoverblik-schema-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let f = dir.join("schema.graphql");
    std::fs::write(&f, "type Query { gammel: Int }").expect("write");
    let s = Command::new(BIN)
        .args(["export-schema", "--check", "--out"])
        .arg(&f)
        .status()
        .expect("run");
    assert!(!s.success());
    let s = Command::new(BIN)
        .args(["export-schema", "--out"])
        .arg(&f)
        .status()
        .expect("run");
    assert!(s.success());
    let s = Command::new(BIN)
        .args(["export-schema", "--check", "--out"])
        .arg(&f)
        .status()
        .expect("run");
    assert!(s.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts `serve` on a fresh SQLite file with `extra` flags; returns the child, the base URL
/// and the directory to remove.
fn spawn_serve(extra: &[&str]) -> (std::process::Child, String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("plejeoverblik-serve-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("s.db").display());
    let mut args = vec!["--no-demo-data"];
    args.extend_from_slice(extra);
    let (child, addr) = spawn(Some(&url), &dir, &args);
    (child, addr, dir)
}

/// Starts `serve` in the working directory `cwd` on `url` (`None`: the default database, with
/// `DATABASE_URL` removed from the environment) with `extra` flags; returns the child and the
/// base URL once it prints the playground line.
pub(crate) fn spawn(
    url: Option<&str>,
    cwd: &std::path::Path,
    extra: &[&str],
) -> (std::process::Child, String) {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd).env_remove("DATABASE_URL");
    for v in ["PLEJEOVERBLIK_DEMO_DATA", "PLEJEOVERBLIK_NO_DEMO_DATA"] {
        cmd.env_remove(v);
    }
    if let Some(url) = url {
        cmd.args(["--database-url", url]);
    }
    let mut child = cmd
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("line");
    assert!(line.contains("Playground: http://127.0.0.1:"), "{line}");
    let addr = line
        .split("Playground: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("url")
        .trim_end_matches('/')
        .to_string();
    (child, addr)
}

pub(crate) fn sigterm(child: &std::process::Child) {
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
}

/// Waits for the exit; returns how long it took after `since`.
pub(crate) fn exit_within(child: &mut std::process::Child, limit: Duration) -> Duration {
    let t = Instant::now();
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            assert!(s.success(), "clean exit: {s:?}");
            return t.elapsed();
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            panic!("did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_prints_the_playground_url_and_stops_on_sigterm() {
    let (mut child, addr, dir) = spawn_serve(&[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let status = rt.block_on(async {
        reqwest::get(format!("{addr}/readyz"))
            .await
            .expect("readyz")
            .status()
    });
    assert_eq!(status, 200);
    sigterm(&child);
    exit_within(&mut child, Duration::from_secs(15));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 8, defect 3: a connection that never finishes its request (a body trickled or stuck)
/// and an idle keep-alive connection cannot keep the server from stopping: after SIGTERM it
/// exits 0 within the shutdown deadline. Before, graceful shutdown waited for them forever.
#[test]
fn serve_stops_within_the_shutdown_deadline_despite_stuck_connections() {
    use std::io::Write;
    let (mut child, addr, dir) = spawn_serve(&[
        "--shutdown-timeout-secs",
        "1",
        "--body-read-timeout-secs",
        "600",
        "--header-read-timeout-secs",
        "600",
        "--idle-timeout-secs",
        "600",
    ]);
    let host = addr.trim_start_matches("http://").to_string();
    // A request in flight whose body never completes.
    let mut stuck = std::net::TcpStream::connect(&host).expect("connect");
    stuck
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":")
        .expect("write");
    // Half a request head.
    let mut half = std::net::TcpStream::connect(&host).expect("connect");
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost")
        .expect("write");
    // An idle keep-alive connection after a complete request.
    let mut idle = std::net::TcpStream::connect(&host).expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    let mut buf = [0u8; 256];
    let n = idle.read(&mut buf).expect("response");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&child);
    let took = exit_within(&mut child, Duration::from_secs(10));
    assert!(took < Duration::from_secs(4), "stopped after {took:?}");
    drop((stuck, half, idle));
    let _ = std::fs::remove_dir_all(&dir);
}

pub(crate) struct KillOnDrop(pub(crate) std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Defence in depth behind the gate's bound (issue 18, N1): with the limits raised so far that
/// a fan-out passes the gate (an operator's mistake), validating two such documents keeps the
/// validation pool busy for a long time, yet `/healthz` and small queries answer at once (the
/// pool runs on blocking threads, at most `--validation-workers` documents at a time), the
/// requests themselves end with `TIMEOUT` at the request timeout, and SIGTERM ends the process
/// at its shutdown deadline although the validations are still running.
#[test]
fn validation_work_neither_holds_the_service_nor_its_shutdown() {
    let (child, addr, dir) = spawn_serve(&[
        "--max-expanded-nodes",
        "1000000000000",
        "--max-fields",
        "1000000000000",
        "--max-complexity",
        "1000000000000",
        "--validation-workers",
        "1",
        "--request-timeout-secs",
        "2",
        "--shutdown-timeout-secs",
        "1",
    ]);
    // 4^14 paths of fragments: minutes of async-graphql's unmemoised walks.
    let mut q = String::from("query { kommune(kode: \"0101\") { ...F0 } }");
    for i in 0..14 {
        let n = i + 1;
        q.push_str(&format!(
            " fragment F{i} on Kommune {{ ...F{n} ...F{n} ...F{n} ...F{n} }}"
        ));
    }
    q.push_str(" fragment F14 on Kommune { kode }");
    // Killed if the test fails: the server would go on validating for minutes.
    let mut child = KillOnDrop(child);
    let rt = runtime();
    rt.block_on(async {
        let c = reqwest::Client::new();
        let heavy: Vec<_> = (0..2)
            .map(|i| {
                let (c, url, q) = (c.clone(), format!("{addr}/graphql"), format!("{q} # {i}"));
                tokio::spawn(async move {
                    let t = Instant::now();
                    let r = c
                        .post(url)
                        .header("accept", "application/graphql-response+json")
                        .json(&serde_json::json!({ "query": q }))
                        .send()
                        .await
                        .expect("answer");
                    let status = r.status().as_u16();
                    let body: serde_json::Value = r.json().await.expect("json");
                    (status, body, t.elapsed())
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        for _ in 0..5 {
            let t = Instant::now();
            let h = c
                .get(format!("{addr}/healthz"))
                .send()
                .await
                .expect("healthz");
            assert_eq!(h.status(), 200);
            let v: serde_json::Value = c
                .post(format!("{addr}/graphql"))
                .json(&serde_json::json!({ "query": "{ __typename }" }))
                .send()
                .await
                .expect("typename")
                .json()
                .await
                .expect("json");
            assert_eq!(v["data"]["__typename"], "Query");
            let took = t.elapsed();
            assert!(
                took < Duration::from_millis(500),
                "a small request took {took:?}"
            );
        }
        for h in heavy {
            let (status, body, took) = h.await.expect("task");
            assert_eq!(status, 503, "{body}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT", "{body}");
            assert!(took < Duration::from_secs(4), "answered after {took:?}");
        }
    });
    sigterm(&child.0);
    let took = exit_within(&mut child.0, Duration::from_secs(15));
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `serve` on `url` (through `prefix`, e.g. `setpriv ...`) and expects it to refuse to
/// start: exits non-zero in time; returns its stderr.
fn serve_refuses(prefix: &[String], url: &str) -> String {
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    let mut child = cmd
        .args([
            "--database-url",
            url,
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--no-demo-data",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve started on {url} instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(!status.success(), "serve on {url} must fail: {stderr}");
    stderr
}

pub(crate) fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("plejeoverblik-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// `serve` on a SQLite database it cannot write must not start (it would report ready and then
/// fail every write) but exit non-zero with a Danish message that names the path and the problem.
///
/// The tests run as root, and root ignores file permissions, so a chmod alone proves nothing
/// here. This test covers what fails for root too: (1) `mode=ro` in the URL on an existing
/// database, a read-only database as an operator may configure it by mistake; SQLite opens a
/// file it may not write (no permission, a read-only file system) read-only in just the same
/// way, so the same startup write probe catches those; (2) a path whose parent is a regular
/// file, which nobody can create. The permission faults themselves are tested as `nobody` in
/// `serve_refuses_a_database_without_write_permission`.
#[test]
fn serve_refuses_a_read_only_database_and_an_unwritable_path() {
    let dir = temp_dir("ro");
    let db = dir.join("p.db");
    let s = Command::new(BIN)
        .arg("--database-url")
        .arg(format!("sqlite://{}?mode=rwc", db.display()))
        .arg("migrate")
        .stderr(Stdio::null())
        .status()
        .expect("migrate");
    assert!(s.success());

    let err = serve_refuses(&[], &format!("sqlite://{}?mode=ro", db.display()));
    assert!(err.contains("skrivebeskyttet"), "{err}");
    assert!(err.contains(&db.display().to_string()), "{err}");
    assert!(err.contains("mode=ro"), "{err}");

    let file = dir.join("file.txt");
    std::fs::write(&file, "ikke en mappe").expect("write");
    let inside = file.join("p.db");
    let err = serve_refuses(&[], &format!("sqlite://{}?mode=rwc", inside.display()));
    assert!(err.contains(&inside.display().to_string()), "{err}");
    assert!(err.contains("er ikke en mappe"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// How to run a command without root's disregard for file permissions: as is when we are not
/// root, as `nobody` through `setpriv` when we are. `None` when neither works here.
fn unprivileged() -> Option<(Vec<String>, Option<u32>)> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some((Vec::new(), None));
    }
    let prefix: Vec<String> = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ]
    .map(String::from)
    .to_vec();
    let works = Command::new(&prefix[0])
        .args(&prefix[1..])
        .arg("true")
        .status()
        .is_ok_and(|s| s.success());
    works.then_some((prefix, Some(65534)))
}

/// The permission faults, as an unprivileged user (see `unprivileged`): a database file with
/// mode 0444 (SQLite opens it read-only; the startup write probe refuses it) and a database in a
/// directory with mode 0555 (SQLite cannot create its WAL files next to it).
#[test]
fn serve_refuses_a_database_without_write_permission() {
    use std::os::unix::fs::PermissionsExt;
    let Some((prefix, uid)) = unprivileged() else {
        eprintln!("note: permission test skipped (running as root without a working setpriv)");
        return;
    };
    let dir = temp_dir("perm");
    let chmod = |p: &std::path::Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    chmod(&dir, 0o755);
    if let Some(uid) = uid {
        std::os::unix::fs::chown(&dir, Some(uid), Some(uid)).expect("chown");
    }
    let db = dir.join("p.db");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let run = |args: &[&str]| {
        let mut c = match prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        c.args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run")
    };
    assert!(run(&["--database-url", &url, "migrate"]).success());

    // A read-only database file.
    chmod(&db, 0o444);
    let err = serve_refuses(&prefix, &url);
    assert!(err.contains("skrivebeskyttet"), "{err}");
    assert!(err.contains(&db.display().to_string()), "{err}");
    chmod(&db, 0o644);

    // A database in a read-only directory. First the WAL is folded into the file (journal mode
    // DELETE checkpoints it and removes the WAL files, as a clean shutdown leaves them), so that
    // SQLite must create new WAL files, which the directory does not allow.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        use sea_orm::ConnectionTrait;
        let c = sea_orm::Database::connect(&url).await.expect("open");
        c.execute_unprepared("PRAGMA journal_mode=DELETE")
            .await
            .expect("journal mode");
        let _ = c.close().await;
    });
    assert!(!dir.join("p.db-wal").exists(), "WAL folded in");
    chmod(&dir, 0o555);
    let err = serve_refuses(&prefix, &url);
    chmod(&dir, 0o755);
    assert!(err.contains("databasemappen"), "{err}");
    assert!(err.contains("skrivebeskyttet"), "{err}");
    assert!(err.contains(&dir.display().to_string()), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether the server at `addr` has the demo data: one of the fictional helhedsplejeenheder
/// and the plejecentre of the register.
fn has_demo_data(rt: &tokio::runtime::Runtime, addr: &str) -> bool {
    rt.block_on(async {
        let v: serde_json::Value = reqwest::Client::new()
            .post(format!("{addr}/graphql"))
            .json(&serde_json::json!({ "query": "{ enhed(id: \"demo-helhed-solstrejf-roskilde\") { navn } kommune(kode: \"0751\") { tilbud(dato: \"2026-06-15\") { plejeenheder } } }" }))
            .send()
            .await
            .expect("post")
            .json()
            .await
            .expect("json");
        assert!(v["errors"].is_null(), "{v}");
        let demo = !v["data"]["enhed"].is_null();
        let plejecentre = v["data"]["kommune"]["tilbud"]["plejeenheder"].as_i64().unwrap_or(0) > 0;
        assert_eq!(demo, plejecentre, "all or nothing: {v}");
        demo
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt")
}

/// Issue 9: demo data only where meant. `serve` on the embedded SQLite default (no
/// `--database-url`, a fresh working directory) loads them on its first start; with
/// `--no-demo-data` an empty SQLite database stays empty.
#[test]
fn serve_loads_demo_data_into_the_embedded_sqlite_default() {
    let rt = runtime();
    let dir = temp_dir("default-db");
    let (mut child, addr) = spawn(None, &dir, &[]);
    assert!(
        dir.join("plejeoverblik.db").exists(),
        "the default database file"
    );
    assert!(has_demo_data(&rt, &addr));
    sigterm(&child);
    exit_within(&mut child, Duration::from_secs(15));

    let (mut child, addr, other) = spawn_serve(&[]);
    assert!(!has_demo_data(&rt, &addr), "--no-demo-data");
    sigterm(&child);
    exit_within(&mut child, Duration::from_secs(15));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}

/// A fresh PostgreSQL database for a test of the binary, dropped afterwards; `None` (with a
/// note) when PostgreSQL is not configured, unless it is required.
struct PgDb {
    base: String,
    name: String,
    url: String,
}

fn pg_db() -> Option<PgDb> {
    let Ok(base) = std::env::var("PLEJEOVERBLIK_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("PLEJEOVERBLIK_TEST_REQUIRE_POSTGRES").map_or(true, |v| v != "1"),
            "PLEJEOVERBLIK_TEST_REQUIRE_POSTGRES=1 but PLEJEOVERBLIK_TEST_POSTGRES_URL is not set"
        );
        eprintln!("note: PostgreSQL test skipped (set PLEJEOVERBLIK_TEST_POSTGRES_URL)");
        return None;
    };
    let name = format!("plejeoverblik_test_{}", uuid::Uuid::new_v4().simple());
    admin_sql(&base, format!("CREATE DATABASE {name}")).expect("create database");
    let url = match base.split_once('?') {
        Some((b, q)) => format!("{}/{name}?{q}", b.rsplit_once('/').map_or(b, |(r, _)| r)),
        None => format!(
            "{}/{name}",
            base.rsplit_once('/').map_or(base.as_str(), |(r, _)| r)
        ),
    };
    Some(PgDb { base, name, url })
}

/// Runs one statement on the server's maintenance database, on a runtime of its own.
fn admin_sql(base: &str, sql: String) -> Result<(), sea_orm::DbErr> {
    let base = base.to_string();
    std::thread::spawn(move || {
        runtime().block_on(async move {
            use sea_orm::ConnectionTrait;
            let c = sea_orm::Database::connect(&base).await?;
            let r = c.execute_unprepared(&sql).await.map(|_| ());
            let _ = c.close().await;
            r
        })
    })
    .join()
    .expect("thread")
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = admin_sql(
            &self.base,
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Issue 9: an empty PostgreSQL database (production) gets no demo data from `serve`; only
/// `--demo-data` loads them.
#[test]
fn serve_loads_demo_data_into_postgresql_only_when_asked() {
    let Some(pg) = pg_db() else { return };
    let rt = runtime();
    let dir = temp_dir("pg-demo");
    let (mut child, addr) = spawn(Some(&pg.url), &dir, &[]);
    let without = has_demo_data(&rt, &addr);
    sigterm(&child);
    exit_within(&mut child, Duration::from_secs(15));
    let (mut child, addr) = spawn(Some(&pg.url), &dir, &["--demo-data"]);
    let with = has_demo_data(&rt, &addr);
    sigterm(&child);
    exit_within(&mut child, Duration::from_secs(15));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        !without,
        "an empty PostgreSQL database got demo data without --demo-data"
    );
    assert!(with, "--demo-data loads the demo data");
}

/// Shutdown lets a slow request in flight finish: a write waits for a lock the test holds (the
/// SQLite write lock, a PostgreSQL row lock); SIGTERM arrives while it waits; the lock is
/// released a second later; the request completes with 200, its write is committed, and the
/// process exits 0 within the shutdown deadline.
fn slow_request_completes_during_shutdown(url: &str, dir: &std::path::Path) {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    const DEADLINE: Duration = Duration::from_secs(10);
    let (mut child, addr) = spawn(
        Some(url),
        dir,
        &[
            "--no-demo-data",
            "--dev-tokens",
            "--shutdown-timeout-secs",
            "10",
        ],
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let (holder_db, holder) = rt.block_on(async {
        let db = sea_orm::Database::connect(url).await.expect("connect");
        let txn = db.begin().await.expect("begin");
        txn.execute_unprepared("UPDATE kommune SET cvr = cvr WHERE kode = '0751'")
            .await
            .expect("hold the lock");
        (db, txn)
    });
    let token = plejeoverblik::auth::make_dev_token(
        plejeoverblik::config::DEFAULT_DEV_KEY,
        &plejeoverblik::auth::DevTokenRequest {
            roles: &[plejeoverblik::domain::access::Role::Administrator],
            cvr: "12345678",
            name: Some("admin"),
            subject: Some("admin"),
            valid_hours: 1,
        },
        chrono::Utc::now(),
    )
    .expect("token");
    let request = rt.spawn(async move {
        let r = reqwest::Client::new()
            .post(format!("{addr}/graphql"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "query": "mutation { setKommuneCvr(kode: \"0751\", cvr: \"11111111\") { cvr } }" }))
            .send()
            .await
            .expect("the request in flight gets its answer");
        let status = r.status();
        (status, r.json::<serde_json::Value>().await.expect("json"))
    });
    // The request is in flight once it waits for the lock: PostgreSQL shows the waiting
    // statement; SQLite does not, so there a generous pause on the loopback does.
    rt.block_on(async {
        if holder_db.get_database_backend() != sea_orm::DbBackend::Postgres {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            return;
        }
        let t = Instant::now();
        loop {
            let row = holder_db
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                ))
                .await
                .expect("pg_stat_activity")
                .expect("row");
            if row.try_get::<i64>("", "n").expect("n") > 0 {
                return;
            }
            assert!(t.elapsed() < Duration::from_secs(10), "the request never waited for the lock");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    assert!(!request.is_finished(), "the request waits for the lock");
    sigterm(&child);
    let since = Instant::now();
    std::thread::sleep(Duration::from_secs(1));
    assert!(!request.is_finished(), "still waiting");
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the server waits for it"
    );
    rt.block_on(holder.rollback()).expect("release the lock");
    let (status, body) = rt.block_on(request).expect("task");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["setKommuneCvr"]["cvr"], "11111111", "{body}");
    exit_within(&mut child, DEADLINE);
    assert!(
        since.elapsed() < DEADLINE,
        "stopped after {:?}",
        since.elapsed()
    );
    let cvr = rt.block_on(async {
        let row = holder_db
            .query_one_raw(sea_orm::Statement::from_string(
                holder_db.get_database_backend(),
                "SELECT cvr FROM kommune WHERE kode = '0751'",
            ))
            .await
            .expect("select")
            .expect("row");
        let cvr: String = row.try_get("", "cvr").expect("cvr");
        let _ = holder_db.close().await;
        cvr
    });
    assert_eq!(cvr, "11111111", "the acknowledged write is committed");
}

#[test]
fn slow_request_completes_during_shutdown_sqlite() {
    let dir = temp_dir("shutdown");
    let url = format!("sqlite://{}?mode=rwc", dir.join("s.db").display());
    slow_request_completes_during_shutdown(&url, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn slow_request_completes_during_shutdown_postgres() {
    let Some(pg) = pg_db() else { return };
    let dir = temp_dir("shutdown-pg");
    slow_request_completes_during_shutdown(&pg.url, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `plejeoverblik import` while another writer commits all the time (the server saving
/// agreements): the import waits for the write lock like the server's writes do, instead of
/// failing with sqlx's English "database is locked" (issue 18, N7: 3 of 10 runs).
#[test]
fn import_waits_for_another_writer_sqlite() {
    use sea_orm::{ConnectionTrait, Database, TransactionTrait};
    use std::sync::atomic::{AtomicBool, Ordering};
    let csv = format!("{}/data/plejecentre.csv", env!("CARGO_MANIFEST_DIR"));
    let rt = runtime();
    let mut failures = Vec::new();
    // Each round a fresh database, so that every import writes.
    for round in 0..8 {
        let dir = temp_dir("import-busy");
        let url = format!("sqlite://{}?mode=rwc", dir.join("i.db").display());
        let s = Command::new(BIN)
            .args(["--database-url", &url, "migrate"])
            .stdout(Stdio::null())
            .status()
            .expect("migrate");
        assert!(s.success());
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        // Short write transactions without pause, as a busy server commits them.
        let writer = {
            let (url, stop) = (url.clone(), stop.clone());
            rt.spawn(async move {
                let db = Database::connect(url.as_str()).await.expect("connect");
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(t) = db.begin().await {
                        let _ = t
                            .execute_unprepared(
                                "UPDATE data_version SET version = version + 1 WHERE id = 1",
                            )
                            .await;
                        let _ = t.commit().await;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
        };
        let out = Command::new(BIN)
            .args(["--database-url", &url, "import", &csv])
            .output()
            .expect("import");
        stop.store(true, Ordering::Relaxed);
        rt.block_on(writer).expect("the writer ran");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        if !out.status.success() || stderr.contains("locked") {
            failures.push(format!("round {round}: {stderr}"));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        failures.is_empty(),
        "the import failed instead of waiting: {failures:?}"
    );
}

/// Issue 22 §2: `backup FILE` copies the embedded database while the service runs and writes go
/// on; the copy passes SQLite's integrity check, a service started on it answers as the
/// original did at the copy's moment (a committed state: the description is one of those
/// saved), and it refuses a file that exists and a PostgreSQL database (pg_dump's job).
#[test]
fn backup_copies_the_running_database_and_restores() {
    use plejeoverblik::auth::{make_dev_token, DevTokenRequest};
    use plejeoverblik::config::DEFAULT_DEV_KEY;
    use plejeoverblik::domain::access::Role;
    let dir = std::env::temp_dir().join(format!("plejeoverblik-backup-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("live.db").display());
    let (mut child, addr) = spawn(Some(&url), &dir, &["--dev-tokens"]);
    let admin = make_dev_token(
        DEFAULT_DEV_KEY,
        &DevTokenRequest {
            roles: &[Role::Administrator],
            cvr: "12345678",
            name: Some("admin"),
            subject: Some("admin"),
            valid_hours: 1,
        },
        chrono::Utc::now(),
    )
    .expect("token");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let gql = |addr: String, token: Option<String>, q: &'static str, v: serde_json::Value| async move {
        let mut req = reqwest::Client::new()
            .post(format!("{addr}/graphql"))
            .json(&serde_json::json!({ "query": q, "variables": v }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
            .await
            .expect("post")
            .json::<serde_json::Value>()
            .await
            .expect("json")
    };
    let search =
        "{ search(kommune: \"Aarhus\", first: 100) { totalCount nodes { enhedId navn } } }";
    let (before, id) = rt.block_on(async {
        let d = gql(addr.clone(), None, search, serde_json::json!({})).await;
        let id = d["data"]["search"]["nodes"][0]["enhedId"]
            .as_str()
            .expect("an enhed")
            .to_string();
        gql(
            addr.clone(),
            Some(admin.clone()),
            "mutation($id: String!) { lockEnhed(id: $id) { id } }",
            serde_json::json!({ "id": id }),
        )
        .await;
        (d, id)
    });
    // Writes go on while the copy is taken.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (addr, admin, id, stop) = (addr.clone(), admin.clone(), id.clone(), stop.clone());
        rt.spawn(async move {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let d = gql(addr.clone(), Some(admin.clone()), "mutation($id: String!, $b: String!) { updateEnhed(id: $id, input: { beskrivelse: $b }) { id } }", serde_json::json!({ "id": id, "b": format!("Udgave {n}") })).await;
                assert!(d["errors"].is_null(), "{d}");
            }
            n
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let file = dir.join("kopi.db");
    let out = Command::new(BIN)
        .args(["--database-url", &url, "backup"])
        .arg(&file)
        .output()
        .expect("backup");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Sikkerhedskopien er skrevet"));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = rt.block_on(writer).expect("writer");
    assert!(written > 1, "writes went on");
    // Again to the same file: refused, the copy untouched.
    let again = Command::new(BIN)
        .args(["--database-url", &url, "backup"])
        .arg(&file)
        .output()
        .expect("backup");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("findes allerede"));
    sigterm(&child);
    exit_within(&mut child, Duration::from_secs(15));

    // Restore: a service on the copy answers the search as before, and the enhed's
    // description is one of those saved (a committed state).
    let restored = format!("sqlite://{}", file.display());
    let (mut child, addr) = spawn(Some(&restored), &dir, &[]);
    rt.block_on(async {
        let after = gql(addr.clone(), None, search, serde_json::json!({})).await;
        assert_eq!(after, before);
        let d = gql(
            addr.clone(),
            None,
            "query($id: String!) { enhed(id: $id) { beskrivelse } }",
            serde_json::json!({ "id": id }),
        )
        .await;
        let b = d["data"]["enhed"]["beskrivelse"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let n: u32 = b
            .strip_prefix("Udgave ")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!((1..=written).contains(&n), "{b}");
    });
    sigterm(&child);
    exit_within(&mut child, Duration::from_secs(15));
    // PostgreSQL: refused with the way to do it.
    if let Ok(pg) = std::env::var("PLEJEOVERBLIK_TEST_POSTGRES_URL") {
        let out = Command::new(BIN)
            .args(["--database-url", &pg, "backup"])
            .arg(dir.join("pg.db"))
            .output()
            .expect("backup");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
