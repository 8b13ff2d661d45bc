//! Group commit for placements. Handlers hand their order to a queue; a worker takes what has
//! gathered (up to `ATS_MAX_BATCH`), groups it by organization and places each group as one
//! batch (crate::placement): one insert for the records, the BD's checks at once, one commit
//! per book. While batches are in flight (at most `IN_FLIGHT`), new orders gather for the
//! next: under load the batches grow by themselves, when idle an order goes alone at once.

use std::collections::BTreeMap;
use std::sync::Arc;

use platform::{ApiError, RequestId};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::placement::{self, Answer, NewOrderRequest, Placement};

/// Batches placed at once by one process.
const IN_FLIGHT: usize = 4;

struct Job {
    org: String,
    placement: Placement,
    request_id: RequestId,
    reply: oneshot::Sender<Answer>,
}

#[derive(Clone)]
pub struct Batcher {
    queue: mpsc::Sender<Job>,
}

/// The worker's end of the queue, started once the service's state exists.
pub struct Worker {
    rx: mpsc::Receiver<Job>,
    max_batch: usize,
}

/// The queue: its sending end for the handlers, its worker for [`Worker::start`].
pub fn queue(max_batch: usize) -> (Batcher, Worker) {
    let (tx, rx) = mpsc::channel(max_batch.saturating_mul(IN_FLIGHT).max(64));
    (Batcher { queue: tx }, Worker { rx, max_batch })
}

impl Worker {
    /// Starts placing; stops when `shutdown` is cancelled, after answering what it took.
    pub fn start(
        self,
        state: AppState,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(work(state, self.rx, self.max_batch, shutdown))
    }
}

impl Batcher {
    /// Places one order, with whatever other orders are waiting.
    pub async fn place(&self, org: &str, subject: &str, request: NewOrderRequest) -> Answer {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            org: org.to_owned(),
            placement: Placement {
                subject: subject.to_owned(),
                request,
            },
            request_id: RequestId::current(),
            reply,
        };
        if self.queue.send(job).await.is_err() {
            return Err(ApiError::not_ready("the ATS is shutting down; retry"));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(ApiError::not_ready("the ATS is shutting down; retry")))
    }
}

async fn work(
    state: AppState,
    mut rx: mpsc::Receiver<Job>,
    max_batch: usize,
    shutdown: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        let first = tokio::select! {
            () = shutdown.cancelled() => break,
            job = rx.recv() => match job {
                Some(j) => j,
                None => break,
            },
        };
        // Wait for room before gathering: what arrives meanwhile joins this batch.
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let mut jobs = vec![first];
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let mut by_org: BTreeMap<String, Vec<Job>> = BTreeMap::new();
        for j in jobs {
            by_org.entry(j.org.clone()).or_default().push(j);
        }
        let state = state.clone();
        tokio::spawn(async move {
            let mut groups = tokio::task::JoinSet::new();
            for (org, jobs) in by_org {
                let state = state.clone();
                let request_id = jobs[0].request_id.clone();
                groups.spawn(platform::request_id::scope(request_id, async move {
                    let placements: Vec<Placement> =
                        jobs.iter().map(|j| j.placement.clone()).collect();
                    let answers = placement::place(&state, &org, &placements).await;
                    for (job, answer) in jobs.into_iter().zip(answers) {
                        // A caller that went away (timeout) does not stop the others.
                        let _ = job.reply.send(answer);
                    }
                }));
            }
            groups.join_all().await;
            drop(permit);
        });
    }
    // Let batches in flight finish before the pool closes.
    let _ = permits
        .acquire_many(u32::try_from(IN_FLIGHT).unwrap_or(8))
        .await;
}
