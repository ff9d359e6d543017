//! Connections: the server accepts them itself, since axum's own `serve`
//! sets no timeouts. At most `Limits::connections` are open at once (the
//! others wait in the system's queue of the listening socket, using none
//! of the server's files, until one closes), and each is served by hyper's
//! HTTP/1.1 under three clocks: a request's header must arrive within the
//! header timeout (from the connection's opening, or from the first byte of
//! a later request), an answer must be taken and the next request begun
//! within the idle timeout, and (in the router) a body must arrive within
//! the body timeout.

use super::limits::Limits;
use axum::Router;
use axum::body::{Body, Bytes};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::service::Service as _;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

/// The clocks every connection runs under.
#[derive(Debug, Clone, Copy)]
struct Clocks {
    header: Duration,
    idle: Duration,
}

/// Serves `router` on connections from `listener` until `stop` completes,
/// then lets the requests under way finish and closes every connection.
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let cap = limits
        .connections
        .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let open = Arc::new(Semaphore::new(cap));
    let clocks = Clocks {
        header: limits.header_timeout,
        idle: limits.idle_timeout,
    };
    let (closing, closing_seen) = watch::channel(false);
    tokio::pin!(stop);
    loop {
        // A place first: beyond the cap, connections wait unaccepted.
        let place = tokio::select! {
            place = open.clone().acquire_owned() => place.map_err(std::io::Error::other)?,
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of files or a connection reset before it was
                    // taken: wait a moment rather than spin, and go on.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        tokio::spawn(connection(stream, router.clone(), clocks, place, closing_seen.clone()));
    }
    drop(listener);
    let _ = closing.send(true);
    // Every connection holds a place until it ends.
    let _all = open.acquire_many(cap as u32).await.map_err(std::io::Error::other)?;
    Ok(())
}

/// What a connection is doing, for its clocks.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// A request's header is arriving (since the connection opened or the
    /// request's first byte came).
    Heading(Instant),
    /// The request is read and answered: its body (under the body timeout,
    /// in the router), a run's wait for its turn, the run.
    Answering,
    /// The answer is ready and being sent (since it was ready).
    Sending(Instant),
    /// The answer was sent; nothing more asked yet (since then).
    Idle(Instant),
}

/// A connection's phase, shared by its reads, its requests and its clocks.
struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    /// The phase (nothing panics while holding it, so it is never poisoned).
    fn lock(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set(&self, phase: Phase) {
        *self.lock() = phase;
        self.changed.notify_one();
    }

    /// Bytes came in: after an answer, the next request has begun.
    fn read(&self) {
        let mut phase = self.lock();
        if matches!(*phase, Phase::Idle(_)) {
            *phase = Phase::Heading(Instant::now());
            drop(phase);
            self.changed.notify_one();
        }
    }

    /// When the connection's clock runs out in this phase (`None`: not while
    /// a request is being answered), or at once for a connection waiting
    /// for a request when the server is closing.
    fn deadline(&self, clocks: Clocks, closing: bool) -> Option<Instant> {
        match *self.lock() {
            Phase::Heading(_) | Phase::Idle(_) if closing => Some(Instant::now()),
            Phase::Heading(since) => Some(since + clocks.header),
            Phase::Answering => None,
            Phase::Sending(since) | Phase::Idle(since) => Some(since + clocks.idle),
        }
    }
}

/// A request's turn on its connection: the answer is sent when it is dropped.
struct Turn(Arc<Activity>);

impl Drop for Turn {
    fn drop(&mut self) {
        self.0.set(Phase::Idle(Instant::now()));
    }
}

/// An answer's body, holding its request's turn until it is sent.
struct Answer {
    body: Body,
    _turn: Turn,
}

impl hyper::body::Body for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The connection's socket, telling its activity when bytes come in.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Serves one connection until the client closes it, its clock runs out,
/// or the server closes; `_place` is its place under the cap.
async fn connection(
    stream: TcpStream,
    router: Router,
    clocks: Clocks,
    _place: OwnedSemaphorePermit,
    mut closing: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity {
        phase: Mutex::new(Phase::Heading(Instant::now())),
        changed: Notify::new(),
    });
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let router = TowerToHyperService::new(router);
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        requests.set(Phase::Answering);
        let turn = Turn(requests.clone());
        let answering = router.call(request);
        let requests = requests.clone();
        async move {
            let response = answering.await?;
            requests.set(Phase::Sending(Instant::now()));
            Ok::<_, std::convert::Infallible>(response.map(|body| Answer { body, _turn: turn }))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The clocks here stand in for hyper's own header timeout, which also
    // runs while a connection waits between requests.
    builder.header_read_timeout(None).keep_alive(true);
    let served = builder.serve_connection(io, service);
    tokio::pin!(served);
    let mut shutting = *closing.borrow();
    if shutting {
        served.as_mut().graceful_shutdown();
    }
    loop {
        let deadline = activity.deadline(clocks, shutting);
        let clock = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = served.as_mut() => break,
            () = clock => {
                if activity.deadline(clocks, shutting).is_some_and(|at| at <= Instant::now()) {
                    // Dropping the connection closes it.
                    break;
                }
            }
            () = activity.changed.notified() => {}
            _ = closing.changed(), if !shutting => {
                shutting = true;
                served.as_mut().graceful_shutdown();
            }
        }
    }
}
