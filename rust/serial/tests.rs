//! jam and cue against the protocol's worked examples, hand-built malformed and non-canonical streams, a literal
//! transcription of Hoon's `+jam` and `+cue` (the model), and random nouns with heavy sharing.

use super::*;
use crate::equality::noun_eq;
use crate::mug::mug;
use crate::noun::{atom_to_ubig, cord, Atom, Cell, HeapAlloc, Noun, D, T};
use crate::stack::NockStack;
use crate::text::Print;
use ibig::UBig;
use proptest::prelude::*;
use std::collections::HashMap;
use std::sync::Arc as Rc;

// ---------------------------------------------------------------------------------------------------------------
// Building bit streams by hand

/// A bit stream in stream order (first bit written first), for hand-made jams.
#[derive(Clone, Default)]
struct Bits(Vec<bool>);

impl Bits {
    fn new() -> Bits {
        Bits::default()
    }

    /// Append bits written as text in stream order; spaces and `|` are ignored.
    fn s(mut self, text: &str) -> Bits {
        for ch in text.chars() {
            match ch {
                '0' => self.0.push(false),
                '1' => self.0.push(true),
                ' ' | '|' => {}
                _ => panic!("bad bit {ch:?}"),
            }
        }
        self
    }

    fn zeros(mut self, n: usize) -> Bits {
        self.0.extend(std::iter::repeat_n(false, n));
        self
    }

    /// The low `n` bits of `v`, least significant first.
    fn val(mut self, v: u64, n: u32) -> Bits {
        for i in 0..n {
            self.0.push(i < 64 && (v >> i) & 1 == 1);
        }
        self
    }

    /// A canonical `mat` of `v`.
    fn mat(self, v: u64) -> Bits {
        if v == 0 {
            return self.s("1");
        }
        let b = 64 - v.leading_zeros() as u64;
        self.mat_len(b).val(v, b as u32)
    }

    /// Only the length prefix of a `mat` whose value has `b >= 1` bits (the value bits are appended separately).
    fn mat_len(self, b: u64) -> Bits {
        let c = 64 - b.leading_zeros();
        self.zeros(c as usize).s("1").val(b, c - 1)
    }

    fn len(&self) -> u64 {
        self.0.len() as u64
    }

    fn words(&self) -> Vec<u64> {
        let mut w = vec![0u64; self.0.len().div_ceil(64)];
        for (i, b) in self.0.iter().enumerate() {
            if *b {
                w[i / 64] |= 1 << (i % 64);
            }
        }
        w
    }
}

fn cue_text(words: &[u64]) -> Result<String, CueError> {
    let mut h = HeapAlloc::new();
    cue_words(&mut h, words).map(|n| format!("{}", Print(n)))
}

fn hex_of(n: Noun) -> String {
    let w = jam_to_words(n);
    let mut s = String::new();
    for x in w.iter().rev() {
        if s.is_empty() {
            s = format!("{x:x}");
        } else {
            s += &format!("{x:016x}");
        }
    }
    s
}

fn words_of_hex(h: &str) -> Vec<u64> {
    let v = UBig::from_str_radix(h, 16).unwrap();
    let bytes = v.to_le_bytes();
    bytes
        .chunks(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            u64::from_le_bytes(b)
        })
        .collect()
}

fn bytes_of_hex(h: &str) -> Vec<u8> {
    h.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Worked examples (king-protocol.md §6.6, §6.7)

#[test]
fn cue_protocol_vectors() {
    assert_eq!(cue_text(&[0x1231]).unwrap(), "[1 2]");
    assert_eq!(cue_text(&[0x2]).unwrap(), "0");
    assert_eq!(cue_text(&[0xc]).unwrap(), "1");
    assert_eq!(cue_text(&[0x9b0]).unwrap(), "19");
    assert_eq!(cue_text(&[0x49c8c5]).unwrap(), "[[1 2] 1 2]");
    assert_eq!(cue_text(&[0x1_2781_ce81]).unwrap(), "[12345 12345]");
    assert_eq!(
        cue_text(&[0x2cae_cd2d_9f01]).unwrap(),
        format!("[{} 0]", 0x6576696cu64)
    );
}

#[test]
fn cue_shares_back_referenced_cells() {
    let mut h = HeapAlloc::new();
    let n = cue_words(&mut h, &[0x49c8c5]).unwrap();
    let c = n.as_cell().unwrap();
    assert!(
        c.head().same(c.tail()),
        "the back-reference is the same object"
    );
}

#[test]
fn jam_vectors_round_trip() {
    let mut h = HeapAlloc::new();
    let one_two = T(&mut h, &[D(1), D(2)]).unwrap();
    let a = T(&mut h, &[D(1), D(2)]).unwrap();
    let b = T(&mut h, &[D(1), D(2)]).unwrap();
    let live = cord(&mut h, "live").unwrap();
    let vectors = [
        (D(0), "2"),
        (D(1), "c"),
        (D(19), "9b0"),
        (one_two, "1231"),
        (T(&mut h, &[a, b]).unwrap(), "49c8c5"),
        (T(&mut h, &[D(12345), D(12345)]).unwrap(), "12781ce81"),
        (T(&mut h, &[live, D(0)]).unwrap(), "2caecd2d9f01"),
    ];
    for (n, hex) in vectors {
        assert_eq!(hex_of(n), hex, "jam {n}");
        let back = cue_words(&mut h, &words_of_hex(hex)).unwrap();
        assert!(noun_eq(back, n), "cue {hex} = {back}, want {n}");
        let atom = jam(&mut h, n).unwrap();
        assert!(noun_eq(cue(&mut h, atom).unwrap(), n));
    }
}

#[test]
fn frame_vectors_round_trip() {
    // The bodies of the frames in king-protocol.md §2 and §6.7 (the 5-byte newt header removed).
    let mut h = HeapAlloc::new();
    let play = cord(&mut h, "play").unwrap();
    let peek = cord(&mut h, "peek").unwrap();
    let work = cord(&mut h, "work").unwrap();
    let done = cord(&mut h, "done").unwrap();
    let bail = cord(&mut h, "bail").unwrap();
    let evil = cord(&mut h, "evil").unwrap();
    let live = cord(&mut h, "live").unwrap();
    let big = D(0x1234567);
    let evil_list = T(&mut h, &[evil, D(0)]).unwrap();
    let goof = T(&mut h, &[evil_list, D(0)]).unwrap();
    let vectors = [
        (T(&mut h, &[live, D(0)]).unwrap(), "01 9f 2d cd ae 2c"),
        (
            T(&mut h, &[play, done, big]).unwrap(),
            "01 1f 8e 2d 2c 1f f0 c9 de dc ca c0 3c 2b 1a 09",
        ),
        (
            T(&mut h, &[peek, done, D(0)]).unwrap(),
            "01 1f ae ac 6c 1d f0 c9 de dc ca 02",
        ),
        (
            T(&mut h, &[work, bail, goof]).unwrap(),
            "01 ff ee 4d 6e 1d f0 c5 c2 d2 d8 05 fc 32 bb 34 b6 02",
        ),
    ];
    for (n, hex) in vectors {
        let bytes = bytes_of_hex(hex);
        assert_eq!(jam_to_bytes(n), bytes, "jam {n}");
        let back = cue_bytes(&mut h, &bytes).unwrap();
        assert!(noun_eq(back, n), "cue of {hex} = {back}, want {n}");
    }
}

#[test]
fn jam_of_atoms_at_word_boundaries() {
    let mut h = HeapAlloc::new();
    for v in [
        (1u128 << 63) - 1,
        1 << 63,
        u64::MAX as u128,
        1 << 64,
        u128::MAX,
    ] {
        let a = Atom::from_u128(&mut h, v).unwrap().as_noun();
        let back = cue_words(&mut h, &jam_to_words(a)).unwrap();
        assert_eq!(atom_to_ubig(back.as_atom().unwrap()), UBig::from(v));
        assert_eq!(back.is_direct(), v < 1 << 63, "normalised: {v}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Malformed input: every case is an error, and the right one

#[test]
fn malformed_inputs_are_rejected() {
    use CueError::*;
    let far = 1u64 << 40;
    let cases: Vec<(&str, Vec<u64>, CueError)> = vec![
        ("no words at all", vec![], TruncatedTag(0)),
        ("atom 0", vec![0], TruncatedTag(0)),
        ("several zero words", vec![0, 0, 0], TruncatedTag(0)),
        (
            "cell tag whose second bit is past the end",
            Bits::new().s("1").words(),
            TruncatedTag(1),
        ),
        (
            "head tag past the end",
            Bits::new().s("10 1").words(),
            TruncatedTag(3),
        ),
        (
            "tail tag past the end",
            Bits::new().s("10 01").words(),
            TruncatedTag(4),
        ),
        (
            "outer tail missing after a nested cell",
            Bits::new().s("10 10 01 01").words(),
            TruncatedTag(8),
        ),
        (
            "back-reference whose length prefix starts past the end",
            Bits::new().s("11").words(),
            TruncatedLength(2),
        ),
        (
            "head back-reference whose length prefix is past the end",
            Bits::new().s("10 11").words(),
            TruncatedLength(4),
        ),
        (
            "tail back-reference whose length prefix is past the end",
            Bits::new().s("10 01 11").words(),
            TruncatedLength(6),
        ),
        (
            "back-reference as the whole input",
            Bits::new().s("11").mat(0).words(),
            BadBackref { at: 0, target: 0 },
        ),
        (
            "back-reference to the enclosing unfinished cell",
            Bits::new().s("10 11").mat(0).words(),
            BadBackref { at: 2, target: 0 },
        ),
        (
            "tail back-reference to its own unfinished cell",
            Bits::new().s("10").s("0").mat(5).s("11").mat(0).words(),
            BadBackref { at: 10, target: 0 },
        ),
        (
            "back-reference to an enclosing cell two levels up",
            // [1 [<ref 6> 0]]: the cell at 6 is unfinished while its head is read
            Bits::new()
                .s("10 0")
                .mat(1)
                .s("10 11")
                .mat(6)
                .s("0")
                .mat(0)
                .words(),
            BadBackref { at: 8, target: 6 },
        ),
        (
            "back-reference to a forward offset",
            // [<ref 9> 0]: offset 9 lies ahead of the reference
            Bits::new().s("10 11").mat(9).s("0").mat(0).words(),
            BadBackref { at: 2, target: 9 },
        ),
        (
            "back-reference to where a back-reference started",
            // [1 [<ref 2> <ref 8>]]: offset 8 holds a back-reference, which is never recorded
            Bits::new()
                .s("10 0")
                .mat(1)
                .s("10 11")
                .mat(2)
                .s("11")
                .mat(8)
                .words(),
            BadBackref { at: 16, target: 8 },
        ),
        (
            "back-reference into the middle of an atom",
            Bits::new().s("10 0").mat(12345).s("11").mat(4).words(),
            BadBackref { at: 25, target: 4 },
        ),
        (
            "back-reference to the tag bit of a cell's second half",
            Bits::new().s("10 0").mat(1).s("11").mat(1).words(),
            BadBackref { at: 6, target: 1 },
        ),
        (
            "back-reference to an offset that does not fit in 64 bits",
            Bits::new()
                .s("10 0")
                .mat(1)
                .s("11")
                .mat_len(70)
                .val(2, 64)
                .s("000001")
                .words(),
            BadBackref {
                at: 6,
                target: u64::MAX,
            },
        ),
        (
            "back-reference whose length claims 2^40 bits, with one value bit present",
            Bits::new()
                .s("10 0")
                .mat(1)
                .s("11")
                .mat_len(far)
                .s("1")
                .words(),
            BadBackref { at: 6, target: 1 },
        ),
        (
            "back-reference with a length prefix of 70 zeros and nothing after it",
            Bits::new()
                .s("10 0")
                .mat(1)
                .s("11")
                .zeros(70)
                .s("1")
                .words(),
            BadBackref { at: 6, target: 0 },
        ),
        (
            "tail tag past the end after a head atom claiming 2^40 bits",
            Bits::new().s("10 0").mat_len(far).s("101").words(),
            TruncatedTag(2 + 1 + 2 * 41 + far),
        ),
        (
            "tail tag past the end after a head atom with a length of 2^100 bits",
            Bits::new().s("10 0").zeros(101).s("1").words(),
            TruncatedTag(u64::MAX),
        ),
        (
            "a deep spine of cells that stops",
            Bits::new().s(&"10".repeat(100_000)).words(),
            TruncatedTag(2 * 100_000 - 1),
        ),
        (
            "a deep spine of heads that stops after an atom",
            {
                let mut b = Bits::new().s(&"10".repeat(50_000));
                b = b.s("0").mat(3);
                b.words()
            },
            TruncatedTag(2 * 50_000 + 7),
        ),
    ];
    assert!(cases.len() >= 20);
    for (what, words, want) in cases {
        let got = cue_text(&words);
        assert_eq!(got, Err(want), "{what}");
    }
}

#[test]
fn malformed_cue_error_messages_name_the_offset() {
    let e = cue_text(&Bits::new().s("10 11").mat(0).words()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "malformed jam: back-reference at offset 2 to offset 0, where no noun starts"
    );
    assert!(cue_text(&[0]).unwrap_err().to_string().contains("offset 0"));
}

#[test]
fn running_out_of_memory_is_an_error() {
    // 1024 words of NockStack cannot hold a 2000-word atom.
    let mut s = NockStack::new(8 * 1024).unwrap();
    let b = Bits::new()
        .s("0")
        .mat_len(2000 * 64)
        .zeros(2000 * 64 - 1)
        .s("1");
    assert_eq!(cue_words(&mut s, &b.words()), Err(CueError::Oom));
    // nor a list of 1000 cells
    let mut l = Bits::new();
    for _ in 0..1000 {
        l = l.s("10 0").mat(7);
    }
    let l = l.s("0").mat(0);
    assert_eq!(cue_words(&mut s, &l.words()), Err(CueError::Oom));
}

// ---------------------------------------------------------------------------------------------------------------
// Non-canonical input that Hoon's +cue accepts: past-the-end value and length bits read as zero

#[test]
fn past_the_end_value_and_length_bits_read_as_zero() {
    let far = 1u64 << 40;
    let cases: Vec<(&str, Bits, &str)> = vec![
        (
            "atom whose value bits run past the end",
            // b = 2 but only the low value bit "1" is present
            Bits::new().s("0").mat_len(2).s("1"),
            "1",
        ),
        (
            "atom whose length bits run past the end",
            // c = 3: the two length bits are past the end, so b = 4, and the value bits too: atom 0
            Bits::new().s("0 0001"),
            "0",
        ),
        (
            "atom whose length claims 2^40 bits",
            Bits::new().s("0").mat_len(far).s("101"),
            "5",
        ),
        (
            "atom whose length prefix has 100 zeros",
            // b = 2^99 (its bits past the end) and no value bits present
            Bits::new().s("0").zeros(100).s("1"),
            "0",
        ),
        (
            "non-canonical length: 1 written in 3 bits",
            Bits::new().s("0").mat_len(3).s("100"),
            "1",
        ),
        (
            "back-reference whose value bits run past the end",
            // [1 <ref 2 written in 3 bits, the top one past the end>]
            Bits::new().s("10 0").mat(1).s("11").mat_len(3).s("01"),
            "[1 1]",
        ),
        (
            "back-reference with a 70-bit length whose high bits are zero",
            Bits::new()
                .s("10 0")
                .mat(1)
                .s("10 11")
                .mat_len(70)
                .val(2, 70)
                .s("0")
                .mat(9),
            "[1 1 9]",
        ),
        (
            "back-reference claiming 2^40 bits, naming offset 2",
            Bits::new().s("10 0").mat(1).s("11").mat_len(far).s("01"),
            "[1 1]",
        ),
        (
            "back-reference to an atom inside an unfinished cell",
            // [[5 <ref 4>] 0]: atoms are recorded as soon as they are read
            Bits::new().s("10 10 0").mat(5).s("11").mat(4).s("0").mat(0),
            "[[5 5] 0]",
        ),
        (
            "back-reference to a finished sibling cell",
            Bits::new().s("10 10 0").mat(1).s("0").mat(2).s("11").mat(2),
            "[[1 2] 1 2]",
        ),
        (
            "trailing bits after the noun are ignored",
            Bits::new().s("0").mat(7).s("1111 0 1"),
            "7",
        ),
    ];
    for (what, bits, want) in cases {
        assert_eq!(cue_text(&bits.words()).as_deref(), Ok(want), "{what}");
    }
}

#[test]
fn huge_length_claims_do_not_allocate_the_claim() {
    // 64 KiB of stack: an atom claiming 2^40 (or 2^100) bits gets the few hundred bits that exist.
    let mut s = NockStack::new(64 << 10).unwrap();
    for prefix in [
        Bits::new().s("0").mat_len(1 << 40),
        Bits::new().s("0").zeros(101).s("1").zeros(100),
    ] {
        let mut b = prefix.clone();
        let value_at = b.len();
        for i in 0..300 {
            b = b.s(if i % 3 == 0 { "1" } else { "0" });
        }
        let b = b.s("1");
        let n = cue_words(&mut s, &b.words()).unwrap();
        let a = n.as_atom().unwrap();
        assert_eq!(a.bit_len() as u64, b.len() - value_at);
        assert!(a.bit(0) && !a.bit(1) && a.bit(3));
        assert!(s.free_words() > 7 * 1024);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The model: Hoon's +jam and +cue transcribed literally (recursive, with arbitrary-precision offsets)

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum M {
    A(UBig),
    C(Rc<M>, Rc<M>),
}

fn to_model(n: Noun, memo: &mut HashMap<u64, Rc<M>>) -> Rc<M> {
    if let Some(m) = memo.get(&n.raw()) {
        return m.clone();
    }
    let m = match n.as_cell() {
        Some(c) => Rc::new(M::C(to_model(c.head(), memo), to_model(c.tail(), memo))),
        None => Rc::new(M::A(atom_to_ubig(n.as_atom().unwrap()))),
    };
    memo.insert(n.raw(), m.clone());
    m
}

fn model(n: Noun) -> Rc<M> {
    to_model(n, &mut HashMap::new())
}

/// `(met 0 a)`
fn met(a: &UBig) -> u64 {
    a.bit_len() as u64
}

fn push_ubig(out: &mut Vec<bool>, a: &UBig, n: u64) {
    for i in 0..n as usize {
        out.push(a.bit(i));
    }
}

fn model_mat(out: &mut Vec<bool>, a: &UBig) {
    if *a == UBig::from(0u8) {
        out.push(true);
        return;
    }
    let b = met(a);
    let c = 64 - b.leading_zeros() as u64;
    out.extend(std::iter::repeat_n(false, c as usize));
    out.push(true);
    push_ubig(out, &UBig::from(b), c - 1);
    push_ubig(out, a, b);
}

/// `+jam`: the bits in stream order.
fn model_jam(n: &Rc<M>) -> Vec<bool> {
    fn go(a: &Rc<M>, out: &mut Vec<bool>, m: &mut HashMap<Rc<M>, u64>) {
        let b = out.len() as u64;
        match m.get(a) {
            None => {
                m.insert(a.clone(), b);
                match &**a {
                    M::A(v) => {
                        out.push(false);
                        model_mat(out, v);
                    }
                    M::C(h, t) => {
                        out.extend([true, false]);
                        go(h, out, m);
                        go(t, out, m);
                    }
                }
            }
            Some(&u) => {
                let u = UBig::from(u);
                match &**a {
                    M::A(v) if met(v) <= met(&u) => {
                        out.push(false);
                        model_mat(out, v);
                    }
                    _ => {
                        out.extend([true, true]);
                        model_mat(out, &u);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    go(n, &mut out, &mut HashMap::new());
    out
}

/// `+cue` over an atom given by its bits (trailing zeros are not part of an atom, so `met` ignores them).
fn model_cue(bits: &[bool]) -> Option<Rc<M>> {
    let len = bits.iter().rposition(|b| *b).map_or(0, |i| i + 1);
    let bits = &bits[..len];
    let m_all = UBig::from(len);
    let one = || UBig::from(1u8);
    // (cut 0 [pos n] a)
    let cut = |pos: &UBig, n: &UBig| -> UBig {
        let mut v = UBig::from(0u8);
        let Ok(p) = usize::try_from(pos) else {
            return v;
        };
        let end = usize::try_from(&(pos + n)).unwrap_or(usize::MAX).min(len);
        for i in (p..end).rev() {
            v <<= 1;
            if bits[i] {
                v += 1u8;
            }
        }
        v
    };
    let bit = |pos: &UBig| cut(pos, &one()) == one();
    // (rub a b): [consumed value]
    let rub = |a: &UBig| -> Option<(UBig, UBig)> {
        let mut c = UBig::from(0u8);
        loop {
            if c > m_all {
                return None;
            }
            if bit(&(a + &c)) {
                break;
            }
            c += 1u8;
        }
        if c == UBig::from(0u8) {
            return Some((one(), UBig::from(0u8)));
        }
        let d = a + &c + 1u8;
        let cm1 = &c - 1u8;
        let e = (one() << usize::try_from(&cm1).unwrap()) + cut(&d, &cm1);
        Some((&c + &c + &e, cut(&(&d + &cm1), &e)))
    };
    type Table = HashMap<UBig, Rc<M>>;
    fn go(
        b: UBig,
        m: Table,
        bit: &dyn Fn(&UBig) -> bool,
        rub: &dyn Fn(&UBig) -> Option<(UBig, UBig)>,
    ) -> Option<(UBig, Rc<M>, Table)> {
        if !bit(&b) {
            let (p, q) = rub(&(&b + 1u8))?;
            let q = Rc::new(M::A(q));
            let mut m = m;
            m.insert(b, q.clone());
            return Some((p + 1u8, q, m));
        }
        let c = &b + 2u8;
        if !bit(&(&b + 1u8)) {
            let (pu, qu, ru) = go(c.clone(), m, bit, rub)?;
            let (pv, qv, rv) = go(&pu + &c, ru, bit, rub)?;
            let w = Rc::new(M::C(qu, qv));
            let mut rv = rv;
            rv.insert(b, w.clone());
            return Some((pu + pv + 2u8, w, rv));
        }
        let (pd, qd) = rub(&c)?;
        let found = m.get(&qd)?.clone();
        Some((pd + 2u8, found, m))
    }
    go(UBig::from(0u8), HashMap::new(), &bit, &rub).map(|(_, q, _)| q)
}

fn words_of_bits(bits: &[bool]) -> Vec<u64> {
    let mut b = Bits::new();
    b.0 = bits.to_vec();
    b.words()
}

fn bits_of_words(words: &[u64]) -> Vec<bool> {
    let mut out = Vec::with_capacity(words.len() * 64);
    for w in words {
        for i in 0..64 {
            out.push((w >> i) & 1 == 1);
        }
    }
    let len = out.iter().rposition(|b| *b).map_or(0, |i| i + 1);
    out.truncate(len);
    out
}

/// Run `f` on a thread with a large stack (the model recurses).
fn big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn_scoped(s, f)
            .unwrap()
            .join()
            .unwrap()
    })
}

#[test]
fn model_agrees_with_the_protocol_vectors() {
    assert_eq!(
        model_cue(&bits_of_words(&[0x1231])),
        Some(Rc::new(M::C(
            Rc::new(M::A(UBig::from(1u8))),
            Rc::new(M::A(UBig::from(2u8)))
        )))
    );
    let mut h = HeapAlloc::new();
    let n = T(&mut h, &[D(12345), D(12345)]).unwrap();
    assert_eq!(words_of_bits(&model_jam(&model(n))), vec![0x1_2781_ce81]);
}

#[test]
fn hand_made_streams_agree_with_the_model() {
    // Every malformed stream above fails in the model too, and the non-canonical ones decode the same.
    let streams = [
        Bits::new().s("1"),
        Bits::new().s("10 01"),
        Bits::new().s("11"),
        Bits::new().s("10 11").mat(0),
        Bits::new()
            .s("10 0")
            .mat(1)
            .s("10 11")
            .mat(2)
            .s("11")
            .mat(8),
        Bits::new().s("10 11").mat(9).s("0").mat(0),
        Bits::new().s("0").mat_len(2).s("1"),
        Bits::new().s("0 0001"),
        Bits::new().s("10 0").mat(1).s("11").mat_len(3).s("01"),
        Bits::new()
            .s("10 0")
            .mat(1)
            .s("10 11")
            .mat_len(70)
            .val(2, 70)
            .s("0")
            .mat(9),
        Bits::new()
            .s("10 0")
            .mat(1)
            .s("11")
            .mat_len(70)
            .val(2, 64)
            .s("000001"),
        Bits::new().s("10 10 0").mat(5).s("11").mat(4).s("0").mat(0),
        Bits::new().s("0").zeros(100).s("1"),
    ];
    for b in streams {
        let words = b.words();
        let mut h = HeapAlloc::new();
        let got = cue_words(&mut h, &words).ok().map(model);
        let want = model_cue(&b.0);
        assert_eq!(got, want, "stream {:?}", words);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Random nouns

/// A recipe for a noun with sharing: each step makes a node from constants or from earlier nodes.
#[derive(Clone, Debug)]
enum Step {
    Small(u64),
    Word(u64),
    Big(Vec<u64>),
    Cell(usize, usize),
    /// A structurally equal but separately allocated copy of an earlier node.
    Copy(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (0u64..20).prop_map(Step::Small),
        1 => prop_oneof![
            any::<u64>(),
            Just((1u64 << 63) - 1),
            Just(1u64 << 63),
            Just(u64::MAX)
        ]
        .prop_map(Step::Word),
        1 => prop_oneof![
            4 => prop::collection::vec(any::<u64>(), 1..6),
            1 => prop::collection::vec(any::<u64>(), 6..300),
        ]
        .prop_map(Step::Big),
        6 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Step::Cell(a, b)),
        1 => any::<usize>().prop_map(Step::Copy),
    ]
}

fn recipe() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 1..80)
}

/// A recipe without big atoms, for streams small enough to mutate and hand to the model.
fn small_recipe() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        step().prop_map(|s| match s {
            Step::Big(w) => Step::Word(w[0]),
            s => s,
        }),
        1..30,
    )
}

/// Largest tree (counting every occurrence) a recipe may make, so unshared copies stay small.
const MAX_TREE: u64 = 20_000;

/// A copy of `n` with no sharing at all: every occurrence of every subtree is a fresh object.
fn unshared(h: &mut HeapAlloc, n: Noun) -> Noun {
    match n.as_cell() {
        Some(c) => {
            let hd = unshared(h, c.head());
            let tl = unshared(h, c.tail());
            Cell::new(h, hd, tl).unwrap().as_noun()
        }
        None => {
            let a = n.as_atom().unwrap();
            Atom::from_words(h, a.words()).unwrap().as_noun()
        }
    }
}

fn build(h: &mut HeapAlloc, steps: &[Step]) -> Noun {
    let mut nodes: Vec<(Noun, u64)> = Vec::new();
    for s in steps {
        let node = match s {
            Step::Small(v) => (D(*v), 1),
            Step::Word(v) => (Atom::new(h, *v).unwrap().as_noun(), 1),
            Step::Big(w) => (Atom::from_words(h, w).unwrap().as_noun(), 1),
            Step::Cell(a, b) if !nodes.is_empty() => {
                let (x, sx) = nodes[a % nodes.len()];
                let (y, sy) = nodes[b % nodes.len()];
                if sx + sy + 1 > MAX_TREE {
                    (D(sx), 1)
                } else {
                    (Cell::new(h, x, y).unwrap().as_noun(), sx + sy + 1)
                }
            }
            Step::Copy(a) if !nodes.is_empty() => {
                let (x, sx) = nodes[a % nodes.len()];
                (unshared(h, x), sx)
            }
            _ => (D(0), 1),
        };
        nodes.push(node);
    }
    // Tie the last few nodes together so the root reaches most of the recipe.
    let mut root = nodes.last().unwrap().0;
    for (n, _) in nodes.iter().rev().skip(1).take(4) {
        root = Cell::new(h, *n, root).unwrap().as_noun();
    }
    root
}

/// Number of distinct cells reachable from `n` (by address).
fn distinct_cells(n: Noun) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![n];
    while let Some(x) = todo.pop() {
        if let Some(c) = x.as_cell() {
            if seen.insert(x.raw()) {
                todo.push(c.head());
                todo.push(c.tail());
            }
        }
    }
    seen.len()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn cue_inverts_jam(steps in recipe()) {
        let mut h = HeapAlloc::new();
        let x = build(&mut h, &steps);
        let words = jam_to_words(x);
        let y = cue_words(&mut h, &words).unwrap();
        prop_assert!(noun_eq(x, y));
        prop_assert_eq!(mug(x), mug(y));
        prop_assert_eq!(jam_to_words(y), words.clone());
        // cue shares every repeated cell, so it never makes more distinct cells than the original has
        prop_assert!(distinct_cells(y) <= distinct_cells(x));
        // and through an atom
        let a = jam(&mut h, x).unwrap();
        prop_assert_eq!(a.words(), &words[..]);
        prop_assert!(noun_eq(cue(&mut h, a).unwrap(), x));
        // bytes agree with words
        let bytes = jam_to_bytes(x);
        prop_assert_eq!(bytes.len(), a.byte_len());
        prop_assert!(noun_eq(cue_bytes(&mut h, &bytes).unwrap(), x));
    }

    #[test]
    fn jam_ignores_sharing(steps in recipe()) {
        let mut h = HeapAlloc::new();
        let x = build(&mut h, &steps);
        let copy = unshared(&mut h, x);
        prop_assert!(!x.is_cell() || !x.same(copy));
        prop_assert_eq!(jam_to_bytes(x), jam_to_bytes(copy));
        prop_assert_eq!(mug(x), mug(copy));
    }

    #[test]
    fn jam_and_cue_match_the_model(steps in recipe()) {
        let mut h = HeapAlloc::new();
        let x = build(&mut h, &steps);
        let m = model(x);
        let bits = big_stack(|| model_jam(&m));
        prop_assert_eq!(jam_to_words(x), words_of_bits(&bits));
        let back = big_stack(|| model_cue(&bits));
        prop_assert_eq!(back, Some(m));
    }

    #[test]
    fn mutated_jams_decode_as_the_model_does(
        steps in small_recipe(),
        flips in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
        tail in prop::collection::vec(any::<bool>(), 0..12),
    ) {
        let mut h = HeapAlloc::new();
        let x = build(&mut h, &steps);
        let mut bits = bits_of_words(&jam_to_words(x));
        for f in &flips {
            let i = f.index(bits.len());
            bits[i] = !bits[i];
        }
        if truncate {
            bits.truncate(cut.index(bits.len() + 1));
        }
        bits.extend(tail);
        let words = words_of_bits(&bits);
        let got = cue_words(&mut h, &words).ok().map(model);
        let want = big_stack(|| model_cue(&bits));
        prop_assert_eq!(got, want);
    }

    #[test]
    fn random_streams_decode_as_the_model_does(bits in prop::collection::vec(any::<bool>(), 0..200)) {
        let mut h = HeapAlloc::new();
        let got = cue_words(&mut h, &words_of_bits(&bits)).ok().map(model);
        let want = big_stack(|| model_cue(&bits));
        prop_assert_eq!(got, want);
    }

    #[test]
    fn equal_nouns_have_equal_mugs(steps in recipe()) {
        let mut h = HeapAlloc::new();
        let x = build(&mut h, &steps);
        let y = unshared(&mut h, x);
        let z = cue_words(&mut h, &jam_to_words(x)).unwrap();
        // mug the copies in different orders so cached and fresh mugs meet
        let my = mug(y);
        let mx = mug(x);
        prop_assert_eq!(mx, my);
        prop_assert_eq!(mug(z), mx);
        prop_assert!((1..=0x7fff_ffff).contains(&mx));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Pills

/// The pills folder: `$MARS_PILLS`, else `<crate root>/../shared/pills`.
fn pill(name: &str) -> Option<Vec<u8>> {
    let dir = std::env::var_os("MARS_PILLS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pills")
        });
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            if std::env::var("MARS_REQUIRE_PILLS").as_deref() == Ok("1") {
                panic!(
                    "MARS_REQUIRE_PILLS=1 but {} is unreadable: {e}",
                    path.display()
                );
            }
            println!("skipped: {} is unreadable ({e})", path.display());
            None
        }
    }
}

#[test]
fn pills_round_trip_bit_exactly() {
    for name in ["brass.pill", "ivory.pill"] {
        let Some(bytes) = pill(name) else { continue };
        let mut s = NockStack::new(1 << 30).unwrap();
        let n = cue_bytes(&mut s, &bytes).unwrap();
        let again = jam_to_bytes(n);
        // a pill file may carry trailing zero bytes; the jam atom does not
        let mut want = bytes.clone();
        while want.last() == Some(&0) {
            want.pop();
        }
        assert_eq!(again.len(), want.len(), "{name}: length");
        assert!(again == want, "{name}: jam of cue differs");
    }
}
