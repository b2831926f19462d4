//! Compact text encoding of sorted document lists, used for postings and facet values in
//! the JSON files the client reads (the client has the decoder).
//!
//! A list of strictly increasing document numbers becomes the gaps `d[0]`, `d[1] - d[0] - 1`,
//! … (0 for consecutive documents), each written in base 32, most significant digit first:
//! every digit but the last from [`MORE`], the last from [`LAST`]. So gaps below 32 take one
//! character, below 1,024 two. Every character is plain ASCII that JSON never escapes.

/// Digits that end a number.
pub const LAST: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
/// Digits followed by more digits of the same number.
pub const MORE: &[u8; 32] = b"ghijklmnopqrstuvwxyz0123456789-_";

fn push_number(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 7];
    let mut len = 0;
    loop {
        digits[len] = (n & 31) as u8;
        len += 1;
        n >>= 5;
        if n == 0 {
            break;
        }
    }
    for i in (1..len).rev() {
        out.push(MORE[digits[i] as usize] as char);
    }
    out.push(LAST[digits[0] as usize] as char);
}

/// Encode strictly increasing `docs`.
pub fn encode(docs: &[u32]) -> String {
    let mut out = String::with_capacity(docs.len() + docs.len() / 2);
    let mut next = 0u32;
    for &d in docs {
        append(&mut out, &mut next, d);
    }
    out
}

/// Append document `d` to the list encoded so far in `out`, where `next` is one past its
/// last document (0 for an empty list): lists can grow as documents arrive, in order.
pub fn append(out: &mut String, next: &mut u32, d: u32) {
    debug_assert!(d >= *next, "document numbers must increase");
    push_number(out, d - *next);
    *next = d + 1;
}

/// Decode what [`encode`] wrote; `None` for a character outside both alphabets.
pub fn decode(text: &str) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut next = 0u32;
    for b in text.bytes() {
        if let Some(d) = LAST.iter().position(|&c| c == b) {
            let doc = next + (acc << 5 | d as u32);
            out.push(doc);
            next = doc + 1;
            acc = 0;
        } else {
            let d = MORE.iter().position(|&c| c == b)?;
            acc = acc << 5 | d as u32;
        }
    }
    (acc == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_in_base_32() {
        assert_eq!(encode(&[]), "");
        assert_eq!(encode(&[0, 1, 2, 3]), "AAAA");
        assert_eq!(encode(&[5, 6, 40]), "FAhB");
        assert_eq!(encode(&[31]), "f");
        assert_eq!(encode(&[32]), "hA");
        assert_eq!(encode(&[1024 + 3]), "hgD");
        for docs in [
            vec![],
            vec![0],
            vec![7, 8, 9, 1000, 1001, 40_000, 1_000_000],
            (0..3000).step_by(7).collect::<Vec<u32>>(),
        ] {
            assert_eq!(decode(&encode(&docs)).as_deref(), Some(&docs[..]));
        }
        assert_eq!(decode("A?"), None);
    }
}
