//! API keys and scopes. Keys come from `--api-keys-file` (one `<scope>:<key>` a line) and are sent as
//! `Authorization: Bearer <key>`. Without a keys file the server answers loopback callers only.
//!
//! Keys are kept as SHA-256 digests and compared in constant time; neither keys nor digests are logged.

use crate::error::ApiError;
use actix_web::http::Method;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::path::Path;
use subtle::ConstantTimeEq;

/// What a key may do. `Admin` includes everything `Classify` may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Classify,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Classify => "classify",
            Scope::Admin => "admin",
        }
    }
}

/// The scope a route needs; `None` for the open probes.
pub fn required_scope(method: &Method, path: &str) -> Option<Scope> {
    match path {
        "/health" | "/ready" => return None,
        "/classify" | "/generate" => return Some(Scope::Classify),
        _ => {}
    }
    if path == "/v1" || path.starts_with("/v1/") {
        return Some(Scope::Classify);
    }
    if method == Method::GET || method == Method::HEAD {
        Some(Scope::Classify)
    } else {
        // Training, dataset builds, promotion, rollback, retraining, job cancel, and anything unknown.
        Some(Scope::Admin)
    }
}

/// A loaded keys file.
pub struct ApiKeys {
    keys: Vec<([u8; 32], Scope)>,
}

/// Who the caller turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// No keys file: a loopback caller.
    Local,
    Key(Scope),
}

impl ApiKeys {
    /// Reads `<scope>:<key>` lines; blank lines and `#` comments are skipped. Any other line is an error that
    /// names its line number (never its content, which may hold a key).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading the API keys file {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| anyhow::anyhow!("API keys file {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (scope, key) = line
                .split_once(':')
                .ok_or_else(|| format!("line {}: expected `<scope>:<key>`", i + 1))?;
            let scope = match scope.trim() {
                "classify" => Scope::Classify,
                "admin" => Scope::Admin,
                _ => return Err(format!("line {}: the scope must be `classify` or `admin`", i + 1)),
            };
            let key = key.trim();
            if key.len() < 16 {
                return Err(format!("line {}: keys must have at least 16 characters", i + 1));
            }
            if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(format!("line {}: keys must not contain spaces or control characters", i + 1));
            }
            keys.push((digest(key), scope));
        }
        if keys.is_empty() {
            return Err("no keys".into());
        }
        Ok(Self { keys })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The scope of `key`, comparing against every stored digest without an early exit.
    pub fn scope_of(&self, key: &str) -> Option<Scope> {
        let d = digest(key);
        let mut found: Option<Scope> = None;
        for (k, scope) in &self.keys {
            if bool::from(k.ct_eq(&d)) {
                found = Some(found.map_or(*scope, |f| f.max(*scope)));
            }
        }
        found
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Decides whether a request may proceed: the key (or, without keys, the peer address) against the route's scope.
pub fn authorize(
    keys: Option<&ApiKeys>,
    peer: Option<IpAddr>,
    authorization: Option<&str>,
    method: &Method,
    path: &str,
) -> Result<Option<Caller>, ApiError> {
    let Some(need) = required_scope(method, path) else { return Ok(None) };
    let Some(keys) = keys else {
        return match peer {
            Some(ip) if ip.is_loopback() => Ok(Some(Caller::Local)),
            _ => Err(ApiError::Forbidden(
                "this server has no API keys file and answers loopback callers only (see --api-keys-file)".into(),
            )),
        };
    };
    let token = authorization
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::Unauthorized("missing API key: send `Authorization: Bearer <key>`".into()))?;
    let scope = keys.scope_of(token).ok_or_else(|| ApiError::Unauthorized("unknown API key".into()))?;
    if scope < need {
        return Err(ApiError::Forbidden(format!(
            "{} {path} needs the `{}` scope; this key has `{}`",
            method,
            need.as_str(),
            scope.as_str()
        )));
    }
    Ok(Some(Caller::Key(scope)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# keys\nclassify:cccccccccccccccc1\n\nadmin:aaaaaaaaaaaaaaaa1\n";

    #[test]
    fn parses_and_scopes() {
        let k = ApiKeys::parse(FILE).unwrap();
        assert_eq!(k.len(), 2);
        assert_eq!(k.scope_of("cccccccccccccccc1"), Some(Scope::Classify));
        assert_eq!(k.scope_of("aaaaaaaaaaaaaaaa1"), Some(Scope::Admin));
        assert_eq!(k.scope_of("aaaaaaaaaaaaaaaa2"), None);
        assert_eq!(k.scope_of(""), None);
    }

    #[test]
    fn bad_files_name_the_line_not_the_key() {
        for (text, want) in [
            ("classify cccccccccccccccc1", "line 1"),
            ("root:cccccccccccccccc1", "scope"),
            ("admin:short", "16 characters"),
            ("admin:aaaa aaaaaaaaaaaaaaa", "spaces"),
            ("# only a comment\n", "no keys"),
        ] {
            let e = ApiKeys::parse(text).err().unwrap();
            assert!(e.contains(want), "{text}: {e}");
            assert!(!e.contains("cccccccc") && !e.contains("aaaaaaaa"), "{e}");
        }
    }

    #[test]
    fn route_scopes() {
        assert_eq!(required_scope(&Method::GET, "/health"), None);
        assert_eq!(required_scope(&Method::GET, "/ready"), None);
        assert_eq!(required_scope(&Method::POST, "/classify"), Some(Scope::Classify));
        assert_eq!(required_scope(&Method::POST, "/v1/chat/completions"), Some(Scope::Classify));
        assert_eq!(required_scope(&Method::GET, "/models"), Some(Scope::Classify));
        assert_eq!(required_scope(&Method::POST, "/train"), Some(Scope::Admin));
        assert_eq!(required_scope(&Method::POST, "/models/rollback"), Some(Scope::Admin));
        assert_eq!(required_scope(&Method::POST, "/jobs/x/cancel"), Some(Scope::Admin));
        assert_eq!(required_scope(&Method::DELETE, "/anything"), Some(Scope::Admin));
    }

    #[test]
    fn authorize_maps_to_401_and_403() {
        let k = ApiKeys::parse(FILE).unwrap();
        let lo: Option<IpAddr> = Some("127.0.0.1".parse().unwrap());
        let far: Option<IpAddr> = Some("10.0.0.9".parse().unwrap());
        let code = |r: Result<Option<Caller>, ApiError>| r.err().map(|e| e.code());
        assert_eq!(code(authorize(Some(&k), far, None, &Method::POST, "/classify")), Some("unauthorized"));
        assert_eq!(code(authorize(Some(&k), far, Some("Bearer nope-nope-nope-nope"), &Method::POST, "/classify")), Some("unauthorized"));
        assert_eq!(code(authorize(Some(&k), far, Some("Bearer cccccccccccccccc1"), &Method::POST, "/train")), Some("forbidden"));
        assert!(authorize(Some(&k), far, Some("Bearer cccccccccccccccc1"), &Method::POST, "/classify").is_ok());
        assert!(authorize(Some(&k), far, Some("Bearer aaaaaaaaaaaaaaaa1"), &Method::POST, "/train").is_ok());
        assert!(authorize(Some(&k), far, None, &Method::GET, "/health").is_ok());
        assert!(authorize(None, lo, None, &Method::POST, "/train").is_ok());
        assert_eq!(code(authorize(None, far, None, &Method::POST, "/classify")), Some("forbidden"));
    }
}
