//! Group commit: durable writes of calculations share transactions.
//!
//! Every request hands its row to one dispatcher and waits for its own
//! answer. The dispatcher takes whatever rows are waiting (up to
//! `max_batch`) and commits them as one transaction; while a commit is in
//! flight (at most `max_in_flight` at once: 1 for SQLite, which has a
//! single writer, more for PostgreSQL), new rows queue and go into the next
//! one. So under load one fsync covers many requests, and a lone request
//! pays for one commit as before. A row is acknowledged only after the
//! transaction holding it committed; a row the store refuses (a constraint)
//! fails alone, its neighbours are stored.

use std::sync::Arc;

use thermaliq_store::{CalculationRecord, Store, StoreError};
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Rows waiting for the dispatcher beyond this make senders wait (backpressure).
const QUEUE_CAPACITY: usize = 16 * 1024;

struct Pending {
    record: CalculationRecord,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The handle requests use to store calculations through the group commit.
#[derive(Clone)]
pub struct CalculationWriter {
    queue: mpsc::Sender<Pending>,
}

/// How the writer batches.
#[derive(Debug, Clone, Copy)]
pub struct GroupCommit {
    /// The most rows in one transaction.
    pub max_batch: usize,
    /// Transactions committing at once.
    pub max_in_flight: usize,
}

impl CalculationWriter {
    /// Starts the dispatcher on the current runtime. It stops when every
    /// handle is dropped, after the rows already handed over are committed.
    pub fn spawn(store: Arc<dyn Store>, config: GroupCommit) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(dispatch(store, receiver, config));
        CalculationWriter { queue }
    }

    /// Stores one calculation; returns once it is durable (or refused).
    pub async fn store(&self, record: CalculationRecord) -> Result<(), StoreError> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Pending { record, done })
            .await
            .map_err(|_| StoreError::Unavailable("the calculation writer has stopped".into()))?;
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the calculation writer stopped before committing".into(),
            ))
        })
    }

    /// Stores many calculations; one result per record, in order.
    pub async fn store_all(&self, records: Vec<CalculationRecord>) -> Vec<Result<(), StoreError>> {
        let mut answers = Vec::with_capacity(records.len());
        for record in records {
            let (done, answer) = oneshot::channel();
            if self.queue.send(Pending { record, done }).await.is_err() {
                let (tx, rx) = oneshot::channel();
                let _ = tx.send(Err(StoreError::Unavailable(
                    "the calculation writer has stopped".into(),
                )));
                answers.push(rx);
            } else {
                answers.push(answer);
            }
        }
        let mut results = Vec::with_capacity(answers.len());
        for answer in answers {
            results.push(answer.await.unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    "the calculation writer stopped before committing".into(),
                ))
            }));
        }
        results
    }
}

async fn dispatch(
    store: Arc<dyn Store>,
    mut receiver: mpsc::Receiver<Pending>,
    config: GroupCommit,
) {
    let slots = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
    let max_batch = config.max_batch.max(1);
    while let Some(first) = receiver.recv().await {
        // Waiting for a free slot is when the next batch fills up.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let mut batch = Vec::with_capacity(max_batch.min(256));
        batch.push(first);
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        let store = store.clone();
        tokio::spawn(async move {
            commit(store.as_ref(), batch).await;
            drop(slot);
        });
    }
    // Every handle is gone: wait for the commits in flight.
    let _ = slots
        .acquire_many(u32::try_from(config.max_in_flight.max(1)).unwrap_or(1))
        .await;
}

async fn commit(store: &dyn Store, batch: Vec<Pending>) {
    let (records, waiters): (Vec<_>, Vec<_>) =
        batch.into_iter().map(|p| (p.record, p.done)).unzip();
    match store.insert_calculations(&records).await {
        Ok(outcomes) => {
            for (done, outcome) in waiters.into_iter().zip(outcomes) {
                let _ = done.send(outcome);
            }
        }
        Err(err) => {
            // Nothing of the batch is durable; every request hears why.
            tracing::warn!(
                component = "GroupCommit",
                rows = records.len() as u64,
                error_type = "DatabaseError",
                error_message = %err,
                "Group commit failed"
            );
            let message = err.to_string();
            for done in waiters {
                let _ = done.send(Err(StoreError::Unavailable(message.clone())));
            }
        }
    }
}
