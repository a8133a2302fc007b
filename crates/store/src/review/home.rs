//! What a user's home page counts for their role: the unit's cases by review state and
//! its returned cases (those who register and submit), the review queue's size and its
//! oldest record (verifiers), the cases of the user's region by state (everyone who may
//! read cases). Each count is scoped like the lists it stands for.

use super::records::QueueRecord;
use super::*;

/// A user's work and figures, for the home page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HomeWork {
    /// The user's unit's cases by review state (`draft`, `returned`, `submitted`, …), for
    /// those who submit cases.
    pub unit_states: Vec<(String, i64)>,
    /// The unit's returned cases, oldest first (at most 5).
    pub returned: Vec<QueueItem>,
    /// For those who verify or clear: how many records wait, and the oldest.
    pub queue: Option<(i64, Option<QueueItem>)>,
    /// The cases of the user's region (or the country) by review state.
    pub scope_states: Vec<(String, i64)>,
}

impl HomeWork {
    /// The count for `state` in `list` (0 when none).
    pub fn count(list: &[(String, i64)], state: &str) -> i64 {
        list.iter()
            .find(|(s, _)| s == state)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }
}

const QUEUE_SELECT: &str = "SELECT c.id, c.code, c.review_state, c.region_code, n.name AS unit_name, COALESCE(c.state_since, c.created_at) AS since, c.returns \
     FROM cases c JOIN units n ON n.id = c.unit_id WHERE ";

impl Store {
    pub async fn home_work(&self, actor: &Actor) -> Result<HomeWork> {
        let mut out = HomeWork::default();
        if decide(actor, Action::ViewCase, &actor.scope).is_err() {
            return Ok(out);
        }
        let now = self.now_ms();
        if decide(actor, Action::SubmitCase, &actor.scope).is_ok() {
            let mut q = Sql::new("SELECT c.review_state, COUNT(*) FROM cases c WHERE c.unit_id = ");
            q.bind_int(actor.unit_id.0);
            q.scope("c.region_code", &actor.scope);
            q.push(" GROUP BY c.review_state");
            out.unit_states = q.build_as::<(String, i64)>().fetch_all(self.pool()).await?;
            if HomeWork::count(&out.unit_states, "returned") > 0 {
                let mut q = Sql::new(QUEUE_SELECT);
                q.push("c.unit_id = ")
                    .bind_int(actor.unit_id.0)
                    .push(" AND c.review_state = 'returned'");
                q.scope("c.region_code", &actor.scope);
                q.push(" ORDER BY since, c.id LIMIT 5");
                out.returned = q
                    .build_as::<QueueRecord>()
                    .fetch_all(self.pool())
                    .await?
                    .into_iter()
                    .map(|r| r.into_item(now))
                    .collect();
            }
        }
        if Self::reviewer_queue(actor, &mut Sql::new("")) {
            let all = QueueFilter::default();
            let n = self.review_queue_count(actor, &all).await?;
            let (oldest, _) = self.review_queue_page(actor, &all, 0, 1).await?;
            out.queue = Some((n, oldest.into_iter().next()));
        }
        let mut q = Sql::new("SELECT c.review_state, COUNT(*) FROM cases c WHERE 1=1");
        q.scope("c.region_code", &actor.scope);
        q.push(" GROUP BY c.review_state");
        out.scope_states = q.build_as::<(String, i64)>().fetch_all(self.pool()).await?;
        Ok(out)
    }
}
