//! The release server as the benchmarks start it: a child process on a fresh SQLite file and a
//! free port, its base URL read from the line it prints, its memory and CPU read from `/proc`,
//! killed when dropped. Shared by `benches/bounds.rs` and `benches/feed.rs`.
use anyhow::Context as _;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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

    /// Resident memory now, in KB.
    pub fn rss_kb(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
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
