//! Issue 22 §3: a PostgreSQL failover loses no acknowledged write. The test starts its own
//! primary and a synchronous streaming standby (`initdb`, `pg_basebackup`, `synchronous_commit
//! = on` with `synchronous_standby_names`) from the PostgreSQL binaries on the machine, puts a
//! TCP proxy in front (what a load balancer or Patroni's HAProxy is), runs two instances of the
//! service on it under concurrent writes and searches, kills the primary, promotes the standby
//! and points the proxy at it. PostgreSQL only; skipped (with a note) without the binaries.
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// The PostgreSQL binaries (`pg_config --bindir`, else Debian's place).
fn bindir() -> Option<PathBuf> {
    if let Ok(o) = Command::new("pg_config").arg("--bindir").output() {
        let p = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if p.join("initdb").exists() {
            return Some(p);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

/// PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user.
fn pg_command(bin: &Path, tool: &str) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
        c
    } else {
        Command::new(bin.join(tool))
    }
}

fn run(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

struct Server {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

impl Server {
    fn ctl(&self, args: &[&str]) {
        let mut c = pg_command(&self.bin, "pg_ctl");
        c.arg("-D").arg(&self.data).args(args);
        run(c, &format!("pg_ctl {args:?}"));
    }

    fn start(&self) {
        let log = self.data.with_extension("log");
        self.ctl(&["-l", &log.to_string_lossy(), "-w", "-t", "60", "start"]);
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

/// A primary with a synchronous standby, in a directory of its own; stopped on drop.
struct Cluster {
    dir: PathBuf,
    primary: Server,
    standby: Server,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for s in [&self.primary, &self.standby] {
            let mut c = pg_command(&s.bin, "pg_ctl");
            c.arg("-D").arg(&s.data).args(["-m", "immediate", "stop"]);
            let _ = c.output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open conf");
    f.write_all(text.as_bytes()).expect("write conf");
}

impl Cluster {
    fn start(bin: PathBuf) -> Cluster {
        let dir = std::env::temp_dir().join(format!(
            "plejeoverblik-failover-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let _ = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status();
        let (pp, sp) = (free_port(), free_port());
        let primary = Server {
            bin: bin.clone(),
            data: dir.join("primary"),
            port: pp,
        };
        let mut c = pg_command(&bin, "initdb");
        c.arg("-D").arg(&primary.data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        run(c, "initdb");
        let common = |port: u16| {
            format!(
                "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nmax_connections = 100\nfsync = off\nwal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n",
                dir.display()
            )
        };
        append(
            &primary.data.join("postgresql.conf"),
            &format!(
                "{}synchronous_standby_names = 'standby1'\nsynchronous_commit = on\n",
                common(pp)
            ),
        );
        primary.start();
        let standby = Server {
            bin: bin.clone(),
            data: dir.join("standby"),
            port: sp,
        };
        let mut c = pg_command(&bin, "pg_basebackup");
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &pp.to_string(),
            "-U",
            "postgres",
            "-X",
            "stream",
            "-R",
            "-D",
        ])
        .arg(&standby.data);
        run(c, "pg_basebackup");
        // The standby's own port and its name for synchronous_standby_names. Promoted, it has
        // no standby of its own: it must not wait for one (what Patroni does outside its strict
        // synchronous mode), so the copied setting is cleared.
        append(
            &standby.data.join("postgresql.auto.conf"),
            &format!(
                "{}primary_conninfo = 'host=127.0.0.1 port={pp} user=postgres application_name=standby1'\nsynchronous_standby_names = ''\n",
                common(sp)
            ),
        );
        standby.start();
        Cluster {
            dir,
            primary,
            standby,
        }
    }
}

/// A TCP proxy whose target the test switches; a switch cuts every open connection.
struct Proxy {
    port: u16,
    target: Arc<AtomicU16>,
    conns: Arc<Mutex<JoinSet<()>>>,
    _accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let target = Arc::new(AtomicU16::new(target));
        let conns: Arc<Mutex<JoinSet<()>>> = Arc::default();
        let (t, c) = (target.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let port = t.load(Ordering::SeqCst);
                c.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .spawn(async move {
                        if let Ok(mut out) = TcpStream::connect(("127.0.0.1", port)).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                        }
                    });
            }
        });
        Proxy {
            port,
            target,
            conns,
            _accept: accept,
        }
    }

    fn switch(&self, port: u16) {
        self.target.store(port, Ordering::SeqCst);
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .abort_all();
    }
}

async fn sync_standby(primary: &sea_orm::DatabaseConnection) -> bool {
    use sea_orm::{ConnectionTrait, Statement};
    primary
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT 1 AS ok FROM pg_stat_replication WHERE application_name = 'standby1' AND sync_state = 'sync' AND state = 'streaming'",
        ))
        .await
        .is_ok_and(|r| r.is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failover_loses_no_acknowledged_write() {
    if std::env::var("PLEJEOVERBLIK_TEST_POSTGRES_URL").is_err() {
        if std::env::var("PLEJEOVERBLIK_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
            panic!("PostgreSQL required");
        }
        eprintln!("note: failover test skipped (PostgreSQL not configured)");
        return;
    }
    let Some(bin) = bindir() else {
        panic!("the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not on this machine");
    };
    let cluster = Cluster::start(bin);
    use sea_orm::ConnectionTrait;
    let admin = sea_orm::Database::connect(cluster.primary.url("postgres"))
        .await
        .expect("primary");
    admin
        .execute_unprepared("CREATE DATABASE plejeoverblik")
        .await
        .expect("create database");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sync_standby(&admin).await {
        assert!(
            Instant::now() < deadline,
            "the standby never became synchronous"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = admin.close().await;

    let proxy = Proxy::start(cluster.primary.port).await;
    let url = format!("postgres://postgres@127.0.0.1:{}/plejeoverblik", proxy.port);
    let a = TestApp::on_url(url.clone(), Db::Postgres, Default::default()).await;
    let b = TestApp::on_url(url.clone(), Db::Postgres, Default::default()).await;
    let enhed = create_enhed(
        &a,
        "PLEJEENHED",
        "Failoverhjemmet",
        "90000001",
        55.64,
        12.08,
    )
    .await;
    let doa = a.token(
        Role::Driftsoverenskomstansvarlig,
        &kommune_cvr(ROSKILDE),
        "doa-roskilde",
    );

    // Writers on both instances and searchers, until told to stop. Every acknowledged
    // agreement is remembered with its name; every error's code is counted.
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let codes: Arc<Mutex<Vec<String>>> = Arc::default();
    let last_ok = Arc::new(Mutex::new(None::<Instant>));
    let mut load = JoinSet::new();
    for w in 0..4 {
        let (addr, stop, acked, codes, last_ok, doa, enhed) = (
            if w % 2 == 0 {
                a.addr.clone()
            } else {
                b.addr.clone()
            },
            stop.clone(),
            acked.clone(),
            codes.clone(),
            last_ok.clone(),
            doa.clone(),
            enhed.clone(),
        );
        load.spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client");
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let navn = format!("Failover {w}-{i}");
                let r = http
                    .post(format!("{addr}/graphql"))
                    .bearer_auth(&doa)
                    .json(&json!({
                        "query": "mutation($i: CreateServiceleveranceInput!) { createServiceleverance(input: $i) { id navn } }",
                        "variables": { "i": { "navn": navn, "enhedId": enhed, "type": "DRIFTSOVERENSKOMST", "startdato": "2026-01-01" } }
                    }))
                    .send()
                    .await;
                let v: Value = match r {
                    Ok(r) => r.json().await.unwrap_or(Value::Null),
                    Err(e) => {
                        codes.lock().unwrap_or_else(|e| e.into_inner()).push(format!("transport: {e}"));
                        continue;
                    }
                };
                match v["data"]["createServiceleverance"]["id"].as_str() {
                    Some(id) => {
                        acked.lock().unwrap_or_else(|e| e.into_inner()).push((id.to_string(), navn));
                        *last_ok.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                    }
                    None => {
                        let code = v["errors"][0]["extensions"]["code"].as_str().unwrap_or("?").to_string();
                        codes.lock().unwrap_or_else(|e| e.into_inner()).push(code);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        });
    }
    for s in 0..2 {
        let (addr, stop, codes) = (
            if s == 0 {
                a.addr.clone()
            } else {
                b.addr.clone()
            },
            stop.clone(),
            codes.clone(),
        );
        load.spawn(async move {
            let http = reqwest::Client::new();
            while !stop.load(Ordering::SeqCst) {
                let v: Value = match http
                    .post(format!("{addr}/graphql"))
                    .json(&json!({ "query": "{ search(kommune: \"0265\", first: 5) { totalCount } }" }))
                    .send()
                    .await
                {
                    Ok(r) => r.json().await.unwrap_or(Value::Null),
                    Err(_) => continue,
                };
                if v["data"]["search"]["totalCount"].is_null() {
                    let code = v["errors"][0]["extensions"]["code"].as_str().unwrap_or("?").to_string();
                    codes.lock().unwrap_or_else(|e| e.into_inner()).push(code);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before_kill = acked.lock().unwrap_or_else(|e| e.into_inner()).len();
    assert!(before_kill > 0, "writes went through before the failover");

    // The primary dies; the standby is promoted and the proxy points at it.
    cluster.primary.ctl(&["-m", "immediate", "stop"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    cluster.standby.ctl(&["-w", "promote"]);
    proxy.switch(cluster.standby.port);
    let promoted = Instant::now();

    // Writes come back within a few seconds of the promotion.
    let deadline = promoted + Duration::from_secs(15);
    loop {
        let ok = *last_ok.lock().unwrap_or_else(|e| e.into_inner());
        if ok.is_some_and(|t| t > promoted) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no write succeeded within 15 s of the promotion: {:?}",
            codes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .rev()
                .take(10)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let back_after = promoted.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    while load.join_next().await.is_some() {}

    // Requests during the switch were refused as UNAVAILABLE: never INTERNAL, never a timeout,
    // never another answer.
    let codes = codes.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for c in &codes {
        assert!(
            c == "UNAVAILABLE",
            "a request during the failover got {c} (all: {codes:?})"
        );
    }

    // Every acknowledged write is on the new primary.
    let acked = acked.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let new_primary = sea_orm::Database::connect(cluster.standby.url("plejeoverblik"))
        .await
        .expect("new primary");
    use sea_orm::Statement;
    let rows = new_primary
        .query_all_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT id, navn FROM serviceleverance",
        ))
        .await
        .expect("rows");
    // Names are unique per write ("Failover <writer>-<n>").
    let stored: std::collections::HashSet<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "navn").ok())
        .collect();
    let missing: Vec<&(String, String)> = acked
        .iter()
        .filter(|(_, navn)| !stored.contains(navn))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes are not on the new primary: {missing:?}",
        missing.len(),
        acked.len()
    );

    // The read model follows the new primary: an agreement written through one instance is in
    // the other's search (its notifications or its version check resumed).
    let id = create_agreement(
        &a,
        ROSKILDE,
        &enhed,
        "DRIFTSOVERENSKOMST",
        "2026-01-01",
        None,
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let d = b
            .ok(None, "{ search(kommune: \"0265\", first: 100, text: \"Failoverhjemmet\") { totalCount } }", json!({}))
            .await;
        let a_count = a
            .ok(None, "{ search(kommune: \"0265\", first: 100, text: \"Failoverhjemmet\") { totalCount } }", json!({}))
            .await;
        if d == a_count && d["search"]["totalCount"].as_i64() > Some(0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "instance b never saw {id}: {d} vs {a_count}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "failover: {} writes acknowledged ({} before the kill), {} refused during the switch, writes back {:.2} s after the promotion",
        acked.len(),
        before_kill,
        codes.len(),
        back_after.as_secs_f64()
    );
}
