//! Calling the Arvo kernel (king-protocol.md §4.4, §5): the lifecycle, `+poke` (arm 23), `+peek` (arm 22), and
//! `+wish` (arm 10), also for rendering traces with `+mook`; and rendering traces without a kernel.
//!
//! Every call runs in frames above the root frame; its product lands in the caller's (root) frame.

use crate::interpreter::{nock, signals, Context, Error, Mote};
use crate::noun::{slot, tas, Atom, Cell, HeapAlloc, Noun, D, T};
use crate::text::print_bounded;
use crate::text::urbit::{render_path, render_tank, render_trace_entry, tape_text};

/// Formulas used on every event, built once outside the NockStack (so they never move). Only formulas: a
/// computation's product never contains a subtree of its formula unless the formula quotes it (Nock 1), and these
/// quote nothing, so none of their nouns can end up in the state (which must never point into process memory).
pub struct Formulas {
    /// `[2 [0 3] [0 2]]`: the lifecycle.
    pub life: Noun,
    /// Slam arm 23 of `-` with `+`: subject `[kernel [now ovum]]`.
    pub poke: Noun,
    /// Slam arm 22 of `-` with `+`: subject `[kernel sam]`.
    pub peek: Noun,
    /// Slam arm 10 of `-` with `+`: subject `[kernel cord]`.
    pub wish: Noun,
    /// Slam the gate `-` with `+`: subject `[gate sample]`.
    pub slam: Noun,
    _heap: HeapAlloc,
}

/// `[8 [9 AXIS 0 2] 9 2 10 [6 0 7] 0 2]`: with subject `[core sample]`, slam arm AXIS of the core with the sample.
fn arm_slam(h: &mut HeapAlloc, axis: u64) -> Noun {
    let t = |h: &mut HeapAlloc, xs: &[Noun]| T(h, xs).expect("heap allocation");
    let arm = t(h, &[D(9), D(axis), D(0), D(2)]);
    let at6 = t(h, &[D(6), D(0), D(7)]);
    let edit = t(h, &[D(10), at6, D(0), D(2)]);
    let kick = t(h, &[D(9), D(2), edit]);
    t(h, &[D(8), arm, kick])
}

impl Formulas {
    pub fn new() -> Formulas {
        let mut h = HeapAlloc::new();
        let t = |h: &mut HeapAlloc, xs: &[Noun]| T(h, xs).expect("heap allocation");
        let l3 = t(&mut h, &[D(0), D(3)]);
        let l2 = t(&mut h, &[D(0), D(2)]);
        let life = t(&mut h, &[D(2), l3, l2]);
        let poke = arm_slam(&mut h, 23);
        let peek = arm_slam(&mut h, 22);
        let wish = arm_slam(&mut h, 10);
        let at6 = t(&mut h, &[D(6), D(0), D(3)]);
        let edit = t(&mut h, &[D(10), at6, D(0), D(2)]);
        let slam = t(&mut h, &[D(9), D(2), edit]);
        Formulas {
            life,
            poke,
            peek,
            wish,
            slam,
            _heap: h,
        }
    }
}

impl Default for Formulas {
    fn default() -> Formulas {
        Formulas::new()
    }
}

/// Run `*[sub fol]` with the `mil` CPU-time limit (0 = none) and a fresh stop flag.
pub fn run_limited(ctx: &mut Context, mil: u64, sub: Noun, fol: Noun) -> Result<Noun, Error> {
    ctx.stop.clear();
    if mil > 0 {
        if let Err(e) = signals::arm_cpu_timer(mil) {
            eprint!("mars: cannot arm the {mil} ms timer: {e}\r\n");
        } else {
            ctx.timer_armed = true;
        }
    }
    let r = nock(ctx, sub, fol);
    if ctx.timer_armed {
        let _ = signals::arm_cpu_timer(0);
        ctx.timer_armed = false;
    }
    ctx.stop.clear();
    r
}

fn exit_error() -> Error {
    Error {
        mote: Mote::Exit,
        trace: Noun::ZERO,
    }
}

/// Run the lifecycle over the boot sequence `lit`; returns the kernel (axis 7 of the product).
pub fn lifecycle(ctx: &mut Context, f: &Formulas, lit: Noun) -> Result<Noun, Error> {
    let product = run_limited(ctx, 0, lit, f.life)?;
    slot(product, Atom::direct(7).expect("7")).ok_or_else(exit_error)
}

/// Poke the kernel with `job = [now ovum]`; returns `(effects, new kernel)`.
pub fn poke(
    ctx: &mut Context,
    f: &Formulas,
    mil: u64,
    kernel: Noun,
    job: Noun,
) -> Result<(Noun, Noun), Error> {
    let sub = Cell::new(&mut ctx.stack, kernel, job)?.as_noun();
    let product = run_limited(ctx, mil, sub, f.poke)?;
    let c = product.as_cell().ok_or_else(exit_error)?;
    Ok((c.head(), c.tail()))
}

/// Compile and evaluate the Hoon text `hoon` (a cord) with the kernel's `+wish`.
pub fn wish(ctx: &mut Context, f: &Formulas, kernel: Noun, hoon: Noun) -> Result<Noun, Error> {
    let sub = Cell::new(&mut ctx.stack, kernel, hoon)?.as_noun();
    run_limited(ctx, 0, sub, f.wish)
}

/// Peek: slam `+peek` with `sam`; the product is `(unit (cask))`.
pub fn peek(
    ctx: &mut Context,
    f: &Formulas,
    mil: u64,
    kernel: Noun,
    sam: Noun,
) -> Result<Noun, Error> {
    let sub = Cell::new(&mut ctx.stack, kernel, sam)?.as_noun();
    run_limited(ctx, mil, sub, f.peek)
}

/// CPU time allowed for rendering a trace (a real kernel compiles `mook` with `+wish`).
const MOOK_MIL: u64 = 5_000;

/// Render a Nock trace to a tang with the kernel's `+mook`, obtained through `+wish`; `~` if that fails.
pub fn render_trace(ctx: &mut Context, f: &Formulas, kernel: Noun, trace: Noun) -> Noun {
    if trace.is_atom() {
        return Noun::ZERO;
    }
    let r = (|| -> Result<Noun, Error> {
        let sub = Cell::new(&mut ctx.stack, kernel, tas("mook"))?.as_noun();
        let mook = run_limited(ctx, MOOK_MIL, sub, f.wish)?;
        let tone = T(&mut ctx.stack, &[D(2), trace])?;
        let sub = Cell::new(&mut ctx.stack, mook, tone)?.as_noun();
        let toon = run_limited(ctx, MOOK_MIL, sub, f.slam)?;
        let c = toon.as_cell().ok_or_else(exit_error)?;
        if c.head() != D(2) {
            return Err(exit_error());
        }
        Ok(c.tail())
    })();
    r.unwrap_or(Noun::ZERO)
}

/// The width Vere's king renders tanks for when it knows no terminal's.
pub const TANK_WIDTH: u64 = 80;

/// Longest line of a tank rendered by the kernel.
const WASH_LINE_BYTES: usize = 2000;

/// Render a tank to lines with the kernel's own printer, `+wash`, slammed with `[[0 width] tank]` as Vere's king does
/// (`u3_pier_tank`); `None` if the kernel has no `+wash` or it fails (under the same CPU limit as `+mook`).
pub fn wash(
    ctx: &mut Context,
    f: &Formulas,
    kernel: Noun,
    tank: Noun,
    width: u64,
) -> Option<Vec<String>> {
    let sub = Cell::new(&mut ctx.stack, kernel, tas("wash"))
        .ok()?
        .as_noun();
    let gate = run_limited(ctx, MOOK_MIL, sub, f.wish).ok()?;
    let edge = T(&mut ctx.stack, &[D(0), D(width)]).ok()?;
    let sam = T(&mut ctx.stack, &[edge, tank]).ok()?;
    let sub = Cell::new(&mut ctx.stack, gate, sam).ok()?.as_noun();
    let wall = run_limited(ctx, MOOK_MIL, sub, f.slam).ok()?;
    crate::noun::list_iter(wall)
        .map(|t| tape_text(t.ok()?, WASH_LINE_BYTES))
        .collect()
}

/// A source range `[[line col] [line col]]` as Hoon prints a spot's: `<[1 1].[1 9]>`.
fn render_pint(pint: Noun) -> Option<String> {
    let c = pint.as_cell()?;
    let (p, q) = (c.head().as_cell()?, c.tail().as_cell()?);
    let n = |x: Noun| x.as_u64();
    Some(format!(
        "<[{} {}].[{} {}]>",
        n(p.head())?,
        n(p.tail())?,
        n(q.head())?,
        n(q.tail())?
    ))
}

/// CPU time allowed for one `%mean` trap of a trace rendered without a kernel.
const TRAP_MIL: u64 = 2_000;

/// Render a Nock trace without a kernel (a failed boot lifecycle), one line per entry, innermost first: `%mean`
/// entries are tanks or traps producing tanks (a trap is run, with a time limit), `%spot` entries a source path and
/// range as Hoon prints them (`/eval:<[1 1].[1 9]>`); anything else is printed as a noun, cut short.
pub fn render_trace_lines(ctx: &mut Context, trace: Noun) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in crate::noun::list_iter(trace).flatten() {
        let rendered = entry.as_cell().and_then(|c| {
            if c.head() == tas("mean") {
                let tank = match c.tail().as_cell() {
                    Some(t) if t.head().is_cell() => {
                        let kick = T(&mut ctx.stack, &[D(9), D(2), D(0), D(1)]).ok()?;
                        run_limited(ctx, TRAP_MIL, c.tail(), kick).ok()?
                    }
                    _ => c.tail(),
                };
                Some(render_tank(tank))
            } else if c.head() == tas("spot") {
                let spot = c.tail().as_cell()?;
                let path = render_path(spot.head());
                if path.contains("<not a path>") {
                    return None;
                }
                Some(match render_pint(spot.tail()) {
                    Some(range) => format!("{path}:{range}"),
                    None => format!("{path} {}", print_bounded(spot.tail(), 100)),
                })
            } else {
                None
            }
        });
        lines.push(rendered.unwrap_or_else(|| render_trace_entry(entry)));
    }
    lines
}
