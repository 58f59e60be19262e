//! Symbolic addresses of nodes: `services.web.ports[2]`, `services."my.app".image`.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the document root. Keys with dots, brackets or quotes are written quoted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path(pub Vec<Segment>);

impl Path {
    pub fn root() -> Self {
        Path(Vec::new())
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(Segment::Key(key.into()));
        self
    }

    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Segment::Index(index));
        self
    }

    pub fn join(&self, other: &Path) -> Path {
        let mut segments = self.0.clone();
        segments.extend(other.0.iter().cloned());
        Path(segments)
    }

    pub fn parent(&self) -> Option<Path> {
        let (_, rest) = self.0.split_last()?;
        Some(Path(rest.to_vec()))
    }

    pub fn last(&self) -> Option<&Segment> {
        self.0.last()
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub fn starts_with(&self, prefix: &Path) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

fn needs_quoting(key: &str) -> bool {
    key.is_empty() || key.contains(['.', '[', ']', '"', '\\'])
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("<root>");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if needs_quoting(key) {
                        let escaped = key.replace('\\', "\\\\").replace('"', "\\\"");
                        write!(f, "\"{escaped}\"")?;
                    } else {
                        f.write_str(key)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathParseError(pub String);

impl fmt::Display for PathParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid path: {}", self.0)
    }
}

impl std::error::Error for PathParseError {}

impl FromStr for Path {
    type Err = PathParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut segments = Vec::new();
        let mut chars = s.chars().peekable();
        let mut expect_key = true;
        while let Some(&c) = chars.peek() {
            match c {
                '.' if !expect_key => {
                    chars.next();
                    expect_key = true;
                    continue;
                }
                '[' => {
                    chars.next();
                    if chars.peek() == Some(&'"') {
                        segments.push(Segment::Key(quoted(&mut chars, s)?));
                    } else {
                        let digits: String = chars.by_ref().take_while(|c| *c != ']').collect();
                        let n = digits
                            .trim()
                            .parse()
                            .map_err(|_| PathParseError(s.into()))?;
                        segments.push(Segment::Index(n));
                        expect_key = false;
                        continue;
                    }
                    if chars.next() != Some(']') {
                        return Err(PathParseError(s.into()));
                    }
                }
                '"' if expect_key => segments.push(Segment::Key(quoted(&mut chars, s)?)),
                _ if expect_key => {
                    let mut key = String::new();
                    while let Some(&c) = chars.peek() {
                        if c == '.' || c == '[' {
                            break;
                        }
                        key.push(c);
                        chars.next();
                    }
                    segments.push(Segment::Key(key));
                }
                _ => return Err(PathParseError(s.into())),
            }
            expect_key = false;
        }
        Ok(Path(segments))
    }
}

fn quoted(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    whole: &str,
) -> Result<String, PathParseError> {
    chars.next(); // opening quote
    let mut key = String::new();
    loop {
        match chars.next() {
            Some('\\') => key.push(chars.next().ok_or_else(|| PathParseError(whole.into()))?),
            Some('"') => return Ok(key),
            Some(c) => key.push(c),
            None => return Err(PathParseError(whole.into())),
        }
    }
}
