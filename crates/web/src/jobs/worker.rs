//! The background work run while the server runs: finish the after-save steps of cases
//! whose steps failed (queued by the store), compare perpetrators not yet compared with
//! the others (recorded before perpetrator pairs existed, or whose check failed), escalate
//! overdue referrals (once each) and send the e-mails of new notifications over SMTP when
//! configured. An e-mail says only that something waits in Gugus and links to it: no
//! names, no case facts.
//!
//! With several servers on one database the worker runs on one of them at a time: the
//! node holding the [`LEASE`] (see `store::core::lease`); the others skip their passes
//! until its holder stops renewing it.

use crate::jobs::mail::{SmtpConfig, send};
use domain::notification::EmailState;
use std::time::Duration;
use store::Store;

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// `GUGUS_SMTP_URL`, parsed; `None` = no e-mail (in-app notifications only).
    pub smtp: Option<SmtpConfig>,
    /// The address users open, for the link in e-mails (`GUGUS_PUBLIC_URL`).
    pub public_url: String,
    /// How often to look for work.
    pub every: Duration,
    /// Publish the public statistics snapshot of each month that has ended, hiding counts
    /// below this (`GUGUS_PUBLIC_THRESHOLD`, 11 by default); `None` = do not publish.
    pub publish_threshold: Option<i64>,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    /// Queued after-save steps completed, and those that failed again.
    pub after_save_done: usize,
    pub after_save_failed: usize,
    /// Perpetrators compared with the others for possible pairs.
    pub perpetrators_checked: usize,
    pub escalated: usize,
    pub mailed: usize,
    pub failed: usize,
    /// Another node holds the worker's lease: this pass did nothing.
    pub elsewhere: bool,
}

/// The name of the worker's row in `job_leases`.
pub const LEASE: &str = "worker";

/// How long a lease taken by a job that runs every `every` lasts: three passes, and at
/// least 30 s, so a slow pass or a short pause does not hand the job to another node.
pub fn lease_time(every: Duration) -> Duration {
    (every * 3).max(Duration::from_secs(30))
}

fn subject(kind: &str) -> String {
    domain::notification::NotificationKind::email_subject_of(kind)
}

fn body(public_url: &str, link: &str) -> String {
    let url = format!("{}{link}", public_url.trim_end_matches('/'));
    format!(
        "Ada pemberitahuan baru untuk Anda di Gugus. Masuk untuk membacanya:\n{url}\n\n\
         There is a new notification for you in Gugus. Sign in to read it:\n{url}\n\n\
         E-mail ini tidak memuat data korban. / This e-mail holds no victim data.\n"
    )
}

/// One pass: the after-save queue, escalations, then up to 100 e-mails — on the node that
/// holds the worker's lease; elsewhere nothing.
pub async fn tick(store: &Store, cfg: &WorkerConfig) -> store::Result<TickReport> {
    if !store.take_lease(LEASE, lease_time(cfg.every)).await? {
        return Ok(TickReport {
            elsewhere: true,
            ..Default::default()
        });
    }
    let system = store::job_actor();
    let today = store.today(&system);
    // A failing step is logged and counted, never allowed to stop the others: escalations
    // and e-mails must go out even when the after-save queue cannot be read.
    let queue = store.run_after_save_queue().await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "after-save queue pass failed");
        store::QueuePass { done: 0, failed: 1 }
    });
    let perpetrators_checked = store
        .check_unchecked_perpetrators()
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "perpetrator pair check pass failed");
            0
        });
    let mut report = TickReport {
        after_save_done: queue.done,
        after_save_failed: queue.failed,
        perpetrators_checked,
        escalated: store.escalate_overdue(&system, today).await?,
        ..Default::default()
    };
    if let Some(threshold) = cfg.publish_threshold
        && let Err(e) = store.publish_due_snapshot(&system, today, threshold).await
    {
        tracing::warn!(error = %e, "public statistics snapshot failed");
    }
    let Some(smtp) = &cfg.smtp else {
        return Ok(report);
    };
    for m in store.pending_mail(&system, 100).await? {
        match send(
            smtp,
            &m.email,
            &subject(&m.kind),
            &body(&cfg.public_url, &m.link),
        )
        .await
        {
            Ok(()) => {
                crate::http::metrics::mail(true);
                store.mark_mail(&system, m.id, EmailState::Sent).await?;
                report.mailed += 1;
            }
            Err(e) => {
                // The address is personal data, and a server's refusal often repeats it: log
                // the notification id and the SMTP step and code only.
                let (step, code) = match &e {
                    crate::jobs::mail::MailError::Rejected { step, code, .. } => (*step, *code),
                    crate::jobs::mail::MailError::Timeout { step } => (*step, 0),
                    _ => ("connect", 0),
                };
                tracing::warn!(notification = m.id, step, code, "e-mail not sent");
                crate::http::metrics::mail(false);
                store.mark_mail(&system, m.id, EmailState::Failed).await?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// Runs [`tick`] every `cfg.every` until the process ends.
pub async fn run(store: Store, cfg: WorkerConfig) {
    let mut every = tokio::time::interval(cfg.every);
    loop {
        every.tick().await;
        let result = tick(&store, &cfg).await;
        // A pass left to the node holding the lease is no run of this node's.
        if !matches!(&result, Ok(r) if r.elsewhere) {
            crate::http::metrics::job_run("worker", result.is_ok());
        }
        if let Ok(r) = &result {
            crate::http::metrics::after_save_failed(r.after_save_failed);
        }
        match result {
            Ok(r) if r.elsewhere => tracing::trace!("worker runs on another node"),
            Ok(r) if r != TickReport::default() => {
                tracing::info!(
                    after_save_done = r.after_save_done,
                    after_save_failed = r.after_save_failed,
                    perpetrators_checked = r.perpetrators_checked,
                    escalated = r.escalated,
                    mailed = r.mailed,
                    failed = r.failed,
                    "recovery worker"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "recovery worker pass failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_holds_a_link_and_nothing_else() {
        let b = body("https://gugus.example.go.id/", "/referrals/12");
        assert!(b.contains("https://gugus.example.go.id/referrals/12"));
        assert!(subject("referral_received").starts_with("[Gugus] Rujukan baru"));
    }

    #[test]
    fn every_notification_kind_has_its_own_subject() {
        use domain::notification::NotificationKind;
        let generic = subject("no_such_kind");
        let mut seen = std::collections::HashSet::new();
        for k in NotificationKind::ALL {
            let s = subject(k.as_str());
            assert_ne!(s, generic, "{k} falls back to the generic subject");
            assert!(seen.insert(s), "{k} shares its subject");
        }
        // The two the old match missed.
        assert!(subject("referral_closed").contains("ditutup"));
        assert!(subject("referral_withdrawn").contains("dibatalkan"));
    }
}
