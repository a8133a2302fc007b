//! What a user's home page counts for their role: the unit's cases by review state and
//! its returned cases (those who register and submit), the review queue's size and its
//! oldest record (verifiers), the cases of the user's region by state (everyone who may
//! read cases). Each count is scoped like the lists it stands for.

use super::records::QueueRecord;
use super::*;

/// The region's cases by state, per scope, with when they were counted (unix ms): a
/// national count reads every case (0.7 s at 1,000,000 on SQLite), so the figures of an
/// overview are reused for [`super::quality::QUALITY_TTL_MS`], as the data-quality page's
/// are.
pub(crate) type FiguresCache =
    std::sync::Arc<std::sync::Mutex<HashMap<String, (i64, Vec<(String, i64)>)>>>;

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
    /// The actor's work; with `overview`, also the region's cases by state (possibly up to
    /// five minutes old).
    pub async fn home_work(&self, actor: &Actor, overview: bool) -> Result<HomeWork> {
        let mut out = HomeWork::default();
        if decide(actor, Action::ViewCase, &actor.scope).is_err() {
            return Ok(out);
        }
        let now = self.now_ms();
        if decide(actor, Action::SubmitCase, &actor.scope).is_ok() {
            // By the unit alone: its cases lie in its region (a region condition here made
            // every one of them a table lookup, ~270 ms for a regency at 1,000,000 cases).
            let mut q = Sql::new("SELECT c.review_state, COUNT(*) FROM cases c WHERE c.unit_id = ");
            q.bind_int(actor.unit_id.0);
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
        if overview {
            out.scope_states = self.scope_states(actor).await?;
        }
        Ok(out)
    }

    /// The cases of the actor's region (or the country) by review state, from the cache
    /// when counted in the last five minutes.
    async fn scope_states(&self, actor: &Actor) -> Result<Vec<(String, i64)>> {
        let key = format!("{:?}", actor.scope);
        let now = self.now_ms();
        let cached = self.figures_cache.lock().ok().and_then(|c| {
            c.get(&key)
                .filter(|(at, _)| now - at < super::quality::QUALITY_TTL_MS)
                .map(|(_, v)| v.clone())
        });
        if let Some(v) = cached {
            return Ok(v);
        }
        let mut q = Sql::new("SELECT c.review_state, COUNT(*) FROM cases c WHERE 1=1");
        q.scope("c.region_code", &actor.scope);
        q.push(" GROUP BY c.review_state");
        let v = q.build_as::<(String, i64)>().fetch_all(self.pool()).await?;
        if let Ok(mut c) = self.figures_cache.lock() {
            c.insert(key, (now, v.clone()));
        }
        Ok(v)
    }
}
