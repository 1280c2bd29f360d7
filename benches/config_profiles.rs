//! Profile loading costs paid on every `lasso create` / CLI call: parsing a built-in,
//! resolving a project profile that extends it (file I/O included), converting to the gate
//! policy, and hashing (content and image tag); and `ProfileStore::check_text`, which the
//! TUI's profile editor runs on every edit (validation as you type).

use std::collections::BTreeMap;

use criterion::{Criterion, criterion_group, criterion_main};
use lasso::config::{BUILTINS, DEFAULT_BASE_IMAGE, LassoHome, ProfileStore, parse_profile};

fn benches(c: &mut Criterion) {
    let dev = BUILTINS
        .iter()
        .find(|b| b.name == "development")
        .map_or("", |b| b.text);
    c.bench_function("config/parse_builtin_development", |b| {
        b.iter(|| parse_profile(std::hint::black_box(dev), "development"))
    });

    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = LassoHome::at(tmp.path().join("home")).unwrap_or_else(|e| panic!("{e}"));
    let project = tmp.path().join("project");
    let dir = project.join(".lasso/profiles");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("team.toml"),
        "extends = \"development\"\n[resources]\nmemory = \"2g\"\n[commands.blocked_args]\nnpm = [\"publish\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let store = ProfileStore::with_env(&home, Some(&project), &BTreeMap::new())
        .unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("config/resolve_project_extends_builtin", |b| {
        b.iter(|| store.resolve(std::hint::black_box("team")))
    });

    // Validation as you type: a small user profile over a built-in, a complete profile (a
    // built-in's text saved as a user copy), and text with an error (the error path maps
    // positions).
    let small = "name = \"mine\"\nextends = \"development\"\n[resources]\nmemory = \"2g\"\n";
    c.bench_function("config/check_text_small_extends_builtin", |b| {
        b.iter(|| store.check_text("mine", std::hint::black_box(small)))
    });
    let full = dev.replacen("name = \"development\"", "name = \"mine\"", 1);
    assert!(store.check_text("mine", &full).problem.is_none());
    c.bench_function("config/check_text_full_profile", |b| {
        b.iter(|| store.check_text("mine", std::hint::black_box(&full)))
    });
    let bad = "name = \"mine\"\nextends = \"development\"\n[resources]\nmemory = \"8m\"\n";
    assert!(store.check_text("mine", bad).problem.is_some());
    c.bench_function("config/check_text_with_error", |b| {
        b.iter(|| store.check_text("mine", std::hint::black_box(bad)))
    });

    let profile = store.resolve("team").unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("config/gate_policy", |b| {
        b.iter(|| std::hint::black_box(&profile).gate_policy())
    });
    c.bench_function("config/hash", |b| {
        b.iter(|| std::hint::black_box(&profile).hash())
    });
    c.bench_function("config/image_tag", |b| {
        b.iter(|| std::hint::black_box(&profile).image_tag(DEFAULT_BASE_IMAGE))
    });
}

criterion_group!(group, benches);
criterion_main!(group);
