//! Code-point offsets. Rust slices strings by byte; blogbot's API and datasets count Unicode scalar values
//! (what a Python client slices with). These helpers are the only place the two are converted.

/// Byte offset -> code-point offset. `byte` must be a char boundary of `text` (or `text.len()`).
pub fn byte_to_char(text: &str, byte: usize) -> usize {
    text[..byte].chars().count()
}

/// Code-point offset -> byte offset; `None` when `char_idx` is past the end.
pub fn char_to_byte(text: &str, char_idx: usize) -> Option<usize> {
    if char_idx == 0 {
        return Some(0);
    }
    let mut seen = 0;
    for (b, _) in text.char_indices() {
        if seen == char_idx {
            return Some(b);
        }
        seen += 1;
    }
    (seen == char_idx).then_some(text.len())
}

/// The substring between two code-point offsets; `None` when out of range or reversed.
pub fn slice_chars(text: &str, start: usize, end: usize) -> Option<&str> {
    if start > end {
        return None;
    }
    let b0 = char_to_byte(text, start)?;
    let b1 = char_to_byte(text, end)?;
    Some(&text[b0..b1])
}

/// A table for converting many byte offsets of one text to code-point offsets in O(1) each.
pub struct CharIndex {
    /// `char_at_byte[b]` = number of chars before byte `b` (valid at char boundaries and at `len`).
    char_at_byte: Vec<u32>,
}

impl CharIndex {
    pub fn new(text: &str) -> Self {
        let mut char_at_byte = vec![0u32; text.len() + 1];
        let mut n = 0u32;
        for (b, c) in text.char_indices() {
            for slot in &mut char_at_byte[b..b + c.len_utf8()] {
                *slot = n;
            }
            n += 1;
        }
        char_at_byte[text.len()] = n;
        Self { char_at_byte }
    }

    /// Code-point offset of byte offset `b`.
    pub fn char_of(&self, b: usize) -> usize {
        self.char_at_byte[b] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_on_non_ascii() {
        let t = "Café 🍰 at 東京, email zoë@example.org";
        let b = t.find("zoë").unwrap();
        let c = byte_to_char(t, b);
        assert_eq!(char_to_byte(t, c), Some(b));
        assert_eq!(slice_chars(t, c, c + 3), Some("zoë"));
        let idx = CharIndex::new(t);
        assert_eq!(idx.char_of(b), c);
        assert_eq!(idx.char_of(t.len()), t.chars().count());
        assert_eq!(char_to_byte(t, t.chars().count()), Some(t.len()));
        assert_eq!(char_to_byte(t, t.chars().count() + 1), None);
        assert_eq!(slice_chars(t, 5, 3), None);
    }
}
