//! The BIO tag set and the conversions between character spans and per-token tags.
//!
//! Tag `0` is `O`; type `k` of [`PiiType::ALL`] has `B-` tag `1 + 2k` and `I-` tag `2 + 2k`: 23 classes. The
//! order is part of the saved model (it is the order of the tagger's output rows), so it must never change.

use blogbot_common::{PiiType, Span};
use serde::{Deserialize, Serialize};

/// Number of BIO classes: `O` plus `B-`/`I-` for each of the 11 types.
pub const NUM_TAGS: usize = 1 + 2 * PiiType::ALL.len();

/// The `O` (outside) tag.
pub const TAG_O: u32 = 0;

/// The `B-` (first token) tag of `ty`.
pub fn tag_begin(ty: PiiType) -> u32 {
    1 + 2 * ty.index() as u32
}

/// The `I-` (continuation) tag of `ty`.
pub fn tag_inside(ty: PiiType) -> u32 {
    2 + 2 * ty.index() as u32
}

/// The type of a tag and whether it begins a span; `None` for `O` or an out-of-range tag.
pub fn tag_kind(tag: u32) -> Option<(PiiType, bool)> {
    if tag == TAG_O || tag as usize >= NUM_TAGS {
        return None;
    }
    let k = (tag as usize - 1) / 2;
    Some((PiiType::ALL[k], tag % 2 == 1))
}

/// Human-readable tag names in tag order (`O`, `B-PERSON`, `I-PERSON`, ...), written into the model config.
pub fn tag_names() -> Vec<String> {
    let mut names = vec!["O".to_string()];
    for t in PiiType::ALL {
        names.push(format!("B-{t}"));
        names.push(format!("I-{t}"));
    }
    names
}

/// A predicted piece of personal data, in code-point offsets of the original text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredSpan {
    pub start: usize,
    pub end: usize,
    #[serde(rename = "type")]
    pub ty: PiiType,
    /// The exact slice `text[start..end]` (in code points).
    pub text: String,
    /// Mean probability of the predicted tag over the span's tokens.
    pub score: f32,
}

/// Per-token BIO tags for gold `spans`. `offsets` are the tokens' code-point ranges. A token takes the type of
/// the span it overlaps (even partially: a span boundary inside a WordPiece is rare and the token is the
/// smallest unit the tagger can mark); the first such token of each span gets `B-`, the rest `I-`.
pub fn bio_tags(offsets: &[(usize, usize)], spans: &[Span]) -> Vec<u32> {
    let mut sorted: Vec<&Span> = spans.iter().collect();
    sorted.sort_by_key(|s| (s.start, s.end));
    let mut tags = vec![TAG_O; offsets.len()];
    let mut prev_span: Option<usize> = None;
    let mut j = 0;
    for (i, &(a, b)) in offsets.iter().enumerate() {
        // Spans ending at or before this token can no longer overlap any later token (tokens are in order).
        while j < sorted.len() && sorted[j].end <= a {
            j += 1;
        }
        let hit = (j..sorted.len()).take_while(|&k| sorted[k].start < b).find(|&k| a < b && a < sorted[k].end);
        match hit {
            Some(k) => {
                let ty = sorted[k].ty;
                tags[i] = if prev_span == Some(k) { tag_inside(ty) } else { tag_begin(ty) };
                prev_span = Some(k);
            }
            None => prev_span = None,
        }
    }
    tags
}

/// Decodes per-token tags into spans of `text`. `scores[i]` is the probability of `tags[i]`.
///
/// Lenient BIO: an `I-X` that does not continue an `X` span starts one (a tagger that misses the `B-` still
/// found the entity). A span runs from its first token's start to its last token's end, so the whitespace and
/// punctuation between its tokens are included; whitespace at the edges is trimmed.
pub fn decode_bio(text: &str, offsets: &[(usize, usize)], tags: &[u32], scores: &[f32]) -> Vec<PredSpan> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    // (type, start, end, score sum, token count)
    let mut cur: Option<(PiiType, usize, usize, f32, usize)> = None;
    let mut close = |cur: &mut Option<(PiiType, usize, usize, f32, usize)>| {
        if let Some((ty, s, e, sum, n)) = cur.take() {
            if let Some(span) = make_span(&chars, ty, s, e, sum / n as f32) {
                out.push(span);
            }
        }
    };
    for (i, &(a, b)) in offsets.iter().enumerate() {
        let score = scores.get(i).copied().unwrap_or(1.0);
        match tags.get(i).and_then(|&t| tag_kind(t)) {
            None => close(&mut cur),
            Some((ty, begin)) => match &mut cur {
                Some((cty, _, end, sum, n)) if !begin && *cty == ty => {
                    *end = (*end).max(b);
                    *sum += score;
                    *n += 1;
                }
                _ => {
                    close(&mut cur);
                    cur = Some((ty, a, b, score, 1));
                }
            },
        }
    }
    close(&mut cur);
    out
}

/// Decodes per-token tag *probabilities* (`probs[i]` has [`NUM_TAGS`] entries) into spans; what inference uses.
///
/// A word is an entity of type T when the probability of T's tags (`B-T` and `I-T` together) beats that of `O`
/// and of every other type: a span starts at a word that begins one or at an entity word after an `O`, and
/// continues over words that do not begin one. Unlike strict BIO, those words continue the span whatever their
/// own type, and the span's type is the one with the largest probability mass summed over its words: an e-mail whose middle token leans towards URL stays one e-mail span instead of
/// breaking into three. The score is the span's mean probability of not being `O`.
///
/// Decisions are taken per written word, not per WordPiece: the pieces of one word ("pink" + "##y", "79" +
/// "##88" + "##71") vote together with their mean probabilities, so a span never starts or ends inside a word
/// ("Pink" out of "Pinky"); the word's first piece says whether it begins a span.
pub fn decode_soft(text: &str, offsets: &[(usize, usize)], probs: &[Vec<f32>]) -> Vec<PredSpan> {
    struct Run {
        start: usize,
        end: usize,
        votes: [f32; PiiType::ALL.len()],
        entity_p: f32,
        n: usize,
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let flush = |run: Option<Run>, out: &mut Vec<PredSpan>| {
        if let Some(r) = run {
            let k = (0..r.votes.len()).max_by(|&a, &b| r.votes[a].total_cmp(&r.votes[b])).unwrap_or(0);
            if let Some(span) = make_span(&chars, PiiType::ALL[k], r.start, r.end, r.entity_p / r.n as f32) {
                out.push(span);
            }
        }
    };
    let mut cur: Option<Run> = None;
    for (a, b, p, first) in words(&chars, offsets, probs) {
        // The word is an entity of the type whose tags (B- and I- together) outweigh `O` and every other type.
        let mass: [f32; PiiType::ALL.len()] = std::array::from_fn(|k| {
            p.get(1 + 2 * k).copied().unwrap_or(0.0) + p.get(2 + 2 * k).copied().unwrap_or(0.0)
        });
        let k = (0..mass.len()).max_by(|&x, &y| mass[x].total_cmp(&mass[y])).unwrap_or(0);
        if mass[k] <= p.first().copied().unwrap_or(1.0) {
            flush(cur.take(), &mut out);
            continue;
        }
        let ty = PiiType::ALL[k];
        // Whether the word begins a span: its first piece's begin against inside probability for the type.
        let begin = first.get(tag_begin(ty) as usize) >= first.get(tag_inside(ty) as usize);
        if begin || cur.is_none() {
            flush(cur.take(), &mut out);
            cur = Some(Run { start: a, end: b, votes: [0.0; PiiType::ALL.len()], entity_p: 0.0, n: 0 });
        }
        if let Some(r) = cur.as_mut() {
            r.end = r.end.max(b);
            for (v, m) in r.votes.iter_mut().zip(mass) {
                *v += m;
            }
            r.entity_p += 1.0 - p.first().copied().unwrap_or(0.0);
            r.n += 1;
        }
    }
    flush(cur.take(), &mut out);
    join_touching(out)
}

/// Groups WordPiece tokens into written words: a token continues the previous one's word when it starts where
/// that one ended with a letter or digit on both sides of the join. Yields each word's code-point range, its
/// tokens' mean tag probabilities and its first token's probabilities.
fn words<'a>(
    chars: &'a [char],
    offsets: &'a [(usize, usize)],
    probs: &'a [Vec<f32>],
) -> impl Iterator<Item = (usize, usize, Vec<f32>, &'a [f32])> + 'a {
    let alnum = |i: usize| chars.get(i).is_some_and(|c| c.is_alphanumeric());
    let n = offsets.len().min(probs.len());
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= n {
            return None;
        }
        let (a, mut b) = offsets[i];
        let first = i;
        let mut sum = probs[i].clone();
        i += 1;
        while i < n && offsets[i].0 == b && b > a && alnum(b - 1) && alnum(b) && offsets[i].1 > b {
            for (s, p) in sum.iter_mut().zip(&probs[i]) {
                *s += p;
            }
            b = offsets[i].1;
            i += 1;
        }
        let k = (i - first) as f32;
        sum.iter_mut().for_each(|s| *s /= k);
        Some((a, b, sum, probs[first].as_slice()))
    })
}

/// Joins spans of one type with nothing between them: a second begin tag inside one written token ("(" then
/// "044)-9270829") is one value, not two.
fn join_touching(spans: Vec<PredSpan>) -> Vec<PredSpan> {
    let mut out: Vec<PredSpan> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(prev) if prev.ty == s.ty && prev.end == s.start => {
                let (a, b) = ((prev.end - prev.start) as f32, (s.end - s.start) as f32);
                prev.score = (prev.score * a + s.score * b) / (a + b);
                prev.end = s.end;
                prev.text.push_str(&s.text);
            }
            _ => out.push(s),
        }
    }
    out
}

/// A probability vector that puts all mass on `tag` (gold tags fed to [`decode_soft`]).
pub fn one_hot(tag: u32) -> Vec<f32> {
    let mut v = vec![0.0; NUM_TAGS];
    if let Some(x) = v.get_mut(tag as usize) {
        *x = 1.0;
    }
    v
}

fn make_span(chars: &[char], ty: PiiType, mut s: usize, mut e: usize, score: f32) -> Option<PredSpan> {
    e = e.min(chars.len());
    while s < e && chars[s].is_whitespace() {
        s += 1;
    }
    while e > s && chars[e - 1].is_whitespace() {
        e -= 1;
    }
    (s < e).then(|| PredSpan { start: s, end: e, ty, text: chars[s..e].iter().collect(), score })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str, value: &str, ty: PiiType) -> Span {
        let b = text.find(value).unwrap();
        let start = text[..b].chars().count();
        Span { start, end: start + value.chars().count(), ty, value: value.into() }
    }

    #[test]
    fn tag_ids_round_trip() {
        assert_eq!(NUM_TAGS, 23);
        assert_eq!(tag_names().len(), NUM_TAGS);
        for t in PiiType::ALL {
            assert_eq!(tag_kind(tag_begin(t)), Some((t, true)));
            assert_eq!(tag_kind(tag_inside(t)), Some((t, false)));
            assert_eq!(tag_names()[tag_inside(t) as usize], format!("I-{t}"));
        }
        assert_eq!(tag_kind(TAG_O), None);
        assert_eq!(tag_kind(23), None);
    }

    #[test]
    fn hand_tokenised_round_trip_and_adjacent_spans() {
        // Tokens by hand: "Ann" "Lee" "," "Bob" "Ray" "mail" "a@b.c"
        let text = "Ann Lee, Bob Ray mail a@b.c";
        let offsets = [(0, 3), (4, 7), (7, 8), (9, 12), (13, 16), (17, 21), (22, 27)];
        let spans = vec![
            span(text, "Ann Lee", PiiType::Person),
            span(text, "Bob Ray", PiiType::Person),
            span(text, "a@b.c", PiiType::Email),
        ];
        let tags = bio_tags(&offsets, &spans);
        let (bp, ip, be) = (tag_begin(PiiType::Person), tag_inside(PiiType::Person), tag_begin(PiiType::Email));
        assert_eq!(tags, vec![bp, ip, TAG_O, bp, ip, TAG_O, be]);
        let decoded = decode_bio(text, &offsets, &tags, &[0.5; 7]);
        let back: Vec<(usize, usize, PiiType, &str)> =
            decoded.iter().map(|s| (s.start, s.end, s.ty, s.text.as_str())).collect();
        let want: Vec<(usize, usize, PiiType, &str)> =
            spans.iter().map(|s| (s.start, s.end, s.ty, s.value.as_str())).collect();
        assert_eq!(back, want);
        // Two adjacent same-type spans with no O between them stay two spans thanks to the B- tag.
        let tags = vec![bp, ip, TAG_O, bp, bp, TAG_O, TAG_O];
        let d = decode_bio(text, &offsets, &tags, &[1.0; 7]);
        assert_eq!(d.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(), ["Ann Lee", "Bob", "Ray"]);
    }

    #[test]
    fn lenient_inside_and_whitespace_trim() {
        let text = "  x  yy ";
        let offsets = [(0, 3), (3, 7)];
        let ie = tag_inside(PiiType::Email);
        let d = decode_bio(text, &offsets, &[ie, ie], &[0.2, 0.4]);
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].start, d[0].end, d[0].text.as_str()), (2, 7, "x  yy"));
        assert!((d[0].score - 0.3).abs() < 1e-6);
        // A type change inside a run splits it.
        let d = decode_bio(text, &offsets, &[ie, tag_inside(PiiType::Url)], &[1.0, 1.0]);
        assert_eq!(d.len(), 2);
        // A whitespace-only span disappears.
        assert!(decode_bio("   ", &[(0, 3)], &[ie], &[1.0]).is_empty());
    }

    #[test]
    fn soft_decoding_votes_on_the_type_and_splits_only_at_b() {
        let text = "mail ann@x.org now";
        let offsets = [(0, 4), (5, 8), (8, 9), (9, 10), (10, 11), (11, 14), (15, 18)];
        let (be, ie, iu) = (tag_begin(PiiType::Email), tag_inside(PiiType::Email), tag_inside(PiiType::Url));
        // The middle token leans towards URL; the run stays one e-mail span.
        let mut probs: Vec<Vec<f32>> = [TAG_O, be, ie, iu, ie, ie, TAG_O].iter().map(|&t| one_hot(t)).collect();
        probs[3][ie as usize] = 0.4;
        probs[3][iu as usize] = 0.6;
        let d = decode_soft(text, &offsets, &probs);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].start, d[0].end, d[0].ty, d[0].text.as_str()), (5, 14, PiiType::Email, "ann@x.org"));
        assert!((d[0].score - 1.0).abs() < 1e-6);
        // A B- tag inside one written token does not cut it in two; a B- tag after a space starts a new span.
        probs[3] = one_hot(tag_begin(PiiType::Email));
        let d = decode_soft(text, &offsets, &probs);
        assert_eq!(d.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(), ["ann@x.org"]);
        probs[6] = one_hot(tag_begin(PiiType::Email));
        let d = decode_soft(text, &offsets, &probs);
        assert_eq!(d.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(), ["ann@x.org", "now"]);
        let url = PredSpan { start: 14, end: 15, ty: PiiType::Url, text: " ".into(), score: 1.0 };
        assert_eq!(join_touching(vec![d[0].clone(), url.clone()]).len(), 2, "touching spans of two types stay apart");
        probs[3] = one_hot(ie);
        probs[6] = one_hot(TAG_O);
        // With one-hot gold tags it agrees with strict BIO decoding.
        let tags = [TAG_O, be, ie, ie, ie, ie, TAG_O];
        let hot: Vec<Vec<f32>> = tags.iter().map(|&t| one_hot(t)).collect();
        assert_eq!(decode_soft(text, &offsets, &hot), decode_bio(text, &offsets, &tags, &[1.0; 7]));
    }

    #[test]
    fn soft_decoding_decides_per_word_not_per_piece() {
        let text = "meet Pinky and Okonkwo today";
        // "pink" "##y" | "and" | "ok" "##on" "##kwo"
        let offsets = [(0, 4), (5, 9), (9, 10), (11, 14), (15, 17), (17, 19), (19, 22), (23, 28)];
        let (bp, ip) = (tag_begin(PiiType::Person), tag_inside(PiiType::Person));
        let mix = |pairs: &[(u32, f32)]| {
            let mut v = vec![0.0; NUM_TAGS];
            for &(t, p) in pairs {
                v[t as usize] = p;
            }
            v
        };
        let probs = vec![
            one_hot(TAG_O),
            mix(&[(bp, 0.6), (TAG_O, 0.4)]),
            mix(&[(TAG_O, 0.9), (ip, 0.1)]),
            one_hot(TAG_O),
            mix(&[(bp, 0.6), (TAG_O, 0.4)]),
            mix(&[(ip, 0.3), (bp, 0.3), (TAG_O, 0.4)]),
            mix(&[(ip, 0.6), (TAG_O, 0.4)]),
            one_hot(TAG_O),
        ];
        let d = decode_soft(text, &offsets, &probs);
        // "Pinky": one piece of two leans PERSON, the word does not (mean 0.35 against O 0.65): no "Pink" span.
        // "Okonkwo": every piece's PERSON mass (B and I together) beats O, even the one whose best single tag is O.
        assert_eq!(d.iter().map(|s| (s.ty, s.text.as_str())).collect::<Vec<_>>(), [(PiiType::Person, "Okonkwo")]);
        // Pieces of a word are joined only across letters or digits: "ann" "@" "x" stay separate words.
        let text = "ann@x";
        let probs = vec![one_hot(tag_begin(PiiType::Email)), one_hot(TAG_O), one_hot(tag_begin(PiiType::Email))];
        let d = decode_soft(text, &[(0, 3), (3, 4), (4, 5)], &probs);
        assert_eq!(d.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(), ["ann", "x"]);
    }

    #[test]
    fn partial_overlap_marks_the_token() {
        // Span boundary falls inside token 1 ("johnny" vs span "john"): the token is still tagged.
        let offsets = [(0, 2), (3, 9), (10, 12)];
        let s = Span { start: 3, end: 7, ty: PiiType::Person, value: "john".into() };
        assert_eq!(bio_tags(&offsets, &[s]), vec![TAG_O, tag_begin(PiiType::Person), TAG_O]);
    }
}
