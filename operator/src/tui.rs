//! Drawing `up`'s live table in place on a terminal: each redraw moves the
//! cursor back to the table's first line and rewrites only the lines that
//! changed (cursor addressing through crossterm), never clearing the screen,
//! so what was printed above it (the start-up lines: API, metrics URL, log
//! file) stays visible and the scrollback holds one table, not one per second.
//! The frame is kept within the terminal's height and width (a line longer
//! than the width would wrap and break the line count).

use std::fmt::Write as _;

use crossterm::{cursor, terminal};

/// The terminal's size, or 80×24 when it cannot be known.
pub fn size() -> (usize, usize) {
    terminal::size().map_or((80, 24), |(w, h)| {
        (usize::from(w.max(20)), usize::from(h.max(5)))
    })
}

/// Turns successive frames into terminal output.
#[derive(Debug, Default)]
pub struct InPlace {
    /// The lines on screen now (the last frame drawn).
    shown: Vec<String>,
    /// The width they were drawn for.
    width: usize,
}

impl InPlace {
    /// The output that replaces what is shown by `lines`, within `width`
    /// columns and `height` rows (the cursor is then on the line below).
    pub fn frame(&mut self, lines: &[String], width: usize, height: usize) -> String {
        let lines = clip(lines, width, height.saturating_sub(1).max(1));
        let mut out = String::new();
        let resized = width != self.width;
        if !self.shown.is_empty() {
            // Back to the first line of the table (column 1).
            let _ = write!(
                out,
                "{}",
                cursor::MoveToPreviousLine(self.shown.len() as u16)
            );
            if resized {
                // Lines drawn for another width: rewrite all of the table.
                let _ = write!(
                    out,
                    "{}",
                    terminal::Clear(terminal::ClearType::FromCursorDown)
                );
            }
        }
        for (i, line) in lines.iter().enumerate() {
            if !resized && self.shown.get(i) == Some(line) {
                out.push('\n');
            } else {
                let _ = writeln!(
                    out,
                    "{}{line}",
                    terminal::Clear(terminal::ClearType::CurrentLine)
                );
            }
        }
        if lines.len() < self.shown.len() && !resized {
            let _ = write!(
                out,
                "{}",
                terminal::Clear(terminal::ClearType::FromCursorDown)
            );
        }
        self.shown = lines;
        self.width = width;
        out
    }
}

/// At most `height` lines of at most `width` columns; what does not fit is
/// counted on the last line.
fn clip(lines: &[String], width: usize, height: usize) -> Vec<String> {
    let mut out: Vec<String> = lines
        .iter()
        .map(|l| crate::table::ellipsize(l, width))
        .collect();
    if out.len() > height {
        let hidden = out.len() - (height - 1);
        out.truncate(height - 1);
        out.push(crate::table::ellipsize(
            &format!("… {hidden} more lines (`openclaw-operator status` lists everything)"),
            width,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn redraws_only_what_changed_and_never_clears_the_screen() {
        let mut t = InPlace::default();
        let first = t.frame(&lines(&["NAME PHASE", "a Pending", "b Pending"]), 80, 24);
        assert_eq!(first.matches('\n').count(), 3);
        assert!(
            !first.contains("\x1b[1F"),
            "nothing to go back over: {first:?}"
        );
        let second = t.frame(&lines(&["NAME PHASE", "a Ready", "b Pending"]), 80, 24);
        assert!(
            second.starts_with("\x1b[3F"),
            "back to the table's top: {second:?}"
        );
        assert_eq!(second.matches("a Ready").count(), 1);
        assert!(
            !second.contains("NAME"),
            "an unchanged line is not rewritten: {second:?}"
        );
        assert!(!second.contains("b Pending"));
        for frame in [&first, &second] {
            assert!(
                !frame.contains("\x1b[2J") && !frame.contains("\x1b[H"),
                "{frame:?}"
            );
        }
        let shorter = t.frame(&lines(&["NAME PHASE", "a Ready"]), 80, 24);
        assert!(
            shorter.ends_with("\x1b[J"),
            "the rest below is erased: {shorter:?}"
        );
    }

    #[test]
    fn frames_fit_the_terminal() {
        let mut t = InPlace::default();
        let many: Vec<String> = (0..50)
            .map(|i| format!("row {i} {}", "x".repeat(100)))
            .collect();
        let out = t.frame(&many, 80, 24);
        let drawn: Vec<&str> = out.split('\n').filter(|l| !l.is_empty()).collect();
        assert_eq!(drawn.len(), 23, "one row left for the cursor");
        assert!(drawn.last().unwrap().contains("more lines"));
        for l in drawn {
            let visible = l.trim_start_matches("\x1b[2K");
            assert!(visible.chars().count() <= 80, "{visible:?}");
        }
    }
}
