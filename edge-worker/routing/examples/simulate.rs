//! The routing simulation behind `scripts/bench/routing`: seeded and reproducible.
//!
//! World: 20 metros in 5 continents (metros 30-35 ms apart, continents 150 ms); nodes scattered around their
//! metro (σ 3 ms) behind 0.5-3 ms access links, capacities 1-4; clients scattered likewise behind 8-25 ms access
//! links (the last mile). True round trip = distance + both access latencies. The router sees only Vivaldi
//! coordinates that nodes and clients learned from noisy (±3 %, the median of a few probes) round trips to random peers of their metro.
//!
//! Demand: requests arrive over an hour, Zipf(0.9) over 200 000 contents, clients in every metro. At 30 min a
//! spike of 200 new contents starts in metro 0 and, 5 minutes later, in metro 1 (the same continent): half of
//! those metros' requests go to them for 15 minutes.
//!
//! Policies, each with its own loads and node caches (LRU, 64 contents): the router with pre-emptive
//! placement, the router with reactive caching only, nearest-only (the lowest predicted latency in the region),
//! random (in the region), and the oracle (the lowest true latency in the region within the same load bound).
//!
//! Usage: `simulate [nodes] [requests] [seed]` (defaults 100000, 1000000, 42).

use std::{collections::HashMap, time::Instant};

use enreach_routing::{ClientHint, Coord, NodeIdx, NodeInfo, Params, Router, Vivaldi};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Zipf};

const METROS: usize = 20;
const METROS_PER_CONTINENT: usize = 4;
const CATALOG: u64 = 200_000;
const SPIKE_CONTENTS: u64 = 200;
const CACHE_SLOTS: usize = 64;
const HOUR_MS: u64 = 3_600_000;
const SPIKE_START_MS: u64 = 1_800_000;
const SPIKE_WAVE_MS: u64 = 300_000;
const SPIKE_LENGTH_MS: u64 = 900_000;
const PREFETCH_MS: u64 = 2_000;
/// Round trips each node learns its coordinate from (to one random peer each).
const LEARNING_ROUNDS: usize = 1000;
/// Round trips a client measures to learn its coordinate.
const CLIENT_PROBES: usize = 32;
/// Passes a client makes over its probes to fit its coordinate.
const CLIENT_PASSES: usize = 20;
/// Relative noise of a measured round trip (the median of a keeper's or edge's few probes).
const NOISE: f32 = 0.03;

/// True position and access latency.
#[derive(Clone, Copy)]
struct Place {
    x: f32,
    y: f32,
    access: f32,
}

impl Place {
    fn rtt(&self, other: &Place) -> f32 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
            + self.access
            + other.access
    }
    fn truth(&self) -> Coord {
        Coord::new(self.x, self.y, self.access)
    }
}

fn metro_centre(metro: usize) -> (f32, f32) {
    let continent = metro / METROS_PER_CONTINENT;
    let within = metro % METROS_PER_CONTINENT;
    (
        continent as f32 * 150.0 + (within % 2) as f32 * 30.0,
        (within / 2) as f32 * 35.0,
    )
}

fn scatter(rng: &mut StdRng, metro: usize, access: (f32, f32)) -> Place {
    let (cx, cy) = metro_centre(metro);
    let spread = Normal::new(0.0f32, 3.0).expect("valid");
    Place {
        x: cx + spread.sample(rng),
        y: cy + spread.sample(rng),
        access: rng.gen_range(access.0..access.1),
    }
}

/// Learns coordinates for `places` from noisy round trips to random peers of the same metro.
fn learn(
    rng: &mut StdRng,
    places: &[Place],
    metro_of: &[usize],
    by_metro: &[Vec<usize>],
    rounds: usize,
) -> Vec<Vivaldi> {
    let mut coords = vec![Vivaldi::default(); places.len()];
    for _ in 0..rounds {
        for i in 0..places.len() {
            // Keepers and edges probe nodes of their own region: coordinates are learned within each metro
            // (every metro has its own frame; the router compares coordinates only within a region).
            let local = &by_metro[metro_of[i]];
            let peer = local[rng.gen_range(0..local.len())];
            if peer == i {
                continue;
            }
            let rtt = places[i].rtt(&places[peer]) * rng.gen_range(1.0 - NOISE..1.0 + NOISE);
            let remote = coords[peer];
            coords[i].observe(&remote.coord, remote.error, rtt, rng.gen_range(-1.0..1.0));
        }
    }
    coords
}

/// A client learns its coordinate from round trips to nodes of its metro, whose coordinates it is told.
fn learn_client(
    rng: &mut StdRng,
    place: &Place,
    metro: usize,
    nodes: &[Place],
    node_coords: &[Vivaldi],
    by_metro: &[Vec<usize>],
) -> Coord {
    // Start from the centre of the metro's nodes (the client's region is known), then refine.
    let local = &by_metro[metro];
    let n = local.len() as f32;
    let (sx, sy) = local.iter().fold((0.0, 0.0), |(x, y), i| {
        (x + node_coords[*i].coord.x, y + node_coords[*i].coord.y)
    });
    let mut me = Vivaldi {
        coord: Coord::new(sx / n, sy / n, 1.0),
        error: 1.0,
    };
    let probes: Vec<(usize, f32)> = (0..CLIENT_PROBES)
        .map(|_| {
            let peer = local[rng.gen_range(0..local.len())];
            (
                peer,
                place.rtt(&nodes[peer]) * rng.gen_range(1.0 - NOISE..1.0 + NOISE),
            )
        })
        .collect();
    // The client's probes are few: it fits its coordinate to all of them, pass after pass.
    for _ in 0..CLIENT_PASSES {
        for (peer, rtt) in &probes {
            me.observe(
                &node_coords[*peer].coord,
                node_coords[*peer].error,
                *rtt,
                rng.gen_range(-1.0..1.0),
            );
        }
    }
    me.coord
}

/// A node's cache: the most recently used first.
#[derive(Clone, Default)]
struct Lru(Vec<u64>);

impl Lru {
    fn contains(&self, content: u64) -> bool {
        self.0.contains(&content)
    }
    /// Inserts or refreshes; the evicted content, if any.
    fn touch(&mut self, content: u64) -> Option<u64> {
        if let Some(i) = self.0.iter().position(|c| *c == content) {
            self.0[..=i].rotate_right(1);
            return None;
        }
        self.0.insert(0, content);
        (self.0.len() > CACHE_SLOTS).then(|| self.0.pop()).flatten()
    }
}

/// What one policy experienced.
#[derive(Default)]
struct Outcome {
    latency_sum: f64,
    /// The lowest true latency among the router's own candidates, summed: what ranking could achieve with
    /// perfect coordinates.
    candidate_best_sum: f64,
    decisions_ns: Vec<u32>,
    hits: u64,
    spike_hits: u64,
    spike_requests: u64,
    loads: Vec<u64>,
}

impl Outcome {
    fn served(&mut self, latency: f32, hit: bool, spike: bool) {
        self.latency_sum += latency as f64;
        self.hits += hit as u64;
        if spike {
            self.spike_requests += 1;
            self.spike_hits += hit as u64;
        }
    }
}

struct Request {
    at_ms: u64,
    client: usize,
    content: u64,
    spike: bool,
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let nodes_n = *args.first().unwrap_or(&100_000) as usize;
    let requests_n = *args.get(1).unwrap_or(&1_000_000) as usize;
    let seed = *args.get(2).unwrap_or(&42);
    let mut rng = StdRng::seed_from_u64(seed);
    let began = Instant::now();

    // The world.
    let node_metro: Vec<usize> = (0..nodes_n).map(|i| i % METROS).collect();
    let nodes: Vec<Place> = node_metro
        .iter()
        .map(|m| scatter(&mut rng, *m, (0.5, 3.0)))
        .collect();
    let capacity: Vec<u32> = (0..nodes_n).map(|_| rng.gen_range(1..=4)).collect();
    let mut by_metro: Vec<Vec<usize>> = vec![Vec::new(); METROS];
    for (i, m) in node_metro.iter().enumerate() {
        by_metro[*m].push(i);
    }
    let rounds = std::env::var("ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(LEARNING_ROUNDS);
    let node_coords = learn(&mut rng, &nodes, &node_metro, &by_metro, rounds);
    let clients_n = 20_000;
    let client_metro: Vec<usize> = (0..clients_n).map(|i| i % METROS).collect();
    let clients: Vec<Place> = client_metro
        .iter()
        .map(|m| scatter(&mut rng, *m, (8.0, 25.0)))
        .collect();
    let client_coords: Vec<Coord> = (0..clients_n)
        .map(|i| {
            learn_client(
                &mut rng,
                &clients[i],
                client_metro[i],
                &nodes,
                &node_coords,
                &by_metro,
            )
        })
        .collect();
    let mut clients_by_metro: Vec<Vec<usize>> = vec![Vec::new(); METROS];
    for (i, m) in client_metro.iter().enumerate() {
        clients_by_metro[*m].push(i);
    }
    let node_error = {
        let samples: Vec<f32> = (0..10_000)
            .map(|_| {
                let a = rng.gen_range(0..nodes_n);
                let local = &by_metro[node_metro[a]];
                let b = local[rng.gen_range(0..local.len())];
                (node_coords[a].coord.rtt(&node_coords[b].coord) - nodes[a].rtt(&nodes[b])).abs()
                    / nodes[a].rtt(&nodes[b])
            })
            .collect();
        samples.iter().sum::<f32>() / samples.len() as f32
    };
    let prediction_error = {
        let samples: Vec<f32> = (0..10_000)
            .map(|_| {
                let c = rng.gen_range(0..clients_n);
                let n =
                    by_metro[client_metro[c]][rng.gen_range(0..by_metro[client_metro[c]].len())];
                (client_coords[c].rtt(&node_coords[n].coord) - clients[c].rtt(&nodes[n])).abs()
                    / clients[c].rtt(&nodes[n])
            })
            .collect();
        samples.iter().sum::<f32>() / samples.len() as f32
    };

    // The requests, in time order.
    let zipf = Zipf::new(CATALOG, 0.9).expect("valid");
    let requests: Vec<Request> = (0..requests_n)
        .map(|i| {
            let at_ms = i as u64 * HOUR_MS / requests_n as u64;
            let metro = rng.gen_range(0..METROS);
            let client = clients_by_metro[metro][rng.gen_range(0..clients_by_metro[metro].len())];
            let spike_from = match metro {
                0 => Some(SPIKE_START_MS),
                1 => Some(SPIKE_START_MS + SPIKE_WAVE_MS),
                _ => None,
            };
            let in_spike =
                spike_from.is_some_and(|from| at_ms >= from && at_ms < from + SPIKE_LENGTH_MS);
            let spike = in_spike && rng.gen_bool(0.5);
            let content = if spike {
                CATALOG + rng.gen_range(0..SPIKE_CONTENTS)
            } else {
                zipf.sample(&mut rng) as u64
            };
            Request {
                at_ms,
                client,
                content: enreach_routing::ring::mix(content),
                spike,
            }
        })
        .collect();
    let setup_s = began.elapsed().as_secs_f64();

    // The router's view.
    let build = |params: Params| {
        let mut router = Router::new(params);
        for i in 0..nodes_n {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&enreach_routing::ring::mix(i as u64 ^ seed).to_le_bytes());
            key[8..16].copy_from_slice(&(i as u64).to_le_bytes());
            router.upsert(
                NodeInfo {
                    key,
                    region: node_metro[i] as u16,
                    coord: node_coords[i].coord,
                    capacity: capacity[i],
                    score: 100,
                    runs_apps: false,
                },
                0,
            );
        }
        for metro in 0..METROS {
            let continent = metro / METROS_PER_CONTINENT;
            let neighbours = (continent * METROS_PER_CONTINENT
                ..(continent + 1) * METROS_PER_CONTINENT)
                .filter(|m| *m != metro)
                .map(|m| m as u16)
                .collect();
            router.set_neighbours(metro as u16, neighbours);
        }
        router.rebuild();
        router
    };
    let env = |name: &str, default: f64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let defaults = Params::default();
    let params = Params {
        stale_after_ms: u64::MAX,
        cell_ms: env("CELL_MS", defaults.cell_ms as f64) as f32,
        miss_penalty_ms: env("MISS_MS", defaults.miss_penalty_ms as f64) as f32,
        choices: env("CHOICES", defaults.choices as f64) as usize,
        load_factor: env("LOAD_FACTOR", defaults.load_factor),
        ..defaults
    };

    // Router, with and without placement.
    let run_router = |placement: bool| {
        let mut router = build(params);
        let mut caches = vec![Lru::default(); nodes_n];
        let mut pending: Vec<(u64, NodeIdx, u64)> = Vec::new();
        let mut out = Outcome::default();
        for r in &requests {
            if placement && !pending.is_empty() {
                pending.retain(|(due, node, content)| {
                    if *due > r.at_ms {
                        return true;
                    }
                    if let Some(evicted) = caches[*node as usize].touch(*content) {
                        router.set_holds(*node, evicted, false);
                    }
                    router.set_holds(*node, *content, true);
                    false
                });
            }
            let client = ClientHint {
                region: client_metro[r.client] as u16,
                coord: Some(client_coords[r.client]),
            };
            let candidates = router.rank(r.content, &client, params.choices, r.at_ms);
            out.candidate_best_sum += candidates
                .iter()
                .map(|n| clients[r.client].rtt(&nodes[*n as usize]) as f64)
                .fold(f64::INFINITY, f64::min);
            let started = Instant::now();
            let chosen = router.route(r.content, &client, 1, r.at_ms);
            let placements = if placement {
                router.observe_demand(client.region, r.content, r.at_ms)
            } else {
                Vec::new()
            };
            out.decisions_ns
                .push(started.elapsed().as_nanos().min(u32::MAX as u128) as u32);
            for p in placements {
                pending.push((r.at_ms + PREFETCH_MS, p.node, p.content));
            }
            let node = chosen[0];
            let hit = caches[node as usize].contains(r.content);
            if let Some(evicted) = caches[node as usize].touch(r.content) {
                router.set_holds(node, evicted, false);
            }
            router.set_holds(node, r.content, true);
            out.served(clients[r.client].rtt(&nodes[node as usize]), hit, r.spike);
        }
        out.loads = (0..nodes_n as NodeIdx).map(|i| router.load(i)).collect();
        out
    };
    let with_placement = run_router(true);
    let reactive = run_router(false);

    // Baselines: each node's cell in the router (for the load comparison), then each policy.
    let simple = |choose: &mut dyn FnMut(&Request, &mut Vec<u64>) -> usize| {
        let mut caches = vec![Lru::default(); nodes_n];
        let mut loads = vec![0u64; nodes_n];
        let mut out = Outcome::default();
        for r in &requests {
            let node = choose(r, &mut loads);
            loads[node] += 1;
            let hit = caches[node].contains(r.content);
            caches[node].touch(r.content);
            out.served(clients[r.client].rtt(&nodes[node]), hit, r.spike);
        }
        out.loads = loads;
        out
    };
    let mut rng_random = StdRng::seed_from_u64(seed ^ 1);
    let random = simple(&mut |r, _| {
        let local = &by_metro[client_metro[r.client]];
        local[rng_random.gen_range(0..local.len())]
    });
    // Nearest by predicted latency, through a grid of the predicted coordinates.
    let grid = Grid::new(
        &node_coords.iter().map(|v| v.coord).collect::<Vec<_>>(),
        &node_metro,
    );
    let nearest = simple(&mut |r, _| {
        grid.nearest(&client_coords[r.client], client_metro[r.client], |_| true)
            .expect("every metro has nodes")
    });
    // The oracle: the lowest true latency within the router's load bound over the metro (an idle node, or one
    // whose load after the request is within its capacity share of the metro's load times the load factor),
    // else the least filled node, as the router does.
    let truth_grid = Grid::new(
        &nodes.iter().map(Place::truth).collect::<Vec<_>>(),
        &node_metro,
    );
    let metro_capacity: Vec<u64> = (0..METROS)
        .map(|m| by_metro[m].iter().map(|i| capacity[*i] as u64).sum())
        .collect();
    let mut metro_load = [0u64; METROS];
    let oracle = simple(&mut |r, loads| {
        let metro = client_metro[r.client];
        let total = metro_load[metro];
        metro_load[metro] += 1;
        let fill = |i: usize| {
            (loads[i] + 1) as f64 * metro_capacity[metro] as f64
                / ((total + 1) as f64 * params.load_factor * capacity[i] as f64)
        };
        truth_grid
            .nearest(&clients[r.client].truth(), metro, |i| {
                loads[i] == 0 || fill(i) <= 1.0
            })
            .unwrap_or_else(|| {
                *by_metro[metro]
                    .iter()
                    .min_by(|a, b| fill(**a).total_cmp(&fill(**b)))
                    .expect("every metro has nodes")
            })
    });

    // Load balance, as max over mean of the load per unit of capacity: over each metro (the region the bound
    // holds in), and over each of the router's cells that served at least 200 requests; the worst of each.
    let balance = |loads: &[u64]| -> (f64, f64) {
        let mut regions: HashMap<usize, (f64, f64, f64)> = HashMap::new();
        let mut cells: HashMap<(usize, i32, i32), (f64, f64, f64)> = HashMap::new();
        for i in 0..nodes_n {
            let c = node_coords[i].coord;
            let cell = (
                node_metro[i],
                (c.x / params.cell_ms).floor() as i32,
                (c.y / params.cell_ms).floor() as i32,
            );
            let per = loads[i] as f64 / capacity[i] as f64;
            for e in [
                regions.entry(node_metro[i]).or_default(),
                cells.entry(cell).or_default(),
            ] {
                e.0 += loads[i] as f64;
                e.1 += capacity[i] as f64;
                e.2 = e.2.max(per);
            }
        }
        let worst = |groups: Vec<(f64, f64, f64)>| {
            groups
                .into_iter()
                .filter(|(load, _, _)| *load >= 200.0)
                .map(|(load, cap, max)| max / (load / cap))
                .fold(0.0, f64::max)
        };
        (
            worst(regions.into_values().collect()),
            worst(cells.into_values().collect()),
        )
    };

    let oracle_latency = oracle.latency_sum;
    let row = |name: &str, o: &Outcome| {
        let mut d = o.decisions_ns.clone();
        d.sort_unstable();
        let pct = |q: f64| {
            d.get(((d.len() as f64 - 1.0) * q) as usize)
                .map_or("-".to_string(), |ns| format!("{:.2}", *ns as f64 / 1000.0))
        };
        let (region, cell) = balance(&o.loads);
        println!(
            "{:<28} {:>9} {:>9} {:>11.3} {:>10.3} {:>10.3} {:>8.3} {:>10.3}",
            name,
            pct(0.5),
            pct(0.99),
            o.latency_sum / oracle_latency,
            region,
            cell,
            o.hits as f64 / requests.len() as f64,
            o.spike_hits as f64 / o.spike_requests.max(1) as f64,
        );
    };
    println!(
        "routing simulation: {nodes_n} nodes in {METROS} metros, {requests_n} requests (Zipf 0.9 over {CATALOG} contents, a {SPIKE_CONTENTS}-content spike in metros 0 then 1), seed {seed}"
    );
    println!(
        "coordinates (Vivaldi, {rounds} rounds): mean prediction error client-node {:.1} %, node-node {:.1} %; setup {setup_s:.1} s",
        prediction_error * 100.0,
        node_error * 100.0
    );
    println!(
        "{:<28} {:>9} {:>9} {:>11} {:>10} {:>10} {:>8} {:>10}",
        "policy", "p50 us", "p99 us", "lat/oracle", "max/mean", "cell m/m", "hits", "spike hits"
    );
    row("router + pre-emptive", &with_placement);
    row("router, reactive caching", &reactive);
    row("nearest-only", &nearest);
    row("random", &random);
    row("oracle (true latency)", &oracle);
    let spike = |o: &Outcome| o.spike_hits as f64 / o.spike_requests.max(1) as f64;
    println!(
        "pre-emptive placement: spike hit ratio {:.3} vs {:.3} reactive ({:+.0} %)",
        spike(&with_placement),
        spike(&reactive),
        (spike(&with_placement) / spike(&reactive).max(1e-9) - 1.0) * 100.0
    );
    let per = |sum: f64| sum / requests.len() as f64;
    println!(
        "mean latency: router {:.2} ms, oracle {:.2} ms, best of the router's own candidates by true latency {:.2} ms (router / that = {:.3})",
        per(with_placement.latency_sum),
        per(oracle_latency),
        per(with_placement.candidate_best_sum),
        with_placement.latency_sum / with_placement.candidate_best_sum
    );
    println!("total {:.1} s", began.elapsed().as_secs_f64());
}

/// A uniform grid over coordinates, per metro, for nearest-node queries.
struct Grid {
    cell: f32,
    cells: HashMap<(usize, i32, i32), Vec<(usize, Coord)>>,
    /// Per metro, the cells its nodes span: (min x, max x, min y, max y).
    extent: HashMap<usize, (i32, i32, i32, i32)>,
}

impl Grid {
    fn new(coords: &[Coord], metro: &[usize]) -> Self {
        let cell = 2.0;
        let mut cells: HashMap<(usize, i32, i32), Vec<(usize, Coord)>> = HashMap::new();
        let mut extent: HashMap<usize, (i32, i32, i32, i32)> = HashMap::new();
        for (i, c) in coords.iter().enumerate() {
            let (x, y) = ((c.x / cell).floor() as i32, (c.y / cell).floor() as i32);
            cells.entry((metro[i], x, y)).or_default().push((i, *c));
            let e = extent.entry(metro[i]).or_insert((x, x, y, y));
            *e = (e.0.min(x), e.1.max(x), e.2.min(y), e.3.max(y));
        }
        Self {
            cell,
            cells,
            extent,
        }
    }

    /// The node of `metro` with the lowest `rtt` from `from` among those `ok` accepts: rings of cells outward
    /// until no closer cell can hold a better one.
    fn nearest(
        &self,
        from: &Coord,
        metro: usize,
        mut ok: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        let (cx, cy) = (
            (from.x / self.cell).floor() as i32,
            (from.y / self.cell).floor() as i32,
        );
        let (x0, x1, y0, y1) = *self.extent.get(&metro)?;
        // Beyond this ring no cell of the metro is left.
        let last = (cx - x0).max(x1 - cx).max(cy - y0).max(y1 - cy).max(0);
        let mut best: Option<(f32, usize)> = None;
        for ring in 0..=last {
            // Anything in this ring is at least (ring - 1) cells away in the plane.
            if let Some((cost, _)) = best {
                if ((ring - 1).max(0) as f32) * self.cell + from.height > cost {
                    break;
                }
            }
            for dx in -ring..=ring {
                for dy in -ring..=ring {
                    if dx.abs() != ring && dy.abs() != ring {
                        continue;
                    }
                    for (i, c) in self
                        .cells
                        .get(&(metro, cx + dx, cy + dy))
                        .into_iter()
                        .flatten()
                    {
                        let cost = from.rtt(c);
                        if best.is_none_or(|(b, _)| cost < b) && ok(*i) {
                            best = Some((cost, *i));
                        }
                    }
                }
            }
        }
        best.map(|(_, i)| i)
    }
}
