//! What keeps a cell in its box: the limits it runs under, the watch kept on it while it runs
//! (CPU and wall-clock time, the bytes it prints) and what its values hold, our own types
//! included, as the data limits count it.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use rhai::Dynamic;

use crate::chart::{ChartData, ChartSpec};
use crate::exec::table::Table;
use crate::exec::value::Value;

/// How far a cell may go before it is stopped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub max_operations: u64,
    /// Text in one value, nested values included.
    pub max_string_size: usize,
    /// Items in one value, nested arrays included.
    pub max_array_size: usize,
    /// Keys in one value, nested maps included.
    pub max_map_size: usize,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    /// How deeply arrays, maps and the arguments curried into functions may nest in one value.
    pub max_value_depth: usize,
    /// CPU time of the thread running the cell, so that a loaded machine does not fail a cell.
    pub max_cell_time: Duration,
    /// Wall-clock time: a backstop for a cell that waits without using the CPU.
    pub max_wall_time: Duration,
    /// Bytes a cell may print.
    pub max_print_bytes: usize,
    /// Memory the cells of a notebook may hold together, beyond their data.
    pub max_memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 10_000_000,
            max_string_size: 1 << 20,
            max_array_size: 1_000_000,
            max_map_size: 100_000,
            max_call_levels: 64,
            max_expr_depth: 64,
            max_value_depth: 64,
            max_cell_time: Duration::from_secs(10),
            max_wall_time: Duration::from_secs(60),
            max_print_bytes: 1 << 20,
            max_memory: 256 << 20,
        }
    }
}

/// The most `max_value_depth` may be. Every walk over a value (dropping, cloning, converting,
/// hashing, printing it) may recurse once per level, on threads with stacks sized for it (see
/// [`STACK_BYTES`]).
pub const MAX_VALUE_DEPTH: usize = 1_000;

/// How deeply a data file may nest (JSON and YAML are scanned for it before they are parsed).
pub const DATA_DEPTH: usize = crate::yaml::MAX_DEPTH;

/// The stack of the threads that run cells and handle their values: enough for the deepest
/// value the limits allow ([`MAX_VALUE_DEPTH`] plus the [`DATA_DEPTH`] levels data files may nest) in
/// every walk, with room to spare: `tests/suite/sandbox.rs` takes such a value through a build and
/// a rebuild on a debug build, whose frames are the larger, and passes with 4 MiB. Only the
/// pages a thread touches are memory; the rest is address space.
pub const STACK_BYTES: usize = 64 << 20;

impl Limits {
    /// The limits for a notebook given `inputs`: a cell may always hold as much as its data
    /// and the results it reads, plus what the limits allow. The limits count what a cell
    /// builds; a copy of a data table, or a table derived from one, always fits.
    pub fn with_room_for(&self, inputs: Held) -> Limits {
        Limits {
            max_string_size: self.max_string_size.saturating_add(inputs.text),
            max_array_size: self.max_array_size.saturating_add(inputs.items),
            max_map_size: self.max_map_size.saturating_add(inputs.keys),
            // As deep as a data file may nest, at most: results read from another notebook
            // may nest deeper, and a chain of notebooks must not raise the limit link by link.
            max_value_depth: self.max_value_depth.saturating_add(inputs.depth.min(DATA_DEPTH)),
            ..*self
        }
    }
}

/// What a value holds, as the data limits count it: items of arrays, keys of maps and bytes
/// of text, nested ones included, and how deeply it nests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Held {
    pub items: usize,
    pub keys: usize,
    pub text: usize,
    pub depth: usize,
}

impl Held {
    /// Both together: their sizes add up, and the deeper one counts.
    pub fn and(self, other: Held) -> Held {
        Held {
            items: self.items.saturating_add(other.items),
            keys: self.keys.saturating_add(other.keys),
            text: self.text.saturating_add(other.text),
            depth: self.depth.max(other.depth),
        }
    }

    /// What a data file's value holds.
    pub fn of_json(value: &serde_json::Value) -> Held {
        use serde_json::Value as J;
        let mut held = Held::default();
        let mut pending = vec![(value, 0)];
        while let Some((v, depth)) = pending.pop() {
            held.depth = held.depth.max(depth);
            match v {
                J::String(s) => held.text += s.len(),
                J::Array(items) => {
                    held.items += items.len();
                    pending.extend(items.iter().map(|i| (i, depth + 1)));
                }
                J::Object(map) => {
                    held.keys += map.len();
                    pending.extend(map.values().map(|i| (i, depth + 1)));
                }
                J::Null | J::Bool(_) | J::Number(_) => {}
            }
        }
        held
    }

    /// What one of our values holds. Another notebook's results count as nothing: they are
    /// shared, not copied, and counted where they were made.
    pub fn of_value(value: &Value) -> Held {
        let mut held = Held::default();
        let mut pending = vec![(value, 0)];
        while let Some((v, depth)) = pending.pop() {
            held.depth = held.depth.max(depth);
            match v {
                Value::Str(s) => held.text += s.len(),
                Value::Array(items) => {
                    held.items += items.len();
                    pending.extend(items.iter().map(|i| (i, depth + 1)));
                }
                Value::Map(map) => {
                    held.keys += map.len();
                    pending.extend(map.values().map(|i| (i, depth + 1)));
                }
                Value::Table(t) => {
                    held = held.and(Held::of_table(t));
                    for row in &t.rows {
                        pending.extend(row.iter().map(|c| (c, depth + 2)));
                    }
                }
                Value::Chart(spec) => held = held.and(Held::of_chart(spec)),
                Value::Unit | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Band(_) | Value::Results(_) => {
                }
            }
        }
        held
    }

    /// A table's own cells and texts, not what its cells hold.
    fn of_table(t: &Table) -> Held {
        let titles: usize = t.columns.iter().map(|c| c.key.len() + c.title.len()).sum();
        let cells = t.rows.len().saturating_mul(t.columns.len());
        Held { items: t.rows.len().saturating_add(cells), keys: 0, text: titles, depth: 2 }
    }

    fn of_chart(spec: &ChartSpec) -> Held {
        let titles =
            [&spec.title, &spec.x_title, &spec.y_title].into_iter().filter_map(|t| t.as_ref()).map(String::len);
        let mut held = Held { text: titles.sum(), depth: 2, ..Held::default() };
        match &spec.data {
            ChartData::Bands(rows) => {
                held.items += rows.len();
                held.text += rows.iter().map(|r| r.category.len()).sum::<usize>();
            }
            ChartData::Bars(t) | ChartData::Stacked(t) | ChartData::Lines(t) => {
                held.items += t.series.len() + t.rows.iter().map(|r| 1 + r.values.len()).sum::<usize>();
                held.text += t.series.iter().map(String::len).sum::<usize>();
                held.text += t.rows.iter().map(|r| r.category.len()).sum::<usize>();
            }
        }
        held
    }
}

/// What the data limits count in a value of one of our types, for Rhai's size checks:
/// `(array items, map keys, string bytes)`.
pub fn custom_sizes(d: &Dynamic) -> (usize, usize, usize) {
    let held = if let Some(table) = d.read_lock::<Table>() {
        let cells = table.rows.iter().flatten().map(Held::of_value).fold(Held::default(), Held::and);
        Held::of_table(&table).and(cells)
    } else if let Some(spec) = d.read_lock::<ChartSpec>() {
        Held::of_chart(&spec)
    } else {
        Held::default()
    };
    (held.items, held.keys, held.text)
}

/// Why a cell was stopped from outside its script: the token `on_progress` terminates it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    CpuTime,
    WallTime,
    Printed,
    Memory,
    /// A `results()` call that computed its slug asked for a notebook that has not run yet.
    Waits,
}

impl Stop {
    const ALL: [Stop; 5] = [Stop::CpuTime, Stop::WallTime, Stop::Printed, Stop::Memory, Stop::Waits];

    /// The error that stops a cell for this reason: Rhai's `catch` cannot catch it.
    pub fn error(self) -> Box<rhai::EvalAltResult> {
        rhai::EvalAltResult::ErrorTerminated(Dynamic::from(self.token()), rhai::Position::NONE).into()
    }

    fn token(self) -> &'static str {
        match self {
            Stop::CpuTime => "nbrender: CPU time",
            Stop::WallTime => "nbrender: wall-clock time",
            Stop::Printed => "nbrender: printed bytes",
            Stop::Memory => "nbrender: memory",
            Stop::Waits => "nbrender: waits for results",
        }
    }

    /// The stop a termination token stands for.
    pub fn from_token(token: &Dynamic) -> Option<Stop> {
        let text = token.clone().into_immutable_string().ok()?;
        Stop::ALL.into_iter().find(|s| s.token() == text.as_str())
    }
}

/// The watch on the cell running on this thread.
struct Watch {
    cpu: cpu_time::ThreadTime,
    wall: Instant,
    limits: Limits,
    printed: String,
}

/// What the cells of the notebook running on this thread may hold: bytes allocated on the
/// thread since its data was in place (`nbrender_alloc` counts them where the binary installs
/// it as the allocator; elsewhere they read as zero and nothing is stopped).
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    since: isize,
    room: isize,
}

impl Memory {
    /// From now, with room for `limit` bytes and for what the notebook's data took since
    /// `before_data` (a copy of its data must fit).
    pub fn from_now(limit: usize, before_data: isize) -> Memory {
        let now = nbrender_alloc::held();
        let data = now.saturating_sub(before_data).max(0);
        Memory { since: now, room: isize::try_from(limit).unwrap_or(isize::MAX).saturating_add(data) }
    }

    /// A reading to pass to `from_now` once the data is in place.
    pub fn reading() -> isize {
        nbrender_alloc::held()
    }

    /// The bytes the cells may hold, their data's room included.
    pub fn room(&self) -> usize {
        usize::try_from(self.room).unwrap_or(0)
    }

    fn exceeded(&self) -> bool {
        nbrender_alloc::held().saturating_sub(self.since) > self.room
    }
}

/// How many script steps run between two looks at the clocks (well under a millisecond).
const CLOCK_EVERY: u64 = 4096;

thread_local! {
    static WATCH: RefCell<Option<Watch>> = const { RefCell::new(None) };
    /// Set when the cell must stop at its next step: checked on every step, so it is a plain
    /// cell rather than the watch behind its `RefCell`.
    static STOP: Cell<Option<Stop>> = const { Cell::new(None) };
    static MEMORY: Cell<Option<Memory>> = const { Cell::new(None) };
}

/// Starts watching a cell on this thread; `memory` is its notebook's.
pub fn start(limits: Limits, memory: Memory) {
    STOP.with(|s| s.set(None));
    MEMORY.with(|m| m.set(Some(memory)));
    WATCH.with(|w| {
        *w.borrow_mut() =
            Some(Watch { cpu: cpu_time::ThreadTime::now(), wall: Instant::now(), limits, printed: String::new() })
    });
}

/// Stops watching and returns what the cell printed.
pub fn finish() -> String {
    STOP.with(|s| s.set(None));
    MEMORY.with(|m| m.set(None));
    WATCH.with(|w| w.borrow_mut().take().map(|w| w.printed).unwrap_or_default())
}

/// `print` and `debug`: the text goes to the cell's output, up to the limit; past it the cell
/// stops at its next step, and nothing more is kept.
pub fn print(text: &str) {
    WATCH.with(|w| {
        let mut w = w.borrow_mut();
        let Some(watch) = w.as_mut() else { return };
        if watch.printed.len() + text.len() + 1 > watch.limits.max_print_bytes {
            STOP.with(|s| s.set(Some(Stop::Printed)));
            return;
        }
        watch.printed.push_str(text);
        watch.printed.push('\n');
    });
}

/// Rhai's `on_progress`: stops the cell when it printed too much or its notebook holds too
/// much memory (both looked at on every step: a step can allocate much, a loop of steps
/// more), or, looked at every few thousand steps (a clock read is a system call), when it ran
/// out of CPU or wall-clock time.
pub fn progress(steps: u64) -> Option<Dynamic> {
    if let Some(stop) = STOP.with(Cell::get) {
        return Some(Dynamic::from(stop.token()));
    }
    if MEMORY.with(Cell::get).is_some_and(|m| m.exceeded()) {
        return Some(Dynamic::from(Stop::Memory.token()));
    }
    if !steps.is_multiple_of(CLOCK_EVERY) {
        return None;
    }
    let late = WATCH.with(|w| {
        let w = w.borrow();
        let watch = w.as_ref()?;
        if watch.cpu.elapsed() > watch.limits.max_cell_time {
            Some(Stop::CpuTime)
        } else if watch.wall.elapsed() > watch.limits.max_wall_time {
            Some(Stop::WallTime)
        } else {
            None
        }
    });
    late.map(|stop| Dynamic::from(stop.token()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_counts_like_rhai_counts_it() {
        let json = serde_json::json!([{"a": "xy", "b": [1, 2]}, {"a": "z"}]);
        assert_eq!(Held::of_json(&json), Held { items: 4, keys: 3, text: 3, depth: 3 });
        let raised = Limits::default().with_room_for(Held::of_json(&json));
        assert_eq!(raised.max_array_size, Limits::default().max_array_size + 4);
        assert_eq!(raised.max_value_depth, Limits::default().max_value_depth + 3);
    }

    #[test]
    fn printing_past_the_limit_stops_the_cell_and_keeps_what_fit() {
        start(Limits { max_print_bytes: 8, ..Limits::default() }, Memory::from_now(usize::MAX, Memory::reading()));
        print("abc");
        assert!(progress(1).is_none());
        print("defghij");
        assert_eq!(progress(2).and_then(|t| Stop::from_token(&t)), Some(Stop::Printed));
        assert_eq!(finish(), "abc\n");
        assert!(progress(3).is_none(), "the next cell starts afresh");
    }
}
