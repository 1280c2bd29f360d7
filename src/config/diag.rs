//! Turning TOML and serde errors into `ConfigError`s that quote file, key path and value.
//!
//! serde reports *what* went wrong and the TOML deserializer a byte span of *where*; neither
//! gives the key path. So a file is parsed twice: once into toml's spanned document tree
//! (`DeTable`), flattened here into `(key path, key span, value span)` entries, and once into
//! the typed struct. An error's span is then matched against the entries: a span equal to a
//! key's span is a key problem (unknown key, bad variable name), otherwise the smallest value
//! containing the span names the key. The same entries give positions for errors found after
//! deserialization (range checks), via [`SourceMap::origin_of`].

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};

use super::error::{ConfigError, Location, Origin, suggest};

/// Longest value quoted in a message; longer values are cut with `...`.
const MAX_QUOTED: usize = 80;

struct Entry {
    path: String,
    key_span: Option<Range<usize>>,
    value_span: Range<usize>,
}

/// Key paths and spans of one parsed TOML file, for error messages.
pub struct SourceMap<'a> {
    file: &'a str,
    text: &'a str,
    entries: Vec<Entry>,
}

/// Parses `text` (named `file` in messages) into `T`, mapping every error to a `ConfigError`.
pub fn parse_toml<'a, T: DeserializeOwned>(
    text: &'a str,
    file: &'a str,
) -> Result<(T, SourceMap<'a>), ConfigError> {
    let map = SourceMap::parse(text, file)?;
    match toml::from_str::<T>(text) {
        Ok(value) => Ok((value, map)),
        Err(e) => Err(map.map_de_error(&e)),
    }
}

impl<'a> SourceMap<'a> {
    /// Parses the document structure; TOML syntax errors are reported with line and column.
    pub fn parse(text: &'a str, file: &'a str) -> Result<Self, ConfigError> {
        let doc = DeTable::parse(text).map_err(|e| {
            let location = e.span().map(|s| Location::of_offset(text, s.start));
            ConfigError::Syntax {
                origin: Origin {
                    file: file.to_string(),
                    location,
                },
                message: e.message().trim().to_string(),
            }
        })?;
        let mut entries = Vec::new();
        collect_table(doc.get_ref(), "", &mut entries);
        Ok(SourceMap {
            file,
            text,
            entries,
        })
    }

    /// The file name used in messages.
    pub fn file(&self) -> &str {
        self.file
    }

    /// Where the value at `path` (`network.allowed_cidrs[1]`) was written, when it was.
    pub fn origin_of(&self, path: &str) -> Origin {
        let location = self
            .entries
            .iter()
            .find(|e| e.path == path)
            .map(|e| Location::of_offset(self.text, e.value_span.start));
        Origin {
            file: self.file.to_string(),
            location,
        }
    }

    /// The source text of the value at `path`, when it was written in this file.
    pub fn value_text(&self, path: &str) -> Option<String> {
        self.entries
            .iter()
            .find(|e| e.path == path)
            .and_then(|e| self.text.get(e.value_span.clone()))
            .map(str::to_string)
    }

    fn origin_at(&self, offset: usize) -> Origin {
        Origin {
            file: self.file.to_string(),
            location: Some(Location::of_offset(self.text, offset)),
        }
    }

    /// Maps a deserialization error to the key it is about.
    pub fn map_de_error(&self, e: &toml::de::Error) -> ConfigError {
        let message = e.message().trim().to_string();
        let Some(span) = e.span() else {
            return ConfigError::Schema {
                origin: Origin::file(self.file),
                message,
            };
        };
        if let Some(entry) = self
            .entries
            .iter()
            .find(|en| en.key_span.as_ref() == Some(&span))
        {
            let origin = self.origin_at(span.start);
            if let Some((name, expected)) = parse_unknown_field(&message) {
                let suggestion = suggest(&name, expected.iter().map(String::as_str));
                return ConfigError::UnknownKey {
                    origin,
                    key: entry.path.clone(),
                    suggestion,
                    expected,
                };
            }
            return ConfigError::InvalidKey {
                origin,
                key: entry.path.clone(),
                reason: message,
            };
        }
        let best = self
            .entries
            .iter()
            .filter(|en| en.value_span.start <= span.start && span.end <= en.value_span.end)
            .min_by_key(|en| (en.value_span.len(), usize::MAX - en.path.len()));
        match best {
            Some(entry) => ConfigError::InvalidValue {
                origin: self.origin_at(entry.value_span.start),
                key: entry.path.clone(),
                value: quote_source(&self.text[entry.value_span.clone()]),
                expected: expected_part(&message),
            },
            None => ConfigError::Schema {
                origin: self.origin_at(span.start),
                message,
            },
        }
    }
}

fn collect_table(table: &DeTable<'_>, prefix: &str, out: &mut Vec<Entry>) {
    for (key, value) in table.iter() {
        let path = join_key(prefix, key.get_ref());
        out.push(Entry {
            path: path.clone(),
            key_span: Some(key.span()),
            value_span: value.span(),
        });
        collect_value(value.get_ref(), &path, out);
    }
}

fn collect_value(value: &DeValue<'_>, path: &str, out: &mut Vec<Entry>) {
    match value {
        DeValue::Table(t) => collect_table(t, path, out),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{i}]");
                out.push(Entry {
                    path: item_path.clone(),
                    key_span: None,
                    value_span: item.span(),
                });
                collect_value(item.get_ref(), &item_path, out);
            }
        }
        _ => {}
    }
}

/// `prefix.key`, quoting keys that are not TOML bare keys.
pub fn join_key(prefix: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

/// A value's source text, on one line and cut to a readable length.
pub fn quote_source(raw: &str) -> String {
    let one_line = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > MAX_QUOTED {
        let cut: String = one_line.chars().take(MAX_QUOTED - 3).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

/// `unknown field `x`, expected one of `a`, `b`` → (`x`, [a, b]).
fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field ")?;
    let mut names = backticked(rest);
    if names.is_empty() {
        return None;
    }
    let name = names.remove(0);
    Some((name, names))
}

/// Every `` `word` `` in `s`, in order.
fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, w)| w.to_string())
        .collect()
}

/// The "what is accepted" half of a serde message.
fn expected_part(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let names = backticked(rest);
        if names.len() > 1 {
            return format!("expected one of {}", names[1..].join(", "));
        }
    }
    match message.rfind(", expected ") {
        Some(i) => format!("expected {}", &message[i + ", expected ".len()..]),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        network: Option<Net>,
        flag: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Net {
        allowed_domains: Option<Vec<String>>,
        mode: Option<Mode>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        None,
        Full,
    }

    fn err(text: &str) -> String {
        match parse_toml::<Doc>(text, "x.toml") {
            Ok(_) => String::from("no error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn unknown_key_in_header_table_names_path_and_suggestion() {
        let m = err("flag = true\n[network]\nalowed_domains = []\n");
        assert_eq!(
            m,
            "x.toml:3:1: unknown key network.alowed_domains (did you mean allowed_domains?)"
        );
    }

    #[test]
    fn unknown_top_level_table() {
        let m = err("[bogus]\nx = 1\n");
        assert!(
            m.starts_with("x.toml:1:2: unknown key bogus (expected one of"),
            "{m}"
        );
    }

    #[test]
    fn bad_variant_quotes_value_and_choices() {
        let m = err("[network]\nmode = \"nne\"\n");
        assert_eq!(
            m,
            "x.toml:2:8: network.mode = \"nne\" is not valid: expected one of none, full"
        );
    }

    #[test]
    fn wrong_type_in_array_names_the_element() {
        let m = err("network = { allowed_domains = [\"a\", 3] }\n");
        assert_eq!(
            m,
            "x.toml:1:37: network.allowed_domains[1] = 3 is not valid: expected a string"
        );
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let m = err("flag = true\n[network\n");
        assert!(m.starts_with("x.toml:2:9: TOML syntax error: "), "{m}");
        let m = err("flag = true\nflag = false\n");
        assert!(
            m.contains("x.toml:2:1: TOML syntax error: duplicate key"),
            "{m}"
        );
    }

    #[test]
    fn keys_are_quoted_when_not_bare() {
        assert_eq!(join_key("extra_env", "A.B"), "extra_env.\"A.B\"");
        assert_eq!(join_key("", "name"), "name");
    }

    #[test]
    fn long_values_are_cut() {
        let long = format!("\"{}\"", "a".repeat(200));
        let q = quote_source(&long);
        assert_eq!(q.chars().count(), MAX_QUOTED);
        assert!(q.ends_with("..."));
    }
}
