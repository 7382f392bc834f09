//! The HTTP API end to end on the real SmolLM2 weights: probes, /generate, dataset jobs, bad input.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::{assert_spans_slice, client, temp_dir, TestServer};

const POST: &str = "We spent the weekend repainting the spare room. The old wallpaper came off in long strips, \
which was oddly satisfying. By Sunday evening the first coat was on and the room already felt bigger.";

#[test]
fn probes_and_generate_return_spans_that_slice_to_their_values() {
    let s = TestServer::start(&temp_dir("api-gen"), &[], &[]);
    let (st, h) = s.get("/health");
    assert_eq!((st, h["status"].as_str()), (200, Some("ok")));
    let (st, r) = s.get("/ready");
    assert_eq!(st, 200);
    let llm = &r["models"][0];
    assert_eq!(llm["role"], "llm");
    assert_eq!(llm["quantization"], "Q8_0");
    assert_eq!(llm["architecture"], "llama");
    assert_eq!(llm["verified_by_manifest"], true);
    assert_eq!(llm["sha256"].as_str().map(str::len), Some(64));

    let (st, g) = s.post("/generate", &json!({"text": POST, "types": ["EMAIL", "PERSON"], "n": 3, "seed": 5}));
    assert_eq!(st, 200, "{g}");
    assert_eq!(g["model"]["model_id"], "SmolLM2-135M-Instruct.Q8_0");
    let results = g["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        let text = r["text"].as_str().unwrap();
        assert_spans_slice(text, &r["spans"]);
        let mut types: Vec<&str> = r["spans"].as_array().unwrap().iter().map(|s| s["type"].as_str().unwrap()).collect();
        types.sort();
        assert_eq!(types, ["EMAIL", "PERSON"], "{r}");
        assert!(matches!(r["method"].as_str(), Some("llm" | "template")));
        // The post's own words are all still there.
        for w in POST.split_whitespace() {
            assert!(text.contains(w), "lost {w:?} in {text:?}");
        }
    }
    // Random types when none are given, still valid.
    let (st, g) = s.post("/generate", &json!({"text": POST}));
    assert_eq!(st, 200, "{g}");
    assert_spans_slice(g["results"][0]["text"].as_str().unwrap(), &g["results"][0]["spans"]);
}

fn assert_error(status: u16, body: &Value, want: u16) {
    assert_eq!(status, want, "{body}");
    assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "not a JSON error: {body}");
}

#[test]
fn bad_input_gets_a_json_4xx_and_the_server_keeps_serving() {
    let s = TestServer::start(&temp_dir("api-bad"), &[], &[]);
    let cases: Vec<(&str, Vec<u8>, &str, u16)> = vec![
        ("/generate", b"{not json".to_vec(), "application/json", 400),
        ("/generate", b"{}".to_vec(), "application/json", 400),
        ("/generate", br#"{"text": 42}"#.to_vec(), "application/json", 400),
        ("/generate", br#"{"text": "hello there", "types": ["SSN"]}"#.to_vec(), "application/json", 400),
        ("/generate", br#"{"text": "   "}"#.to_vec(), "application/json", 400),
        ("/generate", br#"{"text": "a fine post.", "n": 0}"#.to_vec(), "application/json", 400),
        ("/generate", br#"{"text": "a fine post.", "n": 9}"#.to_vec(), "application/json", 400),
        ("/generate", br#"{"text": "a fine post.", "n": -1}"#.to_vec(), "application/json", 400),
        ("/generate", br#"{"text": "a fine post.", "bogus": 1}"#.to_vec(), "application/json", 400),
        ("/generate", b"{\"text\": \"\xff\xfe bad utf8\"}".to_vec(), "application/json", 400),
        ("/generate", br#"{"text": "nul \u0000 inside"}"#.to_vec(), "application/json", 400),
        ("/generate", br#"{"text": "a fine post."}"#.to_vec(), "text/plain", 415),
        ("/datasets", br#"{"size": 0}"#.to_vec(), "application/json", 400),
        ("/datasets", br#"{"size": 10, "positive_ratio": 1.5}"#.to_vec(), "application/json", 400),
        ("/datasets", br#"{"size": 10, "posts": "/nonexistent/posts"}"#.to_vec(), "application/json", 400),
        ("/datasets", br#"{"size": 10, "posts_inline": []}"#.to_vec(), "application/json", 400),
        ("/datasets", br#"{"size": 10, "posts_inline": ["too short"]}"#.to_vec(), "application/json", 400),
    ];
    for (path, body, ct, want) in cases {
        let shown = String::from_utf8_lossy(&body).to_string();
        let (st, b) = s.post_raw(path, body, ct);
        assert_eq!(st, want, "{path} {shown}: {b}");
        assert_error(st, &b, want);
    }
    // A 1 MB text: over the text limit, under the body limit.
    let big = "word ".repeat(210_000);
    let (st, b) = s.post("/generate", &json!({"text": big}));
    assert_error(st, &b, 400);
    // A 10 MB body: over the body limit.
    let huge = format!("{{\"text\": \"{}\"}}", "x".repeat(10 * 1024 * 1024));
    let (st, b) = s.post_raw("/generate", huge.into_bytes(), "application/json");
    assert_error(st, &b, 413);
    // Deeply nested JSON.
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (st, b) = s.post_raw("/generate", nested.into_bytes(), "application/json");
    assert_error(st, &b, 400);

    let (st, b) = s.get("/jobs/job-doesnotexist");
    assert_error(st, &b, 404);
    let (st, b) = s.delete("/jobs/job-doesnotexist");
    assert_error(st, &b, 404);
    let (st, b) = s.get("/datasets/ds-nope");
    assert_error(st, &b, 404);
    let (st, b) = s.get("/no/such/route");
    assert_error(st, &b, 404);
    assert_eq!(s.get("/health").0, 200);
    assert_eq!(s.post("/generate", &json!({"text": POST, "types": ["PHONE"]})).0, 200);
}

#[test]
fn dataset_job_builds_registers_and_cancels() {
    let s = TestServer::start(&temp_dir("api-ds"), &[], &[]);
    let (st, b) = s.post("/datasets", &json!({"size": 16, "seed": 3, "positive_ratio": 0.5}));
    assert_eq!(st, 202, "{b}");
    let (job_id, ds_id) = (b["job_id"].as_str().unwrap().to_string(), b["dataset_id"].as_str().unwrap().to_string());
    let job = s.wait_job(&job_id, Duration::from_secs(600));
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["kind"], "dataset");
    assert_eq!(job["progress"], 1.0);
    assert_eq!(job["result"]["dataset_id"], ds_id.as_str());

    let (st, d) = s.get(&format!("/datasets/{ds_id}"));
    assert_eq!(st, 200, "{d}");
    let report = &d["report"];
    assert_eq!(report["size"], 16);
    let labels: u64 = report["by_label"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(labels, 16);
    assert!(report["llm"]["acceptance_rate"].is_number());
    for split in ["train", "validation", "test"] {
        assert!(report["splits"][split]["records"].is_number(), "{report}");
        let text = std::fs::read_to_string(std::path::Path::new(d["path"].as_str().unwrap()).join(format!("{split}.jsonl"))).unwrap();
        for line in text.lines() {
            let r: Value = serde_json::from_str(line).unwrap();
            assert_spans_slice(r["text"].as_str().unwrap(), &r["spans"]);
            assert_eq!(r["label"].as_u64().unwrap() == 1, !r["spans"].as_array().unwrap().is_empty());
        }
    }
    let (_, list) = s.get("/datasets");
    assert!(list["datasets"].as_array().unwrap().iter().any(|x| x["id"] == ds_id.as_str()));
    // A finished job cannot be cancelled.
    let (st, _) = s.delete(&format!("/jobs/{job_id}"));
    assert_eq!(st, 409);

    // Cancel a long build: no dataset appears.
    let (st, b) = s.post("/datasets", &json!({"size": 5000, "seed": 4}));
    assert_eq!(st, 202);
    let (cid, cds) = (b["job_id"].as_str().unwrap().to_string(), b["dataset_id"].as_str().unwrap().to_string());
    std::thread::sleep(Duration::from_millis(1500));
    let (st, b) = s.delete(&format!("/jobs/{cid}"));
    assert_eq!(st, 202, "{b}");
    let job = s.wait_job(&cid, Duration::from_secs(120));
    assert_eq!(job["state"], "cancelled", "{job}");
    assert_eq!(s.get(&format!("/datasets/{cds}")).0, 404);
    assert!(!s.data_dir.join("datasets").join(&cds).exists());
    let (_, jobs) = s.get("/jobs");
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 2);
    drop(client());
}
