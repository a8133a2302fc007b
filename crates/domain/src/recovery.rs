//! Recovery until complete (*sampai paripurna*): the states of services and referrals, what
//! a referral shares, who may do what with a referral, the restitution ledger and its legal
//! clocks. Pure code: the store applies these decisions, the web layer only shows them.

use crate::authz::{Action, Actor, Denied, Scope, decide};
use crate::case::Day;
use crate::ids::UnitId;
use serde::Serialize;

crate::str_enum::str_enum! {
    /// Where one service for one victim stands.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum ServiceStatus {
        Planned,
        InProgress,
        Delivered,
        /// The victim refused it (a reason is recorded).
        Refused,
        /// It could not be given (a reason is required).
        NotPossible,
    }
}

impl ServiceStatus {
    /// Still work to do (on someone's task list).
    pub fn is_open(self) -> bool {
        matches!(self, ServiceStatus::Planned | ServiceStatus::InProgress)
    }
    /// A reason must be written down.
    pub fn needs_reason(self) -> bool {
        matches!(self, ServiceStatus::Refused | ServiceStatus::NotPossible)
    }
}

crate::str_enum::str_enum! {
    /// A referral's life: sent → accepted / declined → delivered → closed, or withdrawn by the
    /// sender while it is still open.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum ReferralState {
        Sent,
        Accepted,
        Declined,
        Delivered,
        Closed,
        Withdrawn,
    }
}

impl ReferralState {
    /// The receiving unit has access while the referral is open.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ReferralState::Sent | ReferralState::Accepted | ReferralState::Delivered
        )
    }
    /// Work is still owed (overdue counts only here): an answer, or the service.
    pub fn is_pending(self) -> bool {
        matches!(self, ReferralState::Sent | ReferralState::Accepted)
    }
    /// Days a referral in this state, due on `due_on`, is late on `today`: 0 unless work is
    /// still owed after its due day.
    pub fn days_overdue(self, due_on: Day, today: Day) -> Day {
        if self.is_pending() {
            (today - due_on).max(0)
        } else {
            0
        }
    }
}

crate::str_enum::str_enum! {
    /// What a referral asks of the receiving unit: one service, or to take over the victim's
    /// follow-up (no service code).
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum ReferralKind {
        Service,
        Takeover,
    }
}

impl ReferralKind {
    /// A service referral names the service it asks for; a takeover does not.
    pub fn needs_service(self) -> bool {
        self == ReferralKind::Service
    }
}

crate::str_enum::str_enum! {
    /// What a user asks to do with a referral.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum ReferralOp {
        Accept,
        Decline,
        Deliver,
        Close,
        Withdraw,
    }
}

impl ReferralOp {
    /// Which side of the referral does this: the receiving unit answers and delivers; the
    /// sending side withdraws; either side closes once the service is delivered.
    pub fn by_receiver(self) -> bool {
        matches!(
            self,
            ReferralOp::Accept | ReferralOp::Decline | ReferralOp::Deliver
        )
    }
}

/// The next state, or `None` when the operation is not possible from `from`.
pub fn referral_next(from: ReferralState, op: ReferralOp) -> Option<ReferralState> {
    use ReferralOp as O;
    use ReferralState as S;
    match (from, op) {
        (S::Sent, O::Accept) => Some(S::Accepted),
        (S::Sent, O::Decline) => Some(S::Declined),
        (S::Accepted, O::Deliver) => Some(S::Delivered),
        (S::Delivered, O::Close) => Some(S::Closed),
        (S::Sent | S::Accepted, O::Withdraw) => Some(S::Withdrawn),
        _ => None,
    }
}

crate::str_enum::str_enum! {
    /// The groups of fields a sender may share with the receiving unit (minimum necessary: the
    /// sender ticks what the receiver needs). The victim's initials, sex, age, the requested
    /// service and the sender's message are always part of a referral.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum ShareGroup {
        /// Full name, NIK, date of birth.
        Identity,
        /// Phone number and home village.
        Contact,
        /// Forms of exploitation, sector, dates of the case (no chronology).
        CaseFacts,
        /// Assessed needs and the services given so far.
        Services,
        /// The legal track's stages.
        Legal,
    }
}

impl ShareGroup {
    /// Parses a stored comma list, ignoring unknown words.
    pub fn parse_list(s: &str) -> Vec<ShareGroup> {
        let mut v: Vec<ShareGroup> = s.split(',').filter_map(ShareGroup::parse).collect();
        v.dedup();
        v
    }
    pub fn join(groups: &[ShareGroup]) -> String {
        Self::ALL
            .into_iter()
            .filter(|g| groups.contains(g))
            .map(ShareGroup::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// How the actor stands towards one referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralSide {
    /// The sending unit, or anyone who may manage the case's services in its region.
    Sender,
    /// The receiving unit, while the referral is open.
    Receiver,
    /// Someone who reaches the referral only through their region (the case's region, or
    /// a region above either unit): reads an overdue referral's units, service kind, due
    /// day and state, never the case, the victim or the texts; does not act.
    Overseer,
}

/// What is known about a referral when deciding access.
#[derive(Debug, Clone)]
pub struct ReferralFacts {
    pub from_unit: UnitId,
    pub to_unit: UnitId,
    pub state: ReferralState,
    /// Where the case lives (the registering unit's region).
    pub case_scope: Scope,
    /// Where the two units are: the task forces above them follow an overdue referral.
    pub from_scope: Scope,
    pub to_scope: Scope,
    /// Work is still owed after the due day (on the actor's today): only then do
    /// overseers see it.
    pub overdue: bool,
}

/// The one decision about referrals, next to [`decide`]: the receiving unit reaches the
/// victim only through an open referral, and only roles that work with identities do;
/// everybody else who reaches it through their region is an overseer, and only while it is
/// overdue. Anything else is "not found". (The store's "escalated" list selects the same
/// overseers' rows in SQL: `referrals::escalated_filter`.)
pub fn referral_side(actor: &Actor, f: &ReferralFacts) -> Result<ReferralSide, Denied> {
    let manages = decide(actor, Action::ManageServices, &f.case_scope).is_ok();
    if actor.unit_id == f.from_unit && manages {
        return Ok(ReferralSide::Sender);
    }
    if actor.unit_id == f.to_unit && f.state.is_open() && actor.role.sees_identities() {
        return Ok(ReferralSide::Receiver);
    }
    if manages {
        return Ok(ReferralSide::Sender);
    }
    // The case's region, or a region strictly above either unit (the task force above a
    // unit that lets a referral run late): reads that it is late, never the texts, the
    // case or the victim; a referral on time does not exist for it.
    let above = |unit: &Scope| actor.scope != *unit && actor.scope.contains(unit);
    if f.overdue
        && (decide(actor, Action::ViewCase, &f.case_scope).is_ok()
            || above(&f.from_scope)
            || above(&f.to_scope))
    {
        return Ok(ReferralSide::Overseer);
    }
    Err(Denied::NotFound)
}

/// May the actor perform `op` on the referral? (Which transitions exist is
/// [`referral_next`]'s business.)
pub fn referral_may(side: ReferralSide, op: ReferralOp) -> Result<(), Denied> {
    match (side, op) {
        (ReferralSide::Receiver, o) if o.by_receiver() || o == ReferralOp::Close => Ok(()),
        (ReferralSide::Sender, ReferralOp::Withdraw | ReferralOp::Close) => Ok(()),
        _ => Err(Denied::Forbidden),
    }
}

crate::str_enum::str_enum! {
    /// The two tracks of the ledger: restitution paid by the offender, compensation paid by the
    /// state through LPSK.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum LedgerTrack {
        Restitution,
        Compensation,
    }
}

impl LedgerTrack {}

crate::str_enum::str_enum! {
    /// One ledger line. Amounts are whole rupiah.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum LedgerKind {
        /// LPSK's assessment of the loss.
        Assessment,
        /// The prosecutor's demand.
        Demand,
        /// The court's award.
        Award,
        /// Money deposited (consigned) with the court or prosecutor.
        Deposit,
        /// Money received by the victim (partial payments allowed).
        Payment,
        /// The warning after the 14 days (amount 0).
        Warning,
        /// Assets seized and auctioned (the amount they yielded, may be 0).
        Seizure,
    }
}

impl LedgerKind {
    /// Money that reached the victim (counts against the award).
    pub fn pays(self) -> bool {
        matches!(self, LedgerKind::Payment | LedgerKind::Seizure)
    }
    /// Kinds that carry an amount (a warning does not).
    pub fn has_amount(self) -> bool {
        !matches!(self, LedgerKind::Warning)
    }
}

/// Sums of one track of one victim (or of many).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LedgerSums {
    /// The latest assessment, demand and award (a later one replaces an earlier one).
    pub assessed: i64,
    pub demanded: i64,
    pub awarded: i64,
    pub deposited: i64,
    pub paid: i64,
}

impl LedgerSums {
    /// From one victim's lines of one track, in date order.
    pub fn of(lines: &[(LedgerKind, i64)]) -> LedgerSums {
        let mut s = LedgerSums::default();
        for (k, a) in lines {
            s.push(*k, *a);
        }
        s
    }
    /// Adds one line (a later assessment, demand or award replaces the earlier one).
    pub fn push(&mut self, kind: LedgerKind, amount: i64) {
        match kind {
            LedgerKind::Assessment => self.assessed = amount,
            LedgerKind::Demand => self.demanded = amount,
            LedgerKind::Award => self.awarded = amount,
            LedgerKind::Deposit => self.deposited = self.deposited.saturating_add(amount),
            LedgerKind::Payment | LedgerKind::Seizure => {
                self.paid = self.paid.saturating_add(amount)
            }
            LedgerKind::Warning => {}
        }
    }
    /// Whether one more line keeps the track's running totals within the one cap on money
    /// ([`crate::value::RUPIAH_MAX`]); the ledger refuses a line that does not, so every
    /// victim's sums stay far below `i64::MAX`.
    pub fn fits(&self, kind: LedgerKind, amount: i64) -> bool {
        let total = match kind {
            LedgerKind::Deposit => self.deposited.checked_add(amount),
            LedgerKind::Payment | LedgerKind::Seizure => self.paid.checked_add(amount),
            _ => Some(amount),
        };
        total.is_some_and(|t| crate::value::Rupiah::new(t).is_some())
    }
    /// What the court awarded and the victim has not received (restitution).
    pub fn outstanding(&self) -> i64 {
        (self.awarded - self.paid).max(0)
    }
    /// What is owed on a track: the court's award; for compensation without an award line,
    /// what LPSK assessed (the state pays what LPSK decided).
    pub fn owed(&self, track: LedgerTrack) -> i64 {
        match track {
            LedgerTrack::Restitution => self.awarded,
            LedgerTrack::Compensation if self.awarded > 0 => self.awarded,
            LedgerTrack::Compensation => self.assessed,
        }
    }
    /// What is owed on the track and not yet paid.
    pub fn outstanding_on(&self, track: LedgerTrack) -> i64 {
        (self.owed(track) - self.paid).max(0)
    }
    /// Adds another victim's sums (a region's totals). Each victim's sums are capped when
    /// written; the totals saturate rather than wrap, so a total is never negative.
    pub fn add(&mut self, o: &LedgerSums) {
        self.assessed = self.assessed.saturating_add(o.assessed);
        self.demanded = self.demanded.saturating_add(o.demanded);
        self.awarded = self.awarded.saturating_add(o.awarded);
        self.deposited = self.deposited.saturating_add(o.deposited);
        self.paid = self.paid.saturating_add(o.paid);
    }
}

/// One victim's ledger summed: both tracks and the first restitution warning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LedgerParts {
    pub restitution: LedgerSums,
    pub compensation: LedgerSums,
    pub warned_on: Option<Day>,
}

impl LedgerParts {
    /// From one victim's lines in date order: (track, kind, amount, day); unknown words are
    /// skipped.
    pub fn of<'a>(lines: impl IntoIterator<Item = (&'a str, &'a str, i64, Day)>) -> LedgerParts {
        let mut p = LedgerParts::default();
        for (track, kind, amount, day) in lines {
            let (Some(track), Some(kind)) = (LedgerTrack::parse(track), LedgerKind::parse(kind))
            else {
                continue;
            };
            match track {
                LedgerTrack::Restitution => {
                    p.restitution.push(kind, amount);
                    if kind == LedgerKind::Warning && p.warned_on.is_none() {
                        p.warned_on = Some(day);
                    }
                }
                LedgerTrack::Compensation => p.compensation.push(kind, amount),
            }
        }
        p
    }
    pub fn track(&self, track: LedgerTrack) -> &LedgerSums {
        match track {
            LedgerTrack::Restitution => &self.restitution,
            LedgerTrack::Compensation => &self.compensation,
        }
    }
}

/// Days the offender has to pay after the final verdict, and again after the warning
/// (PERMA 1/2022; UU 21/2007 Ps. 50).
pub const RESTITUTION_DAYS: Day = 14;

crate::str_enum::str_enum! {
    /// Where the restitution clock stands.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum ClockState {
        /// No final verdict (or no award) yet.
        NotStarted,
        /// Within the 14 days after the final verdict.
        Running,
        /// The 14 days passed unpaid: a warning is due.
        WarningDue,
        /// Warned; within the second 14 days.
        Warned,
        /// The second period passed unpaid: assets are to be seized.
        SeizureDue,
        /// Nothing outstanding.
        Paid,
    }
}

impl ClockState {
    /// Someone must act now.
    pub fn is_late(self) -> bool {
        matches!(self, ClockState::WarningDue | ClockState::SeizureDue)
    }
}

/// The restitution clock of one victim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clock {
    pub state: ClockState,
    /// Final verdict + 14 days.
    pub due_on: Option<Day>,
    /// Warning (or, if none recorded, the due day) + 14 days.
    pub seizure_on: Option<Day>,
}

/// Computes the clock from the final verdict's day, the day a warning was recorded, the sums
/// and today.
pub fn restitution_clock(
    final_on: Option<Day>,
    warned_on: Option<Day>,
    sums: &LedgerSums,
    today: Day,
) -> Clock {
    let Some(final_on) = final_on.filter(|_| sums.awarded > 0) else {
        return Clock {
            state: ClockState::NotStarted,
            due_on: None,
            seizure_on: None,
        };
    };
    let due_on = final_on + RESTITUTION_DAYS;
    let seizure_on = warned_on.unwrap_or(due_on) + RESTITUTION_DAYS;
    let state = if sums.outstanding() == 0 {
        ClockState::Paid
    } else if today <= due_on {
        ClockState::Running
    } else if warned_on.is_none() {
        ClockState::WarningDue
    } else if today <= seizure_on {
        ClockState::Warned
    } else {
        ClockState::SeizureDue
    };
    Clock {
        state,
        due_on: Some(due_on),
        seizure_on: Some(seizure_on),
    }
}

/// A need is met when a service of its kind was delivered.
pub fn need_met<'a>(
    code: &str,
    mut services: impl Iterator<Item = (&'a str, ServiceStatus)>,
) -> bool {
    services.any(|(c, s)| c == code && s == ServiceStatus::Delivered)
}

/// Why a victim's plan cannot be closed yet (message keys, with the service code concerned).
pub fn closure_blockers(
    needs: &[(String, bool)],
    services: &[(String, ServiceStatus)],
    followup_on: Option<Day>,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (code, explained) in needs {
        if !need_met(code, services.iter().map(|(c, s)| (c.as_str(), *s))) && !explained {
            out.push(("plan.block_need", code.clone()));
        }
    }
    for (code, s) in services {
        if s.is_open() {
            out.push(("plan.block_open_service", code.clone()));
        }
    }
    if followup_on.is_none() {
        out.push(("plan.block_followup", String::new()));
    }
    if needs.is_empty() {
        out.push(("plan.block_no_assessment", String::new()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::RegionCode;
    use crate::role::Role;

    fn actor(role: Role, unit: i64, scope: &'static str) -> Actor {
        Actor {
            user_id: None,
            username: "t".into(),
            unit_id: UnitId(unit),
            role,
            scope: if scope.is_empty() {
                Scope::National
            } else {
                Scope::Region(RegionCode::trusted(scope))
            },
            origin: None,
        }
    }

    fn facts(state: ReferralState) -> ReferralFacts {
        ReferralFacts {
            from_unit: UnitId(2),
            to_unit: UnitId(5),
            state,
            case_scope: Scope::Region(RegionCode::trusted("62.71")),
            from_scope: Scope::Region(RegionCode::trusted("62.71")),
            to_scope: Scope::Region(RegionCode::trusted("53.01")),
            overdue: false,
        }
    }

    fn overdue(state: ReferralState) -> ReferralFacts {
        ReferralFacts {
            overdue: true,
            ..facts(state)
        }
    }

    #[test]
    fn referral_states_follow_the_path() {
        use ReferralOp as O;
        use ReferralState as S;
        assert_eq!(referral_next(S::Sent, O::Accept), Some(S::Accepted));
        assert_eq!(referral_next(S::Sent, O::Decline), Some(S::Declined));
        assert_eq!(referral_next(S::Accepted, O::Deliver), Some(S::Delivered));
        assert_eq!(referral_next(S::Delivered, O::Close), Some(S::Closed));
        assert_eq!(referral_next(S::Accepted, O::Withdraw), Some(S::Withdrawn));
        assert_eq!(referral_next(S::Sent, O::Deliver), None);
        assert_eq!(referral_next(S::Closed, O::Accept), None);
        assert_eq!(referral_next(S::Declined, O::Withdraw), None);
        assert_eq!(referral_next(S::Delivered, O::Withdraw), None);
    }

    #[test]
    fn the_receiving_unit_sees_the_victim_only_while_the_referral_is_open() {
        let receiver = actor(Role::CaseWorker, 5, "53.01");
        for s in ReferralState::ALL {
            let got = referral_side(&receiver, &facts(s));
            if s.is_open() {
                assert_eq!(got, Ok(ReferralSide::Receiver), "{s:?}");
            } else {
                assert_eq!(got, Err(Denied::NotFound), "{s:?}");
            }
        }
        // Roles that never see identities do not get them through a referral either.
        let viewer = actor(Role::Viewer, 5, "53.01");
        assert_eq!(
            referral_side(&viewer, &facts(ReferralState::Sent)),
            Err(Denied::NotFound)
        );
        // A partner officer of the receiving unit does.
        let partner = actor(Role::PartnerOfficer, 5, "53.01");
        assert_eq!(
            referral_side(&partner, &facts(ReferralState::Accepted)),
            Ok(ReferralSide::Receiver)
        );
        // Another unit of the same regency is not the receiver.
        let other = actor(Role::CaseWorker, 6, "53.01");
        assert_eq!(
            referral_side(&other, &facts(ReferralState::Sent)),
            Err(Denied::NotFound)
        );
        // The province above the receiving unit follows it once it is overdue, without the
        // victim's data; before, it does not exist for it.
        let ntt = actor(Role::DataOfficer, 7, "53");
        assert_eq!(
            referral_side(&ntt, &overdue(ReferralState::Sent)),
            Ok(ReferralSide::Overseer)
        );
        assert_eq!(
            referral_side(&ntt, &facts(ReferralState::Sent)),
            Err(Denied::NotFound)
        );
        let elsewhere = actor(Role::DataOfficer, 8, "35");
        assert_eq!(
            referral_side(&elsewhere, &overdue(ReferralState::Sent)),
            Err(Denied::NotFound)
        );
        // Another unit of the receiving unit's own regency is not above it.
        assert_eq!(
            referral_side(&other, &overdue(ReferralState::Sent)),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn senders_and_overseers() {
        let sender = actor(Role::DataOfficer, 2, "62.71");
        assert_eq!(
            referral_side(&sender, &facts(ReferralState::Closed)),
            Ok(ReferralSide::Sender)
        );
        let province = actor(Role::Verifier, 3, "62");
        assert_eq!(
            referral_side(&province, &overdue(ReferralState::Sent)),
            Ok(ReferralSide::Overseer)
        );
        // On time, or ended (never overdue), it is not found for the province.
        for s in [ReferralState::Sent, ReferralState::Closed] {
            assert_eq!(
                referral_side(&province, &facts(s)),
                Err(Denied::NotFound),
                "{s:?}"
            );
        }
        // The sending and receiving sides do not depend on the due day.
        assert_eq!(
            referral_side(&sender, &overdue(ReferralState::Sent)),
            Ok(ReferralSide::Sender)
        );
        assert_eq!(
            referral_side(
                &actor(Role::CaseWorker, 5, "53.01"),
                &overdue(ReferralState::Sent)
            ),
            Ok(ReferralSide::Receiver)
        );
        assert_eq!(ReferralState::Accepted.days_overdue(10, 13), 3);
        assert_eq!(ReferralState::Sent.days_overdue(10, 9), 0);
        assert_eq!(ReferralState::Closed.days_overdue(10, 13), 0);
        assert_eq!(
            referral_may(ReferralSide::Overseer, ReferralOp::Close),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            referral_may(ReferralSide::Sender, ReferralOp::Accept),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            referral_may(ReferralSide::Receiver, ReferralOp::Accept),
            Ok(())
        );
        assert_eq!(
            referral_may(ReferralSide::Receiver, ReferralOp::Withdraw),
            Err(Denied::Forbidden)
        );
    }

    #[test]
    fn share_groups_round_trip() {
        let g = ShareGroup::parse_list("contact,identity,bogus");
        assert_eq!(g, vec![ShareGroup::Contact, ShareGroup::Identity]);
        assert_eq!(ShareGroup::join(&g), "identity,contact");
    }

    #[test]
    fn ledger_sums_and_clock() {
        use LedgerKind::*;
        let s = LedgerSums::of(&[
            (Assessment, 50_000_000),
            (Demand, 40_000_000),
            (Award, 30_000_000),
            (Payment, 10_000_000),
            (Payment, 5_000_000),
        ]);
        assert_eq!(s.outstanding(), 15_000_000);
        let none = restitution_clock(None, None, &s, 100);
        assert_eq!(none.state, ClockState::NotStarted);
        assert_eq!(
            restitution_clock(Some(100), None, &s, 114).state,
            ClockState::Running
        );
        let late = restitution_clock(Some(100), None, &s, 115);
        assert_eq!(late.state, ClockState::WarningDue);
        assert_eq!(late.due_on, Some(114));
        let warned = restitution_clock(Some(100), Some(116), &s, 130);
        assert_eq!(warned.state, ClockState::Warned);
        assert_eq!(warned.seizure_on, Some(130));
        assert_eq!(
            restitution_clock(Some(100), Some(116), &s, 131).state,
            ClockState::SeizureDue
        );
        let parts = LedgerParts::of([
            ("compensation", "assessment", 5, 1),
            ("restitution", "award", 10, 2),
            ("restitution", "warning", 0, 20),
            ("compensation", "payment", 2, 30),
            ("restitution", "warning", 0, 40),
        ]);
        assert_eq!(parts.warned_on, Some(20));
        assert_eq!(parts.restitution.outstanding(), 10);
        assert_eq!(
            parts.compensation.outstanding_on(LedgerTrack::Compensation),
            3,
            "compensation owed is LPSK's assessment when there is no award"
        );
        let paid = LedgerSums::of(&[(Award, 10), (Payment, 10)]);
        assert_eq!(
            restitution_clock(Some(1), None, &paid, 500).state,
            ClockState::Paid
        );
    }

    #[test]
    fn closure_needs_every_need_met_or_explained_and_a_follow_up() {
        let needs = vec![
            ("shelter".to_string(), false),
            ("education".to_string(), true),
        ];
        let services = vec![("shelter".to_string(), ServiceStatus::InProgress)];
        let b = closure_blockers(&needs, &services, None);
        let keys: Vec<&str> = b.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            vec![
                "plan.block_need",
                "plan.block_open_service",
                "plan.block_followup"
            ]
        );
        let services = vec![("shelter".to_string(), ServiceStatus::Delivered)];
        assert!(closure_blockers(&needs, &services, Some(3)).is_empty());
    }
}
