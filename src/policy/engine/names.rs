//! Environment variable names the gate refuses to let a command set.

/// Why assigning `name` is refused, if it is.
pub(crate) fn sensitive(name: &str) -> Option<&'static str> {
    const EXACT: &[(&str, &str)] = &[
        ("PATH", "it decides which program a name runs"),
        ("BASH_ENV", "bash runs the file it names"),
        ("ENV", "sh runs the file it names"),
        ("IFS", "it changes how the shell splits words"),
        ("PS4", "bash expands it, running code, when tracing"),
        ("SHELLOPTS", "it changes shell behaviour"),
        ("BASHOPTS", "it changes shell behaviour"),
        ("CDPATH", "it changes where `cd` goes"),
        ("GLOBIGNORE", "it changes pathname expansion"),
        ("HOME", "it changes where `~` and configuration files point"),
        ("TMPDIR", "it changes where programs write temporary files"),
        ("PYTHONPATH", "it changes which Python modules load"),
        ("PYTHONHOME", "it changes which Python installation runs"),
        ("PYTHONSTARTUP", "Python runs the file it names"),
        ("PYTHONINSPECT", "it makes Python read code from input"),
        ("PYTHONBREAKPOINT", "Python calls the function it names"),
        ("NODE_OPTIONS", "it adds options such as --require to node"),
        ("NODE_PATH", "it changes which node modules load"),
        ("PERL5OPT", "it adds options such as -M to perl"),
        ("PERL5LIB", "it changes which Perl modules load"),
        ("PERLLIB", "it changes which Perl modules load"),
        ("PERL5DB", "perl runs it as debugger code"),
        ("RUBYOPT", "it adds options to ruby"),
        ("RUBYLIB", "it changes which Ruby libraries load"),
        ("PAGER", "programs run it as a command"),
        ("EDITOR", "programs run it as a command"),
        ("VISUAL", "programs run it as a command"),
        ("LESSOPEN", "less runs it as a command"),
        ("LESSCLOSE", "less runs it as a command"),
        ("BROWSER", "programs run it as a command"),
        ("PROMPT_COMMAND", "bash runs it as a command"),
        (
            "JAVA_TOOL_OPTIONS",
            "it adds options such as -javaagent to java",
        ),
        ("_JAVA_OPTIONS", "it adds options to java"),
        ("JDK_JAVA_OPTIONS", "it adds options to java"),
        ("RUSTC_WRAPPER", "cargo runs it as a command"),
        ("GCONV_PATH", "glibc loads code from it"),
        ("SSH_ASKPASS", "ssh runs it as a command"),
        ("SUDO_ASKPASS", "sudo runs it as a command"),
        ("ZDOTDIR", "zsh runs startup files from it"),
        ("LUA_INIT", "lua runs it as code"),
    ];
    const PREFIX: &[(&str, &str)] = &[
        ("LD_", "the dynamic linker loads code through it"),
        ("DYLD_", "the dynamic linker loads code through it"),
        (
            "GIT_",
            "git runs commands and reads configuration through it",
        ),
        ("LASSO_", "it is reserved for lasso itself"),
        ("BASH_FUNC_", "bash imports it as a function definition"),
        ("LUA_INIT_", "lua runs it as code"),
    ];
    if let Some((_, why)) = EXACT.iter().find(|(n, _)| *n == name) {
        return Some(why);
    }
    if let Some((_, why)) = PREFIX.iter().find(|(p, _)| name.starts_with(p)) {
        return Some(why);
    }
    if name
        .get(..11)
        .is_some_and(|p| p.eq_ignore_ascii_case("npm_config_"))
    {
        return Some("npm reads configuration, including scripts to run, from it");
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_names() {
        for n in [
            "PATH",
            "LD_PRELOAD",
            "GIT_SSH_COMMAND",
            "npm_config_script_shell",
            "NPM_CONFIG_X",
            "Npm_Config_x",
            "LASSO_HOME",
            "BASH_FUNC_ls%%",
        ] {
            assert!(sensitive(n).is_some(), "{n}");
        }
        for n in [
            "FOO",
            "RUST_LOG",
            "PATHX",
            "CI",
            "NODE_ENV",
            "ééééééé",
            "npm_confié",
        ] {
            assert!(sensitive(n).is_none(), "{n}");
        }
    }
}
