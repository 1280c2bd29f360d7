//! Property tests: no input makes the profile parser panic, and whatever parses and validates
//! survives export and verification unchanged.

use proptest::prelude::*;

use super::parse_profile;
use crate::config::exchange::{export, verify_export};
use crate::config::profile::Profile;

const KEYS: &[&str] = &[
    "name",
    "description",
    "extends",
    "mode",
    "isolation",
    "base",
    "packages",
    "writable_paths",
    "hidden_paths",
    "tmp_size",
    "whitelist",
    "blacklist",
    "blocked_args",
    "allow_shell_operators",
    "allow_code_eval",
    "max_execution_seconds",
    "raw_shell",
    "max_session_seconds",
    "observe",
    "assist",
    "allowed_domains",
    "blocked_domains",
    "allowed_cidrs",
    "blocked_cidrs",
    "allowed_ports",
    "blocked_ports",
    "memory",
    "cpus",
    "pids",
    "open_files",
    "file_size",
    "include_command_output",
    "log_dir",
    "forward_env",
    "whitelist_add",
    "blacklist_add",
    "observe_add",
    "assist_add",
    "packages_add",
    "writable_paths_add",
    "hidden_paths_add",
    "allowed_domains_add",
    "blocked_ports_add",
    "allowed_cidrs_add",
    "forward_env_add",
    "enforcement",
    "accept_missing",
    "sha256",
    "signature",
    "key_id",
    "source",
    "imported_at",
    "git",
    "FOO",
    "LD_PRELOAD",
];

const HEADERS: &[&str] = &[
    "[image]",
    "[filesystem]",
    "[commands]",
    "[commands.blocked_args]",
    "[modes]",
    "[network]",
    "[resources]",
    "[audit]",
    "[agent_auth]",
    "[extra_env]",
    "[integrity]",
    "[guard]",
    "[terminal]",
    "[provenance]",
    "[[commands]]",
    "[network.mode]",
];

const VALUES: &[&str] = &[
    "true",
    "false",
    "0",
    "-1",
    "65536",
    "1.5",
    "nan",
    "inf",
    "\"ls\"",
    "\"whitelist\"",
    "\"blacklist\"",
    "\"restricted\"",
    "\"full\"",
    "\"observe\"",
    "\"512m\"",
    "\"10.0.0.0/8\"",
    "\"*.github.com\"",
    "[]",
    "[\"ls\", \"cat\"]",
    "[1, 2]",
    "[443]",
    "[\"/data\"]",
    "{ git = [\"push\"] }",
    "{}",
    "1979-05-27T07:32:00Z",
    "'''\nx'''",
    "\"\\u0000\"",
];

fn line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        proptest::sample::select(KEYS).prop_map(str::to_string),
        "[a-z_.\"]{1,10}",
    ];
    let value = prop_oneof![
        proptest::sample::select(VALUES).prop_map(str::to_string),
        "\"[ -~]{0,12}\"",
        "-?[0-9]{1,21}",
        "\\PC{0,8}",
    ];
    prop_oneof![
        4 => (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => proptest::sample::select(HEADERS).prop_map(str::to_string),
        1 => "\\PC{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsing_toml_ish_text_never_panics(lines in proptest::collection::vec(line(), 0..14)) {
        let text = lines.join("\n");
        if let Ok(raw) = parse_profile(&text, "fuzz.toml") {
            let p = Profile::from_raw(raw, "fuzz");
            if p.validate().is_ok() {
                let _ = p.gate_policy();
                let exported = export(&p).map_err(|e| e.to_string());
                prop_assert!(exported.is_ok());
                let back = exported.and_then(|t| verify_export(&t, "x").map_err(|e| e.to_string()));
                prop_assert_eq!(back, Ok(p));
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse_profile(&text, "fuzz.toml");
    }
}

fn subset(items: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    proptest::sample::subsequence(items, 0..=items.len())
}

fn quoted(v: &[&str]) -> String {
    let items: Vec<String> = v.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", items.join(", "))
}

/// Valid profiles built from random combinations of valid field values.
fn valid_profile_text() -> impl Strategy<Value = String> {
    let commands = prop_oneof![
        subset(&["cat", "git", "python3", "g++"]).prop_map(|mut w| {
            w.push("ls");
            format!(
                "[commands]\nmode = \"whitelist\"\nwhitelist = {}\n",
                quoted(&w)
            )
        }),
        subset(&["rm", "dd", "sudo"]).prop_map(|b| {
            format!(
                "[commands]\nmode = \"blacklist\"\nblacklist = {}\nallow_code_eval = true\n",
                quoted(&b)
            )
        }),
    ];
    let network = prop_oneof![
        Just(String::new()),
        subset(&["10.0.0.0/8", "fc00::/7", "169.254.0.0/16"]).prop_map(|c| format!(
            "[network]\nmode = \"full\"\nblocked_cidrs = {}\n",
            quoted(&c)
        )),
        subset(&["*.github.com", "crates.io"]).prop_map(|mut d| {
            d.push("pypi.org");
            format!(
                "[network]\nmode = \"restricted\"\nallowed_domains = {}\nallowed_ports = [443]\n",
                quoted(&d)
            )
        }),
    ];
    let resources = (
        proptest::sample::select(&["16m", "1g", "1536m", "3G"][..]),
        proptest::sample::select(&[0.5f64, 1.0, 2.25, 1024.0][..]),
        16i64..=4096,
        16i64..=20_000,
    )
        .prop_map(|(m, c, p, o)| {
            format!("[resources]\nmemory = {m:?}\ncpus = {c:?}\npids = {p}\nopen_files = {o}\n")
        });
    let mode = proptest::sample::select(&["observe", "assist", "autonomous"][..]);
    let extras = (
        subset(&["/data", "/cache"]),
        subset(&["API_TOKEN", "REGION"]),
        any::<bool>(),
    )
        .prop_map(|(w, f, out)| {
            format!(
                "[filesystem]\nwritable_paths = {}\n[agent_auth]\nforward_env = {}\n\
                 [audit]\ninclude_command_output = {out}\n[extra_env]\nLANG = \"C.UTF-8\"\n\
                 [commands.blocked_args]\ngit = [\"push --force\"]\n",
                quoted(&w),
                quoted(&f)
            )
        });
    (commands, network, resources, mode, extras)
        .prop_map(|(c, n, r, m, e)| format!("name = \"gen\"\nmode = {m:?}\n{c}{n}{r}{e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn valid_profiles_round_trip_through_export(text in valid_profile_text()) {
        let raw = parse_profile(&text, "gen.toml").map_err(|e| e.to_string());
        prop_assert!(raw.is_ok(), "{:?}\n{}", raw, text);
        let p = Profile::from_raw(raw.unwrap_or_default(), "gen");
        prop_assert_eq!(p.validate(), Ok(()));
        let back = export(&p)
            .and_then(|t| verify_export(&t, "x"))
            .map_err(|e| e.to_string());
        prop_assert_eq!(back.as_ref(), Ok(&p));
        prop_assert!(crate::config::diff::diff(&p, &p).is_empty());
        let g = p.gate_policy();
        prop_assert_eq!(g.hidden_paths, p.filesystem.hidden_paths.clone());
    }
}

fn programs() -> impl Strategy<Value = Vec<&'static str>> {
    subset(&["ls", "cat", "git", "make", "jq", "tree", "curl"])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// `x_add` in a child always resolves to the parent's effective list plus the additions,
    /// through any number of layers, and never leaves an `_add` in the export.
    #[test]
    fn add_lists_are_unions_along_the_chain(
        parent in proptest::option::of(programs()),
        adds in proptest::collection::vec(programs(), 1..4),
    ) {
        let parent_text = match &parent {
            Some(p) => format!("[modes]\nobserve = {}\n", quoted(p)),
            None => String::new(),
        };
        let mut merged = parse_profile(&parent_text, "p.toml").map_err(|e| e.to_string());
        let mut expected: Vec<String> = match &parent {
            Some(p) => p.iter().map(|s| s.to_string()).collect(),
            None => crate::config::profile::DEFAULT_OBSERVE.iter().map(|s| s.to_string()).collect(),
        };
        for add in &adds {
            let child = parse_profile(&format!("[modes]\nobserve_add = {}\n", quoted(add)), "c.toml")
                .map_err(|e| e.to_string());
            merged = merged.and_then(|m| child.map(|c| m.overlay(c)));
            expected.extend(add.iter().map(|s| s.to_string()));
        }
        expected.sort();
        expected.dedup();
        prop_assert!(merged.is_ok(), "{:?}", merged);
        let p = Profile::from_raw(merged.unwrap_or_default(), "gen");
        prop_assert_eq!(&p.modes.observe, &expected);
        let text = export(&p).map_err(|e| e.to_string());
        prop_assert!(text.as_ref().is_ok_and(|t| !t.contains("_add")));
    }
}
