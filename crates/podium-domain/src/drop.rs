//! Limited drops (the fan-engagement issue), the pure part: a drop's phases, the waiting
//! room's queue order and admission, and the per-fan limit.
//!
//! Fairness: everyone who arrives in the lobby (the minutes before the start) draws a secret
//! random place when they arrive; at the start they are admitted in the order of those draws,
//! so arriving early or on a fast connection gives no advantage. Whoever arrives after the
//! start queues behind all of them, first come first served. Admitted fans may check out for a
//! limited time; stock is protected by the checkout's reservations whatever is admitted.

use time::{Duration, OffsetDateTime};

/// How long before the start the waiting room opens.
pub const LOBBY: Duration = Duration::minutes(15);
/// How long an admitted fan may take to check out.
pub const ADMISSION: Duration = Duration::minutes(10);
/// The largest per-fan limit a shop may set.
pub const MAX_PER_FAN: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Announced: the product page shows the countdown and "notify me".
    Scheduled,
    /// The waiting room is open; nobody is admitted yet.
    Lobby,
    /// On sale to admitted fans.
    Open,
    /// Sold out or closed by the shop.
    Ended,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Scheduled => "scheduled",
            Phase::Lobby => "lobby",
            Phase::Open => "open",
            Phase::Ended => "ended",
        }
    }
}

/// Where a drop is at `now`.
pub fn phase(starts_at: OffsetDateTime, closed: bool, remaining: i64, now: OffsetDateTime) -> Phase {
    if closed || (now >= starts_at && remaining <= 0) {
        Phase::Ended
    } else if now >= starts_at {
        Phase::Open
    } else if now >= starts_at - LOBBY {
        Phase::Lobby
    } else {
        Phase::Scheduled
    }
}

/// Lobby places are below this; later arrivals above it, in arrival order.
const AFTER_START: i64 = 1 << 62;

/// A fan's place in the queue: a random draw for a lobby arrival (`random` from a secure
/// source), or the time since the start for a later one, so later arrivals come after every
/// lobby arrival in the order they came.
pub fn queue_key(joined: OffsetDateTime, starts_at: OffsetDateTime, random: u64) -> i64 {
    if joined < starts_at {
        (random >> 2) as i64
    } else {
        let micros = i64::try_from((joined - starts_at).whole_microseconds()).unwrap_or(i64::MAX / 2);
        AFTER_START.saturating_add(micros)
    }
}

/// How many more fans to admit: one per unit not yet sold or held by an admitted fan's
/// checkout, less the admitted fans still inside their window who have not bought.
pub fn to_admit(available: i64, waiting_admitted: i64) -> i64 {
    (available - waiting_admitted).max(0)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("at most {limit} per fan in this drop: you already have {already}")]
    Account { limit: i64, already: i64 },
    #[error("at most {limit} per fan in this drop: this card has already bought {already}")]
    Card { limit: i64, already: i64 },
    #[error("the per-fan limit must be between 1 and {MAX_PER_FAN}")]
    Invalid,
}

/// Whether a fan may buy `wanted` more units, given what their account and their card have
/// bought in the drop already.
pub fn within_limit(limit: i64, by_account: i64, by_card: i64, wanted: i64) -> Result<(), LimitError> {
    if by_account + wanted > limit {
        return Err(LimitError::Account { limit, already: by_account });
    }
    if by_card + wanted > limit {
        return Err(LimitError::Card { limit, already: by_card });
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DropError {
    #[error("a drop needs 1 to 100,000 units")]
    Quantity,
    #[error("the per-fan limit must be between 1 and {MAX_PER_FAN}")]
    Limit,
    #[error("a drop must start at least {0} minutes from now, so fans can gather")]
    TooSoon(i64),
}

/// How long before its start a drop must be scheduled, unless the marketplace says otherwise.
pub const MIN_LEAD: Duration = Duration::minutes(5);

/// Checks a drop a shop schedules, `min_lead` ahead of its start at least.
pub fn check_new(
    quantity: i64,
    per_fan: i64,
    starts_at: OffsetDateTime,
    now: OffsetDateTime,
    min_lead: Duration,
) -> Result<(), DropError> {
    if !(1..=100_000).contains(&quantity) {
        return Err(DropError::Quantity);
    }
    if !(1..=MAX_PER_FAN).contains(&per_fan) {
        return Err(DropError::Limit);
    }
    if starts_at < now + min_lead {
        return Err(DropError::TooSoon(min_lead.whole_minutes()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const START: OffsetDateTime = datetime!(2026-12-01 12:00 UTC);

    #[test]
    fn a_drop_goes_from_countdown_to_lobby_to_open_to_ended() {
        assert_eq!(phase(START, false, 10, START - Duration::hours(1)), Phase::Scheduled);
        assert_eq!(phase(START, false, 10, START - LOBBY), Phase::Lobby);
        assert_eq!(phase(START, false, 10, START - Duration::seconds(1)), Phase::Lobby);
        assert_eq!(phase(START, false, 10, START), Phase::Open);
        assert_eq!(phase(START, false, 0, START + Duration::minutes(3)), Phase::Ended);
        assert_eq!(phase(START, true, 10, START - Duration::hours(1)), Phase::Ended);
    }

    #[test]
    fn lobby_arrivals_draw_places_and_later_ones_queue_behind_in_order() {
        let early = queue_key(START - Duration::minutes(14), START, u64::MAX);
        let late = queue_key(START - Duration::seconds(1), START, 0);
        assert!(late < early, "in the lobby only the draw counts");
        let after1 = queue_key(START + Duration::seconds(1), START, 0);
        let after2 = queue_key(START + Duration::seconds(2), START, u64::MAX);
        assert!(early < after1 && after1 < after2, "after the start, first come first served");
        assert_eq!(to_admit(10, 3), 7);
        assert_eq!(to_admit(2, 5), 0);
    }

    #[test]
    fn limits_count_the_account_and_the_card() {
        assert_eq!(within_limit(2, 0, 0, 2), Ok(()));
        assert_eq!(within_limit(2, 1, 0, 2), Err(LimitError::Account { limit: 2, already: 1 }));
        assert_eq!(within_limit(2, 0, 2, 1), Err(LimitError::Card { limit: 2, already: 2 }));
        assert_eq!(check_new(0, 1, START, START - Duration::hours(1), MIN_LEAD), Err(DropError::Quantity));
        assert_eq!(check_new(10, 11, START, START - Duration::hours(1), MIN_LEAD), Err(DropError::Limit));
        assert_eq!(check_new(10, 2, START, START - Duration::minutes(1), MIN_LEAD), Err(DropError::TooSoon(5)));
        assert_eq!(check_new(10, 2, START, START - Duration::hours(1), MIN_LEAD), Ok(()));
    }

    /// Eight fans arrive in the lobby one after the other; over many drops, the first to
    /// arrive is admitted at each place about equally often (a chi-square test at p = 0.001),
    /// and so is the last.
    #[test]
    fn admission_order_is_random_whatever_the_arrival_order() {
        const FANS: usize = 8;
        const DROPS: usize = 8_000;
        let mut first_at = [0usize; FANS];
        let mut last_at = [0usize; FANS];
        let mut in_arrival_order = 0;
        for _ in 0..DROPS {
            let mut keys: Vec<(i64, usize)> = (0..FANS)
                .map(|i| {
                    let joined = START - LOBBY + Duration::seconds(i as i64 * 60);
                    (queue_key(joined, START, rand::random::<u64>()), i)
                })
                .collect();
            keys.sort();
            let order: Vec<usize> = keys.iter().map(|&(_, i)| i).collect();
            first_at[order.iter().position(|&i| i == 0).expect("first")] += 1;
            last_at[order.iter().position(|&i| i == FANS - 1).expect("last")] += 1;
            if order.windows(2).all(|w| w[0] < w[1]) {
                in_arrival_order += 1;
            }
        }
        let expected = DROPS as f64 / FANS as f64;
        let chi = |counts: &[usize]| counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum::<f64>();
        // 7 degrees of freedom: 24.32 is the 0.999 quantile.
        assert!(chi(&first_at) < 24.32, "first arrival's places {first_at:?}");
        assert!(chi(&last_at) < 24.32, "last arrival's places {last_at:?}");
        assert!(in_arrival_order < 5, "arrival order kept {in_arrival_order} times of {DROPS}");
    }
}
