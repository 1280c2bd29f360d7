//! Network tests: cleanup of a failed setup (container and network), name conflicts, and
//! that an `internal` network really cannot reach the host (with a positive control).

use std::collections::BTreeMap;

use lasso::runtime::*;

use super::support::*;

#[tokio::test]
async fn failed_setup_leaves_nothing_behind() {
    let Some(e) = engine().await else { return };
    let net = unique("net");
    let name = unique("cleanup");
    let mut guard = Guard {
        endpoint: e.endpoint().clone(),
        container: Some(name.clone()),
        network: Some(net.clone()),
    };
    let mut labels = BTreeMap::new();
    labels.insert("lasso.test".to_string(), "runtime".to_string());
    e.create_network(&net, &labels, true).await.unwrap();
    assert!(e.network_exists(&net).await.unwrap());
    let err = e.create_network(&net, &labels, true).await.unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::NameConflict {
                what: "network",
                ..
            }
        ),
        "{err}"
    );
    let ws = workspace();
    let mut s = spec(&name, ws.path());
    s.network = NetworkSpec::Bridge { name: net.clone() };
    let id = e.launch_sandbox(&s).await.unwrap();
    let ifaces = sh_ok(&e, &id, "ls /sys/class/net").await;
    assert!(
        ifaces.contains("eth0") || ifaces.lines().count() >= 2,
        "{ifaces}"
    );
    // A name clash is reported as such.
    let err = e.create_sandbox(&s).await.unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::NameConflict {
                what: "container",
                ..
            }
        ),
        "{err}"
    );

    // The caller's self-test "fails": remove everything.
    e.remove_sandbox(&id, Some(&net)).await.unwrap();
    guard.container = None;
    guard.network = None;
    assert!(e.inspect(&id).await.unwrap_err().is_not_found());
    assert!(!e.network_exists(&net).await.unwrap());
    assert!(
        e.list_sandboxes(&[("lasso.test.name", Some(&name))])
            .await
            .unwrap()
            .is_empty()
    );
}

/// Serves "lasso-host-reached" on 0.0.0.0:<port> for the isolation probe.
fn host_listener() -> u16 {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            // Read the whole request first: closing with unread data sends a reset.
            let mut req = Vec::new();
            let mut buf = [0u8; 512];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let _ = c.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 18\r\n\r\nlasso-host-reached");
            let _ = c.shutdown(std::net::Shutdown::Write);
            let _ = c.read(&mut buf);
        }
    });
    port
}

/// Tries the network's gateway (a host address) and the default bridge's from inside
/// (`nc`: the static busybox's `wget` crashes in glibc's NSS).
async fn probe_host(e: &Engine, c: &str, port: u16) -> String {
    let script = format!(
        "gw=$(ip route | awk '/default/ {{print $3}}'); \
         [ -n \"$gw\" ] || gw=$(hostname -i | sed 's/\\.[0-9]*$/.1/'); \
         for t in $gw 172.17.0.1; do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 $t {port} 2>/dev/null; \
         echo \" $t\"; done"
    );
    sh(e, c, &script).await.stdout_text()
}

#[tokio::test]
async fn internal_network_cannot_reach_the_host() {
    let Some(e) = engine().await else { return };
    let port = host_listener();
    let labels = BTreeMap::new();
    for internal in [false, true] {
        let net = unique(if internal { "internal" } else { "open" });
        let mut g = Guard {
            endpoint: e.endpoint().clone(),
            container: None,
            network: Some(net.clone()),
        };
        e.create_network(&net, &labels, internal).await.unwrap();
        let sb = launch(&e, "netprobe", |s| {
            s.network = NetworkSpec::Bridge { name: net.clone() }
        })
        .await;
        let out = probe_host(&e, &sb.id, port).await;
        eprintln!("[{}] internal={internal}: {out:?}", e.kind());
        if internal {
            assert!(
                !out.contains("lasso-host-reached"),
                "host reachable from an internal network: {out}"
            );
        } else {
            // Positive control: the probe does detect a reachable host.
            assert!(
                out.contains("lasso-host-reached"),
                "probe failed on an open network: {out}"
            );
        }
        drop(sb);
        e.remove_network(&net).await.unwrap();
        g.network = None;
        assert!(!e.network_exists(&net).await.unwrap());
        if e.kind() == EngineKind::Podman && internal {
            let rules = std::process::Command::new("iptables")
                .args(["-S", "INPUT"])
                .output()
                .unwrap();
            let rules = String::from_utf8_lossy(&rules.stdout);
            assert!(
                !rules.contains(&format!("lasso:{net}")),
                "firewall rule left behind: {rules}"
            );
        }
    }
}
