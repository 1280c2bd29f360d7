//! TUI colour themes: `themes/*.toml` (embedded built-ins `dark`, `light`, `high-contrast`)
//! and the user's own in `LASSO_HOME/themes/NAME.toml` or any file named by path.
//!
//! A theme names colours by meaning (`accent`, `ok`, `warn`, `danger`, `muted`, plus the base
//! `fg`/`bg`, `border` and the selection pair), never by widget, so every pane stays
//! consistent. A theme may name a `parent` and set only the colours it changes; a theme
//! without a parent must set every colour (nothing is silently filled in). The colour type
//! here is independent of ratatui: this module stays below the front ends, which map it.
//! Errors quote the file, the key and the value, as profile errors do.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::diag::parse_toml;
use super::error::{ConfigError, Origin};
use super::settings::LassoHome;

/// The theme used when neither `--theme` nor `config.toml` names one.
pub const DEFAULT_THEME: &str = "dark";
/// Longest `parent` chain followed.
pub const MAX_THEME_CHAIN: usize = 8;

/// The built-in themes, embedded from `themes/`.
pub const BUILTIN_THEMES: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// One colour as a theme file gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeColor {
    /// The terminal's own default colour.
    Reset,
    /// One of the 16 ANSI colours by name (0 black … 15 white, as in [`ANSI_NAMES`]).
    Ansi(u8),
    /// An index into the terminal's 256-colour palette.
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// The 16 ANSI colour names in palette order.
pub const ANSI_NAMES: [&str; 16] = [
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "gray",
    "darkgray",
    "lightred",
    "lightgreen",
    "lightyellow",
    "lightblue",
    "lightmagenta",
    "lightcyan",
    "white",
];

const COLOR_EXPECTED: &str = "expected a colour name (black, red, green, yellow, blue, magenta, \
     cyan, gray, darkgray, lightred, lightgreen, lightyellow, lightblue, lightmagenta, lightcyan, \
     white, reset), \"#rrggbb\", or a palette index 0-255";

impl ThemeColor {
    /// Parses `reset`, an ANSI name, `#rrggbb` or `0`-`255`; `None` when it is none of those.
    pub fn parse(text: &str) -> Option<ThemeColor> {
        let t = text.trim().to_ascii_lowercase();
        if t == "reset" || t == "default" {
            return Some(ThemeColor::Reset);
        }
        if let Some(i) = ANSI_NAMES
            .iter()
            .position(|n| *n == t || n.replace("gray", "grey") == t)
        {
            return u8::try_from(i).ok().map(ThemeColor::Ansi);
        }
        if let Some(hex) = t.strip_prefix('#') {
            if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
            return Some(ThemeColor::Rgb(byte(0)?, byte(2)?, byte(4)?));
        }
        t.parse::<u8>().ok().map(ThemeColor::Indexed)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    parent: Option<String>,
    #[serde(default)]
    colors: RawColors,
}

macro_rules! theme_colors {
    ($($field:ident : $doc:literal),+ $(,)?) => {
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawColors {
            $($field: Option<String>,)+
        }

        /// Every colour of a resolved theme.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct ThemeColors {
            $(#[doc = $doc] pub $field: ThemeColor,)+
        }

        /// The colour keys of `[colors]`, in file order.
        pub const COLOR_KEYS: &[&str] = &[$(stringify!($field)),+];

        #[derive(Debug, Default, Clone, Copy)]
        struct PartialColors {
            $($field: Option<ThemeColor>,)+
        }

        impl PartialColors {
            fn from_raw(raw: &RawColors, check: &dyn Fn(&str, &str) -> Result<ThemeColor, ConfigError>) -> Result<PartialColors, ConfigError> {
                Ok(PartialColors {
                    $($field: raw.$field.as_deref().map(|v| check(stringify!($field), v)).transpose()?,)+
                })
            }

            /// `self` over `parent`: keys set here win.
            fn over(self, parent: PartialColors) -> PartialColors {
                PartialColors { $($field: self.$field.or(parent.$field),)+ }
            }

            fn complete(self) -> Result<ThemeColors, &'static str> {
                Ok(ThemeColors { $($field: self.$field.ok_or(stringify!($field))?,)+ })
            }
        }
    };
}

theme_colors!(
    fg: "Normal text.",
    bg: "The background.",
    accent: "Titles, the focused border, keys in hints.",
    ok: "Running, allowed, valid.",
    warn: "Degraded, pending, warnings.",
    danger: "Blocked, failed, broken chains, errors.",
    muted: "Secondary text.",
    border: "Unfocused borders.",
    selection_fg: "Text of the selected row.",
    selection_bg: "Background of the selected row.",
);

/// A resolved theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// The name (or path) it was loaded as.
    pub name: String,
    pub colors: ThemeColors,
}

/// Where a theme was found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ThemeSource {
    Builtin(&'static str),
    File(PathBuf),
}

/// Whether `spec` names a file (`--theme ./mine.toml`) rather than a theme by name.
pub fn theme_spec_is_path(spec: &str) -> bool {
    spec.contains('/') || spec.ends_with(".toml")
}

/// Checks a theme name: 1-64 characters from `[a-z0-9_-]`, starting with a letter or digit.
pub fn check_theme_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected a theme name (1-64 of a-z, 0-9, - and _; built-in: {}) or a path to a .toml file",
            builtin_theme_names().join(", ")
        ))
    }
}

/// The names of the built-in themes.
pub fn builtin_theme_names() -> Vec<&'static str> {
    BUILTIN_THEMES.iter().map(|(n, _)| *n).collect()
}

/// `LASSO_HOME/themes`: the user's themes.
pub fn themes_dir(home: &LassoHome) -> PathBuf {
    home.root().join("themes")
}

/// Loads and resolves the theme `spec` (a name, or a path when it contains `/` or ends in
/// `.toml`). Names are looked up in `LASSO_HOME/themes/NAME.toml`, then the built-ins.
pub fn load_theme(spec: &str, home: Option<&LassoHome>) -> Result<Theme, ConfigError> {
    let user_dir = home.map(themes_dir);
    let source = find(spec, user_dir.as_deref())?;
    let mut chain: Vec<String> = Vec::new();
    let colors = resolve(&source, user_dir.as_deref(), &mut chain)?;
    Ok(Theme {
        name: spec.to_string(),
        colors,
    })
}

/// Parses one theme's text and resolves its parents with `lookup`; for tests and for
/// callers that already hold the text.
pub fn parse_theme(text: &str, file: &str, home: Option<&LassoHome>) -> Result<Theme, ConfigError> {
    let user_dir = home.map(themes_dir);
    let mut chain = vec![file.to_string()];
    let colors = resolve_text(text, file, user_dir.as_deref(), &mut chain)?;
    Ok(Theme {
        name: file.to_string(),
        colors,
    })
}

fn find(spec: &str, user_dir: Option<&Path>) -> Result<ThemeSource, ConfigError> {
    if theme_spec_is_path(spec) {
        return Ok(ThemeSource::File(PathBuf::from(spec)));
    }
    check_theme_name(spec).map_err(|expected| ConfigError::InvalidValue {
        origin: Origin::file("--theme / config.toml theme"),
        key: "theme".into(),
        value: format!("{spec:?}"),
        expected,
    })?;
    if let Some(dir) = user_dir {
        let p = dir.join(format!("{spec}.toml"));
        if p.is_file() {
            return Ok(ThemeSource::File(p));
        }
    }
    BUILTIN_THEMES
        .iter()
        .find(|(n, _)| *n == spec)
        .map(|(_, text)| ThemeSource::Builtin(text))
        .ok_or_else(|| ConfigError::Schema {
            origin: Origin::file(
                user_dir.map_or_else(|| "themes".to_string(), |d| d.display().to_string()),
            ),
            message: format!(
                "no theme named {spec:?}: it is not a built-in ({}) and there is no {spec}.toml here",
                builtin_theme_names().join(", ")
            ),
        })
}

fn resolve(
    source: &ThemeSource,
    user_dir: Option<&Path>,
    chain: &mut Vec<String>,
) -> Result<ThemeColors, ConfigError> {
    let (text, file) = match source {
        ThemeSource::Builtin(text) => {
            let name = BUILTIN_THEMES
                .iter()
                .find(|(_, t)| std::ptr::eq(*t, *text))
                .map_or("built-in", |(n, _)| *n);
            ((*text).to_string(), format!("built-in theme {name}"))
        }
        ThemeSource::File(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::io("read theme", path.clone(), e))?;
            (text, path.display().to_string())
        }
    };
    if chain.contains(&file) || chain.len() >= MAX_THEME_CHAIN {
        chain.push(file);
        return Err(ConfigError::Schema {
            origin: Origin::file(chain.first().cloned().unwrap_or_default()),
            message: format!(
                "theme parent chain is a cycle or longer than {MAX_THEME_CHAIN}: {} (fix a `parent` key)",
                chain.join(" -> ")
            ),
        });
    }
    chain.push(file.clone());
    resolve_text(&text, &file, user_dir, chain)
}

fn resolve_text(
    text: &str,
    file: &str,
    user_dir: Option<&Path>,
    chain: &mut Vec<String>,
) -> Result<ThemeColors, ConfigError> {
    let (raw, map) = parse_toml::<RawTheme>(text, file)?;
    let check = |key: &str, value: &str| {
        let path = format!("colors.{key}");
        ThemeColor::parse(value).ok_or_else(|| ConfigError::InvalidValue {
            origin: map.origin_of(&path),
            key: path.clone(),
            value: format!("{value:?}"),
            expected: COLOR_EXPECTED.to_string(),
        })
    };
    let own = PartialColors::from_raw(&raw.colors, &check)?;
    let merged = match &raw.parent {
        None => own,
        Some(parent) => {
            if theme_spec_is_path(parent) || check_theme_name(parent).is_err() {
                return Err(ConfigError::InvalidValue {
                    origin: map.origin_of("parent"),
                    key: "parent".into(),
                    value: format!("{parent:?}"),
                    expected: "expected the name of another theme (a built-in or one in \
                               LASSO_HOME/themes)"
                        .into(),
                });
            }
            let source = find(parent, user_dir).map_err(|e| ConfigError::InvalidValue {
                origin: map.origin_of("parent"),
                key: "parent".into(),
                value: format!("{parent:?}"),
                expected: e.to_string(),
            })?;
            let parent_colors = resolve(&source, user_dir, chain)?;
            own.over(PartialColors::from_full(parent_colors))
        }
    };
    merged.complete().map_err(|missing| ConfigError::Schema {
        origin: Origin::file(file),
        message: format!(
            "colors.{missing} is missing: set it, or name a `parent` theme to inherit it from"
        ),
    })
}

impl PartialColors {
    fn from_full(c: ThemeColors) -> PartialColors {
        let mut p = PartialColors::default();
        for key in COLOR_KEYS {
            p.set(key, c.get(key));
        }
        p
    }

    fn set(&mut self, key: &str, value: Option<ThemeColor>) {
        if let Some(slot) = self.slot(key) {
            *slot = value;
        }
    }

    fn slot(&mut self, key: &str) -> Option<&mut Option<ThemeColor>> {
        Some(match key {
            "fg" => &mut self.fg,
            "bg" => &mut self.bg,
            "accent" => &mut self.accent,
            "ok" => &mut self.ok,
            "warn" => &mut self.warn,
            "danger" => &mut self.danger,
            "muted" => &mut self.muted,
            "border" => &mut self.border,
            "selection_fg" => &mut self.selection_fg,
            "selection_bg" => &mut self.selection_bg,
            _ => return None,
        })
    }
}

impl ThemeColors {
    /// The colour of `key` (one of [`COLOR_KEYS`]).
    pub fn get(&self, key: &str) -> Option<ThemeColor> {
        Some(match key {
            "fg" => self.fg,
            "bg" => self.bg,
            "accent" => self.accent,
            "ok" => self.ok,
            "warn" => self.warn,
            "danger" => self.danger,
            "muted" => self.muted,
            "border" => self.border,
            "selection_fg" => self.selection_fg,
            "selection_bg" => self.selection_bg,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests;
