//! A connection's writes fail once its client has accepted nothing for a while, or accepts too slowly. A
//! client that asks for a large content and stops reading (slow read), or reads a byte now and then, would
//! otherwise hold its connection, with its descriptor and a chunk of the content in memory, for as long as
//! it likes; hyper has no write timeout.
//!
//! The rate is measured over the time writes wait for the client, not over the connection's life: a
//! kept-alive connection idle between requests is not slow, and a fast client's writes barely wait.

use std::{
    future::Future,
    io,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    time::{Instant, Sleep},
};

/// `inner`, whose writes fail after `limit` without progress, or when, over `limit` of waiting for the
/// client, fewer than `min_rate` bytes per second of it were written.
pub struct StallGuard<T> {
    inner: T,
    limit: Duration,
    min_rate: u64,
    /// Running while a write waits for the client.
    stalled: Option<Pin<Box<Sleep>>>,
    /// Since when the current write waits for the client.
    waiting_since: Option<Instant>,
    /// Time writes waited for the client, and bytes written, since the rate was last checked.
    waited: Duration,
    written: u64,
}

impl<T> StallGuard<T> {
    /// Guards `inner`'s writes with `limit` and `min_rate` (bytes per second of waiting).
    pub fn new(inner: T, limit: Duration, min_rate: u64) -> Self {
        Self {
            inner,
            limit,
            min_rate,
            stalled: None,
            waiting_since: None,
            waited: Duration::ZERO,
            written: 0,
        }
    }

    /// Counts a finished write of `written` bytes; an error once a full `limit` of waiting moved too little.
    fn pace(&mut self, written: usize) -> io::Result<()> {
        self.written += written as u64;
        if self.waited < self.limit {
            return Ok(());
        }
        let owed = (self.min_rate as f64 * self.waited.as_secs_f64()) as u64;
        let slow = self.written < owed;
        self.waited = Duration::ZERO;
        self.written = 0;
        match slow {
            true => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client reads slower than the minimum rate",
            )),
            false => Ok(()),
        }
    }

    /// `attempt`'s result; while it is pending, the stall timer runs, and it failing ends the write.
    fn guard<R>(
        &mut self,
        cx: &mut Context<'_>,
        attempt: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        if attempt.is_ready() {
            self.stalled = None;
            if let Some(since) = self.waiting_since.take() {
                self.waited += since.elapsed();
            }
            return attempt;
        }
        self.waiting_since.get_or_insert_with(Instant::now);
        let limit = self.limit;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read nothing for too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> StallGuard<T> {
    /// A write's `attempt`, guarded for stalls and paced.
    fn paced(
        &mut self,
        cx: &mut Context<'_>,
        attempt: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match self.guard(cx, attempt) {
            Poll::Ready(Ok(n)) => Poll::Ready(self.pace(n).map(|()| n)),
            other => other,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for StallGuard<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for StallGuard<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let attempt = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.paced(cx, attempt)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let attempt = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.paced(cx, attempt)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let attempt = Pin::new(&mut self.inner).poll_flush(cx);
        self.guard(cx, attempt)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_write_the_peer_never_reads_fails_after_the_limit() {
        let (client, server) = tokio::io::duplex(1024);
        let mut guarded = StallGuard::new(server, Duration::from_millis(100), 0);
        let started = std::time::Instant::now();
        let err = guarded
            .write_all(&[0u8; 64 * 1024])
            .await
            .expect_err("the peer reads nothing");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(2));
        drop(client);
    }

    /// Reads `client` in `piece`-byte reads, `every` apart, until it closes.
    async fn read_slowly(mut client: tokio::io::DuplexStream, piece: usize, every: Duration) {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; piece];
        while client.read(&mut buf).await.is_ok_and(|n| n > 0) {
            tokio::time::sleep(every).await;
        }
    }

    #[tokio::test]
    async fn a_client_reading_a_trickle_is_dropped() {
        // 16 bytes every 20 ms, 800 B/s: never a stall, but 12 times below the minimum.
        let (client, server) = tokio::io::duplex(1024);
        let reader = tokio::spawn(read_slowly(client, 16, Duration::from_millis(20)));
        let mut guarded = StallGuard::new(server, Duration::from_millis(500), 10_000);
        let err = tokio::time::timeout(
            Duration::from_secs(60),
            guarded.write_all(&[0u8; 256 * 1024]),
        )
        .await
        .expect("dropped long before the 5 minutes the trickle takes")
        .expect_err("the client reads too slowly");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(guarded);
        reader.await.unwrap();
    }

    #[tokio::test]
    async fn a_client_reading_fast_is_served_and_idle_time_is_not_slowness() {
        let (client, server) = tokio::io::duplex(1024);
        let reader = tokio::spawn(read_slowly(client, 64 * 1024, Duration::ZERO));
        let mut guarded = StallGuard::new(server, Duration::from_millis(200), 1000);
        guarded.write_all(&[0u8; 64 * 1024]).await.unwrap();
        // A kept-alive connection waits for its next request: no write waits meanwhile.
        tokio::time::sleep(Duration::from_millis(500)).await;
        guarded.write_all(&[0u8; 64 * 1024]).await.unwrap();
        drop(guarded);
        reader.await.unwrap();
    }
}
