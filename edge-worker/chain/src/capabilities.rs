//! What an edge node offers, measured where the machine can tell (cores, memory, free storage under the data
//! directory) and claimed by the operator where only the network can tell (bandwidth, region). Keepers verify
//! the claims over the network; the work score counts only what they confirm. A short self-benchmark of the
//! disk and of BLAKE3 hashing tells the operator, before keepers do, whether the machine can serve verified
//! content as fast as the bandwidth it claims.

use std::{io::Write, path::Path, time::Instant};

use enreach_primitives::{Capabilities, Continent, NatType, Region, SoftwareVersion};

/// Continents by the names operators and clients write (`--continent`, routing hints); a continent's position
/// is its routing region.
pub const CONTINENTS: [(&str, Continent); 7] = [
    ("africa", Continent::Africa),
    ("antarctica", Continent::Antarctica),
    ("asia", Continent::Asia),
    ("europe", Continent::Europe),
    ("north-america", Continent::NorthAmerica),
    ("oceania", Continent::Oceania),
    ("south-america", Continent::SouthAmerica),
];

/// The routing region of a continent: its position in [`CONTINENTS`] (past the end for none listed).
pub fn region_key(continent: Continent) -> u16 {
    CONTINENTS
        .iter()
        .position(|(_, c)| *c == continent)
        .unwrap_or(CONTINENTS.len()) as u16
}

/// The continent named `name`, or an error listing the names.
pub fn parse_continent(name: &str) -> Result<Continent, String> {
    CONTINENTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
        .ok_or_else(|| {
            let names: Vec<&str> = CONTINENTS.iter().map(|(n, _)| *n).collect();
            format!("one of {}", names.join(", "))
        })
}

/// The name of `continent`.
pub fn continent_name(continent: Continent) -> &'static str {
    CONTINENTS
        .iter()
        .find(|(_, c)| *c == continent)
        .map_or("unknown", |(n, _)| n)
}

/// What the operator states about the node.
#[derive(Clone, Copy, Debug)]
pub struct Claims {
    /// Upload bandwidth offered, Mbit/s.
    pub bandwidth_up_mbps: u32,
    /// Download bandwidth, Mbit/s.
    pub bandwidth_down_mbps: u32,
    /// Where the node is.
    pub region: Region,
    /// The PeerHVM runtime it runs edge applications on, if it runs them.
    pub hvm: Option<SoftwareVersion>,
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
        hvm: claims.hvm,
        region: claims.region,
        nat: NatType::Unknown,
        version: version(),
    })
}

/// What the self-benchmark measured, Mbit/s (the unit bandwidth is claimed in).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct SelfBenchmark {
    /// Writing to the data directory, synced to disk.
    pub disk_write_mbps: u32,
    /// Hashing into the BLAKE3 tree on one core: what verifying served content costs.
    pub blake3_mbps: u32,
}

impl SelfBenchmark {
    /// The fastest the machine can serve verified content: its slower part.
    pub fn serving_mbps(&self) -> u32 {
        self.disk_write_mbps.min(self.blake3_mbps)
    }
}

/// Bytes the self-benchmark writes and hashes.
const BENCHMARK_BYTES: usize = 16 << 20;

/// Measures synced writes under `data_dir` and BLAKE3 hashing, 16 MiB each (well under a second on any disk
/// and core an edge should run on). Blocking.
pub fn self_benchmark(data_dir: &Path) -> std::io::Result<SelfBenchmark> {
    let data: Vec<u8> = (0..BENCHMARK_BYTES).map(|i| (i * 31 % 251) as u8).collect();
    let mbps = |seconds: f64| ((BENCHMARK_BYTES as f64 * 8.0 / 1e6) / seconds.max(1e-9)) as u32;
    let file = tempfile::NamedTempFile::new_in(data_dir)?;
    let began = Instant::now();
    file.as_file().write_all(&data)?;
    file.as_file().sync_all()?;
    let disk_write_mbps = mbps(began.elapsed().as_secs_f64());
    let began = Instant::now();
    std::hint::black_box(blake3::hash(std::hint::black_box(&data)));
    let blake3_mbps = mbps(began.elapsed().as_secs_f64());
    Ok(SelfBenchmark {
        disk_write_mbps,
        blake3_mbps,
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
                hvm: None,
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

    #[test]
    fn the_self_benchmark_measures_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let bench = self_benchmark(dir.path()).unwrap();
        assert!(
            bench.disk_write_mbps > 0 && bench.blake3_mbps > 0,
            "{bench:?}"
        );
        assert_eq!(
            bench.serving_mbps(),
            bench.disk_write_mbps.min(bench.blake3_mbps)
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
