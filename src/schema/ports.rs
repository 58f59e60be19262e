//! Port syntax as Docker parses it: `[ip:][host:]container[/protocol]`, `host` and
//! `container` single ports or `a-b` ranges, IPv6 addresses in brackets.
//!
//! Promises: the same accept/refuse answer as Docker's parser for the forms Compose files
//! use, with its reason. Used by the schema's `ports` format and the duplicate-port check.

use std::net::IpAddr;
use std::ops::RangeInclusive;

/// One parsed `ports:` string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    pub host_ip: Option<String>,
    /// Published host ports (None: Docker picks one).
    pub host: Option<RangeInclusive<u32>>,
    pub container: RangeInclusive<u32>,
    pub protocol: String,
}

pub fn parse(spec: &str) -> Result<PortSpec, String> {
    let (raw, protocol) = match spec.rsplit_once('/') {
        Some((raw, proto)) => (raw, proto.to_string()),
        None => (spec, "tcp".to_string()),
    };
    // Docker knows these (any case); an empty protocol (`80/`) means tcp.
    if !matches!(
        protocol.to_ascii_lowercase().as_str(),
        "tcp" | "udp" | "sctp" | ""
    ) {
        return Err(format!(
            "invalid protocol \"{protocol}\" (use tcp, udp or sctp)"
        ));
    }
    let (host_ip, rest) = split_ip(raw)?;
    let parts: Vec<&str> = rest.split(':').collect();
    let (host, container) = match parts.as_slice() {
        [container] => (None, *container),
        [host, container] => (Some(*host), *container),
        _ => return Err(format!("invalid port \"{spec}\": too many colons")),
    };
    if container.is_empty() {
        return Err("no container port specified".into());
    }
    let container =
        range(container).ok_or_else(|| format!("invalid container port \"{container}\""))?;
    let host = match host {
        None | Some("") => None,
        Some(h) => Some(range(h).ok_or_else(|| format!("invalid host port \"{h}\""))?),
    };
    if let Some(h) = &host {
        let (hl, cl) = (h.end() - h.start(), container.end() - container.start());
        if hl != cl && cl != 0 {
            return Err(format!(
                "invalid ranges \"{spec}\": host and container ranges differ in length"
            ));
        }
    }
    Ok(PortSpec {
        host_ip,
        host,
        container,
        protocol,
    })
}

/// Splits a leading host IP (`1.2.3.4:` or `[::1]:`) off when there are three parts.
fn split_ip(raw: &str) -> Result<(Option<String>, &str), String> {
    if let Some(rest) = raw.strip_prefix('[') {
        let (ip, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("invalid IP address in \"{raw}\""))?;
        let after = after
            .strip_prefix(':')
            .ok_or_else(|| format!("invalid port \"{raw}\""))?;
        ip.parse::<IpAddr>()
            .map_err(|_| format!("invalid IP address \"{ip}\""))?;
        return Ok((Some(ip.to_string()), after));
    }
    let colons = raw.matches(':').count();
    if colons < 2 {
        return Ok((None, raw));
    }
    let (ip, rest) = if colons == 2 {
        raw.split_once(':').unwrap_or((raw, ""))
    } else {
        // An unbracketed IPv6 address: the last two parts are the ports.
        let mut cut = raw.rmatch_indices(':').map(|(i, _)| i);
        let _ = cut.next();
        let at = cut.next().unwrap_or(0);
        (&raw[..at], &raw[at + 1..])
    };
    if ip.is_empty() {
        return Ok((None, rest));
    }
    if ip.parse::<IpAddr>().is_err() {
        return Err(format!("invalid IP address \"{ip}\""));
    }
    Ok((Some(ip.to_string()), rest))
}

fn range(text: &str) -> Option<RangeInclusive<u32>> {
    let number = |s: &str| {
        s.parse::<u32>()
            .ok()
            .filter(|n| *n <= 65535 && !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
    };
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (number(a)?, number(b)?);
            (a <= b).then_some(a..=b)
        }
        None => number(text).map(|n| n..=n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_port_forms() {
        assert_eq!(parse("80").map(|p| p.container), Ok(80..=80));
        let p = parse("127.0.0.1:8080:80/udp").expect("valid");
        assert_eq!(
            (p.host_ip.as_deref(), p.host, p.protocol.as_str()),
            (Some("127.0.0.1"), Some(8080..=8080), "udp")
        );
        assert_eq!(
            parse("[::1]:53:53").map(|p| p.host_ip),
            Ok(Some("::1".into()))
        );
        assert_eq!(
            parse("8000-8010:8000-8010").map(|p| p.host),
            Ok(Some(8000..=8010))
        );
        assert_eq!(parse("127.0.0.1::80").map(|p| p.host), Ok(None));
        assert!(parse("").is_err());
        assert!(parse("80:").is_err());
        assert!(parse("abc:80").is_err());
        assert!(parse("99999").is_err());
        assert!(parse("80:80/xyz").is_err());
        assert!(parse("80:80/UDP").is_ok());
    }
}
