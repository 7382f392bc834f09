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
