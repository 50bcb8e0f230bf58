//! Properties of the router: load bounds hold, stale or low-score nodes are never chosen, a request maps to the
//! same nodes while the node set is stable, and a node leaving moves only the requests it was a candidate for.

use enreach_routing::{ClientHint, Coord, NodeIdx, NodeInfo, Params, Router, Service};
use proptest::prelude::*;
use std::collections::HashSet;

const NOW: u64 = 1_000_000;

fn key(i: u32) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&enreach_routing::ring::mix(i as u64 + 17).to_le_bytes());
    key[8..12].copy_from_slice(&i.to_le_bytes());
    key
}

/// `n` nodes of region 0 spread over a 40 ms square, capacities 1 to 4.
fn router(n: u32, params: Params, seed: u64) -> Router {
    router_with_apps(n, params, seed, |_| false)
}

/// [`router`], where the nodes `runs_apps` picks run edge applications.
fn router_with_apps(n: u32, params: Params, seed: u64, runs_apps: impl Fn(u32) -> bool) -> Router {
    let mut router = Router::new(params);
    for i in 0..n {
        let r = enreach_routing::ring::mix(seed ^ i as u64);
        let coord = Coord::new(
            (r % 40) as f32,
            ((r >> 8) % 40) as f32,
            ((r >> 16) % 5) as f32,
        );
        router.upsert(
            NodeInfo {
                key: key(i),
                region: 0,
                coord,
                capacity: 1 + (r >> 24) as u32 % 4,
                score: 100,
                runs_apps: runs_apps(i),
            },
            NOW,
        );
    }
    router.rebuild();
    router
}

fn client(x: f32, y: f32) -> ClientHint {
    ClientHint {
        region: 0,
        coord: Some(Coord::new(x, y, 10.0)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn no_node_exceeds_its_load_bound(seed in any::<u64>(), hot in 1u64..5) {
        // Every ring point may be walked, so the exact bound's guarantee below holds for the whole region.
        let params = Params { max_scan: usize::MAX, ..Params::default() };
        let mut router = router(200, params, seed);
        let capacity: u64 = (0..200).map(|i| router.node(i).capacity as u64).sum();
        for request in 0..5_000u64 {
            // Skewed demand: a few hot contents take most requests.
            let content = if request % 4 == 0 { request } else { request % hot };
            // Clients without coordinates are served from the whole region, whose bound is checked here.
            let c = ClientHint { region: 0, coord: None };
            let chosen = router.route(content, &c, 1, NOW);
            prop_assert_eq!(chosen.len(), 1);
            let idx = chosen[0];
            let share = router.node(idx).capacity as f64 / capacity as f64;
            let total = request; // requests routed before this one
            let bound = (total + 1) as f64 * params.load_factor * share;
            // Always within the bound rounded up (bounded-load consistent hashing's guarantee), or the
            // requests any node may carry.
            let floor = params.min_slots;
            prop_assert!(router.load(idx) <= (bound.ceil() as u64).max(floor), "load {} over bound {}", router.load(idx), bound);
            // Once the region carries (c - 1)^-1 = 4 requests per node, some node always fits the exact bound,
            // and the one chosen does.
            if total >= 4 * 200 {
                prop_assert!(router.load(idx) as f64 <= bound.max(floor as f64) + 1e-9, "load {} over exact bound {}", router.load(idx), bound);
            }
        }
    }

    #[test]
    fn stale_and_low_score_nodes_are_never_chosen(seed in any::<u64>()) {
        let mut router = router(100, Params::default(), seed);
        let mut bad = Vec::new();
        for i in (0..100u32).step_by(3) {
            let mut info = *router.node(i);
            if i % 2 == 0 {
                info.score = 0;
                router.upsert(info, NOW);
            } else {
                router.upsert(info, NOW - Params::default().stale_after_ms - 1);
            }
            bad.push(i);
        }
        router.rebuild();
        for content in 0..2_000u64 {
            for idx in router.route(content, &client(20.0, 20.0), 3, NOW) {
                prop_assert!(!bad.contains(&idx), "chose excluded node {}", idx);
            }
        }
    }

    #[test]
    fn requests_map_consistently_and_move_minimally(seed in any::<u64>(), leaving in 0u32..150) {
        let params = Params::default();
        let mut router = router(150, params, seed);
        let c = client(10.0, 30.0);
        let before: Vec<Vec<NodeIdx>> =
            (0..2_000u64).map(|content| router.rank(content, &c, params.choices, NOW)).collect();
        let again: Vec<Vec<NodeIdx>> =
            (0..2_000u64).map(|content| router.rank(content, &c, params.choices, NOW)).collect();
        prop_assert_eq!(&before, &again);
        router.remove(&key(leaving));
        router.rebuild();
        let mut moved = 0;
        for (content, old) in before.iter().enumerate() {
            let new = router.rank(content as u64, &c, params.choices, NOW);
            if old.contains(&leaving) {
                moved += 1;
            } else {
                prop_assert_eq!(old, &new, "content {} moved though its nodes stayed", content);
            }
        }
        // Each node is a candidate for about d/N of the contents.
        prop_assert!(moved <= 2_000 * params.choices * 3 / 150, "{} moved", moved);
    }
}

#[test]
fn nothing_eligible_means_the_origin() {
    let mut router = router(20, Params::default(), 1);
    assert!(!router.route(5, &client(1.0, 1.0), 1, NOW).is_empty());
    let later = NOW + Params::default().stale_after_ms + 1;
    assert!(router.route(5, &client(1.0, 1.0), 1, later).is_empty());
    let elsewhere = ClientHint {
        region: 9,
        coord: None,
    };
    assert!(router.route(5, &elsewhere, 1, NOW).is_empty());
}

#[test]
fn a_holder_nearby_is_preferred_and_rising_content_is_placed_ahead() {
    let mut router = router(400, Params::default(), 3);
    let c = client(20.0, 20.0);
    let ranked = router.rank(42, &c, 4, NOW);
    let last = *ranked.last().unwrap();
    router.set_holds(last, 42, true);
    assert_eq!(router.rank(42, &c, 4, NOW)[0], last, "the only holder wins");

    // A burst of requests for a new content in region 0: placements follow, once, within the budget.
    let mut placements = Vec::new();
    for i in 0..50u64 {
        placements.extend(router.observe_demand(0, 77, NOW + i * 100));
    }
    assert!(!placements.is_empty());
    assert!(placements.len() <= Params::default().replication_budget);
    let mut nodes: Vec<NodeIdx> = placements.iter().map(|p| p.node).collect();
    nodes.sort_unstable();
    nodes.dedup();
    assert_eq!(nodes.len(), placements.len(), "each node asked once");
    assert!(
        router.observe_demand(0, 77, NOW + 6_000).is_empty(),
        "placed once per region"
    );
}

#[test]
fn a_leaving_node_takes_its_holdings_with_it() {
    let mut router = router(100, Params::default(), 5);
    let c = client(20.0, 20.0);
    let without_holders = router.rank(10, &c, 4, NOW);
    let holder = *without_holders.last().unwrap();
    router.set_inventory(holder, &HashSet::from([9, 10]));
    assert!(router.holds(holder, 9) && router.holds(holder, 10));
    assert_eq!(
        router.rank(10, &c, 4, NOW)[0],
        holder,
        "the only holder wins"
    );
    // A later inventory replaces the last one.
    router.set_inventory(holder, &HashSet::from([10]));
    assert!(!router.holds(holder, 9) && router.holds(holder, 10));

    // It leaves the registry and comes back: it holds nothing until it says so, and ranks as before.
    let info = *router.node(holder);
    router.remove(&info.key);
    router.rebuild();
    assert!(!router.rank(10, &c, 4, NOW).contains(&holder));
    assert_eq!(router.upsert(info, NOW), holder);
    router.rebuild();
    assert!(!router.holds(holder, 10));
    assert_eq!(router.rank(10, &c, 4, NOW), without_holders);
}

#[test]
fn a_region_too_sparse_for_cells_still_gets_placements() {
    // Two nodes far apart in region 0: no cell reaches `min_cell_nodes`, so the region as a whole is used.
    let mut router = Router::new(Params::default());
    for (i, x) in [(0u32, 0.0f32), (1, 200.0)] {
        router.upsert(
            NodeInfo {
                key: key(i),
                region: 0,
                coord: Coord::new(x, 0.0, 1.0),
                capacity: 1,
                score: 100,
                runs_apps: false,
            },
            NOW,
        );
    }
    router.rebuild();
    let placements: Vec<_> = (0..10u64)
        .flat_map(|i| router.observe_demand(0, 5, NOW + i * 100))
        .collect();
    assert_eq!(placements.len(), 1, "one node of the region is asked");
    let first = router.rank(
        5,
        &ClientHint {
            region: 0,
            coord: None,
        },
        1,
        NOW,
    )[0];
    assert_eq!(placements[0].node, first, "the node requests go to first");
}

/// A node cannot claim to be idle to draw every request: the load the router ranks by is what it routed, aged
/// by the router, whatever the node's heartbeats say.
#[test]
fn a_node_cannot_report_its_load_away() {
    let mut router = router(2, Params::default(), 9);
    let c = client(20.0, 20.0);
    for i in 0..100 {
        router.route(i, &c, 1, NOW);
    }
    let loads: Vec<u64> = (0..2).map(|i| router.load(i)).collect();
    assert_eq!(loads.iter().sum::<u64>(), 100);
    for idx in 0..2 {
        router.heartbeat(idx, NOW + 1);
    }
    assert_eq!((0..2).map(|i| router.load(i)).collect::<Vec<_>>(), loads);
    router.decay_loads(0.5);
    let aged: Vec<u64> = (0..2).map(|i| router.load(i)).collect();
    assert_eq!(aged, loads.iter().map(|l| l / 2).collect::<Vec<_>>());
    // Honest routing goes on within the bounds.
    for i in 0..100 {
        assert!(!router.route(1000 + i, &c, 1, NOW + 2).is_empty());
    }
}

/// Apps go only to nodes that run apps, however rare they are in the region (a walk over the whole region's
/// ring would pass hundreds of content-only nodes first), with the warm node (holding the code) first, and the
/// code of an app rising in a region is placed on app nodes only. Content still goes to every node.
#[test]
fn apps_are_routed_to_nodes_that_run_apps_the_warm_one_first() {
    // One node in 50 runs apps.
    let runs_apps = |i: u32| i % 50 == 7;
    let mut router = router_with_apps(1000, Params::default(), 11, runs_apps);
    let app_nodes: HashSet<NodeIdx> = (0..1000u32).filter(|i| runs_apps(*i)).collect();
    let c = client(20.0, 20.0);
    for code in 0..200u64 {
        let ranked = router.rank_for(Service::App, code, &c, 4, NOW);
        assert_eq!(ranked.len(), 4, "app nodes are found for code {code}");
        assert!(ranked.iter().all(|n| app_nodes.contains(n)), "{ranked:?}");
    }
    let content_nodes: HashSet<NodeIdx> = (0..200u64)
        .flat_map(|content| router.rank(content, &c, 1, NOW))
        .collect();
    assert!(content_nodes.iter().any(|n| !app_nodes.contains(n)));

    let code = 99;
    let ranked = router.rank_for(Service::App, code, &c, 4, NOW);
    let warm = *ranked.last().unwrap();
    router.set_holds(warm, code, true);
    assert_eq!(router.rank_for(Service::App, code, &c, 4, NOW)[0], warm);

    // Routed app requests count as load: the bound spreads a hot app over app nodes only.
    let mut chosen = HashSet::new();
    for _ in 0..400 {
        chosen.extend(router.route_for(Service::App, code, &c, 1, NOW));
    }
    assert!(chosen.len() > 1, "a hot app spreads");
    assert!(chosen.iter().all(|n| app_nodes.contains(n)));

    let placements: Vec<_> = (0..50u64)
        .flat_map(|i| router.observe_demand_for(Service::App, 0, 1234, NOW + i * 100))
        .collect();
    assert!(
        !placements.is_empty(),
        "a rising app's code is placed ahead"
    );
    assert!(placements
        .iter()
        .all(|p| app_nodes.contains(&p.node) && p.content == 1234));
}

/// A region without any node that runs apps has no node for an app (an app has no origin to fall back to).
#[test]
fn no_app_node_means_no_route_for_an_app() {
    let mut router = router(50, Params::default(), 12);
    let c = client(20.0, 20.0);
    assert!(router.route_for(Service::App, 5, &c, 1, NOW).is_empty());
    assert!(!router.route(5, &c, 1, NOW).is_empty());
}
