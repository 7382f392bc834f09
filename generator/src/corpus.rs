//! Source posts: reading a folder, a JSONL file or a CSV, cleaning the text, and splitting long posts.
//!
//! Accepted inputs:
//! - a folder of `.txt` / `.md` files (one post each; the embedded default is `data/sample-posts/`);
//! - a `.jsonl` file whose lines are objects with a `text` field (and optionally `id`);
//! - a `.csv` file with a header and a `text` column (the Blog Authorship Corpus `blogtext.csv` layout:
//!   id, gender, age, topic, sign, date, text).

use crate::error::GeneratorError;
use std::path::Path;

/// One cleaned source text (a whole post or a piece of a long one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePost {
    /// Stable id: file stem, JSONL `id`/line number or CSV `id`/row, plus `#k` for the k-th piece of a long post.
    pub id: String,
    pub text: String,
}

/// Longest piece a post is split into, in characters. Keeps records near the classifier's window size while
/// leaving room for an injected sentence.
pub const MAX_PIECE_CHARS: usize = 1800;
/// Shorter cleaned texts are not worth a record.
pub const MIN_PIECE_CHARS: usize = 120;

/// Reads every post under `path` (folder, `.jsonl` or `.csv`), cleans and splits them.
pub fn load_posts(path: &Path) -> Result<Vec<SourcePost>, GeneratorError> {
    let raw = if path.is_dir() {
        read_folder(path)?
    } else {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("jsonl") | Some("ndjson") => read_jsonl(path)?,
            Some("csv") => read_csv(path)?,
            Some("txt") | Some("md") => {
                let text = std::fs::read_to_string(path).map_err(|e| GeneratorError::io(path, e))?;
                vec![(stem(path), text)]
            }
            _ => {
                return Err(GeneratorError::InvalidInput(format!(
                    "{}: not a folder, .jsonl, .csv, .txt or .md file",
                    path.display()
                )))
            }
        }
    };
    let posts = split_all(raw.into_iter().map(|(id, t)| (id, clean_text(&t))));
    if posts.is_empty() {
        return Err(GeneratorError::InvalidInput(format!(
            "{}: no post of at least {MIN_PIECE_CHARS} characters found",
            path.display()
        )));
    }
    Ok(posts)
}

/// Cleans and splits posts given inline (the API's `posts_inline`); ids are `inline-N`.
pub fn inline_posts(texts: &[String]) -> Vec<SourcePost> {
    split_all(texts.iter().enumerate().map(|(i, t)| (format!("inline-{i}"), clean_text(t))))
}

fn split_all(items: impl Iterator<Item = (String, String)>) -> Vec<SourcePost> {
    let mut out = Vec::new();
    for (id, text) in items {
        let pieces = split_text(&text, MAX_PIECE_CHARS);
        let many = pieces.len() > 1;
        for (k, piece) in pieces.into_iter().enumerate() {
            if piece.chars().count() >= MIN_PIECE_CHARS {
                let id = if many { format!("{id}#{k}") } else { id.clone() };
                out.push(SourcePost { id, text: piece });
            }
        }
    }
    out
}

fn stem(p: &Path) -> String {
    p.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "post".into())
}

fn read_folder(dir: &Path) -> Result<Vec<(String, String)>, GeneratorError> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| GeneratorError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("txt") | Some("md")))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read_to_string(&p).map(|t| (stem(&p), t)).map_err(|e| GeneratorError::io(&p, e)))
        .collect()
}

fn read_jsonl(path: &Path) -> Result<Vec<(String, String)>, GeneratorError> {
    let data = std::fs::read_to_string(path).map_err(|e| GeneratorError::io(path, e))?;
    let mut out = Vec::new();
    for (n, line) in data.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            GeneratorError::InvalidInput(format!("{} line {}: invalid JSON: {e}", path.display(), n + 1))
        })?;
        let text = v.get("text").and_then(|t| t.as_str()).ok_or_else(|| {
            GeneratorError::InvalidInput(format!("{} line {}: no string field `text`", path.display(), n + 1))
        })?;
        let id = match v.get("id") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(x)) => x.to_string(),
            _ => format!("{}-{}", stem(path), n + 1),
        };
        out.push((id, text.to_string()));
    }
    Ok(out)
}

fn read_csv(path: &Path) -> Result<Vec<(String, String)>, GeneratorError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| GeneratorError::InvalidInput(format!("{}: {e}", path.display())))?;
    let headers = rdr.headers().map_err(|e| GeneratorError::InvalidInput(format!("{}: {e}", path.display())))?;
    let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let text_col = col("text").ok_or_else(|| {
        GeneratorError::InvalidInput(format!("{}: the CSV header has no `text` column", path.display()))
    })?;
    let id_col = col("id");
    let mut out = Vec::new();
    for (n, row) in rdr.records().enumerate() {
        let row = row.map_err(|e| GeneratorError::InvalidInput(format!("{} row {}: {e}", path.display(), n + 2)))?;
        let Some(text) = row.get(text_col) else { continue };
        let id = id_col.and_then(|c| row.get(c)).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        out.push((id.unwrap_or_else(|| format!("{}-{}", stem(path), n + 2)), text.to_string()));
    }
    Ok(out)
}

/// Decodes HTML entities, drops the `urlLink` artefacts of the Blog Authorship Corpus and Markdown heading marks,
/// and normalises whitespace while keeping paragraph breaks (blank lines).
pub fn clean_text(raw: &str) -> String {
    let decoded = html_escape::decode_html_entities(raw);
    let mut paragraphs = Vec::new();
    for para in decoded.replace("\r\n", "\n").split("\n\n") {
        let words: Vec<&str> = para
            .split_whitespace()
            .filter(|w| !w.eq_ignore_ascii_case("urllink"))
            .map(|w| w.strip_prefix("urlLink").unwrap_or(w))
            .filter(|w| !w.is_empty())
            .collect();
        let mut line = words.join(" ");
        while line.starts_with('#') {
            line = line.trim_start_matches('#').trim_start().to_string();
        }
        if !line.is_empty() {
            paragraphs.push(line);
        }
    }
    paragraphs.join("\n\n")
}

/// Byte offsets just after each sentence end (`.`, `!`, `?` or `…`, optionally followed by closing quotes or
/// brackets, then whitespace). The end of the text counts as a boundary too.
pub fn sentence_boundaries(text: &str) -> Vec<usize> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (_, c) = chars[i];
        if matches!(c, '.' | '!' | '?' | '…') {
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j].1, '"' | '\'' | ')' | '”' | '’' | '»' | ']') {
                j += 1;
            }
            if j < chars.len() && chars[j].1.is_whitespace() {
                out.push(chars[j].0);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    if out.last() != Some(&text.len()) {
        out.push(text.len());
    }
    out
}

/// Splits `text` into pieces of at most `max_chars` characters at paragraph breaks, then at sentence ends, and as
/// a last resort at a space: never mid-word.
pub fn split_text(text: &str, max_chars: usize) -> Vec<String> {
    if text.chars().count() <= max_chars {
        return vec![text.to_string()];
    }
    let mut pieces = Vec::new();
    let mut current = String::new();
    for unit in text.split("\n\n").flat_map(|p| split_long_paragraph(p, max_chars)) {
        let joined = current.chars().count() + unit.chars().count() + 2;
        if !current.is_empty() && joined > max_chars {
            pieces.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push_str("\n\n");
        }
        current.push_str(&unit);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// A paragraph longer than `max_chars` is cut at sentence ends (or spaces) into units that each fit.
fn split_long_paragraph(p: &str, max_chars: usize) -> Vec<String> {
    if p.chars().count() <= max_chars {
        return vec![p.to_string()];
    }
    let mut units = Vec::new();
    let mut start = 0;
    let mut last_cut = 0;
    let bounds = sentence_boundaries(p);
    for &b in &bounds {
        if p[start..b].chars().count() > max_chars {
            if last_cut > start {
                units.push(p[start..last_cut].trim().to_string());
                start = last_cut;
            }
            // A single sentence longer than the limit: cut at spaces.
            while p[start..b].chars().count() > max_chars {
                let limit = crate::corpus::byte_after_chars(&p[start..], max_chars) + start;
                let cut = p[start..limit].rfind(' ').map(|i| i + start).filter(|&c| c > start).unwrap_or(limit);
                units.push(p[start..cut].trim().to_string());
                start = cut;
            }
        }
        last_cut = b;
    }
    if start < p.len() {
        units.push(p[start..].trim().to_string());
    }
    units.into_iter().filter(|u| !u.is_empty()).collect()
}

/// Byte offset after the first `n` chars of `s` (or `s.len()`).
pub(crate) fn byte_after_chars(s: &str, n: usize) -> usize {
    s.char_indices().nth(n).map(|(b, _)| b).unwrap_or(s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_removes_artefacts_and_keeps_paragraphs() {
        let raw = "# My   title\n\nI went   urlLink  there &amp; back.\r\n\r\n\n  Second&nbsp;para.";
        assert_eq!(clean_text(raw), "My title\n\nI went there & back.\n\nSecond para.");
    }

    #[test]
    fn splitting_never_cuts_words_and_respects_the_limit() {
        let sentence = "This sentence has exactly eight words in it. ";
        let text = format!("{}\n\n{}", sentence.repeat(30), "word ".repeat(400));
        let pieces = split_text(text.trim(), 300);
        assert!(pieces.len() > 5);
        for p in &pieces {
            assert!(p.chars().count() <= 300, "{}", p.len());
            assert!(!p.starts_with(' ') && !p.ends_with(' '));
            for w in p.split_whitespace() {
                assert!(["This", "sentence", "has", "exactly", "eight", "words", "in", "it.", "word"].contains(&w), "{w}");
            }
        }
        let total: usize = pieces.iter().map(|p| p.split_whitespace().count()).sum();
        assert_eq!(total, text.split_whitespace().count());
    }

    #[test]
    fn reads_folders_jsonl_and_blog_authorship_csv() {
        let dir = std::env::temp_dir().join(format!("blogbot-corpus-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("posts")).unwrap();
        let long = "We walked along the river for most of the afternoon and stopped for tea at the old mill. ".repeat(3);
        std::fs::write(dir.join("posts/a.md"), format!("# Title\n\n{long}")).unwrap();
        std::fs::write(dir.join("posts/b.txt"), "too short").unwrap();
        std::fs::write(dir.join("posts/c.json"), long.as_bytes()).unwrap();
        let posts = load_posts(&dir.join("posts")).unwrap();
        assert_eq!(posts.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["a"]);
        assert!(posts[0].text.starts_with("Title\n\nWe walked"));

        let jsonl = format!("{{\"id\": 7, \"text\": \"{long}\"}}\n\n{{\"text\": \"{long}\"}}\n");
        std::fs::write(dir.join("p.jsonl"), jsonl).unwrap();
        let ids: Vec<String> = load_posts(&dir.join("p.jsonl")).unwrap().into_iter().map(|p| p.id).collect();
        assert_eq!(ids, ["7", "p-3"]);
        std::fs::write(dir.join("bad.jsonl"), "{\"body\": 1}\n").unwrap();
        assert!(load_posts(&dir.join("bad.jsonl")).unwrap_err().to_string().contains("line 1"));

        let csv = format!(
            "id,gender,age,topic,sign,date,text\n2059027,male,15,Student,Leo,\"14,May,2004\",\"       urlLink {long} &amp; more     \"\n"
        );
        std::fs::write(dir.join("blogtext.csv"), csv).unwrap();
        let posts = load_posts(&dir.join("blogtext.csv")).unwrap();
        assert_eq!(posts[0].id, "2059027");
        assert!(posts[0].text.starts_with("We walked") && posts[0].text.ends_with("& more"), "{:?}", posts[0].text);
        std::fs::write(dir.join("notext.csv"), "id,body\n1,hello\n").unwrap();
        assert!(load_posts(&dir.join("notext.csv")).unwrap_err().to_string().contains("text"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sentence_boundaries_handle_quotes_and_unicode() {
        let t = "Café time! She said \"go.\" Then 東京. End";
        let b = sentence_boundaries(t);
        let pieces: Vec<&str> = b.windows(2).map(|w| t[w[0]..w[1]].trim()).collect();
        assert_eq!(&t[..b[0]], "Café time!");
        assert_eq!(pieces, vec!["She said \"go.\"", "Then 東京.", "End"]);
    }
}
