//! Path and working-directory checks of the [`Checker`]: every path-like word is resolved
//! against each directory the command may run in, in each decoded form, and checked for
//! traversal out of the workspace and for hidden paths; output files must land in the
//! workspace, a writable path or `/dev/null`. `cd` and `-C DIR` options change the directories
//! later words resolve against.

use super::{Block, Checker, MAX_BASES, Res};
use crate::policy::Rule;
use crate::policy::lexer::{TILDE, Word};
use crate::policy::paths::{self, inside, resolve};

impl Checker<'_> {
    /// Checks every argument word that could name a path.
    pub(crate) fn path_args(&mut self, program: &str, words: &[Word<'_>]) -> Res {
        for w in words.iter().skip(1) {
            self.path_word(program, w)?;
        }
        Ok(())
    }

    /// Checks one word as a path, and the path-like parts inside it (`--opt=PATH`, `-IPATH`,
    /// `@PATH`, `KEY=PATH`).
    pub(crate) fn path_word(&mut self, program: &str, w: &Word<'_>) -> Res {
        let t: &str = &w.text;
        if t.starts_with('-') {
            if let Some(e) = t.find('=') {
                return self.path_value(program, &t[e + 1..]);
            }
            if let Some(p) = t.find(['/', '~', '.']) {
                self.path_value(program, &t[p..])?;
            }
            // A short option's attached value (`-fFILE`) is a plain relative name, which
            // matters once the command may run outside the workspace or hidden files sit
            // next to it.
            if !t.starts_with("--")
                && (!self.extra.is_empty() || self.gate.hidden_near_ws)
                && let Some((i, _)) = t.char_indices().nth(2)
            {
                self.path_value(program, &t[i..])?;
            }
            return Ok(());
        }
        self.path_str(program, t, w.has(TILDE))?;
        if let Some(rest) = t.strip_prefix(['@', '<']) {
            self.path_value(program, rest)?;
        }
        match t.find('=') {
            Some(e) if e > 0 => self.path_value(program, &t[e + 1..]),
            _ => Ok(()),
        }
    }

    /// A value embedded in a word: `@file` / `<file` prefixes (curl) and `;type=` suffixes
    /// are stripped.
    fn path_value(&mut self, program: &str, v: &str) -> Res {
        let v = match v.strip_prefix(['@', '<']) {
            Some(rest) => rest.split(';').next().unwrap_or(rest),
            None => v,
        };
        self.path_str(program, v, v.starts_with('~'))
    }

    /// Checks a path-like string in every decoded form against every working directory.
    pub(crate) fn path_str(&mut self, program: &str, s: &str, tilde: bool) -> Res {
        // A URL is still a path to programs that do not know URLs (`cat x://a/../..`), so the
        // word is always checked as written; a `file:` URL's path is checked as well.
        if let Some(p) = file_url_path(s) {
            self.path_str_inner(program, p, false)?;
        }
        self.path_str_inner(program, s, tilde)
    }

    fn path_str_inner(&mut self, program: &str, s: &str, tilde: bool) -> Res {
        if s.is_empty() {
            return Ok(());
        }
        let simple =
            s.is_ascii() && !s.contains(['/', '%']) && !s.starts_with('~') && s != "." && s != "..";
        if simple && self.extra.is_empty() && !self.gate.hidden_near_ws {
            return Ok(());
        }
        self.check_form(program, s, s, tilde)?;
        if !s.is_ascii() || s.contains('%') {
            let mut forms = std::mem::take(&mut self.forms);
            paths::decoded_forms(s, &mut forms);
            let r = forms
                .iter()
                .try_for_each(|f| self.check_form(program, s, f, tilde));
            self.forms = forms;
            r?;
        }
        Ok(())
    }

    fn check_form(&mut self, program: &str, shown: &str, form: &str, tilde: bool) -> Res {
        let mut buf = std::mem::take(&mut self.buf);
        let r = self.check_form_in(&mut buf, program, shown, form, tilde);
        self.buf = buf;
        r
    }

    fn check_form_in(
        &self,
        buf: &mut String,
        program: &str,
        shown: &str,
        form: &str,
        tilde: bool,
    ) -> Res {
        let ws = self.gate.ws.as_str();
        if tilde && let Some(after) = form.strip_prefix('~') {
            let (user, rest) = after.split_once('/').unwrap_or((after, ""));
            return match user {
                "" => {
                    let left = resolve(buf, &self.gate.home, rest, ws);
                    self.verdict(buf, left, program, shown)
                }
                "+" | "-" => self.each_base(buf, rest, program, shown),
                _ => Err(Block::new(
                    Rule::UnsupportedSyntax,
                    format!(
                        "`~{user}` in `{shown}` expands to another user's home directory, which the gate does not resolve; write the path literally"
                    ),
                    Some(program),
                )),
            };
        }
        if form.starts_with('/') {
            let left = resolve(buf, "", form, ws);
            return self.verdict(buf, left, program, shown);
        }
        self.each_base(buf, form, program, shown)
    }

    fn each_base(&self, buf: &mut String, rel: &str, program: &str, shown: &str) -> Res {
        let ws = self.gate.ws.as_str();
        if self.ws_active {
            let left = resolve(buf, ws, rel, ws);
            self.verdict(buf, left, program, shown)?;
        }
        for base in &self.extra {
            let left = resolve(buf, base, rel, ws);
            self.verdict(buf, left, program, shown)?;
        }
        Ok(())
    }

    fn verdict(&self, resolved: &str, left: bool, program: &str, shown: &str) -> Res {
        if left {
            return Err(Block::new(
                Rule::PathTraversal,
                format!(
                    "`{program}` argument `{shown}` leaves the workspace `{}` through `..`; use a path inside the workspace, or an absolute path if you mean a file outside it",
                    show_path(&self.gate.ws)
                ),
                Some(program),
            ));
        }
        self.hidden_check(resolved, program, shown, 0)
    }

    fn hidden_check(&self, resolved: &str, program: &str, shown: &str, round: usize) -> Res {
        if let Some(h) = self.gate.hidden.iter().find(|h| h.reached_by(resolved)) {
            return Err(Block::new(
                Rule::HiddenPath,
                format!(
                    "`{program}` argument `{shown}` reaches `{}`, which this profile hides from agents",
                    h.shown
                ),
                Some(program),
            ));
        }
        // `/proc/PID/root/...` is the root file system again, `/proc/PID/cwd/...` some
        // process's working directory and `/proc/PID/task/TID/...` the same files as
        // `/proc/PID/...`: check what they lead to as well.
        if round < 4
            && let Some(rest) = resolved.strip_prefix("/proc/")
            && let Some((pid, rest)) = rest.split_once('/')
        {
            let (link, tail) = rest.split_once('/').unwrap_or((rest, ""));
            let globby = link.contains(['*', '?', '[']);
            if (link == "task" || globby)
                && let Some((_, after_tid)) = tail.split_once('/')
            {
                let again = format!("/proc/{pid}/{after_tid}");
                self.hidden_check(&again, program, shown, round + 1)?;
            }
            if matches!(link, "root" | "cwd") || globby {
                let mut again = String::with_capacity(tail.len() + 1);
                again.push('/');
                again.push_str(tail);
                self.hidden_check(&again, program, shown, round + 1)?;
                if link != "root" && round == 0 {
                    // Some process's working directory: try the ones this command may use,
                    // once (a base may itself lie under `/proc/*/cwd`; following it again
                    // would multiply the work by the number of bases each round).
                    let ws = self.gate.ws.as_str();
                    let mut buf = String::new();
                    let bases = self
                        .ws_active
                        .then_some(ws)
                        .into_iter()
                        .chain(self.extra.iter().map(String::as_str));
                    for base in bases {
                        resolve(&mut buf, base, tail, ws);
                        self.hidden_check(&buf, program, shown, round + 1)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn writable(&self, p: &str) -> bool {
        inside(p, &self.gate.ws)
            || matches!(p, "/dev/null" | "/dev/stdout" | "/dev/stderr")
            || self.gate.writable.iter().any(|w| inside(p, w))
    }

    /// A file the command writes: path checks, then it must be inside the workspace, a
    /// writable path, or `/dev/null`.
    pub(crate) fn output(&mut self, program: &str, target: &str, tilde: bool, what: &str) -> Res {
        self.path_str(program, target, tilde)?;
        if target == "-" {
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.buf);
        let r = self.output_in(&mut buf, program, target, tilde, what);
        self.buf = buf;
        r
    }

    fn output_in(
        &self,
        buf: &mut String,
        program: &str,
        target: &str,
        tilde: bool,
        what: &str,
    ) -> Res {
        let ws = self.gate.ws.as_str();
        let fail = || {
            let mut allowed = show_path(&self.gate.ws).to_owned();
            for w in &self.gate.writable {
                allowed.push_str(", ");
                allowed.push_str(show_path(w));
            }
            Block::new(
                Rule::RedirectOutsideWorkspace,
                format!(
                    "`{program}` would write to `{target}` ({what}), which is outside the workspace and the writable paths ({allowed}, /dev/null); write inside the workspace instead"
                ),
                Some(program),
            )
        };
        if tilde && let Some(after) = target.strip_prefix('~') {
            let rest = after.strip_prefix('/').unwrap_or(after);
            if !after.is_empty() && !after.starts_with('/') {
                return Err(fail());
            }
            resolve(buf, &self.gate.home, rest, ws);
            return if self.writable(buf) {
                Ok(())
            } else {
                Err(fail())
            };
        }
        if target.starts_with('/') {
            resolve(buf, "", target, ws);
            return if self.writable(buf) {
                Ok(())
            } else {
                Err(fail())
            };
        }
        if self.ws_active {
            resolve(buf, ws, target, ws);
            if !self.writable(buf) {
                return Err(fail());
            }
        }
        for base in &self.extra {
            resolve(buf, base, target, ws);
            if !self.writable(buf) {
                return Err(fail());
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------------ working directories

    /// A directory the rest of the command (`exact` = a top-level `cd` in an `&&` chain: the
    /// only one) may run in.
    pub(crate) fn chdir(&mut self, dir: &str, exact: bool, tilde: bool) -> Res {
        let ws = self.gate.ws.clone();
        let mut new = Vec::new();
        if dir == "-" {
            // Back to the previous directory: any directory seen so far.
            self.ws_active = true;
            let hist = self.history.clone();
            for h in hist {
                if !self.extra.contains(&h) {
                    self.extra.push(h);
                }
            }
            return self.cap();
        }
        let mut buf = String::new();
        let tilde_home = tilde && (dir == "~" || dir.starts_with("~/"));
        if dir.is_empty() {
            return Ok(());
        } else if tilde_home {
            resolve(&mut buf, &self.gate.home, &dir[1..], &ws);
            new.push(buf);
        } else if dir.starts_with('/') {
            resolve(&mut buf, "", dir, &ws);
            new.push(buf);
        } else {
            if self.ws_active {
                resolve(&mut buf, &ws, dir, &ws);
                new.push(buf.clone());
            }
            for base in &self.extra {
                resolve(&mut buf, base, dir, &ws);
                new.push(buf.clone());
            }
        }
        if exact && self.exact_cd {
            self.ws_active = false;
            self.extra.clear();
        }
        for d in new {
            if d == ws {
                self.ws_active = true;
            } else if !self.extra.contains(&d) {
                self.extra.push(d.clone());
            }
            if !self.history.contains(&d) {
                self.history.push(d);
            }
        }
        self.cap()
    }

    fn cap(&self) -> Res {
        if self.extra.len() > MAX_BASES {
            return Err(Block::new(
                Rule::UnsupportedSyntax,
                format!(
                    "the command changes directory in too many ways to follow (more than {MAX_BASES} possible working directories); split it into simpler commands"
                ),
                None,
            ));
        }
        Ok(())
    }
}

/// `/` for the root, otherwise the normalised path itself.
pub(crate) fn show_path(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

/// The path of a `file:` URL (`file:///p`, `file://host/p`, `file:/p`), if `s` is one.
fn file_url_path(s: &str) -> Option<&str> {
    let head = s.get(..5)?;
    if !head.eq_ignore_ascii_case("file:") {
        return None;
    }
    let rest = &s[5..];
    Some(match rest.strip_prefix("//") {
        // file://host/path: the path starts at the first `/` after the host.
        Some(r) => r.find('/').map_or("", |p| &r[p..]),
        None => rest,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn file_urls() {
        assert_eq!(file_url_path("file:///etc/shadow"), Some("/etc/shadow"));
        assert_eq!(file_url_path("FILE://localhost/etc/x"), Some("/etc/x"));
        assert_eq!(file_url_path("file:/etc/x"), Some("/etc/x"));
        assert_eq!(file_url_path("https://x/y"), None);
        assert_eq!(file_url_path("fi"), None);
    }
}
