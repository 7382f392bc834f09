//! The OpenAI-compatible routes end to end on the real SmolLM2 weights: plain, JSON-schema-constrained and
//! streamed chat completions, bad input, a client that leaves mid-stream, and the official `openai` Python
//! client (from `.venv-test`, made by scripts/setup-test-tools.sh). SmolLM2-135M is weak: the tests check
//! structure (JSON that validates, non-empty text, usage), never wording.

mod support;

use serde_json::{json, Value};
use std::io::Read;
use std::process::Command;
use std::time::Duration;
use support::{client, repo_root, temp_dir, TestServer};

const MODEL: &str = "SmolLM2-135M-Instruct.Q8_0";

fn chat(s: &TestServer, body: Value) -> Value {
    let (st, r) = s.post("/v1/chat/completions", &body);
    assert_eq!(st, 200, "{body} -> {r}");
    assert_eq!(r["object"], "chat.completion", "{r}");
    assert!(r["id"].as_str().is_some_and(|id| id.starts_with("chatcmpl-")), "{r}");
    assert!(r["created"].as_u64().is_some_and(|t| t > 1_700_000_000), "{r}");
    assert_eq!(r["model"], MODEL);
    let choices = r["choices"].as_array().expect("choices");
    assert_eq!(choices.len(), 1, "{r}");
    assert_eq!(choices[0]["index"], 0);
    assert_eq!(choices[0]["message"]["role"], "assistant");
    assert!(matches!(choices[0]["finish_reason"].as_str(), Some("stop" | "length")), "{r}");
    let u = &r["usage"];
    let (p, c) = (u["prompt_tokens"].as_u64().unwrap(), u["completion_tokens"].as_u64().unwrap());
    assert!(p > 0 && c > 0, "{r}");
    assert_eq!(u["total_tokens"].as_u64(), Some(p + c));
    r
}

fn content(r: &Value) -> &str {
    r["choices"][0]["message"]["content"].as_str().expect("string content")
}

/// One streamed completion: the data payloads in order (the last is `[DONE]`).
fn stream(s: &TestServer, body: Value) -> Vec<String> {
    let r = client().post(s.url("/v1/chat/completions")).json(&body).send().expect("POST stream");
    assert_eq!(r.status().as_u16(), 200);
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(ct.starts_with("text/event-stream"), "content-type {ct}");
    let text = r.text().expect("stream body");
    let events: Vec<String> = text
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| e.strip_prefix("data: ").unwrap_or_else(|| panic!("not an SSE data line: {e:?}")).to_string())
        .collect();
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"), "{text}");
    events
}

/// Checks a stream's chunks and returns (text, finish_reason, usage chunk).
fn read_chunks(events: &[String]) -> (String, String, Option<Value>) {
    let chunks: Vec<Value> = events[..events.len() - 1].iter().map(|e| serde_json::from_str(e).unwrap()).collect();
    let (mut text, mut finish, mut usage) = (String::new(), None, None);
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c["object"], "chat.completion.chunk", "{c}");
        assert_eq!(c["id"], chunks[0]["id"]);
        assert_eq!(c["model"], MODEL);
        if let Some(u) = c.get("usage") {
            usage = Some(u.clone());
            continue;
        }
        let choice = &c["choices"][0];
        if i == 0 {
            assert_eq!(choice["delta"]["role"], "assistant", "the first delta carries the role: {c}");
        }
        text.push_str(choice["delta"]["content"].as_str().unwrap_or(""));
        if let Some(f) = choice["finish_reason"].as_str() {
            assert!(finish.is_none(), "two finish reasons");
            finish = Some(f.to_string());
        }
    }
    (text, finish.expect("a chunk with finish_reason"), usage)
}

#[test]
fn chat_completions_plain_constrained_and_streamed() {
    let s = TestServer::start(&temp_dir("openai"), &[], &[]);
    let (st, m) = s.get("/v1/models");
    assert_eq!(st, 200, "{m}");
    assert_eq!(m["object"], "list");
    assert_eq!(m["data"][0]["id"], MODEL);
    assert_eq!(m["data"][0]["object"], "model");
    assert_eq!(m["data"][0]["owned_by"], "blogbot");
    assert_eq!(s.get("/v1/models").1["data"][0]["created"], m["data"][0]["created"], "a stable creation time");
    assert_eq!(s.get(&format!("/v1/models/{MODEL}")).0, 200);
    assert_eq!(s.get("/v1/models/gpt-4").0, 404);

    // Plain, with the model named, a system message and text parts.
    let r = chat(
        &s,
        json!({"model": MODEL, "max_tokens": 32, "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": [{"type": "text", "text": "Say hello to a new reader "}, {"type": "text", "text": "of my blog."}]},
        ]}),
    );
    assert!(!content(&r).trim().is_empty(), "{r}");
    // A conversation with an assistant turn, OpenAI fields this server ignores, and max_completion_tokens.
    let r = chat(
        &s,
        json!({"max_completion_tokens": 4, "user": "u-1", "frequency_penalty": 0.5, "logprobs": false, "seed": 7,
               "messages": [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello."},
                            {"role": "user", "content": "Tell me a long story about the sea."}]}),
    );
    assert_eq!(r["choices"][0]["finish_reason"], "length", "{r}");
    assert!(r["usage"]["completion_tokens"].as_u64().unwrap() <= 4, "{r}");
    // Sampled.
    let r = chat(&s, json!({"max_tokens": 16, "temperature": 0.8, "top_p": 0.9, "messages": [{"role": "user", "content": "Name a fruit."}]}));
    assert!(!content(&r).is_empty(), "{r}");

    // JSON schema: the content parses and validates.
    let schema = json!({
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 40}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": false,
    });
    let r = chat(
        &s,
        json!({"max_tokens": 64, "messages": [
            {"role": "system", "content": "You extract facts as JSON."},
            {"role": "user", "content": "Maria Lopez is 34 years old. Give her name and age."}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "person", "strict": true, "schema": schema}}}),
    );
    assert_eq!(r["choices"][0]["finish_reason"], "stop", "a complete JSON value ends the request: {r}");
    let v: Value = serde_json::from_str(content(&r)).unwrap_or_else(|e| panic!("not JSON ({e}): {r}"));
    let obj = v.as_object().unwrap_or_else(|| panic!("not an object: {v}"));
    assert!(obj["name"].as_str().is_some_and(|n| n.chars().count() <= 40), "{v}");
    assert!(obj["age"].is_i64() || obj["age"].is_u64(), "{v}");
    assert_eq!(obj.len(), 2, "{v}");
    // json_object: any JSON object (a prompt with little to say: SmolLM2 can nest an open-ended object past
    // any token budget, and a cut-off object does not parse).
    let r = chat(
        &s,
        json!({"max_tokens": 64, "response_format": {"type": "json_object"},
               "messages": [{"role": "system", "content": "You extract facts as JSON."},
                            {"role": "user", "content": "Maria Lopez is 34 years old. Give her name and age."}]}),
    );
    assert_eq!(r["choices"][0]["finish_reason"], "stop", "{r}");
    let v: Value = serde_json::from_str(content(&r)).unwrap_or_else(|e| panic!("not JSON ({e}): {r}"));
    assert!(v.is_object(), "{v}");

    // Streamed: several chunks, role first, finish_reason last, then [DONE]; greedy, so the same text as the
    // non-streamed answer, stop sequence included.
    let ask = json!({"max_tokens": 40, "stop": ["3."], "messages": [{"role": "user", "content": "Count from one to five."}]});
    let plain = chat(&s, ask.clone());
    let mut body = ask.clone();
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let events = stream(&s, body);
    assert!(events.len() >= 4, "{events:?}");
    let (text, finish, usage) = read_chunks(&events);
    assert!(!text.trim().is_empty());
    assert!(!text.contains("3."), "the stop sequence is not streamed: {text:?}");
    assert_eq!(text.trim(), content(&plain).trim(), "stream and plain answers differ");
    assert_eq!(finish, plain["choices"][0]["finish_reason"].as_str().unwrap());
    let usage = usage.expect("a usage chunk with include_usage");
    assert!(usage["completion_tokens"].as_u64().unwrap() > 0, "{usage}");

    // Streamed under a JSON schema.
    let events = stream(
        &s,
        json!({"max_tokens": 64, "stream": true, "messages": [{"role": "user", "content": "Maria Lopez is 34. Name and age?"}],
               "response_format": {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}}}),
    );
    let (text, finish, _) = read_chunks(&events);
    assert_eq!(finish, "stop");
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("streamed JSON does not parse ({e}): {text:?}"));
    assert!(v["name"].is_string() && v["age"].is_i64(), "{v}");
}

fn assert_error(status: u16, body: &Value, want: u16, case: &str) {
    assert_eq!(status, want, "{case}: {body}");
    assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{case}: not a JSON error: {body}");
}

#[test]
fn bad_requests_get_json_errors_and_a_client_may_leave_mid_stream() {
    let s = TestServer::start(&temp_dir("openai-bad"), &[], &[]);
    let user = json!([{"role": "user", "content": "hi"}]);
    let cases: Vec<(&str, Value, u16)> = vec![
        ("no messages", json!({"messages": []}), 400),
        ("missing messages", json!({"model": MODEL}), 400),
        ("unknown role", json!({"messages": [{"role": "wizard", "content": "hi"}]}), 400),
        ("tool role", json!({"messages": [{"role": "tool", "content": "hi"}]}), 400),
        ("n=2", json!({"messages": user, "n": 2}), 400),
        ("temperature 5", json!({"messages": user, "temperature": 5}), 400),
        ("temperature negative", json!({"messages": user, "temperature": -0.5}), 400),
        ("top_p 2", json!({"messages": user, "top_p": 2}), 400),
        ("max_tokens 0", json!({"messages": user, "max_tokens": 0}), 400),
        ("max_tokens over the limit", json!({"messages": user, "max_tokens": 100_000}), 400),
        ("max_tokens negative", json!({"messages": user, "max_tokens": -1}), 400),
        ("max_tokens a string", json!({"messages": user, "max_tokens": "ten"}), 400),
        ("messages a string", json!({"messages": "hi"}), 400),
        ("content a number", json!({"messages": [{"role": "user", "content": 42}]}), 400),
        ("content null", json!({"messages": [{"role": "user", "content": null}]}), 400),
        ("image part", json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}), 400),
        ("stream a string", json!({"messages": user, "stream": "yes"}), 400),
        ("stop a number", json!({"messages": user, "stop": 3}), 400),
        ("five stops", json!({"messages": user, "stop": ["a", "b", "c", "d", "e"]}), 400),
        ("unknown format", json!({"messages": user, "response_format": {"type": "xml"}}), 400),
        ("schema not an object", json!({"messages": user, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": "object"}}}), 400),
        ("json_schema without a name", json!({"messages": user, "response_format": {"type": "json_schema", "json_schema": {"schema": {}}}}), 400),
        ("schema llguidance refuses", json!({"messages": user, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "bogus"}}}}), 400),
        ("schema llguidance refuses, streamed", json!({"messages": user, "stream": true, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "bogus"}}}}), 400),
        ("tools", json!({"messages": user, "tools": [{"type": "function", "function": {"name": "f"}}]}), 400),
        ("unknown model", json!({"model": "gpt-4o", "messages": user}), 404),
    ];
    for (case, body, want) in cases {
        let (st, b) = s.post("/v1/chat/completions", &body);
        assert_error(st, &b, want, case);
    }
    let (st, b) = s.post_raw("/v1/chat/completions", b"{not json".to_vec(), "application/json");
    assert_error(st, &b, 400, "malformed JSON");

    // A client that reads the first chunks of a long stream and leaves: the server goes on serving, and the
    // abandoned sequence is cancelled rather than decoded to its 1000 tokens.
    let mut r = client()
        .post(s.url("/v1/chat/completions"))
        .json(&json!({"max_tokens": 1000, "stream": true, "messages": [{"role": "user", "content": "Write a very long story about the sea."}]}))
        .send()
        .expect("stream");
    assert_eq!(r.status().as_u16(), 200);
    let mut buf = [0u8; 2048];
    let mut got = 0;
    while got < 1500 {
        let n = r.read(&mut buf).expect("read");
        assert!(n > 0, "the stream ended early");
        got += n;
    }
    drop(r);
    std::thread::sleep(Duration::from_millis(500));
    // Decoding uses both cores; an idle server uses next to no CPU.
    let before = cpu_seconds(s.child.id());
    std::thread::sleep(Duration::from_secs(2));
    let busy = cpu_seconds(s.child.id()) - before;
    assert!(busy < 0.5, "the server used {busy:.2} s of CPU in the 2 s after its client left: still decoding?");
    let r = chat(&s, json!({"max_tokens": 8, "messages": [{"role": "user", "content": "Name a colour."}]}));
    assert!(!content(&r).is_empty());
    assert_eq!(s.get("/health").0, 200);
    assert!(!s.log_text().contains("panicked"), "{}", s.log_text());
}

/// CPU time (user + system) a process has used, from /proc (clock ticks of 1/100 s).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    let fields: Vec<&str> = stat[stat.rfind(')').expect("stat format") + 2..].split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

#[test]
fn the_official_openai_python_client_works() {
    let python = repo_root().join(".venv-test/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-test-tools.sh (scripts/test.sh runs it) to install the pinned `openai` client",
        python.display()
    );
    let s = TestServer::start(&temp_dir("openai-py"), &[], &[]);
    let out = Command::new(&python)
        .arg(repo_root().join("scripts/openai_client_check.py"))
        .args(["--base-url", &s.base])
        .env("OPENAI_API_KEY", "blogbot-test-key")
        .output()
        .expect("run scripts/openai_client_check.py");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "scripts/openai_client_check.py failed ({}):\n{stdout}\n{stderr}\n(if `openai` is missing or the wrong version, run scripts/setup-test-tools.sh)",
        out.status
    );
    assert!(stdout.contains("openai client check passed"), "{stdout}");
}
