//! The `plejeoverblik` binary: serve prints the playground URL and stops cleanly on SIGTERM;
//! token prints a token on its last line; export-schema --check.
use std::io::{BufRead, BufReader};
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

#[test]
fn serve_prints_the_playground_url_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("plejeoverblik-serve-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("s.db").display());
    let mut child = Command::new(BIN)
        .args([
            "--database-url",
            &url,
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--no-demo-data",
        ])
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
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            assert!(s.success(), "clean exit: {s:?}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
