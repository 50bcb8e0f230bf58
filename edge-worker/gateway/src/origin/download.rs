//! Downloading a content's bytes from its origin into a staging folder: exactly the published size, and no
//! slower than the minimum rate once the grace period is over, so a trickling origin gives its slot back
//! long before the deadline.

use std::time::Duration;

use tokio::{io::AsyncWriteExt, time::Instant};

use enreach_dts::store::{Staging, StoreError};

use super::{origin_address, OriginPull, PullError};

impl OriginPull {
    /// Downloads exactly `size` bytes from `url` into a staging folder of the store.
    pub(super) async fn download(
        &self,
        url: reqwest::Url,
        size: u64,
    ) -> Result<Staging, PullError> {
        let pace = Pace {
            started: Instant::now(),
            grace: self.limits.rate_grace,
            min_rate: self.limits.min_rate,
        };
        let response = tokio::time::timeout_at(pace.due(0), self.http.get(url).send())
            .await
            .map_err(|_| pace.too_slow(0))?;
        let mut response = response
            .and_then(|r| r.error_for_status())
            .map_err(|e| PullError::Origin(e.to_string()))?;
        // Held until the download ends: the server that answered, whatever name or redirect led to it, serves
        // at most its host's share of the pulls.
        let _address_place = match response.remote_addr() {
            Some(addr) => Some(
                self.per_address
                    .take(origin_address(addr.ip()))
                    .ok_or(PullError::Busy("this origin address's pull slots"))?,
            ),
            None => None,
        };
        if response.status() != reqwest::StatusCode::OK {
            return Err(PullError::Origin(format!(
                "answered {} instead of the whole content",
                response.status()
            )));
        }
        if let Some(len) = response.content_length().filter(|len| *len != size) {
            return Err(PullError::WrongSize {
                got: len,
                expected: size,
            });
        }
        let staging = self.store.staging()?;
        let mut file = tokio::fs::File::create(staging.data_path())
            .await
            .map_err(StoreError::Io)?;
        let mut got = 0u64;
        loop {
            let chunk = tokio::time::timeout_at(pace.due(got), response.chunk())
                .await
                .map_err(|_| pace.too_slow(got))?
                .map_err(|e| PullError::Origin(e.to_string()))?;
            let Some(chunk) = chunk else { break };
            got += chunk.len() as u64;
            if got > size {
                return Err(PullError::WrongSize {
                    got,
                    expected: size,
                });
            }
            file.write_all(&chunk).await.map_err(StoreError::Io)?;
        }
        if got != size {
            return Err(PullError::WrongSize {
                got,
                expected: size,
            });
        }
        file.flush().await.map_err(StoreError::Io)?;
        Ok(staging)
    }
}

/// The slowest a download may go: after `grace`, at least `min_rate` bytes per second since `started`.
struct Pace {
    started: Instant,
    grace: Duration,
    min_rate: u64,
}

impl Pace {
    /// When a download that has `got` bytes falls below the pace, unless more arrive.
    fn due(&self, got: u64) -> Instant {
        let earned = Duration::from_millis(got.saturating_mul(1000) / self.min_rate.max(1));
        self.started + self.grace.max(earned)
    }

    /// The error of a download that fell below the pace with `got` bytes.
    fn too_slow(&self, got: u64) -> PullError {
        PullError::TooSlow {
            got,
            elapsed: self.started.elapsed(),
            min_rate: self.min_rate,
        }
    }
}
