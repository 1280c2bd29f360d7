//! Networks for sandboxes that need one (`NetworkSpec::Bridge`).
//!
//! Names must be unique: Docker 20.10 only refuses a duplicate name when asked to
//! (`CheckDuplicate`, a field later API versions dropped and bollard's model lacks), and a
//! duplicate makes every later remove-by-name fail as "ambiguous", so creation goes through
//! the raw client.
//!
//! `internal` must mean "no way out", and a plain internal network is not that: the bridge
//! gateway is a host address, so every host service listening on 0.0.0.0 is reachable
//! (measured on both engines), and Podman's aardvark-dns on that gateway forwards queries to
//! the host's resolvers (a DNS exfiltration path). So:
//! - Docker: the bridge gets no host address (`com.docker.network.bridge.inhibit_ipv4`);
//!   Docker's embedded DNS does not forward for internal networks.
//! - Podman has no such option: the runtime inserts `iptables -I INPUT -i <bridge> -j DROP`
//!   (and the ip6tables twin), tagged `lasso:<network>` so removal finds exactly its rules.
//!   This needs a local engine and root; otherwise creation fails and the network is removed
//!   again (fail closed). Peers on such a network are reached by IP (DNS is cut as well).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::connect::{Engine, EngineKind};
use super::error::RuntimeError;
use super::http::encode_path_segment;
use super::spec::validate_name;

/// iptables binaries used to isolate Podman internal bridges (the IPv6 one may be absent).
const FIREWALLS: &[(&str, bool)] = &[("iptables", true), ("ip6tables", false)];

fn rule_args<'a>(op: &'a str, iface: &'a str, tag: &'a str) -> Vec<&'a str> {
    vec![
        "-w",
        op,
        "INPUT",
        "-i",
        iface,
        "-m",
        "comment",
        "--comment",
        tag,
        "-j",
        "DROP",
    ]
}

async fn run_firewall(bin: &str, args: &[&str]) -> std::io::Result<std::process::Output> {
    tokio::process::Command::new(bin)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
}

impl Engine {
    /// Creates a bridge network. `internal` networks have no route out and no path to the
    /// host (see the module docs for how each engine gets there).
    pub async fn create_network(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
        internal: bool,
    ) -> Result<String, RuntimeError> {
        validate_name("network name", name)?;
        let mut options = BTreeMap::new();
        if internal && self.kind == EngineKind::Docker {
            options.insert("com.docker.network.bridge.inhibit_ipv4", "true");
        }
        let body = serde_json::json!({
            "Name": name,
            "Driver": "bridge",
            "Internal": internal,
            "CheckDuplicate": true,
            "Labels": labels,
            "Options": options,
        });
        let op = format!("create network {name}");
        let r = self
            .raw(
                "POST",
                "/networks/create",
                Some(body.to_string().as_bytes()),
            )
            .await?;
        if !r.is_success() {
            let e = RuntimeError::from_status(self.kind, op, r.status, r.error_message());
            let conflict = e.status() == Some(409)
                || matches!(&e, RuntimeError::Engine { message, .. }
                    if message.contains("already exists") || message.contains("already used"));
            return Err(if conflict {
                RuntimeError::NameConflict {
                    what: "network",
                    name: name.to_string(),
                    engine: self.kind,
                }
            } else {
                e
            });
        }
        #[derive(Deserialize)]
        struct Created {
            #[serde(rename = "Id", alias = "id")]
            id: String,
        }
        let id = serde_json::from_slice::<Created>(&r.body)
            .map(|c| c.id)
            .map_err(|e| RuntimeError::Protocol {
                engine: self.kind,
                op: op.clone(),
                message: e.to_string(),
            })?;
        if internal
            && self.kind == EngineKind::Podman
            && let Err(message) = self.isolate_podman_bridge(name).await
        {
            let _ = self.remove_network(name).await;
            return Err(RuntimeError::Engine {
                engine: self.kind,
                op,
                status: None,
                message,
                hint: Some(
                    "internal Podman networks need the host firewall to cut the bridge off from the \
                     host: run lasso as root on the Podman host, or use Docker"
                        .into(),
                ),
            });
        }
        Ok(id)
    }

    /// The host interface of a Podman network's bridge (`podman1`).
    async fn podman_bridge(&self, name: &str) -> Result<Option<String>, RuntimeError> {
        #[derive(Deserialize)]
        struct Net {
            #[serde(default)]
            network_interface: String,
        }
        let path = format!("/libpod/networks/{}/json", encode_path_segment(name));
        let r = self.raw("GET", &path, None).await?;
        match r.status {
            404 => Ok(None),
            200..=299 => {
                let n: Net =
                    serde_json::from_slice(&r.body).map_err(|e| RuntimeError::Protocol {
                        engine: self.kind,
                        op: format!("inspect network {name}"),
                        message: e.to_string(),
                    })?;
                Ok(Some(n.network_interface).filter(|i| !i.is_empty()))
            }
            s => Err(RuntimeError::from_status(
                self.kind,
                format!("inspect network {name}"),
                s,
                r.error_message(),
            )),
        }
    }

    async fn isolate_podman_bridge(&self, name: &str) -> Result<(), String> {
        if !self.endpoint.is_local() {
            return Err(format!(
                "{} is not a local socket, so the Podman host's firewall cannot be set up from here",
                self.endpoint
            ));
        }
        let iface = self
            .podman_bridge(name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("Podman reports no bridge interface for network {name}"))?;
        let tag = format!("lasso:{name}");
        for (bin, required) in FIREWALLS {
            match run_firewall(bin, &rule_args("-I", &iface, &tag)).await {
                Ok(out) if out.status.success() => {}
                Ok(out) if *required => {
                    self.unisolate_podman_bridge(&iface, &tag).await;
                    return Err(format!(
                        "`{bin} -I INPUT -i {iface} -j DROP` failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ));
                }
                Err(e) if *required => {
                    self.unisolate_podman_bridge(&iface, &tag).await;
                    return Err(format!("cannot run {bin}: {e} (install iptables)"));
                }
                // IPv6 tooling may be missing where IPv6 is off; the bridge has no v6 address then.
                _ => {}
            }
        }
        Ok(())
    }

    async fn unisolate_podman_bridge(&self, iface: &str, tag: &str) {
        for (bin, _) in FIREWALLS {
            // Delete until none is left (a retried create may have inserted twice).
            for _ in 0..8 {
                match run_firewall(bin, &rule_args("-D", iface, tag)).await {
                    Ok(out) if out.status.success() => continue,
                    _ => break,
                }
            }
        }
    }

    /// Removes a network (and, for internal Podman networks, its firewall rules); a network
    /// that does not exist counts as removed.
    pub async fn remove_network(&self, name: &str) -> Result<(), RuntimeError> {
        if self.kind == EngineKind::Podman
            && self.endpoint.is_local()
            && let Ok(Some(iface)) = self.podman_bridge(name).await
        {
            self.unisolate_podman_bridge(&iface, &format!("lasso:{name}"))
                .await;
        }
        match self.docker.remove_network(name).await {
            Ok(()) => Ok(()),
            Err(e) => {
                let e = RuntimeError::from_bollard(self.kind, format!("remove network {name}"), e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }

    /// Whether a network exists.
    pub async fn network_exists(&self, name: &str) -> Result<bool, RuntimeError> {
        self.exists(
            &format!("/networks/{}", encode_path_segment(name)),
            &format!("inspect network {name}"),
        )
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn firewall_rules_are_tagged_and_symmetric() {
        let add = rule_args("-I", "podman3", "lasso:net-1");
        let del = rule_args("-D", "podman3", "lasso:net-1");
        assert_eq!(
            add.join(" "),
            "-w -I INPUT -i podman3 -m comment --comment lasso:net-1 -j DROP"
        );
        assert_eq!(add[2..], del[2..]);
    }
}
