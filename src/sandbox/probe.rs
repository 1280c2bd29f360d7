//! Self-test probes run inside every new sandbox before anyone may use it (fail closed).
//!
//! Hardening is proved from inside the container, not by reading the configuration back:
//! engines differ in how they report it (Podman shows `cap_drop` expanded, for example), and
//! what matters is what the sandboxed process actually gets. One exec runs every probe so
//! the check costs one round trip.

use std::time::Duration;

use crate::runtime::{Engine, ExecRequest, NetworkSpec, SandboxSpec};

const SCRIPT: &str = "grep -E '^(Uid|CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; \
if touch /.lasso-rootfs-probe 2>/dev/null; then echo ROOTFS=writable; else echo ROOTFS=readonly; fi; \
echo NET=$(ls /sys/class/net 2>/dev/null | tr '\\n' ' '); \
for s in /var/run/docker.sock /run/docker.sock /run/podman/podman.sock /var/run/podman/podman.sock; do \
[ -e \"$s\" ] && echo SOCKET=$s; done; echo PROBE=done";

/// Runs the probes; `Err` carries every failed expectation in one sentence.
pub async fn self_test(engine: &Engine, container: &str, spec: &SandboxSpec) -> Result<(), String> {
    let req = ExecRequest::new(["/bin/sh", "-c", SCRIPT])
        .timeout(Duration::from_secs(20))
        .max_output(64 << 10);
    let out = engine
        .exec(container, &req)
        .await
        .map_err(|e| format!("the probe could not run: {e}"))?;
    let gvisor = spec.oci_runtime.as_deref() == Some("runsc");
    evaluate(&out.stdout_text(), &spec.network, gvisor)
}

/// Checks the probe's output against what every sandbox must be.
pub(crate) fn evaluate(output: &str, network: &NetworkSpec, gvisor: bool) -> Result<(), String> {
    let field = |name: &str| {
        output.lines().find_map(|l| {
            l.strip_prefix(name)
                .and_then(|r| r.strip_prefix(':'))
                .map(|v| v.trim().to_string())
        })
    };
    let mut failures = Vec::new();
    if !output.lines().any(|l| l == "PROBE=done") {
        failures.push("the probe did not finish (is /bin/sh in the image?)".to_string());
    }
    match field("Uid") {
        Some(uids) if uids.split_whitespace().all(|u| u == "1000") => {}
        Some(uids) => failures.push(format!("processes run as uid {uids}, expected 1000")),
        None => failures.push("could not read the uid".into()),
    }
    for cap in ["CapEff", "CapPrm"] {
        match field(cap) {
            Some(v) if v.chars().all(|c| c == '0') => {}
            Some(v) => failures.push(format!("{cap} is {v}, expected no capabilities")),
            None => failures.push(format!("could not read {cap}")),
        }
    }
    match field("NoNewPrivs") {
        Some(v) if v == "1" => {}
        Some(v) => failures.push(format!("NoNewPrivs is {v}, expected 1")),
        // gVisor's /proc does not report it; the flag is enforced by its sentry.
        None if gvisor => {}
        None => failures.push("could not read NoNewPrivs".into()),
    }
    if !gvisor {
        match field("Seccomp") {
            Some(v) if v == "2" => {}
            Some(v) => failures.push(format!("Seccomp mode is {v}, expected 2 (filtering)")),
            None => failures.push("could not read the seccomp mode".into()),
        }
    }
    if !output.lines().any(|l| l == "ROOTFS=readonly") {
        failures.push("the root filesystem is writable".into());
    }
    if let NetworkSpec::None = network {
        let ifaces: Vec<&str> = output
            .lines()
            .find_map(|l| l.strip_prefix("NET="))
            .map(|v| v.split_whitespace().collect())
            .unwrap_or_default();
        if ifaces.iter().any(|i| *i != "lo") {
            failures.push(format!(
                "network none, yet interfaces {} exist",
                ifaces.join(",")
            ));
        }
    }
    for line in output.lines().filter_map(|l| l.strip_prefix("SOCKET=")) {
        failures.push(format!("the engine socket {line} is reachable"));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "Uid:\t1000\t1000\t1000\t1000\nNoNewPrivs:\t1\nSeccomp:\t2\nCapPrm:\t0000000000000000\n\
CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nROOTFS=readonly\nNET=lo \nPROBE=done\n";

    #[test]
    fn a_hardened_sandbox_passes() {
        assert_eq!(evaluate(GOOD, &NetworkSpec::None, false), Ok(()));
    }

    #[test]
    fn each_weakness_is_named() {
        let cases = [
            ("Uid:\t1000", "Uid:\t0", "uid"),
            (
                "CapEff:\t0000000000000000",
                "CapEff:\t00000000a80425fb",
                "CapEff",
            ),
            ("NoNewPrivs:\t1", "NoNewPrivs:\t0", "NoNewPrivs"),
            ("Seccomp:\t2", "Seccomp:\t0", "Seccomp"),
            ("ROOTFS=readonly", "ROOTFS=writable", "root filesystem"),
            ("NET=lo ", "NET=eth0 lo ", "eth0"),
            (
                "PROBE=done",
                "SOCKET=/run/docker.sock\nPROBE=done",
                "docker.sock",
            ),
            ("PROBE=done", "", "did not finish"),
        ];
        for (from, to, expect) in cases {
            let out = GOOD.replacen(from, to, 1);
            let err = evaluate(&out, &NetworkSpec::None, false)
                .err()
                .unwrap_or_default();
            assert!(err.contains(expect), "{from} -> {to}: {err}");
        }
    }

    #[test]
    fn bridge_networks_may_have_interfaces_and_gvisor_omits_fields() {
        let out = GOOD.replace("NET=lo ", "NET=eth0 lo ");
        assert_eq!(
            evaluate(
                &out,
                &NetworkSpec::Bridge {
                    name: "bridge".into()
                },
                false
            ),
            Ok(())
        );
        let gv = GOOD
            .replace("NoNewPrivs:\t1\n", "")
            .replace("Seccomp:\t2\n", "");
        assert_eq!(evaluate(&gv, &NetworkSpec::None, true), Ok(()));
        assert!(evaluate(&gv, &NetworkSpec::None, false).is_err());
    }
}
