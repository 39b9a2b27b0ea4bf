//! The ova a P1 king sends on its own account: the wisps of the boot sequence and, every time the king starts, the
//! events its I/O drivers send before the ship runs (Vere 1.16's order, as in `shared/fixtures/vere-zod` events
//! 14–25), and terminal input for the dojo.

use super::pill::BootOptions;
use crate::mug::mug;
use crate::noun::{cord, list, list_iter, tas, Atom, HeapAlloc, Noun, Oom, D, T};

/// The kelvins the P1 king sends in `%wyrd`.
const KELVINS: [(&str, u64); 5] = [
    ("zuse", 417),
    ("lull", 328),
    ("arvo", 240),
    ("hoon", 140),
    ("nock", 4),
];

/// Terminal size the king reports with `%blew` (Vere's default without a tty).
const TERM_COLUMNS: u64 = 80;
const TERM_ROWS: u64 = 24;

/// Port of the insecure HTTP server reported with `%live`.
const HTTP_PORT: u64 = 80;

/// `//arvo`, Arvo's own wire.
pub fn arvo_wire(h: &mut HeapAlloc) -> Result<Noun, Oom> {
    T(h, &[D(0), tas("arvo"), D(0)])
}

/// `/d/term/1`, the session terminal's wire.
pub fn term_wire(h: &mut HeapAlloc) -> Result<Noun, Oom> {
    T(h, &[tas("d"), tas("term"), tas("1"), D(0)])
}

/// `[%wyrd [non rev] kel]`: version negotiation. `non` is `(scot %uv (mug now))`, `rev` is `/vere/~.<version>`.
/// Vere builds `u3nt(c3__wyrd, u3nc(sen, ver), kel)`; a kernel that clams the card as `[%wyrd p=vere]` rejects the
/// flat `[%wyrd non rev kel]`.
pub fn wyrd(h: &mut HeapAlloc, now: u128, version: &str) -> Result<Noun, Oom> {
    let now_atom = Atom::from_u128(h, now)?;
    let non = cord(h, &super::date::scot_uv(mug(now_atom.as_noun()) as u128))?;
    let ver = cord(h, &format!("~.{version}"))?;
    let rev = list(h, &[tas("vere"), ver])?;
    let mut kel = Vec::new();
    for (name, k) in KELVINS {
        kel.push(T(h, &[tas(name), D(k)])?);
    }
    let kel = list(h, &kel)?;
    let vere = T(h, &[non, rev])?;
    T(h, &[tas("wyrd"), vere, kel])
}

/// `[%wack eny]`: 512 bits of entropy.
pub fn wack(h: &mut HeapAlloc, eny: &[u8; 64]) -> Result<Noun, Oom> {
    let eny = Atom::from_bytes(h, eny)?.as_noun();
    T(h, &[tas("wack"), eny])
}

/// `[%verb (unit ?)]`: `[~ %.y]` (laconic) unless verbose.
pub fn verb(h: &mut HeapAlloc, verbose: bool) -> Result<Noun, Oom> {
    T(h, &[tas("verb"), D(0), Noun::flag(!verbose)])
}

/// A random driver instance number, as Vere's drivers put in their wires (`/e/http-server/0v9.nsip2`).
fn instance(eny: &[u8; 64], i: usize) -> u128 {
    u32::from_le_bytes([eny[4 * i], eny[4 * i + 1], eny[4 * i + 2], eny[4 * i + 3]]) as u128
}

/// `/<vane>/<driver>/<0v instance>`.
fn driver_wire(h: &mut HeapAlloc, vane: &str, driver: &str, id: u128) -> Result<Noun, Oom> {
    let id = cord(h, &super::date::scot_uv(id))?;
    let name = cord(h, driver)?;
    T(h, &[tas(vane), name, id, D(0)])
}

/// The ova a Vere 1.16 king sends each time it starts a ship, after replay or boot: `%wyrd`, `%wack` and `%verb` to
/// Arvo; the terminal's size (`%blew`) and `%hail`; clay's `%boat`; `%born` from iris, eyre, ames, khan and behn;
/// and eyre's `%live` with its port. `o.eny` provides fresh entropy and the drivers' instance numbers.
pub fn start_ova(h: &mut HeapAlloc, o: &BootOptions, now: u128) -> Result<Vec<Noun>, Oom> {
    let arvo = arvo_wire(h)?;
    let term = term_wire(h)?;
    let mut ova = Vec::new();
    let w = wyrd(h, now, &o.version)?;
    ova.push(T(h, &[arvo, w])?);
    let w = wack(h, &o.eny)?;
    ova.push(T(h, &[arvo, w])?);
    let v = verb(h, o.verbose)?;
    ova.push(T(h, &[arvo, v])?);
    let blew = T(h, &[tas("blew"), D(TERM_COLUMNS), D(TERM_ROWS)])?;
    ova.push(T(h, &[term, blew])?);
    let hail = T(h, &[tas("hail"), D(0)])?;
    ova.push(T(h, &[term, hail])?);
    let boat_wire = T(h, &[tas("c"), tas("boat"), D(0)])?;
    let boat = T(h, &[tas("boat"), D(0)])?;
    ova.push(T(h, &[boat_wire, boat])?);
    // Eyre and ames share the HTTP server's instance number, as in Vere.
    let http = instance(&o.eny, 1);
    let born = T(h, &[tas("born"), D(0)])?;
    for (vane, driver, id) in [
        ("i", "http-client", instance(&o.eny, 0)),
        ("e", "http-server", http),
        ("a", "newt", http),
        ("k", "khan", instance(&o.eny, 2)),
        ("b", "behn", instance(&o.eny, 3)),
    ] {
        let wire = driver_wire(h, vane, driver, id)?;
        ova.push(T(h, &[wire, born])?);
    }
    let wire = driver_wire(h, "e", "http-server", http)?;
    let live = T(h, &[tas("live"), D(HTTP_PORT), D(0)])?;
    ova.push(T(h, &[wire, live])?);
    Ok(ova)
}

/// Dill input: `[/d/term/1 [%belt belt]]` for each belt of typing `line` and pressing Enter (`%txt` then `%ret`).
pub fn type_line(h: &mut HeapAlloc, line: &str) -> Result<Vec<Noun>, Oom> {
    let term = term_wire(h)?;
    let chars: Vec<Noun> = line.chars().map(|c| D(c as u64)).collect();
    let tape = list(h, &chars)?;
    let txt = T(h, &[tas("txt"), tape])?;
    let ret = T(h, &[tas("ret"), D(0)])?;
    let mut ova = Vec::new();
    for belt in [txt, ret] {
        let card = T(h, &[tas("belt"), belt])?;
        ova.push(T(h, &[term, card])?);
    }
    Ok(ova)
}

/// Dill input erasing the `chars` characters before the cursor (one `%bac` belt each): what a user does after a
/// line whose event crashed, since the dojo keeps the text of a line it could not take.
pub fn erase_chars(h: &mut HeapAlloc, chars: usize) -> Result<Vec<Noun>, Oom> {
    let term = term_wire(h)?;
    let bac = T(h, &[tas("bac"), D(0)])?;
    let card = T(h, &[tas("belt"), bac])?;
    let ovum = T(h, &[term, card])?;
    Ok(vec![ovum; chars])
}

/// The text a list of effects draws on terminals: one string per `%put`/`%lin` line or `%klr` styled text of every
/// `%blit` effect (nested `%mor` lists flattened), in order.
pub fn blit_text(effects: Noun) -> Vec<String> {
    let mut out = Vec::new();
    for fx in list_iter(effects).flatten() {
        let Some(card) = fx.tail().and_then(|c| c.as_cell()) else {
            continue;
        };
        if card.head() == tas("blit") {
            for blit in list_iter(card.tail()).flatten() {
                blit_lines(blit, &mut out, 0);
            }
        }
    }
    out
}

fn tape_text(t: Noun) -> String {
    list_iter(t)
        .flatten()
        .filter_map(|c| c.as_u64().and_then(|v| char::from_u32(v as u32)))
        .collect()
}

fn blit_lines(blit: Noun, out: &mut Vec<String>, depth: usize) {
    let Some(c) = blit.as_cell() else { return };
    let tag = c.head();
    if tag == tas("put") || tag == tas("lin") {
        out.push(tape_text(c.tail()));
    } else if tag == tas("klr") {
        // stub: a list of [stye text]
        let text: String = list_iter(c.tail())
            .flatten()
            .filter_map(|part| part.tail())
            .map(tape_text)
            .collect();
        out.push(text);
    } else if tag == tas("mor") && depth < 16 {
        for b in list_iter(c.tail()).flatten() {
            blit_lines(b, out, depth + 1);
        }
    }
}

/// The `%peek` sample for `CARE/DESK/PATH` (`cx/base/sys/kelvin`): `[lyc=~ nom=[%.n %once care desk path]]`, a
/// request against the current revision, as the king builds for its own drivers.
pub fn peek_once(h: &mut HeapAlloc, spec: &str) -> Result<Noun, String> {
    let mut parts = spec.trim_matches('/').split('/');
    let (Some(care), Some(desk)) = (parts.next(), parts.next()) else {
        return Err(format!(
            "--peek {spec}: give CARE/DESK/PATH, e.g. cx/base/sys/kelvin"
        ));
    };
    let oom = |_| "out of memory".to_string();
    let mut path = Vec::new();
    for p in parts.filter(|p| !p.is_empty()) {
        path.push(cord(h, p).map_err(oom)?);
    }
    let path = list(h, &path).map_err(oom)?;
    let (care, desk) = (cord(h, care).map_err(oom)?, cord(h, desk).map_err(oom)?);
    T(h, &[D(0), D(1), tas("once"), care, desk, path]).map_err(oom)
}

/// A `%peek` result, `(unit (cask))`: `~`, or the mark and the value (as text if it is one). Arvo answers a
/// `%once` request with an `%omen`, `[path cask]`: shown as the path, then the inner mark and value.
pub fn render_peek(res: Noun) -> String {
    match res.as_cell().and_then(|u| u.tail().as_cell()) {
        Some(cask) => render_cask(cask.head(), cask.tail()),
        None => "~ (no value)".into(),
    }
}

fn render_cask(mark: Noun, value: Noun) -> String {
    let mark = crate::text::urbit::render_term(mark);
    if mark == "omen" {
        if let Some((path, inner)) = value
            .as_cell()
            .and_then(|o| Some((o.head(), o.tail().as_cell()?)))
        {
            let path = crate::text::urbit::render_path(path);
            return format!("%omen {path} {}", render_cask(inner.head(), inner.tail()));
        }
    }
    let text = value
        .as_atom()
        .and_then(|a| String::from_utf8(a.to_bytes()).ok())
        .filter(|t| !t.is_empty());
    match text {
        Some(t) => format!("%{mark} {t:?}"),
        None => format!("%{mark} {}", crate::text::print_bounded(value, 2000)),
    }
}
