//! What an edge node offers, measured where the machine can tell (cores, memory, free storage under the data
//! directory) and claimed by the operator where only the network can tell (bandwidth, region). Keepers verify
//! the claims; the work score counts only what they confirm.

use std::path::Path;

use enreach_primitives::{Capabilities, NatType, Region, SoftwareVersion};

/// What the operator states about the node.
#[derive(Clone, Copy, Debug)]
pub struct Claims {
    /// Upload bandwidth offered, Mbit/s.
    pub bandwidth_up_mbps: u32,
    /// Download bandwidth, Mbit/s.
    pub bandwidth_down_mbps: u32,
    /// Where the node is.
    pub region: Region,
}

/// The node's descriptor: `claims` plus what this machine measures.
pub fn describe(data_dir: &Path, claims: Claims) -> std::io::Result<Capabilities> {
    let cpu_cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(u16::MAX as usize) as u16;
    let free = rustix::fs::statvfs(data_dir).map_err(std::io::Error::from)?;
    let storage_gib =
        (free.f_bavail.saturating_mul(free.f_frsize) >> 30).min(u32::MAX as u64) as u32;
    Ok(Capabilities {
        bandwidth_up_mbps: claims.bandwidth_up_mbps,
        bandwidth_down_mbps: claims.bandwidth_down_mbps,
        storage_gib,
        cpu_cores,
        memory_mib: memory_mib().unwrap_or(0),
        gpu: None,
        region: claims.region,
        nat: NatType::Unknown,
        version: version(),
    })
}

/// Total memory from `/proc/meminfo`, MiB.
fn memory_mib() -> Option<u32> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some((kib >> 10).min(u32::MAX as u64) as u32)
}

/// This build's version.
fn version() -> SoftwareVersion {
    let part = |s: &str| s.parse().unwrap_or(0);
    let mut parts = env!("CARGO_PKG_VERSION").split('.');
    SoftwareVersion {
        major: part(parts.next().unwrap_or("0")),
        minor: part(parts.next().unwrap_or("0")),
        patch: part(parts.next().unwrap_or("0")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use enreach_primitives::Continent;

    #[test]
    fn the_machine_is_measured_and_the_claims_kept() {
        let dir = tempfile::tempdir().unwrap();
        let region = Region {
            continent: Continent::Europe,
            country: *b"DE",
        };
        let caps = describe(
            dir.path(),
            Claims {
                bandwidth_up_mbps: 500,
                bandwidth_down_mbps: 900,
                region,
            },
        )
        .unwrap();
        assert!(caps.cpu_cores >= 1);
        assert!(caps.memory_mib > 0);
        assert_eq!(
            (caps.bandwidth_up_mbps, caps.bandwidth_down_mbps),
            (500, 900)
        );
        assert_eq!(caps.region, region);
        assert_eq!(caps.version, version());
        assert!(caps.validate().is_ok());
    }
}
