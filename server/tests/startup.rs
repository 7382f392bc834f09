//! Start-up: refuses bad weights with a message naming the file and the fix; never touches the network.

mod support;

use serde_json::json;
use std::collections::HashSet;
use std::process::Command;
use support::{repo_root, temp_dir, weights_dir, TestServer};

fn run_expecting_failure(weights: &std::path::Path) -> String {
    let data = temp_dir("startup-data");
    let out = Command::new(env!("CARGO_BIN_EXE_blogbot-server"))
        .current_dir(repo_root())
        .args(["--weights", weights.to_str().unwrap(), "--data-dir", data.to_str().unwrap()])
        .args(["serve", "--bind", &format!("127.0.0.1:{}", support::free_port())])
        .output()
        .expect("run server");
    assert!(!out.status.success(), "server started with bad weights");
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn missing_or_corrupt_weights_stop_the_server_with_the_fix() {
    let w = temp_dir("weights-missing");
    std::fs::copy(weights_dir().join("MANIFEST"), w.join("MANIFEST")).unwrap();
    let err = run_expecting_failure(&w);
    assert!(err.contains("SmolLM2-135M-Instruct.Q8_0.gguf") && err.contains("missing"), "{err}");
    assert!(err.contains("scripts/fetch-weights.sh"), "{err}");

    std::fs::create_dir_all(w.join("llm")).unwrap();
    std::fs::write(w.join("llm/SmolLM2-135M-Instruct.Q8_0.gguf"), b"GGUF but not really").unwrap();
    let err = run_expecting_failure(&w);
    assert!(err.contains("SmolLM2-135M-Instruct.Q8_0.gguf") && err.contains("does not match"), "{err}");
    assert!(err.contains("scripts/fetch-weights.sh"), "{err}");

    let empty = temp_dir("weights-empty");
    let err = run_expecting_failure(&empty);
    assert!(err.contains("MANIFEST") && err.contains("scripts/fetch-weights.sh"), "{err}");
}

/// Socket inodes the process holds.
fn socket_inodes(pid: u32) -> HashSet<String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|l| l.to_string_lossy().strip_prefix("socket:[").map(|s| s.trim_end_matches(']').to_string()))
        .collect()
}

/// Whether a /proc/net address (hex `IP:PORT`) is loopback or unspecified.
fn local_only(addr: &str) -> bool {
    let ip = addr.split(':').next().unwrap_or("");
    match ip.len() {
        8 => ip == "00000000" || ip.ends_with("7F"), // little-endian IPv4: 127.x.x.x ends with 7F
        32 => {
            ip == "00000000000000000000000000000000"
                || ip == "00000000000000000000000001000000" // ::1
                || (ip.starts_with("0000000000000000FFFF0000") && ip.ends_with("7F"))
        }
        _ => false,
    }
}

/// Regular files below `dir`.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_server_opens_no_socket_beyond_loopback() {
    // An empty model cache: a download would leave files here (mistral.rs creates an empty `hub/` folder).
    let hf = temp_dir("hf-home");
    let s = TestServer::start(&temp_dir("nonet"), &[], &[("HF_HOME", hf.to_str().unwrap()), ("HF_HUB_OFFLINE", "")]);
    let (st, _) = s.post("/generate", &json!({"text": "We baked bread today. It rose nicely.", "types": ["EMAIL"]}));
    assert_eq!(st, 200);
    let pid = s.child.id();
    let inodes = socket_inodes(pid);
    let mut seen = 0;
    for table in ["tcp", "tcp6", "udp", "udp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() > 9 && inodes.contains(f[9]) {
                seen += 1;
                assert!(local_only(f[1]) && local_only(f[2]), "{table} socket beyond loopback: {line}");
            }
        }
    }
    assert!(seen >= 1, "the listener itself should be visible");
    assert_eq!(files_under(&hf), Vec::<std::path::PathBuf>::new(), "something was written to HF_HOME");
}
