//! The built-in profiles, embedded from `profiles/*.toml` at compile time.
//!
//! They are ordinary profile files parsed by the same code as user profiles (so the schema
//! cannot drift from them), they are the last entry of the search path, and no user profile
//! may take one of their names unless it extends the built-in (see `store`).

/// One embedded profile file.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    pub text: &'static str,
}

impl Builtin {
    /// How the built-in is named in messages and listings.
    pub fn label(&self) -> String {
        format!("builtin:{}", self.name)
    }
}

/// Every built-in profile, from most to least restrictive.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "minimal",
        text: include_str!("../../profiles/minimal.toml"),
    },
    Builtin {
        name: "strict",
        text: include_str!("../../profiles/strict.toml"),
    },
    Builtin {
        name: "offline",
        text: include_str!("../../profiles/offline.toml"),
    },
    Builtin {
        name: "development",
        text: include_str!("../../profiles/development.toml"),
    },
    Builtin {
        name: "open",
        text: include_str!("../../profiles/open.toml"),
    },
];

/// The built-in profile called `name`.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// Names of all built-in profiles.
pub fn builtin_names() -> Vec<String> {
    BUILTINS.iter().map(|b| b.name.to_string()).collect()
}
