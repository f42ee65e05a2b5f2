//! Splitting a reply into messages a platform accepts.
//!
//! Discord takes 2,000 Unicode code points per message, Telegram 4,096 UTF-16 code
//! units. A long answer is cut at the last paragraph break that fits, else the last
//! line break, else the last space, else anywhere, so each message reads on its own.
//! Code fences are kept whole when a cut outside them exists; when a fence itself is
//! too long it is closed at the end of one message and reopened (with its language)
//! at the start of the next, so every message renders as code.

/// How a platform counts message length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Unicode scalar values (Discord).
    CodePoints,
    /// UTF-16 code units (Telegram): characters outside the BMP count twice.
    Utf16,
}

impl Unit {
    fn of(self, c: char) -> usize {
        match self {
            Self::CodePoints => 1,
            Self::Utf16 => c.len_utf16(),
        }
    }

    /// The length of `s` as the platform counts it.
    pub fn len(self, s: &str) -> usize {
        s.chars().map(|c| self.of(c)).sum()
    }
}

/// The limits one message must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_units: usize,
    /// Discord's `maxLinesPerMessage`; `None` for no line limit.
    pub max_lines: Option<usize>,
    pub unit: Unit,
}

/// An open code fence: the line that opened it and the marker that closes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fence {
    opener: String,
    marker: String,
}

/// Where a message may end, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Break {
    Paragraph,
    Line,
    LineInFence,
    Word,
    Anywhere,
}

#[derive(Debug, Clone)]
struct Cut {
    /// The message text ends here (exclusive, in `rest`).
    end: usize,
    /// The next message starts here.
    resume: usize,
    kind: Break,
    fence: Option<Fence>,
}

/// Splits `text` into messages within `limits`. Whitespace-only input gives none.
pub fn split(text: &str, limits: Limits) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    let mut reopen: Option<Fence> = None;
    while !rest.is_empty() {
        let prefix = reopen
            .as_ref()
            .map(|f| format!("{}\n", f.opener))
            .unwrap_or_default();
        if fits(&prefix, rest, None, limits) {
            out.push(format!("{prefix}{rest}"));
            break;
        }
        let cut = best_cut(rest, &prefix, reopen.clone(), limits);
        let (chunk, resume, fence) = match cut {
            Some(cut) => {
                let body = rest[..cut.end].trim_end();
                let close = cut
                    .fence
                    .as_ref()
                    .map(|f| format!("\n{}", f.marker))
                    .unwrap_or_default();
                (format!("{prefix}{body}{close}"), cut.resume, cut.fence)
            }
            // Not even one character fits beside the fence lines: drop them.
            None => {
                let first = rest.chars().next().map_or(1, char::len_utf8);
                let end = hard_end(rest, limits).max(first);
                (rest[..end].to_owned(), end, None)
            }
        };
        if !chunk.trim().is_empty() {
            out.push(chunk);
        }
        rest = rest[resume..].trim_start_matches('\n');
        reopen = fence;
    }
    out
}

/// Whether `prefix + body + closing marker` is one acceptable message.
fn fits(prefix: &str, body: &str, fence: Option<&Fence>, limits: Limits) -> bool {
    let close = fence.map_or(0, |f| 1 + f.marker.len());
    let units = limits.unit.len(prefix) + limits.unit.len(body) + close;
    let lines =
        1 + prefix.matches('\n').count() + body.matches('\n').count() + usize::from(close > 0);
    units <= limits.max_units && limits.max_lines.is_none_or(|max| lines <= max)
}

/// The longest prefix of `rest` (in bytes) within the unit limit, ignoring lines.
fn hard_end(rest: &str, limits: Limits) -> usize {
    let mut units = 0;
    for (i, c) in rest.char_indices() {
        units += limits.unit.of(c);
        if units > limits.max_units {
            return i;
        }
    }
    rest.len()
}

/// Scans `rest` once, collecting every place a message could end, and returns the
/// latest one of the best kind that fits.
fn best_cut(rest: &str, prefix: &str, mut fence: Option<Fence>, limits: Limits) -> Option<Cut> {
    let overhead_units = limits.unit.len(prefix);
    let overhead_lines = 1 + prefix.matches('\n').count();
    let mut best: Option<Cut> = None;
    let mut consider = |cut: Cut, units: usize, lines: usize| {
        let close = cut.fence.as_ref().map_or(0, |f| 1 + f.marker.len());
        let ok = overhead_units + units + close <= limits.max_units
            && limits
                .max_lines
                .is_none_or(|max| overhead_lines + lines + usize::from(close > 0) <= max);
        if ok
            && cut.end > 0
            && best.as_ref().is_none_or(|b| {
                (cut.kind, std::cmp::Reverse(cut.end)) <= (b.kind, std::cmp::Reverse(b.end))
            })
        {
            best = Some(cut);
        }
    };
    let mut units = 0;
    let mut lines = 0;
    let mut line_start = true;
    let bytes = rest.as_bytes();
    for (i, c) in rest.char_indices() {
        if line_start {
            let line = rest[i..].split('\n').next().unwrap_or_default();
            fence = toggle_fence(fence, line);
            line_start = false;
        }
        if overhead_units + units > limits.max_units {
            break;
        }
        if i > 0 {
            consider(
                Cut {
                    end: i,
                    resume: i,
                    kind: Break::Anywhere,
                    fence: fence.clone(),
                },
                units,
                lines,
            );
        }
        match c {
            '\n' => {
                let paragraph = bytes.get(i + 1) == Some(&b'\n');
                let kind = match (&fence, paragraph) {
                    (Some(_), _) => Break::LineInFence,
                    (None, true) => Break::Paragraph,
                    (None, false) => Break::Line,
                };
                consider(
                    Cut {
                        end: i,
                        resume: i + 1,
                        kind,
                        fence: fence.clone(),
                    },
                    units,
                    lines,
                );
                lines += 1;
                line_start = true;
            }
            ' ' | '\t' => consider(
                Cut {
                    end: i,
                    resume: i + 1,
                    kind: Break::Word,
                    fence: fence.clone(),
                },
                units,
                lines,
            ),
            _ => {}
        }
        units += limits.unit.of(c);
    }
    best
}

/// The fence state after a line: ```` ``` ```` / `~~~` lines open and close fences.
fn toggle_fence(fence: Option<Fence>, line: &str) -> Option<Fence> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return fence;
    }
    let marker_char = match trimmed.chars().next() {
        Some(c @ ('`' | '~')) => c,
        _ => return fence,
    };
    let marker: String = trimmed.chars().take_while(|c| *c == marker_char).collect();
    if marker.len() < 3 {
        return fence;
    }
    match fence {
        Some(open)
            if open.marker.starts_with(marker_char)
                && marker.len() >= open.marker.len()
                && trimmed[marker.len()..].trim().is_empty() =>
        {
            None
        }
        Some(open) => Some(open),
        None => Some(Fence {
            opener: line.trim_end().to_owned(),
            marker,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discord(max: usize) -> Limits {
        Limits {
            max_units: max,
            max_lines: None,
            unit: Unit::CodePoints,
        }
    }

    fn check(chunks: &[String], limits: Limits) {
        for c in chunks {
            assert!(
                limits.unit.len(c) <= limits.max_units,
                "too long ({}): {c:?}",
                limits.unit.len(c)
            );
            if let Some(max) = limits.max_lines {
                assert!(c.lines().count() <= max, "too many lines: {c:?}");
            }
            assert!(!c.trim().is_empty());
        }
    }

    #[test]
    fn short_text_is_one_message() {
        assert_eq!(split("  hello \n", discord(2000)), ["hello"]);
        assert!(split(" \n\n ", discord(2000)).is_empty());
    }

    #[test]
    fn prefers_paragraphs_then_lines_then_words() {
        let text = format!("{}\n\n{}", "a".repeat(30), "b".repeat(30));
        assert_eq!(split(&text, discord(50)), ["a".repeat(30), "b".repeat(30)]);
        let text = format!("{} {}\n{}", "a".repeat(10), "b".repeat(10), "c".repeat(30));
        assert_eq!(
            split(&text, discord(30)),
            [
                format!("{} {}", "a".repeat(10), "b".repeat(10)),
                "c".repeat(30)
            ]
        );
        let text = "alpha beta gamma delta epsilon";
        let chunks = split(text, discord(12));
        assert_eq!(chunks, ["alpha beta", "gamma delta", "epsilon"]);
    }

    #[test]
    fn words_longer_than_a_message_are_cut_anywhere() {
        let text = "x".repeat(25);
        let chunks = split(&text, discord(10));
        assert_eq!(chunks, ["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
    }

    #[test]
    fn nothing_is_lost_or_reordered() {
        let text = (0..400)
            .map(|i| format!("word{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let limits = discord(97);
        let chunks = split(&text, limits);
        check(&chunks, limits);
        assert_eq!(chunks.join(" "), text);
    }

    #[test]
    fn fences_stay_whole_when_a_cut_outside_exists() {
        let code = "```rust\nfn main() {}\n```";
        let text = format!("{}\n{code}\nafter", "intro ".repeat(5).trim());
        let chunks = split(&text, discord(40));
        assert!(chunks.iter().any(|c| c.contains(code)), "{chunks:?}");
        assert!(
            chunks.iter().all(|c| c.matches("```").count() % 2 == 0),
            "{chunks:?}"
        );
    }

    #[test]
    fn long_fences_are_closed_and_reopened() {
        let body: Vec<String> = (0..60).map(|i| format!("let x{i} = {i};")).collect();
        let text = format!("Here:\n```rust\n{}\n```\nDone.", body.join("\n"));
        let limits = discord(200);
        let chunks = split(&text, limits);
        check(&chunks, limits);
        assert!(chunks.len() > 3);
        for c in &chunks[1..chunks.len() - 1] {
            assert!(c.starts_with("```rust\n") && c.ends_with("\n```"), "{c:?}");
        }
        let code_lines: Vec<&str> = chunks
            .iter()
            .flat_map(|c| c.lines())
            .filter(|l| l.starts_with("let "))
            .collect();
        assert_eq!(
            code_lines,
            body.iter().map(String::as_str).collect::<Vec<_>>()
        );
    }

    #[test]
    fn telegram_counts_utf16_units() {
        // 🙂 is one code point but two UTF-16 units.
        let text = "🙂".repeat(3000);
        let tg = Limits {
            max_units: 4096,
            max_lines: None,
            unit: Unit::Utf16,
        };
        let chunks = split(&text, tg);
        check(&chunks, tg);
        assert_eq!(chunks[0].chars().count(), 2048);
        let dc = split(&text, discord(2000));
        assert_eq!(dc[0].chars().count(), 2000);
        assert_eq!(dc.concat(), text);
    }

    #[test]
    fn line_limits_split_long_lists() {
        let text = (1..=40)
            .map(|i| format!("- item {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let limits = Limits {
            max_units: 2000,
            max_lines: Some(17),
            unit: Unit::CodePoints,
        };
        let chunks = split(&text, limits);
        check(&chunks, limits);
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks.join("\n"), text);
    }
}
