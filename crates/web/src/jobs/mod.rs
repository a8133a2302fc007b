//! Background work, run while the server runs: the worker (escalation of overdue
//! referrals, the e-mail queue), the SMTP client it sends with, and the audit checkpoints.

pub mod checkpoint;
pub mod mail;
pub mod worker;

/// What a stopping server does last: anchors the last audit entries of this run with a
/// checkpoint, and hands its job leases back so another node takes the jobs over at its
/// next pass instead of when the leases run out.
pub async fn at_shutdown(store: &store::Store, checkpoint_file: &std::path::Path) {
    if let Err(e) = checkpoint::tick(store, checkpoint_file).await {
        tracing::warn!(error = %e, "audit checkpoint at shutdown failed");
    }
    for job in [worker::LEASE, checkpoint::LEASE] {
        if let Err(e) = store.release_lease(job).await {
            tracing::warn!(error = %e, job, "releasing a job lease failed");
        }
    }
}
