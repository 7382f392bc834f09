//! Test support: start the real `blogbot-server` binary on a free port with its own data dir, wait until it is
//! ready, and kill it when the handle drops.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

pub fn weights_dir() -> PathBuf {
    repo_root().join("weights")
}

/// A free TCP port on loopback (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind :0").local_addr().expect("addr").port()
}

/// A fresh, empty folder under the target dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let d = repo_root()
        .join("target")
        .join("test-state")
        .join(format!("{tag}-{}-{}", std::process::id(), rand_suffix()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(Instant::now().elapsed().as_nanos() as u64);
    h.finish() % 1_000_000
}

pub struct TestServer {
    pub child: Child,
    pub base: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub log: PathBuf,
}

impl TestServer {
    /// Starts the server without the bootstrap job (tests train explicitly), with `extra` serve args and env;
    /// waits up to 120 s for `/ready`.
    pub fn start(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> TestServer {
        let mut args = vec!["--no-bootstrap"];
        args.extend_from_slice(extra);
        Self::start_raw(data_dir, &args, env)
    }

    /// Starts the server with exactly `extra` as serve args.
    pub fn start_raw(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> TestServer {
        Self::start_on("127.0.0.1", data_dir, extra, env)
    }

    /// Starts the server bound to `ip` (`base` still points at loopback).
    pub fn start_on(ip: &str, data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> TestServer {
        let port = free_port();
        let log = data_dir.with_extension("log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_blogbot-server"));
        cmd.current_dir(repo_root())
            .args(["--weights", weights_dir().to_str().unwrap(), "--data-dir", data_dir.to_str().unwrap()])
            .args(["serve", "--bind", &format!("{ip}:{port}")])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn blogbot-server");
        let mut s = TestServer { child, base: format!("http://127.0.0.1:{port}"), port, data_dir: data_dir.to_path_buf(), log };
        s.wait_ready(Duration::from_secs(120));
        s
    }

    fn wait_ready(&mut self, limit: Duration) {
        let t = Instant::now();
        while t.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("server exited with {status} before ready:\n{}", self.log_text());
            }
            if let Ok(r) = client().get(self.url("/ready")).send() {
                if r.status().is_success() {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server not ready after {limit:?}:\n{}", self.log_text());
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let r = client().get(self.url(path)).send().expect("GET");
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = client().post(self.url(path)).json(body).send().expect("POST");
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    /// POSTs raw bytes with a content type.
    pub fn post_raw(&self, path: &str, body: Vec<u8>, content_type: &str) -> (u16, Value) {
        let r = client()
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .expect("POST raw");
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        let r = client().delete(self.url(path)).send().expect("DELETE");
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    /// Polls a job until it reaches a final state.
    pub fn wait_job(&self, id: &str, limit: Duration) -> Value {
        let t = Instant::now();
        loop {
            let (status, job) = self.get(&format!("/jobs/{id}"));
            assert_eq!(status, 200, "{job}");
            if matches!(job["state"].as_str(), Some("succeeded" | "failed" | "cancelled")) {
                return job;
            }
            assert!(t.elapsed() < limit, "job {id} not finished after {limit:?}: {job}");
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        self.child.wait().expect("wait")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(300)).build().expect("client")
}

/// Asserts every span of a record-like JSON object slices its text (code points) to its value.
pub fn assert_spans_slice(text: &str, spans: &Value) {
    let chars: Vec<char> = text.chars().collect();
    for s in spans.as_array().expect("spans array") {
        let (a, b) = (s["start"].as_u64().unwrap() as usize, s["end"].as_u64().unwrap() as usize);
        let got: String = chars[a..b].iter().collect();
        let want = s["value"].as_str().or_else(|| s["text"].as_str()).unwrap();
        assert_eq!(got, want, "span {s} in {text:?}");
    }
}
