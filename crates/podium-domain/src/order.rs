//! Orders, the pure parts (DESIGN §3.7): the order's and each consignment's states and the
//! moves between them, and the largest-remainder split that refunds (and later the ledger)
//! use so every allocation adds up to the cent.

/// The order as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Waiting for the card's second step (or a late authorization).
    PendingPayment,
    Paid,
    /// Every consignment is completed.
    Completed,
    Cancelled,
    PartiallyRefunded,
    Refunded,
}

/// One shop's consignment of a paid order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsignmentStatus {
    /// Paid, waiting for the shop.
    New,
    Accepted,
    Shipped,
    Delivered,
    /// Delivered and its return window has passed.
    Completed,
    Cancelled,
    Refunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::PartiallyRefunded,
        OrderStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::PartiallyRefunded => "partially_refunded",
            OrderStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the order may move from `self` to `to`.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (PendingPayment, Paid)
                | (PendingPayment, Cancelled)
                | (Paid, Completed)
                | (Paid, Cancelled)
                | (Paid, PartiallyRefunded)
                | (Paid, Refunded)
                | (Completed, PartiallyRefunded)
                | (Completed, Refunded)
                | (PartiallyRefunded, PartiallyRefunded)
                | (PartiallyRefunded, Refunded)
        )
    }
}

impl ConsignmentStatus {
    pub const ALL: [ConsignmentStatus; 7] = [
        ConsignmentStatus::New,
        ConsignmentStatus::Accepted,
        ConsignmentStatus::Shipped,
        ConsignmentStatus::Delivered,
        ConsignmentStatus::Completed,
        ConsignmentStatus::Cancelled,
        ConsignmentStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsignmentStatus::New => "new",
            ConsignmentStatus::Accepted => "accepted",
            ConsignmentStatus::Shipped => "shipped",
            ConsignmentStatus::Delivered => "delivered",
            ConsignmentStatus::Completed => "completed",
            ConsignmentStatus::Cancelled => "cancelled",
            ConsignmentStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<ConsignmentStatus> {
        ConsignmentStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the consignment may move from `self` to `to`: forward through the fulfilment
    /// steps one at a time; cancelled only before it ships; refunded whole once shipped.
    pub fn can_become(self, to: ConsignmentStatus) -> bool {
        use ConsignmentStatus::*;
        matches!(
            (self, to),
            (New, Accepted)
                | (Accepted, Shipped)
                | (Shipped, Delivered)
                | (Delivered, Completed)
                | (New, Cancelled)
                | (Accepted, Cancelled)
                | (Shipped, Refunded)
                | (Delivered, Refunded)
                | (Completed, Refunded)
        )
    }
}

/// What `refunded` of `quantity` units of something worth `total` are worth: their
/// largest-remainder share, so giving back every unit, in any number of steps (each step the
/// change in this share), gives back `total` exactly.
pub fn unit_share(total: i64, quantity: i64, refunded: i64) -> i64 {
    largest_remainder(total, &[refunded, quantity - refunded]).map_or(0, |p| p[0])
}

/// Splits `total` (minor units, ≥ 0) in proportion to `weights` (≥ 0) so the parts add up to
/// `total` exactly: each part is the floor of its share, and the units left over go one each to
/// the largest remainders (ties to the earlier part). All-zero weights split nothing: every
/// part is 0 unless `total` is 0 too — the caller must not ask to split a positive amount
/// among nothing, and gets `None` if it does.
pub fn largest_remainder(total: i64, weights: &[i64]) -> Option<Vec<i64>> {
    if total < 0 || weights.iter().any(|w| *w < 0) {
        return None;
    }
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if sum == 0 {
        return (total == 0).then(|| vec![0; weights.len()]);
    }
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let share = i128::from(total) * i128::from(*w);
        parts.push(i64::try_from(share / sum).ok()?);
        remainders.push((share % sum, i));
    }
    let given: i64 = parts.iter().sum();
    // Largest remainder first; ties to the earlier part.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders.into_iter().take(usize::try_from(total - given).ok()?) {
        parts[i] += 1;
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn order_moves_follow_the_design() {
        use OrderStatus::*;
        let allowed: Vec<(OrderStatus, OrderStatus)> = OrderStatus::ALL
            .into_iter()
            .flat_map(|a| OrderStatus::ALL.into_iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.can_become(*b))
            .collect();
        assert_eq!(allowed.len(), 10, "{allowed:?}");
        assert!(!Refunded.can_become(Paid) && !Cancelled.can_become(Paid), "ends are final");
        assert!(!PendingPayment.can_become(Refunded), "nothing to refund before payment");
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn consignments_move_forward_one_step_at_a_time() {
        use ConsignmentStatus::*;
        let path = [New, Accepted, Shipped, Delivered, Completed];
        for w in path.windows(2) {
            assert!(w[0].can_become(w[1]), "{:?} → {:?}", w[0], w[1]);
        }
        assert!(!New.can_become(Shipped), "accepted first");
        assert!(!Shipped.can_become(Cancelled), "a shipped parcel is refunded, not cancelled");
        assert!(!Delivered.can_become(Shipped) && !Refunded.can_become(New));
        let allowed = ConsignmentStatus::ALL
            .into_iter()
            .flat_map(|a| ConsignmentStatus::ALL.into_iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.can_become(*b))
            .count();
        assert_eq!(allowed, 9);
        for s in ConsignmentStatus::ALL {
            assert_eq!(ConsignmentStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn largest_remainder_adds_up_and_favours_the_largest_remainders() {
        assert_eq!(largest_remainder(100, &[1, 1, 1]), Some(vec![34, 33, 33]));
        assert_eq!(largest_remainder(10, &[5, 3, 2]), Some(vec![5, 3, 2]));
        // 7 × (0.5, 0.3, 0.2) = 3.5, 2.1, 1.4 → 3, 2, 1 and one unit left for the 0.5.
        assert_eq!(largest_remainder(7, &[50, 30, 20]), Some(vec![4, 2, 1]));
        assert_eq!(largest_remainder(0, &[0, 0]), Some(vec![0, 0]));
        assert_eq!(largest_remainder(5, &[0, 0]), None);
        assert_eq!(largest_remainder(-1, &[1]), None);
        assert_eq!(largest_remainder(5, &[]), None);
    }

    proptest! {
        #[test]
        fn parts_always_add_up_and_stay_within_one_unit_of_the_exact_share(
            total in 0i64..10_000_000,
            weights in proptest::collection::vec(0i64..1_000_000, 1..12),
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let parts = largest_remainder(total, &weights).expect("split");
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
            for (p, w) in parts.iter().zip(&weights) {
                let exact = i128::from(total) * i128::from(*w);
                prop_assert!((i128::from(*p) * sum - exact).abs() < sum, "within one unit");
                prop_assert!(*p >= 0);
            }
        }
    }
}
