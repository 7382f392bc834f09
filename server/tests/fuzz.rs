//! Hostile input against every JSON route of the real server, generated with proptest: arbitrary JSON, objects
//! with each route's own field names holding values of every type, and raw bodies (invalid UTF-8, NUL and
//! control bytes, deep nesting, huge numbers, wrong content types). For each input: no 5xx but the documented
//! `unavailable`/`timeout` ones, a well-formed JSON error for every 4xx, and the server still up.
//!
//! `BLOGBOT_FUZZ_CASES` sets the number of inputs (default 3,000 in CI; the README quotes a 100,000 run).

mod support;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Value};
use support::{temp_dir, TestServer};

/// Routes with a body, and the fields their handlers know.
const ROUTES: &[(&str, &str, &[&str])] = &[
    ("POST", "/classify", &["text", "texts"]),
    ("POST", "/generate", &["text", "types", "n", "seed"]),
    ("POST", "/datasets", &["posts", "posts_inline", "size", "positive_ratio", "seed", "types", "use_llm"]),
    ("POST", "/train", &["dataset_id", "epochs", "lr", "batch_size", "seed", "max_len", "max_steps"]),
    ("POST", "/retrain", &["size", "seed"]),
    ("POST", "/models/rollback", &[]),
    ("POST", "/models/{id}/promote", &[]),
    ("DELETE", "/jobs/{id}", &[]),
    ("GET", "/jobs/{id}", &[]),
    ("GET", "/models/{id}", &[]),
    ("GET", "/datasets/{id}", &[]),
    (
        "POST",
        "/v1/chat/completions",
        &["model", "messages", "max_tokens", "temperature", "top_p", "seed", "stop", "n", "stream", "response_format"],
    ),
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        "[\\x00-\\x1f\\u{7f}-\\u{9f}\\u{fffd}\\u{1F600}\\u{4e2d}]{0,20}".prop_map(Value::String),
        Just(Value::String(String::new())),
        Just(Value::String("   ".into())),
        Just(Value::String("x".repeat(25_000))),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(1e308)),
        Just(json!(u64::MAX)),
        Just(json!(["EMAIL", "PHONE"])),
        Just(json!("PERSON")),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object made of the route's own fields (and sometimes one unknown field), each holding anything.
fn route_object(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let n = fields.len().max(1);
    (prop::collection::vec((0..n, json_value()), 0..5), any::<bool>()).prop_map(move |(pairs, extra)| {
        let mut m = Map::new();
        for (i, v) in pairs {
            if let Some(f) = fields.get(i) {
                m.insert((*f).to_string(), v);
            }
        }
        if extra {
            m.insert("unexpected".into(), json!(1));
        }
        Value::Object(m)
    })
}

#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    Raw(Vec<u8>, &'static str),
}

fn raw_body() -> impl Strategy<Value = Body> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200).prop_map(|b| Body::Raw(b, "application/json")),
        prop::collection::vec(any::<u8>(), 0..200).prop_map(|b| Body::Raw(b, "text/plain")),
        (1usize..200_000).prop_map(|d| Body::Raw(format!("{}{}", "[".repeat(d), "]".repeat(d)).into_bytes(), "application/json")),
        (1usize..50_000).prop_map(|d| Body::Raw(format!("{}1{}", "{\"a\":".repeat(d), "}".repeat(d)).into_bytes(), "application/json")),
        Just(Body::Raw(b"{\"text\": \"\xff\xfe bad utf8\"}".to_vec(), "application/json")),
        Just(Body::Raw(b"{\"text\": \"nul \\u0000 inside\"}".to_vec(), "application/json")),
        Just(Body::Raw(b"{\"size\": 1e400}".to_vec(), "application/json")),
        Just(Body::Raw(b"{\"size\": 123456789012345678901234567890}".to_vec(), "application/json")),
        Just(Body::Raw(vec![b'a'; 10 * 1024 * 1024], "application/json")),
        Just(Body::Raw(Vec::new(), "application/json")),
    ]
}

fn case() -> impl Strategy<Value = (usize, String, Body)> {
    let routes = ROUTES.len();
    (0..routes, ".{0,20}", any::<u8>()).prop_flat_map(|(r, id, kind)| {
        let fields = ROUTES[r].2;
        let body: BoxedStrategy<Body> = match kind % 4 {
            0 => json_value().prop_map(Body::Json).boxed(),
            1 | 2 => route_object(fields).prop_map(Body::Json).boxed(),
            _ => raw_body().boxed(),
        };
        (Just(r), Just(id), body)
    })
}

#[test]
fn hostile_input_on_every_route() {
    let cases: u32 = std::env::var("BLOGBOT_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3_000);
    let dir = temp_dir("fuzz");
    // No jobs may start (429 after validation), LLM calls end at once: the fuzzer exercises validation and
    // error paths without minutes of real work per valid input.
    let s = TestServer::start(&dir, &["--max-jobs", "0", "--llm-timeout", "20ms", "--max-body-bytes", "1048576"], &[]);
    let client = reqwest::blocking::Client::builder().timeout(std::time::Duration::from_secs(60)).build().unwrap();
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    let strategy = case();
    let mut by_status = std::collections::BTreeMap::<u16, u32>::new();
    let started = std::time::Instant::now();
    for i in 0..cases {
        let (r, id, body) = strategy.new_tree(&mut runner).expect("generate").current();
        let (method, pattern, _) = ROUTES[r];
        let id: String = id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        let path = pattern.replace("{id}", if id.is_empty() { "x" } else { &id });
        let url = format!("{}{}", s.base, path);
        let rb = match method {
            "POST" => client.post(&url),
            "DELETE" => client.delete(&url),
            _ => client.get(&url),
        };
        let rb = match &body {
            Body::Json(v) => rb.header("content-type", "application/json").body(serde_json::to_vec(v).unwrap()),
            Body::Raw(b, ct) => rb.header("content-type", *ct).body(b.clone()),
        };
        let resp = match rb.send() {
            Ok(r) => r,
            Err(e) => panic!("case {i}: {method} {path}: no answer ({e}); body {:.300}", format!("{body:?}")),
        };
        let status = resp.status().as_u16();
        *by_status.entry(status).or_default() += 1;
        let text = resp.text().unwrap_or_default();
        let what = || format!("case {i}: {method} {path} -> {status}: {text:.300}; body {:.300}", format!("{body:?}"));
        if status >= 400 {
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {}", what()));
            let code = v["error"]["code"].as_str().unwrap_or_else(|| panic!("no error.code: {}", what()));
            assert!(v["error"]["message"].is_string(), "no error.message: {}", what());
            if status >= 500 {
                assert!(status == 503 && (code == "unavailable" || code == "timeout"), "server error: {}", what());
            }
        }
    }
    let (st, _) = s.get("/health");
    assert_eq!(st, 200, "the server is down after fuzzing");
    eprintln!(
        "fuzz: {cases} inputs in {:.1} s, statuses {by_status:?}",
        started.elapsed().as_secs_f64()
    );
}
