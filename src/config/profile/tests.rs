use super::*;
use crate::config::builtin::BUILTINS;
use crate::config::exchange::resolve_standalone;
use crate::config::raw::parse_profile;
use crate::policy::ListMode;

fn profile(text: &str) -> Profile {
    match resolve_standalone(text, "t.toml") {
        Ok((_, p)) => p,
        Err(e) => panic!("{e}"),
    }
}

fn error(text: &str) -> String {
    match resolve_standalone(text, "t.toml") {
        Ok(_) => "no error".into(),
        Err(e) => e.to_string(),
    }
}

fn builtin_profile(name: &str) -> Profile {
    let text = BUILTINS
        .iter()
        .find(|b| b.name == name)
        .map_or("", |b| b.text);
    match resolve_standalone(text, name) {
        Ok((_, p)) => p,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn all_builtins_load_and_validate() {
    assert_eq!(BUILTINS.len(), 5);
    for b in BUILTINS {
        let p = builtin_profile(b.name);
        assert_eq!(p.name, b.name);
        assert!(!p.description.is_empty(), "{} needs a description", b.name);
        assert_eq!(p.validate(), Ok(()));
        // Built-ins spell out the default hidden paths.
        assert_eq!(
            p.filesystem.hidden_paths,
            names(Some(DEFAULT_HIDDEN_PATHS.to_vec()), None, vec![])
        );
    }
}

#[test]
fn builtins_have_the_documented_shape() {
    let minimal = builtin_profile("minimal");
    assert_eq!(minimal.commands.whitelist.len(), 12);
    assert!(!minimal.commands.allow_shell_operators);
    assert_eq!(minimal.network.mode, NetworkMode::None);
    assert_eq!(minimal.resources.memory, ByteSize::mib(512));

    let dev = builtin_profile("development");
    assert!(dev.commands.allow_shell_operators);
    assert_eq!(dev.network.mode, NetworkMode::Restricted);
    assert!(
        dev.network
            .allowed_domains
            .contains(&"*.githubusercontent.com".to_string())
    );
    assert!(dev.commands.blocked_args["git"].contains(&"push +refspec".to_string()));
    assert!(dev.description.contains("not installed"));
    assert_eq!(dev.resources.memory, ByteSize::gib(4));
    assert!(!dev.image.packages.contains(&"rustc".to_string()));

    let offline = builtin_profile("offline");
    assert_eq!(offline.resources.memory, ByteSize::gib(8));
    assert!(offline.audit.include_command_output);
    assert_eq!(offline.commands.blocked_args["git"].len(), 7);

    let strict = builtin_profile("strict");
    assert!(!strict.audit.include_command_output);
    assert!(strict.commands.blocked_args["git"].contains(&"cat-file -p".to_string()));
    assert!(!strict.commands.blocked_args["git"].contains(&"diff".to_string()));
    assert_eq!(
        strict.commands.blocked_args["pip"],
        vec!["install --editable".to_string()]
    );

    let open = builtin_profile("open");
    assert_eq!(open.commands.mode, CommandMode::Blacklist);
    assert!(open.commands.allow_code_eval);
    assert_eq!(open.network.mode, NetworkMode::Full);
    assert_eq!(open.network.blocked_cidrs.len(), 7);
    let metadata = "169.254.169.254".parse().map_err(|_| ());
    assert!(metadata.is_ok_and(|ip| open.network.blocked_cidrs.iter().any(|c| c.contains(ip))));
}

#[test]
fn defaults_are_the_strict_choice() {
    let p = Profile::from_raw(RawProfile::default(), "x");
    assert_eq!(p.commands.mode, CommandMode::Whitelist);
    assert!(p.commands.whitelist.is_empty());
    assert!(!p.commands.allow_shell_operators && !p.commands.allow_code_eval);
    assert_eq!(p.commands.max_execution_seconds, 300);
    assert_eq!(p.network.mode, NetworkMode::None);
    assert_eq!(p.resources.memory, ByteSize::mib(512));
    assert_eq!(p.resources.cpus, 1.0);
    assert_eq!((p.resources.pids, p.resources.open_files), (256, 1024));
    assert_eq!(p.resources.file_size, ByteSize::gib(1));
    assert_eq!(p.filesystem.tmp_size, ByteSize::mib(64));
    assert_eq!(p.filesystem.hidden_paths.len(), DEFAULT_HIDDEN_PATHS.len());
    assert!(!p.audit.include_command_output);
    assert_eq!(p.mode, Mode::Autonomous);
    // ...and an empty whitelist does not validate: the user must say what may run.
    let e = p.validate().err().map(|p| p.key);
    assert_eq!(e.as_deref(), Some("commands.whitelist"));
}

#[test]
fn gate_policy_conversion() {
    let p = builtin_profile("development");
    let g = p.gate_policy();
    assert_eq!(g.list_mode, ListMode::Whitelist);
    assert_eq!(g.programs, p.commands.whitelist);
    assert!(g.allow_shell_operators && !g.allow_code_eval);
    assert_eq!(g.mode, None, "autonomous adds no restriction");
    assert_eq!(g.workspace, "/workspace");
    assert_eq!(g.home, "/home/sandbox");
    assert_eq!(g.writable_paths, vec!["/tmp".to_string()]);
    assert_eq!(g.hidden_paths, p.filesystem.hidden_paths);
    assert!(g.blocked_args.contains(&BlockedArgRule {
        program: "git".into(),
        pattern: "push --force".into(),
    }));
    let rules: usize = p.commands.blocked_args.values().map(Vec::len).sum();
    assert_eq!(g.blocked_args.len(), rules);

    let q = profile(
        "name = \"q\"\nmode = \"observe\"\n[commands]\nwhitelist = [\"ls\", \"cat\", \"rm\"]\n\
         [filesystem]\nwritable_paths = [\"/data\"]\n",
    );
    let g = q.gate_policy();
    assert_eq!(
        g.mode,
        Some(ModeRestriction {
            name: "observe".into(),
            programs: vec!["cat".into(), "ls".into()],
        })
    );
    assert_eq!(
        g.writable_paths,
        vec!["/tmp".to_string(), "/data".to_string()]
    );
}

#[test]
fn modes_narrow_whitelist_and_blacklist() {
    let open = builtin_profile("open");
    let assist = open.mode_programs(Mode::Assist).unwrap_or_default();
    assert_eq!(
        assist,
        default_assist(),
        "nothing in assist is blacklisted by open"
    );
    let b = profile(
        "name = \"b\"\nmode = \"assist\"\n[commands]\nmode = \"blacklist\"\nblacklist = [\"git\", \"sed\"]\n\
         [modes]\nassist = [\"ls\", \"git\", \"sed\", \"cp\"]\n",
    );
    assert_eq!(
        b.mode_programs(Mode::Assist),
        Some(vec!["cp".into(), "ls".into()])
    );
    assert_eq!(b.mode_programs(Mode::Autonomous), None);
    let m = error("name = \"w\"\nmode = \"observe\"\n[commands]\nwhitelist = [\"python3\"]\n");
    assert!(
        m.contains("mode: mode = \"observe\" leaves no program allowed"),
        "{m}"
    );
}

#[test]
fn lists_are_canonical_so_hash_ignores_order() {
    let a = profile("name = \"a\"\n[commands]\nwhitelist = [\"ls\", \"cat\", \"ls\"]\n");
    let b = profile("name = \"a\"\n[commands]\nwhitelist = [\"cat\", \"ls\"]\n");
    assert_eq!(a, b);
    assert_eq!(a.hash(), b.hash());
    assert_eq!(a.hash().len(), 64);
    let c = profile("name = \"a\"\n[commands]\nwhitelist = [\"cat\", \"ls\", \"wc\"]\n");
    assert_ne!(a.hash(), c.hash());
    let json = a.canonical_json();
    assert!(
        json.starts_with("{\"agent_auth\":{\"forward_env\":[]},\"audit\":"),
        "{json}"
    );
    // Valid, compact JSON: re-serialising the parsed value reproduces it byte for byte.
    let reparsed = serde_json::from_str::<serde_json::Value>(&json).map(|v| v.to_string());
    assert_eq!(reparsed.ok().as_deref(), Some(json.as_str()));
}

#[test]
fn image_hash_covers_only_image_fields() {
    let a = profile(
        "name = \"a\"\n[commands]\nwhitelist = [\"ls\"]\n[image]\npackages = [\"git\", \"curl\"]\n",
    );
    let b = profile(
        "name = \"b\"\n[commands]\nwhitelist = [\"cat\"]\n[network]\nmode = \"full\"\n\
         [image]\npackages = [\"curl\", \"git\"]\n",
    );
    assert_eq!(
        a.image_hash(DEFAULT_BASE_IMAGE),
        b.image_hash(DEFAULT_BASE_IMAGE)
    );
    assert_ne!(a.image_hash(DEFAULT_BASE_IMAGE), a.image_hash("debian:12"));
    let c = profile(
        "name = \"c\"\n[commands]\nwhitelist = [\"ls\"]\n[image]\nbase = \"debian:12\"\npackages = [\"git\", \"curl\"]\n",
    );
    assert_eq!(c.effective_base_image(DEFAULT_BASE_IMAGE), "debian:12");
    assert_eq!(c.image_hash(DEFAULT_BASE_IMAGE), a.image_hash("debian:12"));
    let tag = a.image_tag(DEFAULT_BASE_IMAGE);
    assert_eq!(
        tag,
        format!(
            "lasso-img-{}:latest",
            &a.image_hash(DEFAULT_BASE_IMAGE)[..16]
        )
    );
    assert_eq!(
        image_tag_for_hash("0123456789abcdef0123"),
        "lasso-img-0123456789abcdef:latest"
    );
}

#[test]
fn cross_field_rules() {
    let m = error("name = \"x\"\n[commands]\nmode = \"whitelist\"\n");
    assert_eq!(
        m,
        "t.toml: commands.whitelist: commands.mode = \"whitelist\" needs at least one program in \
         commands.whitelist (an empty whitelist would block every command)"
    );
    let m = error("name = \"x\"\n[commands]\nwhitelist = [\"ls\"]\nblacklist = [\"rm\"]\n");
    assert!(
        m.starts_with("t.toml:4:13: commands.blacklist: is only used when"),
        "{m}"
    );
    let m = error(
        "name = \"x\"\n[commands]\nwhitelist = [\"ls\"]\n[network]\nmode = \"full\"\n\
         allowed_domains = [\"pypi.org\"]\n",
    );
    assert!(
        m.starts_with("t.toml:6:19: network.allowed_domains: only applies when network.mode = \"restricted\" (it is \"full\")"),
        "{m}"
    );
    let m =
        error("name = \"x\"\n[commands]\nwhitelist = [\"ls\"]\n[network]\nmode = \"restricted\"\n");
    assert!(
        m.contains("network.mode: network.mode = \"restricted\" needs"),
        "{m}"
    );
    let m = error(
        "name = \"x\"\n[commands]\nwhitelist = [\"ls\"]\n[agent_auth]\nforward_env = [\"TOKEN\"]\n\
         [extra_env]\nTOKEN = \"x\"\n",
    );
    assert!(m.contains("TOKEN is both forwarded"), "{m}");
    let m = error(
        "name = \"x\"\n[commands]\nwhitelist = [\"ls\"]\n[filesystem]\nwritable_paths = [\"/root/x\"]\n",
    );
    assert!(m.contains("inside the hidden path \"/root\""), "{m}");
    // Blocked lists are harmless with any mode (a child may close the network and keep them).
    let ok = resolve_standalone(
        "name = \"x\"\n[commands]\nwhitelist = [\"ls\"]\n[network]\nmode = \"none\"\nblocked_cidrs = [\"10.0.0.0/8\"]\n",
        "t.toml",
    );
    assert!(ok.is_ok());
}

#[test]
fn validate_catches_bad_values_in_profiles_built_in_code() {
    let mut p = builtin_profile("minimal");
    p.commands.whitelist.push("/bin/sh".into());
    assert_eq!(
        p.validate().err().map(|e| e.key).as_deref(),
        Some("commands.whitelist[12]")
    );
    let mut p = builtin_profile("minimal");
    p.resources.open_files = 65_536;
    let e = p.validate().err();
    assert_eq!(
        e.as_ref().map(|e| e.key.as_str()),
        Some("resources.open_files")
    );
    assert_eq!(e.and_then(|e| e.value).as_deref(), Some("65536"));
    let mut p = builtin_profile("minimal");
    p.extra_env.insert("LD_PRELOAD".into(), "x".into());
    assert!(p.validate().is_err_and(|e| e.message.contains("LD_*")));
    let mut p = builtin_profile("minimal");
    p.network.allowed_domains.push("PyPI.org".into());
    assert!(
        p.validate()
            .is_err_and(|e| e.key == "network.allowed_domains[0]")
    );
    let mut p = builtin_profile("minimal");
    p.filesystem.writable_paths.push("/sys".into());
    assert!(
        p.validate()
            .is_err_and(|e| e.message.contains("kernel interface"))
    );
}

#[test]
fn raw_name_falls_back_to_file_stem() {
    let raw = parse_profile("[commands]\nwhitelist = [\"ls\"]\n", "myprof.toml");
    let p = raw.map(|r| Profile::from_raw(r, "myprof").name);
    assert_eq!(p.ok().as_deref(), Some("myprof"));
}
