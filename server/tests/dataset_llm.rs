//! A 200-record dataset from the embedded corpus with the real SmolLM2, through the CLI (the same code path as
//! POST /datasets): every span checked, the LLM acceptance rate measured.

mod support;

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::process::Command;
use support::{assert_spans_slice, repo_root, temp_dir, weights_dir};

#[test]
fn cli_builds_200_valid_records_with_the_llm() {
    let out = temp_dir("ds200").join("dataset");
    let run = Command::new(env!("CARGO_BIN_EXE_blogbot-server"))
        .current_dir(repo_root())
        .args(["--weights", weights_dir().to_str().unwrap()])
        .args(["generate", "--posts", "data/sample-posts", "--size", "200", "--seed", "2026", "--out"])
        .arg(&out)
        .output()
        .expect("run generate");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&run.stdout).expect("report JSON on stdout");

    let mut n = 0;
    let mut by_method: HashMap<String, usize> = HashMap::new();
    let mut split_sources: Vec<HashSet<String>> = Vec::new();
    let mut values = HashSet::new();
    let mut spans_total = 0;
    for split in ["train", "validation", "test"] {
        let mut roots = HashSet::new();
        for line in std::fs::read_to_string(out.join(format!("{split}.jsonl"))).unwrap().lines() {
            let r: Value = serde_json::from_str(line).unwrap();
            let text = r["text"].as_str().unwrap();
            assert_spans_slice(text, &r["spans"]);
            let spans = r["spans"].as_array().unwrap();
            assert_eq!(r["label"].as_u64().unwrap() == 1, !spans.is_empty());
            for s in spans {
                values.insert(s["value"].as_str().unwrap().to_string());
                spans_total += 1;
            }
            *by_method.entry(r["method"].as_str().unwrap().to_string()).or_default() += 1;
            roots.insert(r["source_id"].as_str().unwrap().split('#').next().unwrap().to_string());
            assert_eq!(r["generator"]["model_id"], "SmolLM2-135M-Instruct.Q8_0");
            n += 1;
        }
        split_sources.push(roots);
    }
    assert_eq!(n, 200);
    for i in 0..3 {
        for j in i + 1..3 {
            assert!(split_sources[i].is_disjoint(&split_sources[j]), "a source post is in two splits");
        }
    }
    // Sampled values are diverse, not the prototype's repeated "Jane Doe".
    assert!(values.len() * 10 >= spans_total * 9, "{} distinct of {spans_total}", values.len());
    let rate = report["llm"]["acceptance_rate"].as_f64().unwrap();
    eprintln!(
        "200 records: methods {by_method:?}, LLM acceptance {:.1}% ({} of {} records), {:.1} records/min, {:.1} LLM tok/s, rejections {}",
        rate * 100.0,
        report["llm"]["records_accepted"],
        report["llm"]["records_tried"],
        report["records_per_minute"].as_f64().unwrap(),
        report["llm"]["tokens_per_second"].as_f64().unwrap(),
        report["llm"]["rejections"]
    );
    assert!(by_method.get("llm").copied().unwrap_or(0) > 0);
    assert!(rate >= 0.6, "LLM acceptance rate {rate} too low; rejections {}", report["llm"]["rejections"]);
}
