use std::collections::BTreeSet;

use super::*;
use crate::config::error::ConfigError;
use crate::config::raw::parse_profile;

/// The keys the raw parser accepts at the top level (`section` empty) or in `[section]`,
/// read from its unknown-key error, which lists every accepted key.
fn accepted(section: &str) -> Vec<String> {
    let text = if section.is_empty() {
        "lasso_probe_key = 1\n".to_string()
    } else {
        format!("[{section}]\nlasso_probe_key = 1\n")
    };
    match parse_profile(&text, "probe.toml") {
        Err(ConfigError::UnknownKey { expected, .. }) => expected,
        other => panic!("probing [{section}] did not list its keys: {other:?}"),
    }
}

#[test]
fn catalogue_lists_exactly_the_schema() {
    let mut schema = BTreeSet::new();
    for key in accepted("") {
        if WRITTEN_BY_LASSO.contains(&key.as_str()) || field(&key).is_some() {
            if field(&key).is_some() {
                schema.insert(key);
            }
            continue;
        }
        // A table of fields: every key it accepts must be catalogued. A section the
        // catalogue does not know at all is probed too, so its keys show up as missing.
        for inner in accepted(&key) {
            schema.insert(format!("{key}.{inner}"));
        }
    }
    let catalogue: BTreeSet<String> = FIELDS.iter().map(|f| f.path.to_string()).collect();
    let missing: Vec<_> = schema.difference(&catalogue).collect();
    let extra: Vec<_> = catalogue.difference(&schema).collect();
    assert!(
        missing.is_empty(),
        "schema fields missing from config::fields::FIELDS: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "catalogued fields the schema does not have: {extra:?}"
    );
    assert_eq!(FIELDS.len(), catalogue.len(), "a field is listed twice");
}

/// A value the parser accepts for `spec` (limits included).
fn samples(spec: &FieldSpec) -> Vec<Value> {
    let s = |x: &str| Value::String(x.to_string());
    match spec.kind {
        Bool => vec![Value::Boolean(true), Value::Boolean(false)],
        Enum(words) => words.iter().map(|w| s(w)).collect(),
        Int { min, max } => vec![Value::Integer(min), Value::Integer(max)],
        Number { min, max } => vec![Value::Float(min), Value::Float(max)],
        Size => vec![s("64m"), s("2g")],
        Str => vec![s(match spec.path {
            "audit.log_dir" => "/var/log/lasso",
            "image.base" => "debian:bookworm",
            _ => "probe",
        })],
        List => vec![Value::Array(Vec::new())],
        IntList { min, max } => vec![Value::Array(vec![Value::Integer(min), Value::Integer(max)])],
        Map => vec![
            spec.from_items(&["EDITOR=vi".into()])
                .unwrap_or_else(|e| panic!("{e}")),
        ],
        TableList => vec![
            spec.from_items(&["git=push".into()])
                .unwrap_or_else(|e| panic!("{e}")),
        ],
    }
}

#[test]
fn every_kind_matches_what_the_parser_accepts() {
    for spec in FIELDS {
        for value in samples(spec) {
            let mut doc = Table::new();
            spec.set(&mut doc, Some(value.clone()));
            assert_eq!(spec.get(&doc), Some(&value), "{}", spec.path);
            let text = to_text(&doc).unwrap_or_else(|e| panic!("{e}"));
            if let Err(e) = parse_profile(&text, "t.toml") {
                panic!(
                    "{} = {value}: the parser refused the catalogue's kind: {e}",
                    spec.path
                );
            }
        }
        // The limits are the parser's: one past them is refused, naming the field.
        let out_of_range = match spec.kind {
            Int { min, max } => vec![Value::Integer(min - 1), Value::Integer(max + 1)],
            Number { min, max } => vec![Value::Float(min / 2.0), Value::Float(max * 2.0)],
            IntList { min, max } => vec![
                Value::Array(vec![Value::Integer(min - 1)]),
                Value::Array(vec![Value::Integer(max + 1)]),
            ],
            Enum(_) => vec![Value::String("lasso-bogus".into())],
            _ => Vec::new(),
        };
        for value in out_of_range {
            let mut doc = Table::new();
            spec.set(&mut doc, Some(value.clone()));
            let text = to_text(&doc).unwrap_or_else(|e| panic!("{e}"));
            match parse_profile(&text, "t.toml") {
                Ok(_) => panic!(
                    "{} = {value} was accepted; the catalogue's limits are wrong",
                    spec.path
                ),
                Err(e) => {
                    let m = e.to_string();
                    assert!(m.contains(spec.path), "{m}");
                    if let Enum(words) = spec.kind {
                        assert!(
                            m.contains(&format!("expected one of {}", words.join(", "))),
                            "{m}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn set_get_and_remove() {
    let Some(memory) = field("resources.memory") else {
        panic!("memory")
    };
    let mut doc = Table::new();
    memory.set(&mut doc, Some(Value::String("1g".into())));
    assert_eq!(
        to_text(&doc).ok().as_deref(),
        Some("[resources]\nmemory = \"1g\"\n")
    );
    memory.set(&mut doc, None);
    assert!(doc.is_empty(), "an emptied table goes away: {doc:?}");
    let Some(mode) = field("mode") else {
        panic!("mode")
    };
    assert_eq!(mode.step(None), Some(Value::String("observe".into())));
    let v = Value::String("autonomous".into());
    assert_eq!(mode.step(Some(&v)), Some(Value::String("observe".into())));
    let Some(shell) = field("commands.allow_shell_operators") else {
        panic!("bool")
    };
    assert_eq!(shell.step(None), Some(Value::Boolean(true)));
    assert_eq!(
        shell.step(Some(&Value::Boolean(true))),
        Some(Value::Boolean(false))
    );
}

#[test]
fn typed_input_and_items() {
    let spec = |p: &str| field(p).unwrap_or_else(|| panic!("{p}"));
    assert_eq!(
        spec("resources.pids").parse_input(" 64 "),
        Ok(Value::Integer(64))
    );
    let m = spec("resources.pids")
        .parse_input("8")
        .err()
        .unwrap_or_default();
    assert!(m.contains("from 16 to 4194304"), "{m}");
    assert_eq!(
        spec("resources.cpus").parse_input("0.5"),
        Ok(Value::Float(0.5))
    );
    assert!(spec("resources.memory").parse_input("12x").is_err());
    assert!(
        spec("network.allowed_ports")
            .from_items(&["443".into(), "x".into()])
            .is_err()
    );

    let blocked = spec("commands.blocked_args");
    let items: Vec<String> = ["git=push --force", "git=reset", "npm="]
        .map(String::from)
        .to_vec();
    let v = blocked.from_items(&items).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(show(&v), "{git = [push --force, reset], npm = []}");
    assert_eq!(blocked.items(Some(&v)), items);
    assert!(blocked.from_items(&["nopattern".into()]).is_err());
    let env = spec("extra_env");
    let v = env
        .from_items(&["A=1".into(), "B=x=y".into()])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(env.items(Some(&v)), vec!["A=1", "B=x=y"]);
    assert_eq!(env.section(), "extra_env");
    assert_eq!(spec("mode").section(), "");
    assert_eq!(
        spec("commands.whitelist_add").effective_path(),
        "commands.whitelist"
    );
}

#[test]
fn error_keys_map_to_fields() {
    let path = |k: &str| field_for_key(k).map(|f| f.path);
    assert_eq!(
        path("network.allowed_cidrs[1]"),
        Some("network.allowed_cidrs")
    );
    assert_eq!(path("extra_env.LD_PRELOAD"), Some("extra_env"));
    assert_eq!(
        path("commands.blocked_args.git[0]"),
        Some("commands.blocked_args")
    );
    assert_eq!(path("resources.memory"), Some("resources.memory"));
    assert_eq!(path("bogus.key"), None);
}
