//! Mutation fuzzing against the real Docker Compose v2 (issue #12): corpus files that both
//! tools accept are mutated by a seeded, deterministic mutator (a line deleted, duplicated or
//! re-indented, an anchor/alias/merge key inserted, quotes flipped, a scalar changed, sibling
//! values swapped, a key renamed to a near miss), and `shipshape validate` must give the
//! verdict `docker compose -f FILE config --quiet` gives (accept or reject) on each mutant.
//!
//! Each mutant runs in a directory of its own that mirrors the original's directory (symlinks
//! to its siblings, so `env_file`, `.env`, `extends` and `include` resolve as in the corpus),
//! in an empty environment, like `validate_parity.rs`. Every disagreement is written to
//! `target/mutants/seed-<S>/` (the mutant, plus a `.txt` naming the source, the operator and
//! both verdicts) for triage; fixed causes are pinned by a minimized fixture in
//! `tests/fixtures/validate/parity/`. Disagreements where Compose is wrong are listed in
//! `tests/mutants-allowlist.txt` (a substring of Compose's message, with the reason).
//!
//! `SHIPSHAPE_MUTANTS=N` (default 600), `SHIPSHAPE_SEED=S` (default [`DEFAULT_SEED`]),
//! `SHIPSHAPE_MUTANT_THREADS=T` (default 2) and `SHIPSHAPE_MUTANTS_OUT=DIR` scale a run
//! (`SHIPSHAPE_BIN=PATH` runs another shipshape binary, e.g. a copy kept while rebuilding):
//! `SHIPSHAPE_MUTANTS=3000 SHIPSHAPE_SEED=7 cargo test --test it validate_mutants -- --ignored --nocapture`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const DEFAULT_SEED: u64 = 20_261_128;
const DEFAULT_MUTANTS: usize = 600;
const ALLOWLIST: &str = include_str!("../mutants-allowlist.txt");

/// splitmix64: small, fast, and the same sequence on every platform.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// One line of a YAML text, split into its parts (byte ranges into the line).
#[derive(Debug, Clone)]
struct Line {
    /// Spaces before anything else.
    indent: usize,
    /// Where the content starts, after the indent and any `- ` markers.
    body: usize,
    /// The key, when the line is `key: value` or `key:`.
    key: Option<(usize, usize)>,
    /// The scalar value (a `key: value`'s value or a `- item`), without a trailing comment.
    value: Option<(usize, usize)>,
}

fn parse_line(line: &str) -> Option<Line> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let mut body = indent;
    while line[body..].starts_with("- ") {
        body += 2;
        body += line[body..].len() - line[body..].trim_start_matches(' ').len();
    }
    let rest = &line[body..];
    if rest.is_empty() || rest.starts_with('#') || rest == "-" || rest.starts_with("---") {
        return None;
    }
    let key_end = if rest.starts_with(['"', '\'']) {
        let quote = rest.as_bytes()[0] as char;
        rest[1..]
            .find(quote)
            .map(|end| end + 2)
            .filter(|&end| rest[end..].starts_with(':'))
    } else if rest.starts_with(['[', '{', '&', '*', '!', '|', '>']) {
        None
    } else {
        rest.find(": ")
            .or_else(|| rest.ends_with(':').then(|| rest.len() - 1))
            .filter(|&end| end > 0 && !rest[..end].contains(" #"))
    };
    let (key, value_start) = match key_end {
        Some(end) => (Some((body, body + end)), body + end + 1),
        None => (None, body),
    };
    let after = &line[value_start..];
    let start = value_start + after.len() - after.trim_start().len();
    let text = &line[start..];
    let end = if text.starts_with(['"', '\'']) {
        let quote = text.as_bytes()[0] as char;
        text[1..].find(quote).map_or(text.len(), |e| e + 2)
    } else {
        text.find(" #").unwrap_or(text.len())
    };
    let value = (end > 0).then(|| (start, start + text[..end].trim_end().len()));
    Some(Line {
        indent,
        body,
        key,
        value: value.filter(|(s, e)| e > s),
    })
}

/// Values a scalar is changed to.
const SCALARS: &[&str] = &[
    "0",
    "1",
    "-1",
    "-5",
    "65536",
    "1.5",
    "true",
    "false",
    "null",
    "~",
    "\"\"",
    "''",
    "",
    "localhost",
    "${FZ_VAR}",
    "${FZ_VAR:-fallback}",
    "\"${FZ_VAR:?missing}\"",
    "${FZ_VAR-}",
    "$${FZ}",
    "\"a b\"",
    "x",
    "[]",
    "{}",
    "yes",
    "0.0.0.0",
    "\"::1\"",
    "80:80",
    "\"8080:80/tcp\"",
    "/tmp:/tmp",
    "./data:/data:ro",
    "1g",
    "10s",
    "-10s",
    "\"1.5\"",
    "\"0\"",
    "any",
    "none",
    "host",
    "service:fz",
    "always",
    "nginx:latest",
];

/// A seeded mutant of `text`: the operator applied and the mutated text (None when the text
/// offers nothing the chosen operator can work on).
pub(crate) fn mutate(text: &str, rng: &mut Rng) -> Option<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let parsed: Vec<Option<Line>> = lines.iter().map(|l| parse_line(l)).collect();
    let content: Vec<usize> = (0..lines.len()).filter(|&i| parsed[i].is_some()).collect();
    let with_key: Vec<usize> = content
        .iter()
        .copied()
        .filter(|&i| parsed[i].as_ref().is_some_and(|l| l.key.is_some()))
        .collect();
    let with_value: Vec<usize> = content
        .iter()
        .copied()
        .filter(|&i| parsed[i].as_ref().is_some_and(|l| l.value.is_some()))
        .collect();
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_string()).collect();
    let line = |i: usize| parsed[i].as_ref().expect("a content line");
    let operator = rng.below(8);
    let name = match operator {
        0 => {
            let &i = rng.pick(&content)?;
            out.remove(i);
            format!("delete line {}", i + 1)
        }
        1 => {
            let &i = rng.pick(&content)?;
            out.insert(i + 1, lines[i].to_string());
            format!("duplicate line {}", i + 1)
        }
        2 => {
            let &i = rng.pick(&content)?;
            if line(i).indent >= 2 && rng.chance(50) {
                out[i] = lines[i][2..].to_string();
                format!("dedent line {}", i + 1)
            } else {
                out[i] = format!("  {}", lines[i]);
                format!("indent line {}", i + 1)
            }
        }
        3 => anchor(&lines, &parsed, &with_key, &with_value, &mut out, rng)?,
        4 => {
            let &i = rng.pick(&with_value)?;
            let (s, e) = line(i).value?;
            let value = &lines[i][s..e];
            let flipped = match value.as_bytes()[0] {
                b'"' | b'\'' if value.len() >= 2 => value[1..value.len() - 1].to_string(),
                _ if value.contains('"') || rng.chance(40) => format!("'{value}'"),
                _ => format!("\"{value}\""),
            };
            out[i] = format!("{}{flipped}{}", &lines[i][..s], &lines[i][e..]);
            format!("flip quoting on line {}", i + 1)
        }
        5 => {
            let &i = rng.pick(&with_value)?;
            let (s, e) = line(i).value?;
            let replacement = if rng.chance(15) {
                let &j = rng.pick(&with_value)?;
                let (js, je) = line(j).value?;
                lines[j][js..je].to_string()
            } else {
                (*rng.pick(SCALARS)?).to_string()
            };
            out[i] = format!("{}{replacement}{}", &lines[i][..s], &lines[i][e..]);
            format!("change the scalar on line {} to {replacement:?}", i + 1)
        }
        6 => {
            // Two `key: value` lines of one block (same indent, nothing shallower between).
            let &i = rng.pick(&with_value)?;
            let li = line(i);
            li.key?;
            let mut siblings = Vec::new();
            for (j, candidate) in parsed.iter().enumerate().skip(i + 1) {
                let Some(lj) = candidate else { continue };
                if lj.indent < li.indent || (lj.indent == li.indent && lj.body != li.body) {
                    break;
                }
                if lj.indent == li.indent && lj.key.is_some() && lj.value.is_some() {
                    siblings.push(j);
                }
            }
            let &j = rng.pick(&siblings)?;
            let (is, ie) = li.value?;
            let (js, je) = line(j).value?;
            out[i] = format!(
                "{}{}{}",
                &lines[i][..is],
                &lines[j][js..je],
                &lines[i][ie..]
            );
            out[j] = format!(
                "{}{}{}",
                &lines[j][..js],
                &lines[i][is..ie],
                &lines[j][je..]
            );
            format!("swap the values of lines {} and {}", i + 1, j + 1)
        }
        _ => {
            let &i = rng.pick(&with_key)?;
            let (s, e) = line(i).key?;
            let key = &lines[i][s..e];
            let renamed = near_miss(key, rng)?;
            out[i] = format!("{}{renamed}{}", &lines[i][..s], &lines[i][e..]);
            format!("rename key {key:?} on line {} to {renamed:?}", i + 1)
        }
    };
    let mut mutated = out.join("\n");
    if text.ends_with('\n') {
        mutated.push('\n');
    }
    (mutated != text).then_some((name, mutated))
}

/// Anchors and aliases: a value aliased elsewhere, a mapping merged (`<<`) into a sibling
/// block, an alias to an anchor that does not exist, a merge of a scalar.
fn anchor(
    lines: &[&str],
    parsed: &[Option<Line>],
    with_key: &[usize],
    with_value: &[usize],
    out: &mut [String],
    rng: &mut Rng,
) -> Option<String> {
    let line = |i: usize| parsed[i].as_ref().expect("a content line");
    match rng.below(4) {
        0 => {
            let &i = rng.pick(with_value)?;
            let later: Vec<usize> = with_value.iter().copied().filter(|&j| j > i).collect();
            let &j = rng.pick(&later)?;
            let (is, _) = line(i).value?;
            let (js, je) = line(j).value?;
            out[i] = format!("{}&fz {}", &lines[i][..is], &lines[i][is..]);
            out[j] = format!("{}*fz{}", &lines[j][..js], &lines[j][je..]);
            Some(format!(
                "alias line {} to the value of line {}",
                j + 1,
                i + 1
            ))
        }
        1 => {
            // `key:` opening a block mapping, merged into a later line's mapping.
            let blocks: Vec<usize> = with_key
                .iter()
                .copied()
                .filter(|&i| {
                    line(i).value.is_none()
                        && parsed
                            .get(i + 1)
                            .and_then(Option::as_ref)
                            .is_some_and(|n| n.indent > line(i).indent && n.key.is_some())
                })
                .collect();
            let &i = rng.pick(&blocks)?;
            let later: Vec<usize> = with_key.iter().copied().filter(|&j| j > i + 1).collect();
            let &j = rng.pick(&later)?;
            out[i] = format!("{} &fz", lines[i].trim_end());
            out[j] = merge_before(lines[j], line(j));
            Some(format!(
                "merge the mapping of line {} into line {}",
                i + 1,
                j + 1
            ))
        }
        2 => {
            let &i = rng.pick(with_value)?;
            let (s, e) = line(i).value?;
            out[i] = format!("{}*fz_missing{}", &lines[i][..s], &lines[i][e..]);
            Some(format!("alias to an undefined anchor on line {}", i + 1))
        }
        _ => {
            let &i = rng.pick(with_value)?;
            let later: Vec<usize> = with_key.iter().copied().filter(|&j| j > i).collect();
            let &j = rng.pick(&later)?;
            let (is, _) = line(i).value?;
            out[i] = format!("{}&fz {}", &lines[i][..is], &lines[i][is..]);
            out[j] = merge_before(lines[j], line(j));
            Some(format!(
                "merge the scalar of line {} into line {}",
                i + 1,
                j + 1
            ))
        }
    }
}

/// `line` with a `<<: *fz` merge key written before its key, in the same mapping:
/// `- key: v` becomes `- <<: *fz` then `  key: v`.
fn merge_before(line: &str, parsed: &Line) -> String {
    format!(
        "{}<<: *fz\n{}{}",
        &line[..parsed.body],
        " ".repeat(parsed.body),
        &line[parsed.body..]
    )
}

/// A key that is almost `key`: a letter dropped, doubled or swapped, `_`/`-` exchanged, a
/// plural, a capital, an `x-` prefix.
fn near_miss(key: &str, rng: &mut Rng) -> Option<String> {
    let chars: Vec<char> = key.chars().collect();
    if chars.is_empty() || key.starts_with(['"', '\'']) {
        return None;
    }
    let at = rng.below(chars.len());
    let renamed: String = match rng.below(7) {
        0 if chars.len() > 1 => chars
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != at)
            .map(|(_, c)| c)
            .collect(),
        1 => chars
            .iter()
            .enumerate()
            .flat_map(|(i, c)| if i == at { vec![*c, *c] } else { vec![*c] })
            .collect(),
        2 if chars.len() > 1 => {
            let mut swapped = chars.clone();
            let i = at.min(chars.len() - 2);
            swapped.swap(i, i + 1);
            swapped.into_iter().collect()
        }
        3 if key.contains(['_', '-']) => key
            .chars()
            .map(|c| match c {
                '_' => '-',
                '-' => '_',
                c => c,
            })
            .collect(),
        4 => match key.strip_suffix('s') {
            Some(singular) => singular.to_string(),
            None => format!("{key}s"),
        },
        5 => {
            let mut upper = chars.clone();
            upper[0] = upper[0].to_ascii_uppercase();
            upper.into_iter().collect()
        }
        _ => format!("x-{key}"),
    };
    (renamed != key && !renamed.is_empty()).then_some(renamed)
}

// ---------------------------------------------------------------------------------------
// The runner.

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `command` from `dir` with nothing in its environment but PATH/HOME; (success,
/// stdout, stderr). A run past 20 s is killed and counts as a failure.
fn run_in(mut command: Command, dir: &Path) -> (bool, String, String) {
    command
        .current_dir(dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for keep in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(keep) {
            command.env(keep, value);
        }
    }
    let mut child = command.spawn().expect("the command runs");
    let started = Instant::now();
    // Drain the pipes on threads so a chatty child never blocks.
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    (
        status.is_some_and(|s| s.success()),
        stdout,
        if status.is_none() {
            format!("timed out\n{stderr}")
        } else {
            stderr
        },
    )
}

/// A directory mirroring `original`'s directory (a symlink per sibling) holding `text` under
/// the original's name.
fn mirror(original: &Path, text: &str, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("mutant dir");
    let name = original.file_name().expect("a file name");
    let source_dir = original.parent().expect("a directory");
    for entry in std::fs::read_dir(source_dir)
        .into_iter()
        .flatten()
        .flatten()
    {
        if entry.file_name() != name {
            #[cfg(unix)]
            let _ = std::os::unix::fs::symlink(entry.path(), dir.join(entry.file_name()));
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("mutant written");
    path
}

struct Verdicts {
    compose: bool,
    compose_message: String,
    ours: bool,
    our_message: String,
}

fn verdicts(bin: &Path, path: &Path) -> Verdicts {
    let dir = path.parent().expect("a directory");
    let name = path.file_name().expect("a file name");
    let mut compose = Command::new(bin);
    compose.arg("-f").arg(name).args(["config", "--quiet"]);
    let (compose_ok, _, stderr) = run_in(compose, dir);
    let (ours, our_message) = shipshape_verdict(path);
    Verdicts {
        compose: compose_ok,
        compose_message: stderr
            .lines()
            .filter(|l| !l.contains("level=warning"))
            .collect::<Vec<_>>()
            .join(" "),
        ours,
        our_message,
    }
}

/// `shipshape validate`'s verdict (its exit status) and its text report.
fn shipshape_verdict(path: &Path) -> (bool, String) {
    let dir = path.parent().expect("a directory");
    let bin = std::env::var_os("SHIPSHAPE_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_shipshape")),
        PathBuf::from,
    );
    let mut ours = Command::new(bin);
    ours.args(["validate", "--no-config", "--color", "never"])
        .arg(path.file_name().expect("a file name"));
    let (ok, stdout, stderr) = run_in(ours, dir);
    (ok, format!("{stdout}{stderr}").trim().to_string())
}

fn allowlist() -> Vec<(String, String)> {
    ALLOWLIST
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (needle, reason) = l.split_once("  #").unwrap_or((l, ""));
            (needle.trim().to_string(), reason.trim().to_string())
        })
        .collect()
}

struct Disagreement {
    index: usize,
    source: String,
    operator: String,
    verdicts: Verdicts,
    allowed: Option<String>,
}

#[test]
#[ignore = "needs Docker Compose v2 (DOCKER_COMPOSE_BIN); run by .ci/run"]
fn mutants_get_the_verdict_docker_compose_gives() {
    let bin = crate::validate_parity::compose_bin();
    let seed: u64 = env_or("SHIPSHAPE_SEED", DEFAULT_SEED);
    let count: usize = env_or("SHIPSHAPE_MUTANTS", DEFAULT_MUTANTS);
    let threads: usize = env_or("SHIPSHAPE_MUTANT_THREADS", 2).max(1);
    let out_dir = std::env::var_os("SHIPSHAPE_MUTANTS_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/mutants/seed-{seed}"))
        });
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).expect("output dir");
    let (corpus, files) = crate::validate_parity::corpus_files();
    let allowed = allowlist();
    let work = tempfile::tempdir().expect("temp dir");
    // Originals shipshape refuses (Compose too: the parity suite keeps them in step) are not
    // mutated: their mutants would mostly be refused by both, flattering the rate.
    let valid: Mutex<std::collections::HashMap<usize, bool>> = Mutex::default();
    let next = AtomicUsize::new(0);
    let found: Mutex<Vec<Disagreement>> = Mutex::default();
    let tried = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        break;
                    }
                    // Each mutant has a generator of its own: mutant k of seed S is the same
                    // whatever the thread count or the other mutants.
                    let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0xA24B_AED4_963E_E407));
                    let mutant = loop {
                        let file_index = rng.below(files.len());
                        let file = &files[file_index];
                        let Ok(text) = std::fs::read_to_string(file) else {
                            continue;
                        };
                        let known = valid.lock().expect("lock").get(&file_index).copied();
                        let accepted = known.unwrap_or_else(|| {
                            let dir = work.path().join(format!("orig-{file_index}"));
                            let ok = shipshape_verdict(&mirror(file, &text, &dir)).0;
                            valid.lock().expect("lock").insert(file_index, ok);
                            ok
                        });
                        if !accepted {
                            continue;
                        }
                        if let Some((operator, mutated)) = mutate(&text, &mut rng) {
                            break (file.clone(), operator, mutated);
                        }
                    };
                    let (file, operator, mutated) = mutant;
                    let dir = work.path().join(format!("m{index:05}"));
                    let path = mirror(&file, &mutated, &dir);
                    let verdicts = verdicts(&bin, &path);
                    tried.fetch_add(1, Ordering::Relaxed);
                    if verdicts.compose != verdicts.ours {
                        let allowed = allowed
                            .iter()
                            .find(|(needle, _)| {
                                !verdicts.compose && verdicts.compose_message.contains(needle.as_str())
                            })
                            .map(|(_, reason)| reason.clone());
                        let source = file
                            .strip_prefix(&corpus)
                            .unwrap_or(&file)
                            .to_string_lossy()
                            .into_owned();
                        let stem = format!("{index:05}");
                        let _ = std::fs::write(out_dir.join(format!("{stem}.yaml")), &mutated);
                        let _ = std::fs::write(
                            out_dir.join(format!("{stem}.txt")),
                            format!(
                                "source: {source}\nmutation: {operator}\nseed: {seed} mutant: {index}\nallowlisted: {}\ncompose: {}: {}\nshipshape: {}:\n{}\n",
                                allowed.as_deref().unwrap_or("no"),
                                verdict(verdicts.compose),
                                verdicts.compose_message,
                                verdict(verdicts.ours),
                                verdicts.our_message
                            ),
                        );
                        found.lock().expect("lock").push(Disagreement {
                            index,
                            source,
                            operator,
                            verdicts,
                            allowed,
                        });
                    }
                    let _ = std::fs::remove_dir_all(&dir);
                }
            });
        }
    });
    let tried = tried.into_inner();
    let mut found = found.into_inner().expect("lock");
    found.sort_by_key(|d| d.index);
    let counted: Vec<&Disagreement> = found.iter().filter(|d| d.allowed.is_none()).collect();
    let compose_rejects = counted.iter().filter(|d| !d.verdicts.compose).count();
    let rate = 100.0 * counted.len() as f64 / tried.max(1) as f64;
    println!(
        "\nmutation fuzzing: seed {seed}, {tried} mutants in {:.1} s; disagreements: {} ({rate:.2} %; \
         compose rejects / shipshape accepts: {compose_rejects}, the other way: {}), allowlisted: {}; \
         written to {}",
        started.elapsed().as_secs_f64(),
        counted.len(),
        counted.len() - compose_rejects,
        found.len() - counted.len(),
        out_dir.display()
    );
    for d in found.iter().take(40) {
        println!(
            "  #{} {} ({}): compose {}, shipshape {}{}\n      compose: {}",
            d.index,
            d.source,
            d.operator,
            verdict(d.verdicts.compose),
            verdict(d.verdicts.ours),
            d.allowed
                .as_deref()
                .map(|r| format!(" [allowlisted: {r}]"))
                .unwrap_or_default(),
            d.verdicts
                .compose_message
                .chars()
                .take(300)
                .collect::<String>()
        );
    }
    assert!(tried > 0, "no mutant was run");
    assert!(
        rate < 0.5,
        "{} of {tried} mutants ({rate:.2} %) get another verdict from shipshape than from \
         docker compose (see {})",
        counted.len(),
        out_dir.display()
    );
}

fn verdict(valid: bool) -> &'static str {
    if valid { "valid" } else { "invalid" }
}

/// The mutator needs no Compose: it is deterministic and every operator fires.
#[test]
fn the_mutator_is_seeded_and_uses_every_operator() {
    let text = "services:\n  web:\n    image: \"nginx:1.27\"\n    ports:\n      - 80:80\n    environment:\n      A: 1\n      B: two\n    restart: always\nvolumes:\n  data:\n    driver: local\n";
    let run = |seed: u64| {
        let mut rng = Rng::new(seed);
        (0..200)
            .filter_map(|_| mutate(text, &mut rng))
            .collect::<Vec<_>>()
    };
    let first = run(7);
    assert_eq!(first, run(7), "same seed, same mutants");
    assert_ne!(first, run(8), "another seed, other mutants");
    for operator in [
        "delete line",
        "duplicate line",
        "dedent line",
        "indent line",
        "alias line",
        "merge the mapping",
        "merge the scalar",
        "undefined anchor",
        "flip quoting",
        "change the scalar",
        "swap the values",
        "rename key",
    ] {
        assert!(
            first
                .iter()
                .any(|(name, _)| name.starts_with(operator) || name.contains(operator)),
            "no mutant used {operator:?}"
        );
    }
    for (_, mutant) in &first {
        assert_ne!(mutant, text);
    }
}
