//! An equal chance for small shops: the shop-diversity re-rank of search results.
//!
//! The rule: results keep their relevance order, except that no shop may fill more than
//! [`MAX_PER_WINDOW`] of any [`WINDOW`] consecutive results while at least [`MIN_SHOPS`] shops
//! still have results to place. Greedily, each position takes the most relevant remaining
//! result whose shop has fewer than three results among the nine placed just before it; once
//! fewer than four shops have results left, the rest follow in relevance order. The re-rank is
//! prefix-stable, so a page needs only the positions up to its end.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

pub const WINDOW: usize = 10;
pub const MAX_PER_WINDOW: usize = 3;
pub const MIN_SHOPS: usize = 4;

/// Returns the first `take` positions of the re-ranked list as indices into `shops`, which
/// lists each result's shop in relevance order.
pub fn diversify<K: Eq + Hash + Clone>(shops: &[K], take: usize) -> Vec<usize> {
    // With the whole list known nothing lies beyond it, so the prefix always suffices.
    diversify_prefix(shops, &HashMap::new(), take).unwrap_or_default()
}

/// The same re-rank when only the most relevant part of the list is at hand: `shops` is that
/// prefix and `beyond` says how many results each shop has after it (shops absent from the
/// prefix included). Returns `None` when the prefix is too short to settle the first `take`
/// positions; a longer prefix then decides. Searches use it to order a few hundred results
/// instead of every match.
pub fn diversify_prefix<K: Eq + Hash + Clone>(
    shops: &[K],
    beyond: &HashMap<K, usize>,
    take: usize,
) -> Option<Vec<usize>> {
    let beyond_total: usize = beyond.values().sum();
    let take = take.min(shops.len() + beyond_total);
    // Shops get dense numbers in order of first appearance, so each position of the re-rank
    // costs a scan of a few small arrays rather than hashing every shop: deep pages of large
    // catalogues place thousands of positions.
    let mut ids: HashMap<&K, usize> = HashMap::new();
    let mut shop_of: Vec<usize> = Vec::with_capacity(shops.len());
    let mut queues: Vec<VecDeque<usize>> = Vec::new();
    let mut keys: Vec<&K> = Vec::new();
    for (i, s) in shops.iter().enumerate() {
        let id = *ids.entry(s).or_insert_with(|| {
            keys.push(s);
            queues.push(VecDeque::new());
            queues.len() - 1
        });
        queues[id].push_back(i);
        shop_of.push(id);
    }
    // Results each prefix shop has after the prefix, and how many shops are found only there.
    let later: Vec<usize> = keys.iter().map(|k| beyond.get(*k).copied().unwrap_or(0)).collect();
    let only_beyond = beyond.iter().filter(|(s, n)| **n > 0 && !ids.contains_key(s)).count();
    let mut shops_left = keys.len() + only_beyond;
    let mut placed: Vec<usize> = Vec::with_capacity(take);
    let mut window = vec![0usize; keys.len()];
    while placed.len() < take {
        let enforce = shops_left >= MIN_SHOPS;
        // The most relevant head among shops allowed at this position.
        let mut best: Option<(usize, usize)> = None;
        let mut waiting_beyond = false;
        for (id, queue) in queues.iter().enumerate() {
            if enforce && window[id] >= MAX_PER_WINDOW {
                continue;
            }
            match queue.front() {
                Some(&head) if best.is_none_or(|(_, b)| head < b) => best = Some((id, head)),
                Some(_) => {}
                None => waiting_beyond |= later[id] > 0,
            }
        }
        // An allowed shop seen only beyond the prefix, or one whose prefix ran out, may hold the
        // next result when no allowed head is left in the prefix.
        let Some((id, index)) = best else {
            if waiting_beyond || only_beyond > 0 {
                return None;
            }
            // With four or more shops left some shop is always allowed; this only guards the impossible.
            break;
        };
        queues[id].pop_front();
        if queues[id].is_empty() && later[id] == 0 {
            shops_left -= 1;
        }
        placed.push(index);
        window[id] += 1;
        if placed.len() >= WINDOW {
            let leaving = shop_of[placed[placed.len() - WINDOW]];
            window[leaving] = window[leaving].saturating_sub(1);
        }
    }
    Some(placed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The re-rank as first written (hash maps per position): the dense one must agree.
    fn reference_prefix<K: Eq + Hash + Clone>(
        shops: &[K],
        beyond: &HashMap<K, usize>,
        take: usize,
    ) -> Option<Vec<usize>> {
        let beyond_total: usize = beyond.values().sum();
        let take = take.min(shops.len() + beyond_total);
        // Each shop's results in relevance order; `order` keeps shops in order of first appearance.
        let mut queues: HashMap<&K, VecDeque<usize>> = HashMap::new();
        let mut order: Vec<&K> = Vec::new();
        for (i, s) in shops.iter().enumerate() {
            queues
                .entry(s)
                .or_insert_with(|| {
                    order.push(s);
                    VecDeque::new()
                })
                .push_back(i);
        }
        let later = |s: &K| beyond.get(s).copied().unwrap_or(0);
        // Shops with results left: those queued in the prefix, and those found only beyond it.
        let mut shops_left = order.len() + beyond.iter().filter(|(s, n)| **n > 0 && !queues.contains_key(s)).count();
        let mut placed: Vec<usize> = Vec::with_capacity(take);
        let mut window: HashMap<&K, usize> = HashMap::new();
        while placed.len() < take {
            let enforce = shops_left >= MIN_SHOPS;
            // The most relevant head among shops allowed at this position.
            let mut best: Option<(&K, usize)> = None;
            let mut waiting_beyond = false;
            for s in &order {
                if enforce && window.get(s).copied().unwrap_or(0) >= MAX_PER_WINDOW {
                    continue;
                }
                match queues.get(s).and_then(|q| q.front()) {
                    Some(&head) if best.is_none_or(|(_, b)| head < b) => best = Some((s, head)),
                    Some(_) => {}
                    None => waiting_beyond |= later(s) > 0,
                }
            }
            // An allowed shop seen only beyond the prefix, or one whose prefix ran out, may hold the
            // next result when no allowed head is left in the prefix.
            if best.is_none() {
                waiting_beyond |= beyond.iter().any(|(s, n)| *n > 0 && !queues.contains_key(s));
                if waiting_beyond {
                    return None;
                }
                // With four or more shops left some shop is always allowed; this only guards the impossible.
                break;
            }
            let Some((shop, index)) = best else { break };
            if let Some(q) = queues.get_mut(shop) {
                q.pop_front();
                if q.is_empty() && later(shop) == 0 {
                    shops_left -= 1;
                }
            }
            placed.push(index);
            *window.entry(shop).or_insert(0) += 1;
            if placed.len() >= WINDOW {
                let leaving = &shops[placed[placed.len() - WINDOW]];
                if let Some(c) = window.get_mut(leaving) {
                    *c -= 1;
                }
            }
        }
        Some(placed)
    }

    /// How many results each shop has in `rest` (what lies beyond a prefix).
    fn counts(rest: &[u8]) -> HashMap<u8, usize> {
        let mut beyond = HashMap::new();
        for s in rest {
            *beyond.entry(*s).or_insert(0) += 1;
        }
        beyond
    }

    fn shops_of(order: &[usize], shops: &[u8]) -> Vec<u8> {
        order.iter().map(|&i| shops[i]).collect()
    }

    #[test]
    fn a_dominant_shop_is_spread_out() {
        // Shop 0 has the 20 most relevant results, then six small shops have two each.
        let mut shops = vec![0u8; 20];
        shops.extend([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
        let order = diversify(&shops, shops.len());
        let got = shops_of(&order, &shops);
        assert_eq!(&got[..10], &[0, 0, 0, 1, 1, 2, 2, 3, 3, 4]);
        assert_eq!(order.len(), shops.len(), "nothing is lost");
        // Once only three shops are left (0, 5 and 6 here), relevance decides again.
        let tail = shops_of(&order[order.len() - 14..], &shops);
        assert!(tail.iter().filter(|s| **s == 0).count() >= 10, "{tail:?}");
    }

    #[test]
    fn relevance_order_is_kept_when_already_diverse() {
        let shops: Vec<u8> = (0..30).map(|i| (i % 5) as u8).collect();
        assert_eq!(diversify(&shops, 30), (0..30).collect::<Vec<_>>());
    }

    #[test]
    fn with_fewer_than_four_shops_left_relevance_wins() {
        let shops = [0u8, 0, 0, 0, 0, 1, 2];
        assert_eq!(diversify(&shops, 7), vec![0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn prefixes_are_stable_so_pages_agree() {
        let shops: Vec<u8> = (0..200).map(|i| if i < 120 { 0 } else { (i % 7) as u8 }).collect();
        let all = diversify(&shops, 200);
        for take in [0, 1, 10, 24, 48, 199] {
            assert_eq!(diversify(&shops, take), all[..take]);
        }
    }

    proptest! {
        #[test]
        fn the_dense_re_rank_agrees_with_the_first_one(
            shops in prop::collection::vec(0u8..12, 0..300),
            cut in 0usize..300,
            take in 0usize..320,
        ) {
            let cut = cut.min(shops.len());
            let beyond = counts(&shops[cut..]);
            prop_assert_eq!(
                diversify_prefix(&shops[..cut], &beyond, take),
                reference_prefix(&shops[..cut], &beyond, take)
            );
        }

        #[test]
        fn a_prefix_settles_the_same_order_or_says_it_cannot(
            shops in prop::collection::vec(0u8..8, 0..200),
            cut in 0usize..200,
            take in 0usize..60,
        ) {
            let cut = cut.min(shops.len());
            let beyond = counts(&shops[cut..]);
            let full = diversify(&shops, take);
            match diversify_prefix(&shops[..cut], &beyond, take) {
                Some(order) => prop_assert_eq!(order, full),
                // Only a prefix that cannot hold the answer may give up.
                None => prop_assert!(full.iter().any(|&i| i >= cut), "gave up though the prefix held {:?}", full),
            }
        }

        #[test]
        fn the_rule_holds_and_is_a_permutation(shops in prop::collection::vec(0u8..8, 0..300)) {
            let order = diversify(&shops, shops.len());
            let mut sorted = order.clone();
            sorted.sort();
            prop_assert_eq!(sorted, (0..shops.len()).collect::<Vec<_>>());
            // Where the rule applies (at least four shops still to place at that position),
            // no window ending there holds more than three results of one shop.
            for end in 0..order.len() {
                let remaining: std::collections::HashSet<u8> = order[end..].iter().map(|&i| shops[i]).collect();
                if remaining.len() < MIN_SHOPS {
                    break;
                }
                let start = end.saturating_sub(WINDOW - 1);
                let shop = shops[order[end]];
                let n = order[start..=end].iter().filter(|&&i| shops[i] == shop).count();
                prop_assert!(n <= MAX_PER_WINDOW, "position {} shop {} appears {} times in its window", end, shop, n);
            }
        }
    }
}
