//! The release server as the benchmarks start it: a child process on a fresh SQLite file and a
//! free port, its base URL read from the line it prints, its memory and CPU read from `/proc`,
//! killed when dropped. Shared by `benches/bounds.rs`, `benches/feed.rs` and `benches/load.rs`.
use anyhow::Context as _;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The release binary (`PLEJEOVERBLIK_BIN` or `target/release/plejeoverblik`), which must exist.
pub fn release_bin() -> anyhow::Result<String> {
    let bin = std::env::var("PLEJEOVERBLIK_BIN").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/plejeoverblik").to_string()
    });
    anyhow::ensure!(
        std::path::Path::new(&bin).exists(),
        "{bin} is missing: run `cargo build --release` first (or set PLEJEOVERBLIK_BIN)"
    );
    Ok(bin)
}

/// A number from the environment, or the default when unset or not a number.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The machine's load average (1, 5 and 15 minutes), for a run's conditions.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
}

impl Server {
    /// `serve` on `db_url` with `extra` flags.
    pub fn start(bin: &str, db_url: &str, extra: &[&str]) -> anyhow::Result<Server> {
        let mut child = Command::new(bin)
            .args(["--database-url", db_url, "serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("start {bin}"))?;
        let out = child.stdout.take().context("stdout")?;
        let mut line = String::new();
        BufReader::new(out).read_line(&mut line)?;
        let base = line
            .split("Playground: ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .map(|s| s.trim_end_matches('/').to_string())
            .context("the server's URL")?;
        Ok(Server { child, base })
    }

    /// The GraphQL endpoint.
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.base)
    }

    /// utime + stime of the server process, in seconds.
    pub fn cpu(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name in parentheses; utime and stime are 14 and 15.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 = f.get(11).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0)
            + f.get(12).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
        ticks / 100.0
    }

    /// The most resident memory so far, in MB.
    pub fn peak_rss_mb(&self) -> f64 {
        self.status_kb("VmHWM:") / 1024.0
    }

    fn status_kb(&self, field: &str) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
    }

    /// Resident memory now, in KB.
    pub fn rss_kb(&self) -> f64 {
        self.status_kb("VmRSS:")
    }

    /// Resident memory now, in MB.
    pub fn rss_mb(&self) -> f64 {
        self.rss_kb() / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
