//! Sustained load on loopback: `BLOGBOT_LOAD_CLIENTS` (default 32) concurrent clients for `BLOGBOT_LOAD_SECS`
//! (default 60) seconds, mixing
//! `/classify` on real post lengths (the embedded corpus) with GET routes, against a real champion. Asserts zero
//! errors and flat memory (RSS sampled every second), and prints throughput, latency percentiles and RSS.

mod support;

use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{client, repo_root, temp_dir, TestServer};

fn rss_mb(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn concurrent_clients_mixed_routes_zero_errors_flat_memory() {
    let secs: u64 = std::env::var("BLOGBOT_LOAD_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
    let clients: usize = std::env::var("BLOGBOT_LOAD_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    // Mixed routes by default; BLOGBOT_LOAD_CLASSIFY_ONLY=1 measures /classify alone (the README's 1/16-client figures).
    let classify_only = std::env::var_os("BLOGBOT_LOAD_CLASSIFY_ONLY").is_some();
    let dir = temp_dir("load");
    let s = TestServer::start(&dir, &[], &[]);
    // A real champion, quickly: a small template dataset and a short run.
    let (st, b) = s.post("/datasets", &json!({"size": 80, "seed": 5, "use_llm": false}));
    assert_eq!(st, 202, "{b}");
    let j = s.wait_job(b["job_id"].as_str().unwrap(), Duration::from_secs(300));
    let ds = j["result"]["dataset_id"].as_str().unwrap().to_string();
    let (st, b) = s.post("/train", &json!({"dataset_id": ds, "epochs": 1, "max_steps": 6, "max_len": 128, "batch_size": 8}));
    assert_eq!(st, 202, "{b}");
    let j = s.wait_job(b["job_id"].as_str().unwrap(), Duration::from_secs(900));
    assert_eq!(j["state"], "succeeded", "{j}");

    // Real post lengths: the embedded corpus, whole posts (cut to the server's text limit).
    let mut posts: Vec<String> = std::fs::read_dir(repo_root().join("data/sample-posts"))
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|t| t.chars().take(20_000).collect())
        .collect();
    posts.sort();
    assert!(posts.len() >= 50);
    let posts = Arc::new(posts);
    let pid = s.child.id();
    let stop = Arc::new(AtomicBool::new(false));
    let latencies: Arc<Mutex<Vec<(bool, f64)>>> = Default::default();
    let errors: Arc<Mutex<Vec<String>>> = Default::default();
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|w| {
            let (base, posts, stop, lat, errs) = (s.base.clone(), posts.clone(), stop.clone(), latencies.clone(), errors.clone());
            std::thread::spawn(move || {
                let c = client();
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    i += clients;
                    let t = Instant::now();
                    let classify = classify_only || i % 10 < 7;
                    let r = if classify {
                        c.post(format!("{base}/classify")).json(&json!({"text": posts[i % posts.len()]})).send()
                    } else {
                        let path = ["/models", "/jobs", "/ready"][i % 3];
                        c.get(format!("{base}{path}")).send()
                    };
                    match r {
                        Ok(r) if r.status().is_success() => {
                            let ok = !classify || r.json::<Value>().is_ok_and(|v| v["results"][0]["violation"].is_boolean());
                            if !ok {
                                errs.lock().unwrap().push("classify answer without a result".into());
                            }
                            lat.lock().unwrap().push((classify, t.elapsed().as_secs_f64()));
                        }
                        Ok(r) => errs.lock().unwrap().push(format!("{} {}", r.status(), r.text().unwrap_or_default())),
                        Err(e) => errs.lock().unwrap().push(e.to_string()),
                    }
                }
            })
        })
        .collect();
    let mut rss = Vec::new();
    while started.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_secs(1));
        rss.push(rss_mb(pid));
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let wall = started.elapsed().as_secs_f64();
    let errors = errors.lock().unwrap().clone();
    let lat = latencies.lock().unwrap().clone();
    let mut cl: Vec<f64> = lat.iter().filter(|l| l.0).map(|l| l.1).collect();
    let mut gets: Vec<f64> = lat.iter().filter(|l| !l.0).map(|l| l.1).collect();
    cl.sort_by(f64::total_cmp);
    gets.sort_by(f64::total_cmp);
    // Memory after the first tenth (warm-up: allocator pools, batch buffers) against the last tenth.
    let tenth = (rss.len() / 10).max(1);
    let early = rss[tenth..2 * tenth].iter().sum::<f64>() / tenth as f64;
    let late = rss[rss.len() - tenth..].iter().sum::<f64>() / tenth as f64;
    let peak = rss.iter().cloned().fold(0.0, f64::max);
    eprintln!(
        "load: {wall:.0} s, {clients} clients: {} requests ({:.1}/s), /classify {} ({:.1} posts/s, p50 {:.0} ms, p99 {:.0} ms), GET {} (p50 {:.0} ms, p99 {:.0} ms), errors {}, RSS early {early:.0} MB, late {late:.0} MB, peak {peak:.0} MB",
        lat.len(),
        lat.len() as f64 / wall,
        cl.len(),
        cl.len() as f64 / wall,
        percentile(&cl, 0.5) * 1e3,
        percentile(&cl, 0.99) * 1e3,
        gets.len(),
        percentile(&gets, 0.5) * 1e3,
        percentile(&gets, 0.99) * 1e3,
        errors.len(),
    );
    assert!(errors.is_empty(), "{} errors, first: {:?}", errors.len(), errors.iter().take(3).collect::<Vec<_>>());
    assert!(cl.len() >= 20, "only {} classifications", cl.len());
    assert!(late <= early * 1.15 + 64.0, "RSS grew from {early:.0} MB to {late:.0} MB under steady load");
    let (st, _) = s.get("/health");
    assert_eq!(st, 200);
}
