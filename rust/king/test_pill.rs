//! The project's own test pill, `pills/mars-test.pill`: a tiny Arvo-shaped kernel written in Nock by hand.
//!
//! ```text
//! pill    [%pill %mars-test bot=~[LARVA [1 KERNEL]] mod=~ use=~[[/mars/test %hello ~]]]
//! kernel  [battery=[LOAD [WISH [PEEK POKE]]] payload=[counter log]]
//!         arms by kernel axis: 4 +load, 10 +wish, 22 +peek, 23 +poke (each produces a gate)
//! ```
//!
//! `+poke` takes `[now [wire card]]` and, by the card's tag:
//! - `%crash`: crashes under a `%mean` hint (so the serf retries with `%crud`, which succeeds: a `%swap`);
//! - `%bail`: crashes, and so does a `%crud` of a `%bail` event (the serf answers `%work %bail` with two goofs);
//! - `%loop`: loops forever without allocating (for `mil` timeouts, SIGINT and SIGTERM);
//! - `%meme`: allocates without bound (for out-of-memory);
//! - `%slog`: emits a `%slog` hint, then behaves as any other card;
//! - `%jets n`: as any other card, but the effect is `[//mars [%jets (lth n +(n))]]`, computed by slamming the
//!   library gate `lth` (below) once: one jet hit if the serf knows the gate's registration, else `n` steps of Nock;
//! - anything else (including `%crud`): counter + 1, the ovum consed onto the log, and one effect
//!   `[//mars [%count counter]]`.
//!
//! `+peek` takes `[lyc [? path]]`: `/count` gives `[~ %noun counter]`, `/log` `[~ %noun log]`, `/crash` crashes,
//! anything else `~`. `+wish` ignores its text and produces a stand-in `+mook` whose tang is always
//! `~[[%leaf "mars-test: mook"]]`; `+load` crashes.
//!
//! The lifecycle (`bot`'s first formula) is a larval driver like Arvo's: against `[[1 KERNEL] events]` it builds the
//! kernel from the second boot formula, then pokes it with every remaining `[now ovum]` of the boot sequence, and
//! produces `[0 0 kernel]`, whose axis 7 is the kernel.
//!
//! Before that, the larval driver builds a small library under `%fast` hints, so that the runtime registers it as the
//! jet dashboard's `a50/lth` (a root core `%a50` with payload 50 and a gate `%lth` under it, the gate's Nock a loop
//! that counts up to the smaller operand). Only the lifecycle registers it: `%jets` events build the same gate as a
//! constant and kick it without a hint, so they run its jet only if the registration survived since boot — through
//! the serf's snapshot, or a snapshot `mars play` wrote.

use crate::noun::{cord, list, tas, HeapAlloc, Noun, Oom, D, T};

/// Nock construction helpers over an allocator.
struct B<'a>(&'a mut HeapAlloc);

impl B<'_> {
    fn t(&mut self, xs: &[Noun]) -> Noun {
        T(self.0, xs).expect("heap allocation")
    }
    /// `[1 n]`: the constant `n`.
    fn k(&mut self, n: Noun) -> Noun {
        self.t(&[D(1), n])
    }
    /// `[0 a]`: axis `a` of the subject.
    fn ax(&mut self, a: u64) -> Noun {
        self.t(&[D(0), D(a)])
    }
    /// `[5 a b]`: are `a` and `b` equal?
    fn eq(&mut self, a: Noun, b: Noun) -> Noun {
        self.t(&[D(5), a, b])
    }
    /// `[6 c y n]`: if `c` then `y` else `n`.
    fn ife(&mut self, c: Noun, y: Noun, n: Noun) -> Noun {
        self.t(&[D(6), c, y, n])
    }
    /// Is the term at axis `a` equal to `tag`?
    fn tag_is(&mut self, a: u64, tag: &str) -> Noun {
        let k = self.k(tas(tag));
        let x = self.ax(a);
        self.eq(k, x)
    }
    /// `[%leaf tape]`
    fn leaf(&mut self, text: &str) -> Noun {
        let bytes: Vec<Noun> = text.bytes().map(|b| D(b as u64)).collect();
        let tape = list(self.0, &bytes).expect("heap allocation");
        self.t(&[tas("leaf"), tape])
    }
    /// `[11 [%slog [1 pri tank]] body]`: print `text` at priority `pri`, then run `body`.
    fn slog(&mut self, pri: u64, text: &str, body: Noun) -> Noun {
        let tank = self.leaf(text);
        let clue = self.t(&[D(pri), tank]);
        let clue = self.k(clue);
        let hint = self.t(&[tas("slog"), clue]);
        self.t(&[D(11), hint, body])
    }
    /// Crash (`[0 0]`) under a `%mean` hint carrying `text`.
    fn crash(&mut self, text: &str) -> Noun {
        let tank = self.leaf(text);
        let clue = self.k(tank);
        let hint = self.t(&[tas("mean"), clue]);
        let bad = self.ax(0);
        self.t(&[D(11), hint, bad])
    }
    /// An arm that produces a gate with body `body`, a default sample `0` and the kernel as context:
    /// `[[1 body] [1 0] [0 1]]`.
    fn gate_arm(&mut self, body: Noun) -> Noun {
        let b = self.k(body);
        let s = self.k(D(0));
        let c = self.ax(1);
        self.t(&[b, s, c])
    }
}

/// The axis of `b` within the subtree at axis `a`.
fn peg(a: u64, b: u64) -> u64 {
    let bits = 63 - b.leading_zeros();
    (a << bits) | (b & ((1 << bits) - 1))
}

/// The library: the root core `R = [[1 %a50] 50]` and the gate `G = [LTH [[0 0] R]]`, whose arm computes `(lth a b)`
/// for its sample `[a b]` by counting `c` up from 0: `%.n` once `c` reaches `b`, `%.y` once it reaches `a` first.
struct Lib {
    root: Noun,
    gate: Noun,
}

fn lib(b: &mut B) -> Lib {
    let root_battery = b.k(tas("a50"));
    let root = b.t(&[root_battery, D(50)]);
    // LOOP against [LOOP c a b]: c 6, a 14, b 15.
    let c = b.ax(6);
    let at_b = {
        let bb = b.ax(15);
        b.eq(c, bb)
    };
    let at_a = {
        let a = b.ax(14);
        b.eq(c, a)
    };
    let next = {
        let lp = b.ax(2);
        let inc = b.t(&[D(4), D(0), D(6)]);
        let a = b.ax(14);
        let bb = b.ax(15);
        let sub = b.t(&[lp, inc, a, bb]);
        b.t(&[D(2), sub, lp])
    };
    let yes = b.k(D(0));
    let no = b.k(D(1));
    let inner = b.ife(at_a, yes, next);
    let lp = b.ife(at_b, no, inner);
    // The arm, against the gate [LTH [[a b] R]]: a 12, b 13.
    let klp = b.k(lp);
    let zero = b.k(D(0));
    let a = b.ax(12);
    let bb = b.ax(13);
    let start = b.t(&[klp, zero, a, bb]);
    let arm = b.t(&[D(2), start, klp]);
    let sample = b.t(&[D(0), D(0)]);
    let gate = b.t(&[arm, sample, root]);
    Lib { root, gate }
}

/// `[11 [%fast [1 clue]] body]`: register the product of `body` as the core `clue` names.
fn fast(b: &mut B, clue: Noun, body: Noun) -> Noun {
    let clue = b.k(clue);
    let hint = b.t(&[tas("fast"), clue]);
    b.t(&[D(11), hint, body])
}

/// Builds the library under `%fast` hints (against any subject): `R` as root `%a50`, `G` as `%lth` under it.
fn register_lib(b: &mut B, lib: &Lib) -> Noun {
    let root_clue = {
        let root_parent = b.k(D(0));
        b.t(&[tas("a50"), root_parent, D(0)])
    };
    let kroot = b.k(lib.root);
    let root = fast(b, root_clue, kroot);
    let c = lib.gate.as_cell().expect("a gate is a cell");
    let arm = b.k(c.head());
    let sample = b.k(D(0));
    let sample = b.t(&[sample, sample]);
    let gate = b.t(&[arm, sample, root]);
    let gate_clue = {
        let parent = b.ax(7);
        b.t(&[tas("lth"), parent, D(0)])
    };
    fast(b, gate_clue, gate)
}

/// `+poke`'s gate body. Subject `[body [[now [wire card]] kernel]]`: now 12, ovum 13, card 27, tag 54, card data 55,
/// kernel 7, battery 14, counter 30, log 31; for a `%crud` card, the inner ovum's tag is at 446.
fn poke_body(b: &mut B, lib: &Lib) -> Noun {
    let count = b.t(&[D(4), D(0), D(30)]);
    let ovum = b.ax(13);
    let log = b.ax(31);
    let new_log = b.t(&[ovum, log]);
    let payload = b.t(&[count, new_log]);
    let battery = b.ax(14);
    let kernel = b.t(&[battery, payload]);
    let wire = b.t(&[D(0), tas("mars"), D(0)]);
    let wire = b.k(wire);
    let count_tag = b.k(tas("count"));
    let count2 = b.t(&[D(4), D(0), D(30)]);
    let card = b.t(&[count_tag, count2]);
    let effect = b.t(&[wire, card]);
    let nil = b.k(D(0));
    let effects = b.t(&[effect, nil]);
    let normal = b.t(&[effects, kernel]);

    // `%jets n`: slam the constant gate with [n +(n)] (the card data at 55 is at 119 under the pushed gate).
    let jets = {
        let gate = b.k(lib.gate);
        let n = b.ax(peg(3, 55));
        let n1 = b.t(&[D(4), D(0), D(peg(3, 55))]);
        let sample = b.t(&[n, n1]);
        let edit = b.t(&[D(6), sample]);
        let slammed = b.t(&[D(10), edit, D(0), D(2)]);
        let kick = b.t(&[D(9), D(2), slammed]);
        let lth = b.t(&[D(8), gate, kick]);
        let tag = b.k(tas("jets"));
        let card = b.t(&[tag, lth]);
        let effect = b.t(&[wire, card]);
        let effects = b.t(&[effect, nil]);
        b.t(&[effects, kernel])
    };

    let slog_normal = b.slog(0, "mars-test: slog", normal);
    let meme = {
        // F = [2 [[0 2] [0 1]] [0 2]] against [F acc] recurs on [F [F acc]]: one more live cell per step.
        let a2 = b.ax(2);
        let a1 = b.ax(1);
        let grow = b.t(&[a2, a1]);
        let f = b.t(&[D(2), grow, a2]);
        let kf = b.k(f);
        let k0 = b.k(D(0));
        let init = b.t(&[kf, k0]);
        let call = b.t(&[D(2), a1, a2]);
        b.t(&[D(7), init, call])
    };
    let forever = {
        // *[F F] with F = [2 [0 1] [0 1]] is *[F F] again.
        let a1 = b.ax(1);
        let f = b.t(&[D(2), a1, a1]);
        let kf = b.k(f);
        b.t(&[D(7), kf, f])
    };
    let crash = b.crash("mars-test: %crash");
    let bail = b.crash("mars-test: %bail");
    let bail2 = b.crash("mars-test: %crud of %bail");

    let is_jets = b.tag_is(54, "jets");
    let mut body = b.ife(is_jets, jets, normal);
    let is_slog = b.tag_is(54, "slog");
    body = b.ife(is_slog, slog_normal, body);
    let is_meme = b.tag_is(54, "meme");
    body = b.ife(is_meme, meme, body);
    let is_loop = b.tag_is(54, "loop");
    body = b.ife(is_loop, forever, body);
    let inner_bail = b.tag_is(446, "bail");
    let crud_case = b.ife(inner_bail, bail2, normal);
    let is_crud = b.tag_is(54, "crud");
    body = b.ife(is_crud, crud_case, body);
    let is_bail = b.tag_is(54, "bail");
    body = b.ife(is_bail, bail, body);
    let is_crash = b.tag_is(54, "crash");
    b.ife(is_crash, crash, body)
}

/// `+peek`'s gate body. Subject `[body [[lyc [? path]] kernel]]`: path head 54, counter 30, log 31.
fn peek_body(b: &mut B) -> Noun {
    let nil = b.k(D(0));
    let noun_mark = b.k(tas("noun"));
    let counter = b.ax(30);
    let log = b.ax(31);
    let count = b.t(&[nil, noun_mark, counter]);
    let logged = b.t(&[nil, noun_mark, log]);
    let crash = b.crash("mars-test: peek /crash");
    let is_log = b.tag_is(54, "log");
    let mut body = b.ife(is_log, logged, nil);
    let is_count = b.tag_is(54, "count");
    body = b.ife(is_count, count, body);
    let is_crash = b.tag_is(54, "crash");
    b.ife(is_crash, crash, body)
}

/// `+wish`'s gate body: whatever the text, produce a stand-in `+mook`: a gate that turns any tone into
/// `[%2 [[%leaf "mars-test: mook"] ~]]`, so the serf's trace rendering path runs end to end.
fn wish_body(b: &mut B) -> Noun {
    let tank = b.leaf("mars-test: mook");
    let toon = b.t(&[D(2), tank, D(0)]);
    let mook_body = b.k(toon);
    let mook = b.t(&[mook_body, D(0), D(0)]);
    b.k(mook)
}

/// The kernel: `[[LOAD [WISH [PEEK POKE]]] [0 ~]]`.
fn kernel(b: &mut B, lib: &Lib) -> Noun {
    let load = b.ax(0);
    let wish = wish_body(b);
    let wish = b.gate_arm(wish);
    let peek = peek_body(b);
    let peek = b.gate_arm(peek);
    let poke = poke_body(b, lib);
    let poke = b.gate_arm(poke);
    let battery = b.t(&[load, wish, peek, poke]);
    b.t(&[battery, D(0), D(0)])
}

/// The larval driver (the lifecycle's first formula), against `[kernel-formula events]`.
fn larva(b: &mut B, lib: &Lib) -> Noun {
    // LOOP, against t = [LOOP [kernel events]]: while events is a cell, poke its head and recur on the tail; then
    // produce [0 0 kernel].
    let poke_call = {
        let arm = b.t(&[D(9), D(23), D(0), D(6)]);
        let at6 = b.t(&[D(6), D(0), D(30)]);
        let edit = b.t(&[D(10), at6, D(0), D(2)]);
        let kick = b.t(&[D(9), D(2), edit]);
        b.t(&[D(8), arm, kick])
    };
    let a2 = b.ax(2);
    let a3 = b.ax(3);
    let a15 = b.ax(15);
    let new_kernel = b.t(&[D(7), poke_call, a3]);
    let next = b.t(&[a2, new_kernel, a15]);
    let step = b.t(&[D(2), next, a2]);
    let zero = b.k(D(0));
    let a6 = b.ax(6);
    let done = b.t(&[zero, zero, a6]);
    let is_cell = b.t(&[D(3), D(0), D(7)]);
    let lp = b.ife(is_cell, step, done);
    // Entry, against s = [KF events]: u = [LOOP s]; t = [LOOP [*[s KF] events]]; run LOOP on t.
    let klp = b.k(lp);
    let a6_ = b.ax(6);
    let run_kf = b.t(&[D(2), a3, a6_]);
    let a7 = b.ax(7);
    let t = b.t(&[a2, run_kf, a7]);
    let go = b.t(&[D(2), t, a2]);
    let entry = b.t(&[D(8), klp, go]);
    // Register the library first: a dynamic hint whose clue is computed and dropped.
    let registration = register_lib(b, lib);
    let hint = b.t(&[tas("jets"), registration]);
    let entry = b.t(&[D(11), hint, entry]);
    b.slog(0, "mars-test: booting", entry)
}

/// The pill noun `[%pill %mars-test bot mod use]`.
pub fn pill(h: &mut HeapAlloc) -> Result<Noun, Oom> {
    let mut b = B(h);
    let lib = lib(&mut b);
    let larva = larva(&mut b, &lib);
    let kernel = kernel(&mut b, &lib);
    let kf = b.k(kernel);
    let bot = list(b.0, &[larva, kf])?;
    let wire = T(b.0, &[tas("mars"), tas("test"), D(0)])?;
    let hello = T(b.0, &[wire, tas("hello"), D(0)])?;
    let use_ = list(b.0, &[hello])?;
    let nam = cord(b.0, "mars-test")?;
    T(b.0, &[tas("pill"), nam, bot, D(0), use_])
}

/// The jam of the pill, as written to `pills/mars-test.pill`.
pub fn pill_bytes() -> Vec<u8> {
    let mut h = HeapAlloc::new();
    let p = pill(&mut h).expect("heap allocation");
    crate::serial::jam_to_bytes(p)
}
