//! `ProfileStore::check_text`: the save path's checks without the write, with positions.

use super::*;

fn problem(store: &ProfileStore, name: &str, text: &str) -> TextProblem {
    match store.check_text(name, text).problem {
        Some(p) => p,
        None => panic!("{text:?} was accepted"),
    }
}

fn at(p: &TextProblem) -> Option<(u32, u32)> {
    p.location.map(|l| (l.line, l.column))
}

#[test]
fn field_limits_carry_key_and_position() {
    let f = fixture();
    let p = problem(
        &f.store,
        "team",
        "name = \"team\"\n[resources]\nmemory = \"8m\"\n",
    );
    assert_eq!(p.key.as_deref(), Some("resources.memory"));
    assert_eq!(at(&p), Some((3, 10)));
    assert!(p.message.contains("at least 16m"), "{}", p.message);

    let p = problem(
        &f.store,
        "team",
        "[network]\nallowed_cidrs = [\"10.0.0.0/8\", \"10.0.0.1/8\"]\n",
    );
    assert_eq!(p.key.as_deref(), Some("network.allowed_cidrs[1]"));
    assert_eq!(at(&p), Some((2, 32)));

    let p = problem(&f.store, "team", "\n\n[commands]\nwhitelst = [\"ls\"]\n");
    assert_eq!(p.key.as_deref(), Some("commands.whitelst"));
    assert_eq!(at(&p), Some((4, 1)));
    assert!(
        p.message.contains("did you mean whitelist"),
        "{}",
        p.message
    );

    let p = problem(&f.store, "team", "name = \"team\"\n[resources\n");
    assert_eq!(p.key, None);
    assert_eq!(at(&p).map(|(l, _)| l), Some(2), "{}", p.message);
}

#[test]
fn cross_field_rules_extends_and_names_are_the_saves() {
    let f = fixture();
    // Valid fields that contradict each other after resolution.
    let p = problem(
        &f.store,
        "team",
        "[commands]\nwhitelist = [\"ls\"]\n[network]\nmode = \"none\"\nallowed_domains = [\"example.com\"]\n",
    );
    assert_eq!(p.key.as_deref(), Some("network.allowed_domains"));
    assert_eq!(at(&p), Some((5, 19)));
    let p = problem(&f.store, "team", "extends = \"nope\"\n");
    assert!(
        p.message.contains("profile \"nope\" not found"),
        "{}",
        p.message
    );
    let p = problem(&f.store, "team", "name = \"other\"\n");
    assert_eq!(p.key.as_deref(), Some("name"));
    let p = problem(&f.store, "strict", "extends = \"strict\"\n");
    assert!(
        p.message.contains("built in and read-only"),
        "{}",
        p.message
    );

    // Accepted text resolves through its parent, and nothing is written.
    let ok = f.store.check_text(
        "team",
        "extends = \"development\"\n[resources]\nmemory = \"2g\"\n",
    );
    assert_eq!(ok.problem, None);
    let Some(r) = ok.resolved else {
        panic!("resolved")
    };
    assert_eq!(r.profile.resources.memory.to_string(), "2g");
    assert_eq!(r.chain.len(), 2);
    assert!(!f.home.profiles_dir().join("team.toml").exists());
    // And what check_text accepts, save accepts.
    assert!(f.store.save("team", "extends = \"development\"\n").is_ok());
}
