//! Tokenisation with code-point offsets, and overlapping windows.
//!
//! The `tokenizers` crate reports byte offsets into the original text (its normaliser lowercases and strips
//! accents, but offsets are mapped back through the alignment). blogbot's spans count Unicode code points, so
//! every offset is converted here, once, with [`CharIndex`].
//!
//! A post can be longer than the encoder's position table. Instead of truncating (which would silently miss
//! PII near the end), [`windows`] cuts the token sequence into windows of at most `max_len` tokens (including
//! `[CLS]` and `[SEP]`) that overlap by `stride` tokens, so every token is seen, and seen with some context.

use crate::error::{Error, Result};
use blogbot_common::text::CharIndex;
use std::ops::Range;
use std::path::Path;
use tokenizers::Tokenizer;

/// A text's tokens without special tokens. `offsets[i]` is token `i`'s `(start, end)` in code points of the
/// original text, end exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Encoded {
    pub ids: Vec<u32>,
    pub offsets: Vec<(usize, usize)>,
    /// Each token's word shape ([`crate::shape`]): the case the tokenizer's normaliser removed.
    pub shapes: Vec<u32>,
}

impl Encoded {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// A WordPiece tokenizer with the special-token ids the encoder input needs.
pub struct PiiTokenizer {
    inner: Tokenizer,
    cls: u32,
    sep: u32,
    pad: u32,
}

impl PiiTokenizer {
    /// Loads a Hugging Face `tokenizer.json`. Any truncation or padding configured in the file is switched off:
    /// windows and batches are built here (MiniLM's file pads and truncates everything to 128 tokens).
    pub fn from_file(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::NotFound, "no tokenizer.json")));
        }
        let mut inner = Tokenizer::from_file(path)?;
        inner.with_truncation(None)?;
        inner.with_padding(None);
        let id = |tok: &str| {
            inner.token_to_id(tok).ok_or_else(|| Error::Tokenizer(format!("{} has no {tok} token", path.display())))
        };
        let (cls, sep, pad) = (id("[CLS]")?, id("[SEP]")?, id("[PAD]")?);
        Ok(Self { inner, cls, sep, pad })
    }

    /// Writes the tokenizer next to a saved model, so a model directory is self-contained.
    pub fn save(&self, path: &Path) -> Result<()> {
        self.inner.save(path, false)?;
        Ok(())
    }

    pub fn cls_id(&self) -> u32 {
        self.cls
    }

    pub fn sep_id(&self) -> u32 {
        self.sep
    }

    pub fn pad_id(&self) -> u32 {
        self.pad
    }

    /// Tokenises `text` (no special tokens, no truncation) with code-point offsets.
    pub fn encode(&self, text: &str) -> Result<Encoded> {
        let enc = self.inner.encode(text, false)?;
        let index = CharIndex::new(text);
        let offsets: Vec<(usize, usize)> =
            enc.get_offsets().iter().map(|&(s, e)| (index.char_of(s), index.char_of(e))).collect();
        let chars: Vec<char> = text.chars().collect();
        let shapes = crate::shape::token_shapes(&chars, &offsets);
        Ok(Encoded { ids: enc.get_ids().to_vec(), offsets, shapes })
    }

    /// The encoder input for one window: `[CLS] ids[range] [SEP]`.
    pub fn window_input(&self, enc: &Encoded, range: &Range<usize>) -> Vec<u32> {
        let mut ids = Vec::with_capacity(range.len() + 2);
        ids.push(self.cls);
        ids.extend_from_slice(&enc.ids[range.clone()]);
        ids.push(self.sep);
        ids
    }

    /// The shape classes for the same window: [`crate::shape::SPECIAL`] at `[CLS]` and `[SEP]`.
    pub fn window_shapes(&self, enc: &Encoded, range: &Range<usize>) -> Vec<u32> {
        let mut shapes = Vec::with_capacity(range.len() + 2);
        shapes.push(crate::shape::SPECIAL);
        shapes.extend_from_slice(&enc.shapes[range.clone()]);
        shapes.push(crate::shape::SPECIAL);
        shapes
    }
}

/// Token ranges covering `0..n_tokens`, each at most `max_len - 2` tokens long (room for `[CLS]`/`[SEP]`),
/// consecutive ranges overlapping by at least `stride` tokens. The last window is aligned to the end so that it
/// is full length. A text with no tokens still gets one (empty) window, so every text has a prediction.
#[allow(clippy::single_range_in_vec_init)] // one window holding the whole text, not a range of windows
pub fn windows(n_tokens: usize, max_len: usize, stride: usize) -> Result<Vec<Range<usize>>> {
    if max_len < 3 {
        return Err(Error::Config(format!("max_len must be at least 3 (got {max_len})")));
    }
    let content = max_len - 2;
    if stride >= content {
        return Err(Error::Config(format!("stride {stride} must be below max_len - 2 = {content}")));
    }
    if n_tokens <= content {
        return Ok(vec![0..n_tokens]);
    }
    let step = content - stride;
    let mut out = Vec::with_capacity(n_tokens / step + 1);
    let mut start = 0;
    loop {
        if start + content >= n_tokens {
            out.push(n_tokens - content..n_tokens);
            return Ok(out);
        }
        out.push(start..start + content);
        start += step;
    }
}

/// For each token, the window (index into `ws`) where it is most central, i.e. farthest from a window edge.
/// Tokens near a window edge lack context on one side, so their tags are taken from the window that sees the
/// most text around them.
pub fn most_central_window(n_tokens: usize, ws: &[Range<usize>]) -> Vec<usize> {
    (0..n_tokens)
        .map(|i| {
            ws.iter()
                .enumerate()
                .filter(|(_, w)| w.contains(&i))
                .max_by_key(|(_, w)| (i - w.start).min(w.end - 1 - i))
                .map(|(k, _)| k)
                .unwrap_or(0)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_everything_with_overlap() {
        assert_eq!(windows(0, 64, 16).unwrap(), vec![0..0]);
        assert_eq!(windows(62, 64, 16).unwrap(), vec![0..62]);
        for n in [63, 100, 600, 1000] {
            let ws = windows(n, 64, 16).unwrap();
            assert_eq!(ws[0].start, 0);
            assert_eq!(ws.last().unwrap().end, n);
            for w in &ws {
                assert_eq!(w.len(), 62);
            }
            for pair in ws.windows(2) {
                assert!(pair[0].end >= pair[1].start + 16, "{pair:?} overlap < stride");
                assert!(pair[1].start > pair[0].start);
            }
        }
        assert!(windows(10, 64, 62).is_err());
        assert!(windows(10, 2, 0).is_err());
    }

    #[test]
    fn central_window_prefers_context() {
        let ws = windows(100, 42, 20).unwrap(); // content 40, step 20: 0..40, 20..60, 40..80, 60..100
        assert_eq!(ws, vec![0..40, 20..60, 40..80, 60..100]);
        let c = most_central_window(100, &ws);
        assert_eq!(c[0], 0);
        assert_eq!(c[39], 1); // edge of window 0, centre of window 1
        assert_eq!(c[45], 1); // 25 tokens of context left and 14 right in window 1; 5 left in window 2
        assert_eq!(c[55], 2);
        assert_eq!(c[99], 3);
    }
}
