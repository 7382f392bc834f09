//! The classifier end to end through the API on the real MiniLM weights: a template dataset, a first champion,
//! /classify with spans and model metadata, a weak challenger rejected, manual promotion and rollback.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::{temp_dir, TestServer};

const POSTS: &[&str] = &[
    "We finally planted the tomatoes this weekend. The seedlings had been sulking on the windowsill for weeks, but once they were in the raised bed they perked up within two days.",
    "Our bread experiments continue. This week the dough sat in the fridge overnight, and the crust came out darker and far more crackly than anything we managed in the spring.",
    "The train across the mountains took most of the day. I read half a novel, ate too many crisps and watched the snow line creep lower with every tunnel we came out of.",
    "I replaced the washer in the bathroom tap and it stopped dripping at last. The whole job took twenty minutes, most of which was spent finding the right spanner.",
    "Running in the rain is underrated. The paths were empty, the air smelled of wet leaves, and I came home soaked but happier than I had been all week.",
    "The library sale was dangerous for my shelves. I came home with a stack of old travel guides, two cookbooks and a paperback thriller with a cracked spine.",
    "Our old dog has discovered the sofa cushions. Every morning we find the biggest one on the floor and the dog asleep on it, looking entirely innocent.",
    "We tried to cut the grocery bill this month by planning every meal on Sunday. It worked better than expected, and the freezer is finally organised.",
    "The new keyboard arrived and I spent an evening swapping keycaps. The switches are quieter than the old ones, which the rest of the household appreciates.",
    "Autumn on the allotment means endless squash. We have roasted it, souped it and stuffed it, and there are still six of them lined up in the shed.",
    "I finally learned to sharpen kitchen knives properly. A cheap whetstone, a bit of patience and a video or two, and the old chef's knife cuts like new.",
    "The kids built a cardboard castle in the living room that now takes up half the floor. We have been told it must stay until at least the end of the holidays.",
];

const PII_TEXT: &str = "Thanks for all the messages about the garden. You can email me at nadia.okafor@fastmail.com or call me on +44 7700 900123, and my neighbour Tomasz Wiśniewski says hello.";
const CLEAN_TEXT: &str = "The garden is doing well this year. The beans climbed the whole frame and the courgettes are, as always, completely out of control.";

fn wait_ok(s: &TestServer, job: &Value) -> Value {
    let j = s.wait_job(job["job_id"].as_str().unwrap(), Duration::from_secs(1500));
    assert_eq!(j["state"], "succeeded", "{j}");
    j
}

#[test]
fn train_classify_reject_promote_and_rollback() {
    let dir = temp_dir("classify");
    let s = TestServer::start(&dir, &[], &[]);
    let (st, b) = s.post("/classify", &json!({"text": CLEAN_TEXT}));
    assert_eq!(st, 503, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("no model"), "{b}");

    let (st, b) = s.post("/datasets", &json!({"posts_inline": POSTS, "size": 240, "seed": 1, "use_llm": false}));
    assert_eq!(st, 202, "{b}");
    let ds = b["dataset_id"].as_str().unwrap().to_string();
    wait_ok(&s, &b);

    // A deliberately weak first model (one optimizer step) becomes champion: there is nothing to beat.
    let (_, b) = s.post("/train", &json!({"dataset_id": ds, "max_steps": 1, "max_len": 128, "seed": 2}));
    let j = wait_ok(&s, &b);
    let weak = j["result"]["model_id"].as_str().unwrap().to_string();
    assert_eq!(j["result"]["promoted"], true, "{j}");
    assert!(j["result"]["reason"].as_str().unwrap().contains("first model"), "{j}");

    // A properly trained challenger beats it on the fixed promotion set and is promoted.
    let (st, b) = s.post("/train", &json!({"dataset_id": ds, "epochs": 5, "lr": 1e-4, "batch_size": 8, "max_len": 128, "seed": 1}));
    assert_eq!(st, 202, "{b}");
    let j = wait_ok(&s, &b);
    let good = j["result"]["model_id"].as_str().unwrap().to_string();
    assert_eq!(j["result"]["promoted"], true, "{j}");
    assert!(j["result"]["reason"].as_str().unwrap().starts_with("promoted:"), "{j}");
    let v = &j["result"]["verdict"];
    assert!(v["records"].as_u64().unwrap() >= 500, "{v}");
    assert!(v["margin"].as_f64().unwrap() >= v["margin_ci95"][0].as_f64().unwrap(), "{v}");
    eprintln!("trained model: {}", j["result"]);

    let (st, c) = s.post("/classify", &json!({"texts": [PII_TEXT, CLEAN_TEXT]}));
    assert_eq!(st, 200, "{c}");
    eprintln!("classify: {c}");
    assert_eq!(c["model"]["id"], good.as_str());
    assert_eq!(c["model"]["version"], 2);
    assert!(c["model"]["metrics"]["f1"].is_number());
    // int8 is the default wherever the CPU has the kernel (AVX-512 VNNI or AVX2); elsewhere the same model serves in f32.
    let precision = if blogbot_classifier::int8::QuantLinear::cpu_supported() { "int8" } else { "f32" };
    assert_eq!(c["model"]["precision"], precision, "{c}");
    let pii = &c["results"][0];
    assert_eq!(pii["violation"], true, "{pii}");
    let chars: Vec<char> = PII_TEXT.chars().collect();
    let mut found = Vec::new();
    for sp in pii["spans"].as_array().unwrap() {
        let (a, b) = (sp["start"].as_u64().unwrap() as usize, sp["end"].as_u64().unwrap() as usize);
        assert_eq!(chars[a..b].iter().collect::<String>(), sp["text"].as_str().unwrap());
        found.push((sp["type"].as_str().unwrap().to_string(), sp["text"].as_str().unwrap().to_string()));
    }
    // Where: the three values are found as spans. (Span types from this small, short training run are not
    // reliable yet; typed quality is measured on the full evaluation, see the README.)
    for want in ["nadia.okafor@fastmail.com", "7700 900123", "Wiśniewski"] {
        assert!(found.iter().any(|(_, v)| v.contains(want)), "{want} not found in {found:?}");
    }
    assert!(!pii["types"].as_array().unwrap().is_empty());
    assert_eq!(c["results"][1]["violation"], false, "{}", c["results"][1]);

    // Another weak challenger is rejected; the champion keeps serving.
    let (_, b) = s.post("/train", &json!({"dataset_id": ds, "max_steps": 1, "max_len": 128, "seed": 3}));
    let j = wait_ok(&s, &b);
    let weak2 = j["result"]["model_id"].as_str().unwrap().to_string();
    assert_eq!(j["result"]["promoted"], false, "{j}");
    let (_, c) = s.post("/classify", &json!({"text": PII_TEXT}));
    assert_eq!(c["model"]["id"], good.as_str());

    let (_, m) = s.get("/models");
    assert_eq!(m["aliases"]["champion"], good.as_str());
    assert_eq!(m["aliases"]["challenger"], weak2.as_str());
    let kinds: Vec<&str> = m["decisions"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["rejected", "promoted", "promoted"], "{m}");
    assert_eq!(m["decisions"][1]["previous_champion"], weak.as_str());
    assert!(m["decisions"][0]["reason"].as_str().unwrap().starts_with("rejected:"), "{m}");

    // Manual promotion, then rollback to the previous champion; both recorded.
    let (st, p) = s.post(&format!("/models/{weak}/promote"), &json!({}));
    assert_eq!(st, 200, "{p}");
    assert_eq!(s.post("/classify", &json!({"text": CLEAN_TEXT})).1["model"]["id"], weak.as_str());
    let (st, r) = s.post("/models/rollback", &json!({}));
    assert_eq!(st, 200, "{r}");
    assert_eq!(s.post("/classify", &json!({"text": CLEAN_TEXT})).1["model"]["id"], good.as_str());
    let (_, m) = s.get("/models");
    let kinds: Vec<&str> = m["decisions"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["rollback", "manual", "rejected", "promoted", "promoted"]);
    let (st, one) = s.get(&format!("/models/{good}"));
    assert_eq!(st, 200);
    assert!(one["metrics"]["report"]["test"]["baseline"]["binary"]["f1"].is_number(), "baseline beside the model");

    // Bad input.
    for body in [json!({}), json!({"texts": []}), json!({"text": "a", "texts": ["b"]}), json!({"texts": vec!["x"; 65]}), json!({"text": ""})] {
        let (st, e) = s.post("/classify", &body);
        assert_eq!(st, 400, "{body} -> {e}");
        assert!(e["error"]["code"].is_string());
    }
    assert_eq!(s.post("/train", &json!({"dataset_id": "ds-none"})).0, 404);
    assert_eq!(s.post("/train", &json!({"dataset_id": ds, "epochs": 0})).0, 400);
    assert_eq!(s.post("/models/m-none/promote", &json!({})).0, 404);
    assert_eq!(s.get("/models/m-none").0, 404);

    // The champion survives a restart.
    drop(s);
    let s = TestServer::start(&dir, &[], &[]);
    assert_eq!(s.get("/ready").1["classifier"]["id"], good.as_str());
    assert_eq!(s.post("/classify", &json!({"text": PII_TEXT})).1["results"][0]["violation"], true);
}
