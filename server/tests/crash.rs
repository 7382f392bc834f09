//! Crash safety of dataset builds: SIGKILL mid-build, restart, and check nothing half-made is visible.

mod support;

use serde_json::json;
use std::time::{Duration, Instant};
use support::{temp_dir, TestServer};

#[test]
fn killed_build_leaves_no_dataset_and_its_job_is_failed_after_restart() {
    let dir = temp_dir("crash");
    let mut s = TestServer::start(&dir, &[], &[]);
    let (st, b) = s.post("/datasets", &json!({"size": 400, "seed": 9}));
    assert_eq!(st, 202, "{b}");
    let job_id = b["job_id"].as_str().unwrap().to_string();
    let ds_id = b["dataset_id"].as_str().unwrap().to_string();
    // Wait until the build has made some records, then kill -9.
    let t = Instant::now();
    loop {
        let (_, j) = s.get(&format!("/jobs/{job_id}"));
        if j["state"] == "running" && j["progress"].as_f64().unwrap_or(0.0) > 0.0 {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(300), "build never progressed: {j}");
        std::thread::sleep(Duration::from_millis(200));
    }
    s.kill();
    // A half-written dataset, as if the kill had landed during the write.
    std::fs::create_dir_all(dir.join("datasets").join(format!(".tmp-{ds_id}"))).unwrap();
    std::fs::write(dir.join("datasets").join(format!(".tmp-{ds_id}")).join("train.jsonl"), "{\"partial\n").unwrap();

    let s = TestServer::start(&dir, &[], &[]);
    let (st, j) = s.get(&format!("/jobs/{job_id}"));
    assert_eq!(st, 200);
    assert_eq!(j["state"], "failed", "{j}");
    assert!(j["message"].as_str().unwrap().contains("interrupted"), "{j}");
    assert_eq!(s.get(&format!("/datasets/{ds_id}")).0, 404);
    assert_eq!(s.get("/datasets").1["datasets"].as_array().unwrap().len(), 0);
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("datasets")).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(leftovers.is_empty(), "left in datasets/: {leftovers:?}");
    // The server still builds datasets after the crash.
    let (st, b) = s.post("/datasets", &json!({"size": 6, "seed": 2}));
    assert_eq!(st, 202);
    let j = s.wait_job(b["job_id"].as_str().unwrap(), Duration::from_secs(300));
    assert_eq!(j["state"], "succeeded", "{j}");
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let mut s = TestServer::start(&temp_dir("sigterm"), &[], &[]);
    let status = s.terminate();
    assert!(status.success(), "exit status {status}\n{}", s.log_text());
}

/// Trains a quick first champion on a small template dataset; returns (dataset id, champion id).
fn first_champion(s: &TestServer) -> (String, String) {
    let (st, b) = s.post("/datasets", &json!({"size": 60, "seed": 4, "use_llm": false}));
    assert_eq!(st, 202, "{b}");
    let j = s.wait_job(b["job_id"].as_str().unwrap(), Duration::from_secs(300));
    assert_eq!(j["state"], "succeeded", "{j}");
    let ds = j["result"]["dataset_id"].as_str().unwrap().to_string();
    let (st, b) = s.post("/train", &json!({"dataset_id": ds, "epochs": 1, "max_steps": 4, "max_len": 64, "batch_size": 8}));
    assert_eq!(st, 202, "{b}");
    let j = s.wait_job(b["job_id"].as_str().unwrap(), Duration::from_secs(600));
    assert_eq!(j["state"], "succeeded", "{j}");
    let id = j["result"]["model_id"].as_str().unwrap().to_string();
    (ds, id)
}

/// Starts a long training run and returns its job id once it has taken a step.
fn training_under_way(s: &TestServer, ds: &str) -> String {
    let (st, b) = s.post("/train", &json!({"dataset_id": ds, "epochs": 5, "max_len": 128, "batch_size": 8}));
    assert_eq!(st, 202, "{b}");
    let job = b["job_id"].as_str().unwrap().to_string();
    let t = Instant::now();
    loop {
        let (_, j) = s.get(&format!("/jobs/{job}"));
        if j["state"] == "running" && j["message"].as_str().unwrap_or_default().contains("step") {
            return job;
        }
        assert!(t.elapsed() < Duration::from_secs(300), "training never stepped: {j}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn classify_model_id(s: &TestServer) -> String {
    let (st, b) = s.post("/classify", &json!({"text": "Write to me at lena.vogt@example.org about the garden."}));
    assert_eq!(st, 200, "{b}");
    b["model"]["id"].as_str().unwrap().to_string()
}

#[test]
fn killed_training_keeps_the_champion_and_leaves_no_model() {
    let dir = temp_dir("crash-train");
    let mut s = TestServer::start(&dir, &[], &[]);
    let (ds, champion) = first_champion(&s);
    assert_eq!(classify_model_id(&s), champion);
    let job = training_under_way(&s, &ds);
    s.kill();
    // As if the kill had landed while the model was being written.
    std::fs::create_dir_all(dir.join("models").join(".tmp-m-killed")).unwrap();
    std::fs::write(dir.join("models").join(".tmp-m-killed").join("model.safetensors"), b"partial").unwrap();

    let s = TestServer::start(&dir, &[], &[]);
    let (_, j) = s.get(&format!("/jobs/{job}"));
    assert_eq!(j["state"], "failed", "{j}");
    assert!(j["message"].as_str().unwrap().contains("interrupted"), "{j}");
    let (_, models) = s.get("/models");
    let ids: Vec<&str> = models["models"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![champion.as_str()], "{models}");
    assert_eq!(models["aliases"]["champion"], champion.as_str(), "{models}");
    assert_eq!(classify_model_id(&s), champion, "the champion changed");
    let models_dir: Vec<String> =
        std::fs::read_dir(dir.join("models")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
    assert_eq!(models_dir, vec![champion.clone()], "left in models/");
    let ckpts = std::fs::read_dir(dir.join("checkpoints")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(ckpts, 0, "unfinished checkpoints left");
    // The database is intact.
    let conn = rusqlite::Connection::open(dir.join("blogbot.sqlite")).unwrap();
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
}

#[test]
fn sigterm_during_training_stops_the_job_and_keeps_serving_state() {
    let dir = temp_dir("sigterm-train");
    let mut s = TestServer::start(&dir, &[], &[]);
    let (ds, champion) = first_champion(&s);
    let job = training_under_way(&s, &ds);
    let status = s.terminate();
    assert!(status.success(), "exit status {status}\n{}", s.log_text());
    let s = TestServer::start(&dir, &[], &[]);
    let (_, j) = s.get(&format!("/jobs/{job}"));
    assert_eq!(j["state"], "cancelled", "a graceful stop records the job as cancelled: {j}");
    assert_eq!(classify_model_id(&s), champion);
}
