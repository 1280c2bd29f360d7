//! A parser for sed scripts, just deep enough to find what runs or touches files.
//!
//! GNU sed's `e` command and the `e` flag of `s///` run shell commands; `r`/`R` read files and
//! `w`/`W` (and the `w` flag of `s///`) write them. Finding those needs real parsing, not a
//! search for the letter `e`: addresses (`1`, `$`, `/re/I`, `\%re%`, `first~step`, `addr,+N`),
//! regexes and replacements with any delimiter and escapes, `y///`, labels, and the text of
//! `a`/`i`/`c`, which runs to the end of the line and may contain anything. A script the
//! parser cannot read is reported as an error so the caller can fail closed.

/// What a script does beyond editing text.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SedFacts<'a> {
    /// Runs a shell command (`e`, `s///e`): the command text, or "" for "the pattern space".
    pub exec: Option<&'a str>,
    pub writes: Vec<&'a str>,
    pub reads: Vec<&'a str>,
}

struct P<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> P<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    /// The rest of the current line (file names, `a` text, `e` commands).
    fn rest_of_line(&mut self) -> &'a str {
        let start = self.i;
        while !matches!(self.peek(), None | Some(b'\n')) {
            self.i += 1;
        }
        &self.s[start..self.i]
    }
    fn digits(&mut self) -> bool {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i > start
    }
    /// Reads up to the unescaped delimiter `d` (the opening one already consumed).
    fn delimited(&mut self, d: u8) -> Result<(), String> {
        loop {
            match self.peek() {
                None | Some(b'\n') => {
                    return Err(format!("unterminated `{}` expression", d as char));
                }
                Some(b'\\') => self.i += 2,
                Some(c) if c == d => {
                    self.i += 1;
                    return Ok(());
                }
                Some(_) => self.i += 1,
            }
        }
    }
    fn address(&mut self) -> Result<bool, String> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                self.digits();
                if self.peek() == Some(b'~') {
                    self.i += 1;
                    self.digits();
                }
            }
            Some(b'$') => self.i += 1,
            Some(b'/') => {
                self.i += 1;
                self.delimited(b'/')?;
                self.regex_flags();
            }
            Some(b'\\') => {
                let d = *self
                    .b
                    .get(self.i + 1)
                    .ok_or("`\\` at the end of an address")?;
                self.i += 2;
                self.delimited(d)?;
                self.regex_flags();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn regex_flags(&mut self) {
        while matches!(self.peek(), Some(b'I' | b'M')) {
            self.i += 1;
        }
    }
    fn label(&mut self) {
        self.skip_ws();
        while !matches!(self.peek(), None | Some(b'\n' | b';')) {
            self.i += 1;
        }
    }
}

/// Parses `script` (one or more `-e` pieces joined by newlines).
pub(crate) fn analyse(script: &str) -> Result<SedFacts<'_>, String> {
    let mut p = P {
        s: script,
        b: script.as_bytes(),
        i: 0,
    };
    let mut facts = SedFacts::default();
    let mut depth = 0usize;
    loop {
        while matches!(p.peek(), Some(b' ' | b'\t' | b'\n' | b';')) {
            p.i += 1;
        }
        let Some(c) = p.peek() else { break };
        if c == b'#' {
            p.rest_of_line();
            continue;
        }
        if p.address()? {
            p.skip_ws();
            if p.peek() == Some(b',') {
                p.i += 1;
                p.skip_ws();
                match p.peek() {
                    Some(b'+' | b'~') => {
                        p.i += 1;
                        if !p.digits() {
                            return Err("`+`/`~` in an address needs a number".into());
                        }
                    }
                    _ => {
                        if !p.address()? {
                            return Err("missing second address after `,`".into());
                        }
                    }
                }
            }
        }
        p.skip_ws();
        while p.peek() == Some(b'!') {
            p.i += 1;
            p.skip_ws();
        }
        let Some(cmd) = p.peek() else {
            return Err("an address without a command".into());
        };
        p.i += 1;
        match cmd {
            b'{' => {
                depth += 1;
                continue;
            }
            b'}' => {
                depth = depth.checked_sub(1).ok_or("unmatched `}`")?;
                continue;
            }
            b'=' | b'd' | b'D' | b'g' | b'G' | b'h' | b'H' | b'n' | b'N' | b'p' | b'P' | b'x'
            | b'z' | b'F' => {}
            b'l' | b'L' | b'q' | b'Q' => {
                p.skip_ws();
                p.digits();
            }
            b':' => {
                p.label();
                continue;
            }
            b'b' | b't' | b'T' | b'v' => p.label(),
            b'a' | b'i' | b'c' => {
                p.rest_of_line();
                continue;
            }
            b'r' | b'R' | b'w' | b'W' => {
                p.skip_ws();
                let file = p.rest_of_line();
                if matches!(cmd, b'w' | b'W') {
                    facts.writes.push(file);
                } else {
                    facts.reads.push(file);
                }
                continue;
            }
            b'e' => {
                p.skip_ws();
                facts.exec = Some(p.rest_of_line());
                continue;
            }
            b'y' => {
                let d = p
                    .peek()
                    .filter(u8::is_ascii)
                    .ok_or("`y` needs an ASCII delimiter")?;
                p.i += 1;
                p.delimited(d)?;
                p.delimited(d)?;
            }
            b's' => {
                let d = p
                    .peek()
                    .filter(u8::is_ascii)
                    .ok_or("`s` needs an ASCII delimiter")?;
                if d == b'\n' || d == b'\\' {
                    return Err("`s` cannot use newline or backslash as its delimiter".into());
                }
                p.i += 1;
                p.delimited(d)?;
                p.delimited(d)?;
                loop {
                    match p.peek() {
                        Some(b'g' | b'p' | b'i' | b'I' | b'm' | b'M' | b'0'..=b'9') => p.i += 1,
                        Some(b'e') => {
                            p.i += 1;
                            facts.exec.get_or_insert("");
                        }
                        Some(b'w') => {
                            p.i += 1;
                            p.skip_ws();
                            facts.writes.push(p.rest_of_line());
                            break;
                        }
                        _ => break,
                    }
                }
            }
            other => {
                return Err(format!("unknown command `{}`", char::from(other)));
            }
        }
        p.skip_ws();
        match p.peek() {
            None | Some(b';' | b'\n' | b'}' | b'#') => {}
            Some(other) => {
                return Err(format!(
                    "unexpected `{}` after command `{}`",
                    char::from(other),
                    char::from(cmd)
                ));
            }
        }
    }
    if depth != 0 {
        return Err("unmatched `{`".into());
    }
    Ok(facts)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_scripts_are_clean() {
        for s in [
            "1,5p",
            "s/a/b/g",
            "s|/usr|/opt|2",
            "/^#/d",
            "$!N;s/\\n/ /",
            "1~3d",
            "/x/,+2{s/e/E/g;p}",
            "\\%path%Id",
            "y/abc/xyz/",
            ":a;N;$!ba;s/\\n/,/g",
            "1a hello; e world",
            "s/e/E/; p # comment e",
            "0,/re/s//X/",
            "s/x/y/w",
        ] {
            let f = analyse(s);
            assert!(matches!(&f, Ok(f) if f.exec.is_none()), "{s}: {f:?}");
        }
    }

    #[test]
    fn exec_and_files() {
        assert_eq!(analyse("s/x/y/e").unwrap().exec, Some(""));
        assert_eq!(analyse("s/x/y/ge").unwrap().exec, Some(""));
        assert_eq!(analyse("1e id").unwrap().exec, Some("id"));
        assert_eq!(analyse("/x/ e id").unwrap().exec, Some("id"));
        assert_eq!(analyse("p;e").unwrap().exec, Some(""));
        assert_eq!(analyse("$!{e id\n}").unwrap().exec, Some("id"));
        assert_eq!(analyse("w /etc/x").unwrap().writes, ["/etc/x"]);
        assert_eq!(analyse("s/a/b/w out.txt").unwrap().writes, ["out.txt"]);
        assert_eq!(analyse("1r /etc/shadow").unwrap().reads, ["/etc/shadow"]);
    }

    #[test]
    fn unreadable_scripts_are_errors() {
        for s in ["s/a/b", "k", "{p", "}", "1,", "pq", "s\\a\\b\\"] {
            assert!(analyse(s).is_err(), "{s}");
        }
    }
}
