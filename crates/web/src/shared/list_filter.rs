//! The filters the case list and the statistics share — a region subtree, a period and a
//! review stage — read by one parser, so a filter means the same on both and a bad one is
//! refused by the same name.

use domain::review::ReviewState;
use domain::{Invalid, RegionCode};

/// The shared filters, read.
pub(crate) struct RegionPeriod {
    pub region: Option<RegionCode>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub review: Option<ReviewState>,
}

/// Reads `region`, `from`, `to` and `review` (each may be empty), pushing an error per bad
/// field onto `errs`.
pub(crate) fn read(
    errs: &mut Invalid,
    region: &str,
    from: &str,
    to: &str,
    review: &str,
) -> RegionPeriod {
    let region = match region.trim() {
        "" => None,
        r => {
            let parsed = RegionCode::parse(r).ok();
            if parsed.is_none() {
                errs.push("region", "err.region_code");
            }
            parsed
        }
    };
    let from = errs
        .take(domain::value::day::opt_day("from", from))
        .flatten();
    let to = errs.take(domain::value::day::opt_day("to", to)).flatten();
    let review = match review.trim() {
        "" => None,
        r => {
            let parsed = ReviewState::parse(r);
            if parsed.is_none() {
                errs.push("review", "err.choice");
            }
            parsed
        }
    };
    RegionPeriod {
        region,
        from,
        to,
        review,
    }
}
