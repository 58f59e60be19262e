//! Byte sizes as Compose reads them (`512m`, `1.5g`, `2GiB`, `1024`): a number with an
//! optional `b k m g t p` unit (binary multiples), optional `i` and `b`.

/// Bytes in `text`, or why it is not a size.
pub fn parse_bytes(text: &str) -> Result<i64, String> {
    let trimmed = text.trim();
    let number_end = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, suffix) = trimmed.split_at(number_end);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid size: '{text}'"))?;
    let unit = suffix.trim_start_matches(' ').to_ascii_lowercase();
    let multiplier: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" | "ki" => 1024.0,
        "m" | "mb" | "mib" | "mi" => 1024f64.powi(2),
        "g" | "gb" | "gib" | "gi" => 1024f64.powi(3),
        "t" | "tb" | "tib" | "ti" => 1024f64.powi(4),
        "p" | "pb" | "pib" | "pi" => 1024f64.powi(5),
        _ => return Err(format!("invalid suffix: '{}'", suffix.trim_start())),
    };
    Ok((value * multiplier) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_docker_sizes() {
        assert_eq!(parse_bytes("512m"), Ok(512 * 1024 * 1024));
        assert_eq!(parse_bytes("1GiB"), Ok(1024 * 1024 * 1024));
        assert_eq!(parse_bytes("1024"), Ok(1024));
        assert_eq!(parse_bytes("1.5k"), Ok(1536));
        assert!(parse_bytes("1zb").is_err());
        assert!(parse_bytes("abc").is_err());
    }
}
