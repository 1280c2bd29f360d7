use super::*;

fn home() -> (tempfile::TempDir, LassoHome) {
    let Ok(tmp) = tempfile::tempdir() else {
        panic!("tempdir")
    };
    let Ok(home) = LassoHome::at(tmp.path().join("h")) else {
        panic!("home")
    };
    (tmp, home)
}

#[test]
fn every_builtin_theme_is_complete_and_distinct() {
    let mut seen = Vec::new();
    for name in builtin_theme_names() {
        let t = load_theme(name, None).map_err(|e| e.to_string());
        let Ok(t) = t else { panic!("{name}: {t:?}") };
        assert!(!seen.contains(&t.colors), "{name} duplicates another theme");
        seen.push(t.colors);
        for key in COLOR_KEYS {
            assert!(t.colors.get(key).is_some(), "{name} lacks {key}");
        }
    }
    assert_eq!(seen.len(), 3);
    assert_eq!(
        load_theme(DEFAULT_THEME, None)
            .map(|t| t.colors.accent)
            .ok(),
        Some(ThemeColor::Ansi(6))
    );
}

#[test]
fn colours_parse_names_hex_and_indices() {
    assert_eq!(ThemeColor::parse("reset"), Some(ThemeColor::Reset));
    assert_eq!(ThemeColor::parse("Black"), Some(ThemeColor::Ansi(0)));
    assert_eq!(ThemeColor::parse("darkgrey"), Some(ThemeColor::Ansi(8)));
    assert_eq!(ThemeColor::parse("white"), Some(ThemeColor::Ansi(15)));
    assert_eq!(
        ThemeColor::parse("#00ff7F"),
        Some(ThemeColor::Rgb(0, 255, 127))
    );
    assert_eq!(ThemeColor::parse("208"), Some(ThemeColor::Indexed(208)));
    for bad in ["#fff", "#gg0000", "256", "-1", "purple", ""] {
        assert_eq!(ThemeColor::parse(bad), None, "{bad}");
    }
}

#[test]
fn partial_theme_inherits_from_its_parent() {
    let (_t, home) = home();
    let t = parse_theme(
        "parent = \"light\"\n[colors]\naccent = \"#123456\"\n",
        "mine.toml",
        Some(&home),
    )
    .map_err(|e| e.to_string());
    let Ok(t) = t else { panic!("{t:?}") };
    let light = load_theme("light", None).map(|t| t.colors).ok();
    assert_eq!(t.colors.accent, ThemeColor::Rgb(0x12, 0x34, 0x56));
    assert_eq!(Some(t.colors.ok), light.map(|l| l.ok));
    assert_eq!(Some(t.colors.bg), light.map(|l| l.bg));
}

#[test]
fn user_themes_are_found_by_name_and_may_chain() {
    let (_t, home) = home();
    let dir = themes_dir(&home);
    assert!(std::fs::create_dir_all(&dir).is_ok());
    assert!(
        std::fs::write(
            dir.join("base.toml"),
            "parent = \"dark\"\n[colors]\nok = \"blue\"\n"
        )
        .is_ok()
    );
    assert!(
        std::fs::write(
            dir.join("top.toml"),
            "parent = \"base\"\n[colors]\nwarn = \"red\"\n"
        )
        .is_ok()
    );
    let t = load_theme("top", Some(&home)).map_err(|e| e.to_string());
    let Ok(t) = t else { panic!("{t:?}") };
    assert_eq!(
        (t.colors.ok, t.colors.warn),
        (ThemeColor::Ansi(4), ThemeColor::Ansi(1))
    );
    // By path too.
    let p = dir.join("top.toml").display().to_string();
    assert_eq!(
        load_theme(&p, Some(&home)).map(|t| t.colors).ok(),
        Some(t.colors)
    );
}

#[test]
fn broken_themes_name_the_key() {
    let (_t, home) = home();
    let err = |text: &str| {
        parse_theme(text, "/x/t.toml", Some(&home))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let m = err("parent = \"dark\"\n[colors]\naccent = \"#zzzzzz\"\n");
    assert!(
        m.starts_with(
            "/x/t.toml:3:10: colors.accent = \"#zzzzzz\" is not valid: expected a colour"
        ),
        "{m}"
    );
    let m = err("parent = \"dark\"\n[colors]\naccnt = \"red\"\n");
    assert!(m.contains("unknown key") && m.contains("accent"), "{m}");
    let m = err("[colors]\naccent = \"red\"\n");
    assert!(
        m.contains("colors.fg is missing") && m.contains("parent"),
        "{m}"
    );
    let m = err("parent = \"nope\"\n");
    assert!(
        m.starts_with("/x/t.toml:1:10: parent = \"nope\" is not valid")
            && m.contains("no theme named"),
        "{m}"
    );
    let m = err("parent = \"../etc\"\n");
    assert!(m.contains("parent = \"../etc\" is not valid"), "{m}");
    let m = err("colors = 3\n");
    assert!(m.contains("colors"), "{m}");
}

#[test]
fn cycles_and_unknown_names_are_errors() {
    let (_t, home) = home();
    let dir = themes_dir(&home);
    assert!(std::fs::create_dir_all(&dir).is_ok());
    assert!(std::fs::write(dir.join("a.toml"), "parent = \"b\"\n").is_ok());
    assert!(std::fs::write(dir.join("b.toml"), "parent = \"a\"\n").is_ok());
    let m = load_theme("a", Some(&home))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        m.contains("cycle") && m.contains("a.toml") && m.contains("b.toml"),
        "{m}"
    );
    let m = load_theme("missing", Some(&home))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        m.contains("no theme named \"missing\"") && m.contains("dark, light, high-contrast"),
        "{m}"
    );
    let m = load_theme("Bad Name", Some(&home))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(m.contains("theme = \"Bad Name\" is not valid"), "{m}");
    let m = load_theme("/nonexistent/t.toml", Some(&home))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(m.contains("cannot read theme /nonexistent/t.toml"), "{m}");
}
