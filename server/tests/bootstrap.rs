//! The staged bootstrap of a fresh data dir, on the real models (small sizes): stage 1 trains a first champion
//! without the LLM and serves it; stage 2 builds an LLM dataset and trains a challenger that the promotion rule
//! decides on. SIGKILL in either stage leaves a consistent data dir: no champion and a fresh bootstrap after a kill
//! in stage 1, the first champion serving after a kill in stage 2.

mod support;

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::{temp_dir, TestServer};

/// Small stages so the whole bootstrap runs in minutes on 2 cores.
const SMALL: [&str; 8] = ["--first-size", "60", "--first-steps", "6", "--retrain-size", "24", "--retrain-llm-share", "0.5"];

const TEXT: &str = "Write to me at lena.vogt@example.org about the garden.";

/// The bootstrap job's id and its state as `/ready` shows it.
fn bootstrap(s: &TestServer) -> (String, Value) {
    let (st, r) = s.get("/ready");
    assert_eq!(st, 200, "{r}");
    (r["bootstrap_job"].as_str().unwrap_or_else(|| panic!("no bootstrap job: {r}")).to_string(), r["bootstrap"].clone())
}

/// Polls `/ready` until the bootstrap's message contains `what`.
fn wait_stage(s: &TestServer, what: &str, limit: Duration) -> Value {
    let t = Instant::now();
    loop {
        let (_, b) = bootstrap(s);
        if b["message"].as_str().unwrap_or_default().contains(what) {
            return b;
        }
        assert!(b["state"] == "running" || b["state"] == "queued", "bootstrap ended before `{what}`: {b}");
        assert!(t.elapsed() < limit, "no `{what}` after {limit:?}: {b}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Polls `/classify` until it answers 200; returns the serving model's id.
fn wait_model(s: &TestServer, limit: Duration) -> String {
    let t = Instant::now();
    loop {
        let (st, b) = s.post("/classify", &json!({"text": TEXT}));
        if st == 200 {
            return b["model"]["id"].as_str().unwrap().to_string();
        }
        assert_eq!(st, 503, "{b}");
        assert!(b["error"].to_string().contains("bootstrap"), "{b}");
        assert!(t.elapsed() < limit, "no model after {limit:?}: {b}\n{}", s.log_text());
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn staged_bootstrap_serves_a_first_champion_then_decides_the_final_one() {
    let dir = temp_dir("bootstrap");
    let s = TestServer::start_raw(&dir, &SMALL, &[]);
    let (job, _) = bootstrap(&s);
    let first = wait_model(&s, Duration::from_secs(600));
    // The first champion answers while stage 2 runs.
    let b = wait_stage(&s, "stage 2/2, final champion", Duration::from_secs(600));
    assert_eq!(b["state"], "running", "{b}");
    let (st, c) = s.post("/classify", &json!({"text": TEXT}));
    assert_eq!((st, c["model"]["id"].as_str()), (200, Some(first.as_str())), "{c}");

    let j = s.wait_job(&job, Duration::from_secs(1200));
    assert_eq!(j["state"], "succeeded", "{j}\n{}", s.log_text());
    let r = &j["result"];
    assert_eq!(r["first"]["training"]["model_id"], first.as_str(), "{r}");
    assert_eq!(r["first"]["training"]["reason"], "first model: no champion yet", "{r}");
    assert!(r["first"]["training"]["metrics"]["promotion_set"]["combined"].as_f64().is_some(), "{r}");
    assert!(r["final"]["dataset"]["llm_records"].as_u64().is_some(), "{r}");
    let fin = &r["final"]["training"];
    let verdict = &fin["verdict"];
    assert_eq!(verdict["records"], 600, "{fin}");
    assert!(verdict["margin_ci95"][0].as_f64().unwrap() <= verdict["margin"].as_f64().unwrap(), "{fin}");
    let champion = if fin["promoted"] == true { fin["model_id"].as_str().unwrap() } else { first.as_str() };
    let (_, models) = s.get("/models");
    assert_eq!(models["aliases"]["champion"], champion, "{models}");
    let (_, c) = s.post("/classify", &json!({"text": TEXT}));
    assert_eq!(c["model"]["id"], champion, "{c}");
    // The first model's stored metrics carry its promotion-set scores too.
    let (_, m) = s.get(&format!("/models/{first}"));
    assert!(m["metrics"]["summary"]["promotion_set"]["binary_f1"].as_f64().is_some(), "{m}");
}

#[test]
fn sigkill_in_either_stage_leaves_a_consistent_data_dir() {
    let dir = temp_dir("bootstrap-kill");
    let mut s = TestServer::start_raw(&dir, &SMALL, &[]);
    let (job1, _) = bootstrap(&s);
    wait_stage(&s, "stage 1/2", Duration::from_secs(300));
    s.kill();

    // Killed in stage 1: no champion, so a new bootstrap starts and the old job is failed.
    let mut s = TestServer::start_raw(&dir, &SMALL, &[]);
    let (job2, _) = bootstrap(&s);
    assert_ne!(job1, job2);
    let (_, j) = s.get(&format!("/jobs/{job1}"));
    assert_eq!(j["state"], "failed", "{j}");
    assert!(j["message"].as_str().unwrap().contains("interrupted"), "{j}");
    let first = wait_model(&s, Duration::from_secs(600));
    wait_stage(&s, "stage 2/2", Duration::from_secs(600));
    s.kill();

    // Killed in stage 2: the first champion serves, no new bootstrap, the job is failed with its stage.
    let s = TestServer::start_raw(&dir, &SMALL, &[]);
    let (_, r) = s.get("/ready");
    assert!(r["bootstrap_job"].is_null(), "{r}");
    let (st, c) = s.post("/classify", &json!({"text": TEXT}));
    assert_eq!((st, c["model"]["id"].as_str()), (200, Some(first.as_str())), "{c}");
    let (_, j) = s.get(&format!("/jobs/{job2}"));
    assert_eq!(j["state"], "failed", "{j}");
    assert!(j["message"].as_str().unwrap().contains("stage 2/2"), "the failed job should name its stage: {j}");
    let (_, models) = s.get("/models");
    let ids: Vec<&str> = models["models"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![first.as_str()], "{models}");
    let conn = rusqlite::Connection::open(dir.join("blogbot.sqlite")).unwrap();
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
}
