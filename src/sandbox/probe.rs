//! Self-test probes run inside every new sandbox before anyone may use it (fail closed).
//!
//! Hardening is proved from inside the container, not by reading the configuration back:
//! engines differ in how they report it (Podman shows `cap_drop` expanded, for example), and
//! what matters is what the sandboxed process actually gets. One exec runs every probe so
//! the check costs one round trip.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::runtime::{
    Engine, ExecRequest, GUARD_BINARY, GUARD_SETUP_FAILED, NetworkSpec, SandboxSpec,
};

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

/// One probe the guard ran inside the sandbox, under the same enforcement as every exec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GuardProbe {
    pub name: String,
    pub passed: bool,
    #[serde(default)]
    pub detail: String,
    /// Why the probe did not apply (it then counts as passed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// `lasso-guard probe`'s report: every probe and the kernel features the guard found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardProbeReport {
    pub probes: Vec<GuardProbe>,
    #[serde(default)]
    pub kernel: serde_json::Value,
}

impl GuardProbeReport {
    /// The probes that failed, in one sentence; `None` when all passed.
    pub fn failures(&self) -> Option<String> {
        let failed: Vec<String> = self
            .probes
            .iter()
            .filter(|p| !p.passed && p.skipped.is_none())
            .map(|p| format!("{} ({})", p.name, p.detail))
            .collect();
        (!failed.is_empty()).then(|| {
            format!(
                "{} of {} in-sandbox probes succeeded at something the sandbox must prevent: {}",
                failed.len(),
                self.probes.len(),
                failed.join("; ")
            )
        })
    }
}

/// Runs `lasso-guard probe` in the sandbox. `Err` when the guard could not run or could not
/// apply its enforcement (its message names the missing kernel feature and the profile
/// setting that accepts running without it); failed probes are in the report.
pub async fn guard_probes(engine: &Engine, container: &str) -> Result<GuardProbeReport, String> {
    let req = ExecRequest::new([GUARD_BINARY, "probe"])
        .timeout(Duration::from_secs(60))
        .max_output(1 << 20);
    let out = engine
        .exec(container, &req)
        .await
        .map_err(|e| format!("the guard's probes could not run: {e}"))?;
    parse_guard_report(out.exit_code, &out.stdout_text(), &out.stderr_text())
}

/// How the guard says that the engine's seccomp profile, not the kernel, refuses one of its
/// system calls (`guard/src/setup.rs`; a test keeps the two in step).
const SECCOMP_BLOCKED: &str = "the container engine's seccomp profile blocks";

/// Whether a guard failure is the engine's seccomp profile refusing the guard's system calls
/// (then lasso's own profile, the default plus those calls, fixes it): the guard says so
/// (EPERM), or it reports a feature missing that this same kernel has (profiles whose
/// default errno is ENOSYS, like containers-common's, make a blocked call look absent).
/// Only meaningful for runc-style runtimes, which share the host kernel.
pub(crate) fn seccomp_blocked(why: &str, host_landlock: bool, host_notify: bool) -> bool {
    why.contains(SECCOMP_BLOCKED)
        || (host_landlock && why.contains("landlock is not available"))
        || (host_notify && why.contains("seccomp-notify is not available"))
}

pub(crate) fn parse_guard_report(
    exit_code: Option<i64>,
    stdout: &str,
    stderr: &str,
) -> Result<GuardProbeReport, String> {
    let stderr = stderr.trim();
    match exit_code {
        Some(0) | Some(1) => serde_json::from_str(stdout.trim())
            .map_err(|e| format!("the guard's probe report is not valid ({e}); stderr: {stderr}")),
        Some(GUARD_SETUP_FAILED) => Err(if stderr.is_empty() {
            "the guard could not set up enforcement".to_string()
        } else {
            stderr.to_string()
        }),
        other => Err(format!(
            "the guard's probes ended with status {}: {stderr}",
            other.map_or_else(|| "unknown".to_string(), |c| c.to_string())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_says_seccomp_blocked_the_way_lasso_looks_for_it() {
        let guard_setup = include_str!("../../guard/src/setup.rs");
        assert!(guard_setup.contains(SECCOMP_BLOCKED));
        assert!(seccomp_blocked(
            "lasso-guard: landlock is not available (EPERM: the container engine's seccomp \
             profile blocks the Landlock system calls); run ...",
            false,
            false
        ));
        let enosys = "lasso-guard: landlock is not available (ENOSYS ...)";
        assert!(!seccomp_blocked(enosys, false, true));
        assert!(seccomp_blocked(enosys, true, false));
        assert!(!seccomp_blocked(
            "lasso-guard: exec: bad policy",
            true,
            true
        ));
    }

    #[test]
    fn guard_reports_are_parsed_and_failures_named() {
        let ok = r#"{"probes":[{"name":"raw-socket","passed":true,"detail":"EPERM"},
            {"name":"metadata","passed":false,"skipped":"network full"}],"kernel":{"landlock_abi":7}}"#;
        let r = parse_guard_report(Some(0), ok, "").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.failures(), None);
        assert_eq!(r.probes[1].skipped.as_deref(), Some("network full"));
        let bad = ok.replacen(
            r#""passed":true,"detail":"EPERM""#,
            r#""passed":false,"detail":"socket opened""#,
            1,
        );
        let r = parse_guard_report(Some(1), &bad, "").unwrap_or_else(|e| panic!("{e}"));
        let f = r.failures().unwrap_or_default();
        assert!(f.contains("raw-socket (socket opened)"), "{f}");
        let e = parse_guard_report(Some(120), "", "lasso-guard: landlock is not available\n");
        assert_eq!(
            e,
            Err("lasso-guard: landlock is not available\n"
                .trim()
                .to_string())
        );
        assert!(parse_guard_report(Some(0), "not json", "").is_err());
        assert!(parse_guard_report(Some(139), "", "segfault").is_err());
    }

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
