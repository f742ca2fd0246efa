//! The TCP listener the server accepts on, with the bounds a slow or greedy client must not
//! get past: a cap on open connections in all and per client address, and an idle timeout
//! on every connection (no byte moved either way for a while closes it), so a client that
//! opens connections and trickles headers or never reads its answer ties up only its own
//! share.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// Open connections in all; more wait in the kernel's backlog until one closes.
pub const MAX_CONNECTIONS: usize = 1024;
/// Open connections from one address (IPv6: one /64); more are closed at once. Browsers
/// open six per site; a club behind one NAT address is still far below this.
pub const MAX_CONNECTIONS_PER_CLIENT: u32 = 64;
/// A connection on which nothing moves for this long is closed: long enough for a phone
/// upload that stalls in a dead spot, short enough that idle sockets do not pile up.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

pub struct BoundedListener {
    inner: TcpListener,
    slots: Arc<Semaphore>,
    per_client: Arc<Mutex<HashMap<IpAddr, u32>>>,
    max_per_client: u32,
    idle: Duration,
}

impl BoundedListener {
    pub fn with_limits(
        inner: TcpListener,
        max_connections: usize,
        max_per_client: u32,
        idle: Duration,
    ) -> Self {
        Self {
            inner,
            slots: Arc::new(Semaphore::new(max_connections)),
            per_client: Arc::new(Mutex::new(HashMap::new())),
            max_per_client,
            idle,
        }
    }

    /// Counts a connection from `client`; `None` when it already has its share.
    fn admit(&self, client: IpAddr) -> Option<ClientSlot> {
        let mut counts = self.per_client.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(client).or_insert(0);
        if *count >= self.max_per_client {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            client,
            counts: Arc::clone(&self.per_client),
        })
    }
}

/// The key a client's connections are counted under: its address, and for IPv6 its /64
/// (one subscriber's whole network), with IPv4-mapped addresses as plain IPv4.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

impl Listener for BoundedListener {
    type Io = BoundedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let permit = Arc::clone(&self.slots)
                .acquire_owned()
                .await
                .expect("the connection semaphore is never closed");
            let (stream, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Some(client) = self.admit(client_key(addr.ip())) else {
                tracing::warn!(client = %client_key(addr.ip()), "connection refused: too many from one client");
                continue;
            };
            let stream = BoundedStream {
                inner: stream,
                idle: self.idle,
                timer: Box::pin(tokio::time::sleep(self.idle)),
                _slot: permit,
                _client: client,
            };
            return (stream, addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Gives back a client's share when its connection closes.
struct ClientSlot {
    client: IpAddr,
    counts: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.client);
            }
        }
    }
}

/// A connection that fails with `TimedOut` once nothing has moved for the idle timeout.
pub struct BoundedStream {
    inner: TcpStream,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
    _slot: OwnedSemaphorePermit,
    _client: ClientSlot,
}

impl BoundedStream {
    fn moved(&mut self) {
        self.timer.as_mut().reset(Instant::now() + self.idle);
    }

    /// While an operation waits, the idle timer decides whether it may go on waiting.
    fn check_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle for too long",
            )),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for BoundedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                self.moved();
                Poll::Ready(result)
            }
            Poll::Pending => self.check_idle(cx).map(Err),
        }
    }
}

impl AsyncWrite for BoundedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(result) => {
                self.moved();
                Poll::Ready(result)
            }
            Poll::Pending => self.check_idle(cx).map(Err),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending => self.check_idle(cx).map(Err),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn clients_are_counted_by_address_and_ipv6_by_network() {
        let key = |s: &str| client_key(s.parse().unwrap());
        assert_eq!(key("203.0.113.7"), key("::ffff:203.0.113.7"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    }

    async fn listener(
        max: usize,
        per_client: u32,
        idle: Duration,
    ) -> (SocketAddr, BoundedListener) {
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        (
            addr,
            BoundedListener::with_limits(inner, max, per_client, idle),
        )
    }

    #[tokio::test]
    async fn a_silent_connection_is_closed_after_the_idle_timeout() {
        let (addr, mut listener) = listener(8, 8, Duration::from_millis(200)).await;
        let _client = TcpStream::connect(addr).await.unwrap();
        let (mut conn, _) = listener.accept().await;
        let started = std::time::Instant::now();
        let mut buf = [0u8; 16];
        let err = conn.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_client_past_its_share_is_turned_away_and_its_slots_come_back() {
        let (addr, mut listener) = listener(8, 2, Duration::from_secs(10)).await;
        let (tx, mut accepted) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let (conn, _) = listener.accept().await;
                if tx.send(conn).is_err() {
                    return;
                }
            }
        });
        let _one = TcpStream::connect(addr).await.unwrap();
        let _two = TcpStream::connect(addr).await.unwrap();
        let first = accepted.recv().await.unwrap();
        let _second = accepted.recv().await.unwrap();
        // The third is accepted and closed at once: it reads end-of-stream.
        let mut third = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(2), third.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
        drop(first);
        let mut fourth = TcpStream::connect(addr).await.unwrap();
        let mut conn = accepted.recv().await.unwrap();
        fourth.write_all(b"hi").await.unwrap();
        let mut got = [0u8; 2];
        conn.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"hi");
    }
}
