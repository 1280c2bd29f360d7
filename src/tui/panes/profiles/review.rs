//! The save review: `lasso profile diff`-style effective changes (what the sandbox policy
//! gains or loses) and a line diff of the file (what the text gains or loses), shown before a
//! save is confirmed.

use ratatui::text::{Line, Span};

use super::Doc;
use crate::config::diff;
use crate::tui::style::Styles;

/// Longest input the line diff compares line by line (its table is quadratic); beyond it
/// the whole old text is shown removed and the new one added.
const MAX_CELLS: usize = 4_000_000;

/// One line of a line diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

/// The line diff from `old` to `new` (longest common subsequence of lines).
pub fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > MAX_CELLS {
        let mut out: Vec<DiffLine> = a.iter().map(|l| DiffLine::Removed(l.to_string())).collect();
        out.extend(b.iter().map(|l| DiffLine::Added(l.to_string())));
        return out;
    }
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n + m);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(DiffLine::Same(a[i].to_string()));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(DiffLine::Removed(a[i].to_string()));
            i += 1;
        } else {
            out.push(DiffLine::Added(b[j].to_string()));
            j += 1;
        }
    }
    out
}

/// The review's lines for `doc`.
pub fn lines(doc: &Doc, st: &Styles) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let head = if doc.is_new {
        format!("Save the new user profile {}?", doc.name)
    } else {
        format!(
            "Save {}? The current file is archived as a new version.",
            doc.name
        )
    };
    out.push(Line::styled(head, st.title));
    out.push(Line::raw(""));
    out.push(Line::styled("Effective changes", st.accent));
    match (&doc.check, doc.checking) {
        (_, true) | (None, _) => out.push(Line::styled("  checking…", st.muted)),
        (Some(check), false) => match (&check.problem, &check.resolved, &doc.saved) {
            (Some(p), _, _) => out.push(Line::styled(
                format!("  cannot save: {}", p.message),
                st.danger,
            )),
            (None, Some(new), Some(saved)) => {
                let changes = diff(saved, &new.profile);
                if changes.is_empty() {
                    out.push(Line::styled("  no effective changes", st.muted));
                }
                for c in changes {
                    out.push(Line::raw(format!("  {c}")));
                }
            }
            (None, Some(new), None) => {
                let chain: Vec<&str> = new.chain.iter().skip(1).map(|(n, _)| n.as_str()).collect();
                out.push(Line::raw(if chain.is_empty() {
                    "  a new profile of its own (no extends)".to_string()
                } else {
                    format!("  a new profile extending {}", chain.join(" -> "))
                }));
            }
            (None, None, _) => out.push(Line::styled("  checking…", st.muted)),
        },
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Line diff", st.accent));
    let text = doc.text();
    let d = line_diff(&doc.saved_text, &text);
    let mut shown = 0;
    for (i, l) in d.iter().enumerate() {
        let near = |k: usize| d.get(k).is_some_and(|x| !matches!(x, DiffLine::Same(_)));
        match l {
            DiffLine::Removed(s) => out.push(Line::styled(format!("- {s}"), st.danger)),
            DiffLine::Added(s) => out.push(Line::styled(format!("+ {s}"), st.ok)),
            // One line of context either side of a change.
            DiffLine::Same(s) if near(i + 1) || (i > 0 && near(i - 1)) => {
                out.push(Line::from(vec![Span::styled(format!("  {s}"), st.muted)]));
            }
            DiffLine::Same(_) => continue,
        }
        shown += 1;
    }
    if shown == 0 {
        out.push(Line::styled("  the text is unchanged", st.muted));
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        "y / Enter saves · n / Esc goes back",
        st.muted,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_diff_keeps_common_lines() {
        let d = line_diff("# c\na = 1\nb = 2\n", "# c\na = 3\nb = 2\nc = 4\n");
        assert_eq!(
            d,
            vec![
                DiffLine::Same("# c".into()),
                DiffLine::Removed("a = 1".into()),
                DiffLine::Added("a = 3".into()),
                DiffLine::Same("b = 2".into()),
                DiffLine::Added("c = 4".into()),
            ]
        );
        assert_eq!(line_diff("", "x\n"), vec![DiffLine::Added("x".into())]);
        assert_eq!(line_diff("x\n", "x\n"), vec![DiffLine::Same("x".into())]);
    }
}
