//! One-shot container resource samples (`GET /containers/{id}/stats?stream=false&one-shot=true`)
//! and the CPU percentage between two of them.
//!
//! Why one-shot samples and not the stats stream: Podman's stream sends every 5 s (see
//! ENGINES.md) and a stream per sandbox is a connection per sandbox; a one-shot sample costs
//! a few milliseconds, so the caller samples the sandboxes it shows at the rate it wants.
//! With `one-shot=true` neither engine fills `precpu_stats` (Docker 20.10 and Podman 4.3 both
//! send zeros there), so the CPU figure is computed from the caller's previous sample of the
//! same container: container CPU time over host CPU time, times the number of CPUs, which is
//! what `docker stats` shows (100% = one core busy).

use serde::Deserialize;

use super::connect::Engine;
use super::error::RuntimeError;
use super::http::encode_path_segment;

/// One resource sample of a running container.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StatsSample {
    /// CPU time the container used, in nanoseconds, since it started.
    pub cpu_total_ns: u64,
    /// CPU time the whole host used, in nanoseconds (a monotonic counter), when sent.
    pub system_ns: Option<u64>,
    /// CPUs the host has online (at least 1).
    pub online_cpus: u32,
    /// Memory in use, page cache that can be dropped excluded (what `docker stats` shows).
    pub memory_bytes: u64,
    /// The container's memory limit (the host's memory when it has none).
    pub memory_limit_bytes: u64,
}

impl StatsSample {
    /// CPU use between `prev` and `self` as a percentage of one core; `None` when the two
    /// samples cannot be compared (no host counter, or the counters went backwards because
    /// the container restarted).
    pub fn cpu_percent_since(&self, prev: &StatsSample) -> Option<f64> {
        let (sys_now, sys_prev) = (self.system_ns?, prev.system_ns?);
        let sys = sys_now.checked_sub(sys_prev)?;
        let cpu = self.cpu_total_ns.checked_sub(prev.cpu_total_ns)?;
        if sys == 0 {
            return None;
        }
        Some(cpu as f64 / sys as f64 * f64::from(self.online_cpus.max(1)) * 100.0)
    }
}

#[derive(Deserialize, Default)]
struct RawStats {
    #[serde(default)]
    cpu_stats: Option<RawCpu>,
    #[serde(default)]
    memory_stats: Option<RawMemory>,
}

#[derive(Deserialize, Default)]
struct RawCpu {
    #[serde(default)]
    cpu_usage: Option<RawCpuUsage>,
    #[serde(default)]
    system_cpu_usage: Option<u64>,
    #[serde(default)]
    online_cpus: Option<u32>,
}

#[derive(Deserialize, Default)]
struct RawCpuUsage {
    #[serde(default)]
    total_usage: Option<u64>,
    #[serde(default)]
    percpu_usage: Option<Vec<u64>>,
}

#[derive(Deserialize, Default)]
struct RawMemory {
    #[serde(default)]
    usage: Option<u64>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    stats: Option<std::collections::HashMap<String, serde_json::Value>>,
}

/// Interprets a stats answer; `Err` names what is missing.
pub(crate) fn decode_stats(body: &[u8]) -> Result<StatsSample, String> {
    let raw: RawStats =
        serde_json::from_slice(body).map_err(|e| format!("stats are not stats JSON: {e}"))?;
    let cpu = raw.cpu_stats.unwrap_or_default();
    let usage = cpu.cpu_usage.unwrap_or_default();
    let cpu_total_ns = usage
        .total_usage
        .ok_or("stats have no cpu_stats.cpu_usage.total_usage")?;
    let online_cpus = cpu
        .online_cpus
        .filter(|n| *n > 0)
        .or_else(|| {
            usage
                .percpu_usage
                .as_ref()
                .and_then(|p| u32::try_from(p.len()).ok())
        })
        .unwrap_or(1)
        .max(1);
    let mem = raw.memory_stats.unwrap_or_default();
    let usage_bytes = mem.usage.ok_or("stats have no memory_stats.usage")?;
    // Docker counts the page cache in `usage`; its CLI subtracts the inactive file pages
    // (cgroup v1: total_inactive_file, v2: inactive_file). Podman reports usage without it.
    let stat = |k: &str| {
        mem.stats
            .as_ref()
            .and_then(|s| s.get(k))
            .and_then(serde_json::Value::as_u64)
    };
    let cache = stat("total_inactive_file")
        .or_else(|| stat("inactive_file"))
        .unwrap_or(0);
    Ok(StatsSample {
        cpu_total_ns,
        system_ns: cpu.system_cpu_usage.filter(|n| *n > 0),
        online_cpus,
        memory_bytes: usage_bytes.saturating_sub(cache),
        memory_limit_bytes: mem.limit.unwrap_or(0),
    })
}

impl Engine {
    /// One resource sample of a running container (both engines answer the compat call).
    pub async fn stats(&self, container: &str) -> Result<StatsSample, RuntimeError> {
        let path = format!(
            "/containers/{}/stats?stream=false&one-shot=true",
            encode_path_segment(container)
        );
        let op = format!("stats of container {container}");
        let r = self.raw("GET", &path, None).await?;
        if !r.is_success() {
            let e = RuntimeError::from_status(self.kind, op, r.status, r.error_message());
            return Err(if e.status() == Some(404) {
                RuntimeError::ContainerNotFound {
                    container: container.to_string(),
                    engine: self.kind,
                }
            } else {
                e
            });
        }
        decode_stats(&r.body).map_err(|message| RuntimeError::Protocol {
            engine: self.kind,
            op,
            message,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    // Recorded on this machine (one-shot, a `sleep` container), trimmed.
    const DOCKER: &str = r#"{"read":"2026-12-07T15:33:46.372179954Z","preread":"0001-01-01T00:00:00Z","pids_stats":{"current":1},"cpu_stats":{"cpu_usage":{"total_usage":24616355,"percpu_usage":[6790599,17825756],"usage_in_kernelmode":0,"usage_in_usermode":10000000},"system_cpu_usage":1456160000000,"online_cpus":2,"throttling_data":{"periods":0}},"precpu_stats":{"cpu_usage":{"total_usage":0}},"memory_stats":{"usage":790528,"max_usage":4079616,"stats":{"cache":73728,"total_inactive_file":4096,"rss":53248},"limit":25276182528},"name":"/h4probe"}"#;
    const PODMAN: &str = r#"{"read":"2026-12-07T15:33:46.38867608Z","preread":"0001-01-01T00:00:00Z","pids_stats":{"current":1},"blkio_stats":{"io_serviced_recursive":null},"cpu_stats":{"cpu_usage":{"total_usage":30768193,"percpu_usage":[8497935,22270258],"usage_in_kernelmode":4000000,"usage_in_usermode":26768193},"system_cpu_usage":967716243115,"online_cpus":2,"cpu":0},"precpu_stats":{"cpu_usage":{"total_usage":0},"cpu":0},"memory_stats":{"usage":434176,"limit":25276182528},"name":"h4probe","Id":"3db9"}"#;

    #[test]
    fn decodes_docker_stats() {
        let s = decode_stats(DOCKER.as_bytes()).unwrap();
        assert_eq!(s.cpu_total_ns, 24616355);
        assert_eq!(s.system_ns, Some(1456160000000));
        assert_eq!(s.online_cpus, 2);
        assert_eq!(s.memory_bytes, 790528 - 4096);
        assert_eq!(s.memory_limit_bytes, 25276182528);
    }

    #[test]
    fn decodes_podman_stats() {
        let s = decode_stats(PODMAN.as_bytes()).unwrap();
        assert_eq!(s.cpu_total_ns, 30768193);
        assert_eq!(s.online_cpus, 2);
        assert_eq!(s.memory_bytes, 434176);
    }

    #[test]
    fn missing_counters_are_errors_and_cpus_fall_back() {
        assert!(decode_stats(b"{}").is_err());
        assert!(decode_stats(b"nope").is_err());
        let e = decode_stats(br#"{"cpu_stats":{"cpu_usage":{"total_usage":1}}}"#).unwrap_err();
        assert!(e.contains("memory_stats.usage"), "{e}");
        let s = decode_stats(
            br#"{"cpu_stats":{"cpu_usage":{"total_usage":1,"percpu_usage":[1,0,0,0]},"system_cpu_usage":0},"memory_stats":{"usage":5}}"#,
        )
        .unwrap();
        assert_eq!(s.online_cpus, 4);
        assert_eq!(s.system_ns, None);
    }

    #[test]
    fn cpu_percent_is_relative_to_one_core() {
        let prev = StatsSample {
            cpu_total_ns: 1_000,
            system_ns: Some(10_000),
            online_cpus: 2,
            ..StatsSample::default()
        };
        // Host: 2 CPUs advanced 4000 ns in total; container used 1000 ns: half of one core.
        let cur = StatsSample {
            cpu_total_ns: 2_000,
            system_ns: Some(14_000),
            ..prev
        };
        assert_eq!(cur.cpu_percent_since(&prev), Some(50.0));
        // A restarted container (counter went back) or no host counter: unknown.
        let restarted = StatsSample {
            cpu_total_ns: 10,
            ..cur
        };
        assert_eq!(restarted.cpu_percent_since(&prev), None);
        let no_sys = StatsSample {
            system_ns: None,
            ..cur
        };
        assert_eq!(no_sys.cpu_percent_since(&prev), None);
        assert_eq!(prev.cpu_percent_since(&prev), None);
    }
}
