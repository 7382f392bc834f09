//! Word shape: what a lower-casing tokenizer hides.
//!
//! all-MiniLM-L6-v2's tokenizer lower-cases (`BertNormalizer`, `lowercase: true`), so "Nora popped in" and
//! "nora popped in" reach the encoder as the same ids, and the capital letter, the main clue that a word is a
//! name, is gone. Each token therefore also gets a shape class computed from the original text at its offsets,
//! and the model adds a learned embedding of that class to the token's input embedding (see
//! [`crate::model::PiiModel`]). The class is the shape of the whole word the token belongs to (so "##for" of
//! "Okafor" is capitalised too), with capitalised words split by whether they start a sentence or line, where a
//! capital letter says nothing.

/// `[CLS]`, `[SEP]` and padding.
pub const SPECIAL: u32 = 0;
/// All letters lower-case ("came"), and the pronoun "I".
pub const LOWER: u32 = 1;
/// First letter upper-case, inside a sentence ("Nora" in "my friend Nora").
pub const CAPITALIZED: u32 = 2;
/// First letter upper-case at the start of a sentence, line or text ("Nora popped in", "The").
pub const CAPITALIZED_START: u32 = 3;
/// Two or more letters, all upper-case ("NHS", "DOB").
pub const UPPER: u32 = 4;
/// The word has a digit ("2024", "7b", "B12").
pub const DIGITS: u32 = 5;
/// Letters without case (CJK, Arabic...) or lower-case first with an inner capital ("iPhone").
pub const OTHER: u32 = 6;
/// Punctuation and symbols.
pub const PUNCT: u32 = 7;
/// Number of shape classes (rows of the shape embedding table).
pub const NUM_SHAPES: usize = 8;

/// The shape class of each token, given the text as code points and each token's code-point offsets.
pub fn token_shapes(chars: &[char], offsets: &[(usize, usize)]) -> Vec<u32> {
    offsets.iter().map(|&(s, e)| token_shape(chars, s, e)).collect()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn token_shape(chars: &[char], s: usize, e: usize) -> u32 {
    let Some(&first) = chars.get(s) else { return PUNCT };
    if e <= s || !is_word_char(first) {
        return PUNCT;
    }
    let mut ws = s;
    while ws > 0 && is_word_char(chars[ws - 1]) {
        ws -= 1;
    }
    let mut we = s;
    while we < chars.len() && is_word_char(chars[we]) {
        we += 1;
    }
    word_shape(chars, ws, we)
}

/// Shape of the word `chars[ws..we]` (a maximal run of letters and digits).
fn word_shape(chars: &[char], ws: usize, we: usize) -> u32 {
    let word = &chars[ws..we];
    if word.iter().any(|c| c.is_numeric()) {
        return DIGITS;
    }
    let upper = word.iter().filter(|c| c.is_uppercase()).count();
    let lower = word.iter().filter(|c| c.is_lowercase()).count();
    if upper == 0 && lower == 0 {
        return OTHER;
    }
    if word == ['I'] {
        return LOWER;
    }
    if word[0].is_uppercase() {
        if word.len() >= 2 && lower == 0 {
            return UPPER;
        }
        return if starts_sentence(chars, ws) { CAPITALIZED_START } else { CAPITALIZED };
    }
    if upper > 0 {
        OTHER
    } else {
        LOWER
    }
}

/// Whether the word starting at `ws` opens a sentence, a line or the text: looking back over spaces, opening
/// quotes, brackets and list markers, the text starts, a line breaks, or a sentence ends.
fn starts_sentence(chars: &[char], ws: usize) -> bool {
    let mut i = ws;
    while i > 0 {
        let c = chars[i - 1];
        match c {
            '\n' => return true,
            '.' | '!' | '?' | '…' => return true,
            c if c.is_whitespace() => {}
            '"' | '\'' | '“' | '‘' | '«' | '(' | '[' | '*' | '-' | '–' | '—' | '#' | '>' | '•' => {}
            _ => return false,
        }
        i -= 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes_of(text: &str) -> Vec<(String, u32)> {
        let chars: Vec<char> = text.chars().collect();
        // One "token" per word or punctuation character, as a tokenizer's pre-splitting would give.
        let mut offsets = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_whitespace() {
                i += 1;
            } else if is_word_char(chars[i]) {
                let s = i;
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                offsets.push((s, i));
            } else {
                offsets.push((i, i + 1));
                i += 1;
            }
        }
        offsets
            .iter()
            .zip(token_shapes(&chars, &offsets))
            .map(|(&(s, e), k)| (chars[s..e].iter().collect(), k))
            .collect()
    }

    fn shape(text: &str, word: &str) -> u32 {
        shapes_of(text).into_iter().find(|(w, _)| w == word).unwrap_or_else(|| panic!("{word} in {text}")).1
    }

    #[test]
    fn names_inside_and_at_the_start_of_sentences() {
        let t = "My old friend Nora popped in. Marta and I walked to the NHS clinic at 10am!";
        assert_eq!(shape(t, "My"), CAPITALIZED_START);
        assert_eq!(shape(t, "old"), LOWER);
        assert_eq!(shape(t, "Nora"), CAPITALIZED);
        assert_eq!(shape(t, "Marta"), CAPITALIZED_START);
        assert_eq!(shape(t, "I"), LOWER);
        assert_eq!(shape(t, "NHS"), UPPER);
        assert_eq!(shape(t, "10am"), DIGITS);
        assert_eq!(shape(t, "."), PUNCT);
        assert_eq!(shape("Love,\nMaya", "Maya"), CAPITALIZED_START);
        assert_eq!(shape("She said \"Tom is late\"", "Tom"), CAPITALIZED);
        assert_eq!(shape("Done. \"Tom is late\"", "Tom"), CAPITALIZED_START);
        assert_eq!(shape("- Anna brought cake", "Anna"), CAPITALIZED_START);
        assert_eq!(shape("my new iPhone", "iPhone"), OTHER);
        assert_eq!(shape("我们 见了 王伟", "王伟"), OTHER);
        assert_eq!(shape("Zoë's bike", "Zoë"), CAPITALIZED_START);
        assert_eq!(shape("Ask Ólafur", "Ólafur"), CAPITALIZED);
    }

    #[test]
    fn a_subword_takes_its_whole_words_shape() {
        let chars: Vec<char> = "we met Mrs Okafor".chars().collect();
        // "oka" + "##for"
        let shapes = token_shapes(&chars, &[(11, 14), (14, 17), (7, 10)]);
        assert_eq!(shapes, vec![CAPITALIZED, CAPITALIZED, CAPITALIZED]);
        assert_eq!(token_shapes(&chars, &[(17, 17), (40, 41)]), vec![PUNCT, PUNCT], "empty or out-of-range offsets");
    }
}
