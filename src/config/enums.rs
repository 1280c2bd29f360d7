//! The keyword-valued settings of profiles and `config.toml`.
//!
//! They are declared through one macro so that every enum reads and writes the same lowercase
//! words, lists its accepted values in errors (`expected one of observe, assist, autonomous`)
//! whatever the wrong value's type, and can be parsed from command-line flags with `FromStr`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::policy::ListMode;

macro_rules! keyword_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word used in files and on the command line.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            /// `expected one of a, b, c`.
            pub fn expected() -> String {
                let words: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                format!("expected one of {}", words.join(", "))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err(format!("{s:?} is not valid: {}", Self::expected())),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        let words: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        write!(f, "one of {}", words.join(", "))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        match v {
                            $($word => Ok($name::$variant),)+
                            _ => Err(E::custom($name::expected())),
                        }
                    }
                }
                d.deserialize_str(V)
            }
        }

        // The OpenAPI schema: a string limited to the same words serde reads and writes.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some($name::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

keyword_enum!(
    /// How much the agent may do without a human: a mode only ever narrows the profile.
    Mode {
        /// Read-only tools.
        Observe => "observe",
        /// Read-only plus editing tools.
        Assist => "assist",
        /// Everything the profile allows.
        Autonomous => "autonomous",
    }
);

keyword_enum!(
    /// The container runtime's isolation technology.
    Isolation {
        /// The engine's default runtime (runc/crun): namespaces, cgroups, seccomp.
        Container => "container",
        /// gVisor (`runsc`): a user-space kernel between the agent and the host kernel.
        Gvisor => "gvisor",
        /// Kata Containers: a lightweight VM per sandbox.
        Kata => "kata",
    }
);

keyword_enum!(
    /// Egress policy.
    NetworkMode {
        /// No network interface besides loopback.
        None => "none",
        /// Only the allowed domains and ranges, through lasso's egress gateway.
        Restricted => "restricted",
        /// Everything except the blocked domains, ranges and ports.
        Full => "full",
    }
);

keyword_enum!(
    /// Whether `commands.whitelist` or `commands.blacklist` is the command list.
    CommandMode {
        Whitelist => "whitelist",
        Blacklist => "blacklist",
    }
);

keyword_enum!(
    /// The container engine lasso talks to.
    RuntimeKind {
        Docker => "docker",
        Podman => "podman",
    }
);

keyword_enum!(
    /// What the in-sandbox guard does with an exec the command gate would deny.
    Enforcement {
        /// Deny it (EPERM) and record it; Landlock allows only the allowlisted binaries.
        Enforce => "enforce",
        /// Let it run but record that it would have been denied, to tune a profile.
        Shadow => "shadow",
        /// Let everything run and record every exec without evaluating it.
        Record => "record",
    }
);

keyword_enum!(
    /// A kernel mechanism the guard needs; listed in `guard.accept_missing` to accept running
    /// without it.
    GuardFeature {
        /// Landlock: the kernel-enforced exec allowlist and write restrictions.
        Landlock => "landlock",
        /// seccomp user notification: every exec checked against the gate and recorded.
        SeccompNotify => "seccomp-notify",
    }
);

impl From<CommandMode> for ListMode {
    fn from(m: CommandMode) -> ListMode {
        match m {
            CommandMode::Whitelist => ListMode::Whitelist,
            CommandMode::Blacklist => ListMode::Blacklist,
        }
    }
}

impl From<ListMode> for CommandMode {
    fn from(m: ListMode) -> CommandMode {
        match m {
            ListMode::Whitelist => CommandMode::Whitelist,
            ListMode::Blacklist => CommandMode::Blacklist,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for m in Mode::ALL {
            assert_eq!(m.as_str().parse::<Mode>(), Ok(*m));
        }
        assert_eq!("gvisor".parse::<Isolation>(), Ok(Isolation::Gvisor));
        assert_eq!(
            "Full".parse::<NetworkMode>(),
            Err("\"Full\" is not valid: expected one of none, restricted, full".to_string())
        );
    }

    #[test]
    fn serde_errors_list_choices() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct T {
            m: CommandMode,
        }
        let e = toml::from_str::<T>("m = \"whitelst\"")
            .err()
            .map(|e| e.message().to_string());
        assert_eq!(e.as_deref(), Some("expected one of whitelist, blacklist"));
        let e = toml::from_str::<T>("m = 3")
            .err()
            .map(|e| e.message().to_string());
        assert!(
            e.as_deref()
                .is_some_and(|m| m.ends_with("expected one of whitelist, blacklist")),
            "{e:?}"
        );
    }

    #[test]
    fn list_mode_conversion() {
        assert_eq!(ListMode::from(CommandMode::Blacklist), ListMode::Blacklist);
        assert_eq!(
            CommandMode::from(ListMode::Whitelist),
            CommandMode::Whitelist
        );
    }
}
