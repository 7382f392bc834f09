//! Weight files: resolved under the weights folder and checked against `weights/MANIFEST` before anything is
//! loaded, so a missing or corrupt file stops the server with a message that names the file and the fix.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The command that (re)creates the weights; quoted in every error.
pub const FIX: &str = "run scripts/fetch-weights.sh";

#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("{path}: missing; {FIX}")]
    Missing { path: String },
    #[error("{path}: sha256 {found} does not match {expected} in the weights MANIFEST; the file is corrupt or another version: {FIX}")]
    Checksum { path: String, found: String, expected: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}: no MANIFEST in the weights folder; {FIX}")]
    NoManifest(String),
}

/// A weight file that passed its check.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifiedFile {
    pub path: PathBuf,
    pub sha256: String,
    /// False when the file is not listed in the MANIFEST (a user's own model): hashed, but not checked.
    pub in_manifest: bool,
}

/// `weights/MANIFEST`: relative path -> sha256.
pub struct Manifest {
    root: PathBuf,
    entries: HashMap<String, String>,
}

impl Manifest {
    pub fn load(root: &Path) -> Result<Self, WeightsError> {
        let path = root.join("MANIFEST");
        let text = std::fs::read_to_string(&path).map_err(|_| WeightsError::NoManifest(root.display().to_string()))?;
        let entries = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                Some((it.next()?.to_string(), it.next()?.to_string()))
            })
            .map(|(h, p)| (p, h))
            .collect();
        Ok(Self { root: root.to_path_buf(), entries })
    }

    /// Verifies `file` (absolute, or relative to the weights root).
    pub fn verify(&self, file: &Path) -> Result<VerifiedFile, WeightsError> {
        let path = if file.is_absolute() { file.to_path_buf() } else { self.root.join(file) };
        if !path.is_file() {
            return Err(WeightsError::Missing { path: path.display().to_string() });
        }
        let found = sha256_file(&path)?;
        let rel = path.strip_prefix(&self.root).ok().map(|p| p.to_string_lossy().to_string());
        let expected = rel.as_ref().and_then(|r| self.entries.get(r));
        match expected {
            Some(e) if *e != found => Err(WeightsError::Checksum {
                path: path.display().to_string(),
                found,
                expected: e.clone(),
            }),
            Some(_) => Ok(VerifiedFile { path, sha256: found, in_manifest: true }),
            None => {
                tracing::warn!(file = %path.display(), "not listed in the weights MANIFEST: loaded unverified");
                Ok(VerifiedFile { path, sha256: found, in_manifest: false })
            }
        }
    }
}

/// sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String, WeightsError> {
    let io = |e| WeightsError::Io { path: path.display().to_string(), source: e };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_corrupt_files_are_named_with_the_fix() {
        let dir = std::env::temp_dir().join(format!("blogbot-w-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("llm")).unwrap();
        std::fs::write(dir.join("llm/m.gguf"), b"hello").unwrap();
        let good = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        std::fs::write(dir.join("MANIFEST"), format!("# c\n{good}  llm/m.gguf\n{good}  llm/other.gguf\n")).unwrap();
        let m = Manifest::load(&dir).unwrap();
        assert_eq!(m.verify(Path::new("llm/m.gguf")).unwrap().sha256, good);
        let e = m.verify(Path::new("llm/absent.gguf")).unwrap_err().to_string();
        assert!(e.contains("absent.gguf") && e.contains("fetch-weights.sh"), "{e}");
        std::fs::write(dir.join("llm/other.gguf"), b"tampered").unwrap();
        let e = m.verify(Path::new("llm/other.gguf")).unwrap_err().to_string();
        assert!(e.contains("other.gguf") && e.contains("does not match") && e.contains("fetch-weights.sh"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
