//! Turns a [`SandboxSpec`] into the engine's create request, with the hardening that is not
//! optional: all capabilities dropped, read-only root, uid/gid 1000, `no-new-privileges`,
//! the engine's default seccomp profile (no `seccomp=` option is ever sent, so it cannot
//! be unconfined), an init as PID 1 and a long `sleep` as the workload, so that SIGTERM
//! stops the sandbox in milliseconds instead of the 10 s a signal-ignoring PID 1 costs.
//!
//! Two builders, one per engine, because the engines differ where it matters:
//! - Docker gets the compat body (typed bollard model). `MaskedPaths` replaces Docker's
//!   default list, so the defaults are re-added; tmpfs ownership is `uid=`/`gid=`.
//! - Podman gets its native libpod body: its compat endpoint silently ignores
//!   `HostConfig.MaskedPaths` (a masked secret stayed readable) and `HostConfig.Runtime`
//!   (a "kata" request ran under runc). libpod takes `mask` directly, needs tmpfs ownership
//!   as the `U` option and rejects `uid=`, and sets RLIMIT_NPROC to the host maximum (which
//!   runc then fails to apply) when any rlimit is given unless `nproc` is explicit. Podman
//!   also mounts writable, exec-able tmpfs on /run and /var/tmp for read-only containers;
//!   both are replaced by small `noexec` ones. Podman 4 applies no per-container OCI
//!   runtime at all (libpod's `oci_runtime` is decoded but unused); `container.rs` only
//!   accepts a runtime request on Podman when it is the service's default, and verifies
//!   the runtime of every created container either way.
//!
//! Both builders are pure and unit-tested on their JSON; the integration tests prove the
//! result from inside real containers.

use std::collections::HashMap;
use std::path::Path;

use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountType, ResourcesUlimits};
use serde_json::{Value, json};

use super::spec::{
    GUARD_BINARY, GUARD_POLICY_DIR, GUARD_SPOOL_DIR, HOME_DIR, NetworkSpec, SANDBOX_USER,
    SandboxSpec, TmpfsMount, WORKSPACE_DIR,
};

/// The workload: an init (docker-init/catatonit) runs this as its child and forwards SIGTERM.
pub(crate) const SLEEP_ENTRYPOINT: &str = "sleep";
/// ~68 years; both busybox and coreutils `sleep` accept it.
pub(crate) const SLEEP_SECONDS: &str = "2147483647";
/// Seconds the engine waits after SIGTERM before SIGKILL when someone else stops the sandbox.
pub(crate) const STOP_TIMEOUT_SECS: i64 = 2;

/// Docker's default masked paths (moby `oci.DefaultSpec`); setting `MaskedPaths` replaces them.
pub(crate) const DOCKER_DEFAULT_MASKED_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Podman-only writable tmpfs mounts replaced by small noexec ones.
const PODMAN_IMPLICIT_TMPFS: &[&str] = &["/run", "/var/tmp"];
/// Size of those replacements.
const PODMAN_IMPLICIT_TMPFS_BYTES: u64 = 1 << 20;
/// RLIMIT_NPROC floor on Podman (see module docs); per-uid and host-wide, so never tight.
const PODMAN_NPROC_FLOOR: u64 = 4096;

fn exec_flag(exec: bool) -> &'static str {
    if exec { "exec" } else { "noexec" }
}

fn container_env(spec: &SandboxSpec) -> Vec<(String, String)> {
    let mut env = vec![("HOME".to_string(), HOME_DIR.to_string())];
    env.extend(spec.env.iter().cloned());
    env
}

/// PID 1's argv: the guard's init, or (no guard) `sleep` under the engine's init.
fn entrypoint(spec: &SandboxSpec) -> Vec<String> {
    match &spec.guard {
        Some(_) => vec![GUARD_BINARY.to_string(), "init".to_string()],
        None => vec![SLEEP_ENTRYPOINT.to_string(), SLEEP_SECONDS.to_string()],
    }
}

/// Bind mounts: the workspace, and the guard's binary, policy and spool.
fn bind_mounts(spec: &SandboxSpec, workspace: &Path) -> Vec<(String, String, bool)> {
    let mut binds = vec![(
        WORKSPACE_DIR.to_string(),
        workspace.display().to_string(),
        false,
    )];
    if let Some(g) = &spec.guard {
        binds.push((GUARD_BINARY.into(), g.binary.display().to_string(), true));
        binds.push((
            GUARD_POLICY_DIR.into(),
            g.policy_dir.display().to_string(),
            true,
        ));
        binds.push((
            GUARD_SPOOL_DIR.into(),
            g.spool_dir.display().to_string(),
            false,
        ));
    }
    binds
}

fn docker_mounts(spec: &SandboxSpec, workspace: &Path) -> Vec<Mount> {
    bind_mounts(spec, workspace)
        .into_iter()
        .map(|(target, source, read_only)| Mount {
            target: Some(target),
            source: Some(source),
            typ: Some(MountType::BIND),
            read_only: Some(read_only),
            ..Default::default()
        })
        .collect()
}

/// Docker's compat create body.
pub(crate) fn docker_body(spec: &SandboxSpec, workspace: &Path) -> ContainerCreateBody {
    let mut tmpfs = HashMap::new();
    tmpfs.insert(
        "/tmp".to_string(),
        format!(
            "rw,nosuid,nodev,noexec,size={},mode=1777",
            spec.tmp_size_bytes
        ),
    );
    tmpfs.insert(
        HOME_DIR.to_string(),
        format!(
            "rw,nosuid,nodev,noexec,size={},mode=0700,uid={},gid={}",
            spec.home_size_bytes,
            super::spec::SANDBOX_UID,
            super::spec::SANDBOX_GID
        ),
    );
    for TmpfsMount {
        path,
        size_bytes,
        exec,
    } in &spec.extra_tmpfs
    {
        tmpfs.insert(
            path.clone(),
            format!(
                "rw,nosuid,nodev,{},size={size_bytes},mode=0755,uid={},gid={}",
                exec_flag(*exec),
                super::spec::SANDBOX_UID,
                super::spec::SANDBOX_GID
            ),
        );
    }
    let masked_paths = (!spec.masked_paths.is_empty()).then(|| {
        let mut all: Vec<String> = DOCKER_DEFAULT_MASKED_PATHS
            .iter()
            .map(|s| s.to_string())
            .collect();
        all.extend(spec.masked_paths.iter().cloned());
        all
    });
    let memory = i64::try_from(spec.memory_bytes).unwrap_or(i64::MAX);
    let ulimit = |name: &str, v: u64| ResourcesUlimits {
        name: Some(name.to_string()),
        soft: Some(i64::try_from(v).unwrap_or(i64::MAX)),
        hard: Some(i64::try_from(v).unwrap_or(i64::MAX)),
    };
    let host_config = HostConfig {
        // The guard is a real init; without it the engine's init reaps and forwards signals.
        init: Some(spec.guard.is_none()),
        privileged: Some(false),
        readonly_rootfs: Some(true),
        cap_drop: Some(vec!["ALL".to_string()]),
        cap_add: Some(Vec::new()),
        security_opt: Some({
            let mut opts = vec!["no-new-privileges".to_string()];
            if let Some(profile) = &spec.seccomp_profile {
                opts.push(format!("seccomp={profile}"));
            }
            opts
        }),
        memory: Some(memory),
        memory_swap: Some(memory),
        nano_cpus: Some(i64::try_from(spec.nano_cpus).unwrap_or(i64::MAX)),
        pids_limit: Some(i64::from(spec.pids_limit)),
        ulimits: Some(vec![
            ulimit("nofile", spec.nofile),
            ulimit("fsize", spec.fsize_bytes),
        ]),
        tmpfs: Some(tmpfs),
        mounts: Some(docker_mounts(spec, workspace)),
        masked_paths,
        runtime: spec.oci_runtime.clone(),
        network_mode: Some(match &spec.network {
            NetworkSpec::None => "none".to_string(),
            NetworkSpec::Bridge { name } => name.clone(),
        }),
        auto_remove: Some(false),
        ..Default::default()
    };
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        user: Some(SANDBOX_USER.to_string()),
        working_dir: Some(WORKSPACE_DIR.to_string()),
        env: Some(
            container_env(spec)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
        ),
        entrypoint: Some(entrypoint(spec)),
        cmd: Some(Vec::new()),
        labels: Some(
            spec.labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        stop_signal: Some("SIGTERM".to_string()),
        stop_timeout: Some(STOP_TIMEOUT_SECS),
        attach_stdin: Some(false),
        attach_stdout: Some(false),
        attach_stderr: Some(false),
        open_stdin: Some(false),
        tty: Some(false),
        host_config: Some(host_config),
        ..Default::default()
    }
}

/// Podman's libpod create body (`POST /libpod/containers/create`).
/// `seccomp_path`: where [`SandboxSpec::seccomp_profile`] was written (libpod takes a path).
pub(crate) fn podman_body(
    spec: &SandboxSpec,
    workspace: &Path,
    seccomp_path: Option<&Path>,
) -> Value {
    let tmpfs = |dest: &str, opts: Vec<String>| json!({"destination": dest, "type": "tmpfs", "source": "tmpfs", "options": opts});
    let base = |exec: bool, size: u64| -> Vec<String> {
        vec![
            "rw".into(),
            "nosuid".into(),
            "nodev".into(),
            exec_flag(exec).into(),
            format!("size={size}"),
        ]
    };
    let mut mounts: Vec<Value> = bind_mounts(spec, workspace)
        .into_iter()
        .map(|(target, source, read_only)| {
            json!({"destination": target, "type": "bind", "source": source,
                   "options": ["rbind", if read_only { "ro" } else { "rw" }]})
        })
        .collect();
    mounts.extend([
        tmpfs(
            "/tmp",
            [base(false, spec.tmp_size_bytes), vec!["mode=1777".into()]].concat(),
        ),
        tmpfs(
            HOME_DIR,
            [
                base(false, spec.home_size_bytes),
                vec!["mode=0700".into(), "U".into()],
            ]
            .concat(),
        ),
    ]);
    for p in PODMAN_IMPLICIT_TMPFS {
        if !spec.extra_tmpfs.iter().any(|t| t.path == *p) {
            mounts.push(tmpfs(
                p,
                [
                    base(false, PODMAN_IMPLICIT_TMPFS_BYTES),
                    vec!["mode=0755".into()],
                ]
                .concat(),
            ));
        }
    }
    for t in &spec.extra_tmpfs {
        mounts.push(tmpfs(
            &t.path,
            [
                base(t.exec, t.size_bytes),
                vec!["mode=0755".into(), "U".into()],
            ]
            .concat(),
        ));
    }
    let env: serde_json::Map<String, Value> = container_env(spec)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let rlimit = |t: &str, v: u64| json!({"type": t, "soft": v, "hard": v});
    let mut body = json!({
        "name": spec.name,
        "image": spec.image,
        "entrypoint": entrypoint(spec),
        "command": [],
        "user": SANDBOX_USER,
        "work_dir": WORKSPACE_DIR,
        "env": env,
        "labels": spec.labels,
        "init": spec.guard.is_none(),
        "stop_timeout": STOP_TIMEOUT_SECS,
        "privileged": false,
        "cap_drop": ["ALL"],
        "no_new_privileges": true,
        "read_only_filesystem": true,
        "mounts": mounts,
        "resource_limits": {
            "memory": {"limit": spec.memory_bytes, "swap": spec.memory_bytes},
            "cpu": {"quota": spec.nano_cpus / 10_000, "period": 100_000},
            "pids": {"limit": spec.pids_limit},
        },
        "r_limits": [
            rlimit("nofile", spec.nofile),
            rlimit("fsize", spec.fsize_bytes),
            rlimit("nproc", u64::from(spec.pids_limit).max(PODMAN_NPROC_FLOOR)),
        ],
    });
    if let Value::Object(m) = &mut body {
        if !spec.masked_paths.is_empty() {
            m.insert("mask".into(), json!(spec.masked_paths));
        }
        if let Some(path) = seccomp_path {
            m.insert(
                "seccomp_profile_path".into(),
                json!(path.display().to_string()),
            );
        }
        if let Some(r) = &spec.oci_runtime {
            // Ignored by Podman 4 (see module docs) but honoured by libpod versions that
            // support it; the runtime is verified after create in any case.
            m.insert("oci_runtime".into(), json!(r));
        }
        match &spec.network {
            NetworkSpec::None => {
                m.insert("netns".into(), json!({"nsmode": "none"}));
            }
            NetworkSpec::Bridge { name } => {
                m.insert("netns".into(), json!({"nsmode": "bridge"}));
                m.insert("Networks".into(), json!({ name.as_str(): {} }));
            }
        }
    }
    body
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn spec() -> SandboxSpec {
        let mut s = SandboxSpec::new("lasso-t", "lasso-base:latest", "/srv/ws");
        s.env = vec![("API_KEY".into(), "secret".into())];
        s.labels.insert("lasso.sandbox".into(), "t".into());
        s
    }

    fn guarded() -> SandboxSpec {
        let mut s = spec();
        s.guard = Some(super::super::spec::GuardMounts {
            binary: "/h/bin/lasso-guard".into(),
            policy_dir: "/h/run/x/policy".into(),
            spool_dir: "/h/run/x/spool".into(),
        });
        s
    }

    #[test]
    fn the_guard_is_pid_1_with_its_files_mounted() {
        let v = serde_json::to_value(docker_body(&guarded(), Path::new("/srv/ws"))).unwrap();
        assert_eq!(v["Entrypoint"], json!(["/.lasso/guard", "init"]));
        assert_eq!(v["HostConfig"]["Init"], json!(false));
        let mounts = v["HostConfig"]["Mounts"].as_array().unwrap();
        let m = |t: &str| mounts.iter().find(|m| m["Target"] == json!(t)).unwrap();
        assert_eq!(m("/.lasso/guard")["Source"], json!("/h/bin/lasso-guard"));
        assert_eq!(m("/.lasso/guard")["ReadOnly"], json!(true));
        assert_eq!(m("/.lasso/policy")["ReadOnly"], json!(true));
        assert_eq!(m("/.lasso/spool")["ReadOnly"], json!(false));
        assert_eq!(m("/workspace")["ReadOnly"], json!(false));

        let p = podman_body(&guarded(), Path::new("/srv/ws"), None);
        assert_eq!(p["entrypoint"], json!(["/.lasso/guard", "init"]));
        assert_eq!(p["init"], json!(false));
        let mounts = p["mounts"].as_array().unwrap();
        let m = |t: &str| {
            mounts
                .iter()
                .find(|m| m["destination"] == json!(t))
                .unwrap()
        };
        assert_eq!(m("/.lasso/guard")["options"], json!(["rbind", "ro"]));
        assert_eq!(m("/.lasso/policy")["options"], json!(["rbind", "ro"]));
        assert_eq!(m("/.lasso/spool")["options"], json!(["rbind", "rw"]));
    }

    #[test]
    fn docker_body_is_hardened() {
        let v = serde_json::to_value(docker_body(&spec(), Path::new("/srv/ws"))).unwrap();
        let hc = &v["HostConfig"];
        assert_eq!(hc["CapDrop"], json!(["ALL"]));
        assert_eq!(hc["CapAdd"], json!([]));
        assert_eq!(hc["ReadonlyRootfs"], json!(true));
        assert_eq!(hc["Privileged"], json!(false));
        assert_eq!(hc["Init"], json!(true));
        assert_eq!(hc["SecurityOpt"], json!(["no-new-privileges"]));
        assert_eq!(hc["NetworkMode"], json!("none"));
        assert_eq!(hc["Memory"], hc["MemorySwap"]);
        assert_eq!(hc["PidsLimit"], json!(512));
        assert_eq!(
            hc["Ulimits"][0],
            json!({"Name": "nofile", "Soft": 1024, "Hard": 1024})
        );
        assert_eq!(hc["Ulimits"][1]["Name"], json!("fsize"));
        assert!(hc["Tmpfs"]["/tmp"].as_str().unwrap().contains(",noexec,"));
        assert!(
            hc["Tmpfs"]["/home/sandbox"]
                .as_str()
                .unwrap()
                .contains("uid=1000,gid=1000")
        );
        assert_eq!(hc["Mounts"][0]["Type"], json!("bind"));
        assert_eq!(hc["Mounts"][0]["Target"], json!("/workspace"));
        assert!(
            hc.get("MaskedPaths").is_none(),
            "keep Docker's defaults when nothing extra is masked"
        );
        assert!(hc.get("Runtime").is_none());
        assert_eq!(v["User"], json!("1000:1000"));
        assert_eq!(v["WorkingDir"], json!("/workspace"));
        assert_eq!(v["Entrypoint"], json!(["sleep", "2147483647"]));
        assert_eq!(v["Cmd"], json!([]));
        assert_eq!(hc["Init"], json!(true));
        assert_eq!(v["Env"], json!(["HOME=/home/sandbox", "API_KEY=secret"]));
        let text = v.to_string();
        assert!(
            !text.contains("seccomp"),
            "never send a seccomp option: {text}"
        );
        assert!(!text.contains("docker.sock"));
    }

    #[test]
    fn docker_masking_keeps_the_defaults() {
        let mut s = spec();
        s.masked_paths = vec!["/workspace/.env".into()];
        s.oci_runtime = Some("runsc".into());
        s.network = NetworkSpec::Bridge {
            name: "lasso-net".into(),
        };
        s.extra_tmpfs = vec![TmpfsMount {
            path: "/opt/build".into(),
            size_bytes: 4096,
            exec: true,
        }];
        let v = serde_json::to_value(docker_body(&s, Path::new("/srv/ws"))).unwrap();
        let masked: Vec<String> =
            serde_json::from_value(v["HostConfig"]["MaskedPaths"].clone()).unwrap();
        assert!(masked.contains(&"/proc/kcore".to_string()));
        assert!(masked.contains(&"/workspace/.env".to_string()));
        assert_eq!(v["HostConfig"]["Runtime"], json!("runsc"));
        assert_eq!(v["HostConfig"]["NetworkMode"], json!("lasso-net"));
        assert!(
            v["HostConfig"]["Tmpfs"]["/opt/build"]
                .as_str()
                .unwrap()
                .contains(",exec,")
        );
    }

    #[test]
    fn podman_body_is_hardened() {
        let v = podman_body(&spec(), Path::new("/srv/ws"), None);
        assert_eq!(v["cap_drop"], json!(["ALL"]));
        assert_eq!(v["no_new_privileges"], json!(true));
        assert_eq!(v["read_only_filesystem"], json!(true));
        assert_eq!(v["privileged"], json!(false));
        assert_eq!(v["init"], json!(true));
        assert_eq!(v["user"], json!("1000:1000"));
        assert_eq!(v["netns"], json!({"nsmode": "none"}));
        assert_eq!(v["env"]["HOME"], json!("/home/sandbox"));
        assert_eq!(v["env"]["API_KEY"], json!("secret"));
        assert_eq!(
            v["resource_limits"]["memory"]["limit"],
            v["resource_limits"]["memory"]["swap"]
        );
        assert_eq!(v["resource_limits"]["cpu"]["quota"], json!(200_000));
        assert_eq!(v["resource_limits"]["pids"]["limit"], json!(512));
        let rl: Vec<String> = v["r_limits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["type"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(rl, vec!["nofile", "fsize", "nproc"]);
        let mounts = v["mounts"].as_array().unwrap();
        let dests: Vec<&str> = mounts
            .iter()
            .map(|m| m["destination"].as_str().unwrap())
            .collect();
        assert_eq!(
            dests,
            vec!["/workspace", "/tmp", "/home/sandbox", "/run", "/var/tmp"]
        );
        for m in &mounts[1..] {
            let opts: Vec<&str> = m["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o.as_str().unwrap())
                .collect();
            assert!(opts.contains(&"noexec"), "{m}");
            assert!(
                !opts.iter().any(|o| o.starts_with("uid=")),
                "podman rejects uid=: {m}"
            );
        }
        assert!(v.get("mask").is_none());
        assert!(v.get("oci_runtime").is_none());
        assert!(!v.to_string().contains("seccomp"));
    }

    #[test]
    fn podman_runtime_mask_bridge_and_tmpfs() {
        let mut s = spec();
        s.oci_runtime = Some("runsc".into());
        s.masked_paths = vec!["/workspace/secrets".into()];
        s.network = NetworkSpec::Bridge {
            name: "lasso-net".into(),
        };
        s.extra_tmpfs = vec![TmpfsMount {
            path: "/run".into(),
            size_bytes: 8192,
            exec: true,
        }];
        let v = podman_body(&s, Path::new("/srv/ws"), None);
        assert_eq!(v["oci_runtime"], json!("runsc"));
        assert_eq!(v["mask"], json!(["/workspace/secrets"]));
        assert_eq!(v["netns"], json!({"nsmode": "bridge"}));
        assert_eq!(v["Networks"], json!({"lasso-net": {}}));
        let run: Vec<&Value> = v["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["destination"] == "/run")
            .collect();
        assert_eq!(run.len(), 1, "the caller's /run replaces the implicit one");
        assert!(
            run[0]["options"]
                .as_array()
                .unwrap()
                .contains(&json!("exec"))
        );
    }
}
