//! The exchange-core style workload, shared by `benches/exchange_mix.rs` and
//! `examples/callgrind_mix.rs`: a seeded, deterministic generator that makes every command
//! up front.
//!
//! The mix follows exchange-core's "GTC orders + IOC + cancel + move" benchmark: about 9 %
//! GTC limit placements, 3 % IOC placements, 6 % cancels and 82 % moves, over a book kept
//! near a target number of resting orders (1,000). The generator runs each command
//! through a book of its own to know which orders are open and where they rest, so every
//! command it makes is valid and the benchmark replays exactly the same book.

#![allow(dead_code, reason = "the bench and the example use different parts")]

use std::collections::HashMap;

use matching::{Book, Command, Event, NewOrder, OrderId, OrderKind, OwnerId, Side, TimeInForce};

/// splitmix64: tiny, fast and good enough to pick commands.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// In `0..n`, skewed towards 0 (most orders rest near the top of the book).
    pub fn skewed(&mut self, n: u64) -> u64 {
        let m = self.below(n) + 1;
        self.below(m)
    }

    pub fn side(&mut self) -> Side {
        if self.next_u64() & 1 == 0 {
            Side::Buy
        } else {
            Side::Sell
        }
    }
}

/// The middle of the generated book, in ticks.
pub const MID: i64 = 100_000;
/// How far from the middle orders may rest or move, in ticks.
pub const BAND: i64 = 300;

/// How many commands of each kind a workload holds, and what they did when generated.
#[derive(Debug, Default, Clone, Copy)]
pub struct Mix {
    pub gtc: u64,
    pub ioc: u64,
    pub cancel: u64,
    pub moves: u64,
    pub trades: u64,
    pub events: u64,
}

impl Mix {
    pub fn total(&self) -> u64 {
        self.gtc + self.ioc + self.cancel + self.moves
    }

    pub fn describe(&self) -> String {
        let pct = |n: u64| 100.0 * n as f64 / self.total().max(1) as f64;
        format!(
            "{:.1} % GTC, {:.1} % IOC, {:.1} % cancel, {:.1} % move; {:.3} trades and {:.2} events per command",
            pct(self.gtc),
            pct(self.ioc),
            pct(self.cancel),
            pct(self.moves),
            self.trades as f64 / self.total().max(1) as f64,
            self.events as f64 / self.total().max(1) as f64,
        )
    }
}

/// Setup commands (the initial book), the measured commands, and their mix.
pub struct Workload {
    pub setup: Vec<Command>,
    pub commands: Vec<Command>,
    pub mix: Mix,
    /// Open orders after the setup and after the last command.
    pub open_after_setup: usize,
    pub open_at_end: usize,
    /// The fewest and most open orders after any command.
    pub open_range: (usize, usize),
}

/// The open orders the generator may cancel or move, with O(1) random pick and removal.
struct Live {
    ids: Vec<OrderId>,
    pos: HashMap<OrderId, usize>,
}

impl Live {
    fn insert(&mut self, id: OrderId) {
        if !self.pos.contains_key(&id) {
            self.pos.insert(id, self.ids.len());
            self.ids.push(id);
        }
    }

    fn remove(&mut self, id: OrderId) {
        if let Some(i) = self.pos.remove(&id) {
            self.ids.swap_remove(i);
            if let Some(&moved) = self.ids.get(i) {
                self.pos.insert(moved, i);
            }
        }
    }
}

struct Generator {
    rng: Rng,
    book: Book,
    live: Live,
    next_id: u128,
    owners: u64,
    out: Vec<Event>,
}

impl Generator {
    fn new_order(&mut self, side: Side, price: i64, tif: TimeInForce, quantity: u64) -> Command {
        self.next_id += 1;
        Command::Place(NewOrder {
            id: OrderId(self.next_id),
            owner: OwnerId(u128::from(self.rng.below(self.owners))),
            side,
            kind: OrderKind::Limit { price },
            tif,
            quantity,
        })
    }

    fn best(&self, side: Side) -> i64 {
        match side {
            Side::Buy => self.book.best_bid().unwrap_or(MID - 1),
            Side::Sell => self.book.best_ask().unwrap_or(MID + 1),
        }
    }

    /// A passive price on `side`, behind the other side's best.
    fn passive(&mut self, side: Side) -> i64 {
        let offset = 1 + self.rng.skewed(BAND as u64 / 2) as i64;
        match side {
            Side::Buy => (self.best(Side::Sell) - offset).max(MID - BAND),
            Side::Sell => (self.best(Side::Buy) + offset).min(MID + BAND),
        }
    }

    /// A price crossing into the other side by up to `depth` ticks.
    fn aggressive(&mut self, side: Side, depth: u64) -> i64 {
        let into = self.rng.below(depth + 1) as i64;
        match side {
            Side::Buy => self.best(Side::Sell) + into,
            Side::Sell => self.best(Side::Buy) - into,
        }
    }

    fn gtc(&mut self) -> Command {
        let side = self.rng.side();
        let quantity = 1 + self.rng.below(100);
        // Most new orders join the book; some cross and trade first.
        let price = if self.rng.below(100) < 85 {
            self.passive(side)
        } else {
            self.aggressive(side, 2)
        };
        self.new_order(side, price, TimeInForce::Gtc, quantity)
    }

    fn ioc(&mut self) -> Command {
        let side = self.rng.side();
        let quantity = 1 + self.rng.below(60);
        let price = self.aggressive(side, 4);
        self.new_order(side, price, TimeInForce::Ioc, quantity)
    }

    fn pick(&mut self) -> Option<OrderId> {
        let n = self.live.ids.len() as u64;
        (n > 0).then(|| self.live.ids[self.rng.below(n) as usize])
    }

    fn move_cmd(&mut self, id: OrderId) -> Command {
        let price = self
            .book
            .order(id)
            .and_then(|o| o.kind.limit_price())
            .unwrap_or(MID);
        let step = 1 + self.rng.below(8) as i64;
        let mut new = if self.rng.next_u64() & 1 == 0 {
            price + step
        } else {
            price - step
        };
        if (new - MID).abs() > BAND {
            new = price - (new - price);
        }
        Command::Move { id, price: new }
    }

    /// Runs `cmd` on the generator's book and updates the live set from its events.
    fn apply(&mut self, cmd: Command, mix: &mut Mix) {
        self.out.clear();
        if let Err(r) = self.book.apply(cmd, &mut self.out) {
            panic!("the generator made an invalid command {cmd:?}: {r:?}");
        }
        mix.events += self.out.len() as u64;
        for i in 0..self.out.len() {
            let touched = match self.out[i] {
                Event::Trade { taker, maker, .. } => {
                    mix.trades += 1;
                    self.refresh(maker);
                    taker
                }
                Event::Accepted { id, .. }
                | Event::Moved { id, .. }
                | Event::Cancelled { id, .. }
                | Event::Expired { id, .. }
                | Event::Triggered { id, .. }
                | Event::Reduced { id, .. } => id,
            };
            self.refresh(touched);
        }
    }

    fn refresh(&mut self, id: OrderId) {
        if self.book.remaining(id).is_some() {
            self.live.insert(id);
        } else {
            self.live.remove(id);
        }
    }
}

/// `target` resting orders to start with, then `n` commands of the mix, all from `seed`.
pub fn generate(seed: u64, target: usize, n: usize) -> Workload {
    let mut g = Generator {
        rng: Rng::new(seed),
        book: Book::with_capacity(target * 2),
        live: Live {
            ids: Vec::with_capacity(target * 2),
            pos: HashMap::with_capacity(target * 2),
        },
        next_id: 0,
        owners: 10_000,
        out: Vec::with_capacity(64),
    };
    let mut ignored = Mix::default();
    let mut setup = Vec::with_capacity(target);
    for i in 0..target {
        let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
        let quantity = 1 + g.rng.below(100);
        let price = g.passive(side);
        let cmd = g.new_order(side, price, TimeInForce::Gtc, quantity);
        g.apply(cmd, &mut ignored);
        setup.push(cmd);
    }
    let open_after_setup = g.book.len();
    let mut mix = Mix::default();
    let mut commands = Vec::with_capacity(n);
    let slack = target / 10;
    let mut open_range = (usize::MAX, 0);
    for _ in 0..n {
        let roll = g.rng.below(100);
        let open = g.live.ids.len();
        // Keep the book near its target size: a placement becomes a cancel when the book
        // is too full, a cancel a placement when it is below target (cancels and fills
        // outweigh placements in this mix, so the book sits just under the target).
        let roll = match roll {
            0..=8 if open > target + slack => 12,
            12..=17 if open < target => 0,
            r => r,
        };
        let cmd = match roll {
            0..=8 => {
                mix.gtc += 1;
                g.gtc()
            }
            9..=11 => {
                mix.ioc += 1;
                g.ioc()
            }
            12..=17 => match g.pick() {
                Some(id) => {
                    mix.cancel += 1;
                    Command::Cancel(id)
                }
                None => {
                    mix.gtc += 1;
                    g.gtc()
                }
            },
            _ => match g.pick() {
                Some(id) => {
                    mix.moves += 1;
                    g.move_cmd(id)
                }
                None => {
                    mix.gtc += 1;
                    g.gtc()
                }
            },
        };
        g.apply(cmd, &mut mix);
        commands.push(cmd);
        let open = g.book.len();
        open_range = (open_range.0.min(open), open_range.1.max(open));
    }
    Workload {
        setup,
        commands,
        mix,
        open_after_setup,
        open_at_end: g.book.len(),
        open_range,
    }
}

/// A book with the workload's setup applied.
pub fn setup_book(w: &Workload) -> Book {
    let mut book = Book::with_capacity(w.setup.len() * 2);
    let mut out = Vec::new();
    for &cmd in &w.setup {
        out.clear();
        if let Err(r) = book.apply(cmd, &mut out) {
            panic!("setup command refused: {r:?}");
        }
    }
    book
}
