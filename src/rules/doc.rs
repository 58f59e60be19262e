//! Turns doc-comment attributes into the text `shipshape rule <id>` prints, at compile time.

/// Drops the one space rustdoc keeps after `///` at the start of each line. Returns the
/// bytes and how many of them are used (the text only shrinks).
pub const fn dedent<const N: usize>(raw: &str) -> ([u8; N], usize) {
    let bytes = raw.as_bytes();
    let mut out = [0u8; N];
    let (mut i, mut len) = (0, 0);
    let mut line_start = true;
    while i < bytes.len() && i < N {
        let b = bytes[i];
        if !(line_start && b == b' ') {
            out[len] = b;
            len += 1;
        }
        line_start = b == b'\n';
        i += 1;
    }
    (out, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_one_space_per_line() {
        let (bytes, len) = dedent::<14>(" a\n  b\n\n c\n");
        assert_eq!(std::str::from_utf8(&bytes[..len]).unwrap(), "a\n b\n\nc\n");
    }
}
