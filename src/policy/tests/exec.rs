//! `Gate::check_exec`: deciding one exec the in-sandbox guard intercepted.

use super::{dev, open, strings, with_mode};
use crate::policy::{Decision, Gate, Rule};

fn exec(g: &Gate, argv: &[&str]) -> Decision {
    g.check_exec(&strings(argv))
}

fn exec_blocked(g: &Gate, argv: &[&str], rule: Rule) {
    let d = exec(g, argv);
    assert!(!d.allowed, "{argv:?} was allowed: {}", d.reason);
    assert_eq!(d.rule, rule, "{argv:?}: {}", d.reason);
}

fn exec_allowed(g: &Gate, argv: &[&str]) {
    let d = exec(g, argv);
    assert!(d.allowed, "{argv:?} was blocked: {}", d.reason);
    assert_eq!(d.rule, Rule::Allowed);
}

#[test]
fn program_lists_and_modes() {
    let g = dev();
    exec_allowed(&g, &["ls", "-la"]);
    exec_blocked(&g, &["rm", "-rf", "x"], Rule::NotWhitelisted);
    exec_blocked(&g, &[], Rule::Empty);
    let o = open();
    exec_blocked(&o, &["rm", "-rf", "x"], Rule::Blacklisted);
    exec_allowed(&o, &["ls"]);
    let m = with_mode(&["ls", "cat"]);
    exec_allowed(&m, &["cat", "f"]);
    exec_blocked(&m, &["git", "status"], Rule::Mode);
}

#[test]
fn arguments_are_literal_not_shell() {
    let g = dev();
    // No shell reads these words: `$`, `;`, newlines and globs are just characters.
    exec_allowed(&g, &["echo", "$HOME; rm -rf / *"]);
    exec_allowed(&g, &["git", "commit", "-m", "line one\nline two"]);
    exec_allowed(&g, &["grep", "-e", "a|b", "--", "(x)"]);
}

#[test]
fn argument_rules_still_apply() {
    let g = dev();
    exec_blocked(&g, &["git", "push", "--force"], Rule::BlockedArgs);
    exec_blocked(&g, &["git", "push", "-fu", "origin"], Rule::BlockedArgs);
    exec_blocked(&g, &["python3", "-c", "print(1)"], Rule::CodeEval);
    exec_blocked(&g, &["cat", "/etc/shadow"], Rule::HiddenPath);
    exec_blocked(&g, &["cat", "../../etc/passwd"], Rule::PathTraversal);
    exec_blocked(
        &g,
        &["env", "LD_PRELOAD=/tmp/x.so", "ls"],
        Rule::SensitiveVariable,
    );
    exec_blocked(&g, &["xargs", "rm"], Rule::NotWhitelisted);
}

#[test]
fn a_shell_script_is_not_parsed_at_exec_time() {
    let g = dev();
    // Every program the script runs is its own exec, checked when it happens; the static
    // gate's refusals of syntax it does not model do not apply to a real shell's script.
    exec_allowed(&g, &["sh", "-c", "for f in *; do echo \"$f\"; done"]);
    exec_allowed(&g, &["bash", "-lc", "eval 'ls' < /dev/null\nrm -rf x"]);
    exec_allowed(&g, &["timeout", "5", "sh", "-c", "rm x"]);
    // ... but the shell itself must be allowed.
    exec_blocked(&g, &["zsh", "-c", "ls"], Rule::NotWhitelisted);
    // A wrapper's own program and its inner program are still checked.
    exec_blocked(&g, &["timeout", "5", "rm", "x"], Rule::NotWhitelisted);
}

#[test]
fn relative_paths_resolve_against_the_process_directory() {
    let g = dev();
    let argv = strings(&["cat", "../x"]);
    assert!(g.check_exec_in(&argv, "/workspace/sub").allowed);
    let d = g.check_exec_in(&argv, "/workspace");
    assert_eq!(d.rule, Rule::PathTraversal, "{}", d.reason);
    let d = g.check_exec_in(&strings(&["cat", "../shadow"]), "/etc/ssl");
    assert_eq!(d.rule, Rule::HiddenPath, "{}", d.reason);
}
